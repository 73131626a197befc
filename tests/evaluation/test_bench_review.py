"""The benchmark renderers after the 2026-12-04 review: figures read from the result or the
script's constants (none typed), NaN-safe choices, and pages that say what they are."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from helpers import load_benchmark

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "benchmarks" / "results"


def _load(name: str) -> Any:
    return json.loads((RESULTS / f"{name}.json").read_text(encoding="utf-8"))


def test_the_lodo_choice_ignores_a_nan_objective() -> None:
    """quality.lodo divided each split's objectives by max(objective_key(max(v)), 1e-12): a
    NaN first objective made max(v) NaN, every other config 1e12 times its value, and a NaN
    config's mean NaN, which np.argmax picks."""
    q = load_benchmark("quality")
    nan = math.nan
    val = {"a": {"time": [nan, 0.2, 0.4]}, "b": {"time": [0.1, nan, 0.3]},
           "held": {"time": [1.0, 0.0, 0.0]}}
    best, mean_rel = q.lodo_choice(val, "held", 3)
    assert best == 2
    assert mean_rel.tolist() == pytest.approx([1 / 6, 0.25, 1.0])
    only_nan = {"a": {"time": [nan, nan]}, "b": {"time": [0.1, 0.3]}}
    assert q.lodo_choice(only_nan, "held", 2)[0] == 1
    assert q.lodo_choice({}, "held", 2)[0] == 0


def _row(engine: float, best: float) -> dict[str, Any]:
    qr = load_benchmark("quality_report")
    base = {"audience_recall@100": best, "user_recall@20": best, "films_evaluated": 3,
            "users_evaluated": 3}
    models = {m: dict(base) for m in qr.MODELS}
    models[qr.ENGINE]["audience_recall@100"] = engine
    return {"k": 100, "user_k": 20, "reports": {"d": {"random": {"models": models}}}}


def test_the_engine_above_a_baseline_of_zero_is_met_without_a_ratio() -> None:
    """A row whose best baseline scored 0 and the engine did not read "n/a (nothing to
    score)" in the ratio and met columns, and was left out of the count of measured rows."""
    qr = load_benchmark("quality_report")
    row = next(t for t in qr.targets(_row(0.25, 0.0)) if t["metric"] == "audience_recall@100")
    assert row["measured"] and row["met"] and math.isnan(row["ratio"])
    assert qr.ratio_cell(row) == "undefined (engine above a baseline of 0)"
    assert qr.verdict_cell(row) == "yes (baseline 0)"
    both_zero = next(t for t in qr.targets(_row(0.0, 0.0))
                     if t["metric"] == "audience_recall@100")
    assert not both_zero["measured"] and qr.ratio_cell(both_zero) == "n/a (nothing to score)"


def test_the_calibration_page_reads_its_floor_draws_and_tiers() -> None:
    """calibration.md typed "5+", "median of 20 seeded draws" and the tier shares."""
    bc = load_benchmark("bench_calibration")
    doc = _load("calibration")
    doc.update(min_test_viewers=7, selection_draws=9,
               tiers=[["core", 2.0], ["extended", 3.0], ["broad", 10.0]])
    text = bc.markdown(doc)
    assert "median of 9 seeded draws" in text and "same 7+ selection" in text
    assert "films with 7+ test-period viewers" in text
    assert ("core = top 2% of a film's candidates, extended = next 3%, broad = next 10%, "
            "rest = the other 85%") in text
    assert "20 seeded" not in text and "1%" not in text


def test_the_calibration_page_says_no_tune_and_prints_small_p_readably() -> None:
    """calibration.md said "the defaults of `recommender train`" (which tunes; the script trains
    TrainConfig's, untuned), "two floor rows per view" over a view with one, and printed p
    below 0.0001 as 0.0000 beside a realised / predicted ratio of 541."""
    bc = load_benchmark("bench_calibration")
    text = bc.markdown(_load("calibration"))
    assert "`recommender train --no-tune`" in text and "defaults of `recommender train`" not in text
    assert "Two floor rows per view" not in text
    assert "| 0.0000" not in text and "0.0000 /" not in text and "/ 0.0000" not in text
    assert bc._p(6e-06) == "6.0e-06" and bc._p(0.0123) == "0.0123" and bc._p(None) == "n/a"


