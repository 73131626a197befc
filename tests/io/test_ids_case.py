"""An unknown id that is a known one but for upper and lower case ("U01060" for "u01060",
"C004" for "c004") is named in the "did you mean" of its error (it was told only "unknown");
ids are still matched byte for byte."""

from __future__ import annotations

import random

from recommender.errors import UnknownFilmError, UnknownUserError
from recommender.io.ids import IdMap


def _oracle(ids: list[str], asked: str) -> list[str]:
    key = asked.strip().lower()
    return [s for s in ids if key and s.strip().lower() == key and s != asked]


def test_same_case_names_what_a_plain_loop_names() -> None:
    rng = random.Random(7)
    for _ in range(200):
        pool = ["".join(rng.choice(["a", "A", "b", "B", "0", " "])
                        for _ in range(rng.randint(1, 4))) for _ in range(30)]
        ids = list(dict.fromkeys(pool))
        known = IdMap(ids)
        for asked in [*pool, "", " ", "ab", "AB", " aB "]:
            assert sorted(known.same_case(asked)) == sorted(_oracle(ids, asked)), (ids, asked)


def test_an_id_in_another_case_is_suggested_and_still_unknown() -> None:
    users = IdMap(["u01060", "u00001", "C004x"])
    assert users.to_index(["U01060"], strict=False).tolist() == [-1]  # byte for byte
    try:
        users.index_of("U01060", UnknownUserError)
    except UnknownUserError as e:
        assert str(e).endswith("; did you mean 'u01060'?"), str(e)
    else:
        raise AssertionError("U01060 was found")
    try:
        users.index_of("c004X", UnknownFilmError)
    except UnknownFilmError as e:
        assert "did you mean 'C004x'?" in str(e), str(e)
    # leading zeros still come first (no case hint beside them)
    assert IdMap(["0042", "X"]).did_you_mean(["42"]) == "; did you mean '0042'?"
    assert IdMap(["abc"]).did_you_mean(["zzz"]) == ""
