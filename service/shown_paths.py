"""Server paths as a caller is shown them: in full to the admin key, else relative to the root.

``/health`` named the served folder (``model.path``) and the training data's file
(``model.data_source``) to any read key, while a refused reload's 409 shows
``<models root>/...`` (:func:`redact`). The full paths now go to the admin key only (a server
with no admin key shows them to no caller, a server with no key at all included); to
anyone else a path inside ``RECOMMENDER_MODELS_ROOT`` is ``<models root>/...``, the served
folder outside it is null and the data is its last name (what Audience Studio shows), its
campaign store's URL left out.
"""

from __future__ import annotations

import re
from pathlib import Path, PurePath
from typing import Any

from fastapi import Request

from service.auth import presented_keys

ROOT_SHOWN = "<models root>"
#: ``data.source`` of a model trained with the store's events (campaigns.training_events)
_EVENTS = re.compile(r" \+ (\d+) events from .*$", re.S)


def redact(message: str, target: str | None, root: str | None) -> str:
    """``message`` with the reloaded folder shown relative to the models root (or as "the
    served model folder" when it is outside it), so no server path outside the root leaks."""
    base = _base(root)
    if target:
        inside = base is not None and Path(target).is_relative_to(base)
        shown = (f"{ROOT_SHOWN}/" + str(Path(target).relative_to(base)) if inside and base
                 else "the served model folder")
        message = message.replace(str(target), shown)
    if base is not None and base != Path(base.anchor):
        message = message.replace(str(base) + "/", f"{ROOT_SHOWN}/")
    return message


def sees_paths(request: Request) -> bool:
    """Whether ``request`` is shown server paths in full: the server has an admin key and the
    request carries it. A server with no key at all showed them to every caller (each holds
    every role there), which put its folders in the answer of any port scan that found it."""
    _read, _write, admin = request.app.state.key_rings
    return bool(admin) and any(admin.match(key) is not None
               for key in presented_keys(request.scope.get("headers", [])))


def shown_folder(path: str, root: str | None) -> str | None:
    """The served folder ``path`` as ``<models root>/...`` when it is inside the models root
    (as given or with its links followed), else None."""
    base = _base(root)
    if base is None:
        return None
    for candidate in (Path(path), Path(path).resolve()):
        if candidate.is_relative_to(base):
            rest = candidate.relative_to(base).as_posix()
            return ROOT_SHOWN if rest == "." else f"{ROOT_SHOWN}/{rest}"
    return None


def shown_source(source: str | None, root: str | None, counted: bool = True) -> str | None:
    """``data.source`` without its folders: inside the models root as ``<models root>/...``,
    else its last name (``/srv/data/ratings.csv``: ``ratings.csv``), and the campaign store's
    events counted without the store's URL (``ratings.csv + 12 events``), or with ``counted``
    False named without their number (``ratings.csv + campaign events``: every key's, not a
    partner's to read, ``service/event_views.py``)."""
    if not source:
        return source
    events = _EVENTS.search(source)
    path = source[:events.start()] if events else source
    inside = shown_folder(path, root) if Path(path).is_absolute() else None
    name = inside or PurePath(path.replace("\\", "/").rstrip("/")).name or path
    if events is None:
        return name
    return name + (f" + {events.group(1)} events" if counted else " + campaign events")


def path_details(details: dict[str, Any], request: Request, counted: bool = True
                 ) -> dict[str, Any]:
    """``/health``'s ``model`` (``model_info`` and ``path``) as ``request`` is shown it (the
    store's events in ``data_source`` counted, unless ``counted`` is False)."""
    if sees_paths(request):
        return details
    root = request.app.state.service.settings.models_root
    return {**details, "path": shown_folder(details["path"], root),
            "data_source": shown_source(details.get("data_source"), root, counted)}


def shown_warning(message: str | None, request: Request) -> str | None:
    """A model-folder warning as ``request`` is shown it: the served folder, the folder a
    refused reload named and the models root named as :func:`redact` names them, unless it
    sees paths (then in full, as README's Models root says)."""
    if message is None or sees_paths(request):
        return message
    service = request.app.state.service
    root = service.settings.models_root
    folders = (getattr(service, "refused_folder", None), service.model_path,
               getattr(service.engine, "path", None))
    for served in filter(None, folders):
        for form in dict.fromkeys((str(Path(served).resolve()), str(served))):
            message = redact(message, form, root)
    return message


def _base(root: str | None) -> Path | None:
    return Path(root).expanduser().resolve() if root else None
