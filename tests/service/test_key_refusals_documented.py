"""Key refusals as a client reads them: every 400 a repeated key header gets is listed in the
schema, and a read key's 403 on a write route names the model version as every answer to a
caller with a key does."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from service_fixtures import save_model

from service.app import create_app
from service.auth import TWO_KEYS_ONE_WRONG, WRITE_PATHS
from service.settings import Settings

ADMIN = "admin-secret-0123456789"
READ = "read-key-gamma-0003"
WRITE = "write-key-delta-0004"
METRICS = "metrics-key-eps-0005"
TWICE = [("X-API-Key", READ), ("X-API-Key", READ)]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("key-refusals") / "model"
    save_model(path, seed=0)
    return path


def client(model_dir: Path, **kw: Any) -> TestClient:
    return TestClient(create_app(Settings(model_path=str(model_dir), **kw)))


def operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(method.upper(), path, op) for path, item in spec["paths"].items()
            for method, op in item.items()]


@pytest.mark.parametrize("keys", [
    {"read_keys": READ, "admin_key": ADMIN},
    {"write_keys": WRITE, "admin_key": ADMIN},
    {"metrics_keys": METRICS, "admin_key": ADMIN},
])
def test_a_repeated_key_header_is_a_documented_400(model_dir: Path, keys: dict[str, str],
                                                   tmp_path: Path) -> None:
    """With any key set, every route answers a key header sent twice with 400: the schema
    lists it on each (a generated client met an undeclared status)."""
    with client(model_dir, store=str(tmp_path / "s.db"), **keys) as c:
        spec = c.get("/openapi.json", headers={"X-API-Key": READ}).json()
        for method, path, op in operations(spec):
            url = path.replace("{film_id}", "f").replace("{user_id}", "u").replace(
                "{plan_id}", "p")
            r = c.request(method, url, headers=TWICE)
            assert r.status_code == 400, (method, path, r.status_code)
            assert "400" in op["responses"], (method, path)
            ref = op["responses"]["400"]["content"]["application/json"]["schema"]
            assert ref == {"$ref": "#/components/schemas/Error"}


def test_admin_400_documented_once_the_admin_routes_are_open(model_dir: Path) -> None:
    """The admin key alone (no key layer): /admin/* refuses Authorization twice with 400,
    listed there; closed, it is a 403 whatever is sent, and no 400 is listed."""
    twice = [("Authorization", f"Bearer {ADMIN}"), ("Authorization", "Bearer x")]
    with client(model_dir, admin_key=ADMIN) as c:
        spec = c.get("/openapi.json").json()
        assert c.post("/admin/reload", headers=twice).status_code == 400
        assert "more than once" in spec["paths"]["/admin/reload"]["post"]["responses"][
            "400"]["description"]
        # every route's 400 is a request framed twice (service.limits), a key header not
        assert "more than once" not in spec["paths"]["/films"]["get"]["responses"]["400"][
            "description"]
    with client(model_dir) as c:
        spec = c.get("/openapi.json").json()
        assert c.post("/admin/reload", headers=twice).status_code == 403
        assert "more than once" not in spec["paths"]["/admin/reload"]["post"]["responses"][
            "400"]["description"]


def test_a_read_keys_403_on_a_write_names_the_model_version(model_dir: Path,
                                                            tmp_path: Path) -> None:
    """README: with read keys set, every answer to a caller with a key carries
    X-Model-Version; the 403 a read key gets on a write route did not."""
    with client(model_dir, read_keys=READ, write_keys=WRITE,
                store=str(tmp_path / "s.db")) as c:
        version = c.get("/films", headers={"X-API-Key": READ}).headers["X-Model-Version"]
        r = c.post("/events", json={"events": []}, headers={"X-API-Key": READ})
        assert r.status_code == 403 and r.headers.get("X-Model-Version") == version
        r = c.post("/events", json={"events": []}, headers={"X-API-Key": "wrong"})
        assert r.status_code == 401 and "X-Model-Version" not in r.headers


def test_readme_names_every_route_a_write_key_guards() -> None:
    """README's Security section lists the routes that need a write key: it left out
    ``POST /campaigns/{plan_id}/withdraw``, which the service guards as a write."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = readme.split("- **Write keys.**", 1)[1].split("\n- **", 1)[0]
    text = " ".join(section.split())
    for path in sorted(WRITE_PATHS):
        assert f"POST {path}" in text, path


@pytest.mark.parametrize("keys", [
    {"read_keys": READ, "admin_key": ADMIN},
    {"write_keys": WRITE, "admin_key": ADMIN},
    {"read_keys": READ, "write_keys": WRITE, "admin_key": ADMIN},
    {"write_keys": WRITE, "metrics_keys": METRICS, "admin_key": ADMIN},
])
def test_a_write_routes_key_refusals_are_the_documented_ones(model_dir: Path,
                                                             keys: dict[str, str],
                                                             tmp_path: Path) -> None:
    """Each write route lists the key refusals some key (or none) gets from it, and no other:
    with write keys and no read key, no key can be a read key, so a write route answers 401
    whatever is sent, and its 403 "a read key" was listed without being possible."""
    sent = [{}, {"X-API-Key": "wrong-key-0123456789"}, {"X-API-Key": READ},
            {"X-API-Key": METRICS}]
    with client(model_dir, store=str(tmp_path / "s.db"), **keys) as c:
        spec = c.get("/openapi.json", headers={"X-API-Key": ADMIN}).json()
        for path in sorted(WRITE_PATHS):
            url = path.replace("{plan_id}", "p")
            seen = {c.post(url, json={}, headers=h).status_code for h in sent}
            listed = {int(s) for s in spec["paths"][path]["post"]["responses"]} & {401, 403}
            assert seen == listed, (path, keys, seen, listed)


@pytest.mark.parametrize(("keys", "right"), [
    ({"read_keys": READ, "admin_key": ADMIN}, READ),
    ({"write_keys": WRITE, "admin_key": ADMIN}, WRITE),
    ({"metrics_keys": METRICS, "admin_key": ADMIN}, METRICS),
])
def test_a_wrong_key_beside_a_right_one_is_a_documented_401(
        model_dir: Path, keys: dict[str, str], right: str, tmp_path: Path) -> None:
    """A right key in X-API-Key and a wrong one as the Bearer token is a 401 wherever both
    keys are checked (service/auth.py: every route once read or write keys are set, /metrics
    once metrics keys are): each such operation lists a 401 whose description names that
    case (with write keys alone GET /films listed no 401, and no 401 said it)."""
    both = {"X-API-Key": right, "Authorization": "Bearer wrong-key-0123456789"}
    # no throttle: each wrong key counts, and past RECOMMENDER_KEY_FAILURES of them a 429
    with client(model_dir, store=str(tmp_path / "s.db"), key_failures=0, **keys) as c:
        spec = c.get("/openapi.json", headers={"X-API-Key": ADMIN}).json()
        refused = []
        for method, path, op in operations(spec):
            url = path.replace("{film_id}", "f").replace("{user_id}", "u").replace(
                "{plan_id}", "p")
            r = c.request(method, url, headers=both)
            if r.status_code == 401 and r.json()["detail"] == TWO_KEYS_ONE_WRONG:
                refused.append(path)
                said = op["responses"].get("401", {}).get("description", "")
                assert "two different keys sent" in said and "beside a right one" in said, (
                    method, path, said)
        # the paths refused so: all of them, or /metrics alone with metrics keys alone
        everywhere = sorted(path for _, path, _ in operations(spec))
        assert sorted(refused) == (["/metrics"] if "metrics_keys" in keys else everywhere)


def test_a_read_keys_403_on_a_write_is_told_by_its_header(model_dir: Path,
                                                          tmp_path: Path) -> None:
    """A client tells a read key's 403 on a write from the other 403s by its
    ``WWW-Authenticate: Bearer error="insufficient_scope"`` (RFC 6750), listed in the schema:
    only the detail's words told it from ``pseudonymize=true`` on a server with no pseudonym
    key (also a 403, on the same key's POST /audiences/cold-start.csv), and the Studio opened
    the key dialog for both."""
    with client(model_dir, read_keys=READ, write_keys=WRITE,
                store=str(tmp_path / "s.db")) as c:
        write = c.post("/events", json={"events": []}, headers={"X-API-Key": READ})
        assert write.status_code == 403
        said = write.headers["WWW-Authenticate"]
        assert said.startswith("Bearer ") and 'error="insufficient_scope"' in said
        other = c.post("/audiences/cold-start.csv?pseudonymize=true", json={
            "comparable_film_ids": [], "genres": ["Drama"], "k": 5},
            headers={"X-API-Key": READ})
        assert other.status_code == 403 and "RECOMMENDER_PSEUDONYM_KEY" in other.json()["detail"]
        assert "WWW-Authenticate" not in other.headers
        spec = c.get("/openapi.json", headers={"X-API-Key": READ}).json()
        for path in sorted(WRITE_PATHS):
            listed = spec["paths"][path]["post"]["responses"]["403"]
            assert "WWW-Authenticate" in listed["headers"], path
            assert 'error="insufficient_scope"' in listed["headers"]["WWW-Authenticate"][
                "description"], path
