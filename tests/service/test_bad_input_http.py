"""Bad input the service once answered with a 500 or let through: each is a 422 naming the
field, and nothing of a refused events batch is stored."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from service_fixtures import save_model

from recommender.campaigns.events import count_events
from service import store_health
from service.app import create_app
from service.settings import Settings


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    root = tmp_path_factory.mktemp("bad-input-http")
    settings = Settings(model_path=str(save_model(root / "model")),
                        store=str(root / "store.db"), warm_cache=False)
    with TestClient(create_app(settings)) as c:
        yield c


@pytest.mark.parametrize("segment", ["--1", "²", "-²", "٣"])
def test_a_segment_that_only_looks_numeric_is_a_422(client: TestClient, segment: str) -> None:
    r = client.get("/films/00004/audience", params={"segment": segment})
    assert r.status_code == 422, r.text
    assert r.json()["detail"].startswith(f"unknown segment {segment!r}; give a number or a "
                                         "label: 0: ")
    r = client.post("/audiences/cold-start", json={"genres": ["G1"], "segment": segment})
    assert r.status_code == 422, r.text
    assert f"unknown segment {segment!r}" in r.json()["detail"]
    ok = client.get("/films/00004/audience", params={"segment": "1"})
    assert ok.status_code == 200 and ok.json()["users"]


def _event(i: int, **kw: str) -> dict[str, Any]:
    return {"event_id": f"nul-{i}", "user_id": "u5", "film_id": "00003",
            "timestamp": 1_700_000_000 + i, **kw}


@pytest.mark.parametrize("field", ["user_id", "film_id", "event_id"])
def test_an_event_id_with_a_nul_byte_is_a_422(client: TestClient, field: str) -> None:
    store = client.app.state.campaign_store  # type: ignore[attr-defined]
    before = count_events(store)
    # numpy drops trailing NULs: "u5\x00" would have become user "u5"
    r = client.post("/events", json={"events": [_event(1), _event(2, **{field: "u5\x00"})]})
    assert r.status_code == 422, r.text
    detail = r.json()["detail"]
    assert "events[1]" in detail and field in detail and "holds a NUL byte" in detail, detail
    assert "nothing of this batch was stored" in detail
    assert count_events(store) == before
    # the schema says so too (Schemathesis found a NUL the schema allowed refused)
    schema = client.get("/openapi.json").json()["components"]["schemas"]["EventIn"]
    pattern = schema["properties"][field]["pattern"]
    assert re.search(pattern, "u5") and not re.search(pattern, "u5\x00"), pattern


LONE = '"\\ud800"'  # JSON's escape of an unpaired surrogate: Python reads it, UTF-8 cannot
SURROGATE_BODIES = [  # '@' stands for LONE
    ("/audiences/lookalike", '{"seed_user_ids": [@], "k": 5}'),
    ("/audiences/lookalike", '{"seed_user_ids": ["u5"], "tier": @}'),
    ("/audiences/cold-start", '{"comparable_film_ids": [@]}'),
    ("/audiences/cold-start", '{"comparable_film_ids": {@: 1}}'),
    ("/audiences/cold-start", '{"genres": [@]}'),
    ("/audiences/cold-start", '{"genres": ["G1"], "segment": @}'),
    ("/recommendations", '{"film_ids": [@]}'),
    ("/distribution/cold-start", '{"comparable_film_ids": [@], "by": "city"}'),
    ("/distribution/slate", '{"films": [{"film_id": @}]}'),
    ("/distribution/slate", '{"films": [{"film_id": "00003"}], '
                            '"cinemas": [{"cinema_id": @, "screens": 2}]}'),
    ("/campaigns/plan", '{"films": [{"film_id": "00003", "budget": 5}], '
                        '"exclude_user_ids": [@]}'),
    ("/campaigns/plan", '{"films": [{"film_id": @, "budget": 5}]}'),
    ("/events", '{"events": [{"event_id": "s1", "user_id": @, "film_id": "00003", '
                '"timestamp": 1700000000}]}'),
]


@pytest.mark.parametrize(("path", "body"), SURROGATE_BODIES)
def test_an_unpaired_surrogate_in_a_body_is_a_422(client: TestClient, path: str,
                                                 body: str) -> None:
    # it was a 500 (pyarrow cannot encode the id) on five routes
    body = body.replace("@", LONE)
    r = client.post(path, content=body, headers={"content-type": "application/json"})
    assert r.status_code == 422, (path, body, r.status_code, r.text)
    detail = r.json()["detail"]
    # an id says why; a vocabulary word (tier, genre, segment) is an unknown one
    assert any(why in detail for why in ("unpaired surrogate", "unicode", "unknown")), detail


def test_a_nul_byte_in_a_plans_ids_is_a_422_the_schema_states(client: TestClient) -> None:
    # an opt-out's NUL was refused while /openapi.json allowed it; a slate film's was a 404
    # naming another film ("unknown film_id '00003'": numpy had dropped the NUL)
    for body in ({"films": [{"film_id": "00003", "budget": 5}], "exclude_user_ids": ["u5\0"]},
                 {"films": [{"film_id": "00003\0", "budget": 5}]}):
        r = client.post("/campaigns/plan", json=body)
        assert r.status_code == 422 and "holds a NUL byte" in r.json()["detail"], r.text
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    nul = "^[^\\u0000]*$"
    assert schemas["PlanRequest"]["properties"]["exclude_user_ids"]["items"]["pattern"] == nul
    assert schemas["NextWaveRequest"]["properties"]["exclude_user_ids"]["items"]["pattern"] == nul
    assert schemas["SlateFilmIn"]["properties"]["film_id"]["pattern"] == nul


def test_a_store_that_cannot_be_reached_is_a_503_to_retry(
        tmp_path_factory: pytest.TempPathFactory) -> None:
    # every store route answered a plain-text 500 while PostgreSQL was down (or SQLite locked)
    import sqlalchemy as sa

    root = tmp_path_factory.mktemp("store-down")
    settings = Settings(model_path=str(save_model(root / "model")),
                        store=str(root / "store.db"), warm_cache=False)
    with TestClient(create_app(settings), raise_server_exceptions=False) as c:
        store = c.app.state.campaign_store  # type: ignore[attr-defined]
        store.engine = sa.create_engine(f"sqlite:///{root / 'gone' / 'no.db'}")  # cannot open
        for method, path, body in (("GET", "/campaigns", None), ("GET", "/events/status", None),
                                   ("POST", "/events", {"events": [_event(9)]})):
            r = c.request(method, path, json=body)
            assert r.status_code == 503, (path, r.status_code, r.text)
            assert r.headers["Retry-After"] == "5"
            assert r.json()["detail"].startswith("the campaign store is unavailable")
        assert c.get("/films/00004/audience", params={"k": 3}).status_code == 200
        schema = c.get("/openapi.json").json()["paths"]
        assert "503" in schema["/campaigns/plan"]["post"]["responses"]
        assert "503" in schema["/events"]["post"]["responses"]


def test_a_full_disk_under_the_store_is_said_so(tmp_path_factory: pytest.TempPathFactory
                                                 ) -> None:
    """A store whose disk is full was "down, locked or out of connections" (the real cause
    was in the log only): a 503 to retry that says the disk is full."""
    import sqlalchemy as sa

    root = tmp_path_factory.mktemp("store-full")
    settings = Settings(model_path=str(save_model(root / "model")),
                        store=str(root / "store.db"), warm_cache=False)
    with TestClient(create_app(settings), raise_server_exceptions=False) as c:
        assert c.post("/events", json={"events": [_event(1)]}).status_code == 200
        store = c.app.state.campaign_store  # type: ignore[attr-defined]
        full = sa.create_engine(f"sqlite:///{root / 'store.db'}")

        @sa.event.listens_for(full, "connect")
        def no_room(dbapi: Any, _record: Any) -> None:  # SQLite's SQLITE_FULL at the next page
            pages = dbapi.execute("PRAGMA page_count").fetchone()[0]
            dbapi.execute(f"PRAGMA max_page_count = {pages}")

        store.engine = full
        r = c.post("/events", json={"events": [_event(i) for i in range(2, 2000)]})
        assert r.status_code == 503 and r.headers["Retry-After"] == "5", r.text
        assert "unavailable (the disk under it is full)" in r.json()["detail"]
        assert "store.db" not in r.json()["detail"]  # paths go to the log only


def test_a_full_postgresql_disk_is_known_by_its_code_in_any_language(
        tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """A PostgreSQL server speaking German (lc_messages=de_DE) says "Auf dem Gerät ist kein
    Speicherplatz mehr verfügbar": the English words were all the check knew, so the 503
    said "down, locked or out of connections" and the CLI "another process may hold it".
    SQLSTATE 53100 (disk_full) says it in every language."""
    import psycopg.errors
    import sqlalchemy as sa

    from recommender.cli import _store_failure
    from recommender.errors import disk_full

    german = psycopg.errors.DiskFull("konnte Datei nicht erweitern: Auf dem Gerät ist kein "
                                     "Speicherplatz mehr verfügbar")
    wrapped = sa.exc.OperationalError("INSERT INTO campaign_events ...", {}, german)
    assert disk_full(wrapped) and disk_full(german)
    assert not disk_full(sa.exc.OperationalError("SELECT 1", {}, psycopg.errors.AdminShutdown(
        "Verbindung beendet")))
    failure = _store_failure(wrapped)
    assert failure is not None and "the disk that holds it is full" in failure

    class Psycopg2Error(Exception):  # psycopg2 names the code pgcode (not installed here)
        pgcode = "53100"

    assert disk_full(sa.exc.OperationalError("INSERT ...", {}, Psycopg2Error("kein Platz")))
    root = tmp_path_factory.mktemp("store-full-de")
    settings = Settings(model_path=str(save_model(root / "model")),
                        store=str(root / "store.db"), warm_cache=False)
    with TestClient(create_app(settings), raise_server_exceptions=False) as c:
        store = c.app.state.campaign_store  # type: ignore[attr-defined]

        def full(*_args: Any, **_kw: Any) -> Any:
            raise wrapped

        monkeypatch.setattr(store, "list_plans", full)
        r = c.get("/campaigns")
        assert r.status_code == 503, r.text
        assert "unavailable (the disk under it is full)" in r.json()["detail"]


def test_a_store_that_refuses_writes_is_a_503_saying_so(
        tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """A PostgreSQL store turned read-only (a standby after a failover, the database's
    default_transaction_read_only) raises psycopg's ReadOnlySqlTransaction, which SQLAlchemy
    wraps as an InternalError: every event and plan was a plain-text 500 (the CLI: a
    traceback). A SQLite store whose file cannot be written was a 503 saying "down, locked
    or out of connections". Both are a 503 to retry that says the store refuses writes."""
    import sqlite3

    import psycopg.errors
    import sqlalchemy as sa

    from recommender.cli import _store_failure
    from recommender.errors import read_only

    standby = sa.exc.InternalError("INSERT INTO campaign_events ...", {},
                                   psycopg.errors.ReadOnlySqlTransaction(
                                       "cannot execute INSERT in a read-only transaction"))
    root = tmp_path_factory.mktemp("store-read-only")
    sqlite3.connect(root / "ro.db").execute("CREATE TABLE t (x)")
    try:  # a real SQLITE_READONLY
        sqlite3.connect(f"file:{root / 'ro.db'}?mode=ro", uri=True).execute(
            "INSERT INTO t VALUES (1)")
    except sqlite3.OperationalError as e:
        file = sa.exc.OperationalError("INSERT ...", {}, e)
    assert read_only(standby) and read_only(file)
    assert not read_only(sa.exc.OperationalError("SELECT 1", {}, psycopg.errors.AdminShutdown(
        "terminating connection")))
    failure = _store_failure(standby)
    assert failure is not None and "refuses writes" in failure
    # no probe of the poller finds the file writable (it is) while ``begin`` refuses
    monkeypatch.setattr(store_health, "MOVED_EVERY", 1e9)
    settings = Settings(model_path=str(save_model(root / "model")),
                        store=str(root / "store.db"), warm_cache=False)
    with TestClient(create_app(settings), raise_server_exceptions=False) as c:
        store = c.app.state.campaign_store  # type: ignore[attr-defined]
        for error in (standby, file):
            def refuse(*_args: Any, error: Exception = error, **_kw: Any) -> Any:
                raise error

            monkeypatch.setattr(store.engine, "begin", refuse)
            r = c.post("/events", json={"events": [_event(1)]})
            assert r.status_code == 503 and r.headers["Retry-After"] == "5", r.text
            assert "refuses writes: read-only" in r.json()["detail"]
            # /health said "ok" while every write was refused
            assert c.get("/health").json()["campaign_store"] == "read_only"
        monkeypatch.undo()  # writable again: the next write ends it
        assert c.post("/events", json={"events": [_event(2)]}).status_code == 200
        assert c.get("/health").json()["campaign_store"] == "ok"


