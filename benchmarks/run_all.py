"""Run the speed/memory/scale benchmark suite and regenerate ``benchmarks/README.md``.

    python benchmarks/run_all.py              # full suite at the ML-20M shape (~30-45 min)
    python benchmarks/run_all.py --quick      # small sizes (~5 min); results/quick/
    python benchmarks/run_all.py --report     # only regenerate the README from the JSON files
    python benchmarks/run_all.py --only train --only query

Each benchmark script writes ``benchmarks/results[/quick]/<name>.json``; this script then
renders the tables (each target's measured value next to its goal and its baseline), the PNG
plots and ``results/headline.md`` (the figures the project README quotes). Quick runs write
under ``results/quick/`` so they never overwrite the full results.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import common

SUITE = ("ingest", "train", "query", "http", "scaling")
SCRIPTS = {"ingest": ["bench_ingest.py"], "train": ["bench_train.py"],
           "query": ["bench_query.py"], "http": ["bench_http.py"],
           "scaling": ["bench_scaling.py"]}
GIB = 1024.0


# --------------------------------------------------------------------------------------------
# Running
# --------------------------------------------------------------------------------------------


def run_suite(names: list[str], quick: bool, nice: int) -> dict[str, str]:
    status: dict[str, str] = {}
    # generate the data first (shared by every script)
    from scale_data import ensure, shape_by_name

    sizes = ["200k", "500k", "1m"] if quick else ["1m", "5m", "ml20m"]
    for s in sizes:
        common.log(f"data: {s}")
        ensure(shape_by_name(s))
    for name in names:
        script, *extra = SCRIPTS[name]
        cmd = [common.PYTHON, str(common.BENCH_DIR / script), *extra] + (["--quick"] if quick
                                                                         else [])
        if nice:
            cmd = ["nice", "-n", str(nice), *cmd]
        common.log(f"running {name}: {' '.join(cmd[-2:])}")
        t0 = time.perf_counter()
        r = subprocess.run(cmd, cwd=common.ROOT)
        took = time.perf_counter() - t0
        status[name] = "ok" if r.returncode == 0 else f"failed (exit {r.returncode})"
        common.log(f"{name}: {status[name]} in {took:.0f} s")
    return status


# --------------------------------------------------------------------------------------------
# Formatting helpers
# --------------------------------------------------------------------------------------------


def fmt(x: float | None, digits: int = 2, unit: str = "") -> str:
    if x is None:
        return "n/a"
    if abs(x) >= 1000:
        s = f"{x:,.0f}"
    elif abs(x) >= 100:
        s = f"{x:.0f}"
    elif abs(x) >= 10:
        s = f"{x:.1f}"
    else:
        s = f"{x:.{digits}f}"
    return s + unit


def table(headers: list[str], rows: list[list[Any]]) -> str:
    out = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def status(ok: bool | None, variant: bool = False) -> str:
    if ok is None:
        return "n/a"
    if variant:
        return "(pass)" if ok else "(miss)"
    return "**pass**" if ok else "**miss**"


def get(d: dict[str, Any] | None, *path: Any) -> Any:
    cur: Any = d
    for p in path:
        if cur is None:
            return None
        if isinstance(cur, dict):
            cur = cur.get(p)
        elif isinstance(cur, list) and isinstance(p, int) and p < len(cur):
            cur = cur[p]
        else:
            return None
    return cur


def http_cell(h: dict[str, Any] | None, server: str, endpoint: str, traffic: str, c: int
              ) -> dict[str, Any] | None:
    for cell in (h or {}).get("cells", []):
        if (cell["server"], cell["endpoint"], cell["connections"]) == (server, endpoint, c) and \
                (server == "trivial" or cell["traffic"] == traffic):
            d: dict[str, Any] = cell
            return d
    return None


def http_table(h: dict[str, Any]) -> str:
    hrows = []
    for endpoint in ("audience", "recommendations"):
        for c in (1, 16, 64):
            base = http_cell(h, "trivial", endpoint, "any", c)
            for traffic in ("uniform", "zipf", "uniform-warm", "zipf-warm"):
                cell = http_cell(h, "engine", endpoint, traffic, c)
                if not cell:
                    continue
                mt = cell.get("server_metrics") or {}
                scored = mt.get("batched_requests")
                hrows.append([
                    endpoint, traffic, c, fmt(cell["rps"], 0), fmt(cell["p50_ms"], 2),
                    fmt(cell["p99_ms"], 2), cell["errors"],
                    fmt(get(base, "rps"), 0), fmt(get(base, "p50_ms"), 2),
                    fmt(get(base, "p99_ms"), 2),
                    f"{100 * cell['rps_ratio_to_trivial']:.0f}%"
                    if cell.get("rps_ratio_to_trivial") is not None else "n/a",
                    f"{min(100.0, 100 * scored / cell['requests']):.0f}%"
                    if scored is not None and cell["requests"] else "",
                    fmt(mt.get("mean_batch"), 2)])
    return table(["Endpoint", "Traffic", "Conns", "Req/s", "p50 ms", "p99 ms", "Errors",
                  "Trivial req/s", "Trivial p50", "Trivial p99", "Req/s vs trivial",
                  "Scored (not cached)", "Mean batch"], hrows)


# --------------------------------------------------------------------------------------------
# Targets
# --------------------------------------------------------------------------------------------


def targets(r: dict[str, dict[str, Any] | None]) -> list[dict[str, Any]]:
    ing, tr, q, h = r.get("ingest"), r.get("train"), r.get("query"), r.get("http")
    rows: list[dict[str, Any]] = []

    def add(name: str, goal: str, value: float | None, shown: str, baseline: str,
            ok: bool | None, variant: bool = False) -> None:
        rows.append({"target": name, "goal": goal, "value": value, "measured": shown,
                     "baseline": baseline, "ok": ok, "variant": variant})

    ratio = get(tr, "ratio_cli_to_bare")
    bare = get(tr, "bare_fit_64", "fit_s", "median")
    wall = get(tr, "cli_train", "wall_s", "median")
    peak = get(tr, "cli_train", "peak_rss_mb")
    add("`recommender train` time / bare `implicit` fit", "≤ 1.25×", ratio, fmt(ratio, 2, "×"),
        f"bare fit {fmt(bare, 1, ' s')}", None if ratio is None else ratio <= 1.25)
    add("`recommender train` wall time (64 factors, 15 iterations)", "≤ 90 s", wall,
        fmt(wall, 1, " s"), f"bare fit {fmt(bare, 1, ' s')}",
        None if wall is None else wall <= 90)
    add("`recommender train` peak memory", "≤ 6 GiB", peak,
        fmt(None if peak is None else peak / GIB, 2, " GiB"),
        f"bare fit {fmt(None if get(tr, 'bare_fit_64', 'peak_rss_mb') is None else get(tr, 'bare_fit_64', 'peak_rss_mb') / GIB, 2, ' GiB')}",  # noqa: E501
        None if peak is None else peak <= 6 * GIB)
    csv_s = get(ing, "csv", "total_s", "median")
    add("Ingest the 20M-row CSV into the training matrix", "≤ 20 s", csv_s, fmt(csv_s, 1, " s"),
        f"bare pyarrow CSV read {fmt(get(ing, 'csv', 'raw_read_s', 'median'), 1, ' s')}",
        None if csv_s is None else csv_s <= 20)
    for cfg, label in ((q, ""), (get(q, "blas_1_thread"), ", BLAS limited to 1 thread")):
        if cfg is None:
            continue
        var = bool(label)
        a50 = get(cfg, "audience_ms", "p50")
        f50 = get(cfg, "audience_floor_ms", "p50")
        add(f"One film's audience p50 (k=100, exclude-seen{label})", "≤ 2 ms", a50,
            fmt(a50, 2, " ms"), f"numpy floor {fmt(f50, 2, ' ms')}",
            None if a50 is None else a50 <= 2, var)
        ar = get(cfg, "audience_to_floor_p50")
        add(f"One film's audience p50 / numpy floor p50{label}", "≤ 3×", ar, fmt(ar, 2, "×"),
            f"floor {fmt(f50, 2, ' ms')}", None if ar is None else ar <= 3, var)
        r50 = get(cfg, "recommend_ms", "p50")
        add(f"User recommendations p50 (k=10, with explanations{label})", "≤ 0.5 ms", r50,
            fmt(r50, 2, " ms") + f" ({fmt(get(cfg, 'recommend_no_explain_ms', 'p50'), 2, ' ms')}"
            " without explanations)",
            f"numpy floor {fmt(get(cfg, 'recommend_floor_ms', 'p50'), 2, ' ms')}",
            None if r50 is None else r50 <= 0.5, var)
    b = get(q, "batch_all_films_s")
    add(f"Audiences of all {fmt(get(q, 'films'), 0)} films at k=100", "≤ 120 s", b,
        fmt(b, 1, " s"), "—", None if b is None else b <= 120)
    for hh, label in ((h, ""), (r.get("http_blas1"), ", server started with "
                                                     "OPENBLAS_NUM_THREADS=1")):
        if hh is None:
            continue
        var = bool(label)
        has_warm = http_cell(hh, "engine", "audience", "zipf-warm", 16) is not None
        for traffic, goal, extra in (("zipf-warm", 0.5, False), ("zipf", 0.5, has_warm),
                                     ("uniform-warm", 0.25, False),
                                     ("uniform", 0.25, has_warm)):
            cell = http_cell(hh, "engine", "audience", traffic, 16)
            if cell is None:
                continue
            base = http_cell(hh, "trivial", "audience", traffic, 16)
            rr = get(cell, "rps_ratio_to_trivial")
            errs = get(cell, "errors")
            ok = None if rr is None else (rr >= goal and errs == 0)
            what = {"zipf-warm": "Zipf traffic, warmed server",
                    "uniform-warm": "uniform traffic, warmed server",
                    "uniform": "uniform traffic, fresh server" if has_warm else "uniform traffic",
                    "zipf": "Zipf traffic, fresh server" if has_warm else "Zipf traffic"}
            add(f"HTTP audience, 16 connections, {what[traffic]}{label}: req/s vs trivial "
                "endpoint", f"≥ {goal:.0%}, no errors", rr,
                f"{fmt(None if rr is None else 100 * rr, 0, '%')} ({fmt(get(cell, 'rps'), 0)} "
                f"req/s, {errs if errs is not None else 'n/a'} errors)",
                f"trivial {fmt(get(base, 'rps'), 0)} req/s", ok, var or extra)
    ld = get(q, "load_s", "p50")
    add("Model load (memory-mapped)", "≤ 2 s", ld, fmt(ld, 2, " s"), "—",
        None if ld is None else ld <= 2)
    return rows


# --------------------------------------------------------------------------------------------
# Plots
# --------------------------------------------------------------------------------------------


def plots(r: dict[str, dict[str, Any] | None], out: Path) -> list[str]:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        import numpy as np
    except ImportError:
        print("matplotlib is missing (pip install -e '.[bench]'): no plots", file=sys.stderr)
        return []
    made: list[str] = []
    sc = r.get("scaling")
    if sc and sc.get("points"):
        pts = sc["points"]
        n = [p["interactions"] for p in pts]
        fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 3.8))
        a1.plot(n, [p["train_s"] for p in pts], "o-", label="train() (engine)")
        a1.plot(n, [p["bare_fit_s"] for p in pts], "s--", label="bare implicit fit")
        a1.set_xscale("log")
        a1.set_yscale("log")
        a1.set_xlabel("interactions")
        a1.set_ylabel("seconds (64 factors, 15 iterations)")
        a1.set_title("Training time")
        a1.legend()
        a2.plot(n, [p["audience_ms"]["p50"] for p in pts], "o-", label="audience p50")
        a2.plot(n, [p["audience_ms"]["p99"] for p in pts], "^-", label="audience p99")
        a2.plot(n, [p["audience_floor_ms"]["p50"] for p in pts], "s--", label="numpy floor p50")
        a2.set_xscale("log")
        a2.set_yscale("log")
        a2.set_xlabel("interactions")
        a2.set_ylabel("ms")
        a2.set_title("One film's audience (k=100)")
        a2.legend()
        fig.tight_layout()
        fig.savefig(out / "scaling.png", dpi=110)
        plt.close(fig)
        made.append("scaling.png")
    q = r.get("query")
    if q and q.get("audience_samples_ms"):
        fig, ax = plt.subplots(figsize=(7, 3.8))
        for key, label in (("audience_samples_ms", "audience (engine)"),
                           ("audience_floor_samples_ms", "numpy floor"),
                           ("recommend_samples_ms", "recommendations (engine)")):
            v = np.sort(np.asarray(q.get(key, []), float))
            if len(v):
                ax.plot(v, np.arange(1, len(v) + 1) / len(v), label=label)
        ax.set_xscale("log")
        ax.set_xlabel("latency, ms (log)")
        ax.set_ylabel("share of requests ≤ x")
        ax.set_title(f"In-process latency distribution ({q['shape']['name']})")
        ax.grid(alpha=0.3)
        ax.legend()
        fig.tight_layout()
        fig.savefig(out / "latency.png", dpi=110)
        plt.close(fig)
        made.append("latency.png")
    for name in ("http", "http_blas1"):
        h = r.get(name)
        if not (h and h.get("cells")):
            continue
        fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
        for ax, endpoint in zip(axes, ("audience", "recommendations"), strict=True):
            for server, traffic, style in (("trivial", "any", "k--"), ("engine", "uniform", "o-"),
                                           ("engine", "zipf", "s-"),
                                           ("engine", "uniform-warm", "v-"),
                                           ("engine", "zipf-warm", "^-")):
                cs = [c for c in h["cells"] if c["server"] == server
                      and c["endpoint"] == endpoint and c["traffic"] == traffic]
                if cs:
                    ax.plot([c["connections"] for c in cs], [c["rps"] for c in cs], style,
                            label=f"{server} {traffic}".replace(" any", ""))
            ax.set_xscale("log", base=2)
            ax.set_yscale("log")
            ax.set_xlabel("concurrent connections")
            ax.set_ylabel("requests / s (log)")
            ax.set_title(f"HTTP {endpoint}" + (", engine with 1 BLAS thread"
                                               if name == "http_blas1" else ""))
            ax.legend()
        fig.tight_layout()
        fig.savefig(out / f"{name}.png", dpi=110)
        plt.close(fig)
        made.append(f"{name}.png")
    return made


# --------------------------------------------------------------------------------------------
# README
# --------------------------------------------------------------------------------------------


def machine_section(r: dict[str, dict[str, Any] | None]) -> str:
    m = next((d["machine"] for d in r.values() if d and "machine" in d), None)
    if not m:
        return "No results yet."
    v = m.get("versions", {})
    env = ", ".join(f"`{k}={val}`" for k, val in sorted(m.get("environment", {}).items())) \
        or "none set"
    blas = "; ".join(f"{b.get('internal_api')} {b.get('version')} ({b.get('architecture')}, "
                     f"{b.get('num_threads')} threads)" for b in m.get("blas", [])) or "n/a"
    loads = {k: d["machine"].get("load_average_at_start") for k, d in r.items()
             if d and "machine" in d}
    commits = {k: d["machine"].get("git_commit") for k, d in r.items() if d and "machine" in d}
    return "\n".join([
        f"- CPU: {m.get('cpu_model')}, {m.get('cores')} cores; {m.get('memory_gb')} GB RAM; "
        f"{m.get('os')}",
        f"- Python {m.get('python')}; " + ", ".join(f"{k} {val}" for k, val in v.items() if val),
        f"- BLAS: {blas}; environment: {env}",
        "- git commit at measurement: " + "; ".join(f"{k} {val}" for k, val in commits.items()),
        "- load average (1, 5, 15 min) when each benchmark started: "
        + "; ".join(f"{k} {val}" for k, val in loads.items()),
    ])


def render(quick: bool, run_status: dict[str, str] | None = None) -> Path:
    r = {name: common.read_result(name, quick) for name in SUITE}
    out_dir = common.results_dir(quick)
    made = plots(r, out_dir)
    img = "results/quick/" if quick else "results/"
    readme = (out_dir / "README.md") if quick else (common.BENCH_DIR / "README.md")
    if quick:
        img = ""
    ing, tr, q, h, sc = (r.get(n) for n in ("ingest", "train", "query", "http", "scaling"))
    shape = get(tr, "shape") or get(q, "shape") or get(ing, "shape") or {}
    lines: list[str] = []
    lines.append("# Benchmarks: speed, memory and scale" + (" (quick mode)" if quick else ""))
    lines.append("")
    lines.append("<!-- generated by benchmarks/run_all.py from benchmarks/results/*.json; "
                 "edit benchmarks/analysis.md or run_all.py, not this file -->")
    lines.append("")
    lines.append(
        f"Measured on synthetic interaction logs of the MovieLens-20M shape "
        f"({fmt(shape.get('users'), 0)} users × {fmt(shape.get('films'), 0)} films × "
        f"{fmt(shape.get('interactions'), 0)} interactions; power-law film popularity and user "
        "activity, planted taste groups: `benchmarks/scale_data.py`), with 64 factors and 15 "
        "iterations unless stated. Every figure is a median over repeated runs (latencies: "
        "p50/p99 over many requests); every ratio is measured against its baseline in the "
        "same run.")
    lines.append("")
    lines.append(
        "**The machine is a 2-core VM shared with other engineers' jobs while these ran**: "
        "absolute figures are noisy (the load average is recorded below and in every JSON "
        "file); ratios against a same-run baseline are the more reliable figures.")
    lines.append("")
    lines.append("Run it: `make bench` (the full suite, ~45-60 min on a quiet machine) or "
                 "`.venv/bin/python benchmarks/run_all.py --quick` (small sizes, ~5 min, "
                 "written to `results/quick/`). Each script also runs alone, e.g. "
                 "`.venv/bin/python benchmarks/bench_query.py [--quick]`.")
    lines.append("")
    if run_status:
        failed = {k: v for k, v in run_status.items() if v != "ok"}
        if failed:
            lines.append("**Failed in the last run:** " + ", ".join(f"{k}: {v}"
                                                                    for k, v in failed.items()))
            lines.append("")
    lines.append("## Targets")
    lines.append("")
    rows = targets(r)
    lines.append(table(["Target", "Goal", "Measured", "Baseline (same run)", "Result"],
                       [[("↳ " if t["variant"] else "") + t["target"], t["goal"], t["measured"],
                         t["baseline"], status(t["ok"], t["variant"])] for t in rows]))
    lines.append("")
    lines.append("Rows marked ↳ are the same target measured in another configuration "
                 "(BLAS limited to one thread, as a server under concurrent load should run; "
                 "a freshly started server, whose background cache warm-up competes with the "
                 "requests until it is done); they are "
                 "informative and not counted. Where a target is missed, the cause "
                 "and what was done about it are in [Analysis](#analysis).")
    lines.append("")
    lines.append("## Machine")
    lines.append("")
    lines.append(machine_section(r))
    lines.append("")
    # ---- ingestion
    lines.append("## Ingestion")
    lines.append("")
    if ing:
        rows2 = []
        for fmt_name in ("csv", "parquet"):
            d = ing.get(fmt_name)
            if not d:
                continue
            rows2.append([fmt_name.upper(), f"{d['bytes'] / 1e6:,.0f} MB", f"{d['rows']:,}",
                          fmt(d["total_s"]["median"], 2, " s"),
                          f"{d['rows_per_s'] / 1e6:.2f} M/s",
                          fmt(d["load_s"]["median"], 2, " s"), fmt(d["matrix_s"]["median"], 2,
                                                                   " s"),
                          fmt(d["raw_read_s"]["median"], 2, " s"),
                          f"{d['raw_rows_per_s'] / 1e6:.2f} M/s",
                          fmt(d["peak_rss_mb"] / GIB, 2, " GiB")])
        lines.append(table(["Format", "File", "Rows", "Into training matrix", "Rows/s",
                            "of which `data.load`", "BM25 matrix", "Bare pyarrow read",
                            "Bare rows/s", "Peak memory"], rows2))
        lines.append("")
        lines.append(f"`data.load(file)` parses, validates (every id and number, with line "
                     f"numbers for errors), merges duplicate pairs and indexes ids; then "
                     f"`weighting.confidence` builds the BM25 CSR. Median of {ing['repeats']} "
                     "runs, each in a fresh process (warm OS page cache). The bare read is "
                     "`pyarrow.csv.read_csv` / `pyarrow.parquet.read_table` of the same file.")
    else:
        lines.append("Not run.")
    lines.append("")
    # ---- training
    lines.append("## Training")
    lines.append("")
    if tr:
        it = tr["iteration_s"]
        lines.append(table(
            ["Measure", "Median", "Spread (min–max)", "Peak memory"],
            [["Bare `implicit` ALS fit, 64 factors, 15 iterations",
              fmt(tr["bare_fit_64"]["fit_s"]["median"], 1, " s"),
              f"{fmt(tr['bare_fit_64']['fit_s']['min'], 1)}–"
              f"{fmt(tr['bare_fit_64']['fit_s']['max'], 1)} s",
              fmt(tr["bare_fit_64"]["peak_rss_mb"] / GIB, 2, " GiB")],
             ["Seconds per ALS iteration, 64 factors", fmt(it["64"]["median"], 2, " s"),
              f"{fmt(it['64']['min'], 2)}–{fmt(it['64']['max'], 2)} s", ""],
             ["Seconds per ALS iteration, 128 factors", fmt(it["128"]["median"], 2, " s"),
              f"{fmt(it['128']['min'], 2)}–{fmt(it['128']['max'], 2)} s", ""],
             ["Whole `recommender train` (load Parquet, train, save)",
              fmt(tr["cli_train"]["wall_s"]["median"], 1, " s"),
              f"{fmt(tr['cli_train']['wall_s']['min'], 1)}–"
              f"{fmt(tr['cli_train']['wall_s']['max'], 1)} s",
              fmt(tr["cli_train"]["peak_rss_mb"] / GIB, 2, " GiB")],
             ["Ratio `recommender train` / bare fit", fmt(tr["ratio_cli_to_bare"], 2, "×"),
              "", ""],
             ["Ratio `train()` alone / bare fit", fmt(tr["ratio_train_to_bare"], 2, "×"), "",
              ""]]))
        lines.append("")
        lines.append(f"Command: `{tr['cli_train']['command']}`. The bare fit is "
                     "`implicit.cpu.als.AlternatingLeastSquares(factors, regularization, alpha,"
                     " iterations, random_state).fit(conf)` on the same BM25 matrix, BLAS "
                     f"limited to one thread; {tr['repeats']} runs of each, alternating.")
        lines.append("")
        lines.append("Where the time of one in-process `load + train() + save` goes "
                     f"({fmt(tr['breakdown']['total_s'], 1, ' s')} in all):")
        lines.append("")
        lines.append(table(["Stage", "Seconds", "Share"], [
            [k, fmt(v, 2), f"{100 * v / tr['breakdown']['total_s']:.0f}%"]
            for k, v in tr["breakdown"]["stages_s"].items()]))
    else:
        lines.append("Not run.")
    lines.append("")
    # ---- queries
    lines.append("## Queries in-process")
    lines.append("")
    if q:
        qrows = []
        for cfg, label in ((q, "default BLAS threads"), (q.get("blas_1_thread"),
                                                          "BLAS limited to 1 thread")):
            if not cfg:
                continue
            qrows += [
                [f"One film's audience, k=100, exclude-seen (`film_audience`), {label}",
                 fmt(cfg["audience_ms"]["p50"], 3, " ms"),
                 fmt(cfg["audience_ms"]["p99"], 3, " ms"),
                 fmt(cfg["audience_floor_ms"]["p50"], 3, " ms"),
                 fmt(cfg["audience_floor_ms"]["p99"], 3, " ms"),
                 fmt(cfg["audience_to_floor_p50"], 2, "×")],
                [f"… plus `to_json()` (the HTTP body), {label}",
                 fmt(cfg["audience_with_json_ms"]["p50"], 3, " ms"),
                 fmt(cfg["audience_with_json_ms"]["p99"], 3, " ms"), "", "", ""],
                [f"User recommendations, k=10, with explanations (`recommend_user`), {label}",
                 fmt(cfg["recommend_ms"]["p50"], 3, " ms"),
                 fmt(cfg["recommend_ms"]["p99"], 3, " ms"),
                 fmt(cfg["recommend_floor_ms"]["p50"], 3, " ms"),
                 fmt(cfg["recommend_floor_ms"]["p99"], 3, " ms"),
                 fmt(cfg["recommend_ms"]["p50"] / cfg["recommend_floor_ms"]["p50"], 2, "×")],
                [f"… without explanations (`explain_n=0`), {label}",
                 fmt(cfg["recommend_no_explain_ms"]["p50"], 3, " ms"),
                 fmt(cfg["recommend_no_explain_ms"]["p99"], 3, " ms"), "", "", ""]]
        lines.append(table(["Query", "p50", "p99", "Floor p50", "Floor p99", "Ratio p50"],
                           qrows))
        lines.append("")
        lines.append(table(["Measure", "Value"], [
            ["Model folder size", f"{q['model_bytes'] / 1e6:,.0f} MB"],
            ["Model load, memory-mapped (`artifact.load`), p50 of "
             f"{q['load_s']['n']} fresh processes", fmt(q["load_s"]["p50"], 3, " s")],
            ["First audience after load (pages the factors in)",
             fmt(q["first_audience_after_load_s"]["p50"] * 1000, 1, " ms")],
            ["Resident memory after load", fmt(q["rss_after_load_mb"], 0, " MB")],
            ["Peak memory, load + 2,000 queries + batch", fmt(q["peak_rss_queries_mb"], 0,
                                                             " MB")],
            [f"All {q['films']:,} films' audiences, k=100 (`batch_audiences`)",
             fmt(q.get("batch_all_films_s"), 1, " s")],
        ]))
        lines.append("")
        lines.append(f"{q['audience_ms']['n']} films and {q['recommend_ms']['n']} users drawn "
                     "uniformly; engine and floor alternate call by call. The floor is "
                     "`user_factors @ film_vector` + `argpartition` on the same memory-mapped "
                     "matrices (no exclusion, no ordering, no ids).")
        if "latency.png" in made:
            lines.append("")
            lines.append(f"![latency distributions]({img}latency.png)")
    else:
        lines.append("Not run.")
    lines.append("")
    # ---- http
    lines.append("## HTTP")
    lines.append("")
    if not h:
        lines.append("Not run.")
        lines.append("")
    for name, title in (("http", "Engine server as `recommender serve` runs it"),
                        ("http_blas1", "Engine server started with `OPENBLAS_NUM_THREADS=1`")):
        hh = r.get(name)
        if not hh:
            continue
        lines.append(f"### {title}")
        lines.append("")
        lines.append(http_table(hh))
        lines.append("")
        lines.append(
            f"Medians over {hh.get('rounds', 1)} round(s) of (trivial, engine uniform, engine "
            f"Zipf), {hh['duration_s_per_cell']} s per run (capped at "
            f"{hh['max_requests_per_cell']:,} requests), {hh['workers']} uvicorn worker(s); "
            f"load generator: {hh['load_generator']}. Server: {hh['server']}"
            + (f", environment {hh['engine_server_env']}" if hh.get("engine_server_env")
               else "") + ". Uniform traffic walks fresh random permutations of all ids (no "
            "repeats within a cell until every id was asked); Zipf traffic draws ids with "
            f"probability ∝ 1/rank^{hh['zipf_exponent']} by popularity. Audience cells run on "
            "a freshly started server (*uniform*, *zipf*: its background cache warm-up has "
            "just begun) and on a server whose warm-up has finished (*-warm*: every film's "
            "ranking cached; one such server per round serves that round's warm cells, so its "
            "body cache carries over between them; warm-up took "
            + ", ".join(f"{fmt(w.get('seconds'), 0, ' s')} ({w.get('state')})"
                        for w in hh.get("cache_warm_up") or []) + "). Recommendation cells also "
            "run on the round's warmed server (that endpoint has no warm-up, and one in "
            "progress would only compete with it for the CPU); its cache of rendered "
            "recommendation bodies carries over between those cells too. Every other engine "
            "cell starts its own server. *Scored* is the share of requests that went through "
            "a micro-batcher (the rest were answered from a cache), from the server's "
            "/metrics; *mean batch* is requests per matrix product. "
            "Peak memory of a loaded engine "
            f"server: {fmt(hh.get('engine_server_peak_rss_mb'), 0, ' MB')} (trivial server: "
            f"{fmt(get(hh, 'trivial_server_memory', 'peak_rss_mb'), 0, ' MB')}). The load "
            "generator shares the 2 cores with the server.")
        if f"{name}.png" in made:
            lines.append("")
            lines.append(f"![HTTP throughput]({img}{name}.png)")
        lines.append("")
    # ---- scaling
    lines.append("## Scaling")
    lines.append("")
    if sc:
        lines.append(table(
            ["Interactions", "Users", "Films", "`train()`", "Bare fit", "Ratio",
             "Audience p50", "Audience p99", "Floor p50", "Source"],
            [[f"{p['interactions']:,}", f"{p['users']:,}", f"{p['films']:,}",
              fmt(p["train_s"], 1, " s"), fmt(p["bare_fit_s"], 1, " s"),
              fmt(p["train_s"] / p["bare_fit_s"], 2, "×"),
              fmt(p["audience_ms"]["p50"], 3, " ms"), fmt(p["audience_ms"]["p99"], 3, " ms"),
              fmt(p["audience_floor_ms"]["p50"], 3, " ms"), p["source"]]
             for p in sc["points"]]))
        if "scaling.png" in made:
            lines.append("")
            lines.append(f"![scaling curve]({img}scaling.png)")
    else:
        lines.append("Not run.")
    lines.append("")
    analysis = common.BENCH_DIR / "analysis.md"
    lines.append("## Analysis")
    lines.append("")
    if analysis.is_file():
        lines.append(analysis.read_text().strip())
    lines.append("")
    lines.append("## Files")
    lines.append("")
    lines.append("- `scale_data.py`: the data generator (`--shape ml20m|5m|1m|500k|200k`); "
                 "data goes to `benchmarks/data/` (git-ignored).")
    lines.append("- `bench_ingest.py`, `bench_train.py`, `bench_query.py`, `bench_http.py` "
                 "(+ `trivial_app.py`, `wrk_ids.lua`), `bench_scaling.py`: one benchmark each,"
                 " writing `results/<name>.json` with the machine facts.")
    lines.append("- `run_all.py`: runs them and renders this page, the plots and "
                 "`results/headline.md`.")
    lines.append("")
    readme.write_text("\n".join(lines))
    (out_dir / "headline.md").write_text(headline(r, rows) + "\n")
    print(f"wrote {readme.relative_to(common.ROOT)}", file=sys.stderr)
    return readme


def headline(r: dict[str, dict[str, Any] | None], rows: list[dict[str, Any]]) -> str:
    tr, q, ing, h = r.get("train"), r.get("query"), r.get("ingest"), r.get("http")
    passed = sum(1 for t in rows if t["ok"] and not t["variant"])
    judged = sum(1 for t in rows if t["ok"] is not None and not t["variant"])
    shape = get(tr, "shape") or get(q, "shape") or {}
    z = (http_cell(h, "engine", "audience", "zipf-warm", 16)
         or http_cell(h, "engine", "audience", "zipf", 16))
    u = (http_cell(h, "engine", "audience", "uniform-warm", 16)
         or http_cell(h, "engine", "audience", "uniform", 16))
    uf = http_cell(h, "engine", "audience", "uniform", 16)
    parts = [
        f"On a MovieLens-20M-shaped log ({fmt(shape.get('users'), 0)} users × "
        f"{fmt(shape.get('films'), 0)} films × {fmt(shape.get('interactions'), 0)} "
        "interactions) on a shared 2-core VM:",
        f"`recommender train` (64 factors, 15 iterations, with tier calibration and segments) "
        f"takes {fmt(get(tr, 'cli_train', 'wall_s', 'median'), 0, ' s')} "
        f"({fmt(get(tr, 'ratio_cli_to_bare'), 2, '×')} a bare `implicit` fit on the same "
        f"matrix) in {fmt((get(tr, 'cli_train', 'peak_rss_mb') or 0) / GIB, 1, ' GiB')};",
        f"the 20M-row CSV ingests in {fmt(get(ing, 'csv', 'total_s', 'median'), 1, ' s')};",
        f"the model folder loads in {fmt(get(q, 'load_s', 'p50'), 2, ' s')} (memory-mapped);",
        f"one film's audience (k=100) takes {fmt(get(q, 'audience_ms', 'p50'), 2, ' ms')} p50 "
        f"({fmt(get(q, 'audience_to_floor_p50'), 2, '×')} the bare numpy floor), a user's "
        f"recommendations {fmt(get(q, 'recommend_ms', 'p50'), 2, ' ms')} p50,",
        f"and all {fmt(get(q, 'films'), 0)} films' audiences "
        f"{fmt(get(q, 'batch_all_films_s'), 0, ' s')}.",
    ]
    if z and u:
        warm = (", once its background cache warm-up has finished,"
                if u["traffic"] == "uniform-warm" else "")
        parts.append(
            f"Over HTTP at 16 connections{warm} the audience endpoint serves "
            f"{fmt(z['rps'], 0)} req/s under Zipf traffic "
            f"({100 * z['rps_ratio_to_trivial']:.0f}% "
            f"of a trivial FastAPI endpoint) and {fmt(u['rps'], 0)} req/s under uniform traffic "
            f"({100 * u['rps_ratio_to_trivial']:.0f}%)"
            + (f"; a freshly started server, still warming, serves uniform traffic at "
               f"{fmt(uf['rps'], 0)} req/s ({100 * uf['rps_ratio_to_trivial']:.0f}%)."
               if uf and uf is not u else "."))
    ru = http_cell(h, "engine", "recommendations", "uniform", 16)
    rz = http_cell(h, "engine", "recommendations", "zipf", 16)
    if ru and rz and ru.get("rps_ratio_to_trivial") and rz.get("rps_ratio_to_trivial"):
        parts.append(
            f"The recommendations endpoint (with explanations) serves {fmt(ru['rps'], 0)} "
            f"req/s under uniform traffic ({100 * ru['rps_ratio_to_trivial']:.0f}%) and "
            f"{fmt(rz['rps'], 0)} under Zipf traffic ({100 * rz['rps_ratio_to_trivial']:.0f}%).")
    parts.append(f"{passed} of {judged} targets met; details, baselines and the remaining gaps: "
                 "[benchmarks/README.md](benchmarks/README.md).")
    return " ".join(parts)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="small sizes (results/quick/)")
    ap.add_argument("--report", action="store_true", help="only regenerate the README")
    ap.add_argument("--only", action="append", choices=SUITE, help="run only these")
    ap.add_argument("--skip", action="append", choices=SUITE, default=[])
    ap.add_argument("--nice", type=int, default=int(os.environ.get("BENCH_NICE", "0")),
                    help="run each benchmark under nice -n N")
    args = ap.parse_args()
    run_status = None
    if not args.report:
        names = [n for n in (args.only or SUITE) if n not in args.skip]
        run_status = run_suite(names, args.quick, args.nice)
    render(args.quick, run_status)
    return 0 if not run_status or all(v == "ok" for v in run_status.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
