"""Markdown for ``benchmarks/quality.py``'s result: every figure is read from the result dict."""

from __future__ import annotations

import math
from typing import Any

from common import load_text, provenance

from recommender.evaluation.scoring import MIN_VIEWERS
from recommender.model.trials import MARGIN

ENGINE, NO_TUNE = "engine", "engine_no_tune"
BASELINES = ("ease", "itemknn", "als_defaults", "popularity")
MODELS = (ENGINE, NO_TUNE, *BASELINES)
LABELS = {ENGINE: "engine (train, tuned)", NO_TUNE: "engine (--no-tune)", "ease": "EASE",
          "itemknn": "ItemKNN", "als_defaults": "ALS (implicit defaults)",
          "popularity": "popularity"}
TIME_AUDIENCE_TARGET = 1.05
# the datasets benchmarks/tune_defaults.py chose the fixed --no-tune constants on (its DATASETS;
# tests/evaluation/test_bench_reports.py holds the two equal)
TUNED_ON = ("ml-100k", "ml-latest-small", "filmtrust")


def _f(x: Any, digits: int = 4) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    return f"{x:.{digits}f}" if isinstance(x, float) else str(x)


def _rows(result: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(name, protocol, rep) for name, per in result["reports"].items()
            for protocol, rep in per.items()]


def _metrics(result: dict[str, Any]) -> tuple[str, str]:
    return f"audience_recall@{result['k']}", f"user_recall@{result['user_k']}"


def repeats(result: dict[str, Any]) -> dict[tuple[str, str], str]:
    """(dataset, protocol) of each variant report whose every model scores exactly what the
    same protocol scores on its base dataset (both metrics, the same queries): the base
    dataset's name for each. Such a row measures nothing its base row does not, and counting
    it again would count one verdict twice (``rating10`` repeated ``full`` on every dataset)."""
    reports = result["reports"]
    out: dict[tuple[str, str], str] = {}
    for name, protocol, rep in _rows(result):
        base = rep.get("base_dataset")
        if "status" in rep or not base or base == name:
            continue
        other = reports.get(base, {}).get(protocol, {})
        if "status" in other or "models" not in other:
            continue
        same = all(rep["models"][x].get(key) == other["models"][x].get(key)
                   for x in MODELS for key in (*_metrics(result), "films_evaluated",
                                                "users_evaluated"))
        if same:
            out[(name, protocol)] = base
    return out


def repeats_text(result: dict[str, Any]) -> str | None:
    """Which variants repeat their base dataset's figures, and why, from what the run
    records: the weighting the tuned engine chose on each repeated split, the ``--no-tune``
    start's, and the baselines' (which read who watched what, never a rating)."""
    rep = repeats(result)
    if not rep:
        return None
    variants = sorted({result["reports"][n][p].get("variant") or n for n, p in rep})
    everywhere = [v for v in variants
                  if all((n, p) in rep for n, per in result["reports"].items()
                         for p, r in per.items() if r.get("variant") == v and "status" not in r)]
    chosen = sorted({str(((result["reports"][n][p].get("engine_tuning") or {}).get("chosen")
                          or {}).get("weighting", "n/a")) for n, p in rep})
    where = ("on every dataset" if variants == everywhere
             else "on " + ", ".join(sorted({n for n, _ in rep})))
    return (f"{', '.join(f'`{v}`' for v in variants)} gives the same figures as its base "
            f"dataset {where} (every model, both metrics, the same queries: {len(rep)} of the "
            "report's dataset and protocol pairs), so its rows are counted once, with their "
            f"base's: the tuned engine chose {' / '.join(chosen)} weighting on each of those "
            f"splits, `--no-tune` starts from {result['engine_defaults']['weighting']}, and "
            "the baselines read who watched what (`baselines.binary`), so the rescaled "
            "ratings reach no fit.")