def test_a_store_whose_disk_fails_says_so_in_health(
        tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """A store whose disk is full or whose files fail I/O answered every write 503 while
    /health's campaign_store said "ok": it says "failing" until a write succeeds."""
    import sqlite3

    import sqlalchemy as sa

    full = sqlite3.OperationalError("database or disk is full")
    full.sqlite_errorcode = 13  # type: ignore[attr-defined]
    broken = sqlite3.OperationalError("disk I/O error")
    broken.sqlite_errorcode = 10 | (4 << 8)  # type: ignore[attr-defined]  # SQLITE_IOERR_WRITE
    root = tmp_path_factory.mktemp("store-failing")
    settings = Settings(model_path=str(save_model(root / "model")),
                        store=str(root / "store.db"), warm_cache=False)
    with TestClient(create_app(settings), raise_server_exceptions=False) as c:
        store = c.app.state.campaign_store  # type: ignore[attr-defined]
        for n, (cause, said) in enumerate(((full, "disk under it is full"),
                                           (broken, "an I/O error"))):
            error = sa.exc.OperationalError("INSERT ...", {}, cause)

            def fail(*_args: Any, error: Exception = error, **_kw: Any) -> Any:
                raise error

            monkeypatch.setattr(store.engine, "begin", fail)
            r = c.post("/events", json={"events": [_event(n + 1)]})
            assert r.status_code == 503 and said in r.json()["detail"], r.text
            assert c.get("/health").json()["campaign_store"] == "failing"
            monkeypatch.undo()  # the next write that succeeds ends it
            assert c.post("/events", json={"events": [_event(n + 10)]}).status_code == 200
            assert c.get("/health").json()["campaign_store"] == "ok"


def test_the_store_pool_is_the_operators_to_size(tmp_path_factory: pytest.TempPathFactory,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    # the pool was SQLAlchemy's fixed 5 (+10) per store: RECOMMENDER_STORE_POOL_* size it,
    # and a request that waits past the timeout for a connection is a 503 to retry
    root = tmp_path_factory.mktemp("store-pool")
    monkeypatch.setenv("RECOMMENDER_STORE_POOL_SIZE", "2")
    monkeypatch.setenv("RECOMMENDER_STORE_POOL_OVERFLOW", "0")
    monkeypatch.setenv("RECOMMENDER_STORE_POOL_TIMEOUT", "0.5")
    settings = Settings(model_path=str(save_model(root / "model")),
                        store=str(root / "store.db"), warm_cache=False)
    with TestClient(create_app(settings), raise_server_exceptions=False) as c:
        assert c.get("/campaigns").status_code == 200
        store = c.app.state.campaign_store  # type: ignore[attr-defined]
        assert store.engine.pool.size() == 2
        held = [store.engine.connect() for _ in range(2)]  # every connection taken
        try:
            r = c.get("/campaigns")
            assert r.status_code == 503 and r.headers["Retry-After"] == "5", r.text
        finally:
            for conn in held:
                conn.close()
        assert c.get("/campaigns").status_code == 200


def test_an_error_names_the_field_not_pydantics_union_member(client: TestClient) -> None:
    # a field or key holding '[' lost its name; a union member's tag was shown as a field
    r = client.post("/campaigns/plan", json={"films": [{"film_id": "00003", "budget": 5}],
                                             "exclude_user_ids[]": ["u1"]})
    assert "body field 'exclude_user_ids[]' is not a known field" in r.json()["detail"]
    r = client.post("/audiences/cold-start",
                    json={"comparable_film_ids": {"Alien [1979]": "heavy"}})
    assert "body field 'comparable_film_ids.Alien [1979]'" in r.json()["detail"], r.text
    r = client.post("/audiences/cold-start", json={"genres": ["G1"], "segment": 1.5})
    assert r.status_code == 422 and "segment.str" not in r.json()["detail"], r.text
    assert "dict[" not in r.text and "function-after" not in r.text


@pytest.mark.parametrize("value, shown", [(True, "got true"), (None, "got null"),
                                           (False, "got false")])
def test_an_error_shows_a_json_value_as_json_spells_it(client: TestClient, value: Any,
                                                       shown: str) -> None:
    # "got True" and "got None": Python's names of what the client sent as true and null
    r = client.post("/audiences/lookalike", json={"seed_user_ids": ["u1"], "k": value})
    assert r.status_code == 422 and shown in r.json()["detail"], r.text
    assert "True" not in r.text and "None" not in r.text and "False" not in r.text


@pytest.mark.parametrize("field", ["user_id", "film_id"])
def test_an_event_takes_the_ids_a_training_log_takes(client: TestClient, field: str) -> None:
    """Up to 1,000 bytes in UTF-8, as a training log's ids (it was 256 characters); past it, a
    422 naming the field, nothing stored; the schema's maxLength says the 1,000."""
    store = client.app.state.campaign_store  # type: ignore[attr-defined]
    before = count_events(store)
    i = 10 if field == "user_id" else 20
    r = client.post("/events", json={"events": [_event(i, **{field: "x" * 1000})]})
    assert r.status_code == 200, r.text
    assert count_events(store) == before + 1
    r = client.post("/events", json={"events": [_event(i + 1, **{field: "é" * 501})]})
    assert r.status_code == 422 and "1,002 bytes" in r.text and field in r.text, r.text
    assert count_events(store) == before + 1
    schema = client.get("/openapi.json").json()["components"]["schemas"]["EventIn"]
    assert schema["properties"][field]["maxLength"] == 1000


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded",
                                          None])
