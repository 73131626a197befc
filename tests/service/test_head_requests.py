"""HEAD is answered as GET is, without the body (RFC 9110, 9.3.2): an uptime monitor's
``HEAD /health`` (UptimeRobot's default) was a 405, so the service was reported down."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from service_fixtures import save_model

from service.app import create_app
from service.settings import Settings

READ = "head-read-key-0123456789"


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    root = tmp_path_factory.mktemp("head")
    return Settings(model_path=str(save_model(root / "model", seed=0)), warm_cache=False,
                    store=str(root / "store.db"))


@pytest.mark.parametrize("url", ["/health", "/films?limit=3", "/films/00003/audience?k=4",
                                 "/films/00003/audience.csv?k=4", "/users/u3/recommendations",
                                 "/segments", "/films/nope", "/films/00003/audience?k=0"])
def test_head_answers_as_get_without_the_body(settings: Settings, url: str) -> None:
    with TestClient(create_app(settings)) as c:
        got, head = c.get(url), c.head(url)
    assert head.status_code == got.status_code, (url, head.status_code)
    assert head.content == b""
    for name in ("content-type", "content-length", "x-model-version", "cache-control"):
        assert head.headers.get(name) == got.headers.get(name), (url, name)


def test_head_on_a_route_without_get_is_still_a_405(settings: Settings) -> None:
    with TestClient(create_app(settings)) as c:
        r = c.head("/events")
    assert r.status_code == 405 and r.headers["allow"] == "POST" and r.content == b""


def test_head_needs_the_key_a_get_needs(settings: Settings) -> None:
    locked = settings.model_copy(update={"read_keys": SecretStr(f"crm:{READ}")})
    with TestClient(create_app(locked)) as c:
        assert c.head("/films/00003/audience").status_code == 401
        assert c.head("/films/00003/audience", headers={"X-API-Key": READ}).status_code == 200
        assert c.head("/health").status_code == 200


def test_metrics_count_a_head_as_a_head(settings: Settings) -> None:
    """The HEAD ran as a GET inside the metrics middleware, so a monitor's HEAD /health every
    few seconds was counted under method="GET" (and "HEAD", which the metrics name, never)."""
    with TestClient(create_app(settings)) as c:
        for _ in range(3):
            assert c.head("/health").status_code == 200
        text = c.get("/metrics").text
    head = [line for line in text.splitlines()
            if line.startswith("recommender_http_requests_total") and 'route="/health"' in line]
    assert any('method="HEAD"' in line and line.endswith(" 3.0") for line in head), head
    assert not any('method="GET"' in line for line in head), head


@pytest.mark.parametrize("fast", [True, False])
def test_a_head_is_logged_as_a_head_that_sent_no_row(settings: Settings, tmp_path: Path,
                                                     fast: bool) -> None:
    """The export log records who downloaded which list of people: a HEAD downloads nobody
    (it was logged as the GET export it ran as, with the GET's rows), on the fast path
    (service/fastpath.py) and the route alike."""
    log = tmp_path / "exports.jsonl"
    logged = settings.model_copy(update={"access_log": str(log), "fast_path": fast})
    with TestClient(create_app(logged)) as c:
        assert c.head("/films/00003/audience?k=4").status_code == 200
        assert c.head("/films/00003/audience.csv?k=4").status_code == 200
        assert c.get("/films/00003/audience?k=4").status_code == 200
    records = [json.loads(line) for line in log.read_text().splitlines()]
    assert [(r["endpoint"], r["rows"]) for r in records] == [
        ("HEAD /films/{film_id}/audience", 0), ("HEAD /films/{film_id}/audience.csv", 0),
        ("GET /films/{film_id}/audience", 4)]


def test_a_head_of_a_plans_csv_reads_none_of_its_rows(
        settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """A HEAD of plan.csv streamed every row of the plan out of the store and wrote it as CSV,
    to drop it all (a monitor probing a download link read a whole campaign per probe); it
    answers with the GET's status and headers and reads no row. Oracle: the store's own
    row stream, counted."""
    from recommender.campaigns.store import CampaignStore

    read: list[int] = []
    stream = CampaignStore._stream

    def counted(self: CampaignStore, plan_id: str, chunk: int) -> Any:
        for table in stream(self, plan_id, chunk):
            read.append(table.num_rows)
            yield table

    monkeypatch.setattr(CampaignStore, "_stream", counted)
    with TestClient(create_app(settings)) as c:
        plan_id = c.post("/campaigns/plan", json={
            "films": [{"film_id": "00003", "budget": 5}]}).json()["plan_id"]
        got = c.get(f"/campaigns/{plan_id}/plan.csv")
        assert got.status_code == 200 and sum(read) > 0
        read.clear()
        head = c.head(f"/campaigns/{plan_id}/plan.csv")
        assert c.head("/campaigns/plan-nope/plan.csv").status_code == 404
    assert head.status_code == 200 and head.content == b"" and read == []
    for name in ("content-type", "content-disposition", "x-plan-model-version"):
        assert head.headers.get(name) == got.headers.get(name), name


def test_a_head_of_a_plans_csv_counts_no_row(settings: Settings, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """A HEAD of plan.csv ran the store's count of the sendable waves' rows for the export
    log, which logs a HEAD as 0 rows, and no header it sends needs the count (X-Plan-Waves is
    the waves'): it is not run, and the GET's and HEAD's headers agree. Oracles: a spy on the
    route's count (the GET's count is the rows its body holds) and the GET's headers."""
    from service.routes import campaigns

    counted: list[int | None] = []
    real = campaigns.sendable_count

    def spy(*args: Any) -> int | None:
        counted.append(real(*args))
        return counted[-1]

    monkeypatch.setattr(campaigns, "sendable_count", spy)
    log = tmp_path / "exports.jsonl"
    own = settings.model_copy(update={"access_log": str(log), "store": str(tmp_path / "s.db")})
    with TestClient(create_app(own)) as c:
        plan_id = c.post("/campaigns/plan", json={
            "films": [{"film_id": "00003", "budget": 30}], "waves": 3}).json()["plan_id"]
        # waves 2 and 3 withdrawn: the count is the store's query of wave 1's rows
        assert c.post(f"/campaigns/{plan_id}/withdraw", json={"sent_waves": 1}
                      ).status_code == 200
        got = c.get(f"/campaigns/{plan_id}/plan.csv")
        assert got.status_code == 200 and got.headers["x-plan-waves"].startswith("1-1 of 3")
        assert counted == [len(got.text.splitlines()) - 1] and counted[0]
        head = c.head(f"/campaigns/{plan_id}/plan.csv")
    assert head.status_code == 200 and head.content == b"" and len(counted) == 1
    for name in ("content-type", "content-disposition", "x-plan-model-version", "x-plan-waves",
                 "content-length", "content-encoding", "vary"):
        assert head.headers.get(name) == got.headers.get(name), name
    records = [json.loads(line) for line in log.read_text().splitlines()]
    assert [(r["endpoint"], r["rows"]) for r in records if "plan.csv" in r["endpoint"]] == [
        ("GET /campaigns/{plan_id}/plan.csv", counted[0]),
        ("HEAD /campaigns/{plan_id}/plan.csv", 0)]
