"""SIGTERM raised as ``Terminated`` in a command, and signals held while its last steps land.

``main`` runs every command inside ``_terminable()``; a command whose last steps must land
together (a plan stored and its files renamed into place) holds Ctrl-C and SIGTERM around
them with ``HeldInterrupts``.
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from recommender.errors import Terminated
from recommender.io.atomic import PLACED


def _on_sigterm(signum: int, frame: object) -> None:
    raise Terminated


@contextmanager
def _terminable() -> Iterator[None]:
    """SIGTERM raises ``Terminated`` while the block runs (the handler before is restored);
    off the main thread, where no handler can be set, nothing changes."""
    try:
        previous = signal.signal(signal.SIGTERM, _on_sigterm)
    except ValueError:
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def deliver(signum: int) -> None:
    """Deliver ``signum`` to this process now, as a held signal is acted on: its handler then
    runs, or its default action (tests replace this with the handler's run alone, since a
    signal sent to the test runner can stop or confuse a parallel run)."""
    signal.raise_signal(signum)


class HeldInterrupts:
    """Ctrl-C and SIGTERM held from ``hold()`` to the end of the ``with`` block, then acted on
    (the handlers before are restored and the signal raised again): for the last steps of a
    command that must land together, such as a plan stored in the campaign store and its
    files renamed into place (a Ctrl-C between the two left the plan stored and its files
    removed, exit 130, and a retry stored it twice). Before ``hold()`` a signal acts at
    once; off the main thread nothing is held."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self) -> None:
        self.caught: list[int] = []
        self.before: dict[int, Any] = {}
        self.note: str | None = None

    def _catch(self, signum: int, frame: object) -> None:
        self.caught.append(signum)

    def hold(self, note: str | None = None) -> None:
        """Hold the signals from now on; ``note`` is printed (stderr) when one came, saying
        what was completed rather than undone."""
        self.note = note
        try:
            for s in self.SIGNALS:
                self.before[s] = signal.signal(s, self._catch)
        except ValueError:  # not the main thread
            pass

    def __enter__(self) -> HeldInterrupts:
        return self

    def __exit__(self, kind: type[BaseException] | None, *rest: object) -> None:
        for s, handler in self.before.items():
            signal.signal(s, handler if handler is not None else signal.SIG_DFL)
        self.before.clear()
        if self.caught and kind is None:  # what was held acts now, as it would have
            if self.note:
                print(self.note, file=sys.stderr)
            deliver(self.caught[0])


def _say_placed(since: int) -> None:
    """Name (stderr) the files and folders this command had put in place, whole, when it
    was stopped."""
    if len(PLACED) > since:
        print(f"note: {', '.join(PLACED[since:])} had been written in full when this stopped "
              "(replacing any previous one of that name)", file=sys.stderr)
