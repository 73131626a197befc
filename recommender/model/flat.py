"""The flat layout (a model's files directly in ``MODEL``, before versions), for a save over one.

``files`` names what the flat model's files are (removed once ``current`` exists), and ``label``
whether it can be kept as the folder's first version (``layout.new_version``): a migration
left no version to roll back to before, so the model served until then was gone for good.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

from recommender.model import fitted


def _own_meta(root: Path) -> dict[str, Any]:
    """The flat model's own ``meta.json`` in ``root`` (its arrays beside it), not the current
    version's (linked there, or copied by ``cp -rL``); {} when there is none."""
    from recommender.model.artifact import META, REQUIRED

    try:
        own = None if (root / META).is_symlink() or not (root / REQUIRED[0]).is_file() else (
            json.loads((root / META).read_text(encoding="utf-8")))
    except (OSError, ValueError):
        own = None
    return own if isinstance(own, dict) else {}


def files(root: Path) -> list[str]:
    """The files of the flat layout in ``root``, meta.json first: the required ones, the
    optional arrays and all its own ``meta.json`` lists (a migration left those behind, and a
    later version without a cinema table read the flat ``cinemas.csv`` as one copied in)."""
    from recommender.model.artifact import FILES, META, PRIOR, PROJECTION, REQUIRED

    own = _own_meta(root).get(FILES)
    names = [*REQUIRED, *sorted(p.name for p in root.glob("user_attr_*.npy")), f"{PROJECTION}.npy",
             f"{PRIOR}.npy", *fitted.FILES, *(own if isinstance(own, dict) else ())]
    return [META, *dict.fromkeys(n for n in names if isinstance(n, str) and Path(n).name == n)]


def label(root: Path) -> str | None:
    """The name the flat model of ``root`` is kept under as a version (its model version), or
    None when it cannot be kept cheaply and safely: no flat model, or one written before
    checksums (nothing to check its files against; ``layout`` keeps one with checksums only
    if it looks complete, ``artifact.looks_complete``)."""
    from recommender.model.artifact import FILES

    own = _own_meta(root)
    version = own.get("model_version")
    return (version if isinstance(version, str) and version else "flat") if isinstance(
        own.get(FILES), dict) else None


def not_kept(root: Path, why: str) -> None:
    """Warn that the flat model of ``root`` is not kept as a version to roll back to (the save
    goes on: the folder's only version is the new one)."""
    warnings.warn(f"{root}: the flat model it held is not kept as a version to roll back to: "
                  f"{why}; the saved model is the folder's only version", stacklevel=3)
