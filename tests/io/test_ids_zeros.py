"""``IdMap.same_but_zeros`` (the ids an unknown one may have meant: leading zeros and
surrounding spaces aside) against a dict built the plain way, on random ids of zeros, digits,
spaces and a non-ASCII letter (the lookup is sorted arrays now: a dict of 2M zero-padded ids
took ~4 s and ~500 MB on the first unknown id)."""

from __future__ import annotations

import random

from recommender.io.ids import IdMap


def _oracle(ids: list[str], asked: str) -> list[str]:
    led: dict[str, list[str]] = {}
    for s in ids:  # the stored ids stripped too: "12" names " 12 " (a ", "-separated log's)
        if s.strip() and s.strip().lstrip("0") != s:
            led.setdefault(s.strip().lstrip("0"), []).append(s)
    if not asked.strip():
        return []
    stripped = asked.strip().lstrip("0")
    near = ([stripped] if stripped in set(ids) else []) + led.get(stripped, [])
    return [s for s in near if s != asked]


def test_same_but_zeros_names_what_a_plain_dict_names() -> None:
    rng = random.Random(3)
    for _ in range(200):
        pool = ["".join(rng.choice("00012é ") for _ in range(rng.randint(1, 5)))
                for _ in range(40)]
        ids = list(dict.fromkeys(pool))
        known = IdMap(ids)
        for asked in [*pool, "", "0", "  12 ", "000", "é", "1", " 0012", "0é"]:
            assert known.same_but_zeros(asked) == _oracle(ids, asked), (ids, asked)


def test_same_but_zeros_keeps_the_ids_order_among_equals() -> None:
    known = IdMap(["0070", "70", "070", "x", "00070"])
    assert known.same_but_zeros("70") == ["0070", "070", "00070"]
    assert known.same_but_zeros(" 0070") == ["70", "0070", "070", "00070"]


def test_a_trailing_nul_is_no_id_of_zeros() -> None:
    # numpy's str drops trailing NULs: the sorted lookup read "5\x00" as "5" and "\x00 " as
    # "" (every id of zeros), where the dict, and the ids, name none
    ids = ["05", "005", "0", "00", "5x"]
    known = IdMap(ids)
    for asked in ["5\x00", "\x00 ", "05\x00", " \x00\t", "\x00"]:
        assert known.same_but_zeros(asked) == _oracle(ids, asked) == [], asked
    assert known.same_but_zeros("5") == ["05", "005"]
