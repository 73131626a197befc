"""``recommender rollback MODEL [--to VERSION] [--json]`` and ``info MODEL --versions``: the
previous model served again, a running server following it at its next look, refusals in one
line with exit 2 and the folder unchanged.

Oracle: each version's ``model_version`` read from its ``meta.json`` with the json module, the
``X-Model-Version`` a server answers with, and the folder's files read before and after."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from helpers import run_cli as run
from service_fixtures import build_model

from recommender.model import artifact, layout
from recommender.model.model import Model
from service.app import create_app
from service.settings import Settings


@pytest.fixture(scope="module")
def pair() -> tuple[Model, Model]:
    first, second = build_model(0), build_model(1)
    assert first.version != second.version
    return first, second


def meta_version(folder: Path) -> str:
    return str(json.loads((folder / "meta.json").read_text(encoding="utf-8"))["model_version"])


def test_rollback_serves_the_previous_model_and_a_server_follows(
        pair: tuple[Model, Model], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first, second = pair
    served = tmp_path / "served"
    artifact.save(first, served)
    artifact.save(second, served)
    code, out, err = run(capsys, "info", served, "--versions", "--json")
    assert code == 0, err
    listed = json.loads(out)["versions"]
    assert [(v["model_version"], v["current"], v["whole"]) for v in listed] == [
        (first.version, False, True), (second.version, True, True)]
    assert [v["version"] for v in listed] == [p.name for p in layout.versions(served)]
    code, out, err = run(capsys, "info", served, "--versions")
    assert code == 0 and f"model {second.version}" in out and "current" in out, err
    with TestClient(create_app(Settings(model_path=str(served), warm_cache=False,
                                        watch_interval=0))) as server:
        assert server.get("/health").headers["X-Model-Version"] == second.version
        code, out, err = run(capsys, "rollback", served, "--json")
        assert code == 0, err
        body = json.loads(out)
        assert body["previous_version"] == second.version
        assert body["model_version"] == first.version
        assert body["rolled_back_to"] == listed[0]["version"]
        current = layout.resolve(served)
        assert body["version"] == current.name and meta_version(current) == first.version
        assert body["model_folder"] == os.path.abspath(served)
        # the server follows at its next look at `current`, as after a train
        assert server.app.state.service.check()  # type: ignore[attr-defined]
        assert server.get("/health").headers["X-Model-Version"] == first.version
        code, out, err = run(capsys, "rollback", served)  # a second one undoes it
        assert code == 0, err
        assert f"now serving model {second.version} (was {first.version})" in out
        assert server.app.state.service.check()  # type: ignore[attr-defined]
        assert server.get("/health").headers["X-Model-Version"] == second.version


def test_a_damaged_target_is_refused_in_one_line(
        pair: tuple[Model, Model], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first, second = pair
    served = tmp_path / "served"
    artifact.save(first, served)
    artifact.save(second, served)
    previous = layout.versions(served)[0]
    raw = bytearray((previous / "film_factors.npy").read_bytes())
    raw[-1] ^= 0x01  # the size kept: only the SHA-256 tells
    (previous / "film_factors.npy").write_bytes(bytes(raw))
    before = {p: p.read_bytes() for p in served.rglob("*") if p.is_file()}
    link = os.readlink(served / "current")
    code, out, err = run(capsys, "rollback", served, "--to", previous.name)
    assert code == 2 and out == ""
    assert err.startswith(f"error: cannot roll back to {previous.name}")
    assert "film_factors.npy" in err and "unchanged" in err and "Traceback" not in err
    assert err.count("\n") == 1
    assert {p: p.read_bytes() for p in served.rglob("*") if p.is_file()} == before
    assert os.readlink(served / "current") == link
    # a flat folder, and --store with --versions, are refused too
    flat = tmp_path / "flat"
    flat.mkdir()
    for p in layout.resolve(served).iterdir():
        (flat / p.name).write_bytes(p.read_bytes())
    code, _, err = run(capsys, "rollback", flat)
    assert code == 2 and "a flat model folder" in err
    code, _, err = run(capsys, "info", served, "--versions", "--store", "sqlite:///x.db")
    assert code == 2 and "--store does not apply with --versions" in err


def test_rollback_json_says_each_version_as_a_folder_and_as_a_model(
        pair: tuple[Model, Model], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``version`` is a folder name and ``previous_version`` a model version: the JSON said
    the folder served now and the model served before, never the folder replaced. Each is
    said both ways: folder names (rolled_back_to, version, replaced_version) and model
    versions (model_version, previous_model_version; previous_version kept, unchanged)."""
    first, second = pair
    served = tmp_path / "served"
    artifact.save(first, served)
    artifact.save(second, served)
    before = layout.resolve(served)  # the oracle: what `current` points at, before and after
    older = layout.versions(served)[0]
    code, out, err = run(capsys, "rollback", served, "--json")
    assert code == 0, err
    body = json.loads(out)
    after = layout.resolve(served)
    assert body["rolled_back_to"] == older.name  # republished as a new version, after
    assert body["replaced_version"] == before.name and body["version"] == after.name
    assert [p.name for p in layout.versions(served)] == [before.name, after.name]
    assert body["previous_model_version"] == body["previous_version"] == meta_version(before)
    assert body["model_version"] == meta_version(after) == first.version
    assert meta_version(before) == second.version
    code, out, err = run(capsys, "rollback", served)  # the text says the same
    assert code == 0, err
    assert f"(was {first.version}) as version {layout.resolve(served).name} (replacing " \
           f"version {after.name})" in out


