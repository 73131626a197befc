"""The text of a plan's summary: its tables on stdout, its notes and warnings on stderr.

``plan`` and ``plan --after`` show a new plan with ``show_summary``; ``campaign show`` prints
a stored one with ``print_summary`` (``print_notes`` alone under ``--json``).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, TextIO

from recommender.cli.printing import print_table


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


def print_notes(summary: dict[str, Any]) -> None:
    """A plan summary's notes and warnings, on stderr: with the tables, or under ``--json``
    beside the body (they were lost there: a re-plan's warning, the opt-outs of other plans'
    pairs, a film of no effect, the solver's tolerance)."""
    from recommender.io.ids import form_named
    from recommender.io.text import shown_cell
    from recommender.model.calibration import random_holdout, uncalibrated

    def _film(film_id: str) -> str:  # twins in two Unicode forms print alike: the form said
        return shown_cell(film_id) + form_named(str(film_id))

    for f in summary.get("films") or []:  # none in a hand-made summary: no film to note
        if f.get("note"):  # a film with nothing fitted: its contacts are in no order
            print(f"warning: film {_film(f['film_id'])}: {f['note']}", file=sys.stderr)
    held = summary.get("held_out_elsewhere") or {}
    if held.get("pairs") and held["left_out"]:  # the Spark planner's said it did not
        print(f"note: {held['pairs']:,} (film, user) pairs contacted or held out as controls "
              f"by {held['plans_count']:,} other stored plan(s) ({', '.join(held['plans'][:3])}"
              f"{', ...' if held['plans_count'] > 3 else ''}) left out, so that no plan's "
              "control group is contacted for its film", file=sys.stderr)
    scope = summary.get("cap_scope") or {}
    if scope.get("scope") == "store":  # the store's other plans counted against the cap
        print(f"note: cap scope store: {scope.get('plans', 0):,} other stored plan(s) counted "
              f"against the cap of {(summary.get('parameters') or {}).get('cap', '?')} "
              f"film(s) per user: {scope.get('users_limited', 0):,} users left part of it, "
              f"{scope.get('users_excluded', 0):,} none (not planned)", file=sys.stderr)
    if summary.get("retry_warning"):  # a stored plan of the same slate, model and parameters
        print(f"warning: {summary['retry_warning']}", file=sys.stderr)
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
                  f"{_film(f['film_id'])}: the sent waves measured an uplift of "
                  f"{100 * u['estimate']:+.2f} points "
                  f"[{100 * u['low']:+.2f}, {100 * u['high']:+.2f}] (95%, conversion rate of "
                  f"targets less controls, so far): no effect; {then}", file=sys.stderr)
    said = (summary.get("no_effect") or {}).get("note")
    if said and not flat and said.startswith("no film"):  # a next wave of no such film: said
        # (--leave-out-no-effect left nothing out, without a word; a summary stored before
        # this wording said "none of them is planned" of no film, and is not repeated)
        print(f"note: {said}", file=sys.stderr)
    for x in left.values():  # films left out of this wave on (a next wave's --leave-out)
        print(f"note: film {_film(x['film_id'])} left out from this wave on "
              f"({'asked' if x['why'] == 'asked' else 'no effect measured'}): "
              f"{x['budget_left']:,} contacts of its budget left unplanned", file=sys.stderr)
    for x in summary.get("plan_notes") or []:  # no control group, fewer waves than asked
        if x.get("film_id") is None:  # of no film: opt-outs read in another form (HTTP's)
            print(f"note: {x['note']}", file=sys.stderr)
            continue
        print(f"warning: film {_film(x['film_id'])}: {x['note']}", file=sys.stderr)
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


def chain_text(summary: dict[str, Any]) -> str | None:
    """The line of a next wave's summary naming the plan it continues, its chain (the nearest
    first, each with the waves it had sent) and which of the campaign's waves its own are (it
    numbers them from 1: ``campaign sent --wave 1`` of it is the campaign's wave 2 after one
    sent wave); None for a campaign's first plan."""
    previous = summary.get("previous_plan_id")
    if not previous:
        return None
    chain = summary.get("chain") or []
    listed = ", ".join(f"{p['plan_id']} ({p['sent_waves']} sent)" for p in chain)
    line = (f"Next wave of plan {previous}, planned after {summary.get('sent_waves', '?')} of "
            f"its waves were sent; chain, nearest first: {listed or previous}"
            + (", ... (more)" if summary.get("chain_cut") else ""))
    waves = (summary.get("parameters") or {}).get("waves")
    if chain and not summary.get("chain_cut") and isinstance(waves, int) and waves >= 1:
        before = sum(int(p["sent_waves"]) for p in chain)
        line += ("; its wave 1 is the campaign's wave " + str(before + 1) if waves == 1 else
                 f"; its waves 1-{waves} are the campaign's waves {before + 1}-"
                 f"{before + waves}") + " (campaign sent --wave numbers this plan's waves)"
    return line


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
    if (chained := chain_text(summary)) is not None:
        print(chained)
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
