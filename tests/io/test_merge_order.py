"""``Interactions.from_columns``' fast paths give the arrays of the plain ones, bit for bit."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from recommender.io import dataset, readers
from recommender.io.dataset import Interactions


@pytest.mark.parametrize("n,top", [(0, 1), (1, 5), (2, 1), (1000, 7), (5000, 10**6),
                                   (3000, 2**40)])
def test_stable_order_is_the_stable_argsort(n: int, top: int) -> None:
    key = np.random.default_rng(n).integers(0, top, n).astype(np.int64)
    want = np.argsort(key, kind="stable")
    order, key_s = dataset._stable_order(key.copy())
    assert order.dtype == np.int64 and key_s.dtype == np.int64
    assert np.array_equal(order, want) and np.array_equal(key_s, key[want])


@pytest.mark.parametrize("layout", ["sorted", "grouped", "reversed", "ties"])
def test_stable_order_of_a_log_in_order_or_grouped(layout: str) -> None:
    """A key already in order (a log in (user, film) order: not sorted again), grouped by
    user with the films in any order, in reverse, or with ties: the stable argsort's order."""
    rng = np.random.default_rng(7)
    users = np.repeat(np.arange(300), rng.integers(1, 40, 300))
    films = rng.integers(0, 500, len(users))
    key = users * 500 + films
    key = {"sorted": np.unique(key), "grouped": key, "reversed": np.unique(key)[::-1],
           "ties": np.sort(key)}[layout].astype(np.int64)
    want = np.argsort(key, kind="stable")
    order, key_s = dataset._stable_order(key.copy())
    assert np.array_equal(order, want) and np.array_equal(key_s, key[want])


@pytest.mark.parametrize("values,block,increasing", [
    ([], 4, True), ([5], 4, True), ([1, 2, 3, 4, 5, 6, 7, 8, 9], 4, True),
    ([1, 2, 3, 4, 4, 6, 7, 8, 9], 4, False),  # a tie across a block's edge
    ([1, 2, 3, 4, 5, 4, 7, 8, 9], 4, False), ([1, 2, 3, 4, 5, 6, 7, 8, 8], 4, False),
    ([2, 1], 1, False), ([1, 2], 1, True)])
def test_increasing_by_blocks(values: list[int], block: int, increasing: bool) -> None:
    arr = np.array(values, np.uint64)
    assert dataset._increasing(arr, block) is increasing
    assert increasing == bool(np.all(np.diff(arr.astype(np.int64)) > 0))


def test_stable_order_past_64_bits_falls_back() -> None:
    key = np.array([2**62, 5, 2**62, 0, 5], np.int64)  # key and row number need > 64 bits
    order, key_s = dataset._stable_order(key.copy())
    assert order.tolist() == [3, 1, 4, 0, 2] and key_s.tolist() == sorted(key.tolist())


def _reencoded(arr: pa.DictionaryArray) -> tuple[list[int], list[str]]:
    """What ``_encode`` gave a dictionary column before its shortcut: its codes encoded again."""
    enc = pc.dictionary_encode(arr.indices)
    return (enc.indices.to_pylist(),
            arr.dictionary.cast(pa.string()).take(enc.dictionary).to_pylist())


@pytest.mark.parametrize("codes,size", [
    ([0, 1, 0, 2, 1, 3], 4),  # first appearance, every entry used: the shortcut
    ([0, 0, 0], 1),
    ([1, 0, 2], 3),  # out of order
    ([0, 2, 1], 3),
    ([0, 1, 0], 3),  # an entry unused
    ([0, 1, 3, 2, 1], 5),
    ([2, 2], 3),
])
def test_encode_matches_reencoding(codes: list[int], size: int) -> None:
    arr = pa.DictionaryArray.from_arrays(pa.array(codes, pa.int32()),
                                         pa.array([f"id{i}" for i in range(size)]))
    got, ids = dataset._encode(arr)
    want_codes, want_ids = _reencoded(arr)
    assert got.dtype == np.int32 and got.tolist() == want_codes
    assert ids.ids.tolist() == want_ids


@pytest.mark.parametrize("block", [1, 2, 3, 1 << 20])
@pytest.mark.parametrize("codes,size", [
    ([0, 1, 0, 2, 1, 3], 4), ([0, 0, 0], 1), ([1, 0, 2], 3), ([0, 2, 1], 3), ([0, 1, 0], 3),
    ([0, 1, 3, 2, 1], 5), ([2, 2], 3), ([0, 1, 2, 0, 1, 2, 4, 3], 5), ([0, 0, 1, 1, 3], 4),
    ([0, 1, 1, 2, 2, 3], 4)])
def test_first_appearance_by_blocks(codes: list[int], size: int, block: int) -> None:
    """The check read in blocks of any size says what the plain one says: each code first
    occurs after every smaller one, and every one of ``size`` occurs."""
    arr = np.array(codes, np.int32)
    want = [int(c) for c in dict.fromkeys(codes)] == list(range(size))
    assert dataset._first_appearance(arr, size, block) is want


def _arrays(x: Interactions) -> list[bytes]:
    return [x.users.ids.tobytes(), x.films.ids.tobytes(), *(
        np.ascontiguousarray(a).tobytes() + str(a.dtype).encode()
        for a in (x.user_idx, x.film_idx, x.weight, x.rating, x.timestamp) if a is not None)]


