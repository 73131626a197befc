"""The CLI's ``info``: the model's version, parameters, data and tuning (``GET /health``'s)."""

from __future__ import annotations

import argparse
from typing import Any

from recommender.cli.answer_store import given_store
from recommender.cli.commands import answer_model
from recommender.cli.printing import films_left_out, print_body
from recommender.cli.rollback import print_versions
from recommender.errors import InvalidParameterError
from recommender.io.text import plural


def cmd_info(args: argparse.Namespace) -> int:
    from recommender.model import fitted
    from recommender.model.tuning import summary as tuning_summary
    from recommender.query.catalog import model_info
    from recommender.serving.engine import model_folder_path

    if args.versions:  # the folder's, without loading its current model (it may not load)
        if given_store(args) is not None:  # --store none: no store, as the versions read
            raise InvalidParameterError("--store does not apply with --versions (the versions "
                                        "are the model folder's)")
        return print_versions(args.model, args.json)
    # the folder as /health names it (absolute, links kept): it was the path as typed
    info = {**model_info(model := answer_model(args)), "path": model_folder_path(args.model)}
    body = {"model": info, "tuning": tuning_summary(model.meta)}
    if args.json:
        print_body(body, model)
        return 0
    params = info["params"]
    family = "ease" if params.get("family") == "ease" else str(info["model"])
    size = f"rank {info['factors']}" if family == "ease" else f"{info['factors']} factors"
    print(f"model {info['model_version']} ({info['model']}, {size}, "
          f"created {info['created']}) at {args.model}")
    events = info["store_events"]
    since = ("" if events is None else
             f" + the campaign store's {plural(events['events_applied'], 'event', sep=',')} "
             f"since training (through sequence {events['through_seq']:,}; "
             f"{plural(events['new_users'], 'new user', sep=',')})")
    withheld = info["segments_withheld"]  # the model's count, then those `segments` withholds
    print(f"{info['users']:,} users x {info['films']:,} films x {info['interactions']:,} "
          f"interactions from {info['data_source']}{since}; "
          f"{segments_text(info['segments'] + withheld, model.meta.get('segments'))}"
          f"{withheld_text(withheld)}; user "
          f"attributes: {', '.join(info['user_attributes']) or 'none'}; calibrated tiers: "
          f"{'yes' if info['has_calibration'] else 'no'}")
    print(times_line(model.meta.get("data")))
    print(blank_ratings_line(info["blank_ratings"]))
    print("parameters: " + ", ".join(
        f"tiers ({' / '.join(f'{n} {plain(p)}' for n, p in v)}, % of the candidates)"
        if k == "tiers" and isinstance(v, list) else f"{k} {unset_text(k, family)}"
        if v is None else f"{k} {plain(v)}"
        for k, v in params.items() if k not in unread_params(family, params)))
    print(f"final fit: {info['refit'] or 'not recorded (a model trained before it was)'}")
    if not fitted.known(model):
        print(f"reasons: {fitted.UNEXPLAINED} (users new to the live overlay still get them)")
    films_left_out(info)
    tuning = tuning_summary(model.meta) or {}
    print(f"tuning: {tuning.get('status', 'not recorded')}"
          + (f"; chosen {plain(tuning['chosen'])}" if "chosen" in tuning else "")
          + validation_text(tuning))
    return 0


def validation_text(tuning: dict[str, Any]) -> str:
    """``info``'s words on the search's validation objective, with what it measures (the
    summary's ``objective``, as /health gives it): the chosen settings' and the starting
    point's; nothing where the model records no validation."""
    val = tuning.get("validation_objective")
    if not isinstance(val, dict) or val.get("chosen") is None:
        return ""
    start = (f", starting point {val['start']}" if val.get("start") is not None else "")
    what = tuning.get("objective")
    return (f"; validation objective {val['chosen']}{start}"
            + (f" (the objective: {what})" if what else ""))


def segments_text(found: int, recorded: Any) -> str:
    """``9 segments``, with what training recorded where it found fewer than asked for
    (meta.json's ``segments``): the count asked for and the minimum cell size in force then
    (``RECOMMENDER_MIN_CELL``, which merged the smaller ones: "9 segments" beside "segments 10"
    in the parameters said neither)."""
    text = plural(found, "segment", sep=",")
    if not isinstance(recorded, dict) or "asked" not in recorded:
        return text
    floor = recorded.get("min_size")
    return text + f" ({recorded['asked']:,} asked" + (
        f"; segments of fewer than {floor:,} users merged: the minimum cell size, "
        "RECOMMENDER_MIN_CELL, at training)" if isinstance(floor, int) and floor > 1 else ")")


