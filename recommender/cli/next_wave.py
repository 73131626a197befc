"""``recommender plan MODEL --after PLAN_ID``: the next wave of a stored plan, on the CLI.

Plans each film's remaining budget on the model refreshed with the store's events
(``recommender.campaigns.next_wave``), optionally leaving films out (``--leave-out``,
``--leave-out-no-effect``), writes its rows and summary and stores it.
"""

from __future__ import annotations

import argparse
from typing import Any

from recommender.campaigns.slate import MAX_WAVES
from recommender.cli.commands import _int_at_least, _positive_int
from recommender.cli.stores import _store


def add_after_options(s: argparse.ArgumentParser) -> None:
    """``plan``'s options for the next wave (``--after``)."""
    s.add_argument("--after", metavar="PLAN_ID",
                   help="plan the next wave of this stored plan on the model refreshed with "
                        "the store's events (no --slate: its films and remaining budgets)")
    s.add_argument("--sent-waves", type=_positive_int, dest="sent_waves",
                   help="with --after: the waves of that plan that were sent (default 1)")
    s.add_argument("--next-waves", type=_int_at_least(1, MAX_WAVES), dest="next_waves",
                   help="with --after: waves of the new plan (default: the unsent ones)")
    s.add_argument("--leave-out", action="append", metavar="FILM_ID", dest="leave_out",
                   help="with --after: leave this film of the plan out from this wave on (its "
                        "budget in the new plan is 0, its users' cap free for the other "
                        "films; repeatable)")
    s.add_argument("--leave-out-no-effect", action="store_true", default=None,
                   dest="leave_out_no_effect",
                   help="with --after: leave out too the films whose sent waves measured no "
                        "effect so far (the whole 95%% interval of the uplift at or below 0)")


def cmd_plan_after(args: argparse.Namespace) -> int:
    """``recommender plan MODEL --after PLAN_ID --store URL --out NEXT.csv``."""
    from recommender.campaigns.export import plan_format
    from recommender.campaigns.moved import check_store
    from recommender.campaigns.next_wave import prepare_next_wave
    from recommender.cli.answer_store import refreshed_model
    from recommender.cli.campaigns import pseudonym_key, write_outputs
    from recommender.cli.checks import warn_unknown_opt_outs
    from recommender.cli.commands import _load_model, not_an_input
    from recommender.cli.plan_text import show_summary
    from recommender.cli.printing import note
    from recommender.io.id_lists import read_opt_outs

    plan_format(args.out)
    for out in (args.out, args.summary):
        not_an_input(out, args.exclude)
    from recommender.cli.plan_keys import answer_stored, request_key, stored_for

    key = pseudonym_key(args)
    idem = request_key(args, None)  # --idempotency-key, as POST /campaigns/{plan_id}/next's
    store = _store(args, create=False)
    check_store(store, "this plan")  # moved by ``campaign copy``: said before the work
    if (done := stored_for(store, idem)) is not None:  # a retry: the plan stored under it
        return answer_stored(args, store, done, str(args.idempotency_key), key)
    refuse_kept_holdout_seed(args, store.summary(args.after))
    model = refreshed_model(_load_model(args.model), store)
    # every reading of a line the model holds: an opt-out fails safe (id_lists.read_opt_outs)
    column = getattr(args, "id_column", None)  # a CSV export's column of user ids
    read: list[tuple[str, list[str]]] = []  # lines read in another Unicode form: a plan note
    exclude = (read_opt_outs(args.exclude, model.users, said=note, column=column,
                             form_readings=read)
               if args.exclude else [])
    warn_unknown_opt_outs(model, exclude, args.exclude)  # as the first plan's --exclude
    sent = args.sent_waves or 1
    nxt = prepare_next_wave(model, store, args.after, sent_waves=sent, waves=args.next_waves,
                            holdout=args.holdout, exclude=exclude,
                            leave_out=args.leave_out or (),
                            leave_out_no_effect=bool(args.leave_out_no_effect),
                            opt_outs_read=read,
                            **({} if args.seed is None else {"seed": args.seed}))
    plan = nxt.plan
    from sqlalchemy.exc import IntegrityError

    from recommender.errors import PlansClashError

    try:
        rows = write_outputs(plan.rows, plan.summary, args.out, args.summary, key,
                             lambda: nxt.save(store, idem))
    except (PlansClashError, IntegrityError):  # a twin stored under the same key first
        if (done := stored_for(store, idem)) is None:
            raise
        return answer_stored(args, store, done, str(args.idempotency_key), key)
    said = show_summary(plan.plan_id, plan.summary, bool(args.json))
    ex = plan.summary["excluded"]
    print(f"next wave of {args.after} ({'wave 1' if sent == 1 else f'waves 1-{sent}'} sent): "
          f"{ex['pairs_contacted']:,} pairs contacted and {ex['pairs_held_out']:,} held out "
          f"not planned again, {ex['users_at_cap']:,} users at the cap, "
          f"{ex['users_opted_out']:,} opted out; model refreshed "
          f"with the store's events up to sequence {plan.summary['events_seq']:,}", file=said)
    print(f"wrote {rows:,} rows of plan {plan.plan_id} to {args.out}; stored in {store.url}",
          file=said)
    store.close()
    return 0


def refuse_kept_holdout_seed(args: argparse.Namespace, summary: dict[str, Any]) -> None:
    """``--seed`` for a next wave that keeps its plan's holdout of 0 (no ``--holdout``) is
    refused before the work, as with ``--holdout 0`` given (``cli.campaigns``): there is no
    control group for it to draw (any seed, 1 included, as the first plan's option)."""
    from recommender.cli.campaigns import SEED_UNREAD
    from recommender.errors import InvalidParameterError

    if args.seed is None or args.holdout is not None:
        return
    if float(summary.get("parameters", {}).get("holdout", 0.1)) == 0:
        raise InvalidParameterError(
            f"{SEED_UNREAD} (the holdout of plan {args.after}, which this wave keeps); leave "
            "out --seed, or give a --holdout above 0")
