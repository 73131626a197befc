"""``meta.json``'s fields for a trained model: its version, parameters, data and versions."""

from __future__ import annotations

import hashlib
import json
import re
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from recommender import __version__
from recommender.io.dataset import Interactions
from recommender.io.text import iso_utc
from recommender.model.artifact import format_version
from recommender.model.config import TrainConfig
from recommender.model.weighting import event_rating


def data_facts(data: Interactions, min_rating: float | None) -> tuple[str, dict[str, Any]]:
    """(the data's fingerprint, ``meta.json``'s ``event_rating`` field: what a recorded event's
    new pair stands for under the rating scheme, none without ratings): the parts of
    ``build_meta`` that read every interaction, on their own so that training can compute
    them beside its fits."""
    rated = ({"event_rating": event_rating(data.rating, min_rating)}
             if data.rating is not None and len(data.rating) else {})
    return data.fingerprint(), rated


def blank_ratings(data: Interactions) -> dict[str, Any]:
    """``meta.json``'s ``data.blank_ratings`` (``{}`` for data not read by ``readers.load``):
    the choice the log's blank ratings were read with (``refuse``, ``drop`` or ``implicit``),
    the rows it applied to (left out, or kept as views; 0 under ``refuse``, which reads none)
    and the rating each pair no event rates was given (``implicit``; else None)."""
    if data.blank_ratings is None:
        return {}
    return {"blank_ratings": {"choice": data.blank_ratings, "rows": int(data.unrated),
                              "rating_given": data.unrated_as}}


def time_span(timestamps: NDArray[np.integer] | None) -> dict[str, Any]:
    """``meta.json``'s ``data.time_span`` (``{}`` without times): when the log's interactions
    happened, each user-film pair at its first event (a time split's order), as the first
    and the last time in UTC (ISO 8601, ``Z``; None for a time no calendar date holds), as
    unix seconds, and the days between them. (A model said only ``has_timestamps``, so a log of
    milliseconds read as seconds, or of another year, went unseen until a horizon was odd.)"""
    if timestamps is None or not len(timestamps):
        return {}
    first, last = int(np.min(timestamps)), int(np.max(timestamps))
    return {"time_span": {"first": utc_text(first), "last": utc_text(last),
                          "first_unix_seconds": first, "last_unix_seconds": last,
                          "days": round((last - first) / 86_400, 3), "timezone": "UTC"}}


def utc_text(seconds: int) -> str | None:
    """Unix ``seconds`` as ISO 8601 in UTC (``2020-01-31T12:00:00Z``), None outside years
    1 to 9999 (what a calendar date holds)."""
    try:
        return iso_utc(seconds)
    except (OverflowError, OSError, ValueError):
        return None


def model_version(created: datetime, fingerprint: str, params: dict[str, Any]) -> str:
    """``meta.json``'s ``model_version``: the training time to the second, then 8 hex digits of
    a digest of the data's fingerprint and the parameters, so two models trained in one second
    on one log with other parameters get different versions (the digits were the fingerprint's
    alone, and the Studio, reading the version to tell a reload, could not tell them apart)."""
    text = fingerprint + "\n" + json.dumps(params, sort_keys=True, default=str)
    return f"{created:%Y%m%dT%H%M%SZ}-{hashlib.sha256(text.encode()).hexdigest()[:8]}"


def build_meta(data: Interactions, config: TrainConfig, seconds: float,
               tuning: dict[str, Any] | None = None, fitted: int | None = None,
               facts: tuple[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """``meta.json``'s fields. ``tuning`` is ``tuning.tune``'s report; without one the meta says
    why no search ran (tuning off, or a trainer that does not tune, such as Spark's).
    ``fitted``: the interactions the factors were fitted on, when ``--min-rating`` left out
    some of ``data``'s (recorded as ``interactions_fitted``). ``facts``: ``data_facts``'s
    answer, when already computed (beside the fits, ``training.train``)."""
    import implicit
    import pyarrow
    import scipy

    created = datetime.now(UTC)
    fingerprint, rated = facts if facts is not None else data_facts(data, config.min_rating)
    params = config.to_dict()
    return {
        "format_version": format_version(params),
        "model_version": model_version(created, fingerprint, params),
        "model": config.fitted_model,
        "params": params,
        "data": {
            "source": full_source(data.source),
            "fingerprint": fingerprint,
            "users": data.n_users,
            "films": data.n_films,
            "interactions": len(data),
            # the log's rows as read, and its duplicate (user, film) rows merged into another
            # (rows_read - duplicate_rows_merged distinct pairs): a wc -l adds up
            **({"rows_read": data.rows_read, "duplicate_rows_merged": data.rows_merged}
               if data.rows_read else {}),
            **({"interactions_fitted": fitted} if fitted is not None and fitted != len(data)
               else {}),
            **blank_ratings(data),
            "has_ratings": data.rating is not None,
            "has_timestamps": data.timestamp is not None,
            **time_span(data.timestamp),
            # a users file read (users.csv, --users...), its attribute columns or none: a model
            # without attributes says which (user_id alone read as "no users file was given")
            "users_file_read": data.user_table is not None,
            # what a recorded event's new pair stands for under the rating scheme (overlay)
            **rated,
        },
        "created": iso_utc(created.timestamp()),
        "training_seconds": round(seconds, 3),
        "tuning": tuning if tuning is not None else {
            "status": "not run: this trainer fits the given parameters as --no-tune does"
            if config.tune else "off (--no-tune, or a configuration with tune false)"},
        "versions": {
            "recommender": __version__,
            "implicit": implicit.__version__,
            "numpy": np.__version__,
            "scipy": scipy.__version__,
            "pyarrow": pyarrow.__version__,
            "python": sys.version.split()[0],
        },
    }


#: the suffix ``campaigns.training_events`` gives ``data.source`` (the store's events)
_EVENTS = re.compile(r" \+ \d+ events from .*$", re.S)


def full_source(source: str | None) -> str | None:
    """``data.source`` as ``meta.json`` records it: a local file or folder in full (absolute,
    ``~`` expanded, its links kept, as ``/health`` names the model folder), where typed
    relative (``train --data data``) it named nothing from the server's directory, though
    ``/health`` gives it the admin key as the training data's file; ``<stdin>``, a URL, a
    path not found and the store's events' suffix kept as given."""
    if not source:
        return source
    events = _EVENTS.search(source)
    path = source[:events.start()] if events else source
    try:
        local = Path(path).expanduser()
        if path != "<stdin>" and "://" not in path and local.exists():
            path = str(local.absolute())
    except (OSError, ValueError):  # a name no file system takes: as given
        pass
    return path + (events.group(0) if events else "")