@pytest.mark.parametrize("repeat", [False, True])
def test_integer_parquet_ids_read_as_string_ids(tmp_path, repeat: bool) -> None:  # type: ignore[no-untyped-def]
    """A Parquet log of integer ids (encoded once, the codes kept) and the same log with the
    ids written as text merge to the same arrays and fingerprint."""
    rng = np.random.default_rng(3)
    n = 4000
    u = rng.integers(0, 300, n)
    f = rng.integers(0, 90, n) * 7
    if not repeat:
        keep = np.unique(u * 1000 + f, return_index=True)[1]
        rng.shuffle(keep)
        u, f = u[keep], f[keep]
    ts = rng.integers(0, 20, len(u))
    r = rng.integers(1, 11, len(u)) / 2
    for name, uu, ff in (("int", u, f), ("str", u.astype(str), f.astype(str))):
        pq.write_table(pa.table({"user_id": uu, "film_id": ff, "rating": r, "timestamp": ts}),
                       tmp_path / f"{name}.parquet")
    a = readers.load(tmp_path / "int.parquet")
    b = readers.load(tmp_path / "str.parquet")
    assert a.user_idx.dtype == np.int32 and a.film_idx.dtype == np.int32
    assert _arrays(a) == _arrays(b) and a.fingerprint() == b.fingerprint()
    # and the plain reference: a lexsort on (user, film, timestamp, row), the last event's
    # rating kept, the first event's timestamp
    users, films = list(dict.fromkeys(u.tolist())), list(dict.fromkeys(f.tolist()))
    ui = np.array([users.index(x) for x in u])
    fi = np.array([films.index(x) for x in f])
    order = np.lexsort((np.arange(len(u)), ts, ui * len(films) + fi))
    k = (ui * len(films) + fi)[order]
    last = order[np.r_[k[1:] != k[:-1], True]]
    assert a.user_idx.tolist() == ui[last].tolist() and a.film_idx.tolist() == fi[last].tolist()
    first = order[np.r_[True, k[1:] != k[:-1]]]
    assert a.timestamp is not None and a.timestamp.tolist() == ts[first].tolist()
    assert a.rating is not None and a.rating.tolist() == r[last].astype(np.float32).tolist()


TRICKY = ["007", "7", "0007", "\u00e9", "e\u0301", "Am\u00e9lie", "1e3", "1.0", " x", "\u00ff",
          "10", "9"]


@pytest.mark.parametrize("layout", ["in order", "grouped by user", "shuffled"])
def test_a_log_of_tricky_ids_in_any_row_order_merges_as_the_plain_reference(
        tmp_path, layout: str) -> None:  # type: ignore[no-untyped-def]
    """Text ids kept byte for byte (leading zeros, two Unicode forms of one letter, ids that
    read as numbers), repeated pairs merged, whether the rows come in (user, film) order (not
    sorted again), grouped by user, or shuffled: each as a lexsort of (user, film, timestamp,
    row) merges them, users and films in order of first appearance."""
    rng = np.random.default_rng(11)
    m = len(TRICKY)
    if layout == "in order":  # distinct pairs, the first user's naming every film in order
        grid = np.flatnonzero((rng.random(m * m) < 0.5) | (np.arange(m * m) < m))
        u, f = grid // m, grid % m
    else:
        u, f = rng.integers(0, m, 600), rng.integers(0, m, 600)
    n = len(u)
    ts = rng.integers(0, 50, n)
    r = rng.integers(1, 11, n) / 2
    order = {"in order": np.arange(n), "grouped by user": np.argsort(u, kind="stable"),
             "shuffled": rng.permutation(n)}[layout]
    users = [TRICKY[i] for i in u[order]]
    films = [TRICKY[i] for i in f[order]]
    ts, r = ts[order], r[order]
    pq.write_table(pa.table({"user_id": users, "film_id": films, "rating": r,
                             "timestamp": ts}), tmp_path / "log.parquet")
    got = readers.load(tmp_path / "log.parquet")
    uid, fid = list(dict.fromkeys(users)), list(dict.fromkeys(films))
    ui = np.array([uid.index(x) for x in users])
    fi = np.array([fid.index(x) for x in films])
    key = ui * len(fid) + fi
    plain = np.lexsort((np.arange(len(key)), ts, key))
    k = key[plain]
    first = plain[np.r_[True, k[1:] != k[:-1]]]
    last = plain[np.r_[k[1:] != k[:-1], True]]
    assert got.users.ids.tolist() == uid and got.films.ids.tolist() == fid
    assert got.user_idx.tolist() == ui[first].tolist()
    assert got.film_idx.tolist() == fi[first].tolist()
    assert got.timestamp is not None and got.timestamp.tolist() == ts[first].tolist()
    assert got.rating is not None and got.rating.tolist() == r[last].astype(np.float32).tolist()
    assert got.weight.tolist() == np.bincount(np.searchsorted(np.unique(k), k)).tolist()
    assert got.rows_read == n and got.rows_merged == n - len(first)
    assert (layout == "in order") == (got.rows_merged == 0 and bool(np.all(np.diff(key) > 0)))
