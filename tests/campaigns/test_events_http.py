"""POST /events over HTTP: stored before the answer, retries harmless, a bad event rejects its
batch naming it; and the events reach the served audiences and recommendations."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import numpy as np
import pytest
from fastapi.testclient import TestClient
from helpers import brute_audience
from service_fixtures import ODD_USER_ID, save_model

from recommender.campaigns.events import count_events
from recommender.model import artifact
from service.app import create_app
from service.settings import Settings


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_model(tmp_path_factory.mktemp("events-http") / "model")


@pytest.fixture()
def client(model_dir: Path, tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(model_path=str(model_dir), store=str(tmp_path / "store.db"),
                        events_poll=0.05, events_max_batch=50, warm_cache=False)
    with TestClient(create_app(settings)) as c:
        yield c


def ev(i: int, user: str, film: str) -> dict[str, Any]:
    return {"event_id": f"ev-{i}", "user_id": user, "film_id": film,
            "timestamp": 1_700_000_000 + i}


def wait_applied(client: TestClient, seq: int) -> dict[str, Any]:
    deadline = time.monotonic() + 30  # a liveness bound, not a timing assertion
    while True:
        status: dict[str, Any] = client.get("/events/status").json()
        if status["applied"] >= seq or time.monotonic() > deadline:
            return status
        time.sleep(0.02)


def test_post_is_durable_idempotent_and_all_or_nothing(client: TestClient) -> None:
    body = {"events": [ev(i, "u5", "00003") for i in range(3)]}
    r = client.post("/events", json=body)
    assert r.status_code == 200, r.text
    assert r.json()["stored"] == 3 and r.json()["duplicates"] == 0
    assert r.json()["unknown_film_ids"] == []
    store = client.app.state.campaign_store  # type: ignore[attr-defined]
    assert count_events(store) == 3, "stored before the acknowledgement"
    again = client.post("/events", json=body).json()
    assert (again["stored"], again["duplicates"]) == (0, 3) and count_events(store) == 3
    bad = {"events": [ev(10, "u1", "00001"), ev(11, "u1", "00001"),
                      {**ev(12, "u1", "00001"), "weight": -2}]}
    r = client.post("/events", json=bad)
    assert r.status_code == 422
    assert "events[2] (event_id 'ev-12')" in r.json()["detail"]
    assert "nothing of this batch was stored" in r.json()["detail"]
    missing = {"events": [ev(13, "u1", "00001"), {"event_id": "ev-14", "user_id": "u1"}]}
    r = client.post("/events", json=missing)
    assert r.status_code == 422 and "events[1] (event_id 'ev-14')" in r.json()["detail"]
    assert count_events(store) == 3
    r = client.post("/events", json={"events": [ev(i, "u1", "00001") for i in range(51)]})
    assert r.status_code == 422 and "at most 50" in r.json()["detail"]
    assert count_events(store) == 3
    # a film the model does not know is stored and named in the answer, once
    r = client.post("/events", json={"events": [ev(30, "u1", "NOPE"), ev(31, "u2", "NOPE"),
                                                ev(32, "u2", "00003")]})
    assert r.status_code == 200 and r.json()["unknown_film_ids"] == ["NOPE"]
    assert count_events(store) == 6
    # a timestamp in milliseconds, or decades ahead of the server's clock
    for ts in (1_700_000_000_000, int(time.time()) + 10**9):
        r = client.post("/events", json={"events": [{**ev(20, "u1", "00001"), "timestamp": ts}]})
        assert r.status_code == 422 and "timestamp" in r.json()["detail"], r.text
        assert r.json()["detail"].count("nothing of this batch was stored") == 1, r.text
    assert count_events(store) == 6
    # the router's other routes store no batch: their 422s do not say they did not store one
    for r in (client.get("/campaigns/nope/report?window_days=-1"),
              client.post("/campaigns/nope/next", json={"sent_waves": -1})):
        assert r.status_code == 422 and "batch" not in r.json()["detail"], r.text


def test_events_reach_audiences_and_recommendations(client: TestClient, model_dir: Path
                                                    ) -> None:
    model = artifact.load(model_dir)
    film = "00004"
    f = model.film_index(film)
    k = model.n_users
    first = client.get(f"/films/{film}/audience", params={"k": k})
    assert first.headers["x-events-seq"] == "0"  # no event yet
    before = first.json()
    top_user = before["users"][0]["user_id"]
    recs = client.get(f"/users/{quote(top_user, safe='')}/recommendations",
                      params={"k": 60}).json()
    assert film in [x["film_id"] for x in recs["films"]]
    new_user = "brand/new ü"
    assert client.get(f"/users/{quote(new_user, safe='')}/recommendations").status_code == 404
    body = {"events": [ev(100, top_user, film)] + [
        ev(101 + j, new_user, fid) for j, fid in enumerate(["00000", "00008", "00012"])]}
    seq = client.post("/events", json=body).json()["sequence"]
    status = wait_applied(client, seq)
    assert status["applied"] >= seq and status["overlay"]["new_users"] == 1
    answer = client.get(f"/films/{film}/audience", params={"k": k})
    csv = client.get(f"/films/{film}/audience.csv", params={"k": 5})
    # the answers say which events they reflect: two of one model version differ by them
    assert answer.headers["x-events-seq"] == csv.headers["x-events-seq"] == str(
        status["applied"])
    after = answer.json()
    ids = [u["user_id"] for u in after["users"]]
    assert top_user not in ids and new_user in ids
    # the page is the brute-force ranking of the derived model (vectors refreshed)
    derived = client.app.state.service.engine.model  # type: ignore[attr-defined]
    order, _ = brute_audience(derived, f)
    assert ids == derived.users.to_ids(order[:k]).tolist()
    assert after["total"] == before["total"]  # one viewer more, one user more
    recs = client.get(f"/users/{quote(top_user, safe='')}/recommendations",
                      params={"k": 60}).json()
    assert film not in [x["film_id"] for x in recs["films"]]
    new_recs = client.get(f"/users/{quote(new_user, safe='')}/recommendations").json()
    assert len(new_recs["films"]) == 10
    assert not {"00000", "00008", "00012"} & {x["film_id"] for x in new_recs["films"]}
    # the new user's taste: films of the planted group of 00000/00008/00012 (group 0)
    assert np.mean([int(x["film_id"]) % 4 == 0 for x in new_recs["films"]
                    if x["film_id"][0] == "0"]) > 0.5
    assert client.get("/health").headers["x-model-version"] == model.version
    assert ODD_USER_ID in derived.users


def test_no_store_setting_keeps_events_in_memory(model_dir: Path) -> None:
    with TestClient(create_app(Settings(model_path=str(model_dir), events_poll=0.05,
                                        warm_cache=False))) as c:
        r = c.post("/events", json={"events": [ev(1, "u2", "00003")]})
        assert r.status_code == 200 and r.json()["sequence"] == 1
        assert wait_applied(c, 1)["applied"] == 1


def test_the_schema_keeps_todays_events_valid(client: TestClient,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """The schema's timestamp maximum is the clock plus a day and the half day it is kept,
    rounded up to the hour, when it is built (never below the server's bound while kept); it
    is rebuilt every half day, so on a server up for days an event of now stays
    schema-valid."""
    import service.schema_limits as schema_limits

    def maximum() -> int:
        body = client.get("/openapi.json").json()
        return int(body["components"]["schemas"]["EventIn"]["properties"]["timestamp"]
                   ["anyOf"][0]["maximum"])  # the integer's (or an ISO 8601 time)

    now = time.time()
    assert now + 86_400 + 43_200 <= maximum() < now + 86_400 + 43_200 + 3600 + 60
    later = now + 3 * 86_400
    monotonic = time.monotonic() + 3 * 86_400
    monkeypatch.setattr(schema_limits.time, "monotonic", lambda: monotonic)
    monkeypatch.setattr(time, "time", lambda: later)
    assert maximum() > later


@pytest.mark.parametrize("family", ["bpr", "als"])
def test_events_of_users_a_model_cannot_fold_in_are_named_and_counted(
        family: str, tmp_path: Path) -> None:
    """BPR and LMF have no user step: a new user's events were acknowledged (200, stored),
    then dropped without a trace (events_applied 0, new_users 0, no count anywhere), and the
    status said users were refreshed. The answer now names such users and the status counts
    their events; under ALS the new user is folded in and nobody is named."""
    from recommender.model.config import TrainConfig
    from recommender.model.training import train
    from tests.service_fixtures import build_interactions

    model = train(build_interactions(n_users=60, n_films=20, per_user=6, seed=2),
                  TrainConfig(model=family, factors=4, iterations=5, segments=2, holdout=0.0),
                  progress=False)
    folder = artifact.save(model, tmp_path / "model")
    known, film = str(model.users.ids[0]), str(model.films.ids[0])
    settings = Settings(model_path=str(folder), store=str(tmp_path / "store.db"),
                        events_poll=0.05, warm_cache=False)
    with TestClient(create_app(settings)) as c:
        r = c.post("/events", json={"events": [ev(i, "newbie", film) for i in range(3)]
                                    + [ev(9, known, str(model.films.ids[1]))]})
        assert r.status_code == 200 and r.json()["stored"] == 4
        overlay = wait_applied(c, r.json()["sequence"])["overlay"]
    if family == "bpr":
        assert r.json()["unknown_user_ids"] == ["newbie"]
        assert overlay["events_for_unknown_users"] == 3 and overlay["new_users"] == 0
        assert overlay["events_applied"] == 1 and overlay["users_refreshed"] == 0
        assert overlay["vectors"].startswith("unchanged")
    else:
        assert r.json()["unknown_user_ids"] == []
        assert overlay["events_for_unknown_users"] == 0 and overlay["new_users"] == 1
        assert overlay["events_applied"] == 4 and overlay["users_refreshed"] == 2


def test_an_event_past_the_schemas_maximum_is_refused(client: TestClient) -> None:
    """The schema publishes a maximum never below the server's bound (the clock plus a day),
    so what it refuses is refused (Schemathesis: negative data accepted, when the server took
    up to the clock plus a day past a maximum rounded down)."""
    schema = client.get("/openapi.json").json()
    top = schema["components"]["schemas"]["EventIn"]["properties"]["timestamp"]["anyOf"][0][
        "maximum"]
    assert top >= time.time() + 86_400 + 12 * 3600  # the server's bound, half a day on
    r = client.post("/events", json={"events": [{**ev(90, "u1", "00001"), "timestamp": top + 1}]})
    assert r.status_code in (409, 422) and "more than a day" in r.json()["detail"]
    # valid by the schema, refused by the clock's rule, which the schema cannot state: a 409
    # (Schemathesis' valid bodies must not be a 422)
    r = client.post("/events", json={"events": [{**ev(91, "u1", "00001"), "timestamp": top}]})
    assert r.status_code == 409 and "more than a day" in r.json()["detail"], r.text


def test_post_events_and_events_import_share_the_one_day_limit(client: TestClient) -> None:
    """README: an event more than a day past the server's clock is refused, by POST /events as
    by events import. HTTP refused now + 86,340 s ("past the schema's maximum", the clock plus
    a day rounded down to the hour from a schema up to half a day old) where events import
    stored it."""
    from datetime import UTC, datetime

    client.get("/openapi.json")  # a schema built and kept, as a client's first read does
    near = int(time.time()) + 86_340
    r = client.post("/events", json={"events": [{**ev(92, "u1", "00001"), "timestamp": near}]})
    assert r.status_code == 200, r.text
    far = int(time.time()) + 86_400 + 120
    r = client.post("/events", json={"events": [{**ev(93, "u1", "00001"), "timestamp": far}]})
    detail = r.json()["detail"]
    iso = datetime.fromtimestamp(far, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")  # the oracle
    assert r.status_code == 409 and f"{far} ({iso})" in detail, detail
    assert "more than a day" in detail and "past the server's clock" in detail, detail


@pytest.mark.parametrize("how", ["deleted", "replaced"])
def test_no_event_is_acknowledged_into_a_deleted_or_replaced_store_file(
        model_dir: Path, tmp_path: Path, how: str) -> None:
    # the pooled SQLite connections keep the old file open: without a check they committed
    # into the unlinked file and answered 200, and those events were gone at the next start
    db = tmp_path / "store.db"
    settings = Settings(model_path=str(model_dir), store=str(db), events_poll=0.05,
                        warm_cache=False)
    with TestClient(create_app(settings)) as c:
        assert c.post("/events", json={"events": [ev(1, "u5", "00003")]}).status_code == 200
        db.unlink()
        if how == "replaced":  # e.g. a backup moved over it
            db.write_bytes(b"")
        r = c.post("/events", json={"events": [ev(2, "u5", "00003")]})
        assert r.status_code == 503, r.text
        assert r.headers["retry-after"] == "5"


def test_a_damaged_store_file_is_a_503_not_a_500(model_dir: Path, tmp_path: Path) -> None:
    # SQLite's "database disk image is malformed" is a DatabaseError, not an OperationalError:
    # it was a plain-text 500, then a 503 with Retry-After saying "retry in 5 s"
    db = tmp_path / "store.db"
    settings = Settings(model_path=str(model_dir), store=str(db), events_poll=0,
                        warm_cache=False)
    with TestClient(create_app(settings)) as c:
        assert c.post("/events", json={"events": [ev(1, "u5", "00003")]}).status_code == 200
        store = c.app.state.campaign_store  # type: ignore[attr-defined]
        store.engine.dispose()
        with open(db, "r+b") as f:  # every page after the first two overwritten
            size = f.seek(0, 2)
            for page in range(2 * 4096, size, 4096):
                f.seek(page)
                f.write(b"\xff" * 4096)
        for f in tmp_path.glob("store.db-*"):
            f.unlink()
        r = c.post("/events", json={"events": [ev(i, "u5", "00003") for i in range(2, 40)]})
        assert r.status_code == 503, r.text
        # said damaged, without Retry-After: a retry reads the same file (it said "down,
        # locked or out of connections: retry in 5 s")
        assert "retry-after" not in r.headers, r.headers
        assert "damaged" in r.json()["detail"] and "restore it from a backup" in \
            r.json()["detail"] and "retry in" not in r.json()["detail"], r.text
        assert c.get("/health").json()["campaign_store"] == "damaged"


def test_a_store_outage_is_logged_once_a_minute_with_its_count(
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    """A busy outage wrote one warning line per refused request; now one a minute per
    worker, saying how many refusals it stood for."""
    import asyncio
    import logging

    from starlette.requests import Request

    import service.errors as errors

    clock = {"now": 1000.0}
    monkeypatch.setattr(errors.time, "monotonic", lambda: clock["now"])
    monkeypatch.setattr(errors, "_refusals", {"next": 0.0, "quiet": 0})
    request = Request({"type": "http", "method": "POST", "path": "/events", "headers": [],
                       "query_string": b"", "server": ("t", 80), "scheme": "http"})
    with caplog.at_level(logging.WARNING, logger="recommender.service"):
        for _ in range(20):
            r = asyncio.run(errors.store_unavailable(request, OSError("database is locked")))
            assert r.status_code == 503 and r.headers["Retry-After"] == "5"
        clock["now"] += errors.STORE_LOG_EVERY
        asyncio.run(errors.store_unavailable(request, OSError("database is locked")))
    lines = [r.getMessage() for r in caplog.records if "campaign store unavailable" in r.message]
    assert len(lines) == 2 and "more requests" not in lines[0]
    assert "(19 more requests refused since the last line)" in lines[1]


def test_a_batch_s_errors_say_what_happened_once(client: TestClient) -> None:
    # an event_id twice in one batch with two payloads: the store holds neither, so it is no
    # retry of a recorded event (the 409 said 'already recorded')
    twice = {"events": [ev(1, "u5", "00003"), {**ev(1, "u5", "00003"), "timestamp": 1_600_000_001}]}
    r = client.post("/events", json=twice)
    assert r.status_code == 409, r.text
    assert "sent twice in this batch" in r.json()["detail"]
    assert "already recorded" not in r.json()["detail"]
    assert client.post("/events", json={"events": [ev(1, "u5", "00003")]}).status_code == 200
    changed = {"events": [{**ev(1, "u5", "00003"), "timestamp": 1_600_000_002}]}
    r = client.post("/events", json=changed)  # a stored event changed: that is the retry case
    assert r.status_code == 409 and "already recorded" in r.json()["detail"]
    # a timestamp that is no number: what it got is said once ("got 'x', got 'x'")
    r = client.post("/events", json={"events": [{**ev(2, "u5", "00003"), "timestamp": "x"}]})
    assert r.status_code == 422 and r.json()["detail"].count("got 'x'") == 1, r.text


def test_an_event_of_now_is_taken_a_day_after_the_schema_was_read(
        client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """The route held to the maximum of the last schema built, which is rebuilt only when the
    schema is read again: one read of /openapi.json (a client generator, a look at /docs),
    then a day with no other, and every event dated now was refused (422, "past the schema's
    maximum"), so a client lost them all. A schema due a rebuild publishes the clock's bound,
    and the route holds to that."""
    client.get("/openapi.json")
    later = 2 * 86_400.0
    real_time, real_mono = time.time, time.monotonic
    monkeypatch.setattr(time, "time", lambda: real_time() + later)
    monkeypatch.setattr(time, "monotonic", lambda: real_mono() + later)
    now = int(time.time())
    r = client.post("/events", json={"events": [{**ev(92, "u1", "00001"), "timestamp": now}]})
    assert r.status_code == 200, r.text
    schema = client.get("/openapi.json").json()  # the schema read now allows it too
    assert schema["components"]["schemas"]["EventIn"]["properties"]["timestamp"]["anyOf"][0][
        "maximum"] >= now


@pytest.mark.parametrize("fast", [True, False])
def test_the_events_header_on_both_paths(model_dir: Path, tmp_path: Path, fast: bool) -> None:
    """``X-Events-Seq`` from the fast path (service/fastpath.py) and from the routes alike."""
    settings = Settings(model_path=str(model_dir), store=str(tmp_path / "store.db"),
                        events_poll=0.05, warm_cache=False, fast_path=fast)
    with TestClient(create_app(settings)) as c:
        seq = c.post("/events", json={"events": [ev(1, "someone", "00004")]}).json()["sequence"]
        assert wait_applied(c, seq)["applied"] == seq
        for path in ("/films/00004/audience", "/users/someone/recommendations"):
            r = c.get(path, params={"k": 3})
            assert r.status_code == 200 and r.headers["x-events-seq"] == str(seq), path
        assert "x-events-seq" not in c.get("/events/status").headers  # no model answered


def test_a_plan_made_on_the_caught_up_engine_says_its_events(model_dir: Path,
                                                             tmp_path: Path) -> None:
    """A plan reads the store first (``caught_up``) and plans on the engine the events made:
    X-Events-Seq names that engine's sequence, as the plan's ``store_events`` does (it named
    the request's first engine's, 0, beside a body through sequence 1). Oracle: the sequence
    POST /events answered."""
    settings = Settings(model_path=str(model_dir), store=str(tmp_path / "store.db"),
                        events_poll=0, warm_cache=False)
    with TestClient(create_app(settings)) as c:
        seq = c.post("/events", json={"events": [ev(1, "someone", "00004")]}).json()["sequence"]
        assert c.get("/films/00004/audience").headers["x-events-seq"] == "0"  # no poller
        r = c.post("/campaigns/plan", json={"films": [{"film_id": "00000", "budget": 5}]})
        assert r.status_code == 200, r.text
        assert r.json()["summary"]["store_events"]["through_seq"] == seq == 1
        assert r.headers["x-events-seq"] == str(seq)


def test_the_fast_paths_header_names_the_engine_it_answered_with(
        model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The fast path looked the sequence up after its body was made: two events installs
    meanwhile (a cold ranking under steady events) had dropped the engine it took from the
    poller's table, and the header said 0 for a body through sequence 1. Oracle: the
    sequence POST /events answered before the request."""
    from recommender.campaigns.events import check_events, record_events
    from service import fastpath

    moves: list[Any] = []
    original = fastpath._audience_lane

    async def lane(*args: Any) -> bytes | None:
        body = await original(*args)
        for move in moves:
            move()
        return body

    monkeypatch.setattr(fastpath, "_audience_lane", lane)
    settings = Settings(model_path=str(model_dir), store=str(tmp_path / "store.db"),
                        events_poll=0, warm_cache=False)
    with TestClient(create_app(settings)) as c:
        sync = c.app.state.events_sync  # type: ignore[attr-defined]
        seq = c.post("/events", json={"events": [ev(1, "someone", "00004")]}).json()["sequence"]
        sync.poll()
        assert sync.applied == seq == 1

        def two_installs() -> None:
            moves.clear()
            for i in (2, 3):
                record_events(sync.store, check_events([ev(i, f"other{i}", "00004")]))
                assert sync.poll()

        moves.append(two_installs)
        r = c.get("/films/00004/audience", params={"k": 3})
        assert r.status_code == 200 and not moves and sync.applied == 3
        assert r.headers["x-events-seq"] == str(seq)


def test_a_replayed_plan_names_no_events_sequence(model_dir: Path, tmp_path: Path) -> None:
    """A retry with the plan's Idempotency-Key answers the stored plan, made before the events
    that came since: X-Events-Seq named the serving engine's sequence (1) beside a body
    planned on none. A replay is no engine's answer: it carries none. Oracle: the body's own
    ``store_events`` and the sequence POST /events answered."""
    settings = Settings(model_path=str(model_dir), store=str(tmp_path / "store.db"),
                        events_poll=0, warm_cache=False)
    body = {"films": [{"film_id": "00000", "budget": 5}]}
    with TestClient(create_app(settings)) as c:
        first = c.post("/campaigns/plan", json=body, headers={"Idempotency-Key": "k-1"})
        assert first.headers["x-events-seq"] == "0" and first.json()["summary"][
            "store_events"] is None
        seq = c.post("/events", json={"events": [ev(1, "someone", "00004")]}).json()["sequence"]
        nxt = c.post(f"/campaigns/{first.json()['plan_id']}/next", json={"sent_waves": 1})
        assert nxt.headers["x-events-seq"] == str(seq)  # planned on the events
        again = c.post("/campaigns/plan", json=body, headers={"Idempotency-Key": "k-1"})
        read = c.get(f"/campaigns/{first.json()['plan_id']}").json()
    # the replay is the stored plan as read now (GET's body): its next wave named
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == read and read["plan_id"] == first.json()["plan_id"]
    assert [n["plan_id"] for n in read["summary"]["next_waves"]] == [nxt.json()["plan_id"]]
    assert "x-events-seq" not in again.headers


def test_a_report_window_out_of_range_is_refused_in_the_cli_s_words(client: TestClient
                                                                     ) -> None:
    """``?window_days=0`` was refused "should be greater than or equal to
    0.000011574074074074073" and ``nan`` "should be less than or equal to 3650", where
    ``campaign report --window-days`` says "[1/86400, 3650] (at least one second)"."""
    for text in ("0", "nan", "-1", "3651", "inf"):
        r = client.get("/campaigns/nope/report", params={"window_days": text})
        assert r.status_code == 422, r.text
        assert r.json()["detail"] == ("query parameter 'window_days': expected days in "
                                      f"[1/86400, 3650] (at least one second), got '{text}'")
        assert [e["loc"] for e in r.json()["errors"]] == [["query", "window_days"]]
    r = client.get("/campaigns/nope/report", params={"window_days": "x"})  # not a number
    assert r.status_code == 422 and "valid number" in r.json()["detail"], r.text
    spec = client.get("/openapi.json").json()["paths"]["/campaigns/{plan_id}/report"]["get"]
    schema = next(p["schema"] for p in spec["parameters"] if p["name"] == "window_days")
    assert schema["minimum"] == 1 / 86400 and schema["maximum"] == 3650, schema


@pytest.mark.parametrize("field", ["user_id", "film_id"])
@pytest.mark.parametrize("blank", [" ", "\t", "  \r\n"])
def test_an_id_of_blanks_is_refused_as_events_import_refuses_it(
        client: TestClient, tmp_path: Path, field: str, blank: str) -> None:
    """An id of blanks only (a ', ' separator before an empty cell) is no id: events import
    refuses it naming the line (the oracle: its reader, ``read_event_file``), and POST /events
    and ``check_events`` refuse it too, storing nothing (it was stored: a user ' ' of its own,
    trained by ``train --events``)."""
    from recommender.campaigns.event_file import read_event_file
    from recommender.campaigns.events import check_events
    from recommender.errors import DataError, InvalidParameterError

    event = {**ev(1, "u5", "00003"), field: blank}
    path = tmp_path / "blank.csv"
    path.write_text("event_id,user_id,film_id,timestamp\n" + ",".join(
        f'"{event[c]}"' for c in ("event_id", "user_id", "film_id", "timestamp")) + "\n")
    with pytest.raises(DataError, match="blanks only"):
        read_event_file(path)
    r = client.post("/events", json={"events": [ev(0, "u5", "00003"), event]})
    assert r.status_code == 422 and "blanks only" in r.text, r.text
    assert count_events(client.app.state.campaign_store) == 0  # type: ignore[attr-defined]
    with pytest.raises(InvalidParameterError, match=f"{field} is blanks only"):
        check_events([event])
    assert client.post("/events", json={"events": [ev(0, "u5", "00003")]}).status_code == 200
