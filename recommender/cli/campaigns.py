"""The ``plan`` command: plan a release slate into PLAN.csv|.parquet, a summary, and the store.

``recommender plan MODEL_DIR --slate SLATE.csv --out PLAN.csv`` writes the plan rows
(``plan_id,film_id,user_id,wave,group,rank,p,expected_value``), prints the summary as tables
(every number with its unit), writes it as JSON with ``--summary``, and stores the plan in the
campaign store given by ``--store URL`` or ``RECOMMENDER_STORE`` (not stored without either).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any, TextIO

from recommender.campaigns.slate import MAX_CAP, MAX_SEED, MAX_WAVES
from recommender.campaigns.slate import SEED_UNREAD as DRAWS_NOTHING
from recommender.cli.checks import decimal
from recommender.cli.commands import (
    _int_at_least,
    add_pseudonym_options,
)
from recommender.cli.printing import print_table

Add = Callable[[str, Callable[[argparse.Namespace], int], str], argparse.ArgumentParser]


def _share(text: str) -> float:
    try:
        value = decimal(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a share in [0, 1), got {text!r}") from None
    if not 0.0 <= value < 1.0:
        raise argparse.ArgumentTypeError(f"expected a share in [0, 1), got {value}")
    return value


DEFAULTS: dict[str, Any] = {"cap": 1, "holdout": 0.1, "waves": 3, "engine": "local", "seed": 0}
# options a next wave (--after) takes from the stored plan, with what to use instead
NOT_AFTER = {"slate": "the next wave plans the stored plan's films and remaining budgets",
             "cap": "the campaign's cap is the stored plan's",
             "waves": "use --next-waves",
             "engine": "next waves are planned locally"}


def add_campaign_commands(add: Add) -> None:
    s = add("plan", cmd_plan, "plan a release slate: who to contact for which film, in waves, "
                              "with control groups")
    s.add_argument("model")
    s.add_argument("--slate", required=False,
                   help="SLATE.csv with the header film_id,budget[,value] (required unless "
                        "--after)")
    s.add_argument("--out", required=True, help="PLAN.csv or PLAN.parquet")
    s.add_argument("--cap", type=_int_at_least(1, MAX_CAP),
                   help="films a user may be selected for over the campaign, as a target or as a "
                        f"control (default {DEFAULTS['cap']})")
    s.add_argument("--holdout", type=_share,
                   help="share of each film's selected users held out as its control group "
                        f"(default {DEFAULTS['holdout']}; with --after: the plan's)")
    s.add_argument("--waves", type=_int_at_least(1, MAX_WAVES),
                   help="waves each film's selected users are released in, best first "
                        f"(default {DEFAULTS['waves']})")
    s.add_argument("--seed", type=_int_at_least(0, MAX_SEED),
                   help="seed of the control draw (default 0; with --after 1, a new draw, as "
                        "POST /campaigns/{plan_id}/next; refused with --holdout 0: no draw)")
    s.add_argument("--exclude", help="file of user ids (one per line) never to plan (opt-outs)")
    s.add_argument("--summary", help="write the summary as JSON to this path")
    s.add_argument("--json", action="store_true",
                   help="print the body POST /campaigns/plan (with --after: POST "
                        "/campaigns/{plan_id}/next) answers, {plan_id, summary}, instead of "
                        "the tables; what was written goes to stderr")
    s.add_argument("--store", help="campaign store URL or SQLite file (default: "
                                   "$RECOMMENDER_STORE; without either: not stored, and "
                                   "MODEL.campaigns.db's events read when it exists)")
    s.add_argument("--engine", choices=["local", "spark"],
                   help="where to solve: local (exact LP) or spark (one dual price per film, "
                        "recommender/campaigns/spark_plan.py)")
    s.add_argument("--spark-master",
                   help="Spark master for --engine spark (default local[*]; ignored under "
                        "spark-submit)")
    add_pseudonym_options(s)  # user ids in --out as keyed HMACs (README "Security")
    from recommender.cli.next_wave import add_after_options

    add_after_options(s)  # the next wave of a stored plan (recommender/cli/next_wave.py)


#: why a --seed that draws no control group is refused (or, its holdout the plan's, warned of)
SEED_UNREAD = f"--seed {DRAWS_NOTHING}"


def refuse_unread_seed(args: argparse.Namespace) -> None:
    """``--seed`` with ``--holdout 0``: the seed draws only the control groups, of which there
    are none (the plan was the same for every seed, and recorded the seed given)."""
    from recommender.errors import InvalidParameterError

    if getattr(args, "seed", None) is not None and getattr(args, "holdout", None) == 0:
        raise InvalidParameterError(f"{SEED_UNREAD}; leave out --seed, or give a --holdout "
                                    "above 0")


def pseudonym_key(args: argparse.Namespace) -> bytes | None:
    """The pseudonym key when ``--pseudonymize`` was given (``InvalidParameterError``, exit 2,
    without one), else None; read before any work is done."""
    from recommender.errors import InvalidParameterError
    from recommender.query.pseudonym import load_key

    key_file = getattr(args, "pseudonym_key_file", None)
    if not getattr(args, "pseudonymize", False):
        if key_file is not None:
            raise InvalidParameterError("--pseudonym-key-file needs --pseudonymize")
        return None
    return load_key(key_file)


def cmd_plan(args: argparse.Namespace) -> int:
    from recommender.campaigns.export import plan_format
    from recommender.campaigns.slate import read_slate
    from recommender.cli.commands import not_an_input
    from recommender.errors import InvalidParameterError

    refuse_unread_seed(args)  # with --after too
    if getattr(args, "after", None):
        from recommender.cli.next_wave import cmd_plan_after

        given = [n for n in NOT_AFTER if getattr(args, n, None) is not None]
        if given:
            raise InvalidParameterError("with --after: " + "; ".join(
                f"--{n} does not apply ({NOT_AFTER[n]})" for n in given))
        return cmd_plan_after(args)
    after_only = [o for o, n in (("--sent-waves", "sent_waves"), ("--next-waves", "next_waves"),
                                 ("--leave-out", "leave_out"),
                                 ("--leave-out-no-effect", "leave_out_no_effect"))
                  if getattr(args, n, None) is not None]
    if after_only:
        raise InvalidParameterError(f"{' and '.join(after_only)} only apply with --after PLAN_ID")
    for name, value in DEFAULTS.items():
        if getattr(args, name, None) is None:
            setattr(args, name, value)
    if not args.slate:
        raise InvalidParameterError("plan needs --slate SLATE.csv (or --after PLAN_ID)")
    plan_format(args.out)
    for out in (args.out, args.summary):
        not_an_input(out, args.slate, args.exclude)
    key = pseudonym_key(args)
    slate = read_slate(args.slate)
    target = args.store or os.environ.get("RECOMMENDER_STORE") or None
    from recommender.cli.stores import NewStore

    with NewStore(target) as new:  # a store file this creates stays only once written to
        store = None
        if target:
            from recommender.campaigns.moved import check_store
            from recommender.campaigns.store import open_store
            from recommender.cli.stores import refuse_in_memory, refuse_new_store_in_a_model

            refuse_in_memory(target)  # "stored in sqlite://": gone as the command ended
            refuse_new_store_in_a_model(target)
            named: str = target
            store = new.open(lambda: open_store(named))  # a bad URL fails before the work
            check_store(store, "this plan")  # and a store ``campaign copy`` moved
        return _plan(args, key, slate, store)


def _plan(args: argparse.Namespace, key: bytes | None, slate: Any, store: Any) -> int:
    """``cmd_plan`` once its arguments are checked and its store (or None) is open."""
    from recommender.cli.checks import slate_films_known, warn_unknown_opt_outs
    from recommender.cli.commands import _load_model
    from recommender.cli.printing import note
    from recommender.io.id_lists import read_opt_outs

    model = _load_model(args.model)
    if store is not None:
        from recommender.campaigns.next_wave import refreshed_model

        # as the service plans: the store's events after the model's training are watches
        # (no one is planned a film they have bought since), new users are known
        model = refreshed_model(model, store)
    else:  # read only, as the answering commands: the events `serve MODEL` knows of
        from recommender.cli.answer_store import default_store_model

        model = default_store_model(model, args.model)
    slate_films_known(model, args.slate, slate)
    # every reading of a line the model holds: an opt-out fails safe (id_lists.read_opt_outs)
    exclude = read_opt_outs(args.exclude, model.users, said=note) if args.exclude else []
    warn_unknown_opt_outs(model, exclude, args.exclude)
    replan: Callable[[], Any] | None = None  # the local planner, made again on a clash
    if getattr(args, "engine", "local") == "spark":
        from recommender.campaigns.spark_plan import plan_slate_spark

        plan = plan_slate_spark(model, slate, cap=args.cap, holdout=args.holdout,
                                waves=args.waves, seed=args.seed, exclude=exclude,
                                master=args.spark_master)
        from recommender.campaigns.controls import refuse_nobody

        refuse_nobody(plan, slate)  # as the local planner: nothing written, nothing stored
        spark_controls(model, slate, store, plan.summary)
    else:
        from recommender.campaigns.controls import plan_beside

        def replan() -> Any:
            return plan_beside(model, slate, store, cap=args.cap, holdout=args.holdout,
                               waves=args.waves, seed=args.seed, exclude=exclude)

        plan = replan()

    def commit() -> None:
        if store is not None:
            store.save_plan(plan.plan_id, plan.summary, plan.rows, excluded=exclude)
            store.close()

    from recommender.campaigns.controls import PLAN_ATTEMPTS
    from recommender.errors import PlansClashError

    for attempt in itertools.count(1):
        try:
            rows = write_outputs(plan.rows, plan.summary, args.out, args.summary, key, commit,
                                 slate=args.slate)
            break
        except PlansClashError as e:  # as POST /campaigns/plan: made again around them
            if replan is None or attempt >= PLAN_ATTEMPTS:
                raise
            print(f"note: {e} (planning again: attempt {attempt + 1} of {PLAN_ATTEMPTS})",
                  file=sys.stderr)
            plan = replan()
    said = show_summary(plan.plan_id, plan.summary, bool(args.json))
    where = f"; stored in {store.url}" if store is not None else " (not stored)"
    hidden = " (user ids pseudonymised)" if key is not None else ""
    print(f"wrote {rows:,} rows of plan {plan.plan_id} to {args.out}{hidden}{where}", file=said)
    if store is None:  # the service's reports, next waves and opt-outs know nothing of it
        from recommender.campaigns.default_store import default_store

        beside = default_store(args.model)
        print(f"note: plan {plan.plan_id} is not in the campaign store that `serve "
              f"{args.model}` reads ({beside}, without RECOMMENDER_STORE): plan with --store "
              f"{beside} (or the service's RECOMMENDER_STORE) to store it", file=sys.stderr)
    return 0


def show_summary(plan_id: str, summary: dict[str, Any], as_json: bool) -> TextIO:
    """A new plan's summary: the HTTP body ``{plan_id, summary}`` with ``--json`` (the route
    answers that dict as it is), else the tables. Returns where the lines that follow go:
    stderr under ``--json``, so that stdout holds the body alone."""
    if not as_json:
        print_summary(summary, plan_id)
        return sys.stdout
    from recommender.cli.printing import print_body

    print_body({"plan_id": plan_id, "summary": summary})
    print_notes(summary)  # the warnings stay on stderr: only the tables give way to the body
    return sys.stderr


def spark_controls(model: Any, slate: Any, store: Any, summary: dict[str, Any]) -> None:
    """The Spark planner does not leave out the pairs other stored plans select, as contacts
    or controls (``campaigns/controls.py``): say how many it may have planned, on stderr (when
    any) and in the summary (always, as a local plan's summary has it: ``pairs`` 0 when
    none)."""
    if store is None:
        return
    from recommender.campaigns.controls import blocked_pairs

    _, info = blocked_pairs(model, slate, store)
    said = (f"the Spark planner does not leave out the {info['pairs']:,} (film, user) "
            f"pairs {info['plans_count']:,} other stored plan(s) contact or hold out as "
            "controls for these films: contacting or holding them out biases those plans' "
            "reports or this one's (plan with --engine local to leave them out)")
    if info["pairs"]:
        print(f"warning: {said}", file=sys.stderr)
    summary["held_out_elsewhere"] = {**info, "left_out": False, "note": said}


def write_outputs(rows: Any, summary: dict[str, Any], out: str, summary_path: str | None,
                  key: bytes | None, commit: Callable[[], None], slate: str | None = None
                  ) -> int:
    """Write the plan rows to ``out`` and the summary to ``summary_path`` (when given) as
    temporary files, run ``commit`` (storing the plan), then put the files in place: a
    failure before that leaves no file and nothing stored. Returns the rows written.
    ``slate``: the slate file the plan was read from (a Parquet ``out`` names it)."""
    from recommender.campaigns.export import plan_format, write_plan_to
    from recommender.errors import InvalidParameterError
    from recommender.io.atomic import FolderTurn, atomic_file

    for option, path in (("--out", out), ("--summary", summary_path)):
        if path and Path(path).is_dir():  # the one rename that fails after a good write
            raise InvalidParameterError(f"{option} {path} is a folder; give a file path")
    if summary_path and Path(summary_path).resolve() == Path(out).resolve():
        raise InvalidParameterError(f"--out and --summary name the same file ({out})")
    from recommender.cli.interrupts import HeldInterrupts

    # entered first, so left last: once the plan is being stored, Ctrl-C and SIGTERM wait
    # until the files are in place too (store and files agree), then act
    with HeldInterrupts() as held, ExitStack() as files:
        # left last: two plans written to one --out (and --summary) at once put their files
        # in place in turn, so the summary beside a plan file is that plan's
        turn = files.enter_context(FolderTurn(Path(out).resolve().parent))
        write_plan_to(rows, files.enter_context(atomic_file(out)), plan_format(out), key,
                      summary, slate)
        tmp = files.enter_context(atomic_file(summary_path)) if summary_path else None
        if tmp is not None:
            tmp.write_text(json.dumps(summary, ensure_ascii=False, indent=2) + "\n",
                           encoding="utf-8")
        held.hold(f"note: the signal came as plan {summary.get('plan_id', '')} was being "
                  f"stored and written: both were completed, not undone ({out})")
        commit()
        if tmp is not None:  # as stored: storing may add a warning (a next wave's twin)
            tmp.write_text(json.dumps(summary, ensure_ascii=False, indent=2) + "\n",
                           encoding="utf-8")
        turn.take()
    return int(rows.num_rows)


def print_notes(summary: dict[str, Any]) -> None:
    """A plan summary's notes and warnings, on stderr: with the tables, or under ``--json``
    beside the body (they were lost there: a re-plan's warning, the opt-outs of other plans'
    pairs, a film of no effect, the solver's tolerance)."""
    from recommender.io.text import shown_cell
    from recommender.model.calibration import random_holdout, uncalibrated

    for f in summary.get("films") or []:  # none in a hand-made summary: no film to note
        if f.get("note"):  # a film with nothing fitted: its contacts are in no order
            print(f"warning: film {shown_cell(f['film_id'])}: {f['note']}", file=sys.stderr)
    held = summary.get("held_out_elsewhere") or {}
    if held.get("pairs") and held["left_out"]:  # the Spark planner's said it did not
        print(f"note: {held['pairs']:,} (film, user) pairs contacted or held out as controls "
              f"by {held['plans_count']:,} other stored plan(s) ({', '.join(held['plans'][:3])}"
              f"{', ...' if held['plans_count'] > 3 else ''}) left out, so that no plan's "
              "control group is contacted for its film", file=sys.stderr)
    flat = (summary.get("no_effect") or {}).get("films") or []
    left = {x["film_id"]: x for x in summary.get("left_out") or []}
    for f in summary.get("films") or []:  # a next wave: what its previous plan's waves measured
        u = (f.get("measured_uplift") or {}).get("absolute_uplift")
        if f.get("film_id") in flat and u:  # none: a hand-made film, no note
            # the option named only where it changes the plan (given, it still advised it)
            planned = f["film_id"] not in left and int(f.get("budget", 1)) > 0
            then = (("left out (--leave-out)" if left[f["film_id"]]["why"] == "asked" else
                     "left out (--leave-out-no-effect)") if f["film_id"] in left else
                    "its remaining budget is planned all the same (--leave-out-no-effect "
                    "leaves such films out)" if planned else "no budget of it is left to plan")
            print(f"{'warning' if planned else 'note'}: film "
                  f"{shown_cell(f['film_id'])}: the sent waves measured an uplift of "
                  f"{100 * u['estimate']:+.2f} points "
                  f"[{100 * u['low']:+.2f}, {100 * u['high']:+.2f}] (95%, conversion rate of "
                  f"targets less controls, so far): no effect; {then}", file=sys.stderr)
    for x in left.values():  # films left out of this wave on (a next wave's --leave-out)
        print(f"note: film {shown_cell(x['film_id'])} left out from this wave on "
              f"({'asked' if x['why'] == 'asked' else 'no effect measured'}): "
              f"{x['budget_left']:,} contacts of its budget left unplanned", file=sys.stderr)
    for x in summary.get("plan_notes") or []:  # no control group, fewer waves than asked
        print(f"warning: film {shown_cell(x['film_id'])}: {x['note']}", file=sys.stderr)
    if summary.get("split_warning"):  # a holdout near 0 or 1: the uplift's interval is wide
        print(f"warning: {summary['split_warning']}", file=sys.stderr)
    if summary.get("warning"):  # a second next wave of one plan (the same remaining budget)
        print(f"warning: {summary['warning']}", file=sys.stderr)
    if uncalibrated(summary.get("horizon") or {}):  # its zeros read as measured (a plan
        # stored before the flag too: campaign show)
        print("warning: every p is 0, so expected conversions and value are 0 and each film's "
              "contacts are its top-ranked users, not weighed by their chance or its value: "
              f"{summary['horizon']['description']}", file=sys.stderr)
    if random_holdout(summary.get("horizon") or {}):  # a log without times (a plan stored
        # before the flag reads as then): its expected conversions read as a forecast
        print("warning: expected conversions are no forecast of conversion: each p is "
              f"{summary['horizon']['note']}", file=sys.stderr)
    if gone := summary.get("withdrawn"):  # campaign withdraw (recommender/campaigns/withdraw.py)
        print(f"note: withdrawn {gone['at']} after {gone['sent_waves']} sent wave(s): the "
              "users of its later waves are free for other plans of its films; no next wave",
              file=sys.stderr)
    for n in summary.get("next_waves") or []:  # campaign show: its tables named none
        after = f"planned after {n['sent_waves']} sent wave(s)"
        print(f"note: next wave {n['plan_id']} {after}: " + (
            f"withdrawn {n['withdrawn']['at']} after {n['withdrawn']['sent_waves']} of its "
            "own sent wave(s)" if n["withdrawn"] else "the campaign goes on in it"),
            file=sys.stderr)
    if sends := summary.get("wave_sends"):  # campaign show: when each recorded wave went out
        print("note: recorded sends (its report counts each such wave from it): " + "; ".join(
            f"wave {w['wave']} at {w['sent_at_utc']} (unix {w['sent_at']} seconds; recorded "
            f"{w['recorded_at']})" for w in sends), file=sys.stderr)
    note = (summary.get("optimality") or {}).get("note")
    if note:  # values too far apart for the solver's relative tolerance
        print(f"warning: {note}", file=sys.stderr)


UNKNOWN = "unknown"
#: the summary's parts ``print_summary`` tabulates: one lacking is named, its cells unknown
SHOWN_FIELDS = ("films", "totals", "optimality", "naive")


def _known(part: dict[str, Any], key: str, shown: Callable[[Any], str]) -> str:
    """``part[key]`` as ``shown`` writes it, or "unknown" where the summary lacks it."""
    value = part.get(key)
    return UNKNOWN if value is None else shown(value)


def print_summary(summary: dict[str, Any], plan_id: str | None = None) -> None:
    """The summary as tables, each number with its unit and where it comes from; a field the
    stored summary lacks (written by hand or by an older engine) reads "unknown", and a note
    on stderr names each such field (a ``KeyError`` was a traceback)."""
    from recommender.cli.printing import horizon_span

    name = plan_id if plan_id is not None else summary.get("plan_id", "?")
    lacking = [k for k in SHOWN_FIELDS if not isinstance(summary.get(k), dict | list)]
    if lacking:
        print(f"note: plan {name}'s stored summary has no {', '.join(map(repr, lacking))} "
              "(written by hand or by an older engine): shown as unknown", file=sys.stderr)
    span = horizon_span(summary.get("horizon"))
    print(f"Plan {name} on model {summary.get('model_version', UNKNOWN)} (p = probability "
          f"of watching within {span}; the summary's 'horizon' says how it is measured)")
    f_ = _known  # each cell: "unknown" where the summary lacks its field
    print_table(
        ["film_id", "title", "budget (contacts)", "eligible (users)", "contacts (users)",
         "control (users)", "expected conversions (users)", "expected value (value units)",
         "dual price (value/selected user)", "flag"],
        [[f_(f, "film_id", str), f_(f, "title", str), f_(f, "budget", str),
          f_(f, "eligible_users", str), f_(f, "contacts", str), f_(f, "control", str),
          f_(f, "expected_conversions", "{:.2f}".format),
          f_(f, "expected_value", "{:.2f}".format), f_(f, "dual_price", "{:.4f}".format),
          f_(f, "budget_exceeds_eligible", lambda v: "budget + control > eligible users"
             if v else "none")]
         for f in summary.get("films") or []], films=True)
    print_notes(summary)
    t, o, n = (summary.get(k) or {} for k in ("totals", "optimality", "naive"))
    gain = f_(n, "planner_gain", "{:.3f}x".format) if n.get("planner_gain", 0) is not None \
        else "n/a"  # null: the naive plan is worth 0
    print_table(["total", "value", "unit / source"], [
        ["contacts", f_(t, "contacts", "{:,}".format),
         "target rows: (film, user) pairs to contact"],
        ["control", f_(t, "control", "{:,}".format), "held-out rows, never contacted"],
        ["expected conversions", f_(t, "expected_conversions", "{:.2f}".format),
         "(film, user) pairs, sum of p over target rows" + (
             "; no forecast of conversion: p measured on a random holdout (warning above)"
             if (summary.get("horizon") or {}).get("random_holdout") is True else "")],
        ["expected value", f_(t, "expected_value", "{:.2f}".format),
         "value units over target rows"],
        ["objective", f_(o, "objective", "{:.4f}".format), "value units over every selected "
                                                           "row (targets and controls), what "
                                                           "is maximised"],
        ["LP upper bound", f_(o, "lp_upper_bound", "{:.4f}".format),
         "value units, LP dual bound"],
        ["optimality gap", f_(o, "gap", lambda g: f"{100 * g:.4f}%"),
         "(bound - objective) / bound"],
        ["naive plan objective", f_(n, "objective", "{:.4f}".format),
         "value units: each film's top selected_limit audience, cap enforced "
         "afterwards"],
        ["planner / naive", gain, "ratio of the objectives"],
    ])
    sys.stdout.flush()
