"""Copy the generated result tables into the README, so no figure there is typed by hand.

    .venv/bin/python scripts/readme_results.py           # rewrite the README's result blocks
    .venv/bin/python scripts/readme_results.py --check   # exit 1 if any block is stale

Each block between `<!-- results:NAME:start -->` and `<!-- results:NAME:end -->` markers is
replaced by a part of a file that a benchmark script wrote under `benchmarks/results/`; an
inline figure (``INLINE``: a number in a sentence, its markers mid-line) by a figure a script
wrote there, on the same line. The library's own copy of the cold-start figures
(``COLD_MODULE``, which the package ships without the results) is written here too.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"


def section(path: Path, heading: str) -> str:
    """The body of the Markdown section ``heading`` (up to the next heading of any level)."""
    text = path.read_text(encoding="utf-8")
    m = re.search(rf"^#+ {re.escape(heading)}\s*$(.*?)(?=^#+ |\Z)", text, flags=re.M | re.S)
    if not m:
        raise SystemExit(f"{path}: no section {heading!r}")
    return m.group(1).strip()


def tables(path: Path) -> str:
    """The first Markdown table in ``path`` (its lines starting with '|'): a quality page's
    targets table, not the per-metric tables under it."""
    blocks, current = [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("|"):
            current.append(line)
        elif current:
            blocks.append("\n".join(current))
            current = []
    if current:
        blocks.append("\n".join(current))
    return "\n\n".join(blocks[:1])


def scaling() -> str:
    """Local-path memory and time measured at the ML-20M shape, extrapolated linearly to 10x
    the interactions (ALS costs O(interactions x f^2 + (users + films) x f^3) per sweep and the
    model folder grows with interactions and users, so 10x users and interactions is ~10x).

    Each row names the benchmark that measured it: ``bench_query.py`` loads the model and
    queries it in one process (its peak includes the export of every film's audience), and
    only ``bench_http.py`` measures a running server (its peak over every cell's server)."""
    train = json.loads((RESULTS / "train.json").read_text(encoding="utf-8"))
    query = json.loads((RESULTS / "query.json").read_text(encoding="utf-8"))
    http = json.loads((RESULTS / "http.json").read_text(encoding="utf-8"))
    # cli_train is `recommender train --no-tune` (bench_train.cli_command); tuning is the default
    rows = [
        ("`recommender train --no-tune` peak memory",
         train["cli_train"]["peak_rss_mb_median"] / 1024, "GiB"),
        ("`recommender train --no-tune` wall time", train["cli_train"]["wall_s"]["median"] / 60,
         "min"),
        ("model folder on disk", query["model_bytes"] / 2**30, "GiB"),
        ("memory after loading the model (memory-mapped; one process, `bench_query.py`)",
         query["rss_after_load_mb"] / 1024, "GiB"),
        ("peak memory of that process: load, single queries and every film's audience",
         query["peak_rss_queries_mb"] / 1024, "GiB"),
        ("server peak memory while answering HTTP queries (`bench_http.py`)",
         http["engine_server_peak_rss_mb"] / 1024, "GiB"),
    ]
    n = train.get("shape", {}).get("interactions")
    at = f"{n:,}" if n else "n/a (not recorded)"
    out = [f"| local path | measured at {at} interactions | extrapolated to 10x the "
           "interactions and users |", "|---|---|---|"]
    for name, value, unit in rows:
        out.append(f"| {name} | {value:.2f} {unit} | ~{10 * value:.1f} {unit} |")
    return "\n".join(out)


BLOCKS: dict[str, Callable[[], str]] = {
    "scaling": scaling,
    "quality-audience": lambda: section(RESULTS / "quality.md",
                                        "Audience recall@100 (film -> users)"),
    "quality-user": lambda: section(RESULTS / "quality.md", "User recall@20 (user -> films)"),
    "quality-cold-start": lambda: section(RESULTS / "quality.md", "Cold start (time protocol: "
                                          "films first seen after the cut-off)"),
    "quality-verdict": lambda: section(RESULTS / "quality.md", "Verdict"),
    "quality-unseen": lambda: tables(RESULTS / "quality_unseen.md"),
    "quality-unseen-verdict": lambda: section(RESULTS / "quality_unseen.md", "Verdict"),
    "quality-unseen-before-verdict": lambda: section(RESULTS / "quality_unseen_before.md",
                                                     "Verdict"),
    "spark-agreement": lambda: tables(RESULTS / "spark_agreement.md"),
    "planning-targets": lambda: section(RESULTS / "planning.md", "Targets (issue 14)"),
    "calibration-summary": lambda: section(RESULTS / "calibration.md", "Summary"),
    # bench_distribution.py --render writes this block too (its Summary table and Verdict)
    "distribution": lambda: (tables(RESULTS / "distribution.md") + "\n\n"
                             + section(RESULTS / "distribution.md", "Verdict")),
    "distribution-timing": lambda: section(RESULTS / "distribution.md",
                                           "Timing: one film's distribution"),
    "privacy-attack": lambda: section(RESULTS / "privacy_attack.md", "Summary"),
    "privacy-cost": lambda: section(RESULTS / "privacy_attack.md", "What hiding costs"),
    "foldin": lambda: section(RESULTS / "foldin.md", "Summary"),
    "intervals": lambda: section(RESULTS / "intervals.md", "Summary"),
    "spark-export-memory": lambda: section(RESULTS / "spark_export_memory.md", "Summary"),
    "bench-headline": lambda: (RESULTS / "headline.md").read_text(encoding="utf-8").strip(),
}


def _result(stem: str) -> dict[str, Any]:
    return json.loads((RESULTS / f"{stem}.json").read_text(encoding="utf-8"))


def _ratios() -> str:
    ratios = [r["ratio"] for r in _result("demo_figures")["fold_in"]]
    return f"{min(ratios):g} to {max(ratios):g}×"


def _programmes() -> str:
    lp = _result("privacy_attack").get("first_summary_programmes")
    if not lp:  # a run before privacy_attack.py counted them
        raise SystemExit("benchmarks/results/privacy_attack.json records no "
                         "first_summary_programmes: rerun benchmarks/privacy_attack.py")
    return f"{lp['least']} to {lp['most']} (median {lp['median']:g})"


def _slate() -> str:
    sl = _result("demo_figures").get("slate")
    if not sl:  # a run before demo_figures.py measured it
        raise SystemExit("benchmarks/results/demo_figures.json records no slate: rerun "
                         "benchmarks/demo_figures.py")
    none = (f"none for {sl['without_screens']} of the {sl['films']}, the first at rank "
            f"{sl['first_rank_without']} by expected new viewers" if sl["without_screens"]
            else "a screen for every film")
    return (f"the catalog's first {sl['films']} films on its {sl['screens']} screens: "
            f"{sl['top_screens']} screens for the top film against "
            f"{sl['top_share_screens']:.1f} by its share of the expected new viewers, {none}")


def _top_ten() -> str:
    """How many films are each in more than half of the demo users' top ten, and the
    popularity weight the search chose there (``demo_figures.py``'s ``top_ten``)."""
    tt = _result("demo_figures").get("top_ten")
    if not tt:  # a run before demo_figures.py counted them
        raise SystemExit("benchmarks/results/demo_figures.json records no top_ten: rerun "
                         "benchmarks/demo_figures.py")
    shares = ", ".join(f"{m['share']:.0%}" for m in tt["most"][:tt["films_in_most_lists"]])
    return (f"where the search picks weight {tt['popularity']:g}, "
            f"{tt['films_in_most_lists']} films are each in most users' top "
            f"{tt['k']} ({shares} of the {tt['users']:,} users)")


def _tuning_rows() -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """tuning.json's ranking, and the rows of the defaults of its run by CG step count."""
    doc = _result("tuning")
    shipped = doc.get("shipped_defaults")
    if not shipped:
        raise SystemExit("benchmarks/results/tuning.json has no row of the defaults: rerun "
                         "benchmarks/tune_defaults.py --grid")
    same = {**shipped["params"], "cg_steps": 0}
    by_cg = {str(r["params"].get("cg_steps", 3)): r for r in doc["ranking"]
             if {**r["params"], "cg_steps": 0} == same}
    return doc, by_cg


def _tuning_cg(steps: int) -> str:
    """The defaults at ``steps`` CG steps, as a share of their score at the shipped count."""
    doc, by_cg = _tuning_rows()
    own = by_cg[str(doc["shipped_defaults"]["params"].get("cg_steps", 3))]["mean_relative"]
    return f"{by_cg[str(steps)]['mean_relative'] / own:.3f}"


def _tuning_rank() -> str:
    doc, _ = _tuning_rows()
    return f"{doc['ranking'].index(doc['shipped_defaults']) + 1} of {len(doc['ranking'])}"


def _tuning_run() -> str:
    doc = _result("tuning")
    commit = (doc.get("machine") or {}).get("git_commit") or "commit not recorded"
    return f"commit {commit}, {str(doc.get('generated', 'day not recorded'))[:10]}"


def _load_said(loads: list[float] | None) -> str:
    """A load average as the results pages print it (``common.load_text``)."""
    return (" / ".join(f"{x:.2f}" for x in loads) + " (1, 5, 15 min)") if loads \
        else "not recorded"


def _commit_said(machine: dict[str, Any]) -> str:
    """``commit abc1234``, and the commit it landed as on the project's branch where a run was
    measured on a helper's branch (``landed_as``: its own commit is on no branch of the
    project)."""
    commit = machine.get("git_commit")
    if not commit:
        return "commit not recorded"
    landed = machine.get("landed_as")
    return f"commit {commit}" + (f" (landed as {landed['commit']})" if landed else "")


def _run_of(doc: dict[str, Any]) -> str:
    """The commit, day and starting load of the run a result file records, as an inline figure
    names them (a shared 2-core host: its times move with the load)."""
    machine = doc.get("machine") or {}
    commit = _commit_said(machine)
    return (f"{commit}, {str(doc.get('finished', 'day not recorded'))[:10]}, load "
            f"average {_load_said(machine.get('load_average_at_start'))} at the start")


def _listed(values: list[str]) -> str:
    return values[0] if len(values) == 1 else f"{', '.join(values[:-1])} or {values[-1]}"


def _reload_fold() -> str:
    """A reload's fold of the store's events: its medians, least to most, over the filled
    stores of ``bench_reload.py``, with their sizes and the run."""
    doc = _result("reload")
    filled = [s for s in doc["stores"] if doc["stores"][s]["events"]]
    sec = [doc["seconds"][s]["fold"]["median"] for s in filled]
    events = _listed([f"{doc['stores'][s]['events']:,}" for s in filled])
    users = _listed([f"{u:,}" for u in sorted({doc["stores"][s]["users"] for s in filled})])
    return (f"{min(sec):.1f} to {max(sec):.1f} s for {events} events over {users} users "
            f"(medians of {doc['repeats']} reloads; {_run_of(doc)})")


def _slate_classes() -> str:
    """The slate solved by classes of identical cinemas against the whole programme, where
    most cinemas have no demand: ``bench_slate.py --quick``'s ``no_demand`` rows."""
    doc = json.loads((RESULTS / "quick" / "slate.json").read_text(encoding="utf-8"))
    rows = doc["no_demand"]
    solve = [r["solve_s"]["median"] for r in rows]
    whole = [r["whole_s"]["median"] for r in rows]
    same = sum(bool(r["same_deviation"] and r["same_screens"]) for r in rows)
    first = rows[0]
    commit = (doc.get("machine") or {}).get("git_commit") or "commit not recorded"
    return (f"{first['cinemas']:,} cinemas x {first['films']} films, "
            f"{first['no_demand_share']:.0%} without demand: {min(solve):.2f}-{max(solve):.2f} s "
            f"against {min(whole):.1f}-{max(whole):.1f} s for the whole programme, both with "
            f"the tie stage (medians of {doc['repeats']} runs, over {len(rows)} seeds; load "
            f"average {_load_said(doc.get('load_average_at_start'))} at the start; the "
            f"same deviation and screens in {same} of {len(rows)}; commit {commit}, "
            f"{str(doc.get('finished', 'day not recorded'))[:10]})")


def _lookup(key: str) -> str:
    """A figure of ``bench_store_lookups.py``'s run, with the sizes it was measured at."""
    doc = _result("store_lookups")
    d, sec = doc["data"], doc["seconds"]

    def med(k: str) -> float:
        return float(sec[k]["median"])

    run = f"medians of {doc['repeats']}; {_run_of(doc)}"
    if key == "pairs":
        return (f"{med('pairs'):.2f} s for {d['pairs_checked']:,} pairs beside "
                f"{d['plan_rows']:,} stored rows, where reading the films' rows took "
                f"{med('films_rows'):.2f} s ({run})")
    if key == "quoted":
        return (f"{d['quoted_phone_numbers']:,} quoted phone numbers beside {d['events']:,} "
                f"events and {d['plan_rows']:,} plan rows took "
                f"{med('quoted/without_indexes'):.3f} s on SQLite without those indexes, "
                f"{med('quoted/with_indexes'):.3f} s with them ({run})")
    if key == "build":
        return (f"{med('index_build'):.2f} s on SQLite for {d['events']:,} events and "
                f"{d['plan_rows']:,} plan rows ({run})")
    ratio = med("store_events/with_indexes") / med("store_events/without_indexes")
    return (f"{ratio:.2f}× the time of storing them without the indexes (batches of "
            f"{d['event_batch']:,}; {run})")


def _store_count() -> str:
    """The store-scope cap's count (``cap_scope.films_elsewhere``) beside the stored plan rows
    of ``bench_store_counts.py``'s run, with the index, next waves among them."""
    doc = _result("store_counts")
    d, sec, c = doc["data"], doc["seconds"]["with_index"], doc["checked"]
    took, base = sec["films_elsewhere"]["median"], sec["count_rows"]["median"]
    return (f"{took:.2f} s on SQLite, with its index, beside {d['rows']:,} stored plan rows, "
            f"{d['rows'] - d['first_plans_rows']:,} of them in {len(d['next_waves'])} next "
            f"waves, {c['rows_replanned_filter_leaves_out']:,} left out as re-planned: "
            f"{took / base:.0f}× a `count(*)` of them (median of {doc['repeats']}; "
            f"{_run_of(doc)})")


def _migration_10() -> str:
    """Migration 10's rewrite of a SQLite store's events (``bench_store_migration.py``)."""
    doc = _result("store_migration")
    f, sec = doc["file"], doc["seconds"]
    return (f"{doc['data']['events']:,} events took {sec['median']:.0f} s under the write lock "
            f"on a shared 2-core host, and the file grew from {f['before']['file_mb']:.0f} to "
            f"{f['after']['file_mb']:.0f} MB, {f['after']['free_mb']:.0f} MB of it free pages "
            f"(median of {sec['n']} migrations; {_run_of(doc)})")


def _interval_coverage() -> str:
    """How many of the tiers' rows the summary's 95% interval held the realised conversions
    of on the time protocol (``bench_calibration.py``'s ``interval_coverage``), per view."""
    doc = _result("calibration")
    cov = doc.get("interval_coverage")
    if not cov:  # a run before bench_calibration.py checked the interval
        raise SystemExit("benchmarks/results/calibration.json records no interval_coverage: "
                         "rerun benchmarks/bench_calibration.py")
    views = cov["views"]
    every, chosen = views["every film"], next(v for k, v in views.items() if k != "every film")
    return (f"{cov['covered']} of {cov['rows']} tier rows ({every['covered']} of "
            f"{every['rows']} over every film, {chosen['covered']} of {chosen['rows']} over "
            f"the films with {doc.get('min_test_viewers', 5)}+ test viewers; "
            f"{_listed([r['dataset'] for r in doc['datasets']]).replace(' or ', ' and ')}, "
            f"{_commit_said(doc.get('machine') or {})}, "
            f"{str(doc.get('generated', 'day not recorded'))[:10]})")


#: the rules of ``bench_cold_calibration.py`` the figures quote: a new film's comparables,
#: and its genres alone (the shipped mix)
COLD_RULES = {"comparables": "comparables", "genres": "genres: nearest 5 per genre (shipped)"}


def _cold_span(column: str, rule: str) -> str:
    """Known films taken as new (``bench_cold_calibration.py``): the median |log ratio| error
    of ``rule`` (a ``COLD_RULES`` key) against ``column`` (``held_out``: the viewers they
    gained; ``own``: the model's own forecast of them), least to most over the datasets."""
    found = [r[f"{column}_median"] for d in _result("cold_calibration")["datasets"]
             for r in d["rows"] if r["rule"] == COLD_RULES[rule]]
    return f"{min(found):.2f}-{max(found):.2f}"


def _cold_error(column: str) -> str:
    """The comparables rule's span and genres alone's (``_cold_span``), as the README says."""
    return (f"{_cold_span(column, 'comparables')} from those comparables, "
            f"{_cold_span(column, 'genres')} from genres alone")


#: the library's copy of the cold-start figures (``cold_summary.INTERVAL_NOTE`` quotes them):
#: the package ships no benchmarks/results, so they are written into a module, by this script
COLD_MODULE = ROOT / "recommender" / "distribution" / "cold_error_figures.py"


def cold_module() -> str:
    """The text of ``COLD_MODULE``, from ``benchmarks/results/cold_calibration.json``."""
    doc = _result("cold_calibration")
    lines = [
        '"""How far known films taken as new erred from the benchmark\'s outcomes (generated: do '
        'not edit).',
        "",
        "Written by ``scripts/readme_results.py`` from",
        "``benchmarks/results/cold_calibration.json`` (``benchmarks/bench_cold_calibration.py``),",
        "as the README's figures are. Each span is the median |log ratio| error, least to most",
        "over the benchmark's datasets, of known films taken as new, each like ``COMPARABLES``",
        "comparables the model chose (``*_COMPARABLES``) or from its genres alone",
        "(``*_GENRES``), against the viewers they gained in the held-out slice (``HELD_OUT_*``:",
        "the accuracy against outcomes) or the model's own forecast of them (``OWN_*``:",
        "agreement with the model, no accuracy).",
        '"""',
        "",
        "from __future__ import annotations",
        "",
        f"COMPARABLES = {int(doc['comparables'])}",
    ]
    for column in ("held_out", "own"):
        for rule in COLD_RULES:
            lines.append(f'{column.upper()}_{rule.upper()} = "{_cold_span(column, rule)}"')
    return "\n".join(lines) + "\n"


# figures inside a README sentence, their markers on the sentence's line: each replaced by
# the figure alone (no line break, no "Measured at" line; the sentence names its script)
INLINE: dict[str, Callable[[], str]] = {
    "demo-singled-out": lambda: f"{_result('demo_figures')['singled_out']['share']:.0%}",
    "foldin-old-step": _ratios,
    "privacy-first-programmes": _programmes,
    "demo-slate": _slate,
    "demo-top-ten": _top_ten,
    "tuning-run": _tuning_run,
    "tuning-defaults-rank": _tuning_rank,
    "tuning-cg2": lambda: _tuning_cg(2),
    "tuning-cg1": lambda: _tuning_cg(1),
    "reload-fold": _reload_fold,
    "slate-classes": _slate_classes,
    "store-pairs": lambda: _lookup("pairs"),
    "store-quoted": lambda: _lookup("quoted"),
    "store-user-index-build": lambda: _lookup("build"),
    "store-user-index-write": lambda: _lookup("write"),
    "store-migration-10": _migration_10,
    "store-scope-count": _store_count,
    "calibration-interval-coverage": _interval_coverage,
    "cold-held-out": lambda: _cold_error("held_out"),
    "cold-own": lambda: _cold_error("own"),
}


# the result files each block's figures come from, whose commit and day the block names
# (privacy-cost's own last line names its commit)
SOURCES: dict[str, tuple[str, ...]] = {
    "scaling": ("train", "query", "http"), "quality-audience": ("quality",),
    "quality-user": ("quality",), "quality-cold-start": ("quality",),
    "quality-verdict": ("quality",), "quality-unseen": ("quality_unseen",),
    "quality-unseen-verdict": ("quality_unseen",),
    "quality-unseen-before-verdict": ("quality_unseen_before",),
    "spark-agreement": ("spark_agreement",), "planning-targets": ("planning",),
    "calibration-summary": ("calibration",), "distribution": ("distribution",),
    "distribution-timing": ("distribution:timing",), "privacy-attack": ("privacy_attack",),
    "foldin": ("foldin",), "intervals": ("intervals",),
    "spark-export-memory": ("spark_export_memory",),
}


def measured_at(stems: tuple[str, ...]) -> str:
    """The line under a block naming the commit and day its result files were measured at:
    the README's blocks are copied from runs days and hundreds of commits apart, and named
    neither (the headline names its own)."""
    parts = []
    for source in stems:
        # "stem:part": a part that records its own run (bench_distribution.py --keep-timing
        # keeps an earlier run's timing) is named by that run
        stem, _, part = source.partition(":")
        doc = json.loads((RESULTS / f"{stem}.json").read_text(encoding="utf-8"))
        label = f"`benchmarks/results/{stem}.json`"
        own = (doc.get(part) or {}).get("measured") if part else None
        if own:
            doc, label = own, f"{label} ({part})"
        facts = doc.get("machine") if isinstance(doc.get("machine"), dict) else (
            doc.get("machine_facts") or {})
        when = doc.get("finished") or doc.get("generated") or doc.get("created")
        day = str(when)[:10] if when else "day not recorded"
        parts.append(f"{label}: {_commit_said(facts)}, {day}")
    return "Measured at: " + "; ".join(parts) + "."



def rendered(text: str) -> tuple[str, list[str]]:
    """``text`` with every block it has re-rendered, and the names of the blocks that changed."""
    changed = []
    for name, build in {**BLOCKS, **INLINE}.items():
        start, end = f"<!-- results:{name}:start -->", f"<!-- results:{name}:end -->"
        if start not in text:
            continue
        try:
            body = build()
            if name in SOURCES:
                body += "\n\n" + measured_at(SOURCES[name])
            if name not in INLINE:
                body = f"\n{body}\n"
        except FileNotFoundError as e:  # a partial results folder: say which file, change nothing
            raise SystemExit(f"README block {name!r} needs {e.filename}, which is missing: run "
                             "the benchmark that writes it (benchmarks/README.md); the README "
                             "was not changed") from None
        new = re.sub(re.escape(start) + ".*?" + re.escape(end),
                     lambda _, b=body, s=start, e=end: f"{s}{b}{e}", text, flags=re.S)
        if new != text:
            changed.append(name)
        text = new
    return text, changed


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--check", action="store_true",
                    help="change nothing; exit 1 naming each block the results would change")
    args = ap.parse_args(argv)
    readme = ROOT / "README.md"
    text, changed = rendered(readme.read_text(encoding="utf-8"))
    module = cold_module()
    module_stale = not COLD_MODULE.exists() or COLD_MODULE.read_text(encoding="utf-8") != module
    if args.check:
        if changed:
            print(f"{readme}: stale result blocks: {', '.join(changed)} (run "
                  "scripts/readme_results.py)", file=sys.stderr)
        if module_stale:
            print(f"{COLD_MODULE}: stale figures (run scripts/readme_results.py)",
                  file=sys.stderr)
        return 1 if changed or module_stale else 0
    readme.write_text(text, encoding="utf-8")
    COLD_MODULE.write_text(module, encoding="utf-8")
    print(f"updated {readme} and {COLD_MODULE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
