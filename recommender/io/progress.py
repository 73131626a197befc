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


def progress_off() -> bool:
    """Whether ``RECOMMENDER_PROGRESS`` says ``never`` (or another off word): the progress
    lines a command writes to a log as well as to a terminal (``events import``'s "imported
    N/M events") are left out too, not only the bars."""
    return os.environ.get(PROGRESS_ENV, "").strip().lower() in _OFF


#: the ``TQDM_*`` variables tqdm reads as numbers, each by the type it converts it to:
#: tqdm converts them when it is imported and a value it cannot convert stops the import
#: with a bare ``ValueError`` traceback (tqdm 4.66 on); its others read as text or as a
#: truth value (any text is true)
TQDM_NUMBERS: dict[str, type] = {
    "mininterval": float, "maxinterval": float, "smoothing": float, "delay": float,
    "miniters": float, "total": float, "ncols": int, "nrows": int, "position": int,
    "initial": int, "unit_divisor": int}


def check_tqdm_environment() -> None:
    """``InvalidParameterError`` naming a ``TQDM_*`` variable that tqdm would fail to read
    as its number (``TQDM_MININTERVAL=abc``, ``TQDM_NCOLS=80.5``), before any work: tqdm
    itself stops the first command that draws progress with a traceback, after the
    command's set-up."""
    for name, value in os.environ.items():
        kind = TQDM_NUMBERS.get(name[5:].lower()) if name.startswith("TQDM_") else None
        if kind is None:
            continue
        try:
            kind(value)
        except ValueError:
            what = "a whole number" if kind is int else "a number"
            raise InvalidParameterError(
                f"{name}={value!r} is not {what}: tqdm, which draws progress, reads "
                f"{name} as one ({name[5:].lower()}); give {what} or unset it") from None


def update_interval_s() -> float | None:
    """Seconds between the updates of a progress display that is not tqdm's (Spark's stage
    bar, which redraws every 0.2 s): ``TQDM_MININTERVAL`` where it is a finite number >= 0 (so
    that one setting thins every bar; tqdm takes -1 or inf as given, this leaves them), else
    ``LOG_INTERVAL_S`` when stderr is not a terminal (``RECOMMENDER_PROGRESS=always`` into a
    log); None on a terminal (the display's own pace)."""
    try:
        seconds = float(os.environ.get(MININTERVAL_ENV, ""))
    except ValueError:
        seconds = -1.0
    if seconds >= 0 and seconds != float("inf"):
        return seconds
    return None if sys.stderr.isatty() else LOG_INTERVAL_S
