"""The ``campaign simulate`` action: responses to a stored plan's wave, drawn on the demo data.

``recommender campaign simulate PLAN_ID --data DEMO_DATA --model MODEL --store S --wave N
--out responses.csv`` writes the responses of wave ``N`` as an events file
(``event_id,user_id,film_id,timestamp``) that ``events import`` reads, so that the closed
loop (plan, responses, report, next wave) runs end to end on the demo. The responses are
drawn from the planted truth of the demo folder (``recommender.campaigns.simulate``: each
user's taste group; a contacted target buys with ``p1``, a control with ``p0``), so the
report's uplift can be checked against the planted one the command prints. Only a folder
made by ``recommender demo-data`` has such a truth; any other is refused.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from recommender.cli.stores import NEEDED_STORE_HELP


def add_simulate_action(sub: Any) -> None:
    """``campaign simulate`` on the ``campaign`` command's sub-parsers."""
    c = sub.add_parser(
        "simulate", help="responses to a stored plan's wave, drawn from the demo data's "
                         "planted truth, as an events file for 'events import'",
        description="write the responses of one wave of a stored plan, drawn from the planted "
                    "taste groups of a demo folder (recommender demo-data), as an events file")
    c.add_argument("plan_id", metavar="PLAN_ID")
    c.add_argument("--data", required=True, help="the demo folder the model was trained on")
    c.add_argument("--model", required=True, help="the model the plan was made with")
    c.add_argument("--store", help="the campaign store holding the plan: " + NEEDED_STORE_HELP)
    c.add_argument("--wave", type=int, default=1, help="the wave sent")
    c.add_argument("--seed", type=int, default=0, help="the draw's seed")
    c.add_argument("--out", required=True, help="the events file to write (CSV)")
    c.set_defaults(campaign_action=cmd_campaign_simulate)


def cmd_campaign_simulate(args: argparse.Namespace) -> int:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    from recommender.campaigns.simulate import RESPONSE_SPAN, stored_wave_responses
    from recommender.cli.stores import _store, refuse_no_store
    from recommender.errors import InvalidParameterError
    from recommender.io import demo
    from recommender.io.atomic import atomic_file
    from recommender.model import artifact

    refuse_no_store(args)  # before the folders are read
    try:
        demo.read_manifest(args.data)
    except (OSError, ValueError):
        raise InvalidParameterError(
            f"{args.data} is not a demo folder (no readable {demo.DEMO_MARKER}): responses are "
            "drawn from the taste groups recommender demo-data plants, which only a demo folder "
            "holds") from None
    model = artifact.load(args.model)
    store = _store(args, create=False, read_only=True)
    try:
        drawn = stored_wave_responses(args.data, model, store, args.plan_id, args.wave,
                                      args.seed)
    finally:
        store.close()
    table = pa.table(drawn["events"], schema=pa.schema([
        ("event_id", pa.string()), ("user_id", pa.string()), ("film_id", pa.string()),
        ("timestamp", pa.int64())]))
    with atomic_file(args.out) as tmp:
        pacsv.write_csv(table, tmp)
    print(f"wrote {table.num_rows:,} responses of wave {args.wave} of {args.plan_id} to "
          f"{args.out}: {drawn['target_conversions']:,} of {drawn['targets']:,} targets and "
          f"{drawn['control_conversions']:,} of {drawn['controls']:,} controls converted, "
          f"dated in the {RESPONSE_SPAN // 3600} hours after the wave's start (its recorded "
          "send, else the plan's created time: the same file whenever it is drawn)")
    print(f"planted uplift of the wave: {100 * drawn['planted_uplift']:.2f} points (in each "
          "film, mean p1 of its targets - mean p0 of its controls, weighted by the films' "
          "targets, from the demo's taste groups; the report's absolute uplift estimates it)",
          file=sys.stderr)
    return 0
