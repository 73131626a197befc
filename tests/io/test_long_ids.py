"""An id past the 1,000-byte limit is refused in the limit's unit.

An id of 600 é (1,200 UTF-8 bytes) was refused as "user_id of 600 characters; expected an id
of at most 1,000 bytes": a length under the limit it named, with no word of the bytes.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from recommender.errors import DataError
from recommender.io import readers


def test_a_long_multibyte_id_is_measured_in_bytes(tmp_path: Path) -> None:
    log = tmp_path / "log.csv"
    log.write_text("user_id,film_id\nu1,f1\n" + "é" * 600 + ",f2\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"log.csv, line 3: user_id of 1,200 UTF-8 bytes "
                                        r"\(600 characters, 'é"):
        readers.load(log)


def test_an_id_at_the_limit_is_kept_whole(tmp_path: Path) -> None:
    log = tmp_path / "log.csv"
    log.write_text("user_id,film_id\n" + "é" * 500 + ",f1\n", encoding="utf-8")
    assert readers.load(log).users.ids.tolist() == ["é" * 500]
