"""The export log: who downloaded which list of people, when, and how much of it.

Every route that hands out a list of users calls :func:`record_export` before answering: a
film's audience (JSON page, also when ``service/fastpath.py`` answers it, and CSV), lookalike
and cold-start audiences, and a stored plan's rows (``plan.csv``). A record names the caller
by key id (the id of the read key it presented, ``admin`` for the admin key, ``anonymous``
when no read keys are configured), never by the key; what (method and route, film, the
parameters that decide the rows: ``k``, ``offset``, filters, ring ...; whether ids were
pseudonymised; how many rows, counted before the answer is sent); and when (UTC, ISO 8601).

Records go to an :class:`ExportLog`: :class:`JsonLinesLog` appends one JSON object per line
to the file named by ``RECOMMENDER_ACCESS_LOG`` (each record one ``write`` on a file opened
with ``O_APPEND``, so several workers can share the file; created ``0o600``). Without that
setting nothing is recorded (:class:`NoLog`). A campaign store can hold the same records
later by implementing ``record``. If the log cannot be written the export is refused (503):
an export that cannot be accounted for does not happen.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import re
import threading
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from fastapi import HTTPException, Request

from recommender.errors import InvalidParameterError
from recommender.query.pseudonym import check_key
from service.head import HEAD
from service.settings import Settings

ANONYMOUS = "anonymous"
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ExportRecord:
    """One export: ``time`` (UTC, ISO 8601), ``key_id``, ``endpoint`` ("GET /route/{x}"),
    ``film_id`` (or None), ``params`` (what decides the rows), ``rows`` written (None when
    streamed: not known before the answer starts), ``pseudonymized``."""

    time: str
    key_id: str
    endpoint: str
    film_id: str | None
    params: dict[str, Any] = field(default_factory=dict)
    rows: int | None = None
    pseudonymized: bool = False

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class ExportLog(Protocol):
    def record(self, record: ExportRecord) -> None: ...


class NoLog:
    """Records nothing (``RECOMMENDER_ACCESS_LOG`` unset)."""

    def record(self, record: ExportRecord) -> None:
        return None


class JsonLinesLog:
    """Appends each record as one JSON line to ``path``."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._lock = threading.Lock()

    def record(self, record: ExportRecord) -> None:
        line = (json.dumps(record.to_json(), ensure_ascii=False, separators=(",", ":"))
                + "\n").encode("utf-8")
        with self._lock:
            fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                locked = _lock_file(fd)  # the workers share the file: one record at a time
                size = os.fstat(fd).st_size
                if size and os.pread(fd, 1, size - 1) != b"\n":
                    line = b"\n" + line  # after a record cut short: this one on its own line
                written = os.write(fd, line)
                if written != len(line):  # a full disk takes part of a record, silently
                    if locked:  # taken back: the part stayed, a line no JSON reader reads
                        os.ftruncate(fd, size)
                    raise OSError(errno.ENOSPC, f"the export log took {written} of the "
                                  f"{len(line)} bytes of a record", self.path)
            finally:
                os.close(fd)


def _lock_file(fd: int) -> bool:
    """Hold ``fd``'s file exclusively until it is closed (``flock``); False where there is
    no ``flock``."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not on Linux
        return False
    fcntl.flock(fd, fcntl.LOCK_EX)
    return True


def export_log(path: str | None) -> ExportLog:
    return JsonLinesLog(path) if path else NoLog()


def endpoint_name(method: str, route_path: str) -> str:
    """``GET /films/{film_id}/audience`` from a route's path (converters dropped)."""
    return f"{method} " + re.sub(r"\{(\w+):\w+\}", r"{\1}", route_path)


def write_record(log: ExportLog, *, key_id: str, endpoint: str, film_id: str | None,
                 rows: int | None, pseudonymized: bool, params: dict[str, Any]
                 ) -> ExportRecord:
    """Build a record stamped now and write it to ``log`` (``OSError`` when it cannot)."""
    record = ExportRecord(
        time=datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        key_id=key_id, endpoint=endpoint, film_id=film_id,
        params={k: v for k, v in params.items() if v is not None}, rows=rows,
        pseudonymized=pseudonymized)
    log.record(record)
    return record


def active_log(app: Any) -> ExportLog | None:
    """The app's export log, or None when nothing is recorded (one attribute look-up: the
    fast path asks this on every audience page)."""
    log = getattr(getattr(app, "state", None), "export_log", None)
    return None if log is None or isinstance(log, NoLog) else log


def page_rows(body: bytes) -> int:
    """Rows of a rendered audience page body: its ``"user_id":`` keys (inside a JSON string
    every quote is escaped, so no id can imitate one)."""
    return body.count(b'"user_id":')


def caller(request: Request) -> str:
    """The key id the request was authenticated with (``service/auth.py``)."""
    return str(getattr(request.state, "key_id", None) or ANONYMOUS)


EXPORT_RETRY_AFTER = 30  # seconds a refused export asks the client to wait


def record_export(request: Request, *, film_id: str | None = None, rows: int | None = None,
                  pseudonymized: bool = False, **params: Any) -> ExportRecord:
    """Record an export of the current request's route in the app's export log; 503 when
    it cannot be written (the export is then not sent)."""
    route = request.scope.get("route")
    log: ExportLog = getattr(request.app.state, "export_log", None) or NoLog()
    head = bool(request.scope.get(HEAD))  # run as a GET (service/head.py), it sends no row
    try:
        return write_record(log, key_id=caller(request),
                            endpoint=endpoint_name("HEAD" if head else request.method,
                                                   getattr(route, "path", request.url.path)),
                            film_id=film_id, rows=0 if head else rows,
                            pseudonymized=pseudonymized,
                            params=params)
    except OSError as e:
        logger.error("export refused: cannot write the export log: %s", e)
        # a full disk or a lost mount clears with the operator's help, not at once: a client
        # told when to try again does not hammer the log (the store's 503 says so too)
        raise HTTPException(503, "exports are paused: the export log cannot be written; "
                                 "the operator has been told in the server log",
                            headers={"Retry-After": str(EXPORT_RETRY_AFTER)}) from None


def pseudonym_key(settings: Settings) -> bytes:
    """The server's pseudonym key (``RECOMMENDER_PSEUDONYM_KEY``); 403 when it has none."""
    if settings.pseudonym_key is None:
        raise HTTPException(403, "pseudonymised exports are not enabled on this server: set "
                                 "RECOMMENDER_PSEUDONYM_KEY (at least 16 bytes) to enable "
                                 "pseudonymize=true")
    try:
        return check_key(settings.pseudonym_key.get_secret_value().encode("utf-8"))
    except InvalidParameterError as e:
        raise HTTPException(403, f"pseudonymised exports are not enabled: {e}") from None