def withheld_text(withheld: int) -> str:
    """``info``'s words on the segments ``segments`` withholds at today's minimum cell
    (``RECOMMENDER_MIN_CELL``), after the model's count; nothing when it lists every one."""
    from recommender.model.min_cell import min_cell_from_env

    if not withheld:
        return ""
    return (f", {withheld:,} of them withheld (fewer than {min_cell_from_env():,} users each: "
            "the minimum cell size, RECOMMENDER_MIN_CELL)")


def times_line(data: Any) -> str:
    """``info``'s line on when the log's interactions happened (meta.json's
    ``data.time_span``), in UTC, with the days between; what a model without times (or
    trained before the span was recorded) says instead."""
    data = data if isinstance(data, dict) else {}
    span = data.get("time_span")
    if not isinstance(span, dict):
        return ("times: none (the log has no timestamps: a random calibration holdout)"
                if data.get("has_timestamps") is False else "times: not recorded (a model "
                "trained before the log's time span was)")
    first, last = (span.get(k) or f"unix {span.get(k + '_unix_seconds')} seconds"
                   for k in ("first", "last"))
    return (f"times: {first} to {last} (UTC), {span.get('days'):,} days apart (each "
            "user-film pair at its first event)")


def blank_ratings_line(read: dict[str, Any] | None) -> str:
    """``info``'s line on how the log's blank ratings were read (``--blank-ratings``,
    meta.json's ``data.blank_ratings``, as ``query.model_facts.blank_ratings`` gives it)."""
    if read is None:
        return "blank ratings: not recorded (a model trained before it was)"
    rows = plural(read["rows"], "row", sep=",")
    if read["choice"] == "refuse":
        return "blank ratings: refuse (--blank-ratings refuse: the log had none)"
    if read["choice"] == "drop":
        return f"blank ratings: drop ({rows} left out)"
    given = read["rating_given"]
    return (f"blank ratings: implicit ({rows} kept as views; " + (
        f"each pair no event rates given the rating {given:g})" if given is not None else
        "no pair given a rating: every pair is rated by another event, or no rating is "
        "given at all)"))


#: the options each fitted model does not read (a meta.json records every option, read or not:
#: an EASE model's info listed "model als, iterations 15, regularization 30, alpha 3"); the
#: Studio's overview leaves out the same (service/studio/js/overview.js)
UNREAD_PARAMS: dict[str, tuple[str, ...]] = {
    "als": ("learning_rate", "ease_lambda"),
    "als-spark": ("learning_rate", "cg_steps", "ease_lambda", "family", "tune", "fixed"),
    "bpr": ("alpha", "cg_steps", "weighting", "bm25_k1", "bm25_b", "ease_lambda"),
    "lmf": ("alpha", "cg_steps", "ease_lambda"),
    "ease": ("model", "iterations", "regularization", "alpha", "cg_steps", "learning_rate",
             "warm_iterations")}


def unset_text(key: str, family: str) -> str:
    """What parameter ``key`` left unset (None in meta.json, printed "-" before: "min_rating -,
    warm_iterations -") means to a model of ``family``: Spark's MLlib cannot warm-start (its
    training refuses a warm_iterations), so its final fit is always a fresh one."""
    from recommender.model.config import FRESH_REFIT_INTERACTIONS
    from recommender.model.training import WARM_ITERATIONS

    if key == "warm_iterations":
        return ("not read (MLlib cannot warm-start: the final fit is always a fresh one on all "
                "interactions)" if family == "als-spark" else
                f"automatic (a fresh final fit on up to {FRESH_REFIT_INTERACTIONS:,} fitted "
                f"interactions or with iterations {WARM_ITERATIONS} or fewer, else a warm "
                f"refit of {WARM_ITERATIONS} sweeps)")
    return "none (every interaction counts)" if key == "min_rating" else "-"


def unread_params(family: str, params: dict[str, Any]) -> set[str]:
    """The ``params`` a model of ``family`` (``ease``, else meta.json's ``model``) never
    reads: ``UNREAD_PARAMS``, and BM25's constants under another weighting."""
    out = set(UNREAD_PARAMS.get(family, ()))
    if params.get("weighting") != "bm25":
        out |= {"bm25_k1", "bm25_b"}
    return out


def plain(value: Any) -> str:
    """A parameter's value as text for people: ``-`` for none, lists and pairs without
    brackets or quotes (``core 1, extended 4``), mappings as ``name value`` pairs."""
    if value is None:
        return "-"
    if isinstance(value, dict):
        return ", ".join(f"{k} {plain(v)}" for k, v in value.items()) or "-"
    if isinstance(value, list | tuple):
        return ", ".join(plain(v) if not isinstance(v, list | tuple) else
                         " ".join(plain(x) for x in v) for v in value) or "none"
    return f"{value:g}" if isinstance(value, float) else str(value)
