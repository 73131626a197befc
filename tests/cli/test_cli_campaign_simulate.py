"""``campaign simulate``: responses to a stored plan's wave on the demo data, as an events
file, so that the closed loop runs end to end from the command line (a new user had to write
a responses file by hand). Oracle: the plan's own rows, and the report computed from the
imported file."""

from __future__ import annotations

import csv
import json
import re
import time
from pathlib import Path

import pytest
from helpers import run_cli as run

from recommender.campaigns.event_times import first_misdated
from recommender.campaigns.simulate import RESPONSE_SPAN
from recommender.io import demo


@pytest.fixture(scope="module")
def loop(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path, str]:
    """(demo folder, model, store, plan id): a two-wave plan of two films, stored."""
    from recommender.cli import main

    root = tmp_path_factory.mktemp("simulate")
    folder = demo.generate(root / "data", seed=3, n_users=400, n_films=40,
                           n_interactions=4000)
    assert main(["train", "--data", str(folder), "--out", str(root / "m"), "--no-tune",
                 "--factors", "8", "--iterations", "3"]) == 0
    films = [line.split(",")[0] for line in (folder / "films.csv").read_text().splitlines()[1:3]]
    (root / "slate.csv").write_text("film_id,budget\n" + "".join(f"{f},80\n" for f in films))
    assert main(["plan", str(root / "m"), "--slate", str(root / "slate.csv"), "--out",
                 str(root / "plan.csv"), "--waves", "2", "--holdout", "0.3", "--store",
                 str(root / "s.db")]) == 0
    return folder, root / "m", root / "s.db", _plan_id(root / "s.db")


