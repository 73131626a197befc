"""The campaign store: plans and their rows in SQLite or PostgreSQL, through SQLAlchemy Core.

``open_store(url)`` takes a database URL (``sqlite:///path/store.db``, ``postgresql://...``)
or a plain file path (a SQLite file). SQLite runs in WAL mode (readers never wait for the
writer), ``synchronous=FULL``, with a busy timeout, its write-ahead log truncated back to
``SQLITE_WAL_LIMIT`` bytes after a checkpoint; PostgreSQL lets replicas share a store.
``sqlite://`` (no path) is an in-memory database in one pooled connection, which callers
take in turn (the service's default when no store is configured).

The schema is created and migrated by the engine: ``schema_version`` records every applied
step of ``MIGRATIONS``, an ordered list of ``(version, description, function)`` kept with the
tables in ``store_tables``; opening a store applies the missing steps in order, in one
transaction (on PostgreSQL under an advisory lock, so replicas starting together migrate
once). A later feature (events, campaign reports) adds its tables by appending a step; a step
is never edited once released.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, BinaryIO

import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from recommender.campaigns.connection import (
    check_encoding,
    create_engine,
    open_failure,
    parse_store_url,
    postgres_connect,
    renew_when_read_only,
    shown_url,
    store_url,  # noqa: F401 (re-exported: the CLI and the service import it from here)
    take_migration_lock,
    watch_before,
    watch_file,
    watched_path,
)
from recommender.campaigns.store_schema import (
    MIGRATING_COMMANDS,
    READING_COMMANDS,
    StoreSchemaNewerError,
    note_migrated,
    refuse_newer,
    tighten_mode,
)
from recommender.campaigns.store_schema import current_version as _current_version
from recommender.campaigns.store_tables import (
    MIGRATIONS,
    PAIR_INDEX,  # noqa: F401 (re-exported: the tests import it from here)
    idempotency,
    metadata,  # noqa: F401 (re-exported: events and copy_store import it from here)
    plan_exclusions,
    plan_rows,
    plans,
    schema_version,
    store_info,
    withdrawals,
)
from recommender.errors import InvalidParameterError, StoreUnavailableError, UnknownIdError
from recommender.io.atomic import private_file
from recommender.io.text import iso_shown, iso_utc

ROW_CHUNK = 5000
#: who migrates a store at an older schema, as a reader's refusal says it (the rule, README)
MIGRATED_BY = ("the service migrates it, and so does every command that opens it to write or "
               f"to list its plans ({', '.join(MIGRATING_COMMANDS)}); "
               f"{', '.join(READING_COMMANDS[:-1])} and {READING_COMMANDS[-1]} only read it, "
               "and never migrate it")
ADVISORY_LOCK = 0x7265636F  # "reco": one lock id for every replica's migration


class UnknownPlanError(UnknownIdError):
    kind = "plan_id"


@dataclass(frozen=True)
class StorePool:
    """Each opened store's connection pool: ``size`` kept open, ``overflow`` more at a peak,
    and ``timeout`` seconds a caller waits for one before the store counts as unavailable."""

    size: int = 5
    overflow: int = 10
    timeout: float = 30.0


class CampaignStore:
    """Plans and plan rows in one database (see the module docstring)."""

    def __init__(self, target: str, read_only: bool = False,
                 pool: StorePool | None = None) -> None:
        parsed = parse_store_url(target)  # refused without its password when unreadable
        self.dialect = parsed.get_backend_name()
        if self.dialect not in ("sqlite", "postgresql"):
            raise InvalidParameterError(f"the campaign store supports sqlite:// and "
                                        f"postgresql:// URLs, got {self.dialect}://")
        kwargs: dict[str, Any] = {}
        if self.dialect == "sqlite":
            if parsed.database in (None, "", ":memory:"):
                # one in-memory database lives in one connection: a pool of exactly that
                # connection, so callers take turns and transactions never interleave
                kwargs.update(poolclass=sa.pool.QueuePool, pool_size=1, max_overflow=0,
                              pool_timeout=60)
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
            if parsed.database not in (None, "", ":memory:") and not read_only:
                try:  # user ids and events: the owner's only
                    private_file(parsed.database)
                except OSError as e:  # its folder cannot be made: said of the store
                    raise StoreUnavailableError(
                        f"cannot create the campaign store {shown_url(parsed)}: "
                        f"{e.strerror or e} ({e.filename or parsed.database}): check the "
                        "path (its folder, and those above it, must be creatable and "
                        "writable)") from None
        else:  # text travels as UTF-8 (``connection.check_encoding`` checks the database)
            kwargs["connect_args"] = postgres_connect(parsed)
        if pool is not None and "poolclass" not in kwargs:  # the one in-memory connection stays
            kwargs.update(pool_size=pool.size, max_overflow=pool.overflow,
                          pool_timeout=pool.timeout)
        self.engine: Engine = create_engine(parsed, **kwargs)
        if not read_only and "poolclass" not in kwargs:  # the one in-memory connection stays
            renew_when_read_only(self.engine)
        self.url = shown_url(parsed)
        self._store_id: str | None = None
        if self.dialect == "sqlite":  # a reader leaves the journal mode as it is (a write)
            sa.event.listen(self.engine, "connect",
                            _sqlite_read_pragmas if read_only else _sqlite_pragmas)
        watched = watched_path(parsed)  # held open before the first connection
        self._file: BinaryIO | None = watch_before(self.engine, watched)
        try:
            if self.dialect == "postgresql":
                check_encoding(self.engine, self.url)
            if read_only:  # a reader takes no write lock and writes no schema
                self._check_current()
            else:
                self.migrate()
        except sa.exc.DatabaseError as e:  # OperationalError too: no such folder, locked...
            failure = open_failure(self.url, e, self._file, watched)  # damaged: said so
            self.close()  # its connections: their log and index files are found by name
            raise failure from None
        except StoreSchemaNewerError:  # a newer engine's: refused before any write
            self.close()
            raise
        self._file = self._file or (watch_file(self.engine, watched) if watched else None)

    def _check_current(self) -> None:
        """For a reader: the schema must be this engine's (``migrate`` is a writer's)."""
        version, latest = self.version(), MIGRATIONS[-1][0]
        refuse_newer(self.url, version, latest)  # a newer engine's (``store_schema``)
        if version < latest:
            raise InvalidParameterError(
                f"the campaign store {self.url} is at schema version {version}, not {latest}"
                + (" (it holds no campaign store)" if version == 0 else "")
                + ": " + MIGRATED_BY)

    def close(self) -> None:
        self.engine.dispose()
        held, self._file = self._file, None
        if held is not None:
            held.close()

    # -- schema
    def store_id(self, fresh: bool = False) -> str:
        """This database's own id (migration 4), whatever URL opened it (``fresh``: read again)."""
        if fresh or self._store_id is None:
            with self.engine.connect() as conn:
                self._store_id = str(conn.execute(sa.select(store_info.c.value).where(
                    store_info.c.key == "store_id")).scalar_one())
        return self._store_id

    def version(self) -> int:
        with self.engine.connect() as conn:
            return _current_version(conn)

    def migrate(self) -> int:
        """Apply the missing steps of ``MIGRATIONS`` in order; returns the schema version."""
        if self.dialect == "sqlite":
            # a schema already current needs no write lock: a worker that uvicorn restarts
            # while another process holds the write lock (an import, a long transaction)
            # waited the busy timeout for it, failed to start, and uvicorn stopped every worker
            with self.engine.connect() as conn:
                current = _current_version(conn)
            refuse_newer(self.url, current, MIGRATIONS[-1][0])
            if current >= MIGRATIONS[-1][0]:
                return current
        with self.engine.begin() as conn:
            if self.dialect == "postgresql":
                take_migration_lock(conn, ADVISORY_LOCK, self.url)  # waited for 30 s at most
            elif self.dialect == "sqlite":
                # take the write lock before looking: the driver would run the DDL below
                # outside a transaction, and two workers opening a new file together would
                # both create the tables (the second waits here, then sees them)
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            schema_version.create(conn, checkfirst=True)
            before = current = _current_version(conn)
            refuse_newer(self.url, current, MIGRATIONS[-1][0])  # nothing written (rolled back)
            for version, description, step in MIGRATIONS:
                if version <= current:
                    continue
                step(conn)
                conn.execute(schema_version.insert().values(
                    version=version, description=description,
                    applied_at=iso_utc(time.time())))
                current = version
        note_migrated(self.url, before, current)  # once committed: one line
        if self.dialect == "sqlite" and 0 < before < current:  # made before stores were private
            tighten_mode(self.url, self.engine.url.database)
        return current

    def save_plan(self, plan_id: str, summary: dict[str, Any], rows: pa.Table,
                  excluded: Sequence[str] = (), link: dict[str, Any] | None = None,
                  key: tuple[str, str] | None = None,
                  amend: Callable[[dict[str, Any], list[str], Any], dict[str, Any]] | None = None
                  ) -> dict[str, Any]:
        """Store a plan, its rows, its opted-out users (``excluded``: its next waves never
        plan them), for a next wave its ``link`` to the previous plan (``previous_plan_id``,
        ``sent_waves``, ``events_seq``), and the request's idempotency ``key`` (key, sha256
        of the request), in one transaction (all or nothing); returns the summary stored.
        A key stored already raises ``sqlalchemy.exc.IntegrityError`` and stores nothing
        (``plan_for_key`` finds the plan that has it).

        A next wave first takes the previous plan's row for writing (``plan_lock.lock_plan``;
        ``UnknownPlanError`` if deleted), so a plan's next waves are stored one by one, then reads
        those it has; ``amend(summary, those ids, the connection)`` gives the summary to store, or
        raises to store nothing (two next waves planned at once on two replicas each missed the
        other)."""
        from recommender.campaigns.controls import refuse_held_out
        from recommender.campaigns.events import plan_links  # step 2's table, defined there
        from recommender.campaigns.moved import check_plan
        from recommender.campaigns.plan_lock import lock_plan
        from recommender.campaigns.withdraw import re_plans

        cols = rows.to_pydict()
        n = rows.num_rows
        from recommender.campaigns.erased_text import without_erased_opt_outs

        opted_out = sorted(set(excluded))
        with self.engine.begin() as conn:
            # an id erased before, in any form the opt-out reader reads: counted, not kept
            summary, opted_out = without_erased_opt_outs(conn, summary, opted_out)
            if link is None:  # ``campaign copy`` moved the store: under the mark's lock
                check_plan(conn, self)
            else:  # and the plans lock, then the previous plan's row (gone: refused)
                lock_plan(conn, self, link["previous_plan_id"], "this plan")
            # others' controls, again; a next wave's lock_plan holds the plans lock already
            refuse_held_out(conn, self.dialect, rows, summary, link, link is not None)
            if link is not None and amend is not None:  # its next waves but those withdrawn unsent
                summary = amend(summary, re_plans(conn, link["previous_plan_id"]), conn)
            conn.execute(plans.insert().values(
                plan_id=plan_id, created=str(summary.get("created", "")),
                model_version=str(summary.get("model_version", "")), n_rows=n,
                summary=json.dumps(summary, ensure_ascii=False)))
            if link is not None:
                conn.execute(plan_links.insert().values(plan_id=plan_id, **link))
            if key is not None:
                conn.execute(idempotency.insert().values(key=key[0], request_sha256=key[1],
                                                         plan_id=plan_id))
            for start in range(0, len(opted_out), ROW_CHUNK):
                conn.execute(plan_exclusions.insert(), [
                    {"plan_id": plan_id, "user_id": u}
                    for u in opted_out[start:start + ROW_CHUNK]])
            for start in range(0, n, ROW_CHUNK):
                stop = min(n, start + ROW_CHUNK)
                conn.execute(plan_rows.insert(), [
                    {"plan_id": plan_id, "seq": i, "film_id": cols["film_id"][i],
                     "user_id": cols["user_id"][i], "wave": cols["wave"][i],
                     "group_name": cols["group"][i], "rank": cols["rank"][i],
                     "p": cols["p"][i], "expected_value": cols["expected_value"][i]}
                    for i in range(start, stop)])
        return summary

    def plan_for_key(self, key: str) -> tuple[str, str] | None:
        """(plan id, sha256 of its request) stored under idempotency ``key``, or None."""
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(idempotency.c.plan_id, idempotency.c.request_sha256)
                               .where(idempotency.c.key == key)).first()
        return None if row is None else (str(row[0]), str(row[1]))

    def list_plans(self, limit: int = 100, offset: int = 0) -> tuple[int, list[dict[str, Any]]]:
        """(number of plans, one page of them, newest first: ``plan_list.listed_plan``'s
        entries: id, created, model, rows, films, titles, totals, ``horizon_days``, ``withdrawn``,
        ``next_plan_ids`` and ``incomplete``, the parts of a damaged summary not read, and the
        figures per wave, ``plan_waves.page_waves``: one grouped query over the page's rows)."""
        if not (1 <= limit <= 2**31 - 1 and 0 <= offset <= 2**31 - 1):
            raise InvalidParameterError(f"limit must be in [1, {2**31 - 1}] and offset in "
                                        f"[0, {2**31 - 1}], got limit {limit}, offset {offset}")
        with self.engine.connect() as conn:
            total = int(conn.execute(sa.select(sa.func.count()).select_from(plans)).scalar_one())
            listed = list(conn.execute(sa.select(plans).order_by(
                plans.c.created.desc(), plans.c.plan_id).limit(limit).offset(offset)).mappings())
            from recommender.campaigns import plan_list, plan_waves, withdraw  # damaged too
            ids = [str(r["plan_id"]) for r in listed]
            gone, later = withdrawn_records(conn, ids), withdraw.next_plans_of(conn, ids)
            waves = plan_waves.page_waves(conn, ids)  # per wave, read with the page
        return total, [plan_list.listed_plan(r, gone.get(i), later.get(i, []), waves)
                       for r, i in zip(listed, ids, strict=True)]

    def summary(self, plan_id: str) -> dict[str, Any]:
        """A stored plan's summary; ``UnknownPlanError`` when there is none (none holds a NUL
        byte: PostgreSQL refuses one in text, and ``/campaigns/plan%00x`` was a 500 there),
        ``summary_fields.IncompleteSummaryError`` when it is no JSON object."""
        with self.engine.connect() as conn:
            text = None if "\x00" in plan_id else conn.execute(sa.select(
                plans.c.summary).where(plans.c.plan_id == plan_id)).scalar_one_or_none()
            gone = {} if text is None else withdrawn_records(conn, [plan_id])
        if text is None:
            raise UnknownPlanError([plan_id])
        from recommender.campaigns.summary_fields import stored_summary  # none: refused

        body = stored_summary(text, plan_id)
        if isinstance(body.get("created"), str):  # one stored as +00:00 shown as ...Z
            body["created"] = iso_shown(body["created"])
        if plan_id in gone:  # ``campaign withdraw``: its waves after ``sent_waves`` not sent
            body["withdrawn"] = gone[plan_id]
        return body

    def excluded(self, plan_id: str) -> list[str]:
        """The users ``plan_id`` was told never to plan (its opt-outs), sorted."""
        with self.engine.connect() as conn:
            e = plan_exclusions.c
            return [str(u) for u in conn.execute(sa.select(e.user_id).where(
                e.plan_id == plan_id).order_by(e.user_id)).scalars()]

    def iter_rows(self, plan_id: str, chunk: int = ROW_CHUNK) -> Iterator[pa.Table]:
        """A stored plan's rows in their order, ``chunk`` rows per table (``PLAN_COLUMNS``),
        read as a stream. ``UnknownPlanError`` (raised at once) when there is no such plan."""
        self.summary(plan_id)
        return self._stream(plan_id, chunk)

    def _stream(self, plan_id: str, chunk: int) -> Iterator[pa.Table]:
        """Each chunk read on its own short connection, after the last ``seq`` read (a plan's
        rows never change): a client that stops reading holds no connection. One held across
        the yields kept a pooled connection, and on PostgreSQL an open transaction, for as
        long as the client took; 16 stalled downloads left a worker's store out of
        connections for minutes."""
        from recommender.campaigns.plan import PLAN_SCHEMA

        c = plan_rows.c
        last = -1
        while True:
            query = sa.select(c.seq, c.plan_id, c.film_id, c.user_id, c.wave, c.group_name,
                              c.rank, c.p, c.expected_value).where(
                c.plan_id == plan_id, c.seq > last).order_by(c.seq).limit(chunk)
            with self.engine.connect() as conn:
                part = conn.execute(query).all()
            if not part:
                return
            last = int(part[-1][0])
            yield pa.Table.from_arrays([pa.array(list(col), t) for col, t in zip(
                list(zip(*part, strict=True))[1:], PLAN_SCHEMA.types, strict=True)],
                schema=PLAN_SCHEMA)
            if len(part) < chunk:
                return


