"""The workers' metric files, their disk blocks allocated before they are memory-mapped.

With several workers (``service.metrics``) prometheus_client keeps each worker's values in a
file it memory-maps, made (and grown, doubling) with ``truncate``: a sparse file, whose pages
get their disk blocks only when first written. On a full disk (``/tmp`` full, where the files
live) that first write was ``SIGBUS``: the worker died at its next new metric, uvicorn started
another, which died the same way, and the server answered nothing until the disk had room
again. Here every size the file is mapped at is allocated first (``posix_fallocate``); when the
disk cannot give the room, the worker keeps its values in memory from then on (a warning says
so, once): it goes on serving, and ``/metrics`` misses its newer values until it restarts.
"""

from __future__ import annotations

import contextlib
import logging
import mmap
import os

from prometheus_client import mmap_dict, values
from prometheus_client.mmap_dict import MmapedDict

# prometheus_client's internals this relies on (checked by ``install``; a version without
# them keeps its own files, sparse as before)
_INITIAL_MMAP_SIZE: int = getattr(mmap_dict, "_INITIAL_MMAP_SIZE", 0)
_RELIED_ON = ("_init_value", "_read_all_values")

log = logging.getLogger("recommender.service")


class AllocatedMmapedDict(MmapedDict):
    """``MmapedDict`` mapping only allocated blocks, or memory once the disk is full."""

    def __init__(self, filename: str, read_mode: bool = False) -> None:
        self._in_memory = False
        if not read_mode:
            with open(filename, "a+b") as f:  # made as the parent makes it
                size = max(os.fstat(f.fileno()).st_size, _INITIAL_MMAP_SIZE)
            self._allocate(filename, size)  # the size the parent maps it at
            if self._in_memory:
                with contextlib.suppress(OSError):  # an empty file: unreadable to a scrape
                    if os.path.getsize(filename) == 0:
                        os.unlink(filename)
                self._f = open(os.devnull, "a+b")  # noqa: SIM115 - closed by ``close``
                self._fname = filename
                self._capacity = _INITIAL_MMAP_SIZE
                self._m = mmap.mmap(-1, self._capacity)
                self._positions: dict[str, int] = {}
                self._used = 8
                self._m[0:4] = (8).to_bytes(4, "little", signed=True)
                return
        super().__init__(filename, read_mode)

    def _allocate(self, filename: str, size: int) -> None:
        """Allocate ``size`` bytes of the file, or switch to memory (``_in_memory``). Through
        a descriptor of its own, not opened for appending: where the file system has no
        ``fallocate`` (NFS, FUSE), glibc writes a byte per block instead, and refuses
        (``EBADF``) a descriptor in append mode, as the parent's ``a+b`` file is."""
        if self._in_memory:
            return
        try:
            fd = os.open(filename, os.O_RDWR)
            try:
                os.posix_fallocate(fd, 0, size)
            finally:
                os.close(fd)
        except OSError as e:
            self._in_memory = True
            log.warning("metrics: %s cannot grow (%s): this worker keeps its metrics in memory "
                        "from now on, and /metrics misses its newer values until it restarts",
                        filename, e.strerror or e)

    def _init_value(self, key: str) -> None:
        encoded = key.encode("utf-8")
        needed = self._used + 4 + len(encoded) + (8 - (len(encoded) + 4) % 8) + 16
        capacity = self._capacity
        while needed > capacity:
            capacity *= 2
        if capacity > self._capacity:
            self._allocate(self._fname, capacity)
            if self._in_memory:  # the values so far, copied into a larger map in memory
                grown = mmap.mmap(-1, capacity)
                grown[:self._capacity] = self._m[:self._capacity]
                with contextlib.suppress(BufferError):
                    self._m.close()
                self._m, self._capacity = grown, capacity
        super()._init_value(key)


def install() -> None:
    """Make prometheus_client's multiprocess values use ``AllocatedMmapedDict`` (it looks the
    name up when a worker opens its files), where that version has the internals it builds on;
    otherwise a warning, and the files are prometheus_client's own."""
    if not (_INITIAL_MMAP_SIZE > 0 and hasattr(values, "MmapedDict")
            and all(callable(getattr(MmapedDict, name, None)) for name in _RELIED_ON)):
        log.warning("metrics: this prometheus_client's files are not the ones service."
                    "metric_files knows: its metric files stay sparse (a full disk may stop "
                    "the workers)")
        return
    values.MmapedDict = AllocatedMmapedDict  # type: ignore[misc]
