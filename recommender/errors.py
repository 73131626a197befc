"""Typed domain errors. Only the CLI and ``service/`` turn them into exit or HTTP codes."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar


def clipped(value: str, most: int = 40) -> str:
    """``value`` as ``repr`` writes it, cut after ``most`` characters with ``...``: an id a
    request or a file spelt (a 2 MB event_id) named in an error without being echoed whole."""
    return repr(value if len(value) <= most else value[:most] + "...")


#: characters of an error's reason a log line keeps (``reason_line``): the longest the store
#: writes, a folder that cannot be written with its remedy, is about 600 plus twice its path
REASON_CHARS = 2000
NEAR = 80  # characters from a cut that reason_line looks for a boundary within


def reason_line(text: str, most: int = REASON_CHARS) -> str:
    """The first line of an error's ``text`` for a log line, at most about ``most``
    characters: a longer one keeps its start up to a sentence's end and its end from a
    word's start, joined by " ... ", so the remedy an error ends with is kept (a cut at 300
    characters stopped mid-word before it). A sentence's end or a word's start more than
    ``NEAR`` characters from the cut is not looked for: a long path without spaces is kept
    in part each side (it was dropped whole, head and tail)."""
    line = text.splitlines()[0] if text else ""
    if len(line) <= most:
        return line
    half = most // 2
    cut = max(line.rfind(". ", 0, half), line.rfind("; ", 0, half), line.rfind(": ", 0, half))
    head = line[:cut + 1] if cut > 0 and cut >= half - NEAR else line[:half]
    tail = line[-half:]
    space = tail.find(" ")
    tail = tail[space + 1:] if 0 <= space <= NEAR else tail
    return f"{head} ... {tail}"


class Terminated(BaseException):
    """SIGTERM (``kill``, a job's time limit, a container stopping), raised in the main thread
    so that every ``with`` block cleans up as on Ctrl-C: an export's temporary file was left
    behind, since Python's default SIGTERM ends the process at once. Here, below every layer,
    so that a Spark session's handler raises it too (``recommender.spark.session``); the CLI
    says "terminated" and exits 143."""


class RecommenderError(Exception):
    """Base class of every error the engine reports to a person."""


class DataError(RecommenderError):
    """Bad input data: names the file, the line (1-based, when known) and what was expected."""

    def __init__(self, path: str, message: str, line: int | None = None) -> None:
        self.path = str(path)
        self.line = line
        self.reason = message
        where = self.path if line is None else f"{self.path}, line {line}"
        super().__init__(f"{where}: {message}")


class ArtifactError(RecommenderError):
    """A model folder is missing, incomplete, of the wrong version or inconsistent."""


class UnknownIdError(RecommenderError, KeyError):
    """One or more external ids are not known to the model."""

    kind = "id"

    def __init__(self, ids: Iterable[str]) -> None:
        # whole, each once in first-seen order (a list of 100,000 copies of one unknown genre
        # was named ten times "and 99990 more"); the message clips each (a 5,000-character
        # plan_id of a URL was echoed whole in its 404)
        self.ids = list(dict.fromkeys(str(i) for i in ids))
        shown = ", ".join(clipped(i) for i in self.ids[:10])
        more = f" and {len(self.ids) - 10} more" if len(self.ids) > 10 else ""
        super().__init__(f"unknown {self.kind} {shown}{more}")

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return str(self.args[0])


class UnknownFilmError(UnknownIdError):
    kind = "film_id"
    #: the ids were given as a new film's comparable films (cold start): a hint says that a
    #: catalog film without viewers cannot be one, and to give its genres (``comparable_films``)
    comparable = False


E = TypeVar("E", bound=Exception)


def comparable_films(error: E) -> E:
    """``error`` (an unknown film's) marked as one of comparable films (cold start)."""
    if isinstance(error, UnknownFilmError):
        error.comparable = True
    return error


class UnknownUserError(UnknownIdError):
    kind = "user_id"


class UnknownGenreError(UnknownIdError):
    """Unknown genres; ``known`` (the model's genres) is named in the message when given."""

    kind = "genre"

    def __init__(self, ids: Iterable[str], known: Iterable[str] | None = None,
                 near: str = "") -> None:
        """``near``: said after the genres named (`` (did you mean 'Sci-Fi'?)``)."""
        super().__init__(ids)
        self.args = (f"{self.args[0]}{near}",)
        if known is not None:
            names = list(known)
            # "genres are: none" read as if a genre named "none" were the one to give
            self.args = (f"{self.args[0]}; this model's genres are: {', '.join(names)}"
                         if names else f"{self.args[0]}; this model's catalog has no genres "
                         "(its training data named none: train with a films.csv holding a "
                         "genres column beside the log, or --films FILE, to add them)",)


class InvalidParameterError(RecommenderError, ValueError):
    """A parameter outside its range: says what was expected and what was got. ``param``,
    where the raiser knows it, names the parameter at fault as a caller spells it (``"tier"``,
    ``"wave"``), or several (a tuple: "give one of these"; ``()``: none alone); None leaves
    a caller to read it from the words (the service's 422 ``loc``, ``service.refusal_where``)."""

    def __init__(self, *args: object, param: str | tuple[str, ...] | None = None) -> None:
        super().__init__(*args)
        self.param = param


class AboveLimitError(InvalidParameterError):
    """A number (``name``'s ``value``: a page's ``k``, a search's ``limit``, a seed list's
    length) above the bound ``most`` a caller configured. The CLI says the message; the
    service answers 422 in its usual shape, naming the setting that holds the bound."""

    def __init__(self, name: str, value: int, most: int, message: str) -> None:
        super().__init__(message)
        self.name, self.value, self.most = name, value, most


class StoreUnavailableError(InvalidParameterError):
    """The campaign store cannot be opened or read now (down, locked, damaged): the CLI says
    so as for a bad parameter; the service answers 503 with ``Retry-After`` and retries."""


class StoreDamagedError(StoreUnavailableError):
    """The campaign store's SQLite file is damaged ("database disk image is malformed", "file
    is not a database"): restore it from a backup. The service answers 503 without
    ``Retry-After`` (a retry cannot help) and ``/health`` says "damaged"."""


class StoreReadOnlyError(StoreUnavailableError):
    """The campaign store refuses writes as far as this process can see: its SQLite file,
    write-ahead log or folder cannot be written (it could not be opened for that at the start,
    or the service's probe, ``campaigns.writable``, says so). The service answers 503 saying
    the store refuses writes (``read_only``), with ``Retry-After``."""


class StoreLockedError(StoreUnavailableError):
    """Another process held a lock of the campaign store past this writer's wait (PostgreSQL's
    plans lock: ``controls.take_plans_lock``). ``cause`` names the lock and the wait, as a
    driver's "database is locked" does SQLite's: the CLI says it as it says that one
    (``cli.store_failure``: the store, the cause, whether to run the command again), the
    service as a 503 saying the store is locked (``store_trouble``)."""

    def __init__(self, message: str, cause: str) -> None:
        super().__init__(message)
        self.cause = cause


class NoConnectionError(StoreUnavailableError):
    """No campaign-store connection (or place of the service's store gate) came free within
    the pool's timeout, as SQLAlchemy's pool ``TimeoutError`` says (``store_trouble``)."""


class PlansClashError(InvalidParameterError):
    """A plan stored while this one was being made holds out some of its (film, user) pairs
    as controls: nothing is stored, and planning again leaves them out. The CLI exits 2; the
    service answers 409, naming that plan (a 503 said the store was down)."""


class NothingToPlanError(InvalidParameterError):
    """A slate whose every budget is 0, or a next wave whose sent waves spent every budget: a
    rule no request schema states, so the service answers 409 (the CLI exits 2)."""


class NothingToReportError(InvalidParameterError):
    """A report of a plan withdrawn before any wave was sent: the plan's state, not the
    request, so the service answers 409 (the CLI exits 2)."""


def sqlstate(error: BaseException | None) -> str | None:
    """The SQLSTATE of a PostgreSQL driver's error: psycopg 3 names it ``sqlstate``, psycopg2
    ``pgcode`` (read as psycopg 3's alone, psycopg2's lock timeouts and full disks went
    unrecognised, their explanatory sentences replaced by the generic database error)."""
    return getattr(error, "sqlstate", None) or getattr(error, "pgcode", None)


def disk_full(error: BaseException) -> bool:
    """Whether a database driver's ``error`` (or the driver error SQLAlchemy wraps in
    ``orig``) says the disk under it is full: PostgreSQL's SQLSTATE 53100 (disk_full, in
    any language the server speaks), SQLite's SQLITE_FULL (13), or their English words
    ("No space left on device", "database or disk is full")."""
    orig = getattr(error, "orig", None) or error
    if sqlstate(orig) == "53100" or getattr(orig, "sqlite_errorcode", None) == 13:
        return True
    message = str(orig)
    return "disk is full" in message or "No space left" in message


def read_only(error: BaseException) -> bool:
    """Whether a database driver's ``error`` (or the one SQLAlchemy wraps in ``orig``) says
    the database refuses writes: PostgreSQL's SQLSTATE 25006 (read_only_sql_transaction: a
    standby after a failover, ``default_transaction_read_only``), SQLite's SQLITE_READONLY (8,
    with its extended codes: a file or folder that cannot be written), or SQLite's words for it
    ("attempt to write a readonly database", from a driver or a wrapper that gives no code: it
    was said "failing", a full or failing disk)."""
    if isinstance(error, StoreReadOnlyError):
        return True
    orig = getattr(error, "orig", None) or error
    code = getattr(orig, "sqlite_errorcode", None)
    return sqlstate(orig) == "25006" or (isinstance(code, int) and code & 0xFF == 8) or \
        "readonly database" in str(orig).lower()


def io_error(error: BaseException) -> bool:
    """Whether a database driver's ``error`` (or the one SQLAlchemy wraps in ``orig``) says
    its files could not be read or written: SQLite's SQLITE_IOERR (10, with its extended
    codes: a write-ahead log or file the system refuses, a failing disk), PostgreSQL's
    SQLSTATE 58030 (io_error)."""
    orig = getattr(error, "orig", None) or error
    code = getattr(orig, "sqlite_errorcode", None)
    return sqlstate(orig) == "58030" or (isinstance(code, int) and code & 0xFF == 10)


def damaged(error: BaseException) -> bool:
    """Whether a database driver's ``error`` (or the one SQLAlchemy wraps in ``orig``) says
    the database file is damaged: SQLite's SQLITE_CORRUPT (11) or SQLITE_NOTADB (26), with
    their extended codes, or their words; PostgreSQL's SQLSTATE XX001 or XX002
    (data_corrupted, index_corrupted)."""
    orig = getattr(error, "orig", None) or error
    code = getattr(orig, "sqlite_errorcode", None)
    if isinstance(code, int):
        return code & 0xFF in (11, 26)
    text = str(orig)
    return sqlstate(orig) in ("XX001", "XX002") or "disk image is malformed" in text or \
        "file is not a database" in text


#: SQLSTATEs of a connection that could not be made or was lost: class 08 (connection
#: exception), a server shutting down or starting (57P01-57P03)
_UNREACHABLE = ("57P01", "57P02", "57P03")
#: a driver's words for a database it cannot reach (psycopg's connection failures have no
#: SQLSTATE; SQLite's "unable to open database file")
_UNREACHABLE_WORDS = ("could not connect", "connection refused", "connection failed",
                      "server closed the connection", "terminating connection",
                      "could not translate host name", "no route to host",
                      "connection timed out", "unable to open database file")


def store_trouble(error: BaseException) -> str | None:
    """Which of the campaign store's troubles ``error`` says, as the CLI (``store_failure``)
    and the service's 503 (``service.errors.store_unavailable``) name it: "locked" (another
    process held a lock past the wait: SQLite's "database is locked", PostgreSQL's
    lock_not_available 55P03, ``StoreLockedError``), "no_connection" (no pooled connection
    came free in time: SQLAlchemy's pool ``TimeoutError``, ``NoConnectionError``),
    "unreachable" (the database cannot be connected to: refused, down, a dropped connection);
    None for any other (said as "down, locked or out of connections")."""
    if isinstance(error, StoreLockedError):
        return "locked"
    if isinstance(error, NoConnectionError) or (
            type(error).__name__ == "TimeoutError"
            and type(error).__module__.startswith("sqlalchemy")):
        return "no_connection"
    orig = getattr(error, "orig", None) or error
    text, state = str(orig).lower(), sqlstate(orig) or ""
    if state == "55P03" or "database is locked" in text or "database table is locked" in text \
            or "lock timeout" in text:
        return "locked"
    if state.startswith("08") or state in _UNREACHABLE or \
            getattr(error, "connection_invalidated", False) or \
            any(w in text for w in _UNREACHABLE_WORDS):
        return "unreachable"
    return None
