"""A JSON file given as a log (or as an id list) is named as JSON: its first line was read as a
CSV header, and the error listed '{"user_id": "u1"' as a column name."""

from __future__ import annotations

from pathlib import Path

import pytest

from recommender.errors import DataError
from recommender.io.readers import load, read_id_list


@pytest.mark.parametrize("text", ['{"user_id": "u1", "film_id": "f1"}\n',
                                  '\ufeff  [{"user_id": "u1", "film_id": "f1"}]\n'])
def test_json_is_named_as_json(tmp_path: Path, text: str) -> None:
    p = tmp_path / "log.csv"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(DataError, match="the file is JSON .*convert it first") as e:
        load(p)
    assert e.value.line == 1
    with pytest.raises(DataError, match="the file is JSON .*expected plain text"):
        read_id_list(p)
