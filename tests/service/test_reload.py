"""Reloads follow the served folder: a save to it, or an admin reload of another folder (which
publishes into it), is picked up by every app serving that folder; a damaged version is
refused and the old model keeps serving.

Two apps on one folder stand for two workers (the real ``--workers 2`` server is in
``test_workers.py``). ``watch_interval=0`` here, and ``ServiceState.check`` is called by hand,
so nothing depends on timing; one test runs the watcher thread itself.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from service_fixtures import build_model

from recommender.errors import ArtifactError
from recommender.model import artifact, layout
from recommender.model.model import Model
from recommender.query.audience import film_audience
from service.app import create_app
from service.settings import Settings

KEY = "admin-key"
FILM = "00004"


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two trained models saved as model folders (the templates copied by each test)."""
    base = tmp_path_factory.mktemp("reload")
    return {name: artifact.save(build_model(seed), base / name)
            for name, seed in (("a", 0), ("b", 1))}


@pytest.fixture(scope="module")
def loaded(models: dict[str, Path]) -> dict[str, Model]:
    return {name: artifact.load(path) for name, path in models.items()}


@pytest.fixture()
def root(models: dict[str, Path], tmp_path: Path) -> Path:
    """A models root holding ``served`` (model a) and ``b``."""
    for name, target in (("a", "served"), ("b", "b")):
        shutil.copytree(models[name], tmp_path / target, symlinks=True)
    return tmp_path


def app_for(root: Path, **kw: Any) -> TestClient:
    settings = Settings(model_path=str(root / "served"), admin_key=SecretStr(KEY),
                        models_root=str(root), warm_cache=False, **{"watch_interval": 0, **kw})
    return TestClient(create_app(settings))


@pytest.fixture()
def workers(root: Path) -> Iterator[list[TestClient]]:
    with ExitStack() as stack:
        yield [stack.enter_context(app_for(root)) for _ in range(2)]


def state(client: TestClient) -> Any:
    return client.app.state.service  # type: ignore[attr-defined]


def quiet(client: TestClient) -> None:
    """Stop a model-less worker's own watcher (it watches even at watch_interval 0), so
    that the test's ``check`` calls are the only ones."""
    state(client)._stop.set()
    state(client)._watcher.join()


def answer(client: TestClient) -> tuple[str, list[str]]:
    """(X-Model-Version, the audience's user ids) of one request."""
    r = client.get(f"/films/{FILM}/audience", params={"k": 8})
    assert r.status_code == 200, r.text
    return r.headers["X-Model-Version"], [u["user_id"] for u in r.json()["users"]]


def expected(model: Model) -> tuple[str, list[str]]:
    return model.version, film_audience(model, FILM, k=8).user_ids.tolist()


def errors_counted(client: TestClient) -> float:
    for line in client.get("/metrics").text.splitlines():
        if line.startswith('recommender_model_reloads_total{result="error"}'):
            return float(line.split()[-1])
    return 0.0


def test_a_save_to_the_served_folder_reaches_every_app(
        workers: list[TestClient], root: Path, loaded: dict[str, Model]) -> None:
    assert all(answer(w) == expected(loaded["a"]) for w in workers)
    assert not any(state(w).check() for w in workers)  # nothing changed
    artifact.save(loaded["b"], root / "served")
    assert all(state(w).check() for w in workers)
    assert all(answer(w) == expected(loaded["b"]) for w in workers)
    assert not any(state(w).check() for w in workers)


