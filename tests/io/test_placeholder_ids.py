"""An id cell holding a placeholder for a missing id (``NULL``, MySQL's ``\\N``, pandas'
``nan``, ``None``, ``N/A``) is refused as an empty id is, naming the file, the first line, the
rows and the remedy: trained, it was one user (film) of every row without an id, without a
word. The same rule in ``train``, ``events import`` and POST /events (``check_events``)."""

from __future__ import annotations

import re
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from helpers import run_cli

from recommender.errors import DataError, InvalidParameterError
from recommender.io import readers

PLACEHOLDERS = ["NULL", "null", "\\N", "nan", "NaN", "None", "N/A", "<NA>", "NA", "#N/A"]


def _log(path: Path, column: str, placeholder: str, every: int = 4, rows: int = 40) -> int:
    """A log whose ``column`` holds ``placeholder`` on every ``every``-th row (the first on
    line 3, its second data row); the number of such rows."""
    lines, held = ["user_id,film_id,rating"], 0
    for i in range(rows):
        user, film = f"u{i % 7}", f"f{i % 5}"
        if i % every == 1:
            held += 1
            user, film = (placeholder, film) if column == "user_id" else (user, placeholder)
        lines.append(f"{user},{film},{1 + i % 5}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return held


@pytest.mark.parametrize("column", ["user_id", "film_id"])
@pytest.mark.parametrize("placeholder", PLACEHOLDERS)
def test_a_placeholder_id_is_refused_naming_line_and_rows(tmp_path: Path, column: str,
                                                          placeholder: str) -> None:
    path = tmp_path / "log.csv"
    held = _log(path, column, placeholder)
    with pytest.raises(DataError) as e:
        readers.load(path)
    said = str(e.value)
    assert str(path) in said and "line 3:" in said, said
    assert f"{column} {placeholder!r} is a placeholder for a missing id" in said, said
    assert f"{held:,} rows hold one" in said and "fill in those rows" in said, said


def test_train_refuses_it_and_names_each_placeholder_form(tmp_path: Path, capsys: object
                                                          ) -> None:
    path = tmp_path / "log.csv"
    path.write_text("user_id,film_id,rating\nu1,f1,4\nNULL,f2,3\nu2,f1,5\nnan,f2,2\n"
                    "NULL,f3,1\n", encoding="utf-8")
    code, _, err = run_cli(capsys, "train", "--data", path, "--no-tune", "--out",
                           tmp_path / "m")
    assert code != 0 and not (tmp_path / "m").exists(), err
    assert re.search(r"line 3: user_id 'NULL' is a placeholder for a missing id, not an id: "
                     r"3 rows hold one \(and 'nan'\)", err), err


def test_a_parquet_placeholder_is_refused_as_well(tmp_path: Path) -> None:
    path = tmp_path / "log.parquet"
    pq.write_table(pa.table({"user_id": ["u1", "u2", "u3"], "film_id": ["f1", "nan", "f2"]}),
                   path)
    with pytest.raises(DataError, match=r"row 2: film_id 'nan' is a placeholder.*1 row holds"):
        readers.load(path)


@pytest.mark.parametrize("value", ["Nancy", "nan1", "NULLS", "n", "NAN0", "none ", "na",
                                   "Na", "N", "\\n"])
def test_ids_that_only_resemble_a_placeholder_are_kept(tmp_path: Path, value: str) -> None:
    path = tmp_path / "log.csv"
    path.write_text(f"user_id,film_id\nu1,f1\n{value},f2\n", encoding="utf-8")
    assert value in readers.load(path).users.ids.tolist()


@pytest.mark.parametrize("field", ["user_id", "film_id"])
def test_events_import_and_http_events_refuse_it(tmp_path: Path, capsys: object,
                                                 field: str) -> None:
    from recommender.campaigns.event_file import read_event_file
    from recommender.campaigns.events import check_events

    event = {"event_id": "e2", "user_id": "u5", "film_id": "f3", "timestamp": 1_700_000_001,
             field: "None"}
    path = tmp_path / "events.csv"
    path.write_text("event_id,user_id,film_id,timestamp\ne1,u5,f3,1700000000\n" + ",".join(
        str(event[c]) for c in ("event_id", "user_id", "film_id", "timestamp")) + "\n")
    with pytest.raises(DataError, match=f"line 3: {field} 'None' is a placeholder"):
        read_event_file(path)
    code, _, err = run_cli(capsys, "events", "import", path, "--store", tmp_path / "s.db")
    assert code != 0 and f"{field} 'None' is a placeholder" in err, err
    with pytest.raises(InvalidParameterError, match=f"{field} 'None' is a placeholder"):
        check_events([event])
