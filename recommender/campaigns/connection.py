"""How the campaign store reaches its database: the URL, the driver, and PostgreSQL's encoding.

``store_url`` turns a target (a URL or a SQLite file path) into a SQLAlchemy URL
(``postgresql://`` gets the psycopg 3 driver, installed with the engine). ``create_engine``
makes the engine; a URL naming a driver that is not installed (``postgresql+psycopg2://``) is an
``InvalidParameterError`` saying so, where it was an ``ImportError`` traceback (and the service
did not start). PostgreSQL connections speak UTF-8 and prepare no statement on the server
(``POSTGRES_CONNECT``), and ``check_encoding`` refuses a database whose own encoding is not
UTF8: ids are any Unicode text. A ``LATIN1`` database answered 500 (psycopg's
``UntranslatableCharacter``) to every event, plan or opt-out with a ``中`` id, and an
``SQL_ASCII`` one (``initdb``'s default under the C locale) handed SQLAlchemy bytes where it
expects text, so that neither the service nor a command could open it (a ``TypeError``
traceback). ``take_migration_lock`` bounds the wait for the migration's advisory lock.
"""

from __future__ import annotations

import os
import re
import sqlite3
from collections.abc import Mapping
from pathlib import Path
from typing import Any, BinaryIO

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from recommender.errors import (
    InvalidParameterError,
    StoreDamagedError,
    StoreReadOnlyError,
    StoreUnavailableError,
    damaged,
    read_only,
    sqlstate,
)

#: every PostgreSQL connection's settings: text is exchanged as UTF-8, and no statement is
#: prepared on the server. psycopg prepares a query from its 6th run, and PostgreSQL then keeps
#: a generic plan made on the statistics of that moment: the event_id look-up of
#: ``record_events`` planned on a new, empty store stayed a sequential scan as the store grew
#: (until an ANALYZE, and never inside a batch that began before it), each batch of ``events
#: import`` scanned the whole table per 500 ids under the writers' lock, and 200,000 events took
#: 70-110 s to import (20 s planned each time; SQLite: 10 s)
POSTGRES_CONNECT: dict[str, Any] = {"client_encoding": "utf8", "prepare_threshold": None}

#: how long a PostgreSQL connection waits on a host that is gone or cut off (a network
#: partition; not a proxy that still acknowledges packets) before it fails, unless the URL's
#: query (or libpq's environment, ``LIBPQ_ENV``) sets these itself: 10 s to connect, and sent
#: data unacknowledged for 30 s (or an idle link whose keepalives go unanswered for 60 s) ends
#: it. Without them a request on a pooled connection waited for ever (the kernel's
#: retransmissions, about 15 minutes), holding that connection.
POSTGRES_TIMEOUTS: dict[str, Any] = {"connect_timeout": 10, "tcp_user_timeout": 30_000,
                                     "keepalives": 1, "keepalives_idle": 30,
                                     "keepalives_interval": 10, "keepalives_count": 3}


#: the libpq environment variables that set one of ``POSTGRES_TIMEOUTS``: a setting passed to
#: the connection overrides them, so an operator's ``PGCONNECT_TIMEOUT=30`` became 10 s
LIBPQ_ENV = {"connect_timeout": "PGCONNECT_TIMEOUT"}

#: the drivers that take libpq's keywords (``POSTGRES_TIMEOUTS``); ``prepare_threshold`` is
#: psycopg 3's own (psycopg2 prepares nothing on the server)
LIBPQ_DRIVERS = ("psycopg", "psycopg2")


def postgres_connect(url: sa.engine.URL, environ: Mapping[str, str] | None = None
                     ) -> dict[str, Any]:
    """The connection settings of a PostgreSQL store at ``url``: ``POSTGRES_CONNECT``, and
    each of ``POSTGRES_TIMEOUTS`` that neither the URL's query (``?connect_timeout=3``) nor
    libpq's environment (``PGCONNECT_TIMEOUT``) sets."""
    env = os.environ if environ is None else environ
    driver = url.get_driver_name()
    if driver not in LIBPQ_DRIVERS:
        raise InvalidParameterError(
            f"the campaign store {shown_url(url)} names the driver "
            f"{driver!r}; the store speaks to PostgreSQL through libpq: name no driver "
            "(postgresql://..., psycopg 3, installed with the engine) or psycopg2")
    given = {**{k: v for k, v in POSTGRES_TIMEOUTS.items()
                if k not in url.query and not env.get(LIBPQ_ENV.get(k, ""))},
             **POSTGRES_CONNECT}
    if driver != "psycopg":  # psycopg 3's own (psycopg2 drops a keyword set to None)
        given.pop("prepare_threshold")
    return given