def test_an_admin_reload_publishes_into_the_served_folder(
        workers: list[TestClient], root: Path, loaded: dict[str, Model]) -> None:
    first, second = workers
    before = layout.resolve(root / "served")
    # a body after a UTF-8 byte-order mark, as every other route takes it (it was a 422)
    r = first.post("/admin/reload", content=b'\xef\xbb\xbf{"model_path": "b"}',
                   headers={"Authorization": f"Bearer {KEY}",
                            "Content-Type": "application/json"})
    assert r.status_code == 200, r.text
    assert r.json()["model_version"] == r.headers["X-Model-Version"] == loaded["b"].version
    assert answer(first) == expected(loaded["b"])
    # the served folder now holds b as a new version: the other worker follows it
    assert layout.resolve(root / "served") != before
    assert answer(second) == expected(loaded["a"])
    assert state(second).check()
    assert answer(second) == expected(loaded["b"])
    assert not state(first).check()  # the worker that reloaded is current already
    # a reload without a path reloads the served folder, which holds b now
    again = second.post("/admin/reload", headers={"Authorization": f"Bearer {KEY}"})
    assert again.status_code == 200 and again.json()["model_version"] == loaded["b"].version
    # a restart serves what the folder holds
    with app_for(root) as restarted:
        assert answer(restarted) == expected(loaded["b"])


def test_a_damaged_version_is_refused_and_the_old_model_keeps_serving(
        workers: list[TestClient], root: Path, loaded: dict[str, Model]) -> None:
    first, second = workers
    # damage b's folder on disk: an admin reload of it is refused, the served folder unchanged
    damaged = layout.resolve(root / "b") / "user_factors.npy"
    raw = bytearray(damaged.read_bytes())
    raw[-5] ^= 0x10
    damaged.write_bytes(bytes(raw))
    stamp = layout.stamp(root / "served")
    r = first.post("/admin/reload", json={"model_path": "b"},
                   headers={"Authorization": f"Bearer {KEY}"})
    assert r.status_code == 409, r.text
    assert "user_factors.npy: altered on disk" in r.json()["detail"]
    assert f"still serving model {loaded['a'].version}" in r.json()["detail"]
    assert layout.stamp(root / "served") == stamp
    # the worker that took the refused reload says so on /health (test_reload_refused_health)
    assert "user_factors.npy" in first.get("/health").json()["model_folder_warning"]
    assert second.get("/health").json()["model_folder_warning"] is None
    # a damaged new version of the served folder itself: each app refuses it once, logs it
    artifact.save(loaded["b"], root / "served")
    (layout.resolve(root / "served") / "film_ids.npy").write_bytes(b"\x93NUMPY damaged")
    assert second.get("/health").json()["model_folder_warning"] is None
    for w in workers:
        assert not state(w).check()
        assert not state(w).check()  # not tried again until the folder changes
        assert answer(w) == expected(loaded["a"])
        # /health says so (it said only "ok": the log and the metrics knew)
        health = w.get("/health")
        assert health.status_code == 200
        warning = health.json()["model_folder_warning"]
        assert "film_ids.npy" in warning and f"still serving {loaded['a'].version}" in warning
    assert errors_counted(second) == 1.0
    artifact.save(loaded["b"], root / "served")  # a good save is taken at once
    assert all(state(w).check() for w in workers)
    assert all(answer(w) == expected(loaded["b"]) for w in workers)
    assert all(w.get("/health").json()["model_folder_warning"] is None for w in workers)


def test_the_folder_warning_is_hidden_without_a_read_key(root: Path,
                                                         loaded: dict[str, Model]) -> None:
    """Under read keys ``/health`` hides the model's details from a caller without one; the
    warning names the refused version, the version served and a file of the model, so it is
    hidden with them and shown to a caller with a read key."""
    with app_for(root, read_keys=SecretStr("analyst:read-1")) as worker:
        artifact.save(loaded["b"], root / "served")
        (layout.resolve(root / "served") / "film_ids.npy").write_bytes(b"\x93NUMPY damaged")
        assert not state(worker).check()
        keyless = worker.get("/health").json()
        assert keyless["model"] is None and keyless["model_folder_warning"] is None
        keyed = worker.get("/health", headers={"X-API-Key": "read-1"}).json()
        assert "film_ids.npy" in keyed["model_folder_warning"]
        assert f"still serving {loaded['a'].version}" in keyed["model_folder_warning"]


