"""Each worker follows the campaign store's events: new events reach its served model quickly.

``EventsSync`` keeps one ``recommender.serving.overlay.Overlay`` on the model the worker
loaded. A thread looks at the store's latest event sequence every ``RECOMMENDER_EVENTS_POLL``
seconds (one index look-up); when it moved, it reads the new events, applies them, and installs
an engine on the derived model (``ServiceState.install``: the old engine's cached rankings and
bodies are dropped, and the new engine's cache keys carry the event sequence). Workers and
replicas read the store, never each other's memory, so every one of them reflects an
acknowledged event within one poll plus the time to materialise the overlay.

A (re)loaded model passes through ``overlaid`` first: the overlay is rebuilt on it from the
events after the sequence its training folded in (``meta["events"]["through_seq"]``, written
by ``recommender train --events``), when its training read this store; a model trained on
another store's events takes every event of this one (``events.trained_through``).
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from recommender.campaigns.events import iter_events, max_sequence, trained_through
from recommender.campaigns.store import CampaignStore
from recommender.serving.engine import Engine
from recommender.serving.overlay import Overlay, engine_with
from service.state import ServiceState

log = logging.getLogger("recommender.service")


class EventsSync:
    """The poller of one worker (see the module docstring)."""

    def __init__(self, service: ServiceState, store: CampaignStore, interval: float) -> None:
        self.service = service
        self.store = store
        self.interval = interval
        self.overlay: Overlay | None = None
        self._ours: set[str] = set()   # keys of engines this sync built (not to re-wrap)
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._seq_of: dict[str, int] = {}

    @property
    def applied(self) -> int:
        """The last event sequence the engine now serving reflects (not the overlay's, which
        moves on before the engine holding it is installed)."""
        engine = self.service.engine
        return self._seq_of.get(engine.key, 0) if engine is not None else 0

    def describe(self) -> dict[str, Any]:
        return self.overlay.describe() if self.overlay is not None else {}

    def overlaid(self, engine: Engine) -> Engine:
        """``engine`` with the stored events applied: called for every engine the service
        installs; an engine this sync built passes through unchanged."""
        if engine.key in self._ours:
            return engine
        since = trained_through(engine.model.meta, self.store)
        overlay = Overlay(engine.model, since)
        self._read(overlay)
        self.overlay = overlay
        return self._engine(engine, overlay)

    def _read(self, overlay: Overlay) -> bool:
        seen = False
        for part in iter_events(self.store, after=overlay.seq):
            overlay.apply(part.user_id, part.film_id, part.weight, part.last_seq)
            seen = True
        return seen

    def _engine(self, engine: Engine, overlay: Overlay) -> Engine:
        if overlay.applied == 0 and overlay.seq == overlay.since:
            new = engine
        else:
            new = engine_with(engine, overlay.model())
            self._ours = {new.key}
        # the sequence each recent engine reflects (the serving one and the one being installed)
        self._seq_of = {**dict(list(self._seq_of.items())[-1:]), new.key: overlay.seq}
        return new

    def poll(self) -> bool:
        """Apply new events, if any; True when a new engine was installed."""
        overlay = self.overlay
        if overlay is None:
            return False
        # events the overlay holds but no installed engine reflects: a read that failed after
        # applying part of what it read (installed now, even if nothing newer arrived)
        pending = self.applied != overlay.seq
        if not pending and max_sequence(self.store) <= overlay.seq:
            return False
        with self.service._reload_lock:  # never race a reload's install
            if self.overlay is not overlay or self.service.engine is None:
                return False
            if not self._read(overlay) and self.applied == overlay.seq:
                return False
            self.service.install(self._engine(self.service.engine, overlay))
            return True

    def wake(self) -> None:
        """Look now (after this worker stored events), not at the next tick."""
        self._wake.set()

    def start(self) -> None:
        if self.interval > 0:
            self._thread = threading.Thread(target=self._run, name="events-sync", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _run(self) -> None:
        failures = 0  # in a row: the wait doubles (to a minute) and one line is logged
        while not self._stop.is_set():
            self._wake.wait(min(60.0, self.interval * 2 ** min(failures, 10)))
            self._wake.clear()
            if self._stop.is_set():
                break
            try:
                self.poll()
            except Exception as e:  # never let the poller die (a store restarting, a lock)
                if not failures:  # once per outage: a traceback 4 times a second filled logs
                    log.warning("events sync: the campaign store cannot be read (%s: %s); "
                                "retrying, less often while it lasts", type(e).__name__,
                                str(e).splitlines()[0][:300] if str(e) else "", exc_info=True)
                failures += 1
                continue
            if failures:
                log.warning("events sync: the campaign store is read again after %d failed "
                            "polls", failures)
            failures = 0


def attach(app: Any, service: ServiceState) -> EventsSync:
    """Open the app's campaign store (``routes.campaigns.store_target``) and make every
    engine the service installs follow its events; call before ``service.startup()``."""
    from recommender.campaigns.store import open_store
    from service.routes.campaigns import store_pool, store_target

    store = getattr(app.state, "campaign_store", None)
    if store is None:
        store = open_store(store_target(service.settings), pool=store_pool(service.settings))
        app.state.campaign_store = store
    sync = EventsSync(service, store, service.settings.events_poll)
    service.events = sync
    app.state.events_sync = sync
    return sync


def detach(app: Any) -> None:
    """Stop the poller (the store is closed with the process)."""
    sync: EventsSync | None = getattr(app.state, "events_sync", None)
    if sync is not None:
        sync.stop()
