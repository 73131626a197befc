"""The README's rollback (section "The model folder"): ``POST /admin/reload`` naming the served
folder's previous version publishes it as the newest version, every worker then answers with its
``X-Model-Version``, and the version it replaced is the one kept to roll back to.

Oracle: the versions listed on disk, the ``model_version`` in each version's ``meta.json`` as
read with the json module, and the header of each worker's answers."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi.testclient import TestClient
from pydantic import SecretStr
from service_fixtures import build_model

from recommender.model import artifact, layout
from service.app import create_app
from service.settings import Settings

KEY = "admin-key-for-rollbacks"


def _app(root: Path) -> TestClient:
    return TestClient(create_app(Settings(
        model_path=str(root / "served"), admin_key=SecretStr(KEY), models_root=str(root),
        warm_cache=False, watch_interval=0)))


def _versions(folder: Path) -> dict[str, str]:
    """{version folder name: model_version of its meta.json}."""
    return {p.name: json.loads((p / "meta.json").read_text(encoding="utf-8"))["model_version"]
            for p in sorted((folder / "versions").iterdir()) if not p.name.startswith(".")}


def test_a_reload_naming_the_previous_version_rolls_back(tmp_path: Path) -> None:
    first, second = build_model(0), build_model(1)
    assert first.version != second.version
    served = tmp_path / "served"
    artifact.save(first, served)
    artifact.save(second, served)
    previous = next(name for name, v in _versions(served).items() if v == first.version)
    with _app(tmp_path) as one, _app(tmp_path) as two:
        assert one.get("/health").headers["X-Model-Version"] == second.version
        r = one.post("/admin/reload", json={"model_path": f"served/versions/{previous}"},
                     headers={"Authorization": f"Bearer {KEY}"})
        assert r.status_code == 200, r.text
        assert r.json()["previous_version"] == second.version
        assert r.headers["X-Model-Version"] == first.version
        # on disk: the rolled-back model is the current (newest) version, the one it replaced
        # is kept to roll back to, and nothing else
        kept = _versions(served)
        current = layout.resolve(served).name
        assert kept[current] == first.version and sorted(kept.values()) == sorted(
            [first.version, second.version])
        assert current == max(kept)
        # the other worker follows at its next look
        assert two.app.state.service.check()  # type: ignore[attr-defined]
        assert two.get("/health").headers["X-Model-Version"] == first.version
    with _app(tmp_path) as restarted:  # and a restart serves it
        assert restarted.get("/health").headers["X-Model-Version"] == first.version