def test_the_campaigns_page_says_one_run_the_default_poll_and_who_is_slower() -> None:
    """campaigns.md gave one-run figures (a batch fold-in, one materialisation) beside medians
    unmarked, the visibility figures without saying the servers polled faster than the served
    default (0.1 s against 0.25 s), "ours / implicit = 1.085" without saying ours is the
    slower, and no commit."""
    bc = load_benchmark("bench_campaigns")
    doc = _load("campaigns")
    doc["fold_in"]["ratio_to_implicit"] = 1.5
    text = bc.render(doc)
    assert "fold-in, batch of 1,000 users (one run)" in text
    assert "after 1,000 events (one run)" in text
    assert f"the served default is {bc.default_poll_s():g} s" in text
    assert "= 1.5: ours is slower" in text
    assert f"commit {doc['machine']['git_commit']}" in text
    doc["fold_in"]["ratio_to_implicit"] = 0.5
    assert "= 0.5: ours is faster" in bc.render(doc)


def test_the_campaigns_table_gives_each_goal_its_verdict() -> None:
    """campaigns.md listed goals beside the figures and left the verdicts to the reader."""
    bc = load_benchmark("bench_campaigns")
    doc = _load("campaigns")
    doc["visibility"]["slowest_replica_s"]["p99"] = 1.5
    doc["ingest"]["clients_4"]["events_per_s"] = 4000
    rows = [line for line in bc.render(doc).splitlines() if line.startswith("| ")]
    assert rows[0] == "| measure | result | goal | verdict |"
    table = rows[1:11]
    assert all(line.count("|") == 5 for line in table), table
    verdicts = {line.split("|")[1].strip(): line.split("|")[4].strip() for line in table}
    assert verdicts["ingestion, 4 clients"] == "**missed**"
    assert next(v for k, v in verdicts.items() if k.startswith("visibility")) == "**missed**"
    assert next(v for k, v in verdicts.items() if k.startswith("ingestion, 1 worker")) == "met"


def test_the_slate_studio_and_distribution_pages_name_their_commit() -> None:
    """slate.md, studio.md and distribution.md named no commit (studio's page weight, 135.8
    KiB, is the files' at e0de735; they have grown since), only a date and a load average."""
    slate, studio = _load("slate"), _load("studio")
    text = load_benchmark("bench_slate").markdown(slate, RESULTS / "slate.json")
    assert f"commit {slate['machine']['git_commit']}" in text
    text = load_benchmark("bench_studio").render_md(studio)
    assert f"commit {studio['machine']['git_commit']}" in text
    dist = json.loads((RESULTS / "distribution.json").read_text())
    text = load_benchmark("bench_distribution").markdown(dist)
    assert f"commit {dist['machine']['git_commit']}" in text.splitlines()[2]


def test_the_distribution_timing_rows_read_the_recorded_places() -> None:
    """distribution.md typed "10 places", "5,000" and "screens=1000"; shape.cinemas unused."""
    bd = load_benchmark("bench_distribution")
    labels = dict(bd.timing_labels({"regions": 12, "cinemas": 700, "screens": 90}))
    assert labels == {"region_ms": "by region (12 places)",
                      "cinema_ms": "by cinema (700 places), 90 screens capped by the cinema "
                                   "table"}
    res = json.loads((RESULTS / "distribution.json").read_text())
    res["timing"]["shape"].update(regions=12, cinemas=700, screens=90)
    text = bd.markdown(res)
    assert "| by cinema (700 places), 90 screens capped by the cinema table |" in text


def test_the_distribution_timing_rows_give_their_verdict() -> None:
    """The timing table listed a target beside each p50 and left the verdict to the reader."""
    bd = load_benchmark("bench_distribution")
    res = json.loads((RESULTS / "distribution.json").read_text())
    res["timing"]["region_ms"]["p50"] = 51.0
    rows = {line.split(" | ")[0].lstrip("| "): line for line in bd.markdown(res).splitlines()
            if line.startswith("| by ")}
    assert " | 50 | **missed** | " in rows["by region (10 places)"]
    assert " | 100 | met | " in next(v for k, v in rows.items() if k.startswith("by cinema"))


def test_the_search_page_reads_its_build_count() -> None:
    bs = load_benchmark("bench_search")
    doc = _load("search")
    doc["index_build_s"]["n"] = 7
    assert "(median of 7)" in bs.markdown(doc)


def test_the_studio_page_says_kib_names_chromium_once_and_quick_times_fewer_loads() -> None:
    """studio.md said "KB" for sizes divided by 1024 and "Chromium Chromium 156..."; --quick
    only changed the output folder."""
    st = load_benchmark("bench_studio")
    text = st.render_md(_load("studio"))
    assert "Chromium Chromium" not in text and "(Chromium 1" in text
    assert " KB" not in text and "KiB |" in text
    assert st.chromium_name("156.0") == "Chromium 156.0"
    assert st.repeats(None, True) < st.repeats(None, False)
    assert st.repeats(4, True) == 4


