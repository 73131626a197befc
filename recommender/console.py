"""The ``recommender`` console script's entry point: Ctrl-C while the CLI loads ends in one line.

Importing ``recommender.cli`` takes most of a second (numpy, scipy, pyarrow), before ``main``
can catch anything: a Ctrl-C then printed a Python traceback. This module imports only
``sys``, ``signal`` and ``atexit`` (built in), so the script's first work is the ``try``
below (startup is no slower). SIGTERM there ended the process at once without a word
(Python's default): it says "terminated" and exits 143, as ``main`` does once it runs.

Three ways a stop still escaped that, all closed here. An extension may catch the signal's
exception inside its own import and raise another: numpy's, stopped while it loads
``datetime``, raised ``ImportError`` ("PyCapsule_Import could not import module", with its
"bad install" advice), a traceback and exit 1; the signals are recorded, so any error of the
import after one is the stop it is. And a ``KeyboardInterrupt`` that left an ``exec`` of a
string (scipy's ``array_api_compat`` imports numpy that way) marks the interpreter, which then
killed itself with SIGINT on exit after "interrupted" (-2 to a caller, not the 130 said):
the mark is cleared before the code is returned. And C code that clears whatever a call
raised (``PyObject_HasAttr``) left the stop unheard: the command ran on and exited 0; a signal
recorded during the import stops it once the import ends.

Once the command has returned its code, the first Ctrl-C or SIGTERM is ignored (``_deaf``):
the outputs are complete, and a stop then (in the interpreter's shutdown: atexit handlers,
garbage collection, most of a second after the last "written to" line) killed the process by
that signal, exit 130 or 143 (-2 or -15 to a caller) and no word, though nothing was
interrupted. Ignored rather than ``os._exit``: the exit still flushes buffered output and runs
every atexit handler (temporary folders removed, logs flushed). Only the first: a second
(either signal) ends the exit by that signal, Python's default, so an exit that hangs (an
atexit handler or a thread join waiting on something that never ends) is still stopped by a
Ctrl-C pressed twice or a second SIGTERM, not SIGKILL alone. Past the last atexit handler
(``_deaf_to_the_end``, registered as this module loads: it runs after every handler the CLI
registers) no Python handler can run, since the interpreter's finalization sets one back to
the default: both signals are ignored outright there (garbage collection waits on nothing),
unless one came already, when the next ends it as before.

Every entry goes through ``main``: the console script, ``python -m recommender`` and
``python -m recommender.cli`` (both ``__main__`` modules call it).
"""

from __future__ import annotations

import atexit
import signal
import sys

TYPE_CHECKING = False  # no ``typing`` import at run time (it is not loaded at startup)
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

#: the signals received while the CLI was imported (SIGINT, SIGTERM)
_RECEIVED: list[int] = []


class _Terminated(BaseException):
    """SIGTERM before the CLI's own handler is set (``recommender.cli.Terminated``)."""


def _on_signal(signum: int, frame: object) -> None:
    _RECEIVED.append(signum)
    if signum == signal.SIGTERM:
        raise _Terminated
    raise KeyboardInterrupt


def _stopped(signum: int) -> int:
    print("terminated" if signum == signal.SIGTERM else "interrupted", file=sys.stderr)
    return 128 + signum


def _load() -> int | None:
    """Import the CLI: None when it loaded, else the exit code of the stop that came."""
    try:
        before = [(signum, signal.signal(signum, _on_signal))
                  for signum in (signal.SIGINT, signal.SIGTERM)]
    except ValueError:  # not the main thread: nothing to set
        before = []
    try:
        import recommender.cli  # noqa: F401
    except KeyboardInterrupt:
        return _stopped(signal.SIGINT)
    except _Terminated:
        return _stopped(signal.SIGTERM)
    except Exception:  # an extension turned the stop into its own error (numpy: ImportError)
        if not _RECEIVED:
            raise
        return _stopped(_RECEIVED[0])
    finally:  # Python's own again: ``main`` sets its own, and none around Spark on purpose
        for signum, handler in before:
            signal.signal(signum, handler if handler is not None else signal.SIG_DFL)
    # a stop whose exception C code cleared (``PyObject_HasAttr`` clears any) went unheard:
    # the command ran to its end, exit 0
    return _stopped(_RECEIVED[0]) if _RECEIVED else None


def _forget_interrupt() -> None:
    """Clear the interpreter's mark of a ``KeyboardInterrupt`` that left an ``exec`` of a
    string (CPython sets it there and, at exit, kills the process with SIGINT whatever code
    it was given); each such ``exec`` begins by clearing it."""
    exec("pass", {})


#: the signals received after the command returned (``_let_first_go``); None before it did
_EXITING: list[int] | None = None
_STOPS = (signal.SIGTERM, signal.SIGINT)


def _set(handler: Callable[[int, Any], None] | signal.Handlers) -> bool:
    """Set ``handler`` for SIGINT and SIGTERM; False when not on the main thread. A signal
    that came just before, still pending, is acted on by ``signal.signal`` as it begins: one
    raised there (the CLI's handler, before ``_deaf``) is let go and the handler set again."""
    for signum in _STOPS:
        try:
            signal.signal(signum, handler)
        except ValueError:  # not the main thread: nothing to set
            return False
        except (KeyboardInterrupt, _Terminated):  # pending before: the work is done all the same
            signal.signal(signum, handler)
    return True


def _let_first_go(signum: int, frame: object) -> None:
    """The first SIGINT or SIGTERM after the command returned: let go, and Python's defaults
    set again for both, so that the next ends the exit by its signal."""
    if _EXITING is not None:
        _EXITING.append(signum)
    _set(signal.SIG_DFL)


def _deaf() -> None:
    """The command has returned its code: ignore the first SIGINT or SIGTERM from now on, end
    by the second (the module's docstring says why)."""
    global _EXITING
    _EXITING = []
    _set(_let_first_go)


def _deaf_to_the_end() -> None:
    """The last atexit handler: ignore both signals outright for the rest of the exit when
    none came since the command returned (the interpreter's finalization would set
    ``_let_first_go`` back to the default, and the first would kill the process); one that
    came already left the defaults, kept."""
    if _EXITING is None or _EXITING:
        return
    _set(signal.SIG_IGN)
    if _EXITING:  # one came as the handlers were swapped: the next ends the exit
        _set(signal.SIG_DFL)


atexit.register(_deaf_to_the_end)  # before the CLI loads: runs after each handler it registers


def main() -> int:
    code = _load()
    if code is None:
        from recommender.cli import main as cli_main

        code = cli_main()
    _deaf()  # a first stop from here on lands in the exit, after the command's work
    _forget_interrupt()
    return code