def targets(result: dict[str, Any]) -> list[dict[str, Any]]:
    """Each (dataset, protocol, metric): the tuned engine against the best baseline;
    ``repeats`` names the base dataset whose row this one repeats figure for figure."""
    k, uk = result["k"], result["user_k"]
    same = repeats(result)
    out = []
    for name, protocol, rep in _rows(result):
        if "status" in rep:
            continue
        m = rep["models"]
        for metric in (f"audience_recall@{k}", f"user_recall@{uk}"):
            best = max(BASELINES, key=lambda b: m[b][metric] if m[b][metric] is not None
                       and not math.isnan(m[b][metric]) else -1.0)
            e, b = m[ENGINE][metric], m[best][metric]
            scored = e is not None and not math.isnan(e)
            measured = scored and bool(b)
            ratio = e / b if measured else math.nan
            # the engine above a best baseline of exactly 0: no ratio, but the target (engine
            # >= target x best baseline) is met whatever its value; counted as measured
            over_zero = scored and b == 0 and e > 0
            target = TIME_AUDIENCE_TARGET if (protocol == "time"
                                              and metric.startswith("audience")) else 1.0
            lo, hi = (rep.get("engine_ratio_intervals", {}).get(best, {}).get(metric)
                      or [None, None])
            out.append({"dataset": name, "protocol": protocol, "metric": metric,
                        "engine": e, "no_tune": m[NO_TUNE][metric], "best": best,
                        "best_value": b, "ratio": ratio, "target": target,
                        "low": lo, "high": hi,
                        "measured": measured or over_zero, "over_zero": over_zero,
                        "met": over_zero or (measured and bool(ratio >= target)),
                        "repeats": same.get((name, protocol)),
                        "queries": m[ENGINE]["films_evaluated" if metric.startswith("audience")
                                             else "users_evaluated"]})
    return out


def noise(t: dict[str, Any]) -> str | None:
    """Where a measured row's 95% interval lies against its target: ``"beyond"`` (the whole
    interval on the ratio's side of the target), ``"within"`` (it contains the target), or
    None when the report has no interval for the row."""
    lo, hi = t.get("low"), t.get("high")
    if lo is None or hi is None or math.isnan(lo) or math.isnan(hi):
        return None
    # the ends count as inside: a tie on every query (engine and baseline equal on each, a
    # zero-width interval at exactly the target) is no evidence either way
    return "within" if lo <= t["target"] <= hi else "beyond"


def ratio_text(t: dict[str, Any]) -> str:
    """A measured row's ratio to 3 decimals, or as many more as it takes not to read as its
    target when it is not (0.9996 misses 1.00x; "1.000x" beside "no" contradicts it)."""
    r, goal = t["ratio"], t["target"]
    digits = 3
    while digits < 8 and r != goal and round(r, digits) == goal:
        digits += 1
    return _f(r, digits)


def ratio_cell(t: dict[str, Any]) -> str:
    """A target row's ratio with its unit, or why there is none (no "n/ax")."""
    if t.get("over_zero"):
        return "undefined (engine above a baseline of 0)"
    return f"{ratio_text(t)}x" if t["measured"] else "n/a (nothing to score)"


def best_cell(t: dict[str, Any]) -> str:
    """The best baseline and its figure; no baseline's name where none scored anything."""
    if t["best_value"] is None or (isinstance(t["best_value"], float)
                                   and math.isnan(t["best_value"])):
        return "n/a"
    return f"{LABELS[t['best']]} {_f(t['best_value'])}"


def verdict_cell(t: dict[str, Any]) -> str:
    if not t["measured"]:
        return "n/a (nothing to score)"
    if t.get("over_zero"):
        return "yes (baseline 0)"
    side = noise(t)
    if t["met"]:
        return "yes (within noise)" if side == "within" else "yes"
    return "no (within noise)" if side == "within" else "**no**"


def counts_line(rows: list[dict[str, Any]]) -> str:
    """How many measured rows meet their target, and how many of each side lie within
    sampling noise of it: distinct rows only, a row that repeats its base dataset's figures
    (``repeats``) counted once, with its base."""
    measured = [t for t in rows if t["measured"] and not t.get("repeats")]
    again = sum(bool(t["measured"] and t.get("repeats")) for t in rows)
    met = [t for t in measured if t["met"]]
    missed = [t for t in measured if not t["met"]]
    within = sum(noise(t) == "within" for t in missed)
    beyond = sum(noise(t) == "beyond" for t in missed)
    line = f"{len(met)} of {len(measured)} distinct measured target rows met"
    if any(noise(t) for t in measured):
        line += (f" ({sum(noise(t) == 'within' for t in met)} of them within sampling noise of "
                 f"the target); of the {len(missed)} misses, "
                 f"{within} {'lies' if within == 1 else 'lie'} within sampling noise and "
                 f"{beyond} {'falls' if beyond == 1 else 'fall'} short beyond it")
    if again:
        line += (f" ({again} more measured rows repeat their base dataset's figures and are "
                 "not counted again)")
    return line