def store_url(target: str) -> str:
    """A SQLAlchemy URL for ``target``: URLs pass through (``postgresql://`` gets the psycopg 3
    driver), anything else is a SQLite file path."""
    if "://" not in target:
        if not target.strip():
            raise InvalidParameterError("the campaign store needs a database URL or a file path")
        # a URL's path decodes %XX and ends at "?": a file "a?b.db" was opened as "a"
        path = str(Path(target).expanduser().resolve()).replace("%", "%25")
        return f"sqlite:///{path.replace('?', '%3F')}"
    if target.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + target.split("://", 1)[1]
    return target


def parse_store_url(target: str) -> sa.engine.URL:
    """``store_url(target)`` parsed, or ``InvalidParameterError`` showing ``target`` without
    its password (``shown_target``): the message repeated it in full, and a port that is not
    a number was a ValueError traceback."""
    url = store_url(target)  # its own refusal (a blank target) is an InvalidParameterError
    try:
        parsed = sa.engine.make_url(url)
    except (sa.exc.ArgumentError, ValueError) as e:
        why = str(e) if isinstance(e, sa.exc.ArgumentError) else "its port is not a number"
        if target.count("@") > 1:  # u:p@ss:w0rd@db: the port read as "w0rd@db:5432"
            why += "; an '@' in its password is written %40"
        raise InvalidParameterError(f"not a database URL: {shown_target(target)!r} ({why})"
                                    ) from None
    if parsed.get_backend_name() == "postgresql":  # ?port=abc: a traceback when it connected
        try:
            parsed.get_dialect()().create_connect_args(parsed)
        except sa.exc.ArgumentError as e:  # "Received non-integer port arguments: ('abc',)"
            raise InvalidParameterError(f"not a database URL: {shown_target(target)!r} ({e})"
                                        ) from None
    if "@" in (parsed.host or ""):  # u:p@ss@db: the host "ss@db", named by the driver
        raise InvalidParameterError(
            f"not a database URL: {shown_target(target)!r} (an '@' in its password: write "
            "it as %40)")
    return parsed


def new_sqlite_file(target: str) -> Path | None:
    """The file a SQLite ``target`` names when it does not exist yet, else None."""
    try:
        url = sa.engine.make_url(store_url(target))
    except (sa.exc.ArgumentError, ValueError, InvalidParameterError):
        return None  # open_store says why (ValueError: a port not a number)
    name = url.database
    if url.get_backend_name() != "sqlite" or name in (None, "", ":memory:") or \
            name.startswith("file:") or os.path.exists(name):
        return None
    return Path(name)


def new_store_note(path: Path | str, folder: bool = False, made: bool = True) -> str:
    """The words that say a command created the campaign store ``path`` (``folder``: and its
    folder; ``made`` False: the service creates it as it starts), for every command that can
    create one (``plan``, ``events import``, ``serve``): readers refuse a missing store, so a
    misspelt path is seen here only."""
    if not made:  # said before the service tries: an intention, not a fact
        return (f"no campaign store is at {path}: the service will create one there"
                f"{' (and its folder)' if folder else ''}, readable by its owner only (check "
                "the path if you meant an existing store; where it cannot be created the "
                "service logs why and its store routes answer 503)")
    return (f"no campaign store was at {path}: a new one was created "
            f"there{' (and its folder)' if folder else ''}, readable by its owner only (check "
            "the path if you meant an existing store)")


