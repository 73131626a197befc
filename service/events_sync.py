"""Each worker follows the campaign store's events: new events reach its served model quickly.

``EventsSync`` keeps one ``recommender.serving.overlay.Overlay`` on the worker's model. A
thread looks at the store's latest event sequence every ``RECOMMENDER_EVENTS_POLL`` seconds;
when it moved, it reads and applies the new events and installs an engine on the derived model
(``ServiceState.install``: the old engine's caches dropped, the new one's keys carry the event
sequence). Workers and replicas read the store, never each other's memory, so each reflects an
acknowledged event within one poll plus the time to materialise the overlay.

A (re)loaded model passes through ``overlaid`` first: the overlay is rebuilt on it from the
events after the sequence its training folded in (``meta["events"]["through_seq"]``, written
by ``recommender train --events``), when its training read this store; a model trained on
another store's events takes every event of this one (``events.trained_through``).

A worker whose store cannot be opened or read at its start (PostgreSQL down, a damaged or
locked SQLite file) still starts: it serves the model without the stored events (``at_start``
logs one warning), its store routes answer 503 with ``Retry-After`` (``store_down``), and the
poller keeps opening and reading the store, with its back-off, until it can; then the events
are applied as at a start (``_recover``); a failed start made uvicorn stop every worker.

What the worker knows of the store's health (/health's ``campaign_store``: moved, read-only,
failing, a newer schema) is ``service.store_health.StoreHealth``'s, which ``EventsSync`` is.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from recommender.campaigns.erasure import erasure_version
from recommender.campaigns.events import film_event_count, iter_events
from recommender.campaigns.next_wave import base_overlay
from recommender.campaigns.store import CampaignStore
from recommender.campaigns.writer_counts import latest_sequence
from recommender.errors import reason_line
from recommender.query.hints import count_store_events_with
from recommender.serving.engine import Engine
from recommender.serving.overlay import Overlay, engine_with
from service import store_health
from service.film_events import COUNTED, EVERY, HINT_WRITER, own_events
from service.state import ServiceState
from service.store_health import StoreHealth

log = logging.getLogger("recommender.service")


class EventsSync(StoreHealth):
    """The poller of one worker (see the module docstring); its store's health as it saw it
    last is ``StoreHealth``'s."""

    _hastened = False  # a request ended this back-off wait (``answered``): not again

    def __init__(self, service: ServiceState, store: CampaignStore | None, interval: float,
                 opener: Callable[[], CampaignStore] | None = None) -> None:
        super().__init__(store, interval)  # the store's marks (``StoreHealth``)
        self.service = service
        self._opener = opener       # opens the store when it is not yet (``open``)
        self._opening = threading.Lock()
        self.overlay: Overlay | None = None
        self._ours: set[str] = set()   # keys of engines this sync built (not to re-wrap)
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._seq_of: dict[str, int] = {}
        self._base: Engine | None = None  # the engine the overlay was built on, and the
        self._store_id = ""               # store's id then (``campaign copy`` replaces it)
        self._erased = (0, 0)             # and its erasures (``erasure.erasure_version``)

    @property
    def applied(self) -> int:
        """The last event sequence the engine now serving reflects (not the overlay's, which
        moves on before the engine holding it is installed)."""
        engine = self.service.engine
        return self._seq_of.get(engine.key, 0) if engine is not None else 0

    def seq_for(self, engine: Engine) -> int:
        """The last event sequence ``engine`` reflects (0: none; ``X-Events-Seq``)."""
        return self._seq_of.get(engine.key, 0)

    def describe(self) -> dict[str, Any]:
        return self.overlay.describe() if self.overlay is not None else {}

    def open(self) -> CampaignStore:
        """The store, opened by ``opener`` when it is not yet (one opening at a time)."""
        with self._opening:
            if self.store is None:
                if self._opener is None:
                    raise self.store_down()
                self.store = self._opener()
            return self.store

    def at_start(self, engine: Engine) -> Engine:
        """``overlaid`` for the worker's first engine, except that a store that cannot be
        opened or read does not stop the start: ``engine`` is served without the stored
        events, and the poller reads them once it can (``_recover``)."""
        why = self.down
        if self.store is not None:
            try:
                return self.overlaid(engine)
            except Exception as e:  # down, locked past its timeout, damaged
                why = e
        self.waiting = True
        log.warning("events sync: the campaign store cannot be %s (%s: %s); serving model %s "
                    "without its events, its routes answer 503, retrying in the background",
                    "read" if self.store is not None else "opened", type(why).__name__,
                    reason_line(str(why)), engine.version)
        return engine

    def without_model(self) -> None:
        """A worker started without a model (``ServiceState._fallback``): a store not opened
        yet is opened and read by the poller (``_recover``) once a model is served, as after
        ``at_start``; an opened one is read when the model is installed."""
        if self.store is None:
            self.waiting = True

    def overlaid(self, engine: Engine) -> Engine:
        """``engine`` with the stored events applied: called for every engine the service
        installs; an engine this sync built passes through unchanged, and so does every
        engine while the store is unread since the start (``_recover`` applies them)."""
        if engine.key in self._ours or self.waiting:
            return engine
        return self._build(engine)

    def _build(self, engine: Engine) -> Engine:
        assert self.store is not None
        store_id = self.store.store_id(fresh=True)  # a copy into the store may have changed it
        overlay, erased = base_overlay(engine.model, self.store)
        if overlay.gone:  # a store restored from a backup and written to again
            log.warning("events sync: model %s: %s", engine.version, overlay.gone)
        self._erased = erased.version
        self._read(overlay)  # kept only once read: a failed read leaves the next poll to retry
        self._base, self._store_id, self.overlay = engine, store_id, overlay
        return self._engine(engine, overlay)

    def _read(self, overlay: Overlay) -> bool:
        assert self.store is not None
        seen = False
        for part in iter_events(self.store, after=overlay.seq):
            overlay.apply(part.user_id, part.film_id, part.weight, part.last_seq)
            seen = True
        return seen

    def _engine(self, engine: Engine, overlay: Overlay) -> Engine:
        # the model as loaded, unless an events install replaced (and closed) it since
        if not overlay.changes and not engine.closed:
            new = engine
        else:
            new = engine_with(engine, overlay.model())
            self._ours = {new.key}
            if overlay.unknown_film_events:  # an unknown film's 404 counts its own, as the CLI
                count_store_events_with(new.model, self._film_counter(overlay.since),
                                        own_events)
        # the sequence each recent engine reflects (the serving one and the one being installed)
        self._seq_of = {**dict(list(self._seq_of.items())[-1:]), new.key: overlay.seq}
        return new

    def _film_counter(self, since: int) -> Callable[[str], int]:
        """The events this worker's store holds for a film after ``since`` (an unknown film's
        404, ``recommender.query.hints.store_events_hint``), read from the store this sync
        reads, not a reopened one, of the writers the request is shown
        (``film_events.HINT_WRITER``: none outside a model route); 0 where it cannot be read
        (the 404 stands, unhinted)."""
        store = self.store

        def count(film_id: str) -> int:
            if (read := COUNTED.get()) is not None:  # read under the store gate (film_events)
                return read.get(film_id, 0)
            whose = HINT_WRITER.get()
            if store is None or whose is None:
                return 0
            try:
                return film_event_count(store, film_id, since, None if whose == EVERY else whose)
            except Exception:  # noqa: BLE001 - a hint: a store down leaves the 404 as it was
                return 0
        return count

    def poll(self) -> bool:
        """Apply new events, if any; True when a new engine was installed."""
        overlay = self.overlay
        if overlay is None or self.newer is not None:  # a newer schema's events: unread
            return self._recover() if self.waiting and overlay is None else False
        assert self.store is not None
        # events the overlay holds but no installed engine reflects: a read that failed after
        # applying part of what it read (installed now, even if nothing newer arrived)
        pending = self.applied != overlay.seq
        # the latest sequence, as max_sequence, checking the event the remembered counts of
        # X-Events-Seq were taken at is still there (a restore in place: counted again)
        erased = erasure_version(self.store) != self._erased  # ``recommender forget`` since
        if not pending and not erased and latest_sequence(self.store) <= overlay.seq:
            self._warm_when_quiet()
            return False
        with self.service._reload_lock:  # never race a reload's install
            if self.overlay is not overlay or self.service.engine is None:
                return False
            if self._base is not None and (erased or
                                           self.store.store_id(fresh=True) != self._store_id):
                # ``campaign copy`` into this (empty) store gave it the copied store's id and
                # events: a model trained with them folds in only the later ones (read from
                # the served model as it was before any event, not on top of the overlay)
                log.warning("events sync: %s; its events are read again for model %s",
                            "users were erased from the campaign store" if erased else
                            "the campaign store's id changed (a store copied into it)",
                            self._base.version)
                new = self._build(self._base)
                if new is self.service.engine:  # nothing to fold in, as served: not closed
                    return False
                self.service.install(new)
                return True
            if not self._read(overlay) and self.applied == overlay.seq:
                return False
            # not warmed now: under steady events each install restarted the warm-up of every
            # film's ranking, which the next install threw away (reads fell from 257 to 167
            # a second at 4 batches a second); it starts after a poll with no new event
            self.service.install(self._engine(self.service.engine, overlay), warm=False)
            return True

    def _warm_when_quiet(self) -> None:
        """Start the served engine's cache warm-up if an events install left it cold."""
        engine = self.service.engine
        if engine is None or engine.warm_status["state"] != "off" or \
                not self.service.settings.warm_cache:
            return  # the usual case, without waiting behind a reload's lock
        with self.service._reload_lock:  # polls from request threads too: one start
            engine = self.service.engine  # a reload may have swapped it meanwhile
            if (engine is not None and engine.key in self._ours
                    and engine.warm_status["state"] == "off"):
                # claimed as "running" (one start), the state /health knows: "starting", set
                # here until the thread began, made /health a 500 meanwhile
                engine.warm_status["state"] = "running"
                engine.start_warming()

    def _recover(self) -> bool:
        """Open and read the store this worker started without, and apply its events to the
        served engine as a start does; raises while the store is still unavailable."""
        self.open()
        with self.service._reload_lock:  # never race a reload's install
            engine = self.service.engine
            if not self.waiting or engine is None:
                return False
            new = self._build(engine)
            self.waiting, self.down = False, None
            with self._marking:  # the damaged file its routes refused was restored: read now
                self.refusing = None if self.refusing == "damaged" else self.refusing
            if new is not engine:
                self.service.install(new)
        log.warning("events sync: the campaign store is read again; model %s now reflects "
                    "its events through sequence %d", new.version, self.applied)
        return True

    def wake(self) -> None:
        """Look now (this worker stored events); while the poller backs off, as ``answered``."""
        if self.failures or self.waiting:
            self.answered()
        else:
            self._wake.set()

    def answered(self) -> None:
        """A store request of this worker was answered: a poller backing off after failed
        polls looks now, not after up to a minute of "unavailable". Once per wait: a look
        that fails again waits its doubled wait out (each request made a poll)."""
        if (self.failures or self.waiting) and not self._hastened:
            self._hastened = True
            self._wake.set()

    def start(self) -> None:
        if self.interval > 0 or self.waiting:  # events_poll=0 still retries a store down
            self._thread = threading.Thread(target=self._run, name="events-sync", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _run(self) -> None:
        # failures in a row: the wait doubles (to a minute) and one line is logged (a start
        # without the store counts as one: at_start logged it)
        self.failures = int(self.waiting)
        base = self.interval if self.interval > 0 else 1.0
        looked = time.monotonic()  # attach read the mark
        while not self._stop.is_set():
            if not self._wake.wait(min(60.0, base * 2 ** min(self.failures, 10))):
                self._hastened = False  # its wait waited out: a request may hasten the next
            self._wake.clear()
            if self._stop.is_set():
                break
            recovering = self.waiting
            try:
                self.poll()
                # not at each of 4 polls a second
                if time.monotonic() >= looked + store_health.MOVED_EVERY:
                    self.look()
                    looked = time.monotonic()
            except Exception as e:  # never let the poller die (a store restarting, a lock)
                if self.waiting:  # why the store is still not opened (/health, store_down)
                    self.down = e
                if not self.failures:  # once per outage: a traceback 4 times a second filled logs
                    log.warning("events sync: the campaign store cannot be read (%s: %s); "
                                "retrying, less often while it lasts", type(e).__name__,
                                str(e).splitlines()[0][:300] if str(e) else "", exc_info=True)
                self.failures += 1
                continue
            if self.failures and not recovering:  # _recover logged its own line
                log.warning("events sync: the campaign store is read again after %d failed "
                            "polls", self.failures)
            self.failures, self._hastened = 0, False
            if self.interval <= 0 and not self.waiting:
                break  # events_poll=0: the thread only waited for the store