def min_viewers(result: dict[str, Any]) -> int:
    """The test viewers a film needed to be scored, as the run recorded it (a result written
    before it was recorded: the scoring code's constant)."""
    return int(result.get("min_test_viewers") or MIN_VIEWERS)


def markdown(result: dict[str, Any], calibration: dict[str, Any] | None = None) -> str:
    k, uk = result["k"], result["user_k"]
    c = result["engine_defaults"]
    mv = min_viewers(result)
    lines = [
        "# Quality report", "",
        f"Generated by `{result['generated_by'].strip()}` ({result['generated']}, "
        f"{result['machine']}, {provenance(result.get('machine_facts'))}, "
        f"load average {load_text(result['load_average_start'])} at the start, "
        f"{load_text(result['load_average_end'])} at the end, {result['seconds']:.0f} s in all). "
        f"Seed {result['seed']}; audiences ranked over every known user who had not watched "
        f"the film, for films with {mv}+ test viewers; recall = hits / min(k, test viewers), "
        "macro-averaged, a tie at the cut counted by its expected hits over the tie's orders "
        "(`recommender.evaluation.metrics.expected_hits_at_k`).", "",
        "**engine (train, tuned)** is what `recommender train` ships: the search of "
        "`recommender/model/tuning.py` runs inside the fit on the training part of each split "
        f"(never on its test part), starting from {c['weighting']} weighting, {c['factors']} "
        f"factors, regularization {c['regularization']}, alpha {c['alpha']}, then the "
        "tier-calibration holdout and final refit. **engine (--no-tune)** trains those starting "
        "values as they are. EASE's lambda is chosen on a validation split of the training "
        "part drawn as the test split is (a seeded random 20% under the random protocol, a "
        "global time cut under the time protocol), while the engine's search, which never knows "
        "the protocol, validates on each user's latest 20% whenever the log has timestamps: "
        "under the random protocol the baseline's validation resembles its test and the "
        "engine's does not. Variants run here: " + ", ".join(f"`{v}`" for v in result["variants"])
        + f" ({_sparse_text(result)}; `rating10` moves ratings to a 10-point scale with "
        "seeded jitter; `full` is the dataset as it is).", "",
        *_data_line(result),
        "## Targets", "",
        f"Target: the tuned engine >= 1.0x the best baseline on every row, >= "
        f"{TIME_AUDIENCE_TARGET}x on audience recall under the time protocol.", "",
        f"`queries` is how many films (audience rows: films with {mv}+ test viewers) or users "
        "(user rows) the figure averages over: the sparse5 variants of these small datasets "
        "rest on few films, so their audience figures move by whole films.", "",
        "`95% interval` is the ratio's 95% confidence interval over those queries (the delta "
        "method on the paired per-query recalls of the engine and that baseline, "
        "`recommender.evaluation.metrics.paired_ratio_interval`): it measures which queries "
        "the split happened to test, not the variation between seeds, splits or training "
        "runs, and the best baseline is picked on the same test figures, which favours it. "
        "`within noise` marks a row whose interval contains the target: its verdict could "
        "go either way on another sample of films or users. A row whose best baseline scores "
        "exactly 0 while the engine scores above it has no ratio (*undefined (engine above a "
        "baseline of 0)*) and counts as met: the target, engine >= target x best baseline, "
        "holds whatever the multiple.", "",
        "| dataset | protocol | metric | queries | engine (tuned) | engine (--no-tune) | best "
        "baseline | ratio | 95% interval | target | met |",
        "|---|---|---|---|---|---|---|---|---|---|---|"]
    rows = targets(result)
    for t in rows:
        interval = (f"{t['low']:.3f}-{t['high']:.3f}x" if noise(t) is not None else "n/a")
        lines.append(f"| {t['dataset']} | {t['protocol']} | {t['metric']} | {t['queries']} | "
                     f"{_f(t['engine'])} | {_f(t['no_tune'])} | {best_cell(t)} | "
                     f"{ratio_cell(t)} | {interval} | "
                     f"{t['target']:.2f}x | {verdict_cell(t)} |")
    n = sum(t["measured"] for t in rows)
    said = repeats_text(result)
    lines += ["", f"{counts_line(rows)} ({len(rows) - n} rows have no film with {mv}+ test "
              "viewers).", "", *([said, ""] if said else [])]
    lines += below_no_tune_section(rows)
    for metric, title in ((f"audience_recall@{k}", f"Audience recall@{k} (film -> users)"),
                          (f"user_recall@{uk}", f"User recall@{uk} (user -> films)")):
        lines += [f"## {title}", "",
                  "| dataset | protocol | " + " | ".join(LABELS[x] for x in MODELS)
                  + " | tuned / best baseline |", "|---|---|" + "---|" * (len(MODELS) + 1)]
        for name, protocol, rep in _rows(result):
            if "status" in rep:
                lines.append(f"| {name} | {protocol} | " + " | ".join(
                    [rep["status"]] * len(MODELS)) + " | n/a |")
                continue
            m = rep["models"]
            t = next(r for r in rows if r["dataset"] == name and r["protocol"] == protocol
                     and r["metric"] == metric)
            lines.append(f"| {name} | {protocol} | " + " | ".join(
                _f(m[x][metric]) for x in MODELS) + f" | {ratio_cell(t)} |")
        lines.append("")
    lines += coverage_section(result)
    lines += tuning_section(result)
    lines += lodo_section(result)
    lines += lowrank_section(result)
    lines += ["## Cold start (time protocol: films first seen after the cut-off)", "",
              "| dataset | new films | engine: genres + comparable titles | engine: genres "
              "only | popularity (users by activity) |", "|---|---|---|---|---|"]
    for name, per in result["reports"].items():
        rep = per.get("time", {})
        cs = rep.get("cold_start")
        if "status" in rep or cs is None:
            lines.append(f"| {name} | {rep.get('status', 'n/a')} | | | |")
        elif "status" in cs:
            lines.append(f"| {name} | {cs['status']} | | | |")
        else:
            key = f"audience_recall@{k}"
            lines.append(f"| {name} | {cs['films_evaluated']} | {_f(cs['engine'][key])} | "
                         f"{_f(cs['engine_genres_only'][key])} | {_f(cs['popularity'][key])} |")
    lines += ["", f"Cold-start cells are audience recall@{k}.", ""]
    lines += calibration_section(calibration)
    lines += ["## Verdict", ""]
    lines += verdict(result, rows)
    return "\n".join(lines) + "\n"


