"""Opening the app's campaign store at start-up and stopping its events poller at shutdown.

``attach`` opens the store (``routes.campaigns.store_target``) and hands it to an
``events_sync.EventsSync``, which makes every engine the service installs follow its events;
a store that cannot be opened now is opened later by the poller. ``detach`` stops the poller
and closes the store.
"""

from __future__ import annotations

from typing import Any

from recommender.campaigns.store import CampaignStore
from recommender.errors import StoreUnavailableError
from service.events_sync import EventsSync
from service.state import ServiceState


def attach(app: Any, service: ServiceState) -> EventsSync:
    """Open the app's campaign store (``routes.campaigns.store_target``) and make every
    engine the service installs follow its events; call before ``service.startup()``. A
    store that cannot be opened now is opened later by the poller (module docstring)."""
    from recommender.campaigns.store import open_store
    from service.routes.campaigns import store_pool, store_target

    def opener() -> CampaignStore:
        store = open_store(store_target(service.settings), pool=store_pool(service.settings))
        app.state.campaign_store = store  # the store routes answer from now on
        return store

    sync = EventsSync(service, getattr(app.state, "campaign_store", None),
                      service.settings.events_poll, opener)
    try:
        sync.open()
    except (StoreUnavailableError, OSError) as e:  # down, damaged, locked: see at_start
        sync.down = e
    try:
        sync.look()  # /health's "moved", "read_only" and "failing"
    except Exception:  # noqa: BLE001 - unread (at_start says why): the poller reads it again
        pass
    service.events = sync
    app.state.events_sync = sync
    return sync


def detach(app: Any) -> None:
    """Stop the poller, then close the store (its pool, and the file a SQLite store holds
    open for its life: left to the process, each app a process made and shut down, as a
    test suite's, left its handle to the garbage collector)."""
    sync: EventsSync | None = getattr(app.state, "events_sync", None)
    if sync is not None:
        sync.stop()
    store = getattr(app.state, "campaign_store", None)
    if store is not None:
        app.state.campaign_store = None
        store.close()
