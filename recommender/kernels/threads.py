"""Long native calls run off the main thread, so that a Ctrl-C or SIGTERM acts at once.

The solver's thread is a daemon: a signal ends the wait, and the process exits without it.
"""

from __future__ import annotations

import threading
from typing import Any


def off_main(solve: Any, *args: Any, **kwargs: Any) -> Any:
    """``solve(...)`` in a thread the main thread waits on (off the main thread: here). Python
    acts on a signal in the main thread only, between bytecodes: a Ctrl-C or SIGTERM in a
    round of HiGHS (which lets go of the GIL) waited for its end (a plan: 6 s of 11, 40 films;
    a slate's screens: up to 18 s in one solve)."""
    if threading.current_thread() is not threading.main_thread():
        return solve(*args, **kwargs)
    done: list[tuple[bool, Any]] = []

    def run() -> None:
        try:
            done.append((True, solve(*args, **kwargs)))
        except BaseException as e:  # noqa: BLE001 - raised again in the main thread
            done.append((False, e))

    worker = threading.Thread(target=run, name="highs", daemon=True)  # left if stopped
    worker.start()
    while worker.is_alive():
        worker.join(0.2)  # a signal's handler runs here, and what it raises ends the wait
    if not done[0][0]:
        raise done[0][1]
    return done[0][1]
