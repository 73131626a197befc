"""Wrong keys throttled per client address: after ``key_failures`` 401s to requests carrying a
key within ``key_failure_window`` seconds, that address's requests with a key are 429 with
Retry-After, a right key's too (else the 429 would tell a right guess from a wrong one), until
the oldest failure leaves the window; requests without a key, and other addresses, pass.
The clock is the test's (``app.state.key_failures.clock``): no request waits."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi.testclient import TestClient
from pydantic import ValidationError
from service_fixtures import save_model

from service import key_throttle
from service.app import create_app
from service.key_throttle import KeyFailures
from service.server import uvicorn_options
from service.settings import Settings

ADMIN = "admin-key-throttle-0123456789"
READ = "read-key-throttle-0123456789"
LIMIT, WINDOW = 5, 60.0


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_model(tmp_path_factory.mktemp("key-throttle") / "model")


def started(model_dir: Path, clock: Clock, client: tuple[str, int] = ("203.0.113.7", 50000),
            **kw: Any) -> TestClient:
    settings = Settings(model_path=str(model_dir), warm_cache=False, watch_interval=0,
                        key_failures=LIMIT, key_failure_window=WINDOW, **kw)
    app = create_app(settings)
    app.state.key_failures.clock = clock
    return TestClient(app, client=client)


@pytest.fixture()
def clock() -> Clock:
    return Clock()


@pytest.fixture()
def keyed(model_dir: Path, clock: Clock) -> Iterator[TestClient]:
    with started(model_dir, clock, read_keys=f"crm:{READ}", admin_key=ADMIN) as c:
        yield c


def wrong(n: int) -> dict[str, str]:
    return {"X-API-Key": f"guess-{n:06d}-0123456789"}


def test_past_the_limit_an_address_waits_whatever_key_it_sends(keyed: TestClient,
                                                               clock: Clock) -> None:
    good = {"X-API-Key": READ}
    assert keyed.get("/films", headers=good).status_code == 200  # a right key counts nothing
    for n in range(LIMIT):
        r = keyed.get("/films", headers=wrong(n))
        assert r.status_code == 401, (n, r.text)
        clock.now += 1.0  # the failures at 1000, 1001, ..., 1004
    for headers in (wrong(99), good, {"Authorization": f"Bearer {READ}"}):
        r = keyed.get("/films", headers=headers)
        assert r.status_code == 429, r.text
        # the oldest failure (at 1000) leaves the window at 1060; it is now 1005
        assert r.headers["retry-after"] == str(int(1000 + WINDOW - clock.now)), r.headers
        assert "Retry-After" in r.json()["detail"]
    # no key: answered as ever (a 401 for a data route, 200 for /health), counting nothing
    assert keyed.get("/films").status_code == 401
    assert keyed.get("/health").status_code == 200
    clock.now = 1000 + WINDOW  # the first failure has left the window: one more try
    assert keyed.get("/films", headers=good).status_code == 200
    assert keyed.get("/films", headers=wrong(7)).status_code == 401
    assert keyed.get("/films", headers=good).status_code == 429  # five in the window again
    clock.now += WINDOW  # all of them gone
    assert keyed.get("/films", headers=good).status_code == 200


def test_a_good_key_s_requests_never_count(keyed: TestClient) -> None:
    for _ in range(3 * LIMIT):
        assert keyed.get("/films", headers={"X-API-Key": READ}).status_code == 200
    assert keyed.get("/films", headers=wrong(1)).status_code == 401


def test_wrong_admin_keys_count_and_other_addresses_pass(model_dir: Path, clock: Clock) -> None:
    # a server with the admin key only: its admin routes' own check (no read keys)
    with started(model_dir, clock, admin_key=ADMIN) as c:
        for n in range(LIMIT):
            r = c.post("/admin/reload", headers={"Authorization": f"Bearer guess-{n}"})
            assert r.status_code == 401, r.text
        r = c.post("/admin/reload", headers={"Authorization": f"Bearer {ADMIN}"})
        assert r.status_code == 429 and int(r.headers["retry-after"]) == WINDOW, r.text
        other = TestClient(c.app, client=("198.51.100.9", 40000))
        r = other.post("/admin/reload", headers={"Authorization": "Bearer guess-x"})
        assert r.status_code == 401, r.text  # another address: its own count


def test_the_schema_declares_it_and_zero_turns_it_off(keyed: TestClient, model_dir: Path,
                                                      clock: Clock) -> None:
    spec = keyed.get("/openapi.json", headers={"X-API-Key": READ}).json()
    op = spec["paths"]["/films"]["get"]
    assert "429" in op["responses"] and "Retry-After" in op["responses"]["429"]["headers"]
    settings = Settings(model_path=str(model_dir), warm_cache=False, watch_interval=0,
                        read_keys=READ, key_failures=0)
    with TestClient(create_app(settings)) as c:
        for n in range(3 * LIMIT):
            assert c.get("/films", headers=wrong(n)).status_code == 401
        spec = c.get("/openapi.json", headers={"X-API-Key": READ}).json()
        assert "429" not in spec["paths"]["/films"]["get"]["responses"]


def through_uvicorn(model_dir: Path, clock: Clock, **kw: Any) -> TestClient:
    """The app as ``serve`` hands it to uvicorn (``uvicorn_options``: uvicorn's own proxy
    headers middleware in front when the options ask for it), called from 127.0.0.1."""
    settings = Settings(model_path=str(model_dir), warm_cache=False, watch_interval=0,
                        key_failures=LIMIT, key_failure_window=WINDOW, read_keys=f"crm:{READ}",
                        **kw)
    app = create_app(settings)
    app.state.key_failures.clock = clock
    config = uvicorn.Config(app, **uvicorn_options(settings))
    config.load()
    return TestClient(config.loaded_app, client=("127.0.0.1", 50000))


def rotated(client: TestClient) -> list[int]:
    """The statuses of LIMIT + 3 wrong keys, each from a new X-Forwarded-For."""
    return [client.get("/films", headers={**wrong(n), "X-Forwarded-For": f"198.51.100.{n}"}
                       ).status_code for n in range(LIMIT + 3)]


def test_a_forwarded_header_is_trusted_only_from_the_proxies_named(model_dir: Path,
                                                                   clock: Clock) -> None:
    # uvicorn trusted 127.0.0.1's X-Forwarded-For by default: a caller through a local tunnel
    # named a new address per request and was never throttled
    with through_uvicorn(model_dir, clock) as c:
        assert rotated(c) == [401] * LIMIT + [429] * 3
    with through_uvicorn(model_dir, clock, forwarded_allow_ips="10.0.0.0/8, ::1") as c:
        assert rotated(c) == [401] * LIMIT + [429] * 3  # 127.0.0.1 is not a named proxy
    with through_uvicorn(model_dir, clock, forwarded_allow_ips="127.0.0.1") as c:
        assert rotated(c) == [401] * (LIMIT + 3)  # a named proxy's header names the client
    with pytest.raises(ValidationError, match="'localhost:80' is neither an IP address"):
        Settings(forwarded_allow_ips="127.0.0.1,localhost:80")


def test_a_wrong_key_beside_a_right_one_is_a_401_counted_per_wrong_key(
        model_dir: Path, clock: Clock) -> None:
    # each key was tried and the first match let in: a wrong key beside a right one was a
    # 200 (or, on a write route, a 403 that told a right write key from a wrong one), unseen
    assert LIMIT == 5
    with started(model_dir, clock, read_keys=f"crm:{READ}", admin_key=ADMIN) as c:
        both_right = {"X-API-Key": READ, "Authorization": f"Bearer {ADMIN}"}
        assert c.get("/films", headers=both_right).status_code == 200  # two keys, both held
        r = c.get("/films", headers={**wrong(1), "Authorization": f"Bearer {READ}"})
        assert r.status_code == 401 and "not both" in r.json()["detail"], r.text  # 1 counted
        r = c.post("/events", json={"events": []},
                   headers={"X-API-Key": READ, "Authorization": "Bearer guess-2-0123456789"})
        assert r.status_code == 401, r.text  # 2 counted
        r = c.get("/films", headers={**wrong(3), "Authorization": "Bearer guess-4-0123456789"})
        assert r.status_code == 401, r.text  # two wrong keys: 4 counted
        assert c.get("/films", headers=both_right).status_code == 200
        assert c.get("/films", headers=wrong(5)).status_code == 401  # 5 counted: the limit
        assert c.get("/films", headers=both_right).status_code == 429


def test_a_throttled_address_outlives_many_addresses_failing_once(
        monkeypatch: pytest.MonkeyPatch, clock: Clock) -> None:
    # past MAX_CLIENTS followed, the longest followed was forgotten: a throttled address
    # was let go once that many others had failed once each
    monkeypatch.setattr(key_throttle, "MAX_CLIENTS", 3)
    failures = KeyFailures(LIMIT, WINDOW, clock)
    for _ in range(LIMIT):
        failures.failed("203.0.113.7")
    for n in range(10):
        clock.now += 1.0
        failures.failed(f"198.51.100.{n}")
    assert failures.wait("203.0.113.7") == int(1000 + WINDOW - clock.now)
    assert failures.wait("198.51.100.9") is None
    # the table stays bounded: the addresses failed longest ago are forgotten first
    for n in range(10):  # 198.51.100.7 to 9 are followed now, with LIMIT - 1 failures
        failures.failed(f"198.51.100.{n}", LIMIT - 1)
    for n in (0, 9):
        failures.failed(f"198.51.100.{n}")
    assert failures.wait("198.51.100.9") == WINDOW  # it reached the limit
    assert failures.wait("198.51.100.0") is None  # its first failures were forgotten
    for n in range(10, 14):  # as many more reach the limit: the first throttled is let go
        failures.failed(f"198.51.100.{n}", LIMIT)
    assert failures.wait("203.0.113.7") is None
    assert failures.wait("198.51.100.13") == WINDOW


def test_an_ipv6_host_is_counted_by_its_64_network(model_dir: Path, clock: Clock) -> None:
    # each IPv6 address was its own client: one host holds 2**64 of them
    with started(model_dir, clock, client=("2001:db8:0:1::1", 50000), read_keys=f"crm:{READ}",
                 admin_key=ADMIN) as c:
        for n in range(LIMIT):
            other = TestClient(c.app, client=(f"2001:db8:0:1:{n:x}::{n + 2:x}", 50000))
            assert other.get("/films", headers=wrong(n)).status_code == 401
        assert c.get("/films", headers={"X-API-Key": READ}).status_code == 429
        mapped = TestClient(c.app, client=("::ffff:203.0.113.9", 50000))
        assert mapped.get("/films", headers={"X-API-Key": READ}).status_code == 200
        for host, status in (("2001:db8:0:2::1", 200), ("203.0.113.9", 200)):
            r = TestClient(c.app, client=(host, 50000)).get("/films", headers={"X-API-Key": READ})
            assert r.status_code == status, host
