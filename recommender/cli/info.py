"""The CLI's ``info``: the model's version, parameters, data and tuning (``GET /health``'s)."""

from __future__ import annotations

import argparse
from typing import Any

from recommender.cli.commands import answer_model
from recommender.cli.printing import films_left_out, print_body
from recommender.cli.rollback import print_versions
from recommender.errors import InvalidParameterError
from recommender.io.text import plural


def cmd_info(args: argparse.Namespace) -> int:
    from recommender.model.tuning import summary as tuning_summary
    from recommender.query.catalog import model_info
    from recommender.serving.engine import model_folder_path

    if args.versions:  # the folder's, without loading its current model (it may not load)
        if args.store is not None:
            raise InvalidParameterError("--store does not apply with --versions (the versions "
                                        "are the model folder's)")
        return print_versions(args.model, args.json)
    # the folder as /health names it (absolute, links kept): it was the path as typed
    info = {**model_info(model := answer_model(args)), "path": model_folder_path(args.model)}
    body = {"model": info, "tuning": tuning_summary(model.meta)}
    if args.json:
        print_body(body)
        return 0
    print(f"model {info['model_version']} ({info['model']}, {info['factors']} factors, "
          f"created {info['created']}) at {args.model}")
    events = info["store_events"]
    since = ("" if events is None else
             f" + the campaign store's {plural(events['events_applied'], 'event', sep=',')} "
             f"since training (through sequence {events['through_seq']:,}; "
             f"{plural(events['new_users'], 'new user', sep=',')})")
    print(f"{info['users']:,} users x {info['films']:,} films x {info['interactions']:,} "
          f"interactions from {info['data_source']}{since}; {info['segments']} segments; user "
          f"attributes: {', '.join(info['user_attributes']) or 'none'}; calibrated tiers: "
          f"{'yes' if info['has_calibration'] else 'no'}")
    print("parameters: " + ", ".join(
        f"tiers ({' / '.join(f'{n} {plain(p)}' for n, p in v)}, % of the candidates)"
        if k == "tiers" and isinstance(v, list) else f"{k} {plain(v)}"
        for k, v in info["params"].items()))
    print(f"final fit: {info['refit'] or 'not recorded (a model trained before it was)'}")
    films_left_out(info)
    tuning = tuning_summary(model.meta) or {}
    print(f"tuning: {tuning.get('status', 'not recorded')}"
          + (f"; chosen {plain(tuning['chosen'])}" if "chosen" in tuning else ""))
    return 0


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
