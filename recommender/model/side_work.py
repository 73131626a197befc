"""Work that training's fits do not need, run in one thread beside them.

A fit of ``implicit``'s ALS runs its sweeps without the GIL and, on a machine of many cores,
leaves some of them idle (at the ML-20M shape, 1.45 s a sweep on 16 cores against 3.7 s on
2: ``benchmarks/results/train_16_cores_before.json`` and ``train.json``, each its
``iteration_s``); numpy's sorts, scipy's sparse conversions and hashlib's
digests release the GIL too. So what training needs only after a fit (the seen matrices,
the final fit's confidence, the fingerprint, the tier calibration of the fit before it) runs
in a second thread while the fit runs, instead of before or after it. Each result is the
same as if it ran inline (``INLINE``: tests compare the two).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from types import TracebackType
from typing import Any, TypeVar

T = TypeVar("T")

# run every call at once, in the calling thread (tests compare a train with and without the
# second thread)
INLINE = False


def done(fn: Callable[..., T], *args: Any, **kwargs: Any) -> Future[T]:
    """``fn(*args, **kwargs)`` called now, in this thread, as a finished future (an error is
    raised where the result is read, as from the thread)."""
    out: Future[T] = Future()
    try:
        out.set_result(fn(*args, **kwargs))
    except Exception as e:
        out.set_exception(e)
    return out


class SideWork:
    """One worker thread: ``submit`` queues a call (calls run in the order submitted) and
    returns its future. Leaving the ``with`` block (an error, Ctrl-C) cancels the calls not
    started and waits for the one running, so no thread outlives the training."""

    def __init__(self) -> None:
        self._pool = None if INLINE else ThreadPoolExecutor(1, thread_name_prefix="train-side")

    def submit(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> Future[T]:
        if self._pool is None:
            return done(fn, *args, **kwargs)
        return self._pool.submit(fn, *args, **kwargs)

    def close(self) -> None:
        """Cancel the calls not started and wait for the one running (``__exit__`` does this
        too; training calls it before it lifts the BLAS limit the side thread runs under)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> SideWork:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
