"""The distribution slate and the cinema table: a bad byte named by its line and column."""

from __future__ import annotations

from pathlib import Path

import pytest

from recommender.distribution.slate_file import read_slate
from recommender.errors import DataError
from recommender.io.places import read_cinemas


def test_a_latin1_byte_is_named_by_line_and_column(tmp_path: Path) -> None:
    """Both said "not UTF-8 text (byte 44)": no line, no column, no way to fix it."""
    slate = tmp_path / "slate.csv"
    slate.write_bytes(b"film_id,max_screens\nf1,3\ncaf\xe9,2\n")
    cinemas = tmp_path / "cinemas.csv"
    cinemas.write_bytes(b"cinema_id,city,region,screens\nc1,Pin\xe9,North,3\n")
    for read, path, line, column in ((read_slate, slate, 3, 4),
                                     (read_cinemas, cinemas, 2, 7)):
        with pytest.raises(DataError) as info:
            read(path)
        assert info.value.line == line, str(info.value)
        assert "byte 0xe9 at byte offset" in info.value.reason, str(info.value)
        assert f"(column {column})" in info.value.reason, str(info.value)
    cinemas.write_bytes("cinema_id,screens\nc1,3\n".encode("utf-16"))
    with pytest.raises(DataError, match="UTF-16"):
        read_cinemas(cinemas)
