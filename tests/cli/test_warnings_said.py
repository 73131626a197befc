"""The CLI's ``warnings_said``: the library's warnings as ``warning:`` lines, others as Python's."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _said(body: str, *flags: str) -> subprocess.CompletedProcess[str]:
    """``body`` run in a fresh interpreter inside ``warnings_said`` (Python's own filters: no
    pytest's), in 4 GiB of memory; the limits only stop a run that never ends (a loop that
    grows a list), they time nothing."""
    code = "import resource, warnings\n" \
        "resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))  # a loop's list: bounded\n" \
        "from recommender.cli.printing import warnings_said\n" \
        "with warnings_said():\n" + textwrap.indent(textwrap.dedent(body), "    ") + \
        "print('returned')\n"
    return subprocess.run([sys.executable, *flags, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, timeout=120, env={"PYTHONPATH": str(ROOT)})


def test_a_library_warning_is_shown_once_and_the_block_returns() -> None:
    # showwarning was called while the warnings were still recorded: it appended the warning
    # to the list being read, and the loop read it forever (train hung on a RuntimeWarning)
    run = _said("warnings.warn('a library one', RuntimeWarning)\n"
                "warnings.warn('ours', UserWarning)\n")
    assert run.returncode == 0, run.stderr
    assert run.stdout == "returned\n"
    assert run.stderr.count("RuntimeWarning: a library one") == 1, run.stderr
    assert run.stderr.count("warning: ours\n") == 1, run.stderr


def test_other_warnings_keep_pythons_filters() -> None:
    # "always" for every kind showed the DeprecationWarnings Python ignores, a library's
    # warning once per time it was raised, and overrode -W ignore
    run = _said("for _ in range(3):\n"
                "    warnings.warn('a library one', RuntimeWarning)\n"
                "    warnings.warn_explicit('deprecated', DeprecationWarning, 'lib.py', 1, "
                "module='lib')\n"  # a library's (__main__'s are shown)
                "    warnings.warn('ours', UserWarning)\n")
    assert run.returncode == 0, run.stderr
    assert run.stderr.count("RuntimeWarning: a library one") == 1, run.stderr
    assert "deprecated" not in run.stderr
    assert run.stderr.count("warning: ours\n") == 3, run.stderr  # each time it is raised
    quiet = _said("warnings.warn('a library one', RuntimeWarning)\n", "-W", "ignore")
    assert quiet.returncode == 0 and quiet.stderr == "", quiet.stderr
