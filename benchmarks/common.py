"""Shared helpers of the benchmark scripts: machine facts, timing statistics, peak memory of a
step run in its own process, and the results writer.

Every script runs its heavy steps through :func:`run_worker`, which starts the same script
again with ``--worker STEP --params JSON`` in a fresh Python process: the step's peak memory
is then that process's own high-water mark (``VmHWM``), not polluted by earlier steps.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from machine_info import cpu_model, cpu_quota, mem_total_gb, package_version

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
DATA_DIR = BENCH_DIR / "data"
RESULTS_DIR = BENCH_DIR / "results"
QUICK_RESULTS_DIR = RESULTS_DIR / "quick"
MARKER = "@@BENCH-RESULT@@"
PYTHON = sys.executable
#: where the public datasets are (``--datasets``' default): ``shared/datasets`` beside the repo
DATASETS_DIR = ROOT.parent / "shared" / "datasets"


def load_average() -> list[float]:
    """The load average now (1, 5 and 15 minutes), rounded to 2 decimals, as results record it."""
    return [round(x, 2) for x in os.getloadavg()]


#: the minutes ``os.getloadavg()``'s three figures average over, in its order
LOAD_WINDOWS_MIN = (1, 5, 15)


def load_text(loads: Sequence[float] | None, windows: bool = True) -> str:
    """A recorded load average as every page prints it: its figures to 2 decimals and the
    windows they average over ("4.20 / 3.62 / 4.13 (1, 5, 15 min)"; a Python list printed
    "[4.2, 3.62, 4.13]", no unit), or "not recorded". ``windows=False`` leaves the windows
    out, for a list of load averages whose heading says them once."""
    if not loads:
        return "not recorded"
    figures = [float(x) for x in loads][:len(LOAD_WINDOWS_MIN)]
    said = ", ".join(str(w) for w in LOAD_WINDOWS_MIN[:len(figures)])
    return " / ".join(f"{x:.2f}" for x in figures) + (f" ({said} min)" if windows else "")


# the load average when this script's process started (a benchmark imports this module first):
# machine_facts() runs when the result is written, at the end of the run, and the load then is
# not the load the run started under
LOAD_AVERAGE_AT_START = load_average()


def results_dir(quick: bool) -> Path:
    d = QUICK_RESULTS_DIR if quick else RESULTS_DIR
    d.mkdir(parents=True, exist_ok=True)
    return d


# --------------------------------------------------------------------------------------------
# Machine facts
# --------------------------------------------------------------------------------------------


def _git_commit() -> str | None:
    """HEAD's short hash, with ``+dirty`` when tracked files (other than the results the
    benchmarks write themselves) differ from it: such a run measured code no commit holds.
    The pages and images the benchmarks render (``benchmarks/README.md``, the README's result
    blocks, the Studio's screenshots) are no code: a run after another one rendered them,
    before they were committed, measured HEAD's code all the same."""
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                             capture_output=True, text=True, timeout=10)
        commit = out.stdout.strip() or None
        changed = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no", "--", ".",
             ":(exclude)benchmarks/results", ":(exclude,glob)**/*.md",
             ":(exclude,glob)**/*.png"], cwd=ROOT, capture_output=True, text=True,
            timeout=10)
        dirty = changed.returncode == 0 and changed.stdout.strip() != ""
        return None if commit is None else commit + ("+dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return None


def machine_facts() -> dict[str, Any]:
    """CPU, cores, memory, OS, library versions, BLAS, relevant environment variables."""
    blas: list[dict[str, Any]] = []
    try:
        import numpy  # noqa: F401  (loads the BLAS that threadpoolctl reports)
        from threadpoolctl import threadpool_info

        blas = [{k: d.get(k) for k in ("internal_api", "version", "num_threads",
                                       "architecture")} for d in threadpool_info()
                if d.get("user_api") == "blas"]  # not implicit's OpenMP, when imported
    except Exception:
        pass
    env = {k: v for k, v in os.environ.items()
           if k.startswith(("OPENBLAS_", "OMP_", "MKL_")) or k in ("PYTHONHASHSEED",)}
    return {
        "cpu_model": cpu_model(),
        "cores": os.cpu_count(),
        "cores_available": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
        else os.cpu_count(),
        "cpu_quota": cpu_quota(),  # a cgroup's CPU limit (a container's), or None
        "memory_gb": mem_total_gb(),
        "os": platform.platform(),
        "python": platform.python_version(),
        "load_average_at_start": list(LOAD_AVERAGE_AT_START),
        "load_average_at_end": load_average(),
        "versions": {m: package_version(m) for m in (
            "film-audience-engine", "implicit", "numpy", "scipy", "pyarrow", "fastapi",
            "uvicorn", "threadpoolctl")},
        "blas": blas,
        "environment": env,
        "git_commit": _git_commit(),
        "shared_machine_note": "the machine may be shared with other jobs (see the load "
                               "averages): figures are noisy; ratios are measured against a "
                               "baseline in the same run.",
    }


def provenance(m: dict[str, Any] | None) -> str:
    """``commit abc1234, AMD EPYC (2 cores)`` from :func:`machine_facts`, or says that the
    result file predates their recording (no figure without its source)."""
    if not m:
        return "commit and CPU not recorded"
    # a run measured on a helper's branch names the commit its code landed as on main
    # (``landed_as``, with what differs), as its own commit is on no branch of the project
    landed = m.get("landed_as")
    where = f", landed as {landed['commit']}: {landed['differs']}" if landed else ""
    return (f"commit {m.get('git_commit') or 'unknown'}{where}, {m.get('cpu_model')} "
            f"({m.get('cores')} cores)")


def run_end(machine: dict[str, Any]) -> str:
    """When a run ended, UTC ISO 8601 (``finished``), and the load average then written into
    its ``machine_facts`` (``load_average_at_end``): a script that takes the machine facts at
    its start recorded the start's load twice and, before, no day at all."""
    machine["load_average_at_end"] = load_average()
    return datetime.now(UTC).isoformat(timespec="seconds")


def run_date(doc: dict[str, Any]) -> str:
    """When a result's run ended, as a page says it ("on 2026-12-07T04:40:52+00:00", from
    ``finished``), or that the file predates that record: cold_calibration.md, foldin.md and
    four other pages named the commit and the CPU of their run but not its day."""
    when = doc.get("finished") or doc.get("generated")
    return f"on {when}" if when else "on a day its result file does not record"


#: what a page's source line says of the machine after its load average
SHARED_MACHINE = ("(shared machine: absolute times are noisy, ratios within a run are the robust "
                  "figures).")


def page_header(doc: dict[str, Any], title: str, script: str, *, data: bool = False,
                then: str = " " + SHARED_MACHINE) -> list[str]:
    """A results page's first lines: ``# title``, then its source line ("Source:
    `benchmarks/SCRIPT` [--quick], FINISHED (commit, CPU); [data: DATA; ]load average at start
    ... on N CPUs") ended by ``then`` (the shared-machine sentence unless given), from a
    :func:`write_result` document (``data=True`` names its ``data``)."""
    m = doc["machine"]
    said = f"data: {doc['data']}; " if data else ""
    return [f"# {title}", "",
            f"Source: `benchmarks/{script}`{' --quick' if doc['quick'] else ''}, "
            f"{doc['finished']} ({provenance(m)}); {said}load average at start "
            f"{load_text(m.get('load_average_at_start'))} on {m.get('cores_available', '?')} "
            f"CPUs{then}", ""]


# --------------------------------------------------------------------------------------------
# Timing statistics
# --------------------------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0..100), linear interpolation (numpy's default)."""
    return float(np.percentile(np.asarray(values, dtype=np.float64), q))


def stats(values: Sequence[float], scale: float = 1.0, digits: int = 4) -> dict[str, Any]:
    """median/p50, p90, p99, min, max, mean and n of ``values`` x ``scale``."""
    v = np.asarray(values, dtype=np.float64) * scale
    if v.size == 0:
        return {"n": 0}
    return {
        "n": int(v.size),
        "median": round(float(np.median(v)), digits),
        "p50": round(percentile(v, 50), digits),
        "p90": round(percentile(v, 90), digits),
        "p99": round(percentile(v, 99), digits),
        "min": round(float(v.min()), digits),
        "max": round(float(v.max()), digits),
        "mean": round(float(v.mean()), digits),
    }


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


# --------------------------------------------------------------------------------------------
# Memory
# --------------------------------------------------------------------------------------------


def proc_status(pid: int | str = "self") -> dict[str, int]:
    """``Vm*``/``Rss*`` lines of ``/proc/<pid>/status`` in kB (empty when unavailable)."""
    out: dict[str, int] = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, rest = line.partition(":")
            if key.startswith(("Vm", "Rss")):
                parts = rest.split()
                if parts and parts[0].isdigit():
                    out[key] = int(parts[0])
    except OSError:
        pass
    return out


def peak_rss_mb(pid: int | str = "self") -> float | None:
    """High-water mark of a process's resident memory (VmHWM), in MB."""
    kb = proc_status(pid).get("VmHWM")
    if kb is None and pid == "self":
        kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return None if kb is None else round(kb / 1024, 1)


def rss_mb(pid: int | str = "self") -> float | None:
    kb = proc_status(pid).get("VmRSS")
    return None if kb is None else round(kb / 1024, 1)


def children_of(pid: int) -> list[int]:
    """All descendants of ``pid`` (via /proc/<pid>/task/*/children)."""
    found: list[int] = []
    todo = [pid]
    while todo:
        p = todo.pop()
        try:
            for task in Path(f"/proc/{p}/task").iterdir():
                kids = (task / "children").read_text().split()
                for k in kids:
                    found.append(int(k))
                    todo.append(int(k))
        except OSError:
            continue
    return found


# --------------------------------------------------------------------------------------------
# Workers: one step in a fresh process
# --------------------------------------------------------------------------------------------


class WorkerError(RuntimeError):
    pass


def run_worker(script: str | Path, step: str, params: dict[str, Any] | None = None,
               timeout: float = 3600, nice: int = 0) -> dict[str, Any]:
    """Run ``python script --worker step --params JSON`` and return the dict the step returned,
    with ``peak_rss_mb`` (the worker's VmHWM) and ``wall_s`` (whole process) added."""
    cmd = [PYTHON, str(script), "--worker", step, "--params", json.dumps(params or {})]
    env = dict(os.environ)
    env.setdefault("PYTHONUNBUFFERED", "1")
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=None, text=True,
                            env=env, preexec_fn=(lambda: os.nice(nice)) if nice else None)
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise WorkerError(f"{Path(script).name} --worker {step} timed out after {timeout} s"
                          ) from None
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise WorkerError(f"{Path(script).name} --worker {step} failed (exit "
                          f"{proc.returncode}); its output:\n{out[-3000:]}")
    for line in reversed(out.splitlines()):
        if line.startswith(MARKER):
            result: dict[str, Any] = json.loads(line[len(MARKER):])
            result.setdefault("process_wall_s", round(wall, 3))
            return result
    raise WorkerError(f"{Path(script).name} --worker {step} printed no result:\n{out[-3000:]}")