def coverage_section(result: dict[str, Any]) -> list[str]:
    """How many distinct films the users' top lists hold together (``user_coverage@k``): what
    accuracy may cost, a popularity prior above all (README, "A popularity prior")."""
    uk = result["user_k"]
    key = f"user_coverage@{uk}"
    lines = [f"## Recommendation coverage (distinct films in all users' top {uk})", "",
             "Not a target: a model that recommends the same few films to everyone can score "
             "well on recall and still show most of the catalog to nobody. `prior` is the "
             "popularity weight the tuned engine chose.", "",
             "| dataset | protocol | known films | prior | " + " | ".join(LABELS[x] for x in MODELS)
             + " |", "|---|---|---|---|" + "---|" * len(MODELS)]
    for name, protocol, rep in _rows(result):
        if "status" in rep:
            continue
        m = rep["models"]
        if any(key not in m[x] for x in MODELS):
            continue
        weight = (rep.get("engine_tuning") or {}).get("chosen", {}).get("popularity", 0.0)
        films = rep.get("split", {}).get("known_films")
        lines.append(f"| {name} | {protocol} | {'' if films is None else f'{films:,}'} | "
                     f"{weight:g} | "
                     + " | ".join(f"{m[x][key]:,}" for x in MODELS) + " |")
    return [*lines, ""]


def _chosen(ch: dict[str, Any]) -> str:
    """The chosen setting in a few words: EASE's rank and lambda, or ALS's parameters, and
    the popularity prior's weight when there is one."""
    prior = f", popularity {ch['popularity']:g}" if ch.get("popularity") else ""
    if ch.get("family") == "ease":
        return (f"EASE, {ch['weighting']}, rank {ch['factors']}, lambda {ch['ease_lambda']:g}"
                + prior)
    return (f"{ch['weighting']}, f={ch['factors']}, reg={ch['regularization']:g}, "
            f"a={ch['alpha']:g}" + prior)


