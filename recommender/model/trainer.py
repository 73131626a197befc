"""The interface every trainer implements: interactions and a configuration in, a ``Model`` out.

The local trainer (``implicit``, :class:`recommender.model.training.LocalTrainer`) and the Spark
trainer (:class:`recommender.spark.training.SparkTrainer`) both implement it, the evaluation
fits through it, and ``tests/contracts/`` runs one suite of checks against every implementation.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from recommender.io.dataset import Interactions
from recommender.model.config import TrainConfig
from recommender.model.model import Model


@runtime_checkable
class Trainer(Protocol):
    """Builds a complete ``Model`` (factors, seen matrices, calibration, segments, meta) ready for
    ``artifact.save``. Ids are kept byte for byte; the internal order of users and films is the
    trainer's own, so callers map by id, never by index."""

    name: str

    def fit(self, source: Interactions, config: TrainConfig | None = None) -> Model:
        """Train on ``source`` with ``config`` (the defaults when ``None``)."""
        ...
