"""The environment variables the commands and ``serve`` read, as their ``--help`` names them.

``serve --help`` named its three options only, while every other setting of the server is a
``RECOMMENDER_*`` variable (``service/settings.py``), and no ``--help`` named
``RECOMMENDER_PROGRESS`` or ``RECOMMENDER_MIN_CELL``, which every command reads. The texts are
written here, not rendered from ``service.settings`` (importing pydantic's settings took 2 s at
every start): ``tests/cli/test_environment_help.py`` keeps the names and defaults equal to the
settings'. ``RECOMMENDER_LOG_USER_IDS``'s is the setting's own (``service.server_logs``, no
pydantic): written here, it said a path's user id only when the query's and the stall
warning's were kept too.
"""

from __future__ import annotations

import argparse
import textwrap
from typing import Any

from recommender.distribution.slate_size import DEFAULT_MAX_SLATE_CELLS
from recommender.model.min_cell import DEFAULT_MIN_CELL
from recommender.query.limits import MAX_COMPARABLE_FILMS
from recommender.query.page_size import SERVED_MAX_K, SERVED_MAX_SEARCH_LIMIT
from service.server_logs import LOG_USER_IDS_SAID

#: (variable without ``RECOMMENDER_``, what it sets with its unit, its default as ``serve`` reads
#: it: ``None`` for a setting unset by default, whose text says what unset means)
SERVE_SETTINGS: tuple[tuple[str, str, str | None], ...] = (
    ("MODEL_PATH", "the model folder (serve's MODEL argument sets it)", None),
    ("ADMIN_KEY", "the key of /admin/* (Authorization: Bearer KEY); unset: those answer 403",
     None),
    ("API_KEY", "the older name of ADMIN_KEY", None),
    ("READ_KEYS", "comma-separated KEY or ID:KEY; set: every data endpoint needs one", None),
    ("WRITE_KEYS", "comma-separated KEY or ID:KEY of the endpoints that write to the campaign "
                   "store", None),
    ("METRICS_KEYS", "comma-separated KEY or ID:KEY; set: /metrics needs one", None),
    ("KEY_FAILURES", "wrong keys (401) one client address may send per window, then its "
                     "requests with a key are 429, per worker (0: no limit)", "20"),
    ("KEY_FAILURE_WINDOW", "seconds over which KEY_FAILURES counts", "60"),
    ("FORWARDED_ALLOW_IPS", "comma-separated addresses or networks of the proxies whose "
                            "X-Forwarded-For names the client ('*': any; blank: none)", ""),
    ("ALLOWED_HOSTS", "comma-separated Host names answered ('*' or blank: any; serve on a "
                      "loopback address sets localhost, 127.0.0.1 and ::1)", ""),
    ("CORS_ORIGINS", "comma-separated origins (scheme://host[:port]) whose web pages may "
                     "call the API from a browser ('*': any, with read or write keys set; "
                     "blank: none, the Studio being the server's own page)", ""),
    ("MODELS_ROOT", "the folder a reload's model_path must be inside; unset: a reload names "
                    "none", None),
    ("ACCESS_LOG", "JSON-lines file recording every export; unset: none kept", None),
    ("LOG_USER_IDS", LOG_USER_IDS_SAID, "false"),
    ("PSEUDONYM_KEY", "HMAC key of pseudonymised exports (at least 16 bytes)", None),
    ("CINEMAS", "cinemas.csv capping screens; unset: the model folder's, else the training "
                "data's", None),
    ("STORE", "campaign store URL (sqlite:///..., postgresql://...) or SQLite file; unset: "
              "MODEL.campaigns.db beside the model folder", None),
    ("STORE_POOL_SIZE", "store connections kept open per worker", "5"),
    ("STORE_POOL_OVERFLOW", "store connections a worker may open beyond them at a peak", "10"),
    ("STORE_POOL_TIMEOUT", "seconds a request waits for a store connection (then 503)", "30"),
    ("EVENTS_MAX_BATCH", "most events in one POST /events", "10000"),
    ("EVENTS_POLL", "seconds between two looks at the store's new events (0: never)", "0.25"),
    ("MAX_K", "largest k (page size, users or films; the CLI's answers keep to it too)",
     str(SERVED_MAX_K)),
    ("MAX_SEARCH_LIMIT", "largest limit of GET /films (films; search --limit keeps to it too)",
     str(SERVED_MAX_SEARCH_LIMIT)),
    ("MAX_SEED_USERS", "longest lookalike seed list (users)", "100000"),
    ("MAX_COMPARABLE_FILMS", "longest comparable film list of a new film (cold start; "
                             "cold-start and distribution --like keep to it too)",
     str(MAX_COMPARABLE_FILMS)),
    ("MAX_SLATE_CELLS", "largest slate POST /distribution/slate allocates (cinemas x films; "
                        "more: 422)", str(DEFAULT_MAX_SLATE_CELLS)),
    ("CACHE_MB", "megabytes of cached audience rankings (and half as much again for "
                 "rendered bodies)", "128"),
    ("CACHE_DEPTH", "users kept per cached film ranking", "256"),
    ("WARM_CACHE", "rank the most-watched films' audiences after a (re)load (true or false)",
     "true"),
    ("FAST_PATH", "answer plain audience pages and recommendation lists without FastAPI's "
                  "routing, the same bytes (true or false)", "true"),
    ("BLAS_THREADS", "BLAS threads per worker (0: the library's default)", "1"),
    ("MIN_CELL", "minimum cell size (users): no segment, portrait cell or place of fewer is "
                 "described", str(DEFAULT_MIN_CELL)),
    ("MAX_BATCH", "most audience (or recommendation) requests scored in one matrix product",
     "32"),
    ("WATCH_INTERVAL", "seconds between two looks at the model folder for a new version (0: "
                       "never)", "0.5"),
    ("MAX_IN_FLIGHT", "scoring requests one worker runs at once, then 503 (0: no bound)",
     "256"),
    ("MAX_BODY_BYTES", "largest request body (bytes), then 413", "8388608"),
    ("TIMEOUT_REQUEST_BODY", "seconds a request body may take to arrive, plus one per 16 KiB "
                             "received, then 408", "30"),
    ("TIMEOUT_REQUEST_HEAD", "seconds a client may take to send a request's head", "10"),
    ("TIMEOUT_KEEP_ALIVE", "whole seconds an idle keep-alive connection stays open", "5"),
    ("TIMEOUT_RESPONSE_STALL", "seconds a response may wait on a client that stopped reading "
                               "it", "60"),
    ("WORKER_START_TIMEOUT", "whole seconds a worker of --workers N may take to answer "
                             "uvicorn's health check (starting, or busy) before it is replaced",
     "60"),
)



