"""The ``recommender`` console script's entry point: Ctrl-C while the CLI loads ends in one line.

Importing ``recommender.cli`` takes most of a second (numpy, scipy, pyarrow), before ``main``
can catch anything: a Ctrl-C then printed a Python traceback. This module imports only
``sys`` and ``signal``, so the script's first work is the ``try`` below (startup is no
slower). SIGTERM there ended the process at once without a word (Python's default): it
says "terminated" and exits 143, as ``main`` does once it runs.
"""

from __future__ import annotations

import signal
import sys


class _Terminated(BaseException):
    """SIGTERM before the CLI's own handler is set (``recommender.cli.Terminated``)."""


def _on_sigterm(signum: int, frame: object) -> None:
    raise _Terminated


def main() -> int:
    try:
        before = signal.signal(signal.SIGTERM, _on_sigterm)
    except ValueError:  # not the main thread: nothing to set
        before = None
    try:
        from recommender.cli import main as cli_main
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except _Terminated:
        print("terminated", file=sys.stderr)
        return 128 + signal.SIGTERM
    finally:  # Python's own again: ``main`` sets its own, and none around Spark on purpose
        if before is not None:
            signal.signal(signal.SIGTERM, before)
    return cli_main()
