"""The quality report's verdicts against sampling noise (benchmarks/quality_report.py)."""

from __future__ import annotations

from types import ModuleType

from helpers import load_benchmark


def _report() -> ModuleType:
    return load_benchmark("quality_report")


def test_a_tie_on_every_query_is_within_noise_not_met_beyond_it() -> None:
    """ml-latest-small / sparse5 (time), user recall: the engine and popularity scored the same
    on each of 8 users, so the paired interval is 1.000-1.000x, exactly the 1.00x target; the
    report said "yes" (met beyond noise) and counted it so."""
    q = _report()
    tie = {"measured": True, "met": True, "ratio": 1.0, "target": 1.0, "low": 1.0, "high": 1.0}
    assert q.noise(tie) == "within"
    assert q.verdict_cell(tie) == "yes (within noise)"
    clear = {**tie, "ratio": 1.2, "low": 1.1, "high": 1.3}
    assert q.noise(clear) == "beyond" and q.verdict_cell(clear) == "yes"
    short = {**tie, "met": False, "ratio": 0.9, "low": 0.85, "high": 0.95}
    assert q.verdict_cell(short) == "**no**"


def _result(variant_scores: dict[str, float]) -> dict:
    """A two-dataset quality result: ``d`` and its variant ``d / v`` (base ``d``), one
    protocol, every model scoring ``variant_scores`` on the variant and 0.5 / 0.4 on the base
    (engine / the rest; --no-tune 0.6 on the base's user metric)."""
    models = ("engine", "engine_no_tune", "ease", "itemknn", "als_defaults", "popularity")

    def report(scores: dict[str, float], variant: str | None) -> dict:
        return {"variant": variant, "base_dataset": "d", "engine_tuning": {
            "chosen": {"weighting": "binary"}}, "models": {
                m: {"audience_recall@100": scores.get(m, 0.4),
                    "user_recall@20": scores.get(m, 0.4) + (0.2 if m == "engine_no_tune"
                                                            else 0.0),
                    "films_evaluated": 10, "users_evaluated": 20} for m in models}}

    return {"k": 100, "user_k": 20, "engine_defaults": {"weighting": "binary"},
            "reports": {"d": {"random": report({"engine": 0.5}, None)},
                        "d / v": {"random": report(variant_scores, "v")}}}


def test_a_variant_that_repeats_its_base_row_is_counted_once_and_said_so() -> None:
    """quality.md counted "20 of 28 measured target rows met" where every rating10 row was
    its full row figure for figure (binary weighting reads no rating): 12 of 18 distinct."""
    q = _report()
    same = _result({"engine": 0.5})
    assert q.repeats(same) == {("d / v", "random"): "d"}
    rows = q.targets(same)
    assert [t["repeats"] for t in rows] == [None, None, "d", "d"]
    line = q.counts_line(rows)
    assert line.startswith("2 of 2 distinct measured target rows met")
    assert "2 more measured rows repeat" in line
    text = q.repeats_text(same)
    assert text is not None and text.startswith("`v` gives the same figures as its base "
                                                "dataset on every dataset")
    assert "chose binary weighting" in text
    # one figure apart: a row of its own, counted
    differs = _result({"engine": 0.5, "ease": 0.41})
    assert q.repeats(differs) == {} and q.repeats_text(differs) is None
    assert q.counts_line(q.targets(differs)).startswith("4 of 4 distinct")


def test_the_rows_where_tuning_scores_below_no_tune_are_listed_with_their_ratio() -> None:
    """ml-100k sparse5 (time) user recall: tuned 0.0741 against --no-tune 0.1362 (0.54x),
    said nowhere."""
    q = _report()
    rows = q.targets(_result({"engine": 0.5}))
    lost = q.below_no_tune(rows)
    assert [(t["dataset"], t["metric"]) for t in lost] == [("d", "user_recall@20")]
    table = q.below_no_tune_section(rows)
    assert "| d | random | user_recall@20 | 20 | 0.5000 | 0.6000 | 0.83x |" in table
    assert "0.5000 against 0.6000, 0.83x" in (q.below_no_tune_text(rows) or "")