def test_a_deeply_nested_events_body_not_sent_as_json_is_refused_unparsed(
        client: TestClient, content_type: str | None) -> None:
    # the 422 that names each bad event parsed the body again with json.loads, whose
    # RecursionError on a body nested 5,000 deep was a 500 (the body went to the log whole);
    # such a body is a 415 now, refused before any parse, and nothing is stored
    store = client.app.state.campaign_store  # type: ignore[attr-defined]
    before = count_events(store)
    headers = {"content-type": content_type} if content_type else {}
    for body in (b"[" * 5000 + b"]" * 5000, b'{"events": ' + b"[" * 5000 + b"]" * 5000 + b"}"):
        r = client.post("/events", content=body, headers=headers)
        assert r.status_code == 415, r.text
        assert "not sent as JSON" in r.json()["detail"]
    assert count_events(store) == before


@pytest.mark.parametrize(("body", "said"), [
    (b'{"seed_user_ids": ["u1"], "k": 1' + b"0" * 5000 + b"}", "a number of over 4,300 digits"),
    (b'{"seed_user_ids": ["\xff"]}', "not UTF-8 text (byte 20 is b'\\xff')"),
    (b'{"seed_user_ids": ' + b"[" * 100000 + b"]" * 100000 + b"}", "nested too deeply")])
