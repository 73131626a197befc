"""Reports: the evaluation as a text table, JSON written atomically, and the CLI commands."""

from __future__ import annotations

import json
import math
import os
import sys
from pathlib import Path
from typing import Any

import numpy as np

from recommender.evaluation.runs import evaluate, split_notes
from recommender.evaluation.scoring import ENGINE, MIN_VIEWERS, USER_K, headline
from recommender.evaluation.splits import TEST_SHARE
from recommender.evaluation.tuning import tune
from recommender.io.atomic import atomic_file
from recommender.io.dataset import Interactions
from recommender.io.text import iso_utc, table_text
from recommender.model.config import TrainConfig

STDOUT = "-"  # evaluate's --json with no path, or "-": the report's JSON on stdout


def cli_evaluate(args: Any, interactions: Interactions, config: TrainConfig | None = None
                 ) -> int:
    """``recommender evaluate``: the engine trained with ``config`` (default: what ``train``
    ships) and the baselines on one split of ``interactions`` (``--data`` as read)."""
    from recommender.io.atomic import check_writable

    path = getattr(args, "json_path", None)  # STDOUT: the JSON on stdout, as --json elsewhere
    if path and path != STDOUT:  # not after the whole run
        check_writable(path)
    report = evaluate(interactions, protocol=args.protocol, k=args.k,
                      seed=getattr(args, "seed", 0), config=config)
    if path == STDOUT:
        for note in report.get("notes", []):  # the text table's notes, as the readers' are
            print(f"note: {note}", file=sys.stderr)
        print(json_text(report), end="")  # the file's bytes, nothing else on stdout
        return 0
    print(format_report(report))
    if path:
        write_json(report, path)
        print(f"report written to {path}")
    return 0


def cli_tune(args: Any, interactions: Interactions) -> int:
    """``recommender tune``: the search on ``interactions`` (``--data`` as read), its best
    configuration written to ``--out``."""
    from recommender.io.atomic import check_writable

    check_writable(args.out)  # not after the whole search
    result = tune(interactions, trials=args.trials, k=args.k, seed=args.seed)
    write_json(result, args.out)
    for note in result.get("notes", []):  # a half-constant objective, said as train says it
        print(f"warning: tuning {note}", file=sys.stderr)
    v, t = result["validation"], result["test"]
    p = result["params"]
    print(f"{len(result['trials'])} trials on a validation split of the training part "
          f"({result['objective']})")
    print(f"best: {p['weighting']} weighting, {p['factors']} factors, {p['iterations']} "
          f"iterations, regularization {p['regularization']}, alpha {p['alpha']}"
          + (f", bm25 k1 {p['bm25_k1']} b {p['bm25_b']}" if p["weighting"] == "bm25" else ""))
    print(f"validation objective on tune's validation split (not train's own): best "
          f"{v['best']['objective']:.4f}, defaults {v['defaults']['objective']:.4f}")
    rows = [[name] + [_fmt(t[name][key]) for key in headline(args.k)] for name in t]
    s, vs = result["split"], result["validation_split"]
    print(f"measured on: validation, {vs['train_interactions']:,} train / "
          f"{vs['test_interactions']:,} held-out interactions of the test split's training "
          f"part; test split ({result['protocol']} protocol, seed {result['seed']}), "
          f"{s['train_interactions']:,} train / {s['test_interactions']:,} held-out "
          "interactions (the rows below: defaults and best fitted on its training part)")
    print(table_text(["test split"] + headline(args.k), rows))
    print("\n".join(metric_notes(headline(args.k), args.k)))
    print(f"configuration written to {args.out} (use: recommender train --config {args.out})")
    return 0


def format_report(report: dict[str, Any]) -> str:
    """The report as a plain-text table (one row per model, ratios to the engine)."""
    k, uk = report["k"], report["user_k"]
    keys = headline(k, uk) + [f"audience_reach@{k}", f"user_coverage@{uk}", "fit_seconds"]
    s = report["split"]
    cut = s.get("cutoff_timestamp")
    when = ("" if cut is None else " (train: up to the "
            f"{100 * (1 - TEST_SHARE):.0f}th-percentile timestamp, {iso_utc(cut)})")
    lines = [f"{report['dataset']}: {report['protocol']} protocol{when}, "
             f"{s['train_interactions']:,} train / {s['test_interactions']:,} test interactions, "
             + _sizes(report)]
    rows = []
    for name, res in report["models"].items():
        ratio = report["ratios_to_engine"].get(name, {})
        rows.append([name] + [_cell(key, res[key]) + (f" ({ratio[key]:.2f}x)" if key in ratio and
                                                name != ENGINE and ratio[key] is not None
                                                and not math.isnan(ratio[key]) else "")
                              for key in keys])
    lines.append(table_text(["model"] + keys, rows))
    lines += [f"note: {n}" for n in split_notes(k, s)]
    lines += metric_notes(keys, k, uk, report["min_viewers"], ratios=True)
    intervals = report.get("engine_ratio_intervals") or {}
    if intervals:
        lines.append("engine / model, 95% interval over the films or users tested (paired "
                     "per-query recalls; an interval containing 1 is a tie within noise):")
        for name, per in intervals.items():
            lines.append(f"  {name}: " + ", ".join(
                f"{metric} {_fmt(lo)}-{_fmt(hi)}x" if _fmt(lo) != "-" else f"{metric} -"
                for metric, (lo, hi) in per.items()))
    if "ease_lambda" in report:
        lam = report["ease_lambda"]
        lines.append(f"EASE lambda {lam['chosen']:g} (" + (
            "chosen on a validation split of the training part)"
            if lam.get("chosen_on_validation", True) else "its default: the validation split "
            "of the training part had nothing to score)"))
    cs = report.get("cold_start")
    if cs:
        if "status" in cs:
            lines.append(f"cold start: {cs['status']}")
        else:
            rk = f"audience_recall@{k}"
            lines.append(f"cold start ({cs['films_evaluated']} new films): "
                         + ", ".join(f"{n} {cs[n][rk]:.4f}" for n in
                                     ("engine", "engine_genres_only", "popularity"))
                         + f" ({rk})")
    return "\n".join(lines)


