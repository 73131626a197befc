"""``train`` warns of a user attribute holding one value in several spellings that differ only
in letter case or Unicode form (``Zürich``, ``ZÜRICH``, ``Zürich`` decomposed): each was a value
of its own, its users split among them in portraits, filters and demand by place, silently."""

from __future__ import annotations

import csv
import unicodedata
from pathlib import Path

import pytest
from helpers import run_cli as run

NFD_ZURICH = unicodedata.normalize("NFD", "Zürich")


def _spellings(path: Path, column: str) -> list[list[str]]:
    """The oracle: the column's distinct values grouped by a plain case- and form-blind key,
    the groups of more than one spelling."""
    with open(path, encoding="utf-8", newline="") as f:
        values = sorted({r[column] for r in csv.DictReader(f)} - {""})
    groups: dict[str, list[str]] = {}
    for v in values:
        groups.setdefault(unicodedata.normalize("NFKC", v).casefold().upper(), []).append(v)
    return [g for g in groups.values() if len(g) > 1]


def test_train_names_the_values_spelt_several_ways(capsys: pytest.CaptureFixture[str],
                                                   tmp_path: Path) -> None:
    data = tmp_path / "demo"
    assert run(capsys, "demo-data", data, "--users", 300, "--films", 40,
               "--interactions", 3000)[0] == 0
    users = data / "users.csv"
    with open(users, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    spellings = ["Zürich", "ZÜRICH", NFD_ZURICH, "São Paulo"]
    for i, r in enumerate(rows[:80]):
        r["city"] = spellings[i % 4]
    with open(users, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    expected = _spellings(users, "city")
    assert [sorted(g) for g in expected] == [sorted(["Zürich", "ZÜRICH", NFD_ZURICH])]
    code, _, err = run(capsys, "train", "--data", data, "--out", tmp_path / "m", "--no-tune",
                       "--factors", 8, "--iterations", 3)
    assert code == 0, err
    warned = [line for line in err.splitlines() if line.startswith("warning: user attribute")]
    assert len(warned) == 1 and warned[0].startswith("warning: user attribute 'city' holds 1 ")
    for v in expected[0]:
        assert repr(v) in warned[0]
    assert "'São Paulo'" not in warned[0]
    # the two that print alike say which Unicode form each is in
    assert f"{NFD_ZURICH!r} (NFD)" in warned[0] and "'Zürich' (NFC)" in warned[0]


def test_train_says_nothing_of_a_users_file_spelt_one_way(capsys: pytest.CaptureFixture[str],
                                                          tmp_path: Path) -> None:
    data = tmp_path / "demo"
    assert run(capsys, "demo-data", data, "--users", 300, "--films", 40,
               "--interactions", 3000)[0] == 0
    code, _, err = run(capsys, "train", "--data", data, "--out", tmp_path / "m", "--no-tune",
                       "--factors", 8, "--iterations", 3)
    assert code == 0 and "several spellings" not in err, err
