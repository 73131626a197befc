"""Reports: ``write_json`` writes exactly ``json.dump``'s bytes (NaN as null) atomically, the
evaluate command reports bad input as exit 2 without a traceback, and every column of the
evaluate table is explained in one line under it."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from recommender.cli import main
from recommender.evaluation.report import format_report, metric_notes, write_json
from recommender.evaluation.scoring import ENGINE, headline, ratios


def test_write_json_bytes_nan_as_null_and_nothing_left_behind(tmp_path: Path) -> None:
    obj = {"a": float("nan"), "b": [1, np.float32(0.5), (np.int64(3), math.nan)],
           "c": {"é": "ü"}, "d": None}
    path = write_json(obj, tmp_path / "sub" / "r.json")
    assert path == tmp_path / "sub" / "r.json"
    # the oracle: the standard library's own encoding of the cleaned object
    want = json.dumps({"a": None, "b": [1, 0.5, [3, None]], "c": {"é": "ü"}, "d": None},
                      indent=2) + "\n"
    assert path.read_bytes() == want.encode("utf-8")
    assert sorted(p.name for p in path.parent.iterdir()) == ["r.json"]


def test_write_json_failure_keeps_the_previous_file(tmp_path: Path) -> None:
    path = write_json({"ok": 1}, tmp_path / "r.json")
    before = path.read_bytes()
    with pytest.raises(TypeError):
        write_json({"bad": object()}, path)  # not JSON-serialisable, fails mid-write
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.json"]


def test_evaluate_command_rejects_time_protocol_without_timestamps(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "events.csv"
    rows = [f"u{u},f{(u * 7 + j) % 30}" for u in range(40) for j in range(6)]
    path.write_text("user_id,film_id\n" + "\n".join(rows) + "\n")
    assert main(["evaluate", "--data", str(path), "--protocol", "time"]) == 2
    err = capsys.readouterr().err
    assert "timestamps" in err and "Traceback" not in err


def _columns(k: int, uk: int) -> list[str]:
    return headline(k, uk) + [f"audience_reach@{k}", f"user_coverage@{uk}", "fit_seconds"]


def _report(k: int, uk: int, min_viewers: int) -> dict[str, Any]:
    """An evaluate report of the engine and popularity, every figure 0.5."""
    models = {name: {**{c: 0.5 for c in _columns(k, uk)}, "films_evaluated": 3}
              for name in (ENGINE, "popularity")}
    return {"k": k, "user_k": uk, "dataset": "d.csv", "protocol": "random",
            "min_viewers": min_viewers,
            "split": {"train_interactions": 10, "test_interactions": 5, "evaluated_users": 4,
                      "known_films": 3},
            "models": models, "ratios_to_engine": ratios(models, k, uk)}


def test_every_column_of_the_evaluate_table_is_explained_under_it() -> None:
    k, uk = 50, 10
    columns = _columns(k, uk)
    lines = format_report(_report(k, uk, 7)).splitlines()
    header = lines[1].split()
    assert header == ["model"] + columns
    notes = lines[lines.index("What the columns measure (held-out = the test part of the "
                              "split):") + 1:]
    explained = [n.split()[0] for n in notes]
    assert explained == columns + ["(0.95x)"]
    assert all(len(n.split(None, 1)[1]) > 20 for n in notes)  # a sentence, not a stub
    assert f"top {k} audience" in notes[0] and "7+ held-out viewers" in notes[0]
    assert f"top {uk} recommendations" in notes[3]
    assert metric_notes(headline(k, uk), k, uk)[-1].split()[0] == f"user_ndcg@{uk}"


def test_the_evaluate_text_gives_each_baselines_interval() -> None:
    k, uk = 20, 20
    report = {**_report(k, uk, 5),
              "engine_ratio_intervals": {"popularity": {f"audience_recall@{k}": [0.9, 1.2],
                                                        f"user_recall@{uk}": [1.05, 1.3]}}}
    text = format_report(report)
    assert "engine / model, 95% interval" in text
    assert (f"  popularity: audience_recall@{k} 0.9000-1.2000x, user_recall@{uk} "
            "1.0500-1.3000x") in text.splitlines()


def test_evaluate_trains_the_engine_with_trains_options(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """``evaluate`` takes ``train``'s options (``--config``, ``--family``, ``--min-rating``,
    ``--no-tune``...), so the model it scores is the one ``train`` would ship with them; its
    ``--seed`` seeds both. An option EASE does not read is refused as ``train`` refuses it."""
    import recommender.evaluation.report as report_mod
    from recommender.model.config import TrainConfig

    seen: list[TrainConfig] = []

    class CapturedError(Exception):
        pass

    def capture(*args: object, config: TrainConfig | None = None, **kwargs: object) -> None:
        assert config is not None
        seen.append(config)
        raise CapturedError

    monkeypatch.setattr(report_mod, "evaluate", capture)
    log = tmp_path / "log.csv"
    log.write_text("user_id,film_id,rating\nu1,f1,4\nu2,f1,2\n")
    cfg = tmp_path / "cfg.json"
    cfg.write_text(json.dumps({"ease_lambda": 100.0}))
    with pytest.raises(CapturedError):
        main(["evaluate", "--data", str(log), "--family", "ease", "--min-rating", "3",
              "--config", str(cfg), "--seed", "4"])
    c = seen[-1]
    assert (c.family, c.min_rating, c.ease_lambda, c.seed, c.tune) == ("ease", 3.0, 100.0, 4,
                                                                       True)
    assert set(c.fixed) == {"family", "ease_lambda"}
    with pytest.raises(CapturedError):
        main(["evaluate", "--data", str(log), "--no-tune"])
    assert seen[-1] == TrainConfig(tune=False, seed=0)
    assert main(["evaluate", "--data", str(log), "--family", "ease", "--alpha", "3"]) == 2
    assert "--family ease does not read --alpha" in capsys.readouterr().err


def test_the_text_warns_when_k_covers_the_ranked_users() -> None:
    """With as many users to rank as 2k, any model's top k holds most viewers."""
    k, uk = 50, 10
    small = _report(k, uk, 5)
    small["split"] = {**small["split"], "known_users": 80}
    assert "is at least half of the 80 users an audience ranks" in format_report(small)
    large = {**small, "split": {**small["split"], "known_users": 5000}}
    assert "at least half" not in format_report(large)


