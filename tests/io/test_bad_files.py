"""Malformed input files for every reader: each is refused with a ``DataError`` naming the file
and the line of the damage, and ``recommender train`` exits 2 and writes nothing.

The corpus (``bad_files.py``) plants each kind of damage at a known place of a small valid file
of each format, so the expected line is known independently of the readers: the third data
line for damage inside a line, the last line for a truncated file, line 1 for a wrong encoding
or separator. ``benchmarks/bench_reliability.py`` runs the same corpus through the CLI, with the
headers-only file at ten million lines.
"""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from bad_files import (
    FORMATS,
    KINDS,
    SKIPPED,
    all_cases,
    expected_line,
    k_huge_field,
    write_case,
)

from recommender.cli import main
from recommender.errors import DataError
from recommender.io import readers


def test_the_corpus_is_complete() -> None:
    """Every kind is applied to every format, except the stated impossibilities."""
    cases = set(all_cases())
    for f in FORMATS:
        for k in KINDS:
            assert ((f, k) in cases) != ((f, k) in SKIPPED), (f, k)
    assert len(cases) >= 120


@pytest.mark.parametrize(("fmt", "kind"), all_cases())
def test_every_bad_file_is_refused_naming_file_and_line(tmp_path: Path, fmt: str,
                                                         kind: str) -> None:
    case = write_case(tmp_path / "case", fmt, kind, lines=2000)
    assert case is not None
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a damaged file is refused, not skipped with a warning
        with pytest.raises(DataError) as info:
            readers.load(case.data)
    e = info.value
    assert Path(e.path) == case.bad, str(e)
    line = expected_line(fmt, kind, case.bad)
    if line is not None:
        assert e.line == line, str(e)
    elif fmt == "parquet" and kind in ("nul_bytes", "huge_field"):
        assert e.reason.startswith("row 3: "), str(e)  # Parquet has rows, not lines
    elif kind == "empty":
        assert "empty" in e.reason, str(e)
    elif fmt != "parquet":
        assert e.line is not None, str(e)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_train_exits_2_and_writes_nothing(tmp_path: Path, kind: str,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    """One format per kind (rotating through them), through the CLI's entry point."""
    names = [f for f in FORMATS if (f, kind) not in SKIPPED]
    fmt = names[sorted(KINDS).index(kind) % len(names)]
    case = write_case(tmp_path / "case", fmt, kind)
    assert case is not None
    out = tmp_path / "model"
    assert main(["train", "--data", str(case.data), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and str(case.bad) in err, err
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["case"]


def test_the_command_itself_exits_2(tmp_path: Path) -> None:
    """A real ``recommender train`` process: exit status 2, one line on stderr."""
    case = write_case(tmp_path / "case", "csv", "nul_bytes")
    assert case is not None
    out = tmp_path / "model"
    proc = subprocess.run([sys.executable, "-m", "recommender.cli", "train", "--data",
                           str(case.data), "--out", str(out)], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip().splitlines() == [
        f"error: {case.bad}, line 4: NUL byte (0x00) at byte offset 70 (column 2); expected "
        "text, which never holds one: the file is binary, or UTF-16 without a byte-order mark"]
    assert not out.exists()


def test_a_line_longer_than_the_read_block_is_named(tmp_path: Path) -> None:
    """A 40 MiB field (pyarrow reads 16 MiB blocks; a line over two of them it cannot place)."""
    case = write_case(tmp_path / "case", "csv", "huge_field")
    assert case is not None
    case.bad.write_bytes(k_huge_field(FORMATS["csv"], 0, size=40 << 20) or b"")
    with pytest.raises(DataError) as info:
        readers.load(case.data)
    assert info.value.line == 4 and "40.0 MiB" in info.value.reason, str(info.value)


def test_a_gzip_file_and_a_config_with_a_bom(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    """A .csv.gz read by the local engine was "NUL byte ... the file is binary", then refused
    as gzip-compressed: it trains, on the data of the plain file (the same fingerprint); a
    --config saved with a byte-order mark (Windows Notepad) was refused as no JSON."""
    import gzip
    import json

    rows = "".join(f"u{u},f{(u * 7 + j) % 30}\n" for u in range(60) for j in range(8))
    log = tmp_path / "log.csv.gz"
    log.write_bytes(gzip.compress(("user_id,film_id\n" + rows).encode()))
    (tmp_path / "log.csv").write_text("user_id,film_id\n" + rows)
    config = tmp_path / "config.json"
    config.write_bytes(b"\xef\xbb\xbf" + json.dumps({"factors": 3}).encode())
    prints = []
    for data, out in ((log, tmp_path / "mz"), (tmp_path / "log.csv", tmp_path / "m")):
        assert main(["train", "--data", str(data), "--out", str(out), "--config", str(config),
                     "--no-tune", "--segments", "2"]) == 0, capsys.readouterr().err
        meta = json.loads(next(out.rglob("meta.json")).read_text())
        assert meta["params"]["factors"] == 3
        prints.append(meta["data"]["fingerprint"])
    assert prints[0] == prints[1]


def test_a_binary_file_read_for_its_header_is_named_in_one_short_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A Parquet file without its suffix (a Hive or Spark part file) was read for a CSV
    header: the message quoted kilobytes of its bytes as column names; UTF-16 text without a
    byte-order mark was shown as columns 'u\\x00s\\x00e...'. Both are named at once."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    part = tmp_path / "part-00000"
    pq.write_table(pa.table({"userId": [1, 2], "movieId": [3, 4]}), part)
    u16 = tmp_path / "log.csv"
    u16.write_bytes("user_id,film_id\nu1,f1\n".encode("utf-16-le"))
    for path, reason in ((part, "the file is Parquet"), (u16, "NUL byte (0x00)")):
        with pytest.raises(DataError) as info:
            readers.load(path)
        assert info.value.line == 1 and info.value.reason.startswith(reason), str(info.value)
        assert len(str(info.value)) < 300, str(info.value)
    assert main(["events", "import", "--store", f"sqlite:///{tmp_path / 's.db'}",
                 str(part)]) == 2
    assert "the file is Parquet" in capsys.readouterr().err


def test_a_text_file_whose_first_id_starts_with_par1_is_text(tmp_path: Path) -> None:
    """Parquet's magic number is plain ASCII: a ``.dat`` log whose first user id is
    ``PAR1000`` was refused as "the file is Parquet". A text file holds no NUL byte, which
    every Parquet file does (its Thrift structures end in one), so only that is Parquet."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    dat = tmp_path / "ratings.dat"
    dat.write_text("".join(f"PAR1{u:03d}::{f}::4::{1600000000 + u * 100 + f}\n"
                           for u in range(6) for f in range(5)))
    got = readers.load(dat)
    assert got.users.ids[0] == "PAR1000" and len(got.users.ids) == 6
    csv = tmp_path / "log.csv"  # a header read (the first 64 KiB) of a real Parquet file
    pq.write_table(pa.table({"user_id": [f"u{i}" for i in range(20_000)],
                             "film_id": [f"f{i}" for i in range(20_000)]}), csv)
    with pytest.raises(DataError, match="the file is Parquet"):
        readers.load(csv)
