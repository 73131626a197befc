"""The segments answer (``segments``, ``GET /segments``, the Studio's overview) withholds a
segment of fewer than the minimum cell size (``RECOMMENDER_MIN_CELL``) whole, and says so.

Training merges a small segment into the others but always keeps one: a model of 2 users had
one segment of 2, listed with its label, size and both users' films, while ``film`` and
``summary`` on the same model hid it. The oracle: the users per segment counted from the
artifact's labels, against the minimum cell size in force when the answer is read."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from helpers import run_cli as run

from recommender.cli import main
from recommender.model import artifact
from recommender.model.segments import MIN_GENRE_SHARE
from recommender.query.filters import cut_text
from service.app import create_app
from service.settings import Settings


def _log(path: Path, groups: list[int]) -> Path:
    """A log of ``len(groups)`` tastes: group g's ``groups[g]`` users each watch the group's
    own three films (none shared), so each group is one direction of taste."""
    rows = ["user_id,film_id,rating"]
    user = 0
    for g, size in enumerate(groups):
        for _ in range(size):
            rows += [f"u{user},g{g}f{f},4" for f in range(3)]
            user += 1
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def _trained(tmp_path: Path, groups: list[int], segments: int) -> Path:
    out = tmp_path / "m"
    assert main(["train", "--data", str(_log(tmp_path / "log.csv", groups)), "--out", str(out),
                 "--no-tune", "--factors", "8", "--iterations", "3", "--holdout", "0",
                 "--segments", str(segments)]) == 0
    return out


def _sizes(model_dir: Path) -> dict[int, int]:
    """The oracle: each segment's users, counted from the artifact's labels."""
    labels = np.asarray(artifact.load(model_dir).segments.labels, np.int64)
    return {int(s): int(n) for s, n in enumerate(np.bincount(labels)) if n}


def _answers(model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
             min_cell: int) -> tuple[dict, str]:
    """GET /segments' body (checked equal to ``segments --json``) and ``segments``' text."""
    capsys.readouterr()  # training's report
    settings = Settings(model_path=str(model_dir), store=str(tmp_path / "s.db"),
                        warm_cache=False, min_cell=min_cell)
    with TestClient(create_app(settings)) as client:
        http = client.get("/segments")
    assert http.status_code == 200, http.text
    code, out, err = run(capsys, "segments", str(model_dir), "--json")
    assert code == 0, err
    assert out == http.content.decode() + "\n"  # the CLI prints the HTTP body
    code, text, err = run(capsys, "segments", str(model_dir))
    assert code == 0, err
    return http.json(), text


@pytest.mark.parametrize("users", [1, 2, 9])
def test_a_model_of_fewer_users_than_the_minimum_lists_no_segment(
        users: int, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RECOMMENDER_MIN_CELL", raising=False)
    model_dir = _trained(tmp_path, [users], 10)
    sizes = _sizes(model_dir)
    assert sum(sizes.values()) == users and len(sizes) == 1  # training kept one segment
    body, text = _answers(model_dir, tmp_path, capsys, 10)
    assert body == {"segments": [], "hidden": {"segments": 1, "users": users}, "min_cell": 10,
                    "min_genre_share": MIN_GENRE_SHARE}
    label = artifact.load(model_dir).segments.info[0]["label"]
    # nothing of the segment in the text: no table, no label, no film; the rule named
    assert label not in text and "g0f" not in text and "segment  label" not in text
    noun = "user" if users == 1 else "users"
    assert text.startswith(f"hidden: 1 segment ({users} {noun} in all), each of fewer than 10 "
                           "users (the minimum cell size: $RECOMMENDER_MIN_CELL, default 10): "
                           "not listed"), text


def test_a_model_of_the_minimum_lists_its_segment(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RECOMMENDER_MIN_CELL", raising=False)
    model_dir = _trained(tmp_path, [10], 10)
    assert _sizes(model_dir) == {0: 10}
    body, text = _answers(model_dir, tmp_path, capsys, 10)
    assert [(s["segment"], s["size"]) for s in body["segments"]] == [(0, 10)]
    assert body["hidden"] == {"segments": 0, "users": 0}
    assert "hidden" not in text and body["segments"][0]["label"] in text


@pytest.mark.parametrize("cell", [3, 6, 10, 30])
def test_the_minimum_in_force_withholds_each_smaller_segment(
        cell: int, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Trained at a minimum of 3 (segments of 12, 5 and 3 users), read at another: each
    segment of fewer users than the minimum read with is withheld, the rest listed."""
    monkeypatch.setenv("RECOMMENDER_MIN_CELL", "3")
    model_dir = _trained(tmp_path, [12, 5, 3], 3)
    sizes = _sizes(model_dir)
    assert sorted(sizes.values()) == [3, 5, 12]  # the three tastes found
    monkeypatch.setenv("RECOMMENDER_MIN_CELL", str(cell))
    body, text = _answers(model_dir, tmp_path, capsys, cell)
    shown = {s: n for s, n in sizes.items() if n >= cell}
    gone = {s: n for s, n in sizes.items() if n < cell}
    assert {s["segment"]: s["size"] for s in body["segments"]} == shown
    assert body["hidden"] == {"segments": len(gone), "users": sum(gone.values())}
    assert body["min_cell"] == cell
    # shares stay shares of all users
    assert all(s["share"] == round(s["size"] / 20, 4) for s in body["segments"])
    films = {f["film_id"] for s in body["segments"] for f in s["representative_films"]}
    for n in gone.values():  # a withheld segment's films (its users' own) are named nowhere
        assert not any(f.startswith(f"g{_group_of(n)}f") for f in films), films
    for n in shown.values():  # a listed one's are
        assert any(f.startswith(f"g{_group_of(n)}f") for f in films), films
    assert ("hidden: " in text) == bool(gone)