def test_a_metric_no_film_qualifies_for_prints_a_dash_not_nan(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """No film with 5+ test viewers: the text table printed "nan (nanx)" and "nan-nanx"
    intervals where the JSON writes null."""
    (tmp_path / "log.csv").write_text("user_id,film_id\nu1,f1\nu1,f2\nu2,f1\nu2,f3\n")
    assert main(["evaluate", "--data", str(tmp_path / "log.csv")]) == 0
    out = capsys.readouterr().out
    assert "nan" not in out.lower().replace("ndcg", "")
    assert "engine        -" in out


def test_a_configs_own_fixed_list_is_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                          ) -> None:
    """A --config's "fixed" names parameters the search leaves as they are (TrainConfig's
    field); the command line's fixed list replaced it, so alpha and factors were searched."""
    import recommender.evaluation.report as report_mod
    from recommender.model.config import TrainConfig

    seen: list[TrainConfig] = []

    class CapturedError(Exception):
        pass

    def capture(*args: object, config: TrainConfig | None = None, **kwargs: object) -> None:
        assert config is not None
        seen.append(config)
        raise CapturedError

    monkeypatch.setattr(report_mod, "evaluate", capture)
    log = tmp_path / "log.csv"
    log.write_text("user_id,film_id\nu1,f1\nu2,f1\n")
    cfg = tmp_path / "cfg.json"
    cfg.write_text(json.dumps({"fixed": ["alpha", "factors"], "weighting": "binary"}))
    with pytest.raises(CapturedError):
        main(["evaluate", "--data", str(log), "--config", str(cfg), "--regularization", "10"])
    assert set(seen[-1].fixed) == {"alpha", "factors", "weighting", "regularization"}
    assert seen[-1].tune


def test_the_notes_say_how_a_tie_at_the_cut_is_counted() -> None:
    """Recall counts a tie the cut splits by its expected hits (``expected_hits_at_k``),
    NDCG reads the ranking as filled (index order within a tie): the table's notes said
    neither, and called NDCG "like" recall."""
    k, uk = 50, 10
    notes = dict(n.split(None, 1) for n in metric_notes(headline(k, uk), k, uk)[2:])
    for key in (f"audience_recall@{k}", f"user_recall@{uk}"):
        assert "expected hits over the tie's orders" in notes[key]
    for key in (f"audience_ndcg@{k}", f"user_ndcg@{uk}"):
        assert "index order" in notes[key]


def test_the_evaluate_header_names_what_each_count_is() -> None:
    """The header said "751 users, 1,616 films (201 films with 5+ test viewers)" of a data
    set of 943 users and 1,682 films, and nothing of the users the user metrics average."""
    base = _report(20, 20, 5)
    report = {**base, "users": 943, "films": 1682,
              "split": {**base["split"], "evaluated_users": 751, "known_films": 1616},
              "models": {**base["models"], ENGINE: {**base["models"][ENGINE],
                                                    "films_evaluated": 1201,
                                                    "users_evaluated": 1}}}
    first = format_report(report).splitlines()[0]
    assert first == ("d.csv: random protocol, 10 train / 5 test interactions, 751 evaluated "
                     "users (of 943), 1,616 films known in training (of 1,682); audience "
                     "metrics average 1,201 films with 5+ test viewers, user metrics 1 user "
                     "with a test film")
    same = {**report, "users": 751, "films": 1616}  # every user and film: no "(of ...)"
    assert "751 evaluated users, 1,616 films known in training;" in format_report(same)


