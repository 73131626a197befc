"""A log or catalog given as a pipe (``--data <(zcat log.csv.gz)``, ``/dev/stdin``) is named
as one: it failed "could not read the file: lseek failed", and a catalog from a pipe was "expected
a file, found a folder"."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from reading_helpers import write

from recommender.errors import DataError
from recommender.io.readers import load

PIPE = "is a pipe or a device, not a file: it is read more than once"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes")
def test_a_pipe_is_named_as_one(tmp_path: Path) -> None:
    fifo = tmp_path / "log.csv"
    os.mkfifo(fifo)  # never opened: nothing blocks
    with pytest.raises(DataError, match=PIPE) as log_error:
        load(fifo)
    assert "give --data - instead" in log_error.value.reason  # the log: stdin is read
    log = write(tmp_path / "real.csv", "user_id,film_id\nu1,f1\n")
    with pytest.raises(DataError, match=PIPE) as films_error:
        load(log, films=fifo)
    assert "-" not in films_error.value.reason.split(";")[-1]  # --films takes no -
    with pytest.raises(DataError, match="expected a file, found a folder"):
        load(log, films=tmp_path)
