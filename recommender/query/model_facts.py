"""What ``/health`` and ``info`` say of a model: version, parameters, data counts, store events.

``model_info`` is the whole (``/health``'s ``model``); ``store_events`` the campaign store's
events folded in on top of the model as trained, which exports and plan summaries report too.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from recommender.io.places import PLACE_ATTRIBUTES
from recommender.io.text import iso_shown
from recommender.model import calibration, catalog_only
from recommender.model.kept import Kept
from recommender.model.model import Model
from recommender.query.privacy import few, min_cell_from_env


def store_events(meta: dict[str, Any]) -> dict[str, int] | None:
    """The campaign store's events an answer folds in on top of the model as trained (the
    overlay's, ``recommender.serving.overlay``): ``events_applied``, the store sequence they
    run through (``through_seq``) and the users new to the model they brought
    (``new_users``); None when none apply (the model as trained). Counts, audiences and
    exports of the same model version differ with them, so what reports the version reports
    them too."""
    overlay = meta.get("overlay")
    if not isinstance(overlay, dict) or not overlay.get("events_applied"):
        return None
    return {"events_applied": int(overlay["events_applied"]),
            "through_seq": int(overlay.get("seq") or 0),
            "new_users": int(overlay.get("new_users") or 0)}


#: ``data.time_span``'s fields, as ``recommender.model.meta.time_span`` writes them
TIME_SPAN_FIELDS = ("first", "last", "first_unix_seconds", "last_unix_seconds", "days",
                    "timezone")


def time_span(data: dict[str, Any]) -> dict[str, Any] | None:
    """meta.json's ``data.time_span`` (first and last time, ISO 8601 and unix seconds, days,
    timezone) with its fields only; None when it is not recorded (no times, an older model)."""
    span = data.get("time_span")
    return {k: span.get(k) for k in TIME_SPAN_FIELDS} if isinstance(span, dict) else None


def blank_ratings(data: dict[str, Any]) -> dict[str, Any] | None:
    """meta.json's ``data.blank_ratings`` (the choice, the rows it applied to, the rating an
    unrated pair was given) with its fields only; None when it is not recorded."""
    read = data.get("blank_ratings")
    if not isinstance(read, dict) or not isinstance(read.get("choice"), str):
        return None
    given = read.get("rating_given")
    return {"choice": read["choice"], "rows": int(read.get("rows") or 0),
            "rating_given": float(given) if isinstance(given, int | float) else None}


# films with a title and with genres, kept per catalog (the models the service derives from
# campaign events share their base's): counted per request, they cost /health 2.6 s of CPU at
# 1M films, where monitors and every Studio page ask it
_CATALOG_COUNTS: Kept[dict[str, int]] = Kept()


def catalog_counts(model: Model) -> dict[str, int]:
    """``films_with_title`` (a title not blank) and ``films_with_genres`` of the model's
    catalog, worked out once per catalog."""
    cat = model.catalog
    kept = _CATALOG_COUNTS.get(cat)
    if kept is not None:
        return kept
    return _CATALOG_COUNTS.put(cat, {
        "films_with_title": int(np.count_nonzero(np.char.str_len(
            np.char.strip(cat.titles.astype(str))) > 0)),
        "films_with_genres": int(np.count_nonzero(np.char.str_len(cat.genres.astype(str)) > 0))})


def listed_segments(model: Model, min_cell: int | None = None) -> NDArray[np.bool_]:
    """Per segment number, whether an answer may name it (its label, size, films): it holds
    no fewer than ``min_cell`` users as served (default ``RECOMMENDER_MIN_CELL``), or none."""
    cell = min_cell_from_env() if min_cell is None else min_cell
    sizes = np.bincount(np.asarray(model.segments.labels, np.int64), minlength=model.segments.n)
    return ~few(sizes, cell)


def model_info(model: Model, min_cell: int | None = None) -> dict[str, Any]:
    """Metadata for ``/health``: version, model type and parameters, data counts; the
    segments ``GET /segments`` lists and those it withholds at ``min_cell`` (the server's;
    default ``RECOMMENDER_MIN_CELL``) counted apart."""
    listed = listed_segments(model, min_cell)
    meta = model.meta
    data = meta.get("data", {}) if isinstance(meta.get("data"), dict) else {}
    return {
        "model_version": model.version,
        "model": str(meta.get("model", "")),
        "format_version": meta.get("format_version"),
        "created": iso_shown(created) if isinstance(created := meta.get("created"), str)
        else created,  # a model saved as +00:00 shown as ...Z
        "users": model.n_users,
        "films": model.n_films,
        # what the catalog can be searched and filtered by: a log without films.csv has
        # neither titles nor genres (the Studio then asks for ids and hides its genre fields)
        **catalog_counts(model),
        "interactions": int(model.seen.nnz),
        "factors": int(model.user_factors.shape[1]) - model.bias_columns,  # the trained ones
        # as GET /segments lists them (its hidden.segments the rest): the Studio's Overview
        "segments": int(listed.sum()),
        "segments_withheld": int(listed.size - listed.sum()),
        "user_attributes": sorted(model.user_table.attributes),
        "place_attributes": [a for a in PLACE_ATTRIBUTES if a in model.user_table.attributes],
        "data_fingerprint": data.get("fingerprint"),
        "data_source": data.get("source"),
        # when the log happened, in UTC (meta.json's data.time_span); None without times or
        # for a model trained before it was recorded
        "time_span": time_span(data),
        # how the log's blank ratings were read (meta.json's data.blank_ratings); None for a
        # model trained before it was recorded
        "blank_ratings": blank_ratings(data),
        "params": meta.get("params", {}) if isinstance(meta.get("params"), dict) else {},
        "has_calibration": calibration.measured(model.calibration),
        # how the final model was fitted after the calibration fit (None: a model trained
        # before meta.json recorded it)
        "refit": str(meta["refit"]) if meta.get("refit") is not None else None,
        # films --min-rating left nothing to fit (their audiences are in no meaningful order)
        "films_without_liked": int(unliked["count"]) if isinstance(
            unliked := meta.get("films_without_liked"), dict) else None,
        # catalog films no interaction names, left out of the model (``model.catalog_only``)
        "catalog_without_interactions": catalog_only.count(meta) or None,
        # users and interactions above count them: the data source alone did not say so
        "store_events": store_events(meta),
    }