def _plan_id(store: Path) -> str:
    from recommender.campaigns.store import open_store

    return str(open_store(str(store)).list_plans()[1][0]["plan_id"])


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def test_a_wave_s_responses_are_imported_and_reported(
        loop: tuple[Path, Path, Path, str], tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    folder, model, store, plan_id = loop
    args = ("campaign", "simulate", plan_id, "--data", folder, "--model", model, "--store",
            store, "--wave", 1, "--seed", 7)
    code, out, err = run(capsys, *args, "--out", tmp_path / "r1.csv")
    assert code == 0, err
    said = re.search(r"(\d+) of (\d+) targets and (\d+) of (\d+) controls converted", out)
    assert said is not None and "planted uplift of the wave" in err
    responses = _rows(tmp_path / "r1.csv")
    wave1 = {(r["user_id"], r["film_id"]): r["group"] for r in _rows(model.parent / "plan.csv")
             if r["wave"] == "1"}
    # every response is a row of wave 1, each pair once; the counts are the file's
    pairs = [(r["user_id"], r["film_id"]) for r in responses]
    assert pairs and set(pairs) <= set(wave1) and len(set(pairs)) == len(pairs)
    targets = sum(wave1[p] == "target" for p in pairs)
    assert (targets, len(pairs) - targets) == (int(said[1]), int(said[3]))
    assert (int(said[2]), int(said[4])) == (list(wave1.values()).count("target"),
                                            list(wave1.values()).count("control"))
    # the same seed draws the same file
    assert run(capsys, *args, "--out", tmp_path / "again.csv")[0] == 0
    assert (tmp_path / "again.csv").read_bytes() == (tmp_path / "r1.csv").read_bytes()
    # imported, the report counts them (every response is dated from the plan's start on)
    assert run(capsys, "events", "import", "--store", store, tmp_path / "r1.csv")[0] == 0
    code, out, _ = run(capsys, "campaign", "report", plan_id, "--store", store,
                       "--sent-waves", 1, "--json")
    body = json.loads(out)
    assert (body["overall"]["target_conversions"], body["overall"]["control_conversions"]) == \
        (int(said[1]), int(said[3]))
    # wave 2 responds too (its rows were drawn as unsent, p = 0: an empty file), and a pair
    # bought since training (an event of the store) is never bought again: the first film's
    # wave-2 pairs are bought beforehand, the second film's still respond
    wave2 = [(r["user_id"], r["film_id"]) for r in _rows(model.parent / "plan.csv")
             if r["wave"] == "2"]
    first = wave2[0][1]
    bought = [p for p in wave2 if p[1] == first]
    (tmp_path / "bought.csv").write_text("user_id,film_id,timestamp\n" + "".join(
        f"{u},{f},{int(time.time()) - 60}\n" for u, f in bought))
    assert run(capsys, "events", "import", "--store", store, tmp_path / "bought.csv")[0] == 0
    code, out, err = run(capsys, *args[:-4], "--wave", 2, "--seed", 7, "--out",
                         tmp_path / "r2.csv")
    assert code == 0, err
    said = re.search(r"(\d+) of (\d+) targets and (\d+) of (\d+) controls converted", out)
    assert said is not None and int(said[1]) > 0
    second = {(r["user_id"], r["film_id"]) for r in _rows(tmp_path / "r2.csv")}
    assert second and second <= set(wave2) and not second & set(bought)
    assert float(re.findall(r"planted uplift of the wave: ([\d.]+)", err)[0]) > 0


def test_only_a_demo_folder_and_a_planned_wave_are_simulated(
        loop: tuple[Path, Path, Path, str], tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    folder, model, store, plan_id = loop
    code, _, err = run(capsys, "campaign", "simulate", plan_id, "--data", model, "--model",
                       model, "--store", store, "--out", tmp_path / "x.csv")
    assert code == 2 and "is not a demo folder" in err
    code, _, err = run(capsys, "campaign", "simulate", plan_id, "--data", folder, "--model",
                       model, "--store", store, "--wave", 3, "--out", tmp_path / "x.csv")
    assert code == 2 and "has waves 1 to 2, not wave 3" in err
    # another demo folder: one of fewer users (a KeyError traceback), one of the same users
    # but other films (its taste groups drawn as this model's truth, silently)
    for name, users in (("fewer", 100), ("other", 400)):  # seed 4, not the fixture's 3
        other = demo.generate(tmp_path / name, seed=4, n_users=users, n_films=40,
                              n_interactions=5 * users)
        code, _, err = run(capsys, "campaign", "simulate", plan_id, "--data", other,
                           "--model", model, "--store", store, "--out", tmp_path / "x.csv")
        assert code == 2 and "is not the demo folder model" in err, err
    assert not (tmp_path / "x.csv").exists()


def test_the_help_says_each_default_once(capsys: pytest.CaptureFixture[str]) -> None:
    # the formatter adds "(default: N)"; the help strings said it too: "(default: 1) (default: 1)"
    from recommender.cli import main

    try:
        main(["campaign", "simulate", "--help"])
    except SystemExit:
        pass
    text = " ".join(capsys.readouterr().out.split())
    assert "(default: 1)" in text and "(default: 0)" in text
    assert not re.search(r"\(default: [^)]*\) \(default", text)


def test_a_wave_s_file_is_the_same_whenever_it_is_drawn(
        loop: tuple[Path, Path, Path, str], tmp_path: Path,
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    # its times were drawn up to the clock within 14 days of the plan's start: a second run
    # an hour later dated the same event_ids apart, and its import was refused as a conflict
    import shutil

    from recommender.campaigns.report import plan_start
    from recommender.campaigns.store import open_store

    folder, model, store, plan_id = loop
    copy = tmp_path / "s.db"
    shutil.copyfile(store, copy)  # the first test imports its wave 1 into it
    opened = open_store(str(copy))
    try:
        start = plan_start(opened.summary(plan_id))
    finally:
        opened.close()
    files = []
    for k, clock in enumerate((start + 60, start + 3_600, start + 20 * 86_400)):
        monkeypatch.setattr(time, "time", lambda at=clock: float(at))
        out = tmp_path / f"r{k}.csv"
        code, _, err = run(capsys, "campaign", "simulate", plan_id, "--data", folder,
                           "--model", model, "--store", copy, "--wave", 2, "--seed", 11, "--out",
                           out)
        assert code == 0, err
        files.append(out)
    monkeypatch.undo()
    assert files[1].read_bytes() == files[0].read_bytes() == files[2].read_bytes()
    stamps = [int(r["timestamp"]) for r in _rows(files[0])]
    assert stamps and all(start <= t < start + RESPONSE_SPAN for t in stamps)
    # dated within a day past the start, drawn at the start: importable at once, and twice
    for f in files[:2]:
        code, _, err = run(capsys, "events", "import", "--store", copy, f)
        assert code == 0, err


def test_a_wave_drawn_again_after_its_import_is_the_same_file(
        loop: tuple[Path, Path, Path, str], tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    # the wave's own imported responses were read as films the users had: drawn again, the
    # file held none of them (empty), and its planted uplift moved
    import shutil

    folder, model, store, plan_id = loop
    copy = tmp_path / "s.db"
    shutil.copyfile(store, copy)
    args = ("campaign", "simulate", plan_id, "--data", folder, "--model", model, "--store",
            copy, "--seed", 5)
    first, again, later = (tmp_path / n for n in ("w2.csv", "w2-again.csv", "w1-later.csv"))
    code, out, err = run(capsys, *args, "--wave", 2, "--out", first)
    assert code == 0, err
    rows = _rows(first)
    assert rows, out  # the oracle needs responses to draw again
    uplift = re.findall(r"planted uplift of the wave: ([\d.]+)", err)
    assert run(capsys, "events", "import", "--store", copy, first)[0] == 0
    code, out, err = run(capsys, *args, "--wave", 2, "--out", again)
    assert code == 0, err
    assert again.read_bytes() == first.read_bytes()
    assert re.findall(r"planted uplift of the wave: ([\d.]+)", err) == uplift
    code, out, _ = run(capsys, "events", "import", "--store", copy, again)
    assert code == 0 and f"stored 0, already stored {len(rows)}" in out
    # an earlier wave drawn after it is not changed by the later wave's responses either,
    # while a pair the earlier wave's file holds stays bought for the later wave's draw
    code, _, err = run(capsys, *args, "--wave", 1, "--out", later)
    assert code == 0, err
    fresh = tmp_path / "fresh.db"
    shutil.copyfile(store, fresh)
    code, _, err = run(capsys, "campaign", "simulate", plan_id, "--data", folder, "--model",
                       model, "--store", fresh, "--seed", 5, "--wave", 1, "--out",
                       tmp_path / "w1.csv")
    assert code == 0, err
    assert later.read_bytes() == (tmp_path / "w1.csv").read_bytes()


def test_a_plan_s_responses_are_dated_where_post_events_takes_them_at_once(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # drawn for a plan made now, the latest response (start + RESPONSE_SPAN - 1) is within the
    # maximum POST /events' schema publishes: the clock's limit rounded down to the hour, from
    # a schema up to REBUILD_SECONDS old (a day after the start was refused with a 422)
    from service import schema_limits

    now = 1_796_500_000
    monkeypatch.setattr(schema_limits.time, "time", lambda: now - schema_limits.REBUILD_SECONDS)
    assert now + RESPONSE_SPAN - 1 <= schema_limits.event_time_limit()
    assert first_misdated([now + RESPONSE_SPAN - 1], now=now) is None  # events import's
