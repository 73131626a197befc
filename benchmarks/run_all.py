"""Run the speed/memory/scale benchmark suite and regenerate ``benchmarks/README.md``.

    python benchmarks/run_all.py              # full suite at the ML-20M shape
    python benchmarks/run_all.py --quick      # small sizes; results/quick/
    python benchmarks/run_all.py --report     # only regenerate the README from the JSON files
    python benchmarks/run_all.py --only train --only query

Each benchmark script writes ``benchmarks/results[/quick]/<name>.json``; this script then
renders the tables (each target's measured value next to its goal and its baseline), the PNG
plots and ``results/headline.md`` (the figures the project README quotes). Quick runs write
under ``results/quick/`` so they never overwrite the full results. How long each takes is
stated once, as an estimate: ``report.FULL_RUN_MINUTES`` and ``report.QUICK_RUN_MINUTES``.
``http_blas0.json`` (``bench_http.py --blas-threads 0``: the engine server's BLAS on every
core, where ``recommender serve`` limits it to one thread; run by hand, not by the suite) is
rendered beside ``http.json`` when it exists, as is an older run's ``http_blas1.json``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import common
import report
from report_format import HTTP_VARIANTS, server_setting
from report_targets import headline, targets

SUITE = ("ingest", "train", "query", "http", "scaling")
# results rendered when present but not run by the suite (bench_http.py --blas-threads N;
# bench_train.py's results from a 16-core machine, before and after training's side thread;
# bench_trial_threads.py's, the search under each thread cap)
OPTIONAL = (*HTTP_VARIANTS, "train_16_cores_before", "train_16_cores", "trial_threads")
SCRIPTS = {"ingest": ["bench_ingest.py"], "train": ["bench_train.py"],
           "query": ["bench_query.py"], "http": ["bench_http.py"],
           "scaling": ["bench_scaling.py"]}


# --------------------------------------------------------------------------------------------
# Running
# --------------------------------------------------------------------------------------------


def run_suite(names: list[str], quick: bool, nice: int) -> dict[str, str]:
    """Generate the data, then run each named benchmark script; its status by name."""
    status: dict[str, str] = {}
    # bench_scaling.py reuses train.json and query.json only when this run wrote them
    started = datetime.now(UTC).replace(microsecond=0).isoformat()
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
        if name == "scaling":
            cmd += ["--reuse-since", started]
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
# Plots
# --------------------------------------------------------------------------------------------


def plots(r: dict[str, dict[str, Any] | None], out: Path, keep: bool = False) -> list[str]:
    """Draw the PNG plots into ``out``; the names of the files written. Without matplotlib,
    ``keep`` (a ``--report`` run, which measured nothing) keeps the PNGs already in ``out``
    and their links: a README rendered where matplotlib is missing dropped the three plots of
    the committed results from the page."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        import numpy as np
    except ImportError:
        kept = sorted(p.name for p in out.glob("*.png")) if keep else []
        print("matplotlib is missing (pip install -e '.[bench]'): "
              + (f"the plots are not redrawn; {', '.join(kept)} kept as they are"
                 if kept else "no plots"), file=sys.stderr)
        return kept
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
    for name in ("http", *HTTP_VARIANTS):
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
            ax.set_title(f"HTTP {endpoint}" + (f", engine with {server_setting(h)}".replace(
                "`", "") if name != "http" else ""))
            ax.legend()
        fig.tight_layout()
        fig.savefig(out / f"{name}.png", dpi=110)
        plt.close(fig)
        made.append(f"{name}.png")
    return made


# --------------------------------------------------------------------------------------------
# Rendering (the sections are in report.py, the targets and headline in report_targets.py)
# --------------------------------------------------------------------------------------------


def read_results(quick: bool) -> dict[str, dict[str, Any] | None]:
    """The suite's result files (None where missing) and any OPTIONAL one that exists."""
    r = {name: common.read_result(name, quick) for name in SUITE}
    r.update({name: d for name in OPTIONAL if (d := common.read_result(name, quick))})
    return r


def render(quick: bool, run_status: dict[str, str] | None = None) -> Path:
    """Write the plots, the README and ``results/headline.md`` from the result files."""
    r = read_results(quick)
    out_dir = common.results_dir(quick)
    missing = [f"{name}.json" for name in SUITE if r[name] is None]
    if missing and run_status is None:  # --report: no run to explain the gaps
        raise SystemExit(f"{out_dir.relative_to(common.ROOT)} lacks {', '.join(missing)}: "
                         "their figures would read n/a in the README and the headline; run "
                         "the benchmarks that write them (--only NAME). Nothing was rewritten.")
    made = plots(r, out_dir, keep=run_status is None)
    readme = (out_dir / "README.md") if quick else (common.BENCH_DIR / "README.md")
    rows = targets(r)
    readme.write_text(report.readme(r, rows, quick, run_status, made,
                                    common.BENCH_DIR / "analysis.md"))
    (out_dir / "headline.md").write_text(
        headline(r, rows, readme.relative_to(common.ROOT).as_posix()) + "\n")
    print(f"wrote {readme.relative_to(common.ROOT)}", file=sys.stderr)
    return readme


def main() -> int:
    """Run the suite (unless --report), then render."""
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