def _sizes(report: dict[str, Any]) -> str:
    """What the figures average over, each count named: the users an audience ranks and the
    films known in training (of the data's), and the films and users each direction's
    metrics average. It said "751 users, 1,616 films (201 films with 5+ test viewers)": of a
    data set of 943 users, and no word of the 107 users the user metrics averaged."""
    s, engine = report["split"], report["models"][ENGINE]

    def of(n: int, key: str) -> str:
        total = report.get(key)
        return f" (of {total:,})" if isinstance(total, int) and total != n else ""

    users, films = s["evaluated_users"], s["known_films"]
    out = (f"{users:,} evaluated user{'s' * (users != 1)}{of(users, 'users')}, {films:,} "
           f"film{'s' * (films != 1)} known in training{of(films, 'films')}; audience "
           f"metrics average {engine['films_evaluated']:,} film"
           f"{'s' * (engine['films_evaluated'] != 1)} with {report['min_viewers']}+ test "
           "viewers")
    if "users_evaluated" in engine:
        n = engine["users_evaluated"]
        out += f", user metrics {n:,} user{'s' * (n != 1)} with a test film"
    return out


# what a tie at the cut counts for (scoring.py): recall takes its expectation, the rest read
# the ranking as top_k_rows fills it
TIE_RECALL = "a tie at the cut counts its expected hits over the tie's orders"
TIE_ORDER = "a tie is read in index order"


def metric_notes(keys: list[str], k: int, user_k: int = USER_K,
                 min_viewers: int = MIN_VIEWERS, ratios: bool = False) -> list[str]:
    """One line per metric in ``keys`` saying what it measures (printed under its table)."""
    notes = {
        f"audience_recall@{k}": f"share of a film's held-out viewers found in its top {k} "
        f"audience (hits / min({k}, held-out viewers)), averaged over films with "
        f"{min_viewers}+ held-out viewers; {TIE_RECALL}",
        f"audience_ndcg@{k}": f"like audience_recall@{k}, but a viewer found near the top "
        f"counts more (1/log2(rank+1), 1.0 = every viewer ranked first); {TIE_ORDER}",
        "audience_auc": "chance that a film's held-out viewer is ranked above a random "
        "non-viewer (0.5 = random order, 1.0 = perfect), averaged over the films "
        f"audience_recall@{k} averages",
        f"user_recall@{user_k}": f"share of a user's held-out films found in their top "
        f"{user_k} recommendations, averaged over users with a held-out film; {TIE_RECALL}",
        f"user_ndcg@{user_k}": f"like user_recall@{user_k}, but a film found near the top "
        f"counts more; {TIE_ORDER}",
        f"audience_reach@{k}": f"distinct users that appear in at least one film's top {k} "
        "audience (higher: audiences are not all the same heavy viewers)",
        f"user_coverage@{user_k}": f"distinct films recommended in at least one user's top "
        f"{user_k} (higher: recommendations use more of the catalog)",
        "fit_seconds": "wall-clock seconds to train the model on the training part",
    }
    width = max((len(key) for key in keys if key in notes), default=0)
    lines = ["", "What the columns measure (held-out = the test part of the split):"]
    lines += [f"  {key:<{width}}  {notes[key]}" for key in keys if key in notes]
    if ratios:
        lines.append(f"  {'(0.95x)':<{width}}  the model's value divided by the engine's")
    return lines


def _fmt(v: Any) -> str:
    """A value of a report table; "-" where there is none (no film or user qualified: NaN,
    which the JSON writes as null), not "nan"."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    if isinstance(v, float):
        return f"{v:.4f}"
    return str(v)


def _cell(key: str, v: Any) -> str:
    """A report table's cell: a time (``*_seconds``) to the precision a wall clock means
    (2 decimals under 10 s, 1 under 100 s, whole seconds above: it printed "0.0100" and
    "123.4567"), every other figure as ``_fmt`` writes it; the JSON keeps the values."""
    if not key.endswith("_seconds") or not isinstance(v, int | float) or math.isnan(v):
        return _fmt(v)
    return f"{v:.2f}" if v < 10 else f"{v:.1f}" if v < 100 else f"{v:.0f}"


def json_text(obj: Any) -> str:
    """``obj`` as the report's JSON text (NaN as null, indented, a final newline)."""
    return json.dumps(_clean(obj), indent=2, sort_keys=False) + "\n"


def write_json(obj: Any, path: str | os.PathLike[str]) -> Path:
    """Write ``obj`` as JSON atomically (temporary file, then rename): never half-written."""
    p = Path(path)
    text = json_text(obj)  # a value JSON cannot hold fails here, before any file is opened
    with atomic_file(p) as tmp, open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
    return p


def _clean(obj: Any) -> Any:
    """NaN is not JSON: write null instead."""
    if isinstance(obj, float):
        return None if math.isnan(obj) else obj
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_clean(v) for v in obj]
    if isinstance(obj, np.generic):
        return _clean(obj.item())
    return obj
