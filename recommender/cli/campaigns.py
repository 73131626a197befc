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
from typing import Any

from recommender.campaigns.slate import MAX_CAP, MAX_SEED, MAX_WAVES
from recommender.campaigns.slate import SEED_UNREAD as DRAWS_NOTHING
from recommender.cli.checks import decimal
from recommender.cli.commands import (
    _int_at_least,
    add_pseudonym_options,
)
from recommender.cli.id_column import add_id_column
from recommender.cli.plan_text import (
    print_notes,  # noqa: F401 (re-exported: the tests import it from here)
    show_summary,
)

Add = Callable[[str, Callable[[argparse.Namespace], int], str], argparse.ArgumentParser]


def _share(text: str) -> float:
    try:
        value = decimal(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a share in [0, 1), got {text!r}") from None
    if not 0.0 <= value < 1.0:
        raise argparse.ArgumentTypeError(f"expected a share in [0, 1), got {value}")
    return value


DEFAULTS: dict[str, Any] = {"cap": 1, "holdout": 0.1, "waves": 3, "engine": "local", "seed": 0,
                            "cap_scope": "plan"}
# options a next wave (--after) takes from the stored plan, with what to use instead
NOT_AFTER = {"slate": "the next wave plans the stored plan's films and remaining budgets",
             "cap": "the campaign's cap is the stored plan's",
             "cap_scope": "the campaign's cap scope is the stored plan's",
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
    s.add_argument("--cap-scope", choices=["plan", "store"],
                   help="what the cap counts: plan (default) this plan's rows (and its chain's "
                        "sent waves); store also each user's films the store's other live "
                        "plans select (every wave but a withdrawn plan's unsent ones and "
                        "those a next wave re-planned; needs a store)")
    s.add_argument("--holdout", type=_share,
                   help="share of each film's selected users held out as its control group "
                        f"(default {DEFAULTS['holdout']}; with --after: the plan's)")
    s.add_argument("--waves", type=_int_at_least(1, MAX_WAVES),
                   help="waves each film's selected users are released in, best first "
                        f"(default {DEFAULTS['waves']})")
    s.add_argument("--seed", type=_int_at_least(0, MAX_SEED),
                   help="seed of the control draw (default 0; with --after 1, a new draw, as "
                        "POST /campaigns/{plan_id}/next; refused with --holdout 0: no draw)")
    s.add_argument("--exclude", help="file of user ids (one per line, or a CSV export whose "
                                      "header names its id column) never to plan (opt-outs)")
    add_id_column(s, "--exclude")
    s.add_argument("--summary", help="write the summary as JSON to this path")
    s.add_argument("--json", action="store_true",
                   help="print the body POST /campaigns/plan (with --after: POST "
                        "/campaigns/{plan_id}/next) answers, {plan_id, summary}, instead of "
                        "the tables; what was written goes to stderr")
    s.add_argument("--store", help="campaign store URL or SQLite file (default: "
                                   "$RECOMMENDER_STORE; without either: not stored, and "
                                   "MODEL.campaigns.db's events read when it exists); none: "
                                   "not stored, the model as trained (no store read; a file "
                                   "named none: ./none); --after needs a store")
    s.add_argument("--engine", choices=["local", "spark"],
                   help="where to solve: local (exact LP) or spark (one dual price per film, "
                        "recommender/campaigns/spark_plan.py)")
    s.add_argument("--spark-master",
                   help="Spark master for --engine spark (default local[*]; ignored under "
                        "spark-submit)")
    add_pseudonym_options(s)  # user ids in --out as keyed HMACs (README "Security")
    from recommender.cli.next_wave import add_after_options
    from recommender.cli.plan_keys import add_key_option

    add_key_option(s)  # --idempotency-key (recommender/cli/plan_keys.py)

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
    from recommender.cli.id_column import id_column
    from recommender.errors import InvalidParameterError

    refuse_unread_seed(args)  # with --after too
    id_column(args, "exclude")  # --id-column without --exclude: refused
    if getattr(args, "after", None):
        from recommender.cli.next_wave import cmd_plan_after

        given = [n for n in NOT_AFTER if getattr(args, n, None) is not None]
        if given:
            raise InvalidParameterError("with --after: " + "; ".join(
                f"--{n.replace('_', '-')} does not apply ({NOT_AFTER[n]})" for n in given))
        return cmd_plan_after(args)
    after_only = [o for o, n in (("--sent-waves", "sent_waves"), ("--next-waves", "next_waves"),
                                 ("--leave-out", "leave_out"),
                                 ("--leave-out-no-effect", "leave_out_no_effect"))
                  if getattr(args, n, None) is not None]
    if after_only:
        raise InvalidParameterError(f"{' and '.join(after_only)} only "
                                    f"{'apply' if len(after_only) > 1 else 'applies'} with "
                                    "--after PLAN_ID")
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
    from recommender.cli.plan_keys import answer_stored, request_key, stored_for

    idem = request_key(args, slate)  # --idempotency-key: refused without a store
    from recommender.cli.answer_store import no_store

    # --store none: not stored, and the model as trained, as the answers read it (a store
    # file named none was created)
    target = None if no_store(args) else args.store or os.environ.get("RECOMMENDER_STORE") or None
    if args.cap_scope != "plan" and (not target or args.engine == "spark"):  # before the work
        raise InvalidParameterError(
            "--cap-scope store counts the campaign store's other plans: it needs a store "
            "(--store or RECOMMENDER_STORE)" if not target else
            "--cap-scope store is planned locally only (--engine local): the Spark planner "
            "takes one cap for every user")
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
        if idem is not None and (done := stored_for(store, idem)) is not None:  # a retry
            return answer_stored(args, store, done, idem[0], key)
        code = _plan(args, key, slate, store, idem)
    new.say_created()  # a misspelt --store made a new, empty store: said, as events import
    return code


def _plan(args: argparse.Namespace, key: bytes | None, slate: Any, store: Any,
          idem: tuple[str, str] | None = None) -> int:
    """``cmd_plan`` once its arguments are checked and its store (or None) is open; ``idem``:
    the request's idempotency key (``plan_keys.request_key``), stored with the plan."""
    from recommender.cli.checks import slate_films_known, warn_unknown_opt_outs
    from recommender.cli.commands import _load_model
    from recommender.cli.printing import note
    from recommender.io.id_lists import read_opt_outs

    model = _load_model(args.model)
    if store is not None:
        from recommender.cli.answer_store import refreshed_model

        # as the service plans: the store's events after the model's training are watches
        # (no one is planned a film they have bought since), new users are known
        model = refreshed_model(model, store)
    else:  # read only, as the answering commands: the events `serve MODEL` knows of
        from recommender.cli.answer_store import default_store_model, no_store

        model = model if no_store(args) else default_store_model(model, args.model)
    slate_films_known(model, args.slate, slate)
    # every reading of a line the model holds: an opt-out fails safe (id_lists.read_opt_outs)
    column = getattr(args, "id_column", None)  # a CSV export's column of user ids
    read: list[tuple[str, list[str]]] = []  # lines read in another Unicode form: a plan note
    exclude = (read_opt_outs(args.exclude, model.users, said=note, column=column,
                             form_readings=read)
               if args.exclude else [])
    warn_unknown_opt_outs(model, exclude, args.exclude)
    replan: Callable[[], Any] | None = None  # the local planner, made again on a clash
    scope = getattr(args, "cap_scope", "plan")
    if getattr(args, "engine", "local") == "spark":
        from recommender.campaigns.spark_plan import plan_slate_spark

        plan = plan_slate_spark(model, slate, cap=args.cap, holdout=args.holdout,
                                waves=args.waves, seed=args.seed, exclude=exclude,
                                master=args.spark_master, opt_outs_read=read)
        from recommender.campaigns.controls import refuse_nobody

        spark_cap_scope(model, plan.summary)
        refuse_nobody(plan, slate, model=model)  # as the local planner: nothing written or stored
        spark_controls(model, slate, store, plan.summary, exclude)
    else:
        from recommender.campaigns.controls import plan_beside

        def replan() -> Any:
            return plan_beside(model, slate, store, cap=args.cap, holdout=args.holdout,
                               waves=args.waves, seed=args.seed, exclude=exclude,
                               cap_scope=scope, opt_outs_read=read)

        plan = replan()

    def commit() -> None:
        if store is not None:
            from recommender.campaigns.idempotent_plans import answered_summary

            store.save_plan(plan.plan_id, plan.summary, plan.rows, excluded=exclude, key=idem)
            # answered (--json, --summary) as GET /campaigns/{plan_id} reads it: read fields too
            plan.summary.update(answered_summary(store, plan.plan_id))
            store.close()

    from sqlalchemy.exc import IntegrityError

    from recommender.campaigns.controls import PLAN_ATTEMPTS
    from recommender.cli.plan_keys import answer_stored, stored_for
    from recommender.errors import PlansClashError

    for attempt in itertools.count(1):
        try:
            rows = write_outputs(plan.rows, plan.summary, args.out, args.summary, key, commit,
                                 slate=args.slate)
            break
        except (PlansClashError, IntegrityError) as e:  # a twin stored under the same key
            if idem is not None and (done := stored_for(store, idem)) is not None:
                return answer_stored(args, store, done, idem[0], key)
            if isinstance(e, IntegrityError):
                raise
            if replan is None or attempt >= PLAN_ATTEMPTS:  # made again around them, as
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


def spark_cap_scope(model: Any, summary: dict[str, Any]) -> None:
    """The summary's ``cap_scope`` block, as the local planner's (``controls.plan_beside``,
    from the same ``cap_scope.scope_caps``): the Spark planner plans with the plan's scope
    alone (``--cap-scope store`` is refused with it), so no other plan counted (0 users
    limited or excluded) and the plan scope's note."""
    from recommender.campaigns.cap_scope import scope_caps
    from recommender.campaigns.slate import PLAN_SCOPE

    params = summary.get("parameters") or {}
    summary["cap_scope"] = scope_caps(model, None, int(params.get("cap", 1)),
                                      str(params.get("cap_scope", PLAN_SCOPE)))[1]


def spark_controls(model: Any, slate: Any, store: Any, summary: dict[str, Any],
                   exclude: Any = ()) -> None:
    """The Spark planner does not leave out the pairs other stored plans select, as contacts
    or controls (``campaigns/controls.py``): say how many it may have planned, on stderr (when
    any) and in the summary (always, as a local plan's summary has it: ``pairs`` 0 when
    none). A stored plan of the same slate, model, parameters and opt-outs (``exclude``) is
    named as the local planner names it (``retried.note_retries``: ``held_out_elsewhere``'s
    ``same_request`` and ``retry_warning``, said on stderr by ``show_summary``): a Spark plan
    run again was stored twice without a word."""
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
    from recommender.campaigns.retried import note_retries

    note_retries(store, summary, exclude)  # a retry of a stored Spark plan: said so


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
