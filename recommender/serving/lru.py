"""A thread-safe least-recently-used cache bounded by the bytes its values hold.

One implementation serves every cache of the serving path: ranking prefixes
(``rankings.RankingCache``) and the service's rendered response bodies.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

Key = TypeVar("Key", bound=Hashable)
Value = TypeVar("Value")


class LRU(Generic[Key, Value]):
    """A least-recently-used map holding at most ``max_bytes`` of values.

    ``size(value)`` is a value's cost in bytes. A value larger than the whole cache is not
    kept. ``keep(old, new)``, when given, decides which value stays when a key is put again
    (default: the new one). Every method is safe to call from several threads.
    """

    def __init__(self, max_bytes: int, size: Callable[[Value], int],
                 keep: Callable[[Value, Value], Value] | None = None) -> None:
        self.max_bytes = max(0, int(max_bytes))
        self.size = size
        self.keep = keep
        self._items: OrderedDict[Key, Value] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    @property
    def nbytes(self) -> int:
        """Bytes held by the values now in the cache."""
        return self._bytes

    def get(self, key: Key) -> Value | None:
        """The value of ``key`` (now the most recently used), or None."""
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: Key, value: Value) -> None:
        """Keep ``value`` under ``key``, evicting the least recently used values past
        ``max_bytes``."""
        if self.size(value) > self.max_bytes:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= self.size(old)
                if self.keep is not None:
                    value = self.keep(old, value)
            self._items[key] = value
            self._bytes += self.size(value)
            while self._bytes > self.max_bytes and self._items:
                _, dropped = self._items.popitem(last=False)
                self._bytes -= self.size(dropped)

    def clear(self) -> None:
        """Drop every value."""
        with self._lock:
            self._items.clear()
            self._bytes = 0