def tuning_section(result: dict[str, Any]) -> list[str]:
    lines = ["## Tuning time and choices", "",
             "Seconds on this machine; `one fit` is the whole `--no-tune` train (calibration "
             "fit, final refit, segments) in the same run.", "",
             "| dataset | protocol | trials | users searched | tuning s | tuned train s | one "
             "fit (--no-tune) s | tuning / one fit | chosen | validation objective chosen "
             "(start) |", "|---|---|---|---|---|---|---|---|---|---|"]
    for name, protocol, rep in _rows(result):
        t = rep.get("engine_tuning")
        if "status" in rep or not t:
            continue
        m = rep["models"]
        if t.get("status") != "searched":
            lines.append(f"| {name} | {protocol} | {t.get('status')} | | | | | | | |")
            continue
        one = m[NO_TUNE]["fit_seconds"]
        ch = t["chosen"]
        v = t["validation"]
        lines.append(
            f"| {name} | {protocol} | {len(t['trials'])} | {v['users']} "
            f"({v['user_share']:.0%}) | {t['seconds']:.1f} | {m[ENGINE]['fit_seconds']:.1f} | "
            f"{one:.1f} | {t['seconds'] / one if one else math.nan:.1f}x | {_chosen(ch)} | "
            f"{_f(v['chosen']['objective'])} ({_f(v['start']['objective'])}) |")
    return lines + [""]


