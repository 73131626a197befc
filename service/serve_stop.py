"""How ``serve`` ends on Ctrl-C or SIGTERM: as every command does, whatever its number of workers.

uvicorn drains the requests under way and stops its workers on either signal, then ended three
ways: one worker raised SIGTERM again (``Terminated``: exit 143) and took Ctrl-C as a normal end
(0); several (its ``Multiprocess`` supervisor, which keeps the signals it takes) returned (0 on
both). ``service.server._run_uvicorn`` notes the signal (``said_ctrl_c``, ``Supervisor``) and
``end_as_stopped`` raises what the CLI's ``main`` says: "interrupted", exit 130, or
"terminated", exit 143, once drained.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager

from uvicorn.supervisors import Multiprocess

from recommender.errors import Terminated


@contextmanager
def said_ctrl_c(stopped: list[int]) -> Iterator[None]:
    """Ctrl-C, which uvicorn raises again once the server drained and ``uvicorn.run`` then
    takes as a normal end, noted in ``stopped`` (SIGTERM raises ``Terminated`` through it)."""
    def interrupted(signum: int, frame: object) -> None:
        stopped.append(signal.SIGINT)
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGINT, interrupted)
    except ValueError:  # off the main thread: no handler, and no signal reaches it
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


class Supervisor(Multiprocess):
    """uvicorn's ``Multiprocess``, which says which signal stopped it (``stopped_by``; None:
    a worker failed to start, and the supervisor stopped the others)."""

    stopped_by: int | None = None

    def handle_int(self) -> None:
        self.stopped_by = self.stopped_by or signal.SIGINT
        super().handle_int()

    def handle_term(self) -> None:
        self.stopped_by = self.stopped_by or signal.SIGTERM
        super().handle_term()


def end_as_stopped(stopped: list[int]) -> None:
    """Raise ``KeyboardInterrupt`` (exit 130) when Ctrl-C stopped the server, ``Terminated``
    (143) when SIGTERM did (the first signal taken, of ``stopped``); nothing when none did."""
    if stopped and stopped[0] == signal.SIGINT:
        raise KeyboardInterrupt
    if stopped:
        raise Terminated
