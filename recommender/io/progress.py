"""Whether long work shows its progress on stderr, as ``RECOMMENDER_PROGRESS`` says.

``auto`` (or unset) shows it when stderr is a terminal; ``always`` shows it when stderr is a
file too (a scheduler's log: tqdm's ``TQDM_MININTERVAL`` and ``TQDM_MAXINTERVAL`` thin it);
``never`` hides it on a terminal too. Every command and library call that draws progress asks
here, so one setting reaches them all; a display that is not tqdm's (Spark's stage bar) takes
its pace from ``update_interval_s``.
"""

from __future__ import annotations

import os
import sys

from recommender.errors import InvalidParameterError

PROGRESS_ENV = "RECOMMENDER_PROGRESS"
MININTERVAL_ENV = "TQDM_MININTERVAL"
#: seconds between the updates of a display that is not tqdm's on a stderr that is not a
#: terminal (a log), ``TQDM_MININTERVAL`` unset: tqdm's default ``maxinterval``
LOG_INTERVAL_S = 10.0
_ON = frozenset({"always", "1", "on", "true", "yes"})
_OFF = frozenset({"never", "0", "off", "false", "no"})


def show_progress(progress: bool | None = None) -> bool:
    """``progress`` when given, else what ``RECOMMENDER_PROGRESS`` says (``InvalidParameterError``,
    a ``ValueError``, naming the variable for a value it does not take)."""
    if progress is not None:
        return progress
    raw = os.environ.get(PROGRESS_ENV, "").strip().lower()
    if raw in ("", "auto"):
        return sys.stderr.isatty()
    if raw in _ON:
        return True
    if raw in _OFF:
        return False
    raise InvalidParameterError(f"{PROGRESS_ENV}={os.environ[PROGRESS_ENV]!r} is not a setting "
                                "of progress: give auto (on a terminal only, the default), "
                                "always or never")


def update_interval_s() -> float | None:
    """Seconds between the updates of a progress display that is not tqdm's (Spark's stage
    bar, which redraws every 0.2 s): ``TQDM_MININTERVAL`` where it is a number >= 0 (so that
    one setting thins every bar; tqdm itself refuses another value when it draws), else
    ``LOG_INTERVAL_S`` when stderr is not a terminal (``RECOMMENDER_PROGRESS=always`` into a
    log); None on a terminal (the display's own pace)."""
    try:
        seconds = float(os.environ.get(MININTERVAL_ENV, ""))
    except ValueError:
        seconds = -1.0
    if seconds >= 0 and seconds != float("inf"):
        return seconds
    return None if sys.stderr.isatty() else LOG_INTERVAL_S
