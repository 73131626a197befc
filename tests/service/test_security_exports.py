"""Exports over HTTP: every audience download is in the export log (who by key id, what,
when; never the key), ``pseudonymize=true`` replaces user ids by their keyed HMAC (403 when
the server has no key), and a CSV download neutralises cells a spreadsheet would run."""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from security_fixtures import HOSTILE_FILM, HOSTILE_TITLE, HOSTILE_USERS, hostile_model
from service_fixtures import ODD_FILM_ID

from recommender.model import artifact
from service.app import create_app
from service.auth import WRITE_PATHS
from service.settings import Settings

READ = "export-read-key-0001"
WRITE = "export-write-key-0001"  # plans are written to the store: a write key makes them
PSEUDO = "export-pseudonym-key-0123456789"


def oracle(user_id: str, key: str = PSEUDO) -> str:
    return "p-" + hmac.new(key.encode(), user_id.encode(), hashlib.sha256).hexdigest()


def owasp(text: str) -> str:
    return "'" + text if text[:1] in {"=", "+", "-", "@", "\t", "\r"} else text


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return artifact.save(hostile_model(), tmp_path_factory.mktemp("hostile") / "model")


@pytest.fixture()
def log_path(tmp_path: Path) -> Path:
    return tmp_path / "exports.jsonl"


def make(model_dir: Path, **kw: Any) -> TestClient:
    return TestClient(create_app(Settings(model_path=str(model_dir), **kw)))


@pytest.fixture()
def locked(model_dir: Path, log_path: Path) -> Iterator[TestClient]:
    with make(model_dir, read_keys=f"crm:{READ}", write_keys=f"planner:{WRITE}",
              access_log=str(log_path), pseudonym_key=PSEUDO) as c:
        yield c


