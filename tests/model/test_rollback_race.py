"""``versions.rollback`` racing a save to the same folder (``train --out``): a save that lands
between the rollback's choice of its version and its lock removes that version (beyond the two
kept); the rollback is then refused as an ``ArtifactError`` naming the version and why, the
save's model left serving (it escaped as a bare ``FileNotFoundError`` naming a ``meta.json``,
which the CLI printed as "no output was left half-written").

Oracle: each version's ``model_version`` read from its ``meta.json`` with the json module, and
the link ``current`` read with ``os``."""

from __future__ import annotations

import json
import os
from contextlib import AbstractContextManager
from pathlib import Path

import pytest
from helpers import synthetic_model

from recommender.errors import ArtifactError
from recommender.model import artifact, layout, versions
from recommender.model.model import Model


def tiny(version: str, seed: int) -> Model:
    m = synthetic_model(n_users=40, n_films=10, seed=seed)
    m.meta["model_version"] = version
    return m


def test_a_save_removing_the_version_meanwhile_refuses_the_rollback(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "m"
    for i, name in enumerate(("one", "two")):
        artifact.save(tiny(name, i), root)
    real = layout._locked
    saved: list[str] = []

    def save_first(r: Path) -> AbstractContextManager[None]:
        if not saved:  # a train --out takes the lock just before the rollback's publish
            saved.append("three")
            artifact.save(tiny("three", 3), root)
        return real(r)

    monkeypatch.setattr(layout, "_locked", save_first)
    with pytest.raises(ArtifactError) as refused:
        versions.rollback(root)
    message = str(refused.value)
    assert "000001-one" in message and "removed" in message, message
    kept = {p.name: json.loads((p / "meta.json").read_text())["model_version"]
            for p in (root / "versions").iterdir()}
    assert kept == {"000002-two": "two", "000003-three": "three"}
    assert os.readlink(root / "current") == "versions/000003-three"
    assert artifact.load(root).version == "three"
