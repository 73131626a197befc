"""What a worker knows of its campaign store's health, for /health and the store routes.

``StoreHealth`` holds the marks ``/health``'s ``campaign_store`` is read from (``store_state``),
from this worker's memory only, so that /health never waits on the store: the store's moved
mark (``campaign copy``, ``look_moved``), a write it refused as read-only or failed on a full
disk or an I/O error (``refused``), until a write it takes (``wrote``) or a probe finds the
store takes writes again, the poller's probe of
whether it takes writes (``probe``), a schema a newer engine migrated it to (``look``) and why
it could not be opened at the start (``store_down``). ``service.events_sync.EventsSync`` (the
poller) is one: its thread looks every ``MOVED_EVERY`` seconds; without a poller
(``events_poll=0``) ``/health`` starts the look in a thread (``_look_later``).
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

from recommender.campaigns.store import CampaignStore
from recommender.campaigns.store_schema import StoreSchemaNewerError, newer_now
from recommender.errors import StoreDamagedError, StoreReadOnlyError, StoreUnavailableError

#: seconds between the poller's reads of the store's moved mark (/health's "moved")
MOVED_EVERY = 5.0


def read_only_said(dialect: str | None = None) -> str:
    """What /health's "read_only" means and what to make writable: the words /health's problems
    (``routes.system.problems``) and a refused write's 503 (``errors.store_unavailable``) both
    say, from here so that they never disagree (a pooled SQLite connection's "disk I/O error" on
    files this process cannot write was a 503 saying "an I/O error" while /health said
    read_only). ``dialect``: the store's ("sqlite", "postgresql"), whose cause and remedy alone
    are said; None (the store not opened): both."""
    files = ("its SQLite file, -wal or -shm file or folder cannot be written by this service "
             "(a read-only mount, their permissions or an immutable flag): make the store "
             "file, its -wal and -shm files and its folder writable")
    standby = ("a PostgreSQL standby or a database with default_transaction_read_only on: "
               "point RECOMMENDER_STORE at the primary, or turn that setting off")
    why = files if dialect == "sqlite" else standby if dialect == "postgresql" else \
        f"{files}; or {standby}"
    return f"refuses writes: read-only ({why})"


class StoreHealth:
    """The store's marks as one worker saw them last (see the module docstring)."""

    waiting = False  # serving without the stored events: ``EventsSync._recover`` reads them
    failures = 0     # failed polls in a row (``EventsSync._run``)
    moved: str | None = None  # when ``campaign copy`` moved the store (``look_moved``)
    refusing: str | None = None  # the store's last failure, until a write or probe (``refused``)
    probed: str | None = None  # the poller's last ``write_state`` (``probe``), until a write
    probed_at: float | None = None  # when (``time.monotonic``; None: not probed yet)
    newer: StoreSchemaNewerError | None = None  # a newer engine migrated it since (``look``)
    store: CampaignStore | None = None  # None: not opened yet

    def __init__(self, store: CampaignStore | None, interval: float) -> None:
        self.store = store          # None: not opened yet
        self.interval = interval    # the poller's seconds between polls (0: no poller)
        self.down: BaseException | None = None  # why the store could not be opened at start
        self._looked = time.monotonic()   # the last read of the moved mark (``_look_later``)
        self.looker: threading.Thread | None = None  # ``_look_later``'s read
        self._writes = 0  # writes taken (``wrote``): a mark read before one is stale
        self._refusals = 0  # writes refused (``refused``): a probe begun before one is stale
        self._full_at: int | None = None  # ``_writes`` when a probe first saw the disk full
        self._marking = threading.Lock()

    @property
    def store_state(self) -> str:
        """``/health``'s ``campaign_store``: "unavailable" while this worker serves without
        the stored events (the store could not be opened or read at its start) or its last
        poll failed, "moved" while the store is marked as moved (it said "ok", and every
        write answered 409), "read_only" from a write the store refused as read-only (a
        PostgreSQL standby, a file that cannot be written: it said "ok" while every write
        answered 503) and "failing" from a request its full disk or an I/O error failed (it
        said "ok" too) until a write succeeds or a probe begun after the refusal finds the
        store writable (for "failing": the disk took the probe's page), else "ok".
        "read_only" and "failing" come too from the poller's probe (``probe``), so that every
        worker says so, not only the one whose write was refused; read from this worker's
        memory only: /health never waits on the store."""
        if self.newer or self.waiting or self.failures:  # newer: an upgrade, not a retry
            return "schema_newer" if isinstance(self.newer or self.down, StoreSchemaNewerError) \
                else "damaged" if isinstance(self.down, StoreDamagedError) or \
                self.refusing == "damaged" else "unavailable"
        self._look_later()
        return "moved" if self.moved is not None else self.refusing or self.probed or "ok"

    @property
    def probed_age(self) -> float | None:
        """Seconds since the last probe of whether the store takes writes (None: none yet)."""
        return None if self.probed_at is None else time.monotonic() - self.probed_at

    def probe(self) -> None:
        """Ask the store whether it takes writes (``campaigns.writable.write_state``, no write
        and no lock; while this worker says "failing", ``takes_a_write``'s page too), for
        ``store_state``: at the start and every ``MOVED_EVERY`` seconds, by the poller's thread
        (or ``_look_later``'s). A probe under way when a write is taken is dropped (it may
        have seen the store before it took writes again)."""
        from recommender.campaigns.writable import can_probe, takes_a_write, write_state

        # a store the probe cannot see (a ``file:`` URI) was said "ok" by every probe: its
        # refused write said "ok" again at the next probe while every write was refused
        if self.store is not None and can_probe(self.store):
            writes, refusals = self._writes, self._refusals
            state = write_state(self.store)
            # "failing" after a full disk or an I/O error: a page written beside the store
            # (``takes_a_write``) ends it; it stood until a write reached this worker, though
            # the disk was freed and the other worker's write was taken
            wrote = state is None and self.refusing == "failing" and takes_a_write(self.store)
            with self._marking:
                # a full disk still takes writes that fit in the files' own free pages (the
                # write-ahead log reused): once one is taken, the disk's "failing" came back
                # at each probe and went at each write while every write succeeded
                if state != "failing":
                    self._full_at = None
                else:
                    self._full_at = writes if self._full_at is None else self._full_at
                    if self._writes > self._full_at:
                        state = None
                if self._writes == writes:
                    self.probed, self.probed_at = state, time.monotonic()
                # a write refused before this probe began: the store takes writes again
                # (a read-only refusal dropped the read-only connections; a "failing" one:
                # the disk took the probe's page)
                if state is None and self._refusals == refusals and \
                        (self.refusing == "read_only" or wrote and self.refusing == "failing"):
                    self.refusing = None

    def refuse_writes(self) -> None:
        """Raise ``StoreReadOnlyError`` (503: the store refuses writes) when this worker's
        last probe (``probe``) found the store read-only: what /health says, and what the CLI
        says of the same file, before anything is written. SQLite connections pooled before the
        file became unwritable (its -wal still writable) went on writing through their open
        handles: /health said "read_only" while every event was stored (200). From memory
        only, as /health: no look at the store per request; a write taken since the probe,
        or the next probe finding it writable, ends it."""
        self._look_later()  # without a poller (``events_poll=0``): probed again in a thread
        if self.probed == "read_only":
            raise StoreReadOnlyError("the campaign store refuses writes: this worker's probe "
                                     "(campaigns.writable) found its file, write-ahead log, "
                                     "folder or database read-only")

    def look(self) -> None:
        """The poller's look besides the events: the schema (migrated by a newer engine since:
        409 on the store routes, its events unread), the moved mark and the probe."""
        if self.store is not None:
            self.newer = newer_now(self.store)
        self.look_moved()
        self.probe()

    def read_only_words(self) -> str:
        """``read_only_said`` of this worker's store (both remedies while it is not opened)."""
        return read_only_said(None if self.store is None else self.store.dialect)

    def refused(self, state: str = "read_only") -> str:
        """The store refused a write as read-only, or (``state`` "failing") its full disk or
        an I/O error failed a request (``service.errors.store_unavailable``). "failing" of a
        SQLite store whose file or write-ahead log this process cannot write (the probe's
        ``sqlite_write_state``) is "read_only": a connection opened before the files were made
        unwritable gets SQLite's "disk I/O error" where a new one gets "attempt to write a
        readonly database", and two workers said the one fault two ways. Returns the state
        marked, which /health says from now on and the refusal's 503 says too."""
        if state == "failing" and self._files_read_only():
            state = "read_only"
        with self._marking:
            self._refusals += 1
            self.refusing = state
        return state

    def _files_read_only(self) -> bool:
        """Whether this worker's store is a SQLite file the probe sees (``can_probe``) whose
        file, -wal, -shm or folder this process cannot write (no query: ``os.access``)."""
        from recommender.campaigns.writable import can_probe, sqlite_write_state

        store = self.store
        if store is None or store.dialect != "sqlite" or not can_probe(store):
            return False
        try:
            return sqlite_write_state(Path(str(store.engine.url.database))) == "read_only"
        except OSError:  # gone or unreadable: the I/O error stands
            return False

    def _look_later(self) -> None:
        """Without a poller (``events_poll=0``), read the mark and probe the store again in a
        thread (``look``), at most every ``MOVED_EVERY`` seconds, for the next ``/health``: a
        store reopened said "moved" until it took a write. A thread, so that ``/health``
        never waits on the store."""
        if self.interval > 0 or time.monotonic() < self._looked + MOVED_EVERY or (
                self.looker is not None and self.looker.is_alive()):
            return
        self._looked = time.monotonic()

        def look() -> None:
            try:
                self.look()
            except Exception:  # noqa: BLE001 - unread: what was seen stands until a later look
                pass
        self.looker = threading.Thread(target=look, name="moved-mark", daemon=True)
        self.looker.start()

    def look_moved(self) -> None:
        """Read the store's moved mark (``recommender.campaigns.moved``): at the start and at
        each poll of the poller's thread (not the polls of requests)."""
        from recommender.campaigns.moved import moved_to

        if self.store is not None:
            writes = self._writes
            with self.store.engine.connect() as conn:
                mark = moved_to(conn)
            with self._marking:  # a write taken during the read: the store was reopened
                if self._writes == writes:
                    self.moved = None if mark is None else mark.at

    def wrote(self) -> None:
        """The store took a write (events, a plan): it is not marked, since each writer looks
        for the mark under a lock the mark waits for; /health's "moved" ends here too (with
        ``events_poll=0`` no poll reads the mark: ``_look_later`` reads it). A read of the mark
        under way is dropped (it may have seen the mark before a reopen)."""
        with self._marking:
            self._writes += 1
            self.moved = None
            self.refusing = self.probed = None

    def store_down(self) -> StoreUnavailableError:
        """What a store route raises while the store is not opened (503; newer schema: 409;
        a folder that cannot be written: the 503 says the store refuses writes)."""
        newer = self.newer or self.down
        if isinstance(newer, StoreSchemaNewerError):  # a new one: raising one again grows
            return StoreSchemaNewerError(newer.shown, newer.version, newer.latest)
        if isinstance(self.down, StoreDamagedError):  # 503 without Retry-After: restore it
            return StoreDamagedError("the campaign store could not be opened since this "
                                     "worker started: its file is damaged")
        if isinstance(self.down, StoreReadOnlyError):  # its folder cannot be written: said
            return StoreReadOnlyError("the campaign store could not be opened since this "
                                      f"worker started ({self.down}); retrying in the "
                                      "background")
        return StoreUnavailableError("the campaign store could not be opened since this "
                                     "worker started; retrying in the background")
