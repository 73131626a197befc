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


def _served(root: Path) -> tuple[str, str]:
    """The version ``current`` names and its model version, read with ``os`` and json."""
    name = os.path.basename(os.readlink(root / "current"))
    return name, json.loads((root / "versions" / name / "meta.json").read_text())[
        "model_version"]


def test_a_save_right_after_the_swap_leaves_the_answer_true(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A save that lands once the rollback released the lock removes the version the rollback
    replaced (two kept): ``previous_version`` was None, and ``version`` and ``model_version``
    named the save's model, which the rollback never served."""
    root = tmp_path / "m"
    for i, name in enumerate(("one", "two")):
        artifact.save(tiny(name, i), root)
    replaced = _served(root)[1]
    real, after = artifact.publish, {}

    def then_a_save(*args: object, **kwargs: object) -> Path:
        out = real(*args, **kwargs)  # type: ignore[arg-type]
        after["served"] = _served(root)  # what the rollback put in place
        artifact.save(tiny("four", 4), root)  # a train --out, before the answer is made
        return out

    monkeypatch.setattr(artifact, "publish", then_a_save)
    done = versions.rollback(root, "one")
    version, model_version = after["served"]
    assert (done["version"], done["model_version"]) == (version, model_version)
    assert model_version == "one" and done["previous_version"] == replaced == "two"
    assert _served(root)[1] == "four"  # the save's model serves now, as it should


def test_a_save_before_the_lock_is_the_version_replaced(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A save (keeping three) that takes the folder's lock after the rollback looked at
    ``current``: the rollback replaces the save's version, and said it replaced the one
    before it."""
    root = tmp_path / "m"
    for i, name in enumerate(("one", "two")):
        artifact.save(tiny(name, i), root)
    real = layout._locked
    current: list[tuple[str, str]] = []

    def save_first(r: Path) -> AbstractContextManager[None]:
        if not current:
            current.append(("", ""))
            artifact.save(tiny("three", 3), root, keep=3)
            current[0] = _served(root)  # what the rollback's lock finds current
        return real(r)

    monkeypatch.setattr(layout, "_locked", save_first)
    done = versions.rollback(root, "one")
    assert current[0][1] == "three"
    assert done["previous_version"] == current[0][1]
    assert (done["version"], done["model_version"]) == _served(root) and \
        done["model_version"] == "one"

