"""The warning ``serve`` prints once at start when other machines can reach a server left open.

``recommender serve MODEL --host 0.0.0.0`` (any address but a loopback one) without read keys
started in silence, every audience, recommendation and stored plan (its users' CSV too)
readable by anyone who could reach the port; without write keys either, events and plans were
writable by them too (``service/auth.py``: reads are open while no read key is set; writes
while no read or write key is). ``RECOMMENDER_ADMIN_KEY`` alone closes ``/admin/*`` only. It
still starts (a trial on a private network, a container behind its own gateway), but says what
is open and which settings close it. A loopback address (the default, 127.0.0.1) is this
machine's alone: nothing is said.
"""

from __future__ import annotations

import sys
from typing import Any

from service.hosts import is_loopback
from service.keys import admin_ring, read_ring, write_ring


def open_warning(host: str, settings: Any) -> str | None:
    """What a server on ``host`` with ``settings`` (``service.settings.Settings``) leaves open to
    the network, and how to close it: one line, or None when nothing data-bearing is open (a
    loopback address, or read keys set)."""
    if is_loopback(host) or read_ring(settings.read_keys):
        return None
    shown = host or "every address"
    writes = not write_ring(settings.write_keys)
    opened = ("read every film's audience, every user's recommendations and every stored plan "
              "with its users (plan.csv)")
    if writes:
        opened += ", and post events, create plans, withdraw them and mark their waves sent"
    admin = bool(admin_ring(settings.admin_key, settings.api_key))
    closes = ("set RECOMMENDER_READ_KEYS" + (" and RECOMMENDER_WRITE_KEYS" if writes else "")
              + " (README, Security)")
    return (f"warning: serving on {shown}, reachable from other machines, with no "
            f"RECOMMENDER_READ_KEYS{' or RECOMMENDER_WRITE_KEYS' if writes else ''}"
            f"{' (RECOMMENDER_ADMIN_KEY guards /admin/* alone)' if admin else ''}: anyone who "
            f"can reach the port can {opened}. To close it, {closes}, or serve on "
            "--host 127.0.0.1")


def warn_if_open(host: str, settings: Any) -> None:
    """Print :func:`open_warning`'s line on standard error, if any (``serve``, once, in the
    process that starts the workers)."""
    said = open_warning(host, settings)
    if said is not None:
        print(said, file=sys.stderr, flush=True)