def run_command(cmd: Sequence[str], timeout: float = 3600, env: dict[str, str] | None = None
                ) -> dict[str, Any]:
    """Run a command; its wall time, exit status and peak RSS (from ``wait4``'s rusage)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(list(cmd), cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True,
                            env=dict(os.environ, **(env or {})))
    deadline = t0 + timeout
    assert proc.stdout is not None
    output: list[str] = []
    # read until EOF, then reap with wait4 for this child's own resource usage
    for line in proc.stdout:
        output.append(line)
        if time.perf_counter() > deadline:
            proc.kill()
            break
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - t0
    return {"wall_s": round(wall, 3), "returncode": proc.returncode,
            "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
            "user_s": round(usage.ru_utime, 2), "sys_s": round(usage.ru_stime, 2),
            "output": "".join(output)[-4000:]}


def worker_main(steps: dict[str, Callable[..., dict[str, Any]]],
                argv: Sequence[str] | None = None) -> bool:
    """If this process was started as a worker, run the step, print its result and return
    True; otherwise return False (the caller runs its normal main)."""
    args = list(sys.argv[1:] if argv is None else argv)
    if "--worker" not in args:
        return False
    ap = argparse.ArgumentParser()
    ap.add_argument("--worker", required=True, choices=sorted(steps))
    ap.add_argument("--params", default="{}")
    ns = ap.parse_args(args)
    result = steps[ns.worker](**json.loads(ns.params))
    result["peak_rss_mb"] = peak_rss_mb()
    sys.stdout.flush()
    print(MARKER + json.dumps(result), flush=True)
    return True


# --------------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------------


def write_result(name: str, payload: dict[str, Any], quick: bool) -> Path:
    """Write ``results[/quick]/<name>.json`` with machine facts and a timestamp."""
    out = results_dir(quick) / f"{name}.json"
    doc = {
        "benchmark": name,
        "quick": quick,
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine_facts(),
        **payload,
    }
    tmp = out.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(doc, indent=1, default=_json_default) + "\n")
    tmp.replace(out)
    print(f"wrote {out.relative_to(ROOT)}", file=sys.stderr)
    return out


def write_json_and_md(out: Path, result: dict[str, Any],
                      markdown: Callable[[dict[str, Any]], str]) -> None:
    """``OUT.json`` (``result``) and ``OUT.md`` (``markdown(result)``), their folder made, each
    written whole (``atomic_file``): the pair a script not run by ``run_all.py`` writes."""
    from recommender.io.atomic import atomic_file

    out.parent.mkdir(parents=True, exist_ok=True)
    for suffix, text in ((".json", json.dumps(result, indent=1) + "\n"), (".md", markdown(result))):
        with atomic_file(out.with_suffix(suffix)) as tmp:
            Path(tmp).write_text(text, encoding="utf-8")


def read_result(name: str, quick: bool) -> dict[str, Any] | None:
    p = results_dir(quick) / f"{name}.json"
    if not p.is_file():
        return None
    data: dict[str, Any] = json.loads(p.read_text())
    return data


def saved_result(name: str, quick: bool, script: str) -> dict[str, Any]:
    """``results[/quick]/<name>.json`` for a render-only run, or exit with one line naming the
    missing file and the script that writes it (no traceback, nothing rewritten)."""
    data = read_result(name, quick)
    if data is None:
        path = (QUICK_RESULTS_DIR if quick else RESULTS_DIR) / f"{name}.json"
        raise SystemExit(f"{path.relative_to(ROOT)} is missing: run benchmarks/{script}"
                         + (" --quick" if quick else "") + " to measure it; nothing was "
                         "rewritten")
    return data


def write_store_page(name: str, quick: bool,
                     render: Callable[[dict[str, Any], dict[str, Any] | None], str]) -> None:
    """``<name>.md`` of a store benchmark from its saved SQLite run (``<name>.json``) and the
    PostgreSQL run beside it (``<name>_postgres.json``), if any: ``render(sqlite, postgres)``;
    a PostgreSQL run alone: ``render(postgres, None)``, its part only; neither: nothing written."""
    sqlite_doc, pg = read_result(name, quick), read_result(f"{name}_postgres", quick)
    page = results_dir(quick) / f"{name}.md"
    if sqlite_doc is not None:
        page.write_text(render(sqlite_doc, pg))
    elif pg is not None:
        page.write_text(render(pg, None))
    log(f"wrote {page}")


def _json_default(o: Any) -> Any:
    if isinstance(o, np.integer):
        return int(o)
    if isinstance(o, np.floating):
        return float(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, Path):
        return str(o)
    raise TypeError(f"not JSON serialisable: {type(o)}")


def log(msg: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {msg}", file=sys.stderr, flush=True)


def base_args(description: str) -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--quick", action="store_true", help="small sizes, fewer repeats")
    return ap


def add_datasets(ap: argparse.ArgumentParser, help: str | None = None) -> None:
    """``--datasets DIR`` (a ``Path``): the folder of the public datasets, ``DATASETS_DIR``
    unless given."""
    ap.add_argument("--datasets", type=Path, default=DATASETS_DIR, help=help)


def main_shape(quick: bool) -> Any:
    """The shape the single-size benchmarks use: ML-20M, or 1M interactions with --quick."""
    from scale_data import shape_by_name

    return shape_by_name("1m" if quick else "ml20m")


def ensure_data(shape: Any) -> Path:
    from scale_data import ensure

    return ensure(shape)


def model_dir(shape: Any) -> Path:
    return DATA_DIR / f"{shape.name}-model"


def ensure_model(shape: Any, factors: int = 64, iterations: int = 15) -> Path:
    """The model trained on ``shape`` (``recommender train``), trained if missing."""
    folder = ensure_data(shape)
    out = model_dir(shape)
    meta = out / "meta.json"
    if meta.is_file():
        m = json.loads(meta.read_text())
        p = m.get("params", {})
        d = m.get("data", {})
        if (p.get("factors"), p.get("iterations"), d.get("interactions")) == (
                factors, iterations, shape.interactions):
            return out
    log(f"training the {shape.name} model for the query benchmarks -> {out}")
    res = run_command(train_command(folder, out, factors, iterations))
    if res["returncode"] != 0:
        raise WorkerError(f"recommender train failed:\n{res['output']}")
    return out


def campaign_demo(work: Path, quick: bool) -> tuple[Path, Path, str]:
    """The demo log the campaign benchmarks plan on (seed 7; 3,000 users x 400 films x
    100,000 interactions, or 1,000 x 120 x 20,000 with ``quick``) under ``work/data`` and a
    64-factor model trained on it with ``--no-tune`` under ``work/model``: (data folder,
    model folder, the words a result's ``data`` says them in)."""
    import shutil

    from recommender.io import demo

    users, films, interactions = (1000, 120, 20_000) if quick else (3000, 400, 100_000)
    log(f"demo data {(users, films, interactions)} and a 64-factor model ...")
    folder = demo.generate(work / "data", seed=7, n_users=users, n_films=films,
                           n_interactions=interactions)
    exe = shutil.which("recommender", path=str(Path(sys.executable).parent))
    subprocess.run(([exe] if exe else [sys.executable, "-m", "recommender.cli"]) + [
        "train", "--data", str(folder), "--out", str(work / "model"), "--no-tune",
        "--factors", "64"], check=True, stdout=subprocess.DEVNULL)
    return folder, work / "model", (f"demo {users:,} users x {films:,} films x "
                                    f"{interactions:,} interactions, 64 factors")


def recommender_bin() -> str:
    cand = Path(PYTHON).parent / "recommender"
    return str(cand) if cand.exists() else "recommender"


def train_command(folder: Path, out: Path, factors: int = 64, iterations: int = 15
                  ) -> list[str]:
    return [recommender_bin(), "train", "--data", str(folder / "interactions.parquet"),
            "--films", str(folder / "films.csv"), "--users", str(folder / "users.csv"),
            "--out", str(out), "--factors", str(factors), "--iterations", str(iterations)]
