"""``train`` warns of a users-file column where most users hold a value of their own (an email,
a phone number), with the share, suggesting to leave it out of the users file: such a column
trained without a word, and ``recommender attributes`` then listed every email.

Oracle: pandas over the users.csv trained on (the share of the users with a value whose value
no other of the model's users holds), not the library's arrays.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers import make_demo, run_cli

from recommender.io.dataset import UserTable
from recommender.io.identifying import identifying_columns


def _share(users: pd.DataFrame, column: str) -> tuple[int, int]:
    """(users whose value no other user holds, users with a value) by pandas."""
    values = users.loc[users[column] != "", column]
    return int((values.map(values.value_counts()) == 1).sum()), len(values)


def test_train_warns_of_an_email_and_a_phone_column_and_of_no_other(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = make_demo(tmp_path / "data", n_users=200, n_films=40, n_interactions=1_800)
    users = pd.read_csv(data / "users.csv", dtype=str, keep_default_na=False)
    n = len(users)
    users["email"] = [f"viewer{i}@example.com" for i in range(n)]
    # a phone for 3 users in 5, two households sharing one each
    phones = np.array([f"+44 7700 {i:06d}" for i in range(n)], dtype=object)
    phones[np.arange(n) % 5 >= 3] = ""
    phones[1] = phones[0]
    phones[6] = phones[5]
    users["phone"] = phones
    users.to_csv(data / "users.csv", index=False)
    code, _, err = run_cli(capsys, "train", "--data", data, "--out", tmp_path / "m", "--no-tune",
                           "--factors", 4, "--iterations", 2)
    assert code == 0, err
    kept = users[users["user_id"].isin(set(pd.read_csv(data / "interactions.csv",
                                                       dtype=str)["user_id"]))]
    for column in ("email", "phone"):
        unique, held = _share(kept, column)
        assert (f"warning: users-file column {column!r} holds a value of its own for "
                f"{unique / held:.0%} of the users with one ({unique:,} of {held:,})") in err, err
        assert "leave it out of the users file" in err
    # the demo's own columns (age, gender, occupation, city, cinema...) are not warned of
    warned = set(re.findall(r"users-file column '([^']+)' holds a value of its own", err))
    assert warned == {"email", "phone"}


def test_a_column_a_derived_attribute_comes_from_says_to_give_that_instead() -> None:
    ids = np.array([f"u{i}" for i in range(140)])
    zips = np.array([f"{i:05d}" for i in range(140)])
    table = UserTable(ids, {"zip": zips, "region": np.array(["North"] * 140)},
                      {"region": "zip"})
    found = identifying_columns(table, 10)
    assert [c.name for c in found] == ["zip"]
    assert "(the model derives 'region' from it: give that as a column instead)" in \
        found[0].warning(["region"])
    # fewer users of their own value than the minimum cell: not warned of
    assert identifying_columns(UserTable(ids[:5], {"zip": zips[:5]}), 10) == []


def test_a_random_small_range_column_of_few_users_is_not_warned_of() -> None:
    """A random age (18 to 80) on a 30-user file: most users held an age no other user
    holds (the pandas oracle below), and it was warned of as an identifier. Judged from 100
    users with a value (``MIN_USERS``), where such a column falls below half."""
    from recommender.io.identifying import UNIQUE_SHARE

    rng = np.random.default_rng(5)
    for n in (30, 99, 150, 1_000):
        ids = np.array([f"u{i}" for i in range(n)])
        ages = rng.integers(18, 81, n).astype(str)
        unique, held = _share(pd.DataFrame({"age": ages}), "age")
        if n == 30:
            assert unique >= UNIQUE_SHARE * held and unique >= 10  # the old rule's warning
        emails = np.array([f"viewer{i}@example.com" for i in range(n)])
        found = identifying_columns(UserTable(ids, {"age": ages, "email": emails}), 10)
        # an email is judged, and warned of, from 100 users on (README); an age never
        assert [c.name for c in found] == (["email"] if n >= 100 else []), n


def test_a_public_datasets_own_users_file_is_said_with_what_to_do(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``train --data <a MovieLens 100K folder>`` warned "leave it out of the users file" of
    u.user's zip with no --users given: the file is the dataset's own, and a --users file adds
    columns without taking any away. The warning names u.user and what can be done; a zip
    given in --users is that file's to leave out, as before. Oracle: the folder written here,
    every user's ZIP code its own."""
    data = tmp_path / "ml-100k"
    data.mkdir()
    n = 150
    rng = np.random.default_rng(3)
    rows = {(u, int(f)) for u in range(1, n + 1) for f in rng.choice(60, 12, replace=False) + 1}
    (data / "u.data").write_text("".join(f"{u}\t{f}\t4\t{880000000 + u * 100 + f}\n"
                                         for u, f in sorted(rows)))
    (data / "u.user").write_text("".join(f"{u}|30|F|writer|{10000 + 37 * u:05d}\n"
                                         for u in range(1, n + 1)))
    argv = ["train", "--data", data, "--no-tune", "--factors", 4, "--iterations", 2]
    code, _, err = run_cli(capsys, *argv, "--out", tmp_path / "m")
    assert code == 0, err
    said = next(line for line in err.splitlines() if "users-file column 'zip'" in line)
    assert "holds a value of its own for 100% of the users with one (150 of 150)" in said
    assert "leave it out of the users file" not in said
    assert (f"it is a column of {data / 'u.user'}, the dataset's own users file, which train "
            "reads beside its log (a --users file adds columns, it takes none away): to leave "
            "it out, train on a folder of your own, its log as interactions.csv beside a "
            "users.csv without 'zip' ('region', 'zip_zone', which the model derives from it, "
            "as a column instead); or keep it") in said, said
    # a --users without zip leaves u.user's: the same words; with zip, that file's to leave
    for header, zip_given in (("user_id,segment_name", False), ("user_id,zip", True)):
        extra = tmp_path / f"extra{int(zip_given)}.csv"
        extra.write_text(header + "\n" + "".join(
            f"{u},{10000 + 37 * u:05d}\n" if zip_given else f"{u},s{u % 3}\n"
            for u in range(1, n + 1)))
        code, _, err = run_cli(capsys, *argv, "--users", extra, "--out",
                               tmp_path / f"m{int(zip_given)}")
        assert code == 0, err
        said = next(line for line in err.splitlines() if "users-file column 'zip'" in line)
        assert ("leave it out of the users file" in said) is zip_given, said
        assert ("the dataset's own users file" in said) is not zip_given, said
