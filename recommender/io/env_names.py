"""Which ``RECOMMENDER_*`` names nothing reads: refused when near a setting, else warned.

The settings ignore a name they do not know, so ``RECOMMENDER_READ_KEY`` (for ``READ_KEYS``)
served every endpoint open and ``RECOMMENDER_WORKERS=4`` served one worker, with no word said.
One rule for ``serve`` and every command (``recommender.cli.environment``, ``service.settings``):
a name near a setting (``misspelt``) is refused with the name meant; any other name nothing
reads (``unknown``) is said in one warning line at the start, with the option to give where
it looks like one of ``serve``'s (``--workers``, ``--port``, ``--host``). The test suite's and
CI's own ``RECOMMENDER_TEST_*`` names are theirs, and never said. Names are compared in any
case, as the settings read them (``recommender_max_k`` is ``MAX_K``).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping

PREFIX = "RECOMMENDER_"
#: names, after the prefix, read besides the server's settings: by every command
#: (``RECOMMENDER_PROGRESS``), or set by ``serve --workers N`` for its own workers
#: (``service.metrics.SHARED_FLAG``)
READ_BESIDES = ("PROGRESS", "METRICS_SHARED")
#: after the prefix, the test suite's and CI's names (``RECOMMENDER_TEST_PG_URL``,
#: ``RECOMMENDER_TEST_CHROMIUM``); written without it, as none is a variable the code reads
TESTS_OWN = "TEST_"
#: unknown names, after the prefix, that look like ``serve``'s options -> the option to give
AS_OPTIONS = {"WORKERS": "--workers N", "PORT": "--port PORT", "HOST": "--host ADDRESS"}


def _unread(environ: Mapping[str, str], settings: Iterable[str]) -> list[tuple[str, str]]:
    """(name, its upper-case rest without the prefix) of each ``RECOMMENDER_*`` name in
    ``environ`` that is none of ``settings`` (their names without the prefix), nor read besides
    them, nor the tests' own."""
    known = {name.upper() for name in settings} | set(READ_BESIDES)
    rests = [(name, name.upper().removeprefix(PREFIX)) for name in sorted(environ)
             if name.upper().startswith(PREFIX)]
    return [(name, rest) for name, rest in rests
            if rest not in known and not rest.startswith(TESTS_OWN)]


def misspelt(environ: Mapping[str, str], settings: Iterable[str]) -> list[str]:
    """A sentence for each ``RECOMMENDER_*`` name that is no setting of ``settings`` (their
    names without the prefix, any case) but nearly names one."""
    known = [name.upper() for name in settings]
    out = []
    for name, rest in _unread(environ, known):
        near = difflib.get_close_matches(rest, known, n=1, cutoff=0.8)  # the names' own parts
        if near:
            out.append(f"{name} is not a setting (did you mean {PREFIX}{near[0]}?); rename "
                       "or unset it")
    return out


def unknown(environ: Mapping[str, str], settings: Iterable[str]) -> list[str]:
    """A warning line for each ``RECOMMENDER_*`` name nothing reads and that is near no
    setting (``misspelt`` refuses those): ignored, and the option to give instead where it
    looks like one of ``serve``'s."""
    known = [name.upper() for name in settings]
    near = {line.split(" ", 1)[0] for line in misspelt(environ, known)}
    out = []
    for name, rest in _unread(environ, known):
        if name in near:
            continue
        option = AS_OPTIONS.get(rest)
        instead = (f"give `serve {option}` instead" if option else
                   "`recommender --help` and `serve --help` list the variables read")
        out.append(f"warning: {name} is not a setting and is ignored; {instead}")
    return out