def test_a_body_json_cannot_parse_is_a_422_saying_why(client: TestClient, body: bytes,
                                                      said: str) -> None:
    # a number of 5,000 digits was said to be text that is not UTF-8 or nested too deeply
    r = client.post("/audiences/lookalike", content=body,
                    headers={"content-type": "application/json"})
    assert r.status_code == 422, r.text
    assert said in r.json()["detail"], r.text


def test_a_store_whose_files_fail_an_io_is_a_503_saying_so(
        tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """A SQLite store whose write-ahead log the system refuses to write (an immutable or
    revoked file, a failing disk) fails with SQLITE_IOERR_WRITE, "disk I/O error": the plan
    that met it was a 503 saying the store was "down, locked or out of connections"."""
    import sqlite3

    import sqlalchemy as sa

    from recommender.errors import io_error

    failed = sqlite3.OperationalError("disk I/O error")
    failed.sqlite_errorcode = 778  # SQLITE_IOERR_WRITE, as sqlite3 sets it
    error = sa.exc.OperationalError("INSERT ...", {}, failed)
    assert io_error(error)
    root = tmp_path_factory.mktemp("store-io-error")
    settings = Settings(model_path=str(save_model(root / "model")),
                        store=str(root / "store.db"), warm_cache=False)
    with TestClient(create_app(settings), raise_server_exceptions=False) as c:
        store = c.app.state.campaign_store  # type: ignore[attr-defined]

        def refuse(*_args: Any, **_kw: Any) -> Any:
            raise error

        monkeypatch.setattr(store.engine, "begin", refuse)
        r = c.post("/events", json={"events": [_event(1)]})
        assert r.status_code == 503 and r.headers["Retry-After"] == "5", r.text
        assert "an I/O error" in r.json()["detail"] and "down, locked" not in r.text


def test_a_fraction_and_a_millisecond_timestamp_are_said_once_and_plainly(
        client: TestClient) -> None:
    # "should be a valid integer, got a number with a fractional part, got 1.5": got twice
    r = client.post("/audiences/lookalike", json={"seed_user_ids": ["u1"], "k": 1.5})
    detail = r.json()["detail"]
    assert r.status_code == 422 and detail.count("got") == 1 and "(1.5)" in detail, detail
    # POST /events said only "less than or equal to 100000000000" of a time in milliseconds,
    # where events import says "milliseconds? divide by 1,000"
    store = client.app.state.campaign_store  # type: ignore[attr-defined]
    before = count_events(store)
    r = client.post("/events", json={"events": [_event(40, timestamp=1_796_437_119_000)]})
    detail = r.json()["detail"]
    assert r.status_code == 422 and "events[0]" in detail and "timestamp" in detail, detail
    assert "milliseconds? divide by 1,000" in detail and "unix seconds" in detail, detail
    assert count_events(store) == before


def test_a_request_with_thousands_of_problems_names_the_first_and_counts_the_rest(
        client: TestClient) -> None:
    """3,000 events of a bad weight were a 422 naming each in its detail and listing each in
    its errors (100,000 bad seed ids: a 0.6 MB request, a 21 MB answer); the detail says the
    first 20 and how many more, errors lists the first 1,000, each as before."""
    events = [{**_event(i), "weight": -1} for i in range(3_000)]
    r = client.post("/events", json={"events": events})
    assert r.status_code == 422, r.text
    body = r.json()
    said = [s for s in body["detail"].split("; ") if s.startswith("events[")]
    assert len(said) == 20 and said[0].startswith("events[0] (event_id 'nul-0'): body field "
                                                  "'events[0].weight'")
    assert body["detail"].endswith("; and 2,980 more problems (errors lists the first 1,000 of "
                                   "3,000); nothing of this batch was stored")
    assert [e["loc"] for e in body["errors"]] == [["body", "events", i, "weight"]
                                                  for i in range(1_000)]
    assert all(e["type"] == "greater_than" for e in body["errors"])
    assert len(r.content) < 300_000
    few = client.post("/events", json={"events": events[:3]}).json()
    assert len(few["errors"]) == 3 and "more problems" not in few["detail"]
    # every route's 422 alike: 2,000 seed ids that are numbers
    r = client.post("/audiences/lookalike", json={"seed_user_ids": [1.5] * 2_000})
    body = r.json()
    assert r.status_code == 422 and len(body["errors"]) == 1_000, r.text[:300]
    assert body["detail"].count("; ") == 20 and "1,980 more problems" in body["detail"]


def test_a_request_with_a_few_problems_past_those_said_counts_them_in_words(
        client: TestClient) -> None:
    """21 bad seed ids: the detail said 'and 1 more problems (errors lists the first 21 of
    21)'; one more is a problem, and errors lists all of them."""
    body = client.post("/audiences/lookalike", json={"seed_user_ids": [1.5] * 21}).json()
    assert len(body["errors"]) == 21
    assert body["detail"].endswith("; and 1 more problem (errors lists all 21)"), body["detail"]
    body = client.post("/audiences/lookalike", json={"seed_user_ids": [1.5] * 1_001}).json()
    assert len(body["errors"]) == 1_000
    assert body["detail"].endswith("; and 981 more problems (errors lists the first 1,000 of "
                                   "1,001)"), body["detail"][-200:]


@pytest.mark.parametrize("sign", ["", "-"])
def test_a_segment_of_thousands_of_digits_is_a_422_as_a_long_one_is(
        client: TestClient, sign: str) -> None:
    """``int()`` refuses a text of over 4,300 digits: ``segment=999...`` (5,000 nines) was a
    500 where 23 nines were the 422 "segment must be in [0, n-1]"; now both are."""
    listed = client.get("/segments").json()
    n = len(listed["segments"]) + listed["hidden"]["segments"]
    for digits in (23, 5000):
        number = sign + "9" * digits
        shown = number if digits <= 30 else f"{number[:12]}... ({digits:,} digits)"
        want = f"segment must be in [0, {n - 1}], got {shown}; the segments are: 0: "
        for r in (client.get("/films/00004/audience", params={"segment": number}),
                  client.get("/films/00004/audience.csv", params={"segment": number}),
                  client.get("/film/audience", params={"film_id": "00004", "segment": number}),
                  client.post("/audiences/cold-start",
                              json={"genres": ["G1"], "segment": number}),
                  client.post("/audiences/cold-start.csv",
                              json={"genres": ["G1"], "segment": number})):
            assert r.status_code == 422, (r.request.url, r.text[:300])
            assert want in r.json()["detail"], r.json()["detail"][:300]
    # leading zeros aside, a number of few digits is still read
    ok = client.get("/films/00004/audience", params={"segment": "0" * 5000 + "1"})
    assert ok.status_code == 200 and ok.json()["users"], ok.text[:300]