def lodo_section(result: dict[str, Any]) -> list[str]:
    lo = result.get("lodo")
    if not lo:
        return []
    k, uk = result["k"], result["user_k"]
    d = result["engine_defaults"]
    lines = ["## Leave-one-dataset-out: regularization, alpha and factors only", "",
             "Chosen without the dataset they are scored on: regularization, alpha and "
             f"factors, among {len(lo['configs'])} candidates ("
             + ", ".join(lo["configs"][:3]) + ", ...), the one with the best mean relative "
             "validation objective on the *other* datasets' validation splits, then scored on "
             "the held-out dataset's test split.", "",
             "Chosen with the held-out dataset included: every candidate is built on the "
             "`--no-tune` defaults (`TrainConfig()`), so each carries "
             f"{d['weighting']} weighting, {d['iterations']} iterations and "
             f"{d.get('cg_steps', 'n/a')} CG steps, which `benchmarks/tune_defaults.py` chose "
             "on validation splits of " + ", ".join(TUNED_ON) + " (`results/tuning.md`); the "
             f"regularization x alpha grid is centred on regularization {d['regularization']:g} "
             f"/ alpha {d['alpha']:g} and the factor counts on {d['factors']}, chosen the same "
             "way. The tuned engine's acceptance rule (a challenger replaces the incumbent only "
             f"by more than {MARGIN:g} x the standard error of its validation objective, "
             "`recommender/model/tuning.py`) was set after "
             "looking at ml-100k's time-protocol test split. So this is not a leave-one-dataset-"
             "out test of the defaults as a whole: the column *fixed constants chosen with it* "
             "says which held-out datasets were among those. The tuned engine keeps no such "
             "constant but its search's starting point, its grids, its acceptance rule and "
             f"iterations ({d['iterations']}).", "",
             "| held-out dataset | fixed constants chosen with it | chosen on the others | "
             "protocol | audience recall (LODO --no-tune) | shipped --no-tune | tuned | user "
             "recall (LODO --no-tune) | shipped --no-tune | tuned |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for held, e in lo["held_out"].items():
        for protocol, res in e["test"].items():
            m = result["reports"].get(held, {}).get(protocol, {}).get("models", {})
            a, u = f"audience_recall@{k}", f"user_recall@{uk}"
            within = "yes" if held in TUNED_ON else "no"
            lines.append(f"| {held} | {within} | {e['chosen']} | {protocol} | {_f(res[a])} | "
                         f"{_f(m.get(NO_TUNE, {}).get(a))} | {_f(m.get(ENGINE, {}).get(a))} | "
                         f"{_f(res[u])} | {_f(m.get(NO_TUNE, {}).get(u))} | "
                         f"{_f(m.get(ENGINE, {}).get(u))} |")
    return lines + [""]


def lowrank_section(result: dict[str, Any]) -> list[str]:
    lr = result.get("ease_lowrank")
    if not lr:
        return []
    k, uk = result["k"], result["user_k"]
    lines = ["## EASE as factors (could the item-item model be served as a factor model?)", "",
             "EASE's B (films x films) factorised by SVD at rank r: user vectors X U_r S_r, "
             "film vectors V_r, random split.", "",
             "| dataset | films | lambda | rank | audience recall | user recall | "
             "audience / full EASE | user / full EASE |", "|---|---|---|---|---|---|---|---|"]
    a, u = f"audience_recall@{k}", f"user_recall@{uk}"
    for name, e in lr.items():
        if "status" in e:
            lines.append(f"| {name} | {e['status']} | | | | | | |")
            continue
        full = e["full"]
        for r, res in [*e["ranks"].items(), ("full", full)]:
            lines.append(f"| {name} | {e['films']} | {e['lambda']:g} | {r} | {_f(res[a])} | "
                         f"{_f(res[u])} | {_f(res[a] / full[a], 3)} | "
                         f"{_f(res[u] / full[u], 3)} |")
    return lines + [""]


def below_no_tune(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The distinct measured rows where the shipped default (tuned) scores below its own
    ``--no-tune`` start: the search, run on a validation split of the training part, chose
    a setting that scored lower on the test split."""
    return [t for t in rows if t["measured"] and not t.get("repeats")
            and t["no_tune"] and t["engine"] is not None and t["engine"] < t["no_tune"]]


def below_no_tune_section(rows: list[dict[str, Any]]) -> list[str]:
    """The table of the rows where tuning lost to ``--no-tune``, with the ratio."""
    lost = below_no_tune(rows)
    distinct = sum(bool(t["measured"] and not t.get("repeats")) for t in rows)
    lines = ["## Where the tuned default scores below --no-tune", "",
             f"On {len(lost)} of the {distinct} distinct measured rows the shipped default "
             "(`train`, tuned) scores below the `--no-tune` start it searches from: the search "
             "validates on a split of the training part, and what wins there can lose on the "
             "test split (`queries`: how many films or users the figure averages over).", ""]
    if not lost:
        return lines
    lines += ["| dataset | protocol | metric | queries | engine (tuned) | engine (--no-tune) "
              "| tuned / --no-tune |", "|---|---|---|---|---|---|---|"]
    lines += [f"| {t['dataset']} | {t['protocol']} | {t['metric']} | {t['queries']} | "
              f"{_f(t['engine'])} | {_f(t['no_tune'])} | {t['engine'] / t['no_tune']:.2f}x |"
              for t in sorted(lost, key=lambda t: t["engine"] / t["no_tune"])]
    return lines + [""]


def below_no_tune_text(rows: list[dict[str, Any]]) -> str | None:
    """The verdict's line on the rows where tuning lost to ``--no-tune``."""
    lost = sorted(below_no_tune(rows), key=lambda t: t["engine"] / t["no_tune"])
    if not lost:
        return None
    worst = lost[0]
    return (f"The tuned default scores below its own `--no-tune` on {len(lost)} distinct "
            f"row{'' if len(lost) == 1 else 's'} (the table *Where the tuned default scores "
            "below --no-tune* of "
            "`benchmarks/results/quality.md`), the worst "
            f"{worst['dataset']} / {worst['protocol']} {worst['metric']}: "
            f"{_f(worst['engine'])} against {_f(worst['no_tune'])}, "
            f"{worst['engine'] / worst['no_tune']:.2f}x.")


def verdict(result: dict[str, Any], rows: list[dict[str, Any]]) -> list[str]:
    out = []
    for t in rows:
        if t["measured"] and not t["met"] and not t.get("repeats"):
            side = noise(t)
            where = ("" if side is None else
                     f" (95% interval {t['low']:.3f}-{t['high']:.3f}x: "
                     + ("within sampling noise of it)" if side == "within"
                        else "short of it beyond sampling noise)"))
            out.append(f"- {t['dataset']} / {t['protocol']}: {t['metric']} {_f(t['engine'])} "
                       f"vs {LABELS[t['best']]} {_f(t['best_value'])}, "
                       f"{ratio_text(t)}x, below the {t['target']:.2f}x target{where}.")
    said = [x for x in (repeats_text(result), below_no_tune_text(rows)) if x]
    return [f"- {counts_line(rows)}; the misses:"] + out + [f"- {x}" for x in said]


def _sparse_text(result: dict[str, Any]) -> str:
    """What ``sparse5`` kept in the run ``result`` records (a run before 2026-12-05 records no
    ``sparse5_mean``: it kept exactly 5 interactions per user)."""
    mean = result.get("sparse5_mean")
    if mean is not None:
        return (f"`sparse5` keeps a seeded random sample of each user's interactions, its size "
                f"drawn per user from a geometric distribution of mean {mean} (at most the "
                "user's own count), so users' counts vary as a sparse log's do")
    return ("`sparse5` kept a seeded random 5 interactions per user, this variant's definition "
            "before 2026-12-05: nearly every user kept 5, so a user's training count was 5 less "
            "their test count and gave the held-out rows away in the audience direction "
            "(on ml-100k and ml-latest-small, ranking users by fewest training interactions beat "
            "every model there): its audience rows measure that, its user rows are unaffected")


def _data_line(result: dict[str, Any]) -> list[str]:
    """The datasets as read (shape and the first 12 hex digits of ``Interactions.fingerprint``,
    which identify the copy); empty for a result written before they were recorded."""
    data = result.get("data")
    if not data:
        return []
    return ["Data as read: " + "; ".join(
        f"{name}: {d['users']:,} users x {d['films']:,} films, {d['interactions']:,} "
        f"interactions (fingerprint {d['fingerprint'][:12]})" for name, d in data.items())
        + ".", ""]


def calibration_section(cal: dict[str, Any] | None) -> list[str]:
    """Calibration of the shipped p on the time protocol, from ``calibration.json``
    (``benchmarks/bench_calibration.py``): per tier and per decile, ECE and the two floors."""
    if not cal:
        return []
    lo, hi = cal["goal_realised_over_predicted"]
    lines = ["## Calibration of p (time protocol)", "",
             f"From `{cal['generated_by']}` ({cal['generated']}); the full report, with four "
             "other ways of getting p, is [calibration.md](calibration.md). p is the shipped "
             "per-film model's, stretched from the calibration horizon to the test period; "
             "realised = the share of a tier's candidates who watched the film in the test "
             f"period. Goal: realised / predicted within {lo}-{hi} for every tier. The floors "
             "are measured from the data, not from a model: a perfectly calibrated p under the "
             "same film selection (outcomes drawn from p itself), and the true tier rates of "
             "the test period's first half predicting its second half's.", ""]
    for rep in cal["datasets"]:
        lines += [f"### {rep['dataset']}", "",
                  f"Calibration horizon {rep['calibration_horizon_days']} days, test period "
                  f"{rep['test_period_days']} days, {rep['test_interactions']:,} test "
                  f"interactions by {rep.get('test_users', 'n/a')} users.", ""]
        for view, per in rep["views"].items():
            shipped = next(iter(per.values()))
            tiers = [row["tier"] for row in shipped["tiers"]]
            lines += [f"{view}:", "", "| | " + " | ".join(tiers) + " | ECE |",
                      "|---|" + "---|" * (len(tiers) + 1)]
            cells = []
            for row in shipped["tiers"]:
                r = row["realised_over_predicted"]
                flag = "" if r is None or lo <= r <= hi else " **miss**"
                cells.append(f"{_f(row['predicted_conversions'], 1)} / "
                             f"{row['realised_conversions']} ({_f(r, 3)}){flag}")
            lines.append("| predicted / realised conversions (ratio) | " + " | ".join(cells)
                         + f" | {_f(shipped['ece'], 5)} |")
            floors = rep.get("floors", {}).get(view, {})
            for key, label in (("selection", "floor: perfectly calibrated p, same selection"),
                               ("period", "floor: first half of the test predicting the "
                                "second")):
                if key in floors:
                    lines.append(f"| {label} | " + " | ".join(_f(v, 3) for v in floors[key])
                                 + " | |")
            lines += ["", "| decile of p | p range | predicted | realised | ratio |",
                      "|---|---|---|---|---|"]
            for d in shipped["deciles"]:
                lines.append(f"| {d['decile']} | {_f(d['p_range'][0], 5)}-"
                             f"{_f(d['p_range'][1], 5)} | {_f(d['predicted'], 5)} | "
                             f"{_f(d['realised'], 5)} | {_f(d['realised_over_predicted'], 2)} |")
            lines.append("")
    return lines
