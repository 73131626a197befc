"""One rule says which id is blank (no id) on every surface: an id of ASCII blanks only
(space, tab, line endings, form feed, vertical tab) or empty. A user id of a no-break space
(U+00A0) trained (a warning only) and was served over HTTP, but the CLI's ``--user``, id-list
files, ``forget --user`` and ``POST /admin/forget`` read it as blank (Python's Unicode
``str.strip``, or ``\\S``): a served person could be neither queried nor erased."""

from __future__ import annotations

import argparse
from pathlib import Path

import pyarrow as pa
import pytest

from recommender.errors import DataError, InvalidParameterError
from recommender.io.id_columns import blank_id, string_ids
from recommender.io.id_lists import read_id_list_as_known
from recommender.io.ids import IdMap
from recommender.io.line_places import RowLocator

ASCII_BLANKS = " \t\n\r\f\v"  # the oracle: the ASCII whitespace characters, by hand
VALUES = ["", " ", "\t \r\n", "\f\v", "\xa0", " \xa0 ", "\u3000", "\u2028", "a", " a "]


def _blank(value: str) -> bool:
    return all(ch in ASCII_BLANKS for ch in value)


def _no_store() -> None:
    raise AssertionError("forget --user alone opens no store to read its ids")


@pytest.mark.parametrize("value", VALUES)
def test_every_surface_reads_a_blank_id_alike(value: str, tmp_path: Path) -> None:
    from recommender.cli import build_parser
    from recommender.cli.forget import _ids
    from service.forget_schemas import ForgetRequest

    blank = _blank(value)
    assert blank_id(value) is blank
    # training
    if blank:
        with pytest.raises(DataError, match="empty user_id"):
            string_ids(Path("e.csv"), pa.array([value]), "user_id", RowLocator())
    else:
        assert string_ids(Path("e.csv"), pa.array([value]), "user_id",
                          RowLocator()).to_pylist() == [value]
    # the CLI's option values
    parser = build_parser()
    argv = ["recommend", "m", "--user", value]
    if blank:
        with pytest.raises(SystemExit):
            parser.parse_args(argv)
    else:
        assert parser.parse_args(argv).user == value
    # forget --user
    args = argparse.Namespace(user=[value], users=None)
    if blank:
        with pytest.raises(InvalidParameterError, match="empty or blank"):
            _ids(args, _no_store)
    else:
        assert _ids(args, _no_store) == [value]
    # POST /admin/forget
    if blank:
        with pytest.raises(ValueError):
            ForgetRequest(user_ids=[value])
    else:
        assert ForgetRequest(user_ids=[value]).user_ids == [value]
    # an id list: a blank line is skipped, a line of other blanks is the id the model holds
    f = tmp_path / "ids.txt"
    f.write_text(f"u1\n{value}\n", encoding="utf-8")
    held = IdMap(["u1"] if blank else ["u1", value])
    assert read_id_list_as_known(f, held) == (["u1"] if blank else ["u1", value])