def test_the_studio_page_gives_each_goal_its_verdict() -> None:
    """studio.md listed the goals beside the figures and left the verdicts to the reader."""
    st = load_benchmark("bench_studio")
    doc = _load("studio")
    doc["film_page_ms"]["p50"] = 1200.0
    doc["page_weight"]["total_kb"] = 250.0
    text = st.render_md(doc)
    assert "| ≤ 1000 ms | **missed** |" in text and "KiB | ≤ 300 KiB | met |" in text
    doc["page_weight"]["total_kb"] = 333.5
    assert "| 333.5 KiB | ≤ 300 KiB | **missed** |" in st.render_md(doc)


def test_the_studio_page_weight_measured_again_alone_names_its_own_run() -> None:
    """studio.md said 135.8 KiB "met" from the files at e0de735 (14 files) while the Studio
    had grown to 29 files over 300 KiB: ``--weight-only`` re-measures the weight alone and
    the page names that run's date and commit beside the browser run's."""
    st = load_benchmark("bench_studio")
    doc = _load("studio")
    sources = st.source_weight()
    doc["page_weight"] = {"files": sources, "total_kb": 1.0, "measured": {
        "finished": "2031-01-02T03:04:05+00:00",
        "machine": {"git_commit": "abc1234", "cpu_model": "CPU", "cores": 2,
                    "load_average_at_start": [1.0, 2.0, 3.0]}}}
    line = st.render_md(doc).splitlines()[2]
    assert "on 2031-01-02T03:04:05+00:00 (commit abc1234" in line
    assert f"{len(doc['page_weight']['files'])} files" in line
    assert f"commit {doc['machine']['git_commit']}" in line
    del doc["page_weight"]["measured"]
    assert "2031" not in st.render_md(doc)


def test_the_studio_page_weight_says_it_is_what_is_served_and_keeps_the_sources_apart() -> None:
    """The weight became the bytes the browser receives (the modules sent without their
    comments); the sources' size stands beside it with no goal, and a result from before that
    change is still read as the sources' figure it was, judged as it was."""
    st = load_benchmark("bench_studio")
    doc = _load("studio")
    doc["page_weight"] = {"definition": "served", "files": {"/studio/": 2048},
                          "total_kb": 250.0, "source_kb": 330.0}
    text = st.render_md(doc)
    assert "| the Studio as the browser receives it: every file the page loads" in text
    assert "| 250.0 KiB | ≤ 300 KiB | met |" in text
    assert "comments included (not what is sent) | 330.0 KiB | – | – |" in text
    assert "are not comparable with the first row" in text
    doc["page_weight"] = {"files": {"service/studio/index.html": 2048}, "total_kb": 333.5}
    before = st.render_md(doc)
    assert "| the studio's own files, uncompressed (KiB = 1,024 bytes) | 333.5 KiB | ≤ 300 KiB "\
        "| **missed** |" in before
    assert "receives" not in before


def test_the_scored_share_shows_an_over_count() -> None:
    """The HTTP table capped Scored at 100%, hiding a server that counted more batched
    requests than were sent; the method said "Medians" while errors are summed."""
    report = load_benchmark("report")
    assert report.scored_cell(5079, 5076) == "100.1% (over-count: 5,079 scored of 5,076 sent)"
    assert report.scored_cell(50, 100) == "50%"
    assert report.scored_cell(None, 100) == ""
    hh = {"rounds": 3, "duration_s_per_cell": 10, "max_requests_per_cell": 1000,
          "workers": 1, "load_generator": "wrk", "server": "uvicorn", "zipf_exponent": 1.0}
    assert "*Errors*, the requests behind *Scored*" in report.http_method(hh)


def test_the_planning_page_names_its_goals_and_when_it_finished() -> None:
    bp = load_benchmark("bench_planning")
    doc = _load("planning")
    doc["finished"] = "2030-01-01T00:00:00+00:00"
    bp.GOAL_MEMORY_MB = 999.0
    text = bp.markdown(doc)
    assert "Finished: 2030-01-01T00:00:00+00:00;" in text
    assert "against <= 999 MiB" in text and "2048" not in text


