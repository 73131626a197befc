"""``events import --model`` names the file's ids the model cannot serve, as ``POST /events``
answers them: the import stored a film id with its leading zeros dropped (a spreadsheet's
doing) without a word, where the HTTP answer lists it in ``unknown_film_ids``."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from helpers import run_cli as run

from recommender.campaigns.events import count_events
from recommender.campaigns.store import open_store
from recommender.model import artifact
from recommender.model.config import TrainConfig
from recommender.model.training import train
from service.app import create_app
from service.settings import Settings
from tests.service_fixtures import build_interactions


@pytest.mark.parametrize("family", ["als", "bpr"])
def test_import_names_what_the_model_cannot_serve_as_http_does(
        family: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model = train(build_interactions(n_users=60, n_films=20, per_user=6, seed=2),
                  TrainConfig(model=family, factors=4, iterations=5, segments=2, holdout=0.0),
                  progress=False)
    folder = artifact.save(model, tmp_path / "model")
    film = next(f for f in map(str, model.films.ids) if f.lstrip("0") not in ("", f))
    user = str(model.users.ids[0])
    dropped = film.lstrip("0")  # what a spreadsheet makes of "00003"
    assert dropped != film and model.films.to_index([dropped], strict=False)[0] < 0
    rows = [(user, film), ("newbie", film), (user, dropped), ("newbie", "nofilm"),
            (user, dropped)]
    events = tmp_path / "events.csv"
    events.write_text("user_id,film_id,timestamp,event_id\n" + "".join(
        f"{u},{f},{1_700_000_000 + i},e{i}\n" for i, (u, f) in enumerate(rows)))
    settings = Settings(model_path=str(folder), store=str(tmp_path / "http.db"),
                        warm_cache=False)
    with TestClient(create_app(settings)) as c:
        http = c.post("/events", json={"events": [
            {"event_id": f"e{i}", "user_id": u, "film_id": f, "timestamp": 1_700_000_000 + i}
            for i, (u, f) in enumerate(rows)]}).json()
    assert http["unknown_film_ids"] == [dropped, "nofilm"]
    assert http["unknown_user_ids"] == ([] if family == "als" else ["newbie"])

    store = tmp_path / "cli.db"
    code, out, err = run(capsys, "events", "import", events, "--store", store, "--model", folder)
    assert code == 0, err
    assert "stored 5" in out
    notes = err.strip().splitlines()
    assert notes[0] == (f"note: 2 film ids of {events} the model does not know ({dropped!r}, "
                        "'nofilm'): their events are stored, but change no answer until a "
                        "model trained with --events knows them (a typo, leading zeros a "
                        f"spreadsheet dropped, or a film new to the catalog; did you mean "
                        f"{film!r}?)")
    assert notes.pop().startswith(f"note: no campaign store was at {store}: a new one was "
                                  "created there")  # (said last: cli.db was not there)
    assert len(notes) == (1 if family == "als" else 2)
    if family == "bpr":
        assert notes[1].startswith(f"note: 1 user id of {events} the model does not know "
                                   "('newbie')")
    s = open_store(str(store))
    try:
        assert count_events(s) == 5  # stored all the same
    finally:
        s.close()
    # without --model nothing is said (the store is checked against no model)
    code, _, err = run(capsys, "events", "import", events, "--store", tmp_path / "other.db")
    assert code == 0 and err.startswith("note: no campaign store was at ") and \
        err.count("\n") == 1  # but that the store is new
    # a bad model folder fails before any store is made
    code, _, err = run(capsys, "events", "import", events, "--store", tmp_path / "none.db",
                       "--model", tmp_path / "missing")
    assert code != 0 and not (tmp_path / "none.db").exists()


def test_a_long_import_says_its_progress_in_at_most_twenty_lines(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """One line per batch went to a pipe or a log: 1,000 lines for 10M events. Now at most 20
    steps and the last, each line whole; the counts stored are those of the file."""
    events = tmp_path / "events.csv"
    n = 2_000
    events.write_text("user_id,film_id,timestamp,event_id\n" + "".join(
        f"u{i % 37},f{i % 11},{1_700_000_000 + i},e{i}\n" for i in range(n)))
    code, _, err = run(capsys, "events", "import", events, "--store", tmp_path / "s.db",
                       "--batch", "10")
    assert code == 0, err
    lines = [line for line in err.splitlines() if line.startswith("imported ")]
    assert 10 <= len(lines) <= 21 and lines[-1] == f"imported {n:,}/{n:,} events", lines
    done = [int(line.split()[1].split("/")[0].replace(",", "")) for line in lines]
    assert done == sorted(done) and len(set(done)) == len(done)
    store = open_store(str(tmp_path / "s.db"))
    try:
        assert count_events(store) == n
    finally:
        store.close()


def test_progress_never_silences_the_import_lines_and_a_bad_row_says_nothing_stored(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """``RECOMMENDER_PROGRESS=never`` left the "imported N/M events" lines in; a bad row's
    error did not say that nothing of the file was stored (the event_id conflict's does)."""
    events = tmp_path / "events.csv"
    events.write_text("user_id,film_id,timestamp,event_id\n" + "".join(
        f"u{i % 37},f{i % 11},{1_700_000_000 + i},e{i}\n" for i in range(200)))
    monkeypatch.setenv("RECOMMENDER_PROGRESS", "never")
    code, out, err = run(capsys, "events", "import", events, "--store", tmp_path / "s.db",
                         "--batch", "10")
    assert code == 0 and "stored 200" in out, err
    assert not [line for line in err.splitlines() if line.startswith("imported ")], err
    bad = tmp_path / "bad.csv"
    bad.write_text("user_id,film_id,timestamp,weight\nu1,f1,1700000000,1\nu2,f1,1700000001,-2\n")
    code, _, err = run(capsys, "events", "import", bad, "--store", tmp_path / "s.db")
    assert code == 2 and err.startswith(f"error: {bad}, line 3: weight -2.0 must be a number")
    assert err.rstrip().endswith("; nothing of the file was stored"), err
    s = open_store(str(tmp_path / "s.db"))
    try:
        assert count_events(s) == 200
    finally:
        s.close()
