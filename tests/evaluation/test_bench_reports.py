"""The benchmark renderers (benchmarks/*.py): every figure they print has its unit and source,
and a figure that does not exist reads as such, not as a malformed number."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest
from helpers import load_benchmark

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "benchmarks" / "results"


def _bench(name: str) -> ModuleType:
    return load_benchmark(name)


def _unscored_row() -> dict[str, object]:
    """A target row of a split where no film had 5+ test viewers (ml-100k / sparse5, time)."""
    return {"dataset": "ml-100k / sparse5", "protocol": "time",
            "metric": "audience_recall@100", "engine": None, "no_tune": None, "best": "ease",
            "best_value": None, "ratio": float("nan"), "target": 1.05, "low": None,
            "high": None, "measured": False, "met": False, "queries": 0}


def test_a_row_with_nothing_to_score_has_no_ratio_and_no_best_baseline() -> None:
    """The quality tables printed "n/ax" as the ratio and "EASE n/a" as the best baseline of
    a split where no model scored anything (README, Evaluation and defaults)."""
    q = _bench("quality_report")
    row = _unscored_row()
    assert q.ratio_cell(row) == "n/a (nothing to score)"
    assert q.best_cell(row) == "n/a"
    scored = {**row, "engine": 0.5, "best_value": 0.4, "ratio": 1.25, "measured": True}
    assert q.ratio_cell(scored) == "1.250x"
    assert q.best_cell(scored) == "EASE 0.4000"


def test_no_rendered_quality_report_prints_a_unit_after_n_a() -> None:
    for path in [ROOT / "README.md", *sorted((ROOT / "benchmarks" / "results").glob("*.md"))]:
        assert "n/ax" not in path.read_text(encoding="utf-8"), path


def _machine(cpu: str, blas_arch: str, env: dict[str, str], uvicorn: str) -> dict[str, object]:
    return {"cpu_model": cpu, "cores": 2, "memory_gb": 23.5, "os": "Linux", "python": "3.11.7",
            "versions": {"numpy": "2.4.6", "uvicorn": uvicorn},
            "blas": [{"internal_api": "openblas", "version": "0.3.31", "num_threads": 2,
                      "architecture": blas_arch}],
            "environment": env, "git_commit": "abc1234", "load_average_at_start": [2.0, 2.0, 2.0]}


def test_the_machine_section_says_which_benchmark_ran_elsewhere() -> None:
    """benchmarks/README.md took the OS, packages, BLAS and BLAS environment of the first
    result file only ("environment: none set") while train.json's run had another kernel, BLAS
    core type and OPENBLAS_* variables set."""
    report = _bench("report")
    xeon = _machine("Xeon", "SkylakeX", {}, "0.54.0")
    epyc = _machine("EPYC", "Haswell", {"OPENBLAS_CORETYPE": "Haswell"}, "0.55.0")
    text = report.machine_facts({"ingest": {"machine": xeon}, "train": {"machine": epyc},
                                 "query": {"machine": xeon}})
    lines = text.splitlines()
    assert lines[0].startswith("- Machine: Xeon") and "(except train: EPYC)" in lines[0]
    assert "uvicorn 0.54.0 (except train: uvicorn 0.55.0)" in lines[1]
    assert "environment: none set (except train:" in lines[2]
    assert "`OPENBLAS_CORETYPE=Haswell`" in lines[2] and "Haswell, 2 threads" in lines[2]
    same = report.machine_facts({"ingest": {"machine": xeon}, "query": {"machine": xeon}})
    assert "except" not in same


def test_the_ingest_figures_name_the_file_the_run_read() -> None:
    """The headline and the target table said "the 20M-row CSV" whatever the run ingested
    (results/quick/headline.md: 1,000,000 rows)."""
    rt = _bench("report_targets")
    ing = {"csv": {"rows": 1_000_000, "total_s": {"median": 0.5},
                   "raw_read_s": {"median": 0.1}}}
    rows = rt.targets({"ingest": ing})
    assert any(t["target"] == "Ingest the 1,000,000-row CSV into the training matrix"
               for t in rows)
    assert "the 1,000,000-row CSV ingests in 0.5 s" in rt.headline({"ingest": ing}, rows)
    assert "20M-row" not in rt.headline({"ingest": ing}, rows)


def test_tuning_md_marks_the_defaults_the_code_has_now() -> None:
    """results/tuning.md marked the 2-CG-step row "shipped defaults" (what TrainConfig had when
    it was run) after the default went back to 3 steps; the README says 3."""
    td = _bench("tune_defaults")
    from recommender.model.config import TrainConfig

    base = {k: v for k, v in TrainConfig().to_dict().items()
            if k in ("weighting", "factors", "iterations", "regularization", "alpha",
                     "cg_steps")}
    now = {"params": base, "mean_relative": 0.99, "worst_relative": 0.96,
           "objective": {"d/random": 0.5}}
    then = {**now, "params": {**base, "cg_steps": base["cg_steps"] - 1}}
    old = {**now, "params": {**base, "weighting": "bm25", "bm25_k1": 1.2, "bm25_b": 0.75}}
    result = {"objective": "o", "ranking": [now, then, old], "shipped_defaults": then,
              "reference": old, "ease_best_validation_objective": {"d/random": 0.4}}
    lines = td.markdown(result, ["d/random"]).splitlines()
    steps = base["cg_steps"]
    assert any(f"cg={steps} (**shipped defaults**)" in line for line in lines)
    assert any(f"cg={steps - 1} (the defaults when this was run)" in line for line in lines)
    assert not any(f"cg={steps - 1} (**shipped" in line for line in lines)


def test_quality_calibration_and_tuning_reports_name_their_commit_and_machine() -> None:
    """quality.json, calibration.json and tuning.json recorded no git commit (tuning.json no
    machine or load average either), so their timings and scores had no source to compare
    against; the reports now say the commit and CPU, or that a file predates them."""
    common = _bench("common")
    facts = {"git_commit": "abc1234", "cpu_model": "AMD EPYC", "cores": 2,
             "load_average_at_start": [1.0, 1.0, 1.0]}
    assert common.provenance(facts) == "commit abc1234, AMD EPYC (2 cores)"
    assert common.provenance(None) == "commit and CPU not recorded"
    cal = _bench("bench_calibration")
    head = cal.markdown({"generated": "2026-01-01T00:00:00+00:00", "seed": 0,
                         "load_average_at_start": [1.0, 1.0, 1.0], "machine": facts,
                         "datasets": []})
    assert "commit abc1234, AMD EPYC (2 cores)" in head
    td = _bench("tune_defaults")
    row = {"params": {"weighting": "binary", "factors": 64, "iterations": 15,
                      "regularization": 30.0, "alpha": 3.0, "cg_steps": 3},
           "mean_relative": 1.0, "worst_relative": 1.0, "objective": {"d/random": 0.5}}
    tuning = {"objective": "o", "ranking": [row], "shipped_defaults": row, "reference": row,
              "ease_best_validation_objective": {"d/random": 0.4}, "machine": facts,
              "generated": "2026-01-01T00:00:00+00:00"}
    assert "commit abc1234" in td.markdown(tuning, ["d/random"])
    for script in ("quality.py", "bench_calibration.py", "tune_defaults.py"):
        assert "common.machine_facts()" in (ROOT / "benchmarks" / script).read_text()


def test_readme_results_help_and_check_change_nothing() -> None:
    """`scripts/readme_results.py --help` rewrote the README (it read no arguments); --check
    says whether a block is stale (a results file newer than the README's copy of it)."""
    import subprocess

    readme = ROOT / "README.md"
    before = readme.read_bytes()
    runs = {flag: subprocess.run([sys.executable, str(ROOT / "scripts" / "readme_results.py"),
                                  flag], capture_output=True, text=True, cwd=ROOT)
            for flag in ("--help", "--check")}
    assert readme.read_bytes() == before
    assert "usage:" in runs["--help"].stdout
    # the committed README is what the committed results render
    assert runs["--check"].returncode == 0, runs["--check"].stderr
    rr = _script("readme_results")
    stale = before.decode("utf-8").replace("| 0.6949 |", "| 0.6948 |", 1)
    assert rr.rendered(stale)[1] == ["quality-audience"]


def test_readme_results_check_covers_every_results_block_of_the_readme() -> None:
    """The README's `results:distribution` block (the forecast table and verdict that
    `bench_distribution.py --render` writes) was in no generator of readme_results.py, so
    `--check` passed over a hand edit of it and `make bench-quality` never refreshed it."""
    import re

    rr = _script("readme_results")
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    names = re.findall(r"<!-- results:([\w-]+):start -->", text)
    known = set(rr.BLOCKS) | set(rr.INLINE)  # a table or section, or a figure in a sentence
    assert names and sorted(set(names)) == sorted(set(names) & known), \
        sorted(set(names) - known)
    edited = text.replace("| baseline: share of users | ", "| baseline: share of users | 9", 1)
    assert edited != text and rr.rendered(edited)[1] == ["distribution"]


def test_each_readme_results_block_names_the_commit_and_day_it_was_measured_at(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The README's result blocks named no run: its scaling table quoted query and HTTP
    figures of 2026-11-27 (commit 0e62dda) beside train's of 2026-12-06, the fold-in table a
    run of commit c382b6d, with nothing to tell a reader they were older than the code."""
    import re

    rr = _script("readme_results")
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = dict(re.findall(r"<!-- results:([\w-]+):start -->\n(.*?)\n<!-- results:", text,
                             flags=re.S))
    for name in ("foldin", "scaling", "quality-audience", "distribution", "intervals"):
        last = blocks[name].splitlines()[-1]
        assert last.startswith("Measured at: "), (name, last)
        for stem in rr.SOURCES[name]:
            doc = json.loads((RESULTS / f"{stem}.json").read_text(encoding="utf-8"))
            # quality.py keeps the machine as a line and its facts apart
            facts = doc["machine_facts"] if stem == "quality" else doc["machine"]
            assert f"`benchmarks/results/{stem}.json`: commit {facts['git_commit']}" \
                in last, (name, last)
    assert "query.json`: commit 0e62dda, 2026-11-27" in blocks["scaling"].splitlines()[-1]
    # a new run of one file changes the blocks that quote it, and only those
    for page in [*RESULTS.glob("*.*"), *RESULTS.glob("quick/*.json")]:
        (tmp_path / page.relative_to(RESULTS)).parent.mkdir(exist_ok=True)
        (tmp_path / page.relative_to(RESULTS)).write_bytes(page.read_bytes())
    doc = json.loads((RESULTS / "foldin.json").read_text(encoding="utf-8"))
    doc["machine"]["git_commit"] = "abc1234"
    doc["finished"] = "2027-01-02T03:04:05+00:00"
    (tmp_path / "foldin.json").write_text(json.dumps(doc), encoding="utf-8")
    monkeypatch.setattr(rr, "RESULTS", tmp_path)
    new, changed = rr.rendered(text)
    assert changed == ["foldin"]
    assert "`benchmarks/results/foldin.json`: commit abc1234, 2027-01-02." in new


def test_readme_examples_help_changes_nothing() -> None:
    """`scripts/readme_examples.py --help` took `--help` for the model folder: a traceback."""
    import subprocess

    readme = ROOT / "README.md"
    before = readme.read_bytes()
    run = subprocess.run([sys.executable, str(ROOT / "scripts" / "readme_examples.py"),
                          "--help"], capture_output=True, text=True, cwd=ROOT)
    assert readme.read_bytes() == before
    assert run.returncode == 0 and "usage:" in run.stdout, run.stderr


def test_readme_examples_show_the_demo_folders_not_a_scratch_one() -> None:
    """The HTTP examples were once regenerated from a model under /tmp: /health showed that
    scratch folder as the served path and the data source. They come from `make demo`'s
    build/demo-model and build/demo-data; a server without keys (the examples') shows neither
    folder in full (the admin key alone sees paths), so the served path is null and the data
    source its folder's name."""
    ex = _script("readme_examples")
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text[text.index(ex.START):text.index(ex.END)]
    assert '"path":null' in block
    assert '"data_source":"demo-data"' in block
    assert "/tmp/" not in block


def _script(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_render_only_runs_name_a_missing_result_file(monkeypatch: pytest.MonkeyPatch) -> None:
    """`bench_slate.py --render`, `bench_campaigns.py --render` and `bench_distribution.py
    --render` ended in a FileNotFoundError traceback without their JSON; `run_all.py --report`
    wrote a headline of "n/a" figures, which readme_results.py then copied into the README."""
    common = _bench("common")
    with pytest.raises(SystemExit, match=r"nothing\.json is missing: run benchmarks/x\.py"):
        common.saved_result("nothing", False, "x.py")
    run_all = _bench("run_all")
    monkeypatch.setattr(run_all.common, "read_result",
                        lambda name, quick: None if name == "ingest" else {"machine": {}})
    monkeypatch.setattr(run_all, "plots", lambda r, out: pytest.fail("rendered"))
    with pytest.raises(SystemExit, match="lacks ingest.json"):
        run_all.render(False)


def test_the_training_section_shows_the_command_and_matrix_that_were_measured() -> None:
    """benchmarks/README.md showed `recommender train ...` without the `--no-tune` that
    bench_train.py runs (the command as shown tunes, about 1.07x longer), and called the
    binary confidence matrix of the measured runs "BM25"."""
    report = _bench("report")
    recorded = "recommender train --out MODEL_DIR (+ --config with the parameters above)"
    assert report.no_tune(recorded) == ("recommender train --out MODEL_DIR --no-tune "
                                        "(+ --config with the parameters above)")
    assert report.no_tune("recommender train --no-tune") == "recommender train --no-tune"
    readme = (ROOT / "benchmarks" / "README.md").read_text(encoding="utf-8")
    assert "BM25" not in readme
    assert "| Whole `recommender train --no-tune` (load Parquet, train, save) |" in readme
    assert "--no-tune (+ --config" in (ROOT / "benchmarks" / "bench_train.py").read_text()


def test_the_quick_page_says_its_analysis_is_about_the_full_run(tmp_path: Path) -> None:
    """results/quick/README.md carried analysis.md verbatim: "the floor itself is above 2 ms in
    this run" beside a quick floor of 0.09 ms."""
    report = _bench("report")
    analysis = tmp_path / "analysis.md"
    analysis.write_text("The floor itself is above 2 ms in this run.\n")
    quick = report.analysis_section(analysis, quick=True)
    assert "Written about the full run" in quick and "above 2 ms" in quick
    assert "Written about the full run" not in report.analysis_section(analysis)
    text = (ROOT / "benchmarks" / "analysis.md").read_text(encoding="utf-8")
    assert "just below it" not in text  # quality.md has ml-100k time user recall above EASE


def test_the_readme_quotes_no_cg_steps_figure_without_a_results_file() -> None:
    """README, Evaluation and defaults: "0.74-0.82x the time per ALS iteration" and "by about
    6%" came from runs no results file keeps (only commit messages describe them)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "0.74–0.82×" not in readme and "by about 6%" not in readme
    # benchmarks/analysis.md (rendered verbatim into benchmarks/README.md) quoted it too, and
    # "about a quarter less" for the explanations, from no results file either
    for page in ("analysis.md", "README.md"):
        text = (ROOT / "benchmarks" / page).read_text(encoding="utf-8")
        assert "by about 6%" not in text and "about a quarter less" not in text, page
    assert "the `cg=` rows of\n[`benchmarks/results/tuning.md`]" in readme


def test_memory_figures_say_mib_and_the_query_count_is_the_runs() -> None:
    """benchmarks/README.md printed the model folder in 10^6-byte MB and resident memory in
    MiB both as "MB", named "2,000 queries" for the quick run's 600, and the all-films batch
    (one timing) under "every figure is a median"."""
    report = _bench("report")
    q = {"model_bytes": 13_193_478, "load_s": {"n": 5, "p50": 0.2},
         "first_audience_after_load_s": {"p50": 0.01}, "rss_after_load_mb": 146.6,
         "peak_rss_queries_mb": 205.2, "films": 5980, "batch_all_films_s": 0.72,
         "audience_ms": {"n": 300}, "recommend_ms": {"n": 300},
         "recommend_no_explain_ms": {"n": 300}}
    text = report.model_table(q)
    assert "| Resident memory after load | 147 MiB |" in text
    # bench_query.step_queries asks each user's recommendations twice (with and without
    # explanations): 300 audiences and 600 recommendation calls, not "600 queries"
    assert "| Peak memory, load + 900 queries + batch | 205 MiB |" in text
    assert "one run" in text


def test_the_simulator_table_prints_uplift_in_the_points_it_names() -> None:
    """results/campaigns.md said "uplift in conversion-rate points" above 0.1865 [0.0931,
    0.1894]: rate differences (0-1), a hundredth of the points `campaign report` prints."""
    bc = _bench("bench_campaigns")
    import json

    doc = json.loads((ROOT / "benchmarks" / "results" / "campaigns.json").read_text())
    text = bc.render(doc)
    run = doc["simulator"]["runs"][0] if "simulator" in doc else None
    assert run is not None
    u = run["reported_uplift"]
    row = next(line for line in text.splitlines() if line.startswith(f"| {run['seed']} | "))
    assert row.split(" | ")[1:3] == [
        f"{100 * run['planted_uplift']:.2f}",
        f"{100 * u['estimate']:.2f} [{100 * u['low']:.2f}, {100 * u['high']:.2f}]"]
    assert "| planted uplift (pts) |" in text


def test_search_md_names_the_unit_and_direction_of_every_column() -> None:
    """results/search.md had a bare "p90" column (not a median, though the text said medians
    in milliseconds), a "ratio" column with no direction, and no commit."""
    import json

    bs = _bench("bench_search")
    doc = json.loads((ROOT / "benchmarks" / "results" / "search.json").read_text())
    text = bs.markdown(doc)
    assert ("| engine ms (median) | engine ms (p90) | substring ms (median) | engine / "
            "substring (medians) |") in text
    assert f"commit {doc['machine']['git_commit']}" in text


def test_a_run_on_changed_code_is_stamped_dirty(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """The commit a result records says when tracked files differ from it (the run measured
    code no commit holds); the results the benchmarks write themselves do not count."""
    import subprocess

    common = _bench("common")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-C", str(tmp_path)]
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / "benchmarks" / "results").mkdir(parents=True)
    (tmp_path / "code.py").write_text("x = 1\n")
    (tmp_path / "benchmarks" / "results" / "a.json").write_text("{}\n")
    (tmp_path / "docs" / "studio").mkdir(parents=True)
    for page in ("README.md", "benchmarks/README.md", "docs/studio/film.png"):
        (tmp_path / page).write_text("committed\n")
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "c"], check=True)
    head = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True,
                          text=True, check=True).stdout.strip()
    monkeypatch.setattr(common, "ROOT", tmp_path)
    (tmp_path / "benchmarks" / "results" / "a.json").write_text('{"new": 1}\n')
    (tmp_path / "scratch.txt").write_text("untracked\n")
    assert common._git_commit() == head
    # a README a benchmark rendered (run_all.py, bench_distribution.py, readme_results.py)
    # and the Studio's screenshots: no code changed
    (tmp_path / "README.md").write_text("rendered\n")
    (tmp_path / "benchmarks" / "README.md").write_text("rendered\n")
    (tmp_path / "docs" / "studio" / "film.png").write_bytes(b"png")
    assert common._git_commit() == head
    (tmp_path / "code.py").write_text("x = 2\n")
    assert common._git_commit() == head + "+dirty"


def test_the_load_average_at_start_is_taken_when_the_run_starts(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """machine_facts() runs when write_result writes the file, at the end of a run, and its
    "load_average_at_start" (the README's "when each benchmark started") was the load then:
    results/slate.json recorded [3.8, 3.92, 3.12] there against its own [2.17, 2.45, 2.37]
    taken at the start."""
    import os

    monkeypatch.setattr(os, "getloadavg", lambda: (1.0, 1.0, 1.0))
    common = _bench("common")
    monkeypatch.setattr(os, "getloadavg", lambda: (9.0, 9.0, 9.0))
    facts = common.machine_facts()
    assert facts["load_average_at_start"] == [1.0, 1.0, 1.0]
    assert facts["load_average_at_end"] == [9.0, 9.0, 9.0]


def test_scaling_reuses_only_the_train_and_query_results_of_its_own_run() -> None:
    """bench_scaling.py took its ML-20M point from whatever train.json and query.json were
    there ("when those were measured in this run", said its docstring): results/scaling.json
    kept a 166 s train() and 149 s bare fit beside train.json's later 57 s bare fit."""
    from datetime import UTC, datetime

    bs = _bench("bench_scaling")
    shape = {"name": "ml20m", "interactions": 20}
    since = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
    fresh = {"shape": shape, "finished": "2026-12-03T09:07:04+00:00"}
    assert bs.reusable(fresh, shape, since)
    assert not bs.reusable({**fresh, "finished": "2026-11-27T18:25:06+00:00"}, shape, since)
    assert not bs.reusable(fresh, shape, None)
    assert not bs.reusable(fresh, {**shape, "interactions": 5}, since)
    assert not bs.reusable({"shape": shape}, shape, since)
    assert not bs.reusable(None, shape, since)


def test_the_quality_report_reads_its_iterations_and_viewer_floor_from_the_result() -> None:
    """quality_report.py typed "iterations (15)" and "films with 5+ test viewers" into its
    prose: a run with other defaults or another floor would have been described wrongly."""
    q = _bench("quality_report")
    result = {"generated_by": "benchmarks/quality.py", "generated": "2026-01-01T00:00:00+00:00",
              "machine": "x86_64", "load_average_start": [1.0], "load_average_end": [1.0],
              "seconds": 1.0, "seed": 0, "k": 100, "user_k": 20, "variants": ["full"],
              "engine_defaults": {"weighting": "binary", "factors": 64, "regularization": 30.0,
                                  "alpha": 3.0, "iterations": 25},
              "min_test_viewers": 7, "reports": {},
              "lodo": {"configs": ["a", "b", "c"], "held_out": {}}}
    text = q.markdown(result)
    assert "its acceptance rule and iterations (25)." in text and "(15)" not in text
    assert "films with 7+ test viewers" in text and "5+" not in text


def test_the_leave_one_dataset_out_section_names_what_was_chosen_with_the_held_out_set() -> None:
    """The section said "The `--no-tune` defaults chosen without the dataset they are scored
    on", but every candidate carried weighting, iterations and CG steps that tune_defaults.py
    chose on all three datasets, the held-out one included, around a grid centred the same
    way: only regularization, alpha and factors were left out of the held-out set."""
    q = _bench("quality_report")
    assert q.TUNED_ON == _bench("tune_defaults").DATASETS
    doc = json.loads((ROOT / "benchmarks" / "results" / "quality.json").read_text())
    section = "\n".join(q.lodo_section(doc))
    assert "defaults chosen without the dataset" not in section
    assert section.startswith(
        "## Leave-one-dataset-out: regularization, alpha and factors only")
    assert "Chosen without the dataset they are scored on: regularization, alpha and factors" \
        in section
    d = doc["engine_defaults"]
    assert (f"Chosen with the held-out dataset included: every candidate is built on the "
            f"`--no-tune` defaults (`TrainConfig()`), so each carries {d['weighting']} "
            f"weighting, {d['iterations']} iterations and {d['cg_steps']} CG steps") in section
    assert (f"centred on regularization {d['regularization']:g} / alpha {d['alpha']:g}"
            in section)
    assert "acceptance rule" in section and "ml-100k's time-protocol test split" in section
    rows = [r for r in section.splitlines() if r.startswith("| ml-") or r.startswith("| film")]
    assert rows and all(r.split(" | ")[1] == "yes" for r in rows)
    other = {**doc, "lodo": {**doc["lodo"], "held_out": {
        "unseen": {**next(iter(doc["lodo"]["held_out"].values()))}}}}
    assert "| unseen | no |" in "\n".join(q.lodo_section(other))
    # and the committed page carries the section as rendered
    page = (ROOT / "benchmarks" / "results" / "quality.md").read_text(encoding="utf-8")
    assert section in page


def test_the_spark_table_names_the_tolerance_its_run_judged_by() -> None:
    """spark_agreement.md's column read "within 10%" whatever tolerance the run used."""
    import json

    sa = _bench("spark_agreement")
    doc = json.loads((ROOT / "benchmarks" / "results" / "spark_agreement.json").read_text())
    assert f"| within {doc['tolerance']:.0%} |" in sa.markdown(doc)
    text = sa.markdown({**doc, "tolerance": 0.05})
    assert "| within 5% |" in text and "within 10%" not in text