def in_memory_sqlite(target: str) -> bool:
    """Whether ``target`` names an in-memory SQLite database (``sqlite://``,
    ``sqlite:///:memory:``, or with ``uri=true`` a ``file:`` URI of path ``:memory:``, with
    ``mode=memory`` or ``vfs=memdb``): one that is gone when the process that opened it ends.
    Without ``uri=true`` the driver opens a ``file:...`` name as a file of that name (SQLAlchemy
    drops the URI's options with a warning), which keeps what is stored."""
    try:
        url = sa.engine.make_url(store_url(target))
    except (sa.exc.ArgumentError, ValueError, InvalidParameterError):
        return False  # open_store says why
    name = url.database or ""
    if url.get_backend_name() != "sqlite" or name in ("", ":memory:"):
        return url.get_backend_name() == "sqlite"
    uri = str(url.query.get("uri", "")).strip().lower() in ("true", "yes", "on", "y", "t", "1")
    if not (uri and name.startswith("file:")):
        return False
    # the URI SQLite reads: the name, then the URL's other options (pysqlite's own aside)
    path, _, own = name[5:].partition("?")
    path = path.split("#")[0]
    if path.startswith("//"):  # an authority (empty or localhost) before the path
        path = "/" + path[2:].partition("/")[2]
    options = [o.partition("=") for o in own.split("#")[0].split("&")]
    given = {k.lower(): str(v).lower() for k, _, v in options} | {
        k.lower(): str(v if isinstance(v, str) else v[-1]).lower() for k, v in url.query.items()}
    return path == ":memory:" or given.get("mode") == "memory" or given.get("vfs") == "memdb"


#: libpq connection parameters whose value is a secret (``password``; ``sslpassword``, the
#: passphrase of the client's TLS key): a URL is never shown with them
SECRET_QUERY_KEYS = frozenset({"password", "sslpassword"})


#: to the last "@": a password may hold one unencoded ("p@ss:w0rd@db" showed "ss:w0rd")
_USERINFO_PASSWORD = re.compile(r"(://[^/?#@:]*:).*@")
_QUERY_SECRET = re.compile(r"((?:^|[?&;])(?:" + "|".join(sorted(SECRET_QUERY_KEYS))
                           + r")=)[^&;#]*", re.IGNORECASE)


def shown_target(target: str) -> str:
    """``target`` as given (a URL SQLAlchemy could not read), with what would be its password
    and its secret query values hidden, for the message that refuses it: ``not a database
    URL`` repeated ``' postgresql://u:PASSWORD@h/db'`` (a leading blank) in full."""
    return _QUERY_SECRET.sub(r"\1***", _USERINFO_PASSWORD.sub(r"\1***@", target))


def shown_url(url: sa.engine.URL) -> str:
    """``url`` as messages and the moved mark (``moved.py``, which a service still on the old
    store answered with) show it: the password hidden, after the user and in the query
    (``?password=``, which libpq takes as well, was shown as it was; so was
    ``?sslpassword=``, the passphrase of the client's TLS key, which ``train --events``
    then wrote into the model's ``data.source``, shown by ``/health`` and ``info``)."""
    secret = [name for name in url.query if name in SECRET_QUERY_KEYS]
    if secret:
        text = url.update_query_dict({name: "***" for name in secret}).render_as_string(
            hide_password=True)
        for name in secret:
            text = text.replace(f"{name}=%2A%2A%2A", f"{name}=***")
        return text
    return url.render_as_string(hide_password=True)


def create_engine(url: sa.engine.URL, **kwargs: Any) -> Engine:
    """``sqlalchemy.create_engine``; a driver that is not installed is a sentence. A pooled
    PostgreSQL connection is pinged as it is taken (one round trip), and one the server
    dropped (a restart, a failover, an idle timeout) is replaced then: it was handed to the
    request, which got a 503 after the server was back."""
    if url.get_backend_name() == "postgresql":
        kwargs.setdefault("pool_pre_ping", True)
    try:
        return sa.create_engine(url, **kwargs)
    except ImportError as e:
        raise InvalidParameterError(
            f"the campaign store {shown_url(url)} names the driver "
            f"{url.get_driver_name()!r}, which is not installed ({e}); name no driver: "
            "sqlite:///PATH, or postgresql://... (psycopg 3, installed with the engine)"
        ) from None


def check_encoding(engine: Engine, shown: str) -> None:
    """Refuse a PostgreSQL database whose encoding is not UTF8 (the module docstring)."""
    with engine.connect() as conn:
        encoding = str(conn.exec_driver_sql("SHOW server_encoding").scalar())
    if encoding.upper().replace("-", "") != "UTF8":
        raise InvalidParameterError(
            f"the campaign store {shown} is a PostgreSQL database in {encoding}, not UTF8: ids "
            f"are any Unicode text, which {encoding} cannot hold; use a database created with "
            "CREATE DATABASE name ENCODING 'UTF8' TEMPLATE template0 (a new cluster: initdb -E "
            "UTF8)")