@pytest.mark.parametrize("how", ["current to a removed version", "a version without meta"])
def test_a_version_without_a_stamp_is_refused_out_loud(
        workers: list[TestClient], root: Path, loaded: dict[str, Model], how: str,
        caplog: pytest.LogCaptureFixture) -> None:
    """``current`` pointing at a version removed by hand, or at one without ``meta.json``,
    has no stamp: the watcher passed over it without a log line or a refusal counted, and
    the first word of it was the next start failing."""
    served = root / "served"
    artifact.save(loaded["b"], served)
    if how.startswith("current"):
        shutil.rmtree(layout.resolve(served))
    else:
        (layout.resolve(served) / "meta.json").unlink()
    with caplog.at_level("WARNING", logger="recommender.service"):
        for w in workers:
            assert not state(w).check()
            assert not state(w).check()  # not tried again until the folder changes
            assert answer(w) == expected(loaded["a"])
    refusals = [r for r in caplog.records if "new model was refused" in r.getMessage()]
    assert len(refusals) == 2, [r.getMessage() for r in caplog.records]
    assert errors_counted(workers[0]) == 1.0
    artifact.save(loaded["b"], served)  # a good save is taken at once
    assert all(state(w).check() for w in workers)
    assert all(answer(w) == expected(loaded["b"]) for w in workers)


def test_the_watcher_thread_follows_the_folder(root: Path, loaded: dict[str, Model]) -> None:
    with app_for(root, watch_interval=0.05) as client:
        assert answer(client) == expected(loaded["a"])
        artifact.save(loaded["b"], root / "served")
        deadline = time.monotonic() + 30  # generous: the watcher looks every 0.05 s
        while answer(client)[0] != loaded["b"].version and time.monotonic() < deadline:
            time.sleep(0.05)
        assert answer(client) == expected(loaded["b"])
        watcher = state(client)._watcher
        assert watcher is not None and watcher.is_alive()
    assert not watcher.is_alive()  # stopped with the app


def test_a_flat_served_folder_is_migrated_by_a_reload(
        models: dict[str, Path], tmp_path: Path, loaded: dict[str, Model]) -> None:
    """A folder written before versions serves, and an admin reload of another model turns it
    into a versioned folder without a moment without a model."""
    shutil.copytree(layout.resolve(models["a"]), tmp_path / "served")
    shutil.copytree(models["b"], tmp_path / "b", symlinks=True)
    with app_for(tmp_path) as client:
        assert answer(client) == expected(loaded["a"])
        r = client.post("/admin/reload", json={"model_path": "b"},
                        headers={"Authorization": f"Bearer {KEY}"})
        assert r.status_code == 200, r.text
        assert answer(client) == expected(loaded["b"])
    assert layout.is_versioned(tmp_path / "served")
    assert (tmp_path / "served" / "meta.json").is_symlink()  # to current/meta.json


