"""A line of blanks alone in a log (a hand-edited file; an empty line is skipped, this one is
not) is named as such: the message asked "is the separator space?" of a file whose
separator is right. Oracle: the line planted."""

from __future__ import annotations

from pathlib import Path

import pytest

from recommender.errors import DataError
from recommender.io.readers import load


@pytest.mark.parametrize("blanks", ["   ", "\t", " \t "])
def test_a_line_of_blanks_is_named(tmp_path: Path, blanks: str) -> None:
    path = tmp_path / "log.csv"
    path.write_text(f"user_id,film_id\nu1,f1\n{blanks}\nu2,f2\n", encoding="utf-8")
    with pytest.raises(DataError) as err:
        load(path)
    msg = str(err.value)
    assert "log.csv, line 3" in msg and "a line of blanks alone (no data): delete it" in msg
    assert "is the separator" not in msg


def test_a_line_in_another_separator_still_asks(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    path.write_text("user_id,film_id\nu1,f1\nu2 f2\n", encoding="utf-8")
    with pytest.raises(DataError, match="line 3.*is the separator space"):
        load(path)
