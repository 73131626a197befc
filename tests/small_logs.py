"""A model trained on a tiny log whose film ids, titles, years, viewer counts and user ids
the test sets: for the tests of how a typed title or id is read (Unicode forms, Turkish
capitals, many films of one title), where the answer names those ids.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa

from recommender.io.dataset import Catalog, Interactions
from recommender.model import artifact
from recommender.model.config import TrainConfig
from recommender.model.training import train

Film = tuple[str, str, int]  # (film id, title, year)


def small_model(path: Path, films: Sequence[Film], viewers: Sequence[int] | None = None,
                users: Sequence[str] | None = None) -> Path:
    """The model trained on a log where film ``i`` of ``films`` is watched by the first
    ``viewers[i]`` users (3 each when None) of ``users`` (``u000``, ``u001``, ... 40 when
    None; at least the most viewers), its catalog ``films``; saved to ``path``."""
    counts = list(viewers) if viewers is not None else [3] * len(films)
    uids = list(users) if users is not None else [f"u{i:03d}" for i in range(max(40, *counts))]
    assert len(counts) == len(films) and max(counts) <= len(uids)
    log_users = [uids[u] for n in counts for u in range(n)]
    log_films = [fid for (fid, _, _), n in zip(films, counts, strict=True) for _ in range(n)]
    catalog = Catalog(np.array([f[0] for f in films]), np.array([f[1] for f in films]),
                      np.array([f[2] for f in films], np.int32),
                      np.array(["Drama"] * len(films)))
    data = Interactions.from_columns(pa.array(log_users), pa.array(log_films),
                                     catalog=catalog, source="small-log-test")
    model = train(data, TrainConfig(factors=4, iterations=3, segments=2, holdout=0.0,
                                    tune=False, seed=0), progress=False)
    return artifact.save(model, path)