def test_a_served_folder_that_cannot_take_the_model_is_a_409(
        workers: list[TestClient], root: Path, loaded: dict[str, Model],
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    """A read-only served folder (simulated: root ignores permissions) refuses the publish;
    the answer names the folder refused, under the models root as every 409 names a server
    path (it named none: "Operation not permitted" without where), the log names it in full,
    and the old model keeps serving."""
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise PermissionError(13, "Permission denied", str(root / "served" / "versions"))

    monkeypatch.setattr(tempfile, "mkdtemp", refuse)
    with caplog.at_level("WARNING", logger="recommender.service"):
        r = workers[0].post("/admin/reload", json={"model_path": "b"},
                            headers={"Authorization": f"Bearer {KEY}"})
    assert r.status_code == 409, r.text
    detail = r.json()["detail"]
    assert ("could not take the new model (PermissionError: Permission denied: "
            "<models root>/served/versions)") in detail, detail
    assert str(root) not in detail
    logged = [m.getMessage() for m in caplog.records if "reload refused" in m.getMessage()]
    assert len(logged) == 1 and f"Permission denied: {root / 'served' / 'versions'})" in \
        logged[0], logged
    assert answer(workers[0]) == expected(loaded["a"])


def test_a_worker_started_on_a_refused_version_serves_the_newest_that_loads(
        workers: list[TestClient], root: Path, loaded: dict[str, Model]) -> None:
    # the running workers refuse a damaged save; a worker started then (uvicorn restarts a
    # crashed one) failed to start, and uvicorn stopped every worker
    artifact.save(loaded["b"], root / "served")
    (layout.resolve(root / "served") / "film_ids.npy").write_bytes(b"\x93NUMPY damaged")
    assert not any(state(w).check() for w in workers)
    with app_for(root) as restarted:
        assert answer(restarted) == expected(loaded["a"])
        warning = restarted.get("/health").json()["model_folder_warning"]
        assert "film_ids.npy" in warning and "serving the newest version that loads" in warning
        assert not state(restarted).check()  # the damaged current is not tried again
        artifact.save(loaded["b"], root / "served")  # until the folder changes
        assert state(restarted).check() and answer(restarted) == expected(loaded["b"])
        assert restarted.get("/health").json()["model_folder_warning"] is None
    # with no version that loads, the start still fails, naming what is wrong
    for version in layout.versions(root / "served"):
        (version / "film_ids.npy").write_bytes(b"\x93NUMPY damaged")
    with pytest.raises(ArtifactError, match="film_ids.npy"), app_for(root):
        pass


@pytest.mark.filterwarnings("ignore:.*not kept as a version to roll back to")
def test_a_worker_of_several_starts_without_a_model_when_none_loads(
        models: dict[str, Path], tmp_path: Path, loaded: dict[str, Model],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A flat served folder replaced by a half-copied one (``mv``): the running workers
    refuse it and keep serving; one restarted by uvicorn then (a crash, an out-of-memory
    kill) has no version to fall back to. It failed to start, and uvicorn stopped every
    worker of ``serve --workers N``; it now starts without a model, answers 503 saying why,
    and loads the folder once it changes."""
    from service.metrics import MULTIPROC_DIR, SHARED_FLAG

    monkeypatch.setenv(SHARED_FLAG, "1")  # as ``service.server`` sets for --workers N
    monkeypatch.setenv(MULTIPROC_DIR, str(tmp_path / "metrics"))
    (tmp_path / "metrics").mkdir()
    served = tmp_path / "served"
    shutil.copytree(layout.resolve(models["a"]), served)  # the flat layout: no versions
    (served / "film_factors.npy").unlink()
    with app_for(tmp_path) as restarted:
        quiet(restarted)
        health = restarted.get("/health")
        assert health.status_code == 503 and health.headers["Retry-After"] == "5"
        assert "film_factors.npy" in health.json()["detail"]
        assert restarted.get(f"/films/{FILM}/audience").status_code == 503
        assert not state(restarted).check()  # not tried again until the folder changes
        artifact.save(loaded["b"], served)
        assert state(restarted).check() and answer(restarted) == expected(loaded["b"])
        assert restarted.get("/health").json()["model_folder_warning"] is None


def _point_current(served: Path, version: Path) -> None:
    """``ln -sfn`` by hand, in one rename: the rollback an operator makes."""
    tmp = served / "current.new"
    tmp.symlink_to(version.relative_to(served))
    tmp.replace(served / "current")


def test_a_rollback_to_the_served_version_ends_the_warning(
        workers: list[TestClient], root: Path, loaded: dict[str, Model]) -> None:
    """``current`` pointed back by hand at the version a worker serves (after a damaged save,
    or at the one a restarted worker fell back to): /health went on saying the folder's
    current model was refused, though it was the one served, until the next restart."""
    served = root / "served"
    old = layout.resolve(served)
    artifact.save(loaded["b"], served)
    damaged = layout.resolve(served)
    (damaged / "film_ids.npy").write_bytes(b"\x93NUMPY damaged")
    with app_for(root) as restarted:  # falls back to ``old``
        for w in [*workers, restarted]:
            assert not state(w).check()
            assert w.get("/health").json()["model_folder_warning"]
        _point_current(served, old)
        for w in [*workers, restarted]:
            assert not state(w).check()  # nothing to load: ``old`` is served
            assert w.get("/health").json()["model_folder_warning"] is None
            assert answer(w) == expected(loaded["a"])
        _point_current(served, damaged)  # the damaged one again: refused again, and said
        for w in [*workers, restarted]:
            assert not state(w).check()
            assert "film_ids.npy" in w.get("/health").json()["model_folder_warning"]


def test_a_version_of_a_model_folder_is_not_served(root: Path) -> None:
    """``serve MODEL/current`` (or a version): the watcher found no ``current`` there, so a
    new save never reached the workers, and the default campaign store was a new, empty file
    beside each version, removed with it. Refused, naming the folder to serve; the folder
    itself, and a model folder that is merely named ``current``, are served."""
    served = root / "served"
    version = layout.resolve(served)
    for path in (served / "current", version, Path(str(served) + "/./current")):
        with pytest.raises(ValueError, match=f"serve {served}"):
            Settings(model_path=str(path))
    assert Settings(model_path=str(served)).model_path == str(served)
    shutil.copytree(served, root / "inner" / "current", symlinks=True)
    (root / "inner" / "versions").mkdir()
    assert Settings(model_path=str(root / "inner" / "current")).model_path


def test_a_model_copied_to_a_folder_named_current_is_served(root: Path) -> None:
    """A model copied out of its folder under the name ``current`` (``cp -rL MODEL/current
    /srv/current``, a flat model of its own), or any folder named so: its parent has no
    ``versions/``, so it is no version of a model folder (``/srv/current/current`` is what
    was tested, the path itself), and it was refused as one, told to serve ``/srv``."""
    flat = root / "srv" / "current"
    shutil.copytree(layout.resolve(root / "served"), flat)
    assert Settings(model_path=str(flat)).model_path == str(flat)
    (root / "empty" / "current").mkdir(parents=True)  # no model: load says so, not this
    assert Settings(model_path=str(root / "empty" / "current")).model_path
    with pytest.raises(ValueError, match="a version of the model folder"):
        Settings(model_path=str(root / "served" / "current"))


def test_a_link_to_a_version_is_refused_as_the_version(root: Path) -> None:
    """``/srv/model`` linked to ``MODEL/current`` (or to a version, or through a linked
    folder) serves that version as ``MODEL/current`` does: no new save reaches the workers.
    The path as written named no version, so it was served; a link to the model folder
    itself still is."""
    served = root / "served"
    links = root / "links"
    links.mkdir()
    (links / "model").symlink_to(served / "current")
    (links / "pinned").symlink_to(layout.resolve(served))
    (links / "versions").symlink_to(served / "versions")
    (links / "whole").symlink_to(served)
    for path in (links / "model", links / "pinned",
                 links / "versions" / layout.resolve(served).name):
        with pytest.raises(ValueError, match=f"links to\\) a version .*serve {served}"):
            Settings(model_path=str(path))
    assert Settings(model_path=str(links / "whole")).model_path == str(links / "whole")


def test_a_save_between_a_reloads_look_and_its_load_is_not_loaded_again(
        workers: list[TestClient], root: Path, loaded: dict[str, Model],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The admin reload looked at the folder, then loaded it: a save landing between the two
    was served under the stamp of the version before it, so the watcher's next look found
    the folder "changed" and loaded the same version again (a second full load and checksum,
    the caches dropped). The stamp is now the loaded version's."""
    first = state(workers[0])
    load = first.load

    def load_after_a_save(path: str) -> Any:
        monkeypatch.setattr(first, "load", load)
        artifact.save(loaded["b"], root / "served")  # `train --out served` lands here
        return load(path)

    monkeypatch.setattr(first, "load", load_after_a_save)
    r = workers[0].post("/admin/reload", headers={"Authorization": f"Bearer {KEY}"})
    assert r.status_code == 200 and r.json()["model_version"] == loaded["b"].version
    assert answer(workers[0]) == expected(loaded["b"])
    assert not first.check()  # nothing changed since the load
    assert state(workers[1]).check()  # the other worker follows the save, once
    assert not state(workers[1]).check()


def test_a_link_swapped_after_the_routes_check_brings_no_model_from_outside(
        workers: list[TestClient], root: Path, models: dict[str, Path], tmp_path_factory:
        pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """The route checks that model_path lies inside the models root, then the reload publishes
    it (after waiting for the reload lock): a link inside the root swapped in between pointed
    the publish at a model outside the root. The publish checks again as it reads."""
    outside = tmp_path_factory.mktemp("outside")
    shutil.copytree(models["b"], outside / "b", symlinks=True)
    first = state(workers[0])
    reload = first.reload

    def swapped_before_the_publish(path: str | None = None) -> Any:
        link = root / "b" / layout.CURRENT  # inside the root when the route checked it
        link.unlink()
        link.symlink_to(layout.resolve(outside / "b").resolve())
        return reload(path)

    monkeypatch.setattr(first, "reload", swapped_before_the_publish)
    before = layout.resolve(root / "served").resolve()
    r = workers[0].post("/admin/reload", json={"model_path": "b"},
                        headers={"Authorization": f"Bearer {KEY}"})
    assert r.status_code == 409, r.text
    assert "outside the models root" in r.json()["detail"] and str(outside) not in r.text
    assert layout.resolve(root / "served").resolve() == before


def test_a_file_linked_from_outside_the_models_root_is_not_published(
        root: Path, models: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> None:
    outside = tmp_path_factory.mktemp("outside-file")
    version = layout.resolve(root / "b").resolve()
    name = "user_factors.npy"
    shutil.copy(version / name, outside / name)
    (version / name).unlink()
    (version / name).symlink_to(outside / name)
    with pytest.raises(ArtifactError, match="outside the models root"):
        artifact.publish(root / "b", root / "served", within=root.resolve())
    artifact.publish(root / "b", root / "served")  # without a root it is any other model


def test_a_folder_without_checksums_linking_outside_the_models_root_is_not_published(
        root: Path, models: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> None:
    """A model folder whose meta.json records no ``files`` (written before checksums) is
    rewritten by ``save`` from what ``load`` read, not linked file by file: its files, links
    to a model outside the models root, were published with no check."""
    outside = tmp_path_factory.mktemp("outside-legacy")
    shutil.copytree(models["b"], outside / "b", symlinks=True)
    version = layout.resolve(outside / "b").resolve()
    legacy = root / "legacy"
    legacy.mkdir()
    for p in version.iterdir():
        if p.name == artifact.META:
            meta = json.loads(p.read_text(encoding="utf-8"))
            meta.pop(artifact.FILES)
            meta.pop("meta_sha256", None)  # edited: as written before its seal
            (legacy / p.name).write_text(json.dumps(meta), encoding="utf-8")
        else:
            (legacy / p.name).symlink_to(p)
    before = layout.resolve(root / "served").resolve()
    with pytest.raises(ArtifactError, match="outside the models root"):
        artifact.publish(legacy, root / "served", within=root.resolve())
    assert layout.resolve(root / "served").resolve() == before


def test_a_worker_without_a_model_tries_the_folder_again_when_its_files_are_completed(
        models: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker started while the flat folder was half-copied waited for ``meta.json`` to
    change: a copy that completes the folder in place (its ``meta.json`` written first, the
    factors after) never changes it, and the worker answered 503 until restarted, while a
    worker with a model loses nothing by waiting. It tries the folder again, less often
    while it fails. Oracle: the model the completed folder holds."""
    from service.metrics import MULTIPROC_DIR, SHARED_FLAG

    monkeypatch.setenv(SHARED_FLAG, "1")  # as ``service.server`` sets for --workers N
    monkeypatch.setenv(MULTIPROC_DIR, str(tmp_path / "metrics"))
    (tmp_path / "metrics").mkdir()
    served = tmp_path / "served"
    source = layout.resolve(models["a"])
    shutil.copytree(source, served)
    (served / "film_factors.npy").unlink()  # not copied yet
    with app_for(tmp_path) as restarted:
        quiet(restarted)
        assert restarted.get("/health").status_code == 503
        stamp = layout.stamp(served)
        assert not state(restarted).check()  # tried: still half-copied
        shutil.copy2(source / "film_factors.npy", served / "film_factors.npy")
        assert layout.stamp(served) == stamp  # the copy completed: meta.json unchanged
        state(restarted)._retry_at = 0.0  # the wait has passed
        assert state(restarted).check()
        assert restarted.get("/health").status_code == 200
        assert answer(restarted) == expected(artifact.load(served))


def test_a_worker_without_a_model_watches_the_folder_even_at_watch_interval_0(
        models: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With ``RECOMMENDER_WATCH_INTERVAL=0`` (no watching), a worker of several started
    without a model was brought back only by a ``POST /admin/reload`` it happened to take: it
    now looks at the folder every second until a model loads, then stops looking."""
    from service.metrics import MULTIPROC_DIR, SHARED_FLAG

    monkeypatch.setenv(SHARED_FLAG, "1")  # as ``service.server`` sets for --workers N
    monkeypatch.setenv(MULTIPROC_DIR, str(tmp_path / "metrics"))
    (tmp_path / "metrics").mkdir()
    served = tmp_path / "served"
    shutil.copytree(layout.resolve(models["a"]), served)
    (served / "film_factors.npy").unlink()
    with app_for(tmp_path) as restarted:
        assert restarted.get("/health").status_code == 503
        shutil.rmtree(served)
        shutil.copytree(layout.resolve(models["a"]), served)  # a new copy, whole
        deadline = time.monotonic() + 60
        while restarted.get("/health").status_code != 200 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert answer(restarted) == expected(artifact.load(served))
        state(restarted)._watcher.join(timeout=30)  # with a model, it stops watching
        assert not state(restarted)._watcher.is_alive()


def test_a_version_completed_after_a_refusal_reaches_every_worker(
        workers: list[TestClient], root: Path, loaded: dict[str, Model]) -> None:
    """A version whose files are copied in after ``current`` points at it (``meta.json``
    first): a worker that looked while it was half-copied refused it, and since the completed
    copy leaves ``meta.json`` (the stamp) as it was, that worker kept the old model for good
    while a worker that looked after the copy served the new one. Now it tries again (every
    second at first), without counting or logging the refusal again. Oracle: model b."""
    early, late = workers
    source = layout.resolve(root / "b")
    version = root / "served" / "versions" / "000099-copied-by-hand"
    version.mkdir()
    shutil.copy2(source / "meta.json", version / "meta.json")
    link = root / "served" / "current.tmp"
    link.symlink_to(Path("versions") / version.name)
    link.replace(root / "served" / "current")
    assert not state(early).check()  # half-copied: refused
    assert errors_counted(early) == 1.0
    for f in source.iterdir():
        if f.name != "meta.json":
            shutil.copy2(f, version / f.name)
    assert state(late).check()  # looked after the copy
    assert answer(late) == expected(loaded["b"])
    assert not state(early).check()  # not before the wait
    state(early)._retry_at = 0.0  # the wait has passed
    assert state(early).check()
    assert answer(early) == expected(loaded["b"])
    assert early.get("/health").json()["model_folder_warning"] is None
    assert errors_counted(early) == 1.0


def test_an_unknown_film_is_answered_by_the_model_the_request_took(
        root: Path, loaded: dict[str, Model], monkeypatch: pytest.MonkeyPatch) -> None:
    """A 404's titles (``Engine.unknown_film_detail``) came from the engine served when the
    error was answered: after a reload meanwhile, from the new model, while
    ``X-Model-Version`` named the one the request took."""
    from recommender.errors import UnknownFilmError
    from recommender.serving.engine import Engine

    monkeypatch.setattr(Engine, "unknown_film_detail",
                        lambda self, error: f"titles of {self.version}")
    with app_for(root) as client:
        took = state(client).engine

        def reloaded_meanwhile(film_id: str, min_cell: int | None = None) -> Any:
            state(client).reload(str(root / "b"))
            raise UnknownFilmError([film_id])

        monkeypatch.setattr(took, "film_details", reloaded_meanwhile)
        r = client.get("/films/nowhere")
        assert state(client).engine.version == loaded["b"].version  # the reload happened
        assert r.status_code == 404
        assert r.headers["X-Model-Version"] == loaded["a"].version
        assert r.json()["detail"] == f"titles of {loaded['a'].version}"
