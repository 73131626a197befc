"""The campaign store a model's service opens by default: ``<MODEL>.campaigns.db`` beside it.

``serve MODEL`` without ``RECOMMENDER_STORE`` opens (and creates) the SQLite file beside the
served model folder (``service.routes.campaigns.store_target``); the commands that answer from a
model (``audience MODEL``, ``recommend``, ``summary``...) without ``--store`` and without the
variable read that same file when it exists, never creating it, so that their ``--json`` is the
body of that service. Both ask ``store_beside``: the CLI read no store at all there, and listed
as an audience users the server knew had watched the film (events POSTed to it).
"""

from __future__ import annotations

from pathlib import Path


def store_beside(model: str) -> tuple[Path, Path | None]:
    """The SQLite store beside the served folder ``model`` as served, its links kept (``serve``
    keeps them, so that a link swapped to another model is followed: resolved, a worker
    started after the swap opened the store beside the new target while the others kept the
    old one's), and the one beside the folder it links to where that one exists and the
    first does not (a server before links were kept made it there), else None."""
    folder = Path(model).expanduser().absolute()
    if folder.name == "..":  # no name of its own (``serve ..``): the folder it reads as
        folder = folder.resolve()  # (kept, the store was ``...campaigns.db`` inside it)
    target = folder.with_name(folder.name + ".campaigns.db")
    real = Path(model).expanduser().resolve()
    linked = real.with_name(real.name + ".campaigns.db")
    return target, (linked if linked != target and linked.exists() and not target.exists()
                    else None)


def default_store(model: str) -> Path:
    """The SQLite file ``serve MODEL`` opens as its campaign store when ``RECOMMENDER_STORE``
    is unset or empty (it creates the file where it can: ``store_beside``)."""
    return store_beside(model)[0]


def existing_default_store(model: str) -> Path | None:
    """``default_store(model)`` when that file exists (a reader's default), else None: a
    reader never creates it, and a file not there yet holds no event."""
    target = default_store(model)
    return target if target.is_file() else None
