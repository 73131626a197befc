"""The versions a model folder keeps, listed, and a rollback to one of them (``rollback``).

A rollback is the README's by ``POST /admin/reload``, without a server: the version rolled back
to is checked as ``load`` checks it (``meta.json``'s seal, then every file's size and SHA-256)
and published as the newest version (``artifact.publish``: its files hard-linked, ``current``
swapped in one rename), so every worker serving the folder loads it at its next look, and the
version it replaced is the one kept to roll back to (a second rollback undoes the first,
unless the version replaced did not load: then ``previous_model_version`` is None and
``replaced_version_damage`` says why, and the newest other model that loads is kept). A
damaged or missing target, a flat folder (one model, no versions) or the current version
itself is refused, naming why, and the folder is left as it was.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from recommender.errors import ArtifactError
from recommender.io.text import iso_shown, whole_text
from recommender.model import artifact, layout


@dataclass(frozen=True)
class Version:
    """One version of a model folder as listed: its folder, what its ``meta.json`` says."""

    folder: Path
    model_version: str | None  # None when meta.json cannot be read
    created: str | None
    current: bool
    whole: bool  # ``artifact.looks_complete``: seal and sizes (``load`` checks the SHA-256)

    @property
    def name(self) -> str:
        return self.folder.name

    @property
    def sequence(self) -> int:
        return int(self.name.split("-", 1)[0])

    def as_dict(self) -> dict[str, Any]:
        return {"version": self.name, "model_version": self.model_version,
                "created": self.created, "current": self.current, "whole": self.whole}


def listed(model: str | os.PathLike[str]) -> list[Version]:
    """The versions of the model folder ``model``, oldest first; ``ArtifactError`` when it is
    no model folder, or a flat one (the layout before versions: one model, none listed)."""
    root = _versioned(model)
    current = os.path.realpath(layout.resolve(root))
    found = []
    for folder in layout.versions(root):
        version, created = _meta_texts(folder, "model_version", "created")
        created = None if created is None else iso_shown(created)  # an older +00:00: as Z
        found.append(Version(folder, version, created, os.path.realpath(folder) == current,
                             artifact.looks_complete(folder)))
    return found


def _versioned(model: str | os.PathLike[str]) -> Path:
    root = Path(model)
    if layout.holder(root) is not None:
        raise ArtifactError(f"{root}: is a version (or the current link) inside the model "
                            f"folder {layout.holder(root)}; name the model folder itself")
    if not root.is_dir():
        raise ArtifactError(f"{root}: no such model folder")
    if not layout.is_versioned(root):
        if (root / artifact.META).is_file():
            raise ArtifactError(f"{root}: a flat model folder (the layout before versions) "
                                "holds one model and no version to roll back to; the next "
                                "save (recommender train --out) turns it into versions")
        raise ArtifactError(f"{root}: not a model folder (no '{layout.CURRENT}')")
    return root


def target(kept: list[Version], to: str | None) -> Version:
    """The version ``to`` names among ``kept`` (its folder name, its sequence number or its
    model version), or without ``to`` the newest one older than the current version: the one
    ``current`` pointed at before (a save, a publish and a rollback each make the version
    they bring in the newest). ``ArtifactError`` saying which there are when none fits."""
    current = next((v for v in kept if v.current), None)
    names = ", ".join(f"{v.name}{' (current)' if v.current else ''}" for v in kept) or "none"
    if to is None:
        if current is None:
            raise ArtifactError(f"'{layout.CURRENT}' points at no kept version; name the one "
                                f"to roll back to with --to (versions: {names})")
        older = [v for v in kept if v.sequence < current.sequence]
        if not older:
            raise ArtifactError(f"no version older than the current one ({current.name}) is "
                                f"kept to roll back to (versions: {names}); name one with --to")
        return older[-1]
    text = to.strip()
    # ASCII digits: isdigit() also took "²" and 5,000 digits, which int() refused (a traceback)
    number = whole_text(text) if text.isascii() and text.isdigit() else None
    matches = [v for v in kept if text in (v.name, v.model_version) or number == v.sequence]
    if len(matches) != 1:
        what = "names no kept version" if not matches else "names more than one version"
        raise ArtifactError(f"--to {to!r} {what} (versions: {names}); give a version's "
                            "folder name, its number or its model version")
    return matches[0]


def rollback(model: str | os.PathLike[str], to: str | None = None) -> dict[str, Any]:
    """Publish the version ``to`` (``target``) of the model folder ``model`` as its newest,
    current version. Returns what changed, as version folder names: ``rolled_back_to`` (the
    version chosen), ``version`` (the new current one) and ``replaced_version`` (the one it
    replaced); as model versions: ``model_version`` (served now) and
    ``previous_model_version`` (served before; ``previous_version`` too, the name
    ``/admin/reload`` answers it by: it sat beside ``version``, a folder name, with no
    folder of its own said), both None when the version replaced does not load (nothing
    served it; ``replaced_version_damage`` says why, else None). ``ArtifactError`` when it
    is refused (a damaged or missing target, a flat folder, the current version): the folder
    is left as it was."""
    root = Path(model)
    kept = listed(root)
    chosen = target(kept, to)
    before = layout.resolve(root)
    if chosen.current:
        raise ArtifactError(f"{chosen.name} is the current version already; nothing to roll "
                            "back")
    if _same_meta(chosen.folder, before):
        raise ArtifactError(f"{chosen.name} holds the model the current version "
                            f"({before.name}) serves already; nothing to roll back")
    damage = _damage(before)  # a damaged current version served nothing: no "was", no undo
    swap: list[list[str | None]] = []

    def swapped(new: Path, previous: Path | None) -> None:  # the folder's lock held
        swap.append([new.name, *_meta_texts(new, "model_version"),
                     previous.name if previous else None,
                     *(_meta_texts(previous, "model_version") if previous else [None])])

    try:  # ``load`` first: the seal, then every file's size and SHA-256
        artifact.publish(chosen.folder, root, on_swap=swapped)
    except ArtifactError as e:
        raise ArtifactError(f"cannot roll back to {chosen.name}: {e}; the model folder is "
                            "unchanged") from None
    except FileNotFoundError:
        # listed, then removed by a save that took the lock first (it keeps the two newest
        # versions): a bare OSError named a meta.json, and the CLI said no output was left
        # half-written
        raise ArtifactError(f"cannot roll back to {chosen.name}: it was removed meanwhile (a "
                            "save or a rollback to the folder since kept the two newest "
                            f"versions); see `recommender info {root} --versions`") from None
    if not swap:  # made current meanwhile (a rollback to it under the lock first)
        raise ArtifactError(f"{chosen.name} holds the model the current version "
                            f"({layout.resolve(root).name}) serves already; nothing to roll back")
    # read as ``current`` was swapped, with the lock held: read after, a save that landed
    # since had removed the version replaced (previous_version None) and was named instead
    version, model_version, replaced, previous = swap[0]
    if damage is not None:  # its meta.json names a model nothing served from it
        previous = None
    return {"model_folder": str(root), "rolled_back_to": chosen.name, "version": version,
            "replaced_version": replaced, "previous_version": previous,
            "model_version": model_version, "previous_model_version": previous,
            "replaced_version_damage": damage}


def _damage(version: Path) -> str | None:
    """Why ``version`` does not load (``load``'s checks: the seal, every file's size and
    SHA-256), else None."""
    try:
        artifact.load(version, mmap=True)
    except ArtifactError as e:
        return str(e)
    except (OSError, ValueError) as e:
        return f"{type(e).__name__}: {e}"
    return None


def _meta_texts(folder: Path, *keys: str) -> list[str | None]:
    """The text values of ``keys`` in ``folder``'s ``meta.json``, each None when it cannot be
    read or is not text."""
    try:
        meta = json.loads((folder / artifact.META).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        meta = None
    meta = meta if isinstance(meta, dict) else {}
    return [v if isinstance(v := meta.get(k), str) else None for k in keys]


def _same_meta(a: Path, b: Path) -> bool:
    try:
        return (a / artifact.META).read_bytes() == (b / artifact.META).read_bytes()
    except OSError:
        return False
