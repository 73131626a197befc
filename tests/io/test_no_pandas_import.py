"""Loading a Parquet or a CSV log (with its films and users files) never imports pandas.

pyarrow's ``to_numpy``, ``pa.array`` and ``pa.scalar`` import pandas where it is installed
(0.1 to 0.4 s of a log's load); the readers convert through ``recommender.io.arrow_numpy``
instead. Each load runs in a fresh interpreter (this one has imported pandas long since),
which reports what it read and whether pandas was imported.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

ROOT = Path(__file__).resolve().parents[2]

FILMS = """film_id,title,year,genres
f1,Amélie,2001,Comedy|Romance
f2,Être et avoir,2002,Documentary
f3,Plain,,Drama
"""
USERS = """user_id,age,gender,occupation,zip
ü1,25,F,artist,75001
u2,,M,,
"""

LOAD = """
import json, sys
from pathlib import Path
from recommender.io.readers import load
p = Path(sys.argv[1])
inter = load(p, films=p.parent / "films.csv", users=p.parent / "users.csv")
pairs = sorted(zip(inter.users.to_ids(inter.user_idx).tolist(),
                   inter.films.to_ids(inter.film_idx).tolist(),
                   inter.rating.tolist(), inter.timestamp.tolist()))
print(json.dumps({"pandas": "pandas" in sys.modules, "pairs": pairs,
                  "titles": inter.catalog.titles.tolist(),
                  "years": inter.catalog.years.tolist()}))
"""

# (user, film, rating, timestamp), a non-ASCII id among them
ROWS = [("ü1", "f1", 4.0, 100), ("u2", "f1", 3.0, 50), ("ü1", "f2", 5.0, 200),
        ("u2", "f3", 2.5, 300)]
EXPECTED = sorted([list(row) for row in ROWS])


def _load_fresh(log: Path) -> dict[str, object]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, "-c", LOAD, str(log)], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=300, check=True)
    result: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def _folder(tmp_path: Path) -> Path:
    pytest.importorskip("pandas")  # where pandas is missing nothing could import it
    (tmp_path / "films.csv").write_text(FILMS, encoding="utf-8")
    (tmp_path / "users.csv").write_text(USERS, encoding="utf-8")
    return tmp_path


def _check(got: dict[str, object]) -> None:
    assert got["pairs"] == EXPECTED
    assert got["titles"] == ["Amélie", "Être et avoir", "Plain"]
    assert got["years"] == [2001, 2002, 0]
    assert got["pandas"] is False


def test_a_parquet_log_loads_without_pandas(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    users, films, ratings, times = zip(*ROWS, strict=True)
    pq.write_table(pa.table({"user_id": pa.array(users), "film_id": pa.array(films),
                             "rating": pa.array(ratings, pa.float32()),
                             "timestamp": pa.array(times, pa.int64())}),
                   folder / "interactions.parquet")
    _check(_load_fresh(folder / "interactions.parquet"))


def test_a_csv_log_loads_without_pandas(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    lines = ["user_id,film_id,rating,timestamp"] + [f"{u},{f},{r:g},{t}" for u, f, r, t in ROWS]
    (folder / "interactions.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    _check(_load_fresh(folder / "interactions.csv"))
