"""Standard input given to Spark's training (``train --engine spark --data -``), and pipes.

Spark reads a log by its path, more than once (the driver's scan of a local CSV, then its
rows, and again with its multi-line reader), which a pipe cannot be read: ``-`` is copied once
to a temporary file on this machine (``io.stdin.spooled``, named by what it holds, removed
when the training ends; its errors name ``<stdin>``, as the model's data source does), which a
local master (``local[*]``, ``local-cluster``) reads. The executors of a cluster's master
cannot read this machine's files, so there it is refused, naming where to put the log: by the
CLI before standard input is read or Spark starts when ``--spark-master`` names such a master
(``refuse_stdin_master``), else in the session (``check_spool_master``: spark-submit's). A pipe
given as a path (``/dev/stdin``, ``<(zcat log.csv.gz)``) is refused before Spark starts, told
to give ``--data -`` instead, as the local engine tells it.
"""

from __future__ import annotations

import os

from recommender.errors import DataError
from recommender.io.delimited import existing_file
from recommender.io.stdin import STDIN_NAME, is_spool, is_stdin
from recommender.spark.reading import is_uri, local_path
from recommender.spark.requirements import check_master


def refuse_pipe_path(data: str) -> None:
    """A local path to a pipe or a device (``/dev/stdin``, a shell's ``<(...)``) refused with
    the local engine's words (``delimited.existing_file``: give ``--data -``); anything else
    (a file, a folder, a URI, ``-``, a path that does not exist) is left to the reader."""
    if is_stdin(data) or is_uri(data):
        return
    p = local_path(data)
    if p.exists() and not p.is_file() and not p.is_dir():
        existing_file(p, stdin="--data -")  # raises: "is a pipe or a device, not a file"


def reads_spool(master: str) -> bool:
    """Whether Spark on ``master`` (the running session's) can read a file of this machine's
    temporary folder: a local master's executors are this process's JVM (``local-cluster``'s
    run on this machine too); a cluster's are elsewhere."""
    return master.startswith("local")


def _unreadable(master: str) -> DataError:
    """The refusal of standard input's copy on ``master``, a cluster's, naming the fix."""
    return DataError(STDIN_NAME, f"standard input is copied to a temporary file on this "
                     f"machine, which the executors of the Spark master {master} cannot "
                     "read; put the log where they can (hdfs://..., s3a://..., or a folder "
                     "they share) and give --data its URI or path, or use a local master "
                     "(--spark-master local[*])")


def check_spool_master(data: str, master: str) -> None:
    """Refuse ``data`` when it is standard input's copy (``io.stdin.spooled``) and ``master``
    cannot read it (``reads_spool``), before Spark reads it: its executors failed on a file
    they do not have, in Spark's words."""
    if is_spool(data) and not reads_spool(master):
        raise _unreadable(master)


def refuse_stdin_master(data: str, master: str) -> None:
    """Refuse ``--data -`` (``data`` as given) on ``master``, the ``--spark-master`` a new
    session would start on, when it is a cluster's (``reads_spool``), before standard input
    is copied or Spark starts, in ``check_spool_master``'s words: decided in the session, it
    came after the copy and Spark's start, and a master out of reach failed first, without
    it. A master that is no master URL is refused as the session refuses it
    (``check_master``). Under ``spark-submit`` the master is its own, which only the session
    knows: ``check_spool_master`` decides there."""
    if not is_stdin(data) or "PYSPARK_GATEWAY_PORT" in os.environ:
        return
    check_master(master)
    if not reads_spool(master):
        raise _unreadable(master)
