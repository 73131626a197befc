"""The server's logging: uvicorn's configuration, the engine's lines, no key in an access line.

``log_config`` is what ``serve`` hands uvicorn: its own handlers, one for the ``recommender``
loggers (time, level, worker pid), and ``HideKeys`` on the access log, which also writes a user
id in a path or a query as ``{user_id}`` unless ``RECOMMENDER_LOG_USER_IDS`` keeps it.

The filter reads the line's own target, whatever the answer and the method: a request refused
before routing (no key or a wrong one, 401; a Host not answered, 400) and one no layer
rewrote (a ``HEAD``, a repeated ``user_id``) keep the target as the client sent it, so
``/user/recommendations?user_id=ID`` (``service/raw_ids.py``'s query form) is hidden here, not
by its rewrite to ``/users/ID/recommendations``.
"""

from __future__ import annotations

import copy
import logging
import re
from typing import Any
from urllib.parse import unquote, unquote_plus

#: the engine's own log lines (reloads, refused versions, the events overlay): uvicorn's
#: configuration, plus a time, a level and the worker's pid for them
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(process)d]: %(message)s"


def log_config(user_ids: bool = False) -> dict[str, Any]:
    """uvicorn's logging configuration with a handler for the ``recommender`` loggers (they
    went to Python's last-resort handler: warnings only, with no time or level); ``user_ids``
    (``RECOMMENDER_LOG_USER_IDS``): the access lines keep the user ids of paths."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["formatters"]["recommender"] = {"format": LOG_FORMAT}
    config["handlers"]["recommender"] = {"formatter": "recommender",
                                         "class": "logging.StreamHandler",
                                         "stream": "ext://sys.stderr"}
    config["loggers"]["recommender"] = {"handlers": ["recommender"], "level": "INFO",
                                        "propagate": False}
    config.setdefault("filters", {})["keys"] = {"()": "service.server_logs.HideKeys",
                                               "user_ids": user_ids}
    config["handlers"]["access"]["filters"] = ["keys"]
    return dict(config)


#: what ``RECOMMENDER_LOG_USER_IDS`` sets: the setting's description (``service/settings.py``)
#: and ``serve --help``'s (``recommender/cli/environment_help.py``), one text
LOG_USER_IDS_SAID = ("true: the access lines serve prints keep the user ids of a path or a "
                     "query (GET /users/u1/recommendations, ?user_id=u1), and its warning of a "
                     "response cut for stalling those of a path; false: written {user_id} "
                     "(service/server_logs.py; README, Erasure)")


#: a query parameter named like a credential (its name percent-decoded: ``api%5Fkey``,
#: ``%6Bey``); ``auth``, ``bearer`` and ``credentials`` too (``?auth=KEY`` was logged)
_KEY_NAME = re.compile(r"key|token|secret|passw|pwd|auth|bearer|credential", re.IGNORECASE)


#: a query parameter whose value is or holds user ids (its name percent-decoded, any case,
#: ``_``, ``-``, ``.`` or nothing between its words, ``[]`` after): ``user_id``
#: (``GET /user/recommendations?user_id=ID``; on any other path too, where it is refused but
#: logged), ``user_ids``, ``users``, ``seed_user_ids``, ``seed_users``, ``seeds``,
#: ``exclude_user_ids`` (the API's names of user ids, in its bodies); a value ``NAME=...``
#: (``filter=user_id=ID``) with such a name too. Names only: ``filter=usergroup=b2b`` and
#: ``user_type=premium`` (users.csv attributes) are no user ids, and were hidden by a rule of
#: any name holding "user" or "seed". No documented route takes one in its query
#: (``/openapi.json``): the undocumented query form and whatever a client sends are hidden.
_USER_NAME = re.compile(r"(?:(?:seed|exclude)[_.-]?)?(?:user[_.-]?ids?|users?)|seeds?"
                        r"|seed[_.-]?ids?", re.IGNORECASE)
_LIST_MARK = re.compile(r"(?:\[[^\]]*\])+$")  # user_ids[] and user_ids[0]: one list's items


def _user_name(name: str) -> bool:
    """Whether ``name`` (decoded) is one that carries user ids (``_USER_NAME``)."""
    return _USER_NAME.fullmatch(_LIST_MARK.sub("", name.strip()).strip()) is not None


def _holds_user_ids(name: str, value: str) -> bool:
    """Whether a query parameter ``name=value`` (as sent) carries user ids: by its name, or a
    value ``NAME=...`` whose name is one (``_user_name``)."""
    inner, eq, _ = unquote_plus(value).partition("=")
    return _user_name(unquote_plus(name)) or bool(eq and _user_name(inner))


def hide_key_values(query: str, user_ids: bool = True) -> str:
    """``query`` with the value of every parameter named like a key shown as ``***`` and,
    unless ``user_ids``, that of every parameter carrying user ids as ``{user_id}``."""
    parts = []
    for part in query.split("&"):
        name, eq, value = part.partition("=")
        if eq and _KEY_NAME.search(unquote_plus(name)):
            part = f"{name}=***"
        elif eq and not user_ids and _holds_user_ids(name, value):
            part = f"{name}={USER_ID_SHOWN}"
        parts.append(part)
    return "&".join(parts)


#: a path holding a user id, percent-decoded as the router reads it: ``/users/{user_id:path}/
#: recommendations`` (service/routes/users.py, the one route with a user id in its path), and
#: any other path under ``/users/`` but ``/users/attributes`` (a 404 or a redirect's line held
#: the id all the same); an absolute target's scheme and host, and repeated slashes, included
_USER_PATH = re.compile(r"^(?:[A-Za-z][A-Za-z0-9+.-]*://[^/]*)?/+users/+(?P<id>.+?)"
                        r"(?P<tail>/+recommendations/*)?$", re.DOTALL)
#: what an access line shows in place of a user id
USER_ID_SHOWN = "{user_id}"


def hide_user_id(path: str) -> str:
    """``path`` (an access line's, without its query) with a user id it holds written
    ``{user_id}``: ``/users/{user_id}/recommendations``; any other path as it is."""
    found = _USER_PATH.match(unquote(path))
    if found is None or (found["id"].rstrip("/") == "attributes" and not found["tail"]):
        return path
    return f"/users/{USER_ID_SHOWN}{'/recommendations' if found['tail'] else ''}"


class HideKeys(logging.Filter):
    """uvicorn's access line without the value of a query parameter named like a key (a
    client that sent ``?api_key=...``: never accepted, but the line kept it in the log), and,
    unless ``user_ids``, without the user id of a path (``hide_user_id``) or a query
    (``hide_key_values``): the erasure checklist's request log; README, "Erasure (right to be
    forgotten)"."""

    def __init__(self, user_ids: bool = False) -> None:
        super().__init__()
        self.user_ids = user_ids

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            path, mark, query = args[2].partition("?")
            if not self.user_ids:
                path = hide_user_id(path)
            shown = f"{path}?{hide_key_values(query, self.user_ids)}" if mark else path
            record.args = (*args[:2], shown, *args[3:])
        return True