def withdrawn_records(conn: Connection, plan_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """``{plan_id: {"sent_waves", "at", "via"}}`` of the plans among ``plan_ids`` that were
    withdrawn (``withdraw.py``; ``via``: the plan named when it was withdrawn)."""
    w = withdrawals.c
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(plan_ids), 500):
        for row in conn.execute(sa.select(w.plan_id, w.sent_waves, w.withdrawn_at, w.via_plan_id)
                                .where(w.plan_id.in_(list(plan_ids[start:start + 500])))):
            found[str(row[0])] = {"sent_waves": int(row[1]), "at": iso_shown(str(row[2])),
                                  "via": str(row[3])}
    return found


#: bytes a SQLite store's write-ahead log is truncated back to after a checkpoint has copied it
#: into the store (``PRAGMA journal_size_limit``, set on each connection): SQLite reuses the
#: log from its start but never shrinks it, so one burst (``campaign copy`` under writes, a
#: large ``events import``) left a -wal of 1.2 GB beside a 140 MB store for the service's
#: life. 64 MiB holds about 16,000 pages of 4 KiB, far more than the 1,000 pages after which
#: SQLite checkpoints on its own, so a log this size is not truncated and grown again at each
#: checkpoint
SQLITE_WAL_LIMIT = 64 * 2**20


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.execute("PRAGMA journal_mode=WAL").close()  # sqlite3's own cursor, closed
    dbapi_conn.execute("PRAGMA synchronous=FULL").close()
    _sqlite_read_pragmas(dbapi_conn, _record)


def _sqlite_read_pragmas(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.execute("PRAGMA foreign_keys=ON").close()
    dbapi_conn.execute("PRAGMA busy_timeout=30000").close()
    # a reader's connection checkpoints too (the last one to close): bound the log it leaves
    dbapi_conn.execute(f"PRAGMA journal_size_limit={int(SQLITE_WAL_LIMIT)}").close()
    # a value overwritten or deleted is zeroed in the file, not left in a free slot of its
    # page: ``forget``'s erased ids (with its ``checkpoint``, for the write-ahead log)
    dbapi_conn.execute("PRAGMA secure_delete=ON").close()


def open_store(target: str, read_only: bool = False, pool: StorePool | None = None
               ) -> CampaignStore:
    """``CampaignStore(target)``: a URL or a SQLite file path, created and migrated (``read_only``:
    neither, its schema must be current); ``pool``: default 5, 10 more at a peak, 30 s."""
    return CampaignStore(target, read_only, pool)
