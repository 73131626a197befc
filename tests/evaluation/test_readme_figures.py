"""Figures inside README sentences come from result files, as its tables do: the share of demo
users singled out (89%), the old fold-in step's distance (5 to 18x) and a first summary's linear
programmes (7 to 10) were typed by hand, so `scripts/readme_results.py --check` passed over
them whatever the code measured."""

from __future__ import annotations

import importlib.util
import json
from collections import Counter
from pathlib import Path
from types import ModuleType

import pytest
from helpers import load_benchmark

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "benchmarks" / "results"


def _readme_results() -> ModuleType:
    spec = importlib.util.spec_from_file_location("readme_results_inline",
                                                  ROOT / "scripts" / "readme_results.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_stale_figure_in_a_sentence_is_rewritten_on_its_line(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rr = _readme_results()
    for page in ("demo_figures", "privacy_attack"):
        (tmp_path / f"{page}.json").write_text((RESULTS / f"{page}.json").read_text())
    doc = json.loads((RESULTS / "demo_figures.json").read_text())
    doc["singled_out"]["share"] = 0.4321
    doc["fold_in"] = [{**r, "ratio": x} for r, x in zip(doc["fold_in"], (2.5, 7, 11.25),
                                                        strict=False)]
    (tmp_path / "demo_figures.json").write_text(json.dumps(doc))
    monkeypatch.setattr(rr, "RESULTS", tmp_path)
    s, e = "<!-- results:demo-singled-out:start -->", "<!-- results:demo-singled-out:end -->"
    fs, fe = "<!-- results:foldin-old-step:start -->", "<!-- results:foldin-old-step:end -->"
    text = f"intro\n  users, {s}89%{e} are alone; it was {fs}5 to 18×{fe} as far\nnext\n"
    new, changed = rr.rendered(text)
    assert changed == ["demo-singled-out", "foldin-old-step"]
    assert new == (f"intro\n  users, {s}43%{e} are alone; it was {fs}2.5 to 11.25×{fe} as "
                   "far\nnext\n")
    assert rr.rendered(new) == (new, [])


def test_the_slate_figure_says_the_top_film_s_screens_and_the_films_without(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rr = _readme_results()
    doc = json.loads((RESULTS / "demo_figures.json").read_text())
    ranked = [{"film_id": f"f{i}", "screens": n, "expected_new": e}
              for i, (n, e) in enumerate([(9, 6.0), (3, 3.0), (0, 2.0), (0, 1.0)])]
    doc["slate"] = {"films": 4, "screens": 12, "top_screens": 9, "top_share_screens": 6.0,
                    "without_screens": 2, "first_rank_without": 3, "ranked": ranked}
    (tmp_path / "demo_figures.json").write_text(json.dumps(doc))
    monkeypatch.setattr(rr, "RESULTS", tmp_path)
    # the oracle: the share of the 12 screens the top film's 6 of 12 expected new viewers give
    share = 12 * ranked[0]["expected_new"] / sum(r["expected_new"] for r in ranked)
    assert rr.INLINE["demo-slate"]() == (
        f"the catalog's first 4 films on its 12 screens: 9 screens for the top film against "
        f"{share:.1f} by its share of the expected new viewers, none for 2 of the 4, the first "
        "at rank 3 by expected new viewers")


def test_the_tuning_figures_are_the_defaults_cg_rows_over_their_own(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The README's "`--cg-steps 2` scores 0.998 of three steps" and "one step loses 5%" were
    typed from a tuning.json of the arithmetic-mean objective, and its sentence said the run
    kept no commit, whatever tuning.json was rewritten to."""
    rr = _readme_results()
    base = {"model": "als", "weighting": "binary", "factors": 64, "iterations": 15}

    def row(cg: int, mean: float, **other: object) -> dict[str, object]:
        return {"params": {**base, **other, "cg_steps": cg}, "mean_relative": mean,
                "worst_relative": mean, "objective": {}}

    shipped = row(3, 0.8)
    ranking = [row(3, 0.9, iterations=25), shipped, row(2, 0.6), row(3, 0.5, factors=128),
               row(1, 0.4)]
    doc = {"generated": "2031-02-03T04:05:06+00:00", "machine": {"git_commit": "abc1234"},
           "shipped_defaults": shipped, "ranking": ranking}
    (tmp_path / "tuning.json").write_text(json.dumps(doc))
    monkeypatch.setattr(rr, "RESULTS", tmp_path)
    assert rr.INLINE["tuning-cg2"]() == "0.750"  # 0.6 / 0.8
    assert rr.INLINE["tuning-cg1"]() == "0.500"  # 0.4 / 0.8, not the 128-factor row
    assert rr.INLINE["tuning-defaults-rank"]() == "2 of 5"
    assert rr.INLINE["tuning-run"]() == "commit abc1234, 2031-02-03"
    (tmp_path / "tuning.json").write_text(json.dumps({**doc, "shipped_defaults": None}))
    with pytest.raises(SystemExit, match="tune_defaults.py --grid"):
        rr.INLINE["tuning-cg2"]()


def test_the_readme_s_sentence_figures_are_what_the_results_render() -> None:
    rr = _readme_results()
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in rr.INLINE:  # each one in the README, mid-line, and not stale
        start = f"<!-- results:{name}:start -->"
        assert text.count(start) == 1, name
        before = text[:text.index(start)]
        assert not before.endswith("\n") and before.rsplit("\n", 1)[-1].strip(), name
    assert rr.rendered(text)[1] == []


def test_the_share_singled_out_counts_users_alone_on_the_four_attributes(
        tmp_path: Path) -> None:
    bench = load_benchmark("demo_figures")
    rows = [("u1", "30", "F", "sales", "c1"), ("u2", "30", "F", "sales", "c1"),
            ("u3", "30", "F", "sales", "c2"), ("u4", "31", "F", "sales", "c1"),
            ("u5", "30", "M", "", "c1"), ("u6", "30", "M", "", "c1"),
            ("u7", "30", "M", "sales", "c1")]
    path = tmp_path / "users.csv"
    path.write_text("user_id,age,gender,occupation,region,cinema\n"
                    + "".join(f"{u},{a},{g},{o},North,{c}\n" for u, a, g, o, c in rows))
    combos = Counter(r[1:] for r in rows)  # the oracle: a count of each attribute tuple
    alone = sum(1 for r in rows if combos[r[1:]] == 1)
    got = bench.singled_out(path)
    assert got["users"] == len(rows) and got["alone"] == alone == 3
    assert got["share"] == round(alone / len(rows), 4)


def test_the_demo_top_ten_figure_counts_the_films_in_most_users_lists(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The README said "three films are each in most users' top ten" on the demo; five were
    (88.4%, 84.8%, 71.5%, 69.2% and 57.3% of 3,000 users, `recommend --all --k 10`)."""
    rr = _readme_results()
    doc = json.loads((RESULTS / "demo_figures.json").read_text())
    doc["top_ten"] = {"users": 4, "k": 10, "popularity": 0.3, "films_in_most_lists": 2,
                      "most": [{"film_id": "a", "users": 4, "share": 1.0},
                               {"film_id": "b", "users": 3, "share": 0.75},
                               {"film_id": "c", "users": 2, "share": 0.5}]}
    (tmp_path / "demo_figures.json").write_text(json.dumps(doc))
    monkeypatch.setattr(rr, "RESULTS", tmp_path)
    assert rr.INLINE["demo-top-ten"]() == ("where the search picks weight 0.3, 2 films are "
                                           "each in most users' top 10 (100%, 75% of the 4 "
                                           "users)")
    kept = json.loads((RESULTS / "demo_figures.json").read_text())["top_ten"]
    # the stored figure: a film is in "most" lists when more than half the users have it
    assert kept["films_in_most_lists"] == sum(m["users"] * 2 > kept["users"]
                                              for m in kept["most"])


def test_no_readme_figure_says_it_was_timed_by_hand() -> None:
    """A reload's "4 to 25 s", the store's look-ups (0.3 s, now 0.035 s) and migrations (18 s,
    87 to 125 MB) were "timed by hand at commit ..., no benchmark script": each is now a
    results file's figure, and no sentence may say it has none."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    for said in ("timed by hand", "no benchmark script", "counted by hand"):
        assert said not in text, said


def _run(tmp_path: Path, name: str, doc: dict[str, object], quick: bool = False) -> None:
    folder = tmp_path / "quick" if quick else tmp_path
    folder.mkdir(exist_ok=True)
    (folder / f"{name}.json").write_text(json.dumps(
        {"machine": {"git_commit": "abc1234", "load_average_at_start": [5.5, 4.25, 3]},
         "finished": "2031-02-03T04:05:06+00:00",
         "repeats": 3, **doc}))


def test_the_reload_figure_is_the_fold_over_the_filled_stores_only(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rr = _readme_results()
    stores = {"empty": (0, 0, 0.01), "a": (20_000, 2_000, 9.26), "b": (400_000, 8_000, 1.5)}
    _run(tmp_path, "reload", {
        "stores": {k: {"events": e, "users": u} for k, (e, u, _) in stores.items()},
        "seconds": {k: {"fold": {"median": s}} for k, (_, _, s) in stores.items()}})
    monkeypatch.setattr(rr, "RESULTS", tmp_path)
    # the empty store's 0.01 s is no fold: the range is the filled stores' (1.5 and 9.26)
    assert rr.INLINE["reload-fold"]() == (
        "1.5 to 9.3 s for 20,000 or 400,000 events over 2,000 or 8,000 users (medians of 3 "
        "reloads; commit abc1234, 2031-02-03, load average 5.50 / 4.25 / 3.00 (1, 5, 15 min) "
        "at the start)")


def test_the_store_figures_are_their_run_s_medians_and_ratio(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rr = _readme_results()
    median = {"pairs": 0.3, "films_rows": 3.0, "quoted/with_indexes": 0.08,
              "quoted/without_indexes": 2.0, "index_build": 2.3,
              "store_events/with_indexes": 0.9, "store_events/without_indexes": 0.6}
    _run(tmp_path, "store_lookups", {
        "data": {"plan_rows": 1_000_000, "events": 400_000, "quoted_phone_numbers": 2_000,
                 "pairs_checked": 20_000, "event_batch": 10_000},
        "seconds": {k: {"median": v} for k, v in median.items()}})
    _run(tmp_path, "store_migration", {
        "data": {"events": 1_000_000}, "seconds": {"median": 17.6, "n": 3},
        "file": {"before": {"file_mb": 87.2, "free_mb": 0.0},
                 "after": {"file_mb": 125.4, "free_mb": 40.1}}})
    monkeypatch.setattr(rr, "RESULTS", tmp_path)
    run = ("commit abc1234, 2031-02-03, load average 5.50 / 4.25 / 3.00 (1, 5, 15 min) at the "
           "start")
    assert rr.INLINE["store-pairs"]() == (
        "0.30 s for 20,000 pairs beside 1,000,000 stored rows, where reading the films' rows "
        f"took 3.00 s (medians of 3; {run})")
    assert rr.INLINE["store-quoted"]() == (
        "2,000 quoted phone numbers beside 400,000 events and 1,000,000 plan rows took 2.000 s "
        f"on SQLite without those indexes, 0.080 s with them (medians of 3; {run})")
    assert rr.INLINE["store-user-index-write"]().startswith("1.50× the time")  # 0.9 / 0.6
    assert rr.INLINE["store-migration-10"]() == (
        "1,000,000 events took 18 s under the write lock on a shared 2-core host, and the file "
        f"grew from 87 to 125 MB, 40 MB of it free pages (median of 3 migrations; {run})")


def test_the_slate_classes_figure_spans_its_seeds_and_counts_the_matches(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rr = _readme_results()
    rows = [{"cinemas": 2000, "films": 20, "no_demand_share": 0.95, "same_deviation": True,
             "same_screens": same, "solve_s": {"median": s}, "whole_s": {"median": w}}
            for s, w, same in ((0.41, 3.02, True), (0.55, 4.51, False), (0.38, 3.3, True))]
    _run(tmp_path, "slate", {"no_demand": rows, "load_average_at_start": [7.3, 9, 8]},
         quick=True)
    monkeypatch.setattr(rr, "RESULTS", tmp_path)
    assert rr.INLINE["slate-classes"]() == (
        "2,000 cinemas x 20 films, 95% without demand: 0.38-0.55 s against 3.0-4.5 s for the "
        "whole programme, both with the tie stage (medians of 3 runs, over 3 seeds; load "
        "average 7.30 / 9.00 / 8.00 (1, 5, 15 min) at the start; the same deviation and "
        "screens in 2 of 3; commit abc1234, 2031-02-03)")


def test_the_interval_coverage_counts_the_tier_rows_the_interval_holds(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """bench_calibration's coverage count and the README's sentence from it: each tier row's
    realised conversions inside or outside its interval, the rest (no interval) left out.
    Oracle: the rows written here, counted by hand (4 of 8 held: 3 of 4 over every film)."""
    bench = load_benchmark("bench_calibration")
    selected, every = bench.SELECTED_VIEW, bench.EVERY_VIEW

    def rows(realised: list[int]) -> list[dict[str, object]]:
        out: list[dict[str, object]] = [
            {"tier": t, "realised_conversions": r, "interval_conversions": [10.0, 20.0],
             "interval_covers": 10 <= r <= 20} for t, r in zip(("core", "broad"), realised,
                                                                strict=True)]
        return [*out, {"tier": "rest", "realised_conversions": 5, "interval_covers": None}]

    def views(chosen: list[int], whole: list[int]) -> dict[str, object]:
        return {selected: {bench.VARIANTS[0]: {"tiers": rows(chosen)}},
                every: {bench.VARIANTS[0]: {"tiers": rows(whole)}}}

    doc = {"generated": "2031-02-03T04:05:06+00:00", "min_test_viewers": 5,
           "machine": {"git_commit": "abc1234"},
           "datasets": [{"dataset": "d1", "views": views([15, 30], [12, 9])},
                        {"dataset": "d2", "views": views([21, 40], [20, 10])}]}
    doc["interval_coverage"] = bench.coverage(doc)
    assert doc["interval_coverage"]["missed"] == [
        f"d1 / {selected} / broad", f"d1 / {every} / broad", f"d2 / {selected} / core",
        f"d2 / {selected} / broad"]
    (tmp_path / "calibration.json").write_text(json.dumps(doc))
    rr = _readme_results()
    monkeypatch.setattr(rr, "RESULTS", tmp_path)
    assert rr.INLINE["calibration-interval-coverage"]() == (
        "4 of 8 tier rows (3 of 4 over every film, 1 of 4 over the films with 5+ test "
        "viewers; d1 and d2, commit abc1234, 2031-02-03)")