#: seconds an opener of a PostgreSQL store waits for the migration's advisory lock, then gives
#: up (``StoreUnavailableError``: the service starts without the store and keeps trying in the
#: background, a command exits 2), as writers wait for the events lock (``events.LOCK_WAIT``),
#: and likewise only where the session sets no ``lock_timeout`` of its own. It waited for ever:
#: a replica stuck mid-migration (stopped, its connection still open) hung the start of every
#: other replica, and of every command that opens the store
MIGRATION_LOCK_WAIT = 30.0


def bound_lock_wait(conn: Connection, seconds: float) -> None:
    """Bound this PostgreSQL transaction's lock waits to ``seconds``, unless the session has a
    ``lock_timeout`` of its own: one the operator set (the URL's ``options``, ``PGOPTIONS``,
    ``ALTER ROLE``) is kept (``SET LOCAL`` made a 200 ms one 30 s)."""
    conn.execute(sa.text("SELECT set_config('lock_timeout', :ms, true) "
                         "WHERE current_setting('lock_timeout') = '0'"),
                 {"ms": str(max(1, round(seconds * 1000)))})


def advisory_lock_within(conn: Connection, key: int, seconds: float, shared: bool = False
                         ) -> str | None:
    """Take PostgreSQL's transaction-level advisory lock ``key`` (``shared``: with other
    sharers), waiting at most ``seconds`` (or the session's own ``lock_timeout``); the
    transaction's later statements then wait as before. None once taken; when the wait ran
    out, how long was waited ("30 s", "its lock_timeout, 200ms"), for the caller's sentence."""
    own = str(conn.exec_driver_sql("SHOW lock_timeout").scalar())
    bound_lock_wait(conn, seconds)
    take = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
    try:
        conn.execute(sa.text(f"SELECT {take}(:k)"), {"k": key})
    except sa.exc.OperationalError as e:
        if sqlstate(e.orig) != "55P03":  # lock_not_available
            raise
        return f"{seconds:g} s" if own == "0" else f"its lock_timeout, {own}"
    if own == "0":
        conn.execute(sa.text("SELECT set_config('lock_timeout', '0', true)"))
    return None


def take_migration_lock(conn: Connection, key: int, shown: str) -> None:
    """Take the migration's transaction-level advisory lock ``key`` on PostgreSQL, waiting at
    most ``MIGRATION_LOCK_WAIT`` seconds (or the session's own ``lock_timeout``); the
    migration's own statements then wait as before."""
    waited = advisory_lock_within(conn, key, MIGRATION_LOCK_WAIT)
    if waited is not None:
        raise StoreUnavailableError(
            f"cannot open the campaign store {shown}: another process has held its migration "
            f"lock for more than {waited} (PostgreSQL advisory lock {key}); "
            "one stuck mid-migration holds it until its connection ends: find its pid in "
            f"pg_locks (locktype 'advisory', objid {key}) and end it with "
            "pg_terminate_backend, or wait (the service keeps trying in the background)")


def file_changed(held: BinaryIO, path: Path) -> str | None:
    """How the file at ``path`` is no longer the file ``held`` open ("deleted", "replaced by
    another file"), or None while it still is."""
    mine = os.fstat(held.fileno())
    try:
        now = os.stat(path)
    except OSError:
        now = None
    if now is None:
        return "deleted"
    if (now.st_dev, now.st_ino) != (mine.st_dev, mine.st_ino):  # removed, another made there
        return "replaced by another file"
    return "deleted" if mine.st_nlink == 0 else None


def file_refusal(path: Path, what: str) -> str:
    """Why a store whose file was ``what`` (``file_changed``) is refused."""
    return (f"the campaign store file {path} was {what} since it was opened; nothing is "
            "written to the old file: restart the service (or open the store again)")


def watched_path(url: sa.engine.URL) -> Path | None:
    """The SQLite file a store at ``url`` holds open (``watch_file``); None for a database in
    memory, a ``file:`` URI (the driver resolves it) or PostgreSQL."""
    name = url.database
    if url.get_backend_name() != "sqlite" or name in (None, "", ":memory:") or \
            name.startswith("file:"):
        return None
    return Path(name)


