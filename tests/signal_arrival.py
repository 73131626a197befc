"""What a signal arriving does in the test process, without sending one to the test runner.

A real signal to the pytest process (``os.kill(os.getpid(), ...)``, ``signal.raise_signal``,
``signal.pthread_kill`` of its main thread) can stop or confuse a parallel run, which shares
the process group and, under xdist, the worker; ``test_house`` keeps such calls out of the
tests' own code (a child process may still be signalled).
"""

from __future__ import annotations

import signal


def signal_arrives(signum: int) -> None:
    """What ``signum`` arriving now does in this process: the handler installed for it runs
    (``signal.getsignal``; Python runs a signal's handler in the main thread, between two
    bytecodes, as here), so Ctrl-C raises ``KeyboardInterrupt`` and SIGTERM, under the CLI's
    ``_terminable``, ``Terminated``; a handler that holds the signal (``HeldInterrupts``)
    records it."""
    handler = signal.getsignal(signum)
    assert callable(handler), f"no handler of {signal.Signals(signum).name}: {handler!r}"
    handler(signum, None)