def _group_of(size: int) -> int:
    """The log's group of ``size`` users (the groups' sizes differ)."""
    return [12, 5, 3].index(size)


def test_a_withheld_segment_is_not_named_by_the_segment_filter(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The segment filter's refusal listed every segment with its label and size ("0: Viewers
    of 2 films/user (2 users)"), and a withheld segment's label was taken (a probe of labels
    told it), as the schema's pattern listed it: a withheld one is taken by number alone,
    and named nowhere. The oracle: the artifact's label and users per segment."""
    monkeypatch.delenv("RECOMMENDER_MIN_CELL", raising=False)
    model_dir = _trained(tmp_path, [2], 10)
    capsys.readouterr()
    model = artifact.load(model_dir)
    label = model.segments.info[0]["label"]
    assert _sizes(model_dir) == {0: 2}
    code, out, err = run(capsys, "audience", str(model_dir), "g0f0", "--segment", label)
    # the label typed is echoed once, and listed nowhere
    assert code == 2 and err.count(label) == 1 and "2 users" not in err, err
    assert ("1 segment of fewer than 10 users each not listed (the minimum cell size, "
            "RECOMMENDER_MIN_CELL)") in err, err
    code, out, err = run(capsys, "audience", str(model_dir), "g0f0", "--segment", "0",
                         "--json")
    assert code == 0, err  # by number: a filter, as any segment's
    assert cut_text(model, 0, None) == "segment 0"
    settings = Settings(model_path=str(model_dir), store=str(tmp_path / "s.db"),
                        warm_cache=False, min_cell=10)
    with TestClient(create_app(settings)) as client:
        schema = json.dumps(client.get("/openapi.json").json())
        refused = client.get("/films/g0f0/audience", params={"segment": label})
    assert "films/user" not in schema  # the label's words, in no pattern
    assert refused.status_code == 422 and "2 users" not in refused.text, refused.text
    # at a minimum it meets, the label is taken and listed again
    monkeypatch.setenv("RECOMMENDER_MIN_CELL", "2")
    code, out, err = run(capsys, "audience", str(model_dir), "g0f0", "--segment", label,
                         "--json")
    assert code == 0, err
