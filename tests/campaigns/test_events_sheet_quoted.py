"""An event's user or film id cut from one of our CSV files with its spreadsheet-safe quote
(``'+336123400489``, ``'@00425``: ``csvsafe.safe_cell``) is read as the id it quotes when the
model or the store holds that one and not the quoted one, as id lists read such a line. It
was stored as a new id: the plan's targets had no event, and the report counted none of their
conversions."""

from __future__ import annotations

import csv
import re
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from fastapi.testclient import TestClient
from helpers import run_cli as run

from recommender.campaigns.events import read_events
from recommender.campaigns.sheet_ids import Unquoted
from recommender.campaigns.store import open_store
from recommender.io.csvsafe import original_cell
from recommender.io.dataset import Interactions
from recommender.model import artifact
from recommender.model.config import TrainConfig
from recommender.model.training import train
from service.app import create_app
from service.settings import Settings

PHONES = [f"+3361234{i:05d}" for i in range(30)]
FILM = "@00425"


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    rng = np.random.default_rng(0)
    # "'=both" and "=both" are two users: a cell naming the first stays the first
    users = [f"u{i}" for i in range(90)] + PHONES + ["=both", "'=both"]
    films = [FILM] + [f"f{i}" for i in range(30)]
    pairs = [(u, films[1 + f]) for u in users for f in rng.choice(30, 6, replace=False)]
    # the phones are its audience ("=both" and "'=both" have seen it: no plan CSV cell)
    pairs += [(u, FILM) for u in [f"u{i}" for i in range(60)] + users[-2:]]
    log = Interactions.from_columns(pa.array([u for u, _ in pairs]),
                                    pa.array([f for _, f in pairs]), source="quoted")
    model = train(log, TrainConfig(factors=4, iterations=3, segments=2, tune=False),
                  progress=False)
    return artifact.save(model, tmp_path_factory.mktemp("sheet-quoted") / "m")


def test_quoted_ids_of_a_plan_csv_are_its_targets(model_dir: Path, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    store, plan = tmp_path / "s.db", tmp_path / "plan.csv"
    (tmp_path / "slate.csv").write_text(f"film_id,budget\n{FILM},500\n")
    code, _, err = run(capsys, "plan", model_dir, "--slate", tmp_path / "slate.csv", "--out",
                       plan, "--store", store, "--holdout", 0)
    assert code == 0, err
    with plan.open(newline="") as f:
        rows = list(csv.DictReader(f))
    cells = [(r["user_id"], r["film_id"]) for r in rows]
    assert ("'" + PHONES[0], "'" + FILM) in cells  # the plan CSV quotes both
    now = int(time.time()) - 60
    events = tmp_path / "responses.csv"  # every target converted, keyed by the CSV's cells
    with events.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["user_id", "film_id", "timestamp"])
        w.writerows([u, fi, now] for u, fi in cells)
    code, out, err = run(capsys, "events", "import", "--store", store, events)  # no --model
    assert code == 0, err
    quoted = sum(u.startswith("'") for u, _ in cells)
    assert f"note: {len(cells):,} events' user_id and film_id read without the " \
           "spreadsheet-safe quote of our CSV files" in err, err
    # three of the ids read so, as given and as read, then how many more (the phones, the film)
    assert re.search("\\(\"'(\\+3361234\\d{5})\" as '\\1', ", err) and " and 28 more): the " \
        "model or the store holds the id, not the quoted one" in err, err
    st = open_store(str(store))
    try:
        stored = read_events(st)
    finally:
        st.close()
    # the independent oracle: each cell with the quote our writer added taken off
    assert sorted(zip(stored.user_id.tolist(), stored.film_id.tolist(), strict=True)) == \
        sorted((original_cell(u), original_cell(fi)) for u, fi in cells)
    assert 0 < quoted < len(cells)
    # the same responses keyed by the raw ids are the same events: nothing stored twice
    with events.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["user_id", "film_id", "timestamp"])
        w.writerows([original_cell(u), original_cell(fi), now] for u, fi in cells)
    code, out, err = run(capsys, "events", "import", "--store", store, events)
    assert code == 0 and f"stored 0, already stored {len(cells):,}" in out, out + err
    assert "spreadsheet-safe" not in err


def test_post_events_reads_a_quoted_id_and_says_so(model_dir: Path, tmp_path: Path) -> None:
    settings = Settings(model_path=str(model_dir), store=str(tmp_path / "s.db"),
                        events_poll=0, warm_cache=False)
    now = int(time.time()) - 60
    sent = [("'" + PHONES[1], "f3"), ("'=both", "'" + FILM), ("''=both", "f3"),
            ("'+nobody", "f3"), (PHONES[2], "f3")]
    with TestClient(create_app(settings)) as client:
        body = client.post("/events", json={"events": [
            {"event_id": f"e{i}", "user_id": u, "film_id": fi, "timestamp": now}
            for i, (u, fi) in enumerate(sent)]}).json()
    # held unquoted only: read so; "'=both" is a user of its own; "''=both" quotes it
    assert body["unquoted_events"] == 3, body
    assert body["unquoted_user_ids"] == [{"user_id": "'" + PHONES[1], "read_as": PHONES[1]},
                                         {"user_id": "''=both", "read_as": "'=both"}]
    assert body["unquoted_film_ids"] == [{"film_id": "'" + FILM, "read_as": FILM}]
    st = open_store(str(tmp_path / "s.db"))
    try:
        stored = read_events(st)
    finally:
        st.close()
    assert stored.user_id.tolist() == [PHONES[1], "'=both", "'=both", "'+nobody", PHONES[2]]
    assert stored.film_id.tolist() == ["f3", FILM, "f3", "f3", "f3"]


def test_the_note_s_possessive_agrees_with_the_number_of_events() -> None:
    """One event's ids, two events' ids: it said "1 event' user_id"."""
    one = Unquoted(1, {"'+33612340000": "+33612340000"}).text()
    assert one.startswith("1 event's user_id read without the spreadsheet-safe quote"), one
    many = Unquoted(1_200, {}, {"'@00425": "@00425"}).text()
    assert many.startswith("1,200 events' film_id read without"), many