def test_the_planning_page_quotes_the_median_memory_in_mib_and_the_contacts() -> None:
    """planning.md showed (and judged the target on) the median-time run's memory, not the
    median of the runs' (1327.6 of 1327.6, 1386.4, 1340.8), called VmHWM / 1024 "MB", and said
    the planner "beats" the naive plan without its 380 contacts against 212, nor that it
    converts fewer per contact."""
    bp = load_benchmark("bench_planning")
    doc = _load("planning")
    row = doc["scale"][1]
    row.update(beyond_model_mb=1000.0, runs_beyond_model_mb=[1000.0, 3000.0, 2500.0])
    text = bp.markdown(doc)
    assert "| 2500.0 (1000, 3000, 2500) |" in text
    assert "2500.0 MiB beyond the model against <= 2048 MiB (not met)" in text
    assert " MB" not in text
    real = doc["real"][0]["plans"]
    line = next(x for x in text.splitlines() if x.startswith(f"- {doc['real'][0]['dataset']}:"))
    assert (f"from {real['planner']['contacts']} contacts against "
            f"{real['naive']['contacts']} and {real['popularity']['contacts']}") in line
    assert "per contact it converts fewer" in line
    assert "commit " in text.splitlines()[2] and "--no-tune" in text
    assert "one rank curve for every film" in text  # not the per-film model train writes
    # two runs finished (the third timed out): the median is their mean, not the upper one
    row.update(seconds=130.0, runs_seconds=[100.0, 130.0], median_seconds=115.0)
    text = bp.markdown(doc)
    assert "| 115 (100, 130) |" in text and "115 s against <= 120 s (met)" in text


def test_one_stated_suite_duration() -> None:
    """run_all.py's docstring said ~30-45 min, the README ~45-60 min."""
    report = load_benchmark("report")
    run_all = (ROOT / "benchmarks" / "run_all.py").read_text()
    assert " min" not in run_all.split('"""')[1].replace("report.FULL_RUN_MINUTES", "")
    text = report.intro_section({}, False, None)
    assert f"~{report.FULL_RUN_MINUTES} min" in text and "estimates, not recorded" in text


def test_run_all_reads_the_http_blas1_result_it_renders(monkeypatch: pytest.MonkeyPatch) -> None:
    """report.py rendered http_blas1 but run_all never read it (not in SUITE)."""
    run_all = load_benchmark("run_all")
    monkeypatch.setattr(run_all.common, "read_result",
                        lambda name, quick: {"name": name} if name != "scaling" else None)
    r = run_all.read_results(False)
    assert r["http_blas1"] == {"name": "http_blas1"} and r["scaling"] is None
    monkeypatch.setattr(run_all.common, "read_result", lambda name, quick: None)
    assert "http_blas1" not in run_all.read_results(False)


def test_a_kept_copy_of_a_quality_run_says_so(tmp_path: Path) -> None:
    q = load_benchmark("quality")
    result = {"generated_by": "benchmarks/quality.py --names x --out benchmarks/results/q_u"}
    assert q.kept_copy_of(result, tmp_path / "q_u_before") == "q_u"
    assert q.kept_copy_of(result, tmp_path / "q_u") is None
    assert q.kept_copy_of({"generated_by": "benchmarks/quality.py"}, tmp_path / "q") is None


@pytest.mark.parametrize("name", ["quality_unseen", "quality_unseen_before"])
def test_the_unseen_quality_pages_are_what_the_renderer_writes(name: str,
                                                               tmp_path: Path) -> None:
    """Both pages differed from what quality.py --render-only writes from their JSON."""
    import shutil

    q = load_benchmark("quality")
    shutil.copy(RESULTS / "calibration.json", tmp_path / "calibration.json")
    q.write_markdown(_load(name), tmp_path / name)
    rendered = (tmp_path / f"{name}.md").read_text(encoding="utf-8")
    kept = (RESULTS / f"{name}.md").read_text(encoding="utf-8")
    # the kept copy's note names the --out it was rendered with
    assert rendered.replace(str(tmp_path), "benchmarks/results") == kept
    assert ("A kept copy of an earlier run" in kept) == name.endswith("_before")


def test_the_share_of_a_trivial_endpoint_is_taken_from_the_two_req_per_s() -> None:
    """The headline said "224 req/s (12%)": bench_http.py stores the ratio to 3 decimals
    (0.115) and the page rounded that again, where 223.5 / 1944.7 is 11.49%."""
    rf = load_benchmark("report_format")
    h = {"cells": [
        {"server": "trivial", "endpoint": "audience", "traffic": "any", "connections": 16,
         "rps": 1944.7},
        {"server": "engine", "endpoint": "audience", "traffic": "uniform", "connections": 16,
         "rps": 223.5, "rps_ratio_to_trivial": 0.115}]}
    cell = rf.http_cell(h, "engine", "audience", "uniform", 16)
    assert rf.share_of_trivial(h, cell) == pytest.approx(223.5 / 1944.7)
    assert rf.pct(h, cell) == "11%"
    h["cells"] = h["cells"][1:]  # no trivial cell: the stored ratio is all there is
    assert rf.pct(h, cell) == "12%"
    assert rf.pct(h, None) == "n/a"