def test_rollback_from_a_damaged_current_version_says_so_and_keeps_what_loads(
        pair: tuple[Model, Model], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A damaged version swapped in by hand (a copy of the older model, its user factors cut
    short) as current: the rollback said "was <older model>", which nothing ever served,
    promised an undo that is refused, and removed the only loadable copy of the older model
    while it kept the damaged version. Oracle: each version's meta.json, what loads, and a
    second rollback to the older model by name."""
    older, newer = pair
    root = tmp_path / "m"
    artifact.save(older, root)
    artifact.save(newer, root)
    first, second = layout.versions(root)
    broken = root / "versions" / "000003-broken"
    shutil.copytree(first, broken)
    factors = broken / "user_factors.npy"
    factors.write_bytes(factors.read_bytes()[:-64])
    os.remove(root / "current")
    os.symlink(os.path.relpath(broken, root), root / "current")
    code, out, err = run(capsys, "rollback", root)
    assert code == 0, err
    assert f"now serving model {newer.version} as version" in out
    assert "replacing version 000003-broken, which does not load" in out
    assert f"(was {older.version})" not in out
    assert f"`recommender rollback {root}` undoes" not in out
    assert "no rollback undoes it" in out
    assert artifact.load(root).version == newer.version
    kept = {p.name: meta_version(p) for p in layout.versions(root)}
    assert first.name in kept and kept[first.name] == older.version  # the older model loads
    assert artifact.load(first).version == older.version
    # the older model is still there to roll back to
    code, out, err = run(capsys, "rollback", root, "--to", first.name, "--json")
    assert code == 0, err
    assert json.loads(out)["model_version"] == older.version


def test_rollback_json_names_the_damage_of_the_version_replaced(
        pair: tuple[Model, Model], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    older, newer = pair
    root = tmp_path / "m"
    artifact.save(older, root)
    artifact.save(newer, root)
    first, _ = layout.versions(root)
    broken = root / "versions" / "000003-broken"
    shutil.copytree(first, broken)
    (broken / "user_factors.npy").write_bytes(b"\x93NUMPY")
    os.remove(root / "current")
    os.symlink(os.path.relpath(broken, root), root / "current")
    code, out, err = run(capsys, "rollback", root, "--json")
    assert code == 0, err
    body = json.loads(out)
    assert body["previous_model_version"] is None and body["previous_version"] is None
    assert body["replaced_version"] == "000003-broken"
    assert "user_factors.npy" in body["replaced_version_damage"]
