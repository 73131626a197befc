"""A Spark write that found its device full, said as the local export says it.

Spark reports a failed write as py4j's error: Java's ``IOException`` ("No space left on
device") under some 150 lines of stacks. A local export's full device is an ``OSError`` named
by its ``--out``, which the CLI says in one line (exit 2).
"""

from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path

#: the words of Java's IOException when a write finds the device (or the quota) full
_FULL_WORDS = {"No space left on device": errno.ENOSPC, "Disk quota exceeded": errno.EDQUOT}

#: free bytes below which the device of ``--out`` is the one a failed write found full
FULL_BELOW = 64 << 20


def full_device(error: BaseException) -> int | None:
    """The errno of a full device that a Spark write failed on (its Java cause's words), or
    None for any other failure."""
    return next((code for words, code in _FULL_WORDS.items() if words in str(error)), None)


def as_full_device(error: BaseException, out: str, tmp: Path) -> OSError:
    """A full device under a local Spark export as the local export says it: an ``OSError``
    named by ``out`` (the CLI's one line, exit 2), not a traceback of Java's stacks; by
    Spark's scratch space when ``out``'s device (``tmp`` is being written there) has room."""
    code = full_device(error) or errno.ENOSPC
    try:
        roomy = shutil.disk_usage(tmp.parent).free > FULL_BELOW
    except OSError:
        roomy = False
    where = (f"Spark's scratch space (spark.local.dir), writing {out}" if roomy else out)
    return OSError(code, os.strerror(code), where)