def test_a_small_multiple_of_count_keeps_its_digits() -> None:
    """store_counts.md printed "0×" for 0.0012 s over 0.0624 s (0.019×)."""
    sc = load_benchmark("bench_store_counts")
    assert sc.multiple(0.0012 / 0.0624) == "0.019×"
    assert sc.multiple(42.4) == "42×" and sc.multiple(1234.0) == "1,234×"


def test_the_sixteen_core_ratios_say_they_rest_on_one_run() -> None:
    """The headline's 16-core "1.36×" and "2.76×" are one run each (n=1 in the JSON) and
    did not say so."""
    rt = load_benchmark("report_targets")
    many = _load("train_16_cores")
    ns = [many["bare_fit_64"]["fit_s"]["n"], many["cli_train"]["wall_s"]["n"],
          many["tuned_train"]["wall_s"]["n"]]
    assert rt.runs_text(many) == ("one run each" if min(ns) == 1
                                  else f"medians of at least {min(ns)} runs")
    three = {k: {kk: {"n": 3}} for k, kk in (("bare_fit_64", "fit_s"), ("cli_train", "wall_s"),
                                             ("tuned_train", "wall_s"))}
    assert rt.runs_text(three) == "medians of at least 3 runs"


def test_the_campaign_ingestion_rows_say_one_timed_run() -> None:
    """campaigns.md's 26,842 and 30,656 events/s are each one timed run over wall time."""
    doc = _load("campaigns")
    text = load_benchmark("bench_campaigns").render(doc)
    for clients in (1, 4):
        figure = f"{doc['ingest'][f'clients_{clients}']['events_per_s']:,} events/s"
        line = next(x for x in text.splitlines() if figure in x)
        assert "one timed run" in line


def test_the_headline_names_the_vms_its_files_ran_on() -> None:
    """The headline called every figure "a shared 2-core VM" while train.json and query.json
    record different machines (CPU model and kernel build)."""
    rt = load_benchmark("report_targets")
    vm = {"cpu_model": "CPU A", "os": "Linux-a", "cores": 2}
    one = {n: {"machine": vm} for n in ("train", "ingest", "query", "http")}
    assert rt.machines_text(one) == "on a shared 2-core VM"
    two = {**one, "train": {"machine": {**vm, "cpu_model": "CPU B", "os": "Linux-b"}}}
    assert rt.machines_text(two) == (
        "on 2 different shared 2-core VMs (`train.json` on CPU B (Linux-b); `ingest.json`, "
        "`query.json`, `http.json` on CPU A (Linux-a))")


def test_the_scaling_note_says_why_its_audience_p50_is_not_the_headline_s() -> None:
    """scaling.json's 1.048 ms and query.json's 3.52 ms for the same call (ML-20M shape)
    came from different runs on different VMs; the benchmark README did not say so."""
    rp = load_benchmark("report")
    sc, q = _load("scaling"), _load("query")
    note = rp.scaling_vs_query(sc, q)
    assert note is not None
    point = next(p for p in sc["points"] if p["users"] == q["shape"]["users"])
    assert f"{point['audience_ms']['p50']:.3f} ms" in note
    assert f"{q['audience_ms']['p50']:.2f} ms" in note
    assert sc["machine"]["os"] in note and q["machine"]["os"] in note
    assert ("different VMs" in note) == (sc["machine"]["os"] != q["machine"]["os"])


def test_a_run_records_its_end_day_and_load() -> None:
    """planning.json, foldin.json and cold_calibration.json kept no day, and the scripts that
    take the machine facts at their start recorded the start's load as the end's."""
    import datetime as dt

    common = load_benchmark("common")
    machine = {"load_average_at_end": [-1.0, -1.0, -1.0]}
    when = common.run_end(machine)
    assert dt.datetime.fromisoformat(when).utcoffset() == dt.timedelta(0)
    assert len(machine["load_average_at_end"]) == 3
    assert all(x >= 0 for x in machine["load_average_at_end"])


def test_the_distribution_page_says_which_clock_its_date_is_on() -> None:
    """distribution.json's "created" was local time with no zone: new runs write UTC ISO."""
    bd = load_benchmark("bench_distribution")
    assert bd.when("2026-12-07T13:00:00+00:00") == "2026-12-07T13:00:00+00:00"
    assert bd.when("2026-12-03 10:11:12") == "2026-12-03 10:11:12 (the machine's local time)"
