"""Whether long work shows its progress on stderr, as ``RECOMMENDER_PROGRESS`` says.

``auto`` (or unset) shows it when stderr is a terminal; ``always`` shows it when stderr is a
file too (a scheduler's log: tqdm's ``TQDM_MININTERVAL`` and ``TQDM_MAXINTERVAL`` thin it);
``never`` hides it on a terminal too. Every command and library call that draws progress asks
here, so one setting reaches them all.
"""

from __future__ import annotations

import os
import sys

from recommender.errors import InvalidParameterError

PROGRESS_ENV = "RECOMMENDER_PROGRESS"
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