def _items(items: list[str]) -> str:
    """Each item its own paragraph, wrapped to 79 columns, continued four spaces in."""
    return "\n".join(textwrap.fill(item, 79, subsequent_indent="    ") for item in items)


SERVE_EPILOG = _items([
    "Every other setting is an environment variable, read at start: a value out of range, "
    "or a RECOMMENDER_* name that nearly names one, stops serve with exit 2 naming the "
    "variable (README: HTTP API, Security).", ""] + [
    f"RECOMMENDER_{name}: {what}" + (f" (default {default or 'blank'})"
                                     if default is not None else "")
    for name, what, default in SERVE_SETTINGS] + [
    "RECOMMENDER_PROGRESS: as for every command (recommender --help)"])

#: the variables the commands themselves read (``recommender --help``)
COMMAND_EPILOG = _items([
    "environment:",
    "RECOMMENDER_PROGRESS: auto (the default: progress on stderr when it is a terminal), "
    "always or never",
    "RECOMMENDER_MIN_CELL: the minimum cell size (users): no segment listed (training "
    "merges smaller ones), summary cell or place shown holds fewer (default "
    f"{DEFAULT_MIN_CELL})",
    "RECOMMENDER_MAX_SLATE_CELLS: the largest slate distribution --slate allocates "
    f"(cinemas x films, default {DEFAULT_MAX_SLATE_CELLS}; more: exit 2 before any work)",
    "RECOMMENDER_MAX_K: the largest page (-k) of an answer that HTTP also gives (audience, "
    f"similar, lookalike, cold-start, recommend --user or --watched; default {SERVED_MAX_K}, "
    "as serve's): exports (audiences, recommend --out) take any k, one above the candidates "
    "listing them all (audiences --engine spark: at most 100000)",
    "RECOMMENDER_MAX_SEARCH_LIMIT: the largest search --limit (films; default "
    f"{SERVED_MAX_SEARCH_LIMIT}, as serve's GET /films)",
    "RECOMMENDER_MAX_COMPARABLE_FILMS: the most films cold-start and distribution --like may "
    f"name (default {MAX_COMPARABLE_FILMS}, as serve's cold-start bodies)",
    "RECOMMENDER_STORE, RECOMMENDER_CINEMAS, RECOMMENDER_PSEUDONYM_KEY: the campaign store, "
    "the cinema table and the pseudonym key when none is given (each command's --help)",
    "A value RECOMMENDER_PROGRESS or RECOMMENDER_MIN_CELL does not take stops any command "
    "before its work, exit 2, and so does a RECOMMENDER_STORE that is no store URL or file "
    "where the command reads it. `serve --help` lists the server's settings."])

_RAW = argparse.RawDescriptionHelpFormatter  # the items above as they are laid out
#: the parser's own keywords: the top level's, and each sub-command's that has an epilog
TOP = {"epilog": COMMAND_EPILOG, "formatter_class": _RAW}
EPILOGS: dict[str, dict[str, Any]] = {"serve": {"epilog": SERVE_EPILOG, "formatter_class": _RAW}}