def open_failure(shown: str, error: sa.exc.DatabaseError, held: BinaryIO | None,
                 path: Path | None) -> StoreUnavailableError:
    """Why opening the store ``shown`` failed: ``error``'s words, unless its file ``held`` was
    deleted or replaced at ``path`` while the open waited for the file's lock (a failed
    ``plan`` removing the new store it created; SQLite then says "disk I/O error"); a
    ``StoreDamagedError`` when the driver says the file is damaged (``errors.damaged``), a
    ``StoreReadOnlyError`` when its folder cannot be written (``unwritable_folder``)."""
    what = None if held is None or path is None else file_changed(held, path)
    why = " ".join(str(error.orig).split()) if what is None or path is None \
        else file_refusal(path, what)
    folder = unwritable_folder(path, why) if what is None and path is not None else ""
    why += folder
    if what is None and type(error) is sa.exc.DatabaseError:  # the driver cannot read it
        why += (": its database is damaged (a SQLite file cut or overwritten) or holds no "
                "campaign store; restore it from a backup (sqlite3's .recover may save its "
                "rows)")
    kind = StoreDamagedError if what is None and damaged(error) else \
        StoreReadOnlyError if folder else StoreUnavailableError
    return kind(f"cannot open the campaign store {shown}: {why}")


def unwritable_folder(path: Path, why: str) -> str:
    """What to add to SQLite's "unable to open database file" for the store file ``path``
    when its folder cannot be written (a read-only mount, ``chattr +i``, its permissions):
    SQLite opens a WAL-mode store only where it can create its ``-wal`` and ``-shm`` files
    beside it; "" otherwise (another cause: said as SQLite says it)."""
    if "unable to open database file" not in why or not path.is_file():
        return ""
    folder = Path(os.path.realpath(path)).parent
    shm = Path(f"{os.path.realpath(path)}-shm")
    if os.access(folder, os.W_OK | os.X_OK) or (shm.exists() and os.access(shm, os.W_OK)):
        return ""
    return (f" (the store's folder {folder} cannot be written: a read-only mount, its "
            f"permissions or an immutable flag; SQLite opens the store, in write-ahead-log "
            f"mode, only where it can create {path.name}-wal and {path.name}-shm beside it): "
            "make the folder writable, or copy the store file (with any -wal and -shm file "
            "beside it) into a folder that can be written and name the copy")


def watch_before(engine: Engine, path: Path | None) -> BinaryIO | None:
    """``watch_file`` before the engine's first connection, when ``path`` is a file that can
    be opened now; else None, and SQLite says why it cannot be opened (a folder at the path:
    it said "unable to open database file", and the watch's ``open`` raised a bare
    IsADirectoryError instead of the store's refusal)."""
    if path is None or not path.is_file():
        return None
    try:
        return watch_file(engine, path)
    except OSError:  # unreadable: SQLite's connection fails saying so
        return None


def watch_file(engine: Engine, path: Path) -> BinaryIO:
    """Refuse every use of a store once its SQLite file is deleted or replaced (a new file
    moved over it, a backup restored, a failed ``plan`` removing the new store it created)
    under the open pool: the pooled connections would go on committing into the old,
    unlinked file (their write-ahead log, found by name, then paired with the new file at the
    path), and every event acknowledged then would be gone at the next start. Returns the
    file, held open by the store for its life (so its inode number is not given to a new file
    at that path), which is compared with the path at every checkout (two ``stat`` calls)
    until it is closed; the refusal is an ``OperationalError`` (the service answers 503) until
    the store is opened again. Call it before the engine's first connection: a connection
    made later opened the file at the path then, which every checkout finds is still the
    file held (a file opened after a connection was checked against itself, and a store
    opened while the file was being removed committed into the removed one)."""
    held = open(path, "rb")

    def check(_dbapi_conn: Any, _record: Any, _proxy: Any) -> None:
        if held.closed:  # the store was closed
            return
        what = file_changed(held, path)
        if what is not None:
            raise sa.exc.OperationalError(
                f"campaign store file check: {path}", None,
                sqlite3.OperationalError(file_refusal(path, what)))

    sa.event.listen(engine, "checkout", check)
    return held


def renew_when_read_only(engine: Engine) -> None:
    """Drop every pooled connection of ``engine`` once one is refused a write as read-only
    (``errors.read_only``), so the next request opens a fresh one. SQLite opens a file it
    cannot write read-only and the connection stays so, and a PostgreSQL connection to a
    standby stays on it after a failover: kept in the pool, they refused every write for
    the worker's life, after the mount was made writable or the primary was back."""

    def handle(context: sa.engine.ExceptionContext) -> None:
        if read_only(context.original_exception):
            context.is_disconnect = True
            context.invalidate_pool_on_disconnect = True

    sa.event.listen(engine, "handle_error", handle)
