"""The calibration holdout on Spark: the latest share of interactions by time, as the local one.

``_holdout`` marks the rows held out (a ``held`` column): the latest ``round(rows x share)``
by timestamp, the cut found exactly (``_kth_latest``), or a seeded random share where the log
has no times to order by.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from recommender.io.columns import TIMESTAMP

if TYPE_CHECKING:
    from pyspark.sql import DataFrame


def _holdout(df: DataFrame, share: float, seed: int, has_ts: bool) -> tuple[DataFrame, bool]:
    """``df`` with a boolean ``held`` column: the latest ``round(rows x share)`` interactions
    by timestamp, as the local ``training.holdout_mask`` (of the rows at the cut's time, a
    seeded random share, each row with the same chance, where the local engine draws exactly
    the count missing), or a seeded random ``share`` when there are no timestamps or they are
    all equal; and whether the cut is by time."""
    from pyspark.sql import functions as sf

    if share <= 0:  # no holdout: no pass over the data to count it
        return df.withColumn("held", sf.lit(False)), False
    ts = sf.col(TIMESTAMP) if has_ts else sf.lit(None)
    row = df.agg(sf.count(sf.lit(1)), sf.count(ts), sf.min(ts), sf.max(ts)).first()
    assert row is not None
    k = int(round(row[0] * share))  # the local engine's count
    if k == 0:
        return df.withColumn("held", sf.lit(False)), False
    if has_ts and row[2] is not None and row[2] < row[3]:
        cut, above, ties = _kth_latest(df, min(k, row[1]), row[1])
        at = ts == sf.lit(cut)
        if above + ties > k:  # a seeded random share of the rows at the cut
            at = at & (sf.rand(seed) < sf.lit((k - above) / ties))
        return df.withColumn("held", sf.coalesce((ts > sf.lit(cut)) | at, sf.lit(False))), True
    return df.withColumn("held", sf.rand(seed) < sf.lit(share)), False


def _kth_latest(df: DataFrame, k: int, m: int, error: float = 1e-4) -> tuple[Any, int, int]:
    """The ``k``-th latest of the ``m`` timestamps, exactly (an approximate quantile was up to
    ``error`` x rows off: 8 rows more of 100,000 held out), the rows after it and the rows at
    it: the distinct times within twice ``error`` of the quantile come to the driver with
    their rows counted (a log of dates ties millions of rows at a few times: rows, not times,
    came to the driver), latest first."""
    from pyspark.sql import functions as sf

    ts = sf.col(TIMESTAMP)
    q = 1.0 - k / m
    lo, hi = df.approxQuantile(TIMESTAMP, [max(0.0, q - 2 * error), min(1.0, q + 2 * error)],
                               error)
    above = df.filter(ts > sf.lit(hi)).count()

    def counted(where: Any) -> tuple[NDArray[Any], NDArray[np.int64]]:
        got = df.filter(where).groupBy(TIMESTAMP).count().toArrow()
        times, rows = got.column(0).to_numpy(), np.asarray(got.column(1).to_numpy(), np.int64)
        order = np.argsort(-times, kind="stable")
        return times[order], np.cumsum(rows[order])  # rows at or after each time

    times, upto = counted((ts >= sf.lit(lo)) & (ts <= sf.lit(hi)))
    if not len(upto) or not 1 <= k - above <= upto[-1]:  # outside the bounds: every time
        above = 0
        times, upto = counted(ts.isNotNull())
    i = int(np.searchsorted(upto, k - above))  # the first time reaching the k-th row
    before = int(upto[i - 1]) if i else 0
    return times[i].item(), above + before, int(upto[i]) - before
