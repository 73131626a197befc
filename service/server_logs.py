"""The server's logging: uvicorn's configuration, the engine's lines, no key in an access line.

``log_config`` is what ``serve`` hands uvicorn: its own handlers, one for the ``recommender``
loggers (time, level, worker pid), and ``HideKeys`` on the access log.
"""

from __future__ import annotations

import copy
import logging
import re
from typing import Any
from urllib.parse import unquote_plus

#: the engine's own log lines (reloads, refused versions, the events overlay): uvicorn's
#: configuration, plus a time, a level and the worker's pid for them
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(process)d]: %(message)s"


def log_config() -> dict[str, Any]:
    """uvicorn's logging configuration with a handler for the ``recommender`` loggers (they
    went to Python's last-resort handler: warnings only, with no time or level)."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["formatters"]["recommender"] = {"format": LOG_FORMAT}
    config["handlers"]["recommender"] = {"formatter": "recommender",
                                         "class": "logging.StreamHandler",
                                         "stream": "ext://sys.stderr"}
    config["loggers"]["recommender"] = {"handlers": ["recommender"], "level": "INFO",
                                        "propagate": False}
    config.setdefault("filters", {})["keys"] = {"()": "service.server_logs.HideKeys"}
    config["handlers"]["access"]["filters"] = ["keys"]
    return dict(config)


#: a query parameter named like a credential (its name percent-decoded: ``api%5Fkey``,
#: ``%6Bey``); ``auth``, ``bearer`` and ``credentials`` too (``?auth=KEY`` was logged)
_KEY_NAME = re.compile(r"key|token|secret|passw|pwd|auth|bearer|credential", re.IGNORECASE)


def hide_key_values(query: str) -> str:
    """``query`` with the value of every parameter named like a key shown as ``***``."""
    parts = []
    for part in query.split("&"):
        name, eq, _ = part.partition("=")
        parts.append(f"{name}=***" if eq and _KEY_NAME.search(unquote_plus(name)) else part)
    return "&".join(parts)


class HideKeys(logging.Filter):
    """uvicorn's access line without the value of a query parameter named like a key (a
    client that sent ``?api_key=...``: never accepted, but the line kept it in the log)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str) \
                and "?" in args[2]:
            path, _, query = args[2].partition("?")
            hidden = hide_key_values(query)
            record.args = (*args[:2], f"{path}?{hidden}", *args[3:])
        return True