def test_the_time_protocol_header_says_its_cut_off() -> None:
    """The time split's cut-off was in the JSON only: the text gave the sizes of its two
    parts and not when one ended. Oracle: the timestamp of 1998-03-05 12:00:00 UTC."""
    base = _report(20, 20, 5)
    report = {**base, "protocol": "time",
              "split": {**base["split"], "cutoff_timestamp": 889099200}}
    assert format_report(report).splitlines()[0].startswith(
        "d.csv: time protocol (train: up to the 80th-percentile timestamp, "
        "1998-03-05T12:00:00Z), 10 train / 5 test interactions")
    far = {**report, "split": {**report["split"], "cutoff_timestamp": -10**14}}
    assert "80th-percentile timestamp, -100,000,000,000,000 unix seconds)" in format_report(far)


@pytest.mark.parametrize("spelling", [["--json"], ["--json", "-"]])
def test_evaluate_json_without_a_path_prints_the_report_json(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        spelling: list[str]) -> None:
    """Every other command's ``--json`` prints the JSON on stdout, while evaluate's took a
    path only: ``--json`` alone (or ``--json -``) prints the file's bytes, nothing else, and
    ``--json PATH`` still writes the file (the contract)."""
    import recommender.evaluation.report as report_mod

    report = {**_report(20, 20, 5), "nan": float("nan"), "np": np.float32(0.25)}
    monkeypatch.setattr(report_mod, "evaluate", lambda *a, **kw: report)
    monkeypatch.chdir(tmp_path)  # where a file named "-" would land
    log = tmp_path / "log.csv"
    log.write_text("user_id,film_id\nu1,f1\nu2,f1\n")
    path = tmp_path / "report.json"
    assert main(["evaluate", "--data", str(log), "--json", str(path)]) == 0
    printed = capsys.readouterr().out
    assert f"report written to {path}" in printed and "audience_recall@20" in printed
    assert main(["evaluate", *spelling, "--data", str(log), "--seed", "1"]) == 0
    out, err = capsys.readouterr()
    assert out == path.read_text(encoding="utf-8")
    # the oracle: the standard library's encoding of the report, NaN as null
    assert json.loads(out) == json.loads(json.dumps({**report, "nan": None, "np": 0.25}))
    assert not (tmp_path / "-").exists() and sorted(p.name for p in tmp_path.iterdir()) == [
        "log.csv", "report.json"]


@pytest.mark.parametrize(("seconds", "shown"), [
    (0.01, "0.01"), (0.0149, "0.01"), (9.994, "9.99"), (12.3456, "12.3"), (123.456, "123")])
def test_the_evaluate_table_prints_fit_seconds_as_a_wall_clock_reads(
        seconds: float, shown: str) -> None:
    """``fit_seconds`` was printed as every recall is, to 4 decimals ("0.0100"); the JSON
    keeps the value as measured."""
    k, uk = 20, 10
    report = _report(k, uk, 5)
    report["models"][ENGINE]["fit_seconds"] = seconds
    report["ratios_to_engine"] = ratios(report["models"], k, uk)
    lines = format_report(report).splitlines()
    header = lines[1].split()
    row = next(line.split() for line in lines if line.split()[:1] == [ENGINE])
    assert row[header.index("fit_seconds")] == shown
    assert row[header.index(f"audience_recall@{k}")] == "0.5000"  # recalls keep 4 decimals


def test_the_k_note_reaches_the_json_and_stderr(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``evaluate --k 50 --json -`` on 80 users: the text table said "k = 50 is at least half
    of the ... users an audience ranks", the JSON dropped it; it is now the JSON's ``notes``
    and said on stderr, the same words as the table's, and absent at a small k."""
    rng = np.random.default_rng(3)
    # 80 users each with 30 of 50 films: a random 80/20 split keeps every user in training
    rows = [(f"u{u}", f"f{f}") for u in range(80) for f in rng.choice(50, 30, replace=False)]
    log = tmp_path / "log.csv"
    log.write_text("user_id,film_id\n" + "".join(f"{u},{f}\n" for u, f in rows))
    assert main(["evaluate", "--data", str(log), "--no-tune", "--k", "50", "--json", "-"]) == 0
    out, err = capsys.readouterr()
    report = json.loads(out)
    known = report["split"]["known_users"]
    assert known == 80  # the oracle: every user keeps most of their 30 films in training
    want = (f"k = 50 is at least half of the {known} users an audience ranks, so "
            "audience_recall@50 is near 1 for any model and says little; use a smaller --k")
    assert report["notes"] == [want]
    assert f"note: {want}" in err.splitlines()
    assert f"note: {want}" in format_report(report).splitlines()
    assert main(["evaluate", "--data", str(log), "--no-tune", "--k", "10", "--json", "-"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["notes"] == [] and "at least half" not in err