def records(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def read_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_each_download_is_logged_by_key_id(locked: TestClient, log_path: Path) -> None:
    key = {"X-API-Key": READ}
    before = datetime.now(UTC) - timedelta(seconds=1)
    r = locked.get("/films/00004/audience.csv", params={"k": 7, "offset": 2}, headers=key)
    assert r.status_code == 200
    film = quote(ODD_FILM_ID, safe="")
    r2 = locked.get(f"/films/{film}/audience.csv", params={"filter": "region=R1"},
                    headers={"Authorization": f"Bearer {READ}"})
    assert r2.status_code == 200
    assert locked.get("/films/00004/audience.csv").status_code == 401  # not an export
    assert locked.get("/films/nosuch/audience.csv", headers=key).status_code == 404
    first, second = records(log_path)
    assert first["key_id"] == "crm" == second["key_id"]
    assert first["endpoint"] == "GET /films/{film_id}/audience.csv"
    assert first["film_id"] == "00004" and second["film_id"] == ODD_FILM_ID
    assert first["params"]["k"] == 7 and first["params"]["offset"] == 2
    assert second["params"]["filters"] == ["region=R1"]
    assert first["rows"] == len(read_csv(r.text)) == 7
    assert first["pseudonymized"] is False
    when = datetime.fromisoformat(first["time"].replace("Z", "+00:00"))
    assert before <= when <= datetime.now(UTC)
    text = log_path.read_text()
    assert READ not in text and PSEUDO not in text
    assert oct(os.stat(log_path).st_mode & 0o777) == oct(0o600)


def test_no_log_without_the_setting(model_dir: Path, tmp_path: Path) -> None:
    with make(model_dir) as c:
        assert c.get("/films/00004/audience.csv").status_code == 200
    assert not list(tmp_path.iterdir())


def test_an_unwritable_log_stops_the_export(model_dir: Path, tmp_path: Path) -> None:
    with make(model_dir, access_log=str(tmp_path / "no-such-dir" / "log.jsonl"),
              store=str(tmp_path / "store.db")) as c:
        r = c.get("/films/00004/audience.csv")
        plan = c.post("/campaigns/plan", json={"films": [{"film_id": "00004", "budget": 5}]})
        # every export the log stops, and the schema's 503 of each says so (it did not)
        stopped = {path for path, answer in [
            ("/films/{film_id}/audience.csv", r),
            ("/films/{film_id}/audience", c.get("/films/00004/audience")),
            ("/audiences/lookalike", c.post("/audiences/lookalike", json={
                "seed_user_ids": artifact.load(model_dir).users.ids[:2].tolist()})),
            ("/audiences/cold-start", c.post("/audiences/cold-start",
                                             json={"comparable_film_ids": ["00004"]})),
            ("/audiences/cold-start.csv", c.post("/audiences/cold-start.csv",
                                                 json={"comparable_film_ids": ["00004"]})),
            ("/campaigns/{plan_id}/plan.csv",
             c.get(f"/campaigns/{plan.json()['plan_id']}/plan.csv"))]
            if answer.status_code == 503 and "export log" in answer.json()["detail"]}
        paths = c.get("/openapi.json").json()["paths"]
    assert r.status_code == 503 and "export log" in r.json()["detail"]
    assert "user_id" not in r.text and str(tmp_path) not in r.text
    assert r.headers["Retry-After"] == "30"  # the client is told when to try again
    said = {path for path, item in paths.items() for op in item.values()
            if "export log" in op["responses"].get("503", {}).get("description", "")}
    assert len(stopped) == 6 and said == stopped
    # and every route whose code records an export is among them (a route added later too)
    import inspect
    import re

    from service.app import create_app as build

    def flat(routes: list[Any]) -> list[Any]:  # FastAPI's included routers hold their own
        return [x for r in routes for x in ([r] + flat(getattr(
            getattr(r, "original_router", r), "routes", None) or []))]

    recording = {re.sub(r"\{(\w+):\w+\}", r"{\1}", route.path)
                 for route in flat(build(Settings(model_path=str(model_dir))).routes)
                 if inspect.isfunction(getattr(route, "endpoint", None))
                 and "record_export(" in inspect.getsource(route.endpoint)}
    assert recording == stopped


def test_pseudonymized_json_and_csv(locked: TestClient, log_path: Path) -> None:
    key = {"X-API-Key": READ}
    plain = locked.get("/films/00004/audience", params={"k": 12}, headers=key).json()
    hidden = locked.get("/films/00004/audience", params={"k": 12, "pseudonymize": "true"},
                        headers=key)
    assert hidden.status_code == 200
    body = hidden.json()
    assert [u["user_id"] for u in body["users"]] == [oracle(u["user_id"])
                                                     for u in plain["users"]]
    assert [u["rank"] for u in body["users"]] == [u["rank"] for u in plain["users"]]
    assert body["total"] == plain["total"]
    again = locked.get("/films/00004/audience", params={"k": 12, "pseudonymize": "true"},
                       headers=key).json()
    assert again == body  # stable per key
    # the plain page is still plain (no cache mixes them up)
    assert locked.get("/films/00004/audience", params={"k": 12}, headers=key).json() == plain
    download = locked.get("/films/00004/audience.csv", params={"k": 12, "pseudonymize": "true"},
                          headers=key)
    rows = read_csv(download.text)
    assert [r["user_id"] for r in rows] == [oracle(u["user_id"]) for u in plain["users"]]
    # its name says so (it was the raw download's, audience_00004.csv)
    assert download.headers["content-disposition"] == (
        'attachment; filename="audience_00004_pseudonymized.csv"')
    assert records(log_path)[-1]["pseudonymized"] is True


def test_pseudonymize_needs_a_server_key(model_dir: Path) -> None:
    with make(model_dir) as c:
        for url in ("/films/00004/audience", "/films/00004/audience.csv"):
            r = c.get(url, params={"pseudonymize": "true"})
            assert r.status_code == 403, r.text
            assert "RECOMMENDER_PSEUDONYM_KEY" in r.json()["detail"]
    with make(model_dir, pseudonym_key="short") as c:
        assert c.get("/films/00004/audience", params={"pseudonymize": "1"}).status_code == 403


def test_csv_download_neutralises_hostile_ids_and_titles(model_dir: Path) -> None:
    model = hostile_model()
    n = model.n_users
    with make(model_dir, max_k=n) as c:
        film = quote(HOSTILE_FILM, safe="")
        r = c.get(f"/films/{film}/audience.csv",
                  params={"k": n, "exclude_seen": "false", "with": "title"})
        assert r.status_code == 200, r.text
        rows = read_csv(r.text)
        page = c.get(f"/films/{film}/audience", params={"k": n, "exclude_seen": "false"})
        raw = [u["user_id"] for u in page.json()["users"]]
        titled = read_csv(c.get(f"/films/{quote(str(model.films.ids[3]))}/audience.csv",
                                params={"k": 3, "with": "title"}).text)
    assert len(rows) == len(raw) == n
    assert set(HOSTILE_USERS) <= set(raw)  # JSON keeps the exact ids
    assert [r["user_id"] for r in rows] == [owasp(u) for u in raw]
    assert {r["film_id"] for r in rows} == {owasp(HOSTILE_FILM)}
    assert {r["title"] for r in titled} == {owasp(HOSTILE_TITLE)}
    for row in rows:
        for column, cell in row.items():
            assert cell[:1] not in {"=", "+", "@", "\t", "\r"} or column in ("score",), cell


def test_plan_downloads_are_logged_and_neutralised(locked: TestClient, log_path: Path) -> None:
    key = {"X-API-Key": READ}
    paths = locked.get("/openapi.json", headers=key).json()["paths"]
    if "/campaigns/{plan_id}/plan.csv" not in paths:
        pytest.skip("no plan downloads in this app")
    film = hostile_model().films.ids[2]  # HOSTILE_FILM
    r = locked.post("/campaigns/plan", headers={"X-API-Key": WRITE},
                    json={"films": [{"film_id": str(film), "budget": 5}], "waves": 1})
    assert r.status_code == 200, r.text
    plan_id = r.json()["plan_id"]
    text = locked.get(f"/campaigns/{plan_id}/plan.csv", headers=key).text
    rows = read_csv(text)
    assert rows and {row["film_id"] for row in rows} == {owasp(HOSTILE_FILM)}
    last = records(log_path)[-1]
    assert last["endpoint"] == "GET /campaigns/{plan_id}/plan.csv"
    assert last["params"] == {"plan_id": plan_id} and last["key_id"] == "crm"


def test_every_user_list_is_logged_with_its_rows(model_dir: Path, log_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """The audience JSON page (answered by the fast path and by the route alike), lookalike
    and cold start each leave one record whose ``rows`` is the number of users sent."""
    import service.routes.films as films

    key = {"X-API-Key": READ}
    settings = dict(read_keys=f"crm:{READ}", access_log=str(log_path),
                    pseudonym_key=PSEUDO)
    with make(model_dir, fast_path=False, **settings) as slow:
        routed = slow.get("/films/00004/audience", params={"k": 9, "offset": 1}, headers=key)
    with make(model_dir, fast_path=True, **settings) as fast:
        def broken(*args: object, **kwargs: object) -> bytes:
            raise AssertionError("the route was called")

        monkeypatch.setattr(films, "audience_body", broken)  # only the fast path can answer
        lane = fast.get("/films/00004/audience?k=9&offset=1", headers=key)
        monkeypatch.undo()
        filtered = fast.get("/films/00004/audience", params={"k": 5, "filter": "region=R1"},
                            headers=key)
        hidden = fast.get("/films/00004/audience", params={"k": 3, "pseudonymize": "true"},
                          headers=key)
        seeds = [u["user_id"] for u in routed.json()["users"][:3]]
        look = fast.post("/audiences/lookalike", json={"seed_user_ids": seeds, "k": 6},
                         headers=key)
        cold = fast.post("/audiences/cold-start",
                         json={"comparable_film_ids": ["00004"], "k": 4, "offset": 2},
                         headers=key)
        assert fast.get("/films/nosuch/audience", headers=key).status_code == 404
    for r in (routed, lane, filtered, hidden, look, cold):
        assert r.status_code == 200, r.text
    assert lane.content == routed.content
    got = records(log_path)
    assert [g["endpoint"] for g in got] == ["GET /films/{film_id}/audience"] * 4 + [
        "POST /audiences/lookalike", "POST /audiences/cold-start"]
    assert [g["rows"] for g in got] == [len(r.json()["users"]) for r in
                                        (routed, lane, filtered, hidden, look, cold)]
    assert got[0]["rows"] == 9 and got[2]["params"]["filters"] == ["region=R1"]
    by_route, by_lane = ({k: v for k, v in g.items() if k != "time"} for g in got[:2])
    assert by_route == by_lane  # the fast path writes what the route writes
    assert by_lane["key_id"] == "crm" and by_lane["film_id"] == "00004"
    assert by_lane["params"] == {"k": 9, "offset": 1, "exclude_seen": True}
    assert got[3]["pseudonymized"] is True and got[3]["rows"] == 3
    assert got[4]["params"] == {"k": 6, "offset": 0, "seed_users": 3}
    assert got[4]["film_id"] is None and got[4]["key_id"] == "crm"
    assert got[5]["params"]["comparable_film_ids"] == ["00004"]
    assert got[5]["params"]["offset"] == 2 and got[5]["rows"] == 4
    assert READ not in log_path.read_text()


def test_an_unwritable_log_stops_the_fast_path_too(model_dir: Path, tmp_path: Path) -> None:
    with make(model_dir, fast_path=True,
              access_log=str(tmp_path / "no-such-dir" / "log.jsonl")) as c:
        r = c.get("/films/00004/audience?k=3")
    assert r.status_code == 503 and "export log" in r.json()["detail"]


def _plan(client: TestClient) -> str:
    film = hostile_model().films.ids[0]
    r = client.post("/campaigns/plan", headers={"X-API-Key": WRITE},
                    json={"films": [{"film_id": str(film), "budget": 8}], "waves": 2})
    assert r.status_code == 200, r.text
    return str(r.json()["plan_id"])


def test_pseudonymized_plan_download(locked: TestClient, log_path: Path) -> None:
    key = {"X-API-Key": READ}
    plan_id = _plan(locked)
    raw = locked.get(f"/campaigns/{plan_id}/plan.csv", headers=key)
    plain = read_csv(raw.text)
    r = locked.get(f"/campaigns/{plan_id}/plan.csv", params={"pseudonymize": "true"},
                   headers=key)
    assert r.status_code == 200, r.text
    # its name says so, as an audience's does (it was the raw rows' name, <plan_id>.csv)
    assert raw.headers["content-disposition"] == f'attachment; filename="{plan_id}.csv"'
    assert r.headers["content-disposition"] == (
        f'attachment; filename="{plan_id}_pseudonymized.csv"')
    hidden = read_csv(r.text)
    assert len(plain) == len(hidden) > 0
    # the same HMAC as the audience exports, every other column untouched
    assert [h["user_id"] for h in hidden] == [oracle(p["user_id"]) for p in plain]
    assert [{**h, "user_id": ""} for h in hidden] == [{**p, "user_id": ""} for p in plain]
    audience = locked.get("/films/00000/audience.csv", headers=key,
                          params={"k": 500, "exclude_seen": "false", "pseudonymize": "true"})
    assert {h["user_id"] for h in hidden} <= {row["user_id"] for row in read_csv(audience.text)}
    first, second = [g for g in records(log_path)
                     if g["endpoint"] == "GET /campaigns/{plan_id}/plan.csv"]
    assert first["rows"] == second["rows"] == len(plain)
    assert (first["pseudonymized"], second["pseudonymized"]) == (False, True)


def test_pseudonymized_plan_download_needs_a_server_key(model_dir: Path) -> None:
    with make(model_dir) as c:
        plan_id = _plan(c)
        r = c.get(f"/campaigns/{plan_id}/plan.csv", params={"pseudonymize": "true"})
        assert r.status_code == 403 and "RECOMMENDER_PSEUDONYM_KEY" in r.json()["detail"]
        assert "user_id" not in r.text


def test_schema_lists_413_and_408_on_every_request_body(locked: TestClient) -> None:
    paths = locked.get("/openapi.json", headers={"X-API-Key": READ}).json()["paths"]
    with_body = [(p, m, op) for p, item in paths.items() for m, op in item.items()
                 if isinstance(op, dict) and "requestBody" in op]
    assert {p for p, _, _ in with_body} >= {"/audiences/lookalike", "/audiences/cold-start"}
    for path, method, op in with_body:
        for status in ("413", "408"):
            body = op["responses"][status]["content"]["application/json"]["schema"]
            assert body == {"$ref": "#/components/schemas/Error"}, (path, method, status)
    r = locked.post("/audiences/lookalike", headers={"X-API-Key": READ},
                    content=b"x" * (9 << 20))
    assert r.status_code == 413 and "detail" in r.json()


def test_every_operation_lists_the_413_and_400_it_answers(locked: TestClient) -> None:
    """``service.limits`` reads every request's head before any route: a body declared over
    the limit is a 413 and a request framed by both Transfer-Encoding and Content-Length a
    400 on every operation, GETs too; the schema listed the 413 on operations with a body
    only, and the 400 nowhere without a key layer (a generated client met both undeclared)."""
    paths = locked.get("/openapi.json", headers={"X-API-Key": READ}).json()["paths"]
    ops = [(p, m, op) for p, item in paths.items() for m, op in item.items()]
    assert len(ops) > 20
    for path, method, op in ops:
        url = path.replace("{film_id}", "f").replace("{user_id}", "u").replace("{plan_id}", "p")
        for status, headers in (("413", {"Content-Length": str(10**10)}),
                                ("400", {"Content-Length": "0",
                                         "Transfer-Encoding": "chunked"})):
            key = WRITE if path in WRITE_PATHS else READ
            r = locked.request(method.upper(), url, headers={"X-API-Key": key, **headers})
            assert str(r.status_code) == status, (method, path, r.status_code)
            body = op["responses"][status]["content"]["application/json"]["schema"]
            assert body == {"$ref": "#/components/schemas/Error"}, (path, method, status)
        assert "Transfer-Encoding" in op["responses"]["400"]["description"], (method, path)


def test_a_refused_export_is_not_logged(model_dir: Path, log_path: Path) -> None:
    # an unknown with= column is refused (422) before anything is sent or logged
    key = {"X-API-Key": READ}
    with make(model_dir, read_keys=f"crm:{READ}", access_log=str(log_path)) as c:
        bad = c.get("/films/00004/audience.csv", params={"k": 5, "with": "bogus"},
                    headers=key)
        good = c.get("/films/00004/audience.csv", params={"k": 5, "with": "title"},
                     headers=key)
    assert bad.status_code == 422 and good.status_code == 200
    # the error names the parameter as an HTTP caller spells it, not the CLI's --with
    assert "unknown with column 'bogus'" in bad.json()["detail"]
    got = records(log_path)
    assert len(got) == 1 and got[0]["rows"] == 5 and got[0]["params"]["with"] == ["title"]


@pytest.mark.parametrize("setting", ["crm:", "crm:,studio:", " , ", "crm: ", ""])
@pytest.mark.parametrize("name", ["read_keys", "write_keys"])
def test_key_settings_without_keys_refuse_to_start(setting: str, name: str) -> None:
    # RECOMMENDER_READ_KEYS=crm:$KEY with $KEY unset left every endpoint open, silently
    with pytest.raises(ValueError, match=f"RECOMMENDER_{name.upper()}") as e:
        Settings(**{name: setting})
    assert "refusing to start" in str(e.value) or "holds no key" in str(e.value)
    Settings(**{name: "crm:k1, k2"})  # keys, with or without an id, still start
    with pytest.raises(ValueError) as e:  # the error never repeats the other keys
        Settings(**{name: "crm:SECRETK1,ops:"})
    assert "'ops'" in str(e.value) and "SECRETK1" not in str(e.value)


@pytest.mark.parametrize("name", ["read_keys", "write_keys", "metrics_keys"])
def test_one_key_under_two_ids_refuses_to_start(name: str) -> None:
    """The first id always matched, so the export log named one caller for both (a key
    handed to two tools); one id for two keys is a rotation and starts."""
    with pytest.raises(ValueError, match="one key under the ids 'a', 'b'") as e:
        Settings(**{name: "a:SECRETK1,b:SECRETK1"})
    assert "SECRETK1" not in str(e.value)
    with pytest.raises(ValueError, match=r"'\(no id\)', 'crm'"):
        Settings(**{name: "SECRETK2, crm:SECRETK2"})
    Settings(**{name: "crm:old-key-1,crm:new-key-2"})  # rotating one caller's key


@pytest.mark.parametrize(("first", "second"), [
    ("admin_key", "read_keys"), ("read_keys", "write_keys"), ("read_keys", "metrics_keys"),
    ("write_keys", "metrics_keys"), ("api_key", "write_keys"), ("admin_key", "metrics_keys")])
def test_one_key_in_two_roles_refuses_to_start(first: str, second: str) -> None:
    """A key given in two key settings: the first ring holding it named its caller, so the
    admin key also given as read key ``crm`` wrote its exports under ``crm``, and a metrics
    key also given as a read key read every audience (a metrics key reads no data), in
    silence. Each setting is named, with the id, never the key; the admin key given as both
    ADMIN_KEY and API_KEY is one role and starts."""
    def given(name: str, ident: str) -> str:
        return "SECRETK3" if name in ("admin_key", "api_key") else f"{ident}:SECRETK3,x{ident}:k"
    with pytest.raises(ValueError, match=f"RECOMMENDER_{first.upper()}.* and "
                                         f"RECOMMENDER_{second.upper()}.*same key") as e:
        Settings(**{first: given(first, "one"), second: given(second, "two")})
    assert "SECRETK3" not in str(e.value)
    Settings(**{first: given(first, "one"), second: "two:other-key"})  # apart: starts
    Settings(admin_key="SECRETK3", api_key="SECRETK3", read_keys="crm:k")


def test_a_write_key_also_given_as_a_read_key_under_its_id_starts() -> None:
    """A write key reads too, so one given in both settings under one id is one caller with
    the write key's rights, named alike by either ring: it started before the roles were
    checked (a CRM configured to read and write, a read key promoted), and starts; under two
    ids, or beside a metrics key, it is refused."""
    Settings(read_keys="crm:SECRETK3,bi:k", write_keys="crm:SECRETK3")
    Settings(read_keys="SECRETK3", write_keys="SECRETK3")  # key-... of the key in both
    with pytest.raises(ValueError, match="same key"):
        Settings(read_keys="crm:SECRETK3", write_keys="etl:SECRETK3")
    with pytest.raises(ValueError, match="same key"):
        Settings(read_keys="crm:SECRETK3", write_keys="crm:SECRETK3",
                 metrics_keys="crm:SECRETK3")


@pytest.mark.parametrize("name", ["read_keys", "write_keys", "admin_key"])
def test_a_key_no_client_could_send_refuses_to_start(name: str) -> None:
    """A non-ASCII key could never match (headers are bytes; the server decodes them as
    latin-1): every request was refused without a word why."""
    value = "clé-SECRET9" if name == "admin_key" else "crm:clé-SECRET9"
    with pytest.raises(ValueError, match=f"RECOMMENDER_{name.upper()}.*printable ASCII") as e:
        Settings(**{name: value})
    assert "SECRET9" not in str(e.value)
    Settings(**{name: "plain-Key_0.9~!"})
    if name != "admin_key":  # "ID: KEY" (a space after the colon) is KEY, as it always was
        Settings(**{name: "crm: abc123, bi: def456"})
    else:  # a trailing newline (a key file read as is) could never match a Bearer token
        with pytest.raises(ValueError, match="printable ASCII"):
            Settings(admin_key="s3cret\n")


def test_a_record_cut_short_by_a_full_disk_stops_the_export(
        model_dir: Path, log_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # a full disk takes part of a record without an error (os.write returns fewer bytes):
    # the export was answered 200 with its record cut, and the next record was glued to it
    import service.access_log as access_log

    real = os.write
    monkeypatch.setattr(access_log.os, "write", lambda fd, data: real(fd, data[:40]))
    with make(model_dir, access_log=str(log_path)) as c:
        r = c.get("/films/00004/audience.csv")
        assert r.status_code == 503 and "export log" in r.json()["detail"]
        monkeypatch.setattr(access_log.os, "write", real)  # space again
        assert c.get("/films/00004/audience.csv").status_code == 200
    lines = log_path.read_text().splitlines()  # the cut record taken back (test below)
    assert len(lines) == 1 and json.loads(lines[0])["film_id"] == "00004"


def test_a_record_a_full_disk_cuts_short_is_taken_back(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A full disk that took part of a record left it in the log, a line no JSON reader
    reads (the next record only started on a line of its own): it is now cut off again, so
    every line of the log is a whole record."""
    from service import access_log

    path = tmp_path / "exports.jsonl"
    log = access_log.JsonLinesLog(str(path))

    def write(**kw: Any) -> None:
        access_log.write_record(log, key_id="anonymous", endpoint="GET /x", film_id="f",
                                rows=1, pseudonymized=False, params=kw)

    write(k=1)
    real = os.write
    monkeypatch.setattr(access_log.os, "write", lambda fd, data: real(fd, data[:20]))
    with pytest.raises(OSError):
        write(k=2)
    monkeypatch.undo()
    write(k=3)
    assert [r["params"]["k"] for r in records(path)] == [1, 3]
    assert all(line.startswith("{") for line in path.read_text().splitlines())
