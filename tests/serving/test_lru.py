"""``recommender.serving.lru``: the one byte-bounded LRU evicts the least recently used values
past its budget, never keeps a value larger than itself, and lets its owner pick which value
stays when a key is put again."""

from __future__ import annotations

import threading

from recommender.serving.lru import LRU


def test_lru_evicts_the_least_recently_used_by_bytes() -> None:
    cache: LRU[str, bytes] = LRU(max_bytes=30, size=len)
    for key in "abc":
        cache.put(key, key.encode() * 10)
    assert len(cache) == 3 and cache.nbytes == 30
    assert cache.get("a") == b"a" * 10  # a is now the most recent; b is the oldest
    cache.put("d", b"d" * 10)
    assert cache.get("b") is None
    assert [cache.get(k) for k in "acd"] == [k.encode() * 10 for k in "acd"]
    cache.put("e", b"e" * 15)  # evicts as many of the oldest as it takes: a and c
    assert cache.nbytes == 25 and cache.get("e") == b"e" * 15
    assert cache.get("a") is None and cache.get("c") is None
    cache.put("f", b"f" * 31)  # larger than the whole cache: not kept, nothing evicted
    assert cache.get("f") is None and cache.get("e") is not None
    assert cache.get("d") == b"d" * 10 and len(cache) == 2
    cache.put("e", b"short")  # putting a key again replaces its value and its size
    assert cache.get("e") == b"short" and cache.nbytes == 10 + 5 and len(cache) == 2
    cache.clear()
    assert len(cache) == 0 and cache.nbytes == 0 and cache.get("e") is None


def test_keep_decides_which_value_stays() -> None:
    cache: LRU[int, list[int]] = LRU(max_bytes=100, size=len, keep=max)
    cache.put(1, [5, 5])
    cache.put(1, [1, 1, 1])  # max([5, 5], [1, 1, 1]) keeps the old one
    assert cache.get(1) == [5, 5] and cache.nbytes == 2
    cache.put(1, [9])
    assert cache.get(1) == [9] and cache.nbytes == 1
    empty: LRU[int, bytes] = LRU(max_bytes=-5, size=len)  # a negative budget keeps nothing
    assert empty.max_bytes == 0
    empty.put(1, b"x")
    assert empty.get(1) is None


def test_concurrent_puts_keep_the_byte_count_exact() -> None:
    cache: LRU[int, bytes] = LRU(max_bytes=4000, size=len)

    def fill(start: int) -> None:
        for i in range(start, start + 2000):
            cache.put(i % 700, bytes(i % 13 + 1))
            cache.get((i * 7) % 700)

    threads = [threading.Thread(target=fill, args=(n * 2000,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    held = [v for k in range(700) if (v := cache.get(k)) is not None]
    assert cache.nbytes == sum(map(len, held)) <= 4000 and len(cache) == len(held)
