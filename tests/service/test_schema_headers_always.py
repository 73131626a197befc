"""The headers an answer always carries are declared in the schema, required
(``service/schema_headers.py``, ``service/schema_limits.py``): a 401's ``WWW-Authenticate``,
a CSV download's ``Content-Disposition``, a plan download's ``X-Plan-Waves`` (and its
``X-Plan-Model-Version``), the key throttle's 429 ``Retry-After``.

The oracle is the answers: a locked server (read, write and admin keys, a key throttle) is
asked for each download, refused for a missing or wrong key, then throttled; each answer's
headers are held to what the schema declares for its operation and status, both ways.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from pydantic import SecretStr
from service_fixtures import save_model

from service.app import create_app
from service.settings import Settings

READ, WRITE = "always-headers-read-key-0123", "always-headers-write-key-0123"
ADMIN = "always-headers-admin-key-0123"
CHECKED = ("WWW-Authenticate", "Content-Disposition", "X-Plan-Waves", "X-Plan-Model-Version",
           "Retry-After")
PLAN = {"films": [{"film_id": "00003", "budget": 5}], "cap": 1, "holdout": 0.2, "seed": 1,
        "waves": 2}


@pytest.fixture(scope="module")
def answers(tmp_path_factory: pytest.TempPathFactory
            ) -> tuple[dict[str, Any], list[tuple[str, str, Response]]]:
    root = tmp_path_factory.mktemp("always-headers")
    settings = Settings(model_path=str(save_model(root / "model", seed=0)), warm_cache=False,
                        store=str(root / "store.db"), read_keys=f"crm:{READ}",
                        write_keys=f"etl:{WRITE}", admin_key=SecretStr(ADMIN), key_failures=4)
    read, write = {"X-API-Key": READ}, {"X-API-Key": WRITE}
    got: list[tuple[str, str, Response]] = []
    with TestClient(create_app(settings)) as c:
        schema = c.get("/openapi.json", headers=read).json()

        def ask(method: str, template: str, path: str, **kw: Any) -> Response:
            r = c.request(method, path, **kw)
            got.append((template, method, r))
            return r

        ask("get", "/films/{film_id}/audience.csv", "/films/00003/audience.csv?k=3",
            headers=read)
        ask("post", "/audiences/cold-start.csv", "/audiences/cold-start.csv",
            json={"comparable_film_ids": ["00003"], "k": 3}, headers=read)
        plan = ask("post", "/campaigns/plan", "/campaigns/plan", json=PLAN, headers=write)
        ask("get", "/campaigns/{plan_id}/plan.csv",
            f"/campaigns/{plan.json()['plan_id']}/plan.csv", headers=read)
        ask("get", "/films/{film_id}/audience", "/films/00003/audience")  # no key
        ask("post", "/events", "/events", json={"events": []}, headers=read)  # a read key
        ask("post", "/admin/reload", "/admin/reload", json={},
            headers={"Authorization": "Bearer not-the-admin-key"})
        for _ in range(5):  # wrong keys, past key_failures: the throttle's 429
            ask("get", "/films/{film_id}", "/films/00003", headers={"X-API-Key": "wrong"})
    return schema, got


def _declared(schema: dict[str, Any], template: str, method: str, status: int
              ) -> dict[str, dict[str, Any]]:
    response = schema["paths"][template][method]["responses"][str(status)]
    return {name.lower(): h for name, h in response.get("headers", {}).items()}


def test_each_answer_carries_its_required_headers_and_declares_what_it_carries(
        answers: tuple[dict[str, Any], list[tuple[str, str, Response]]]) -> None:
    schema, got = answers
    statuses = {(t, r.status_code) for t, _, r in got}
    assert {("/campaigns/{plan_id}/plan.csv", 200), ("/films/{film_id}/audience", 401),
            ("/admin/reload", 401), ("/films/{film_id}", 429)} <= statuses, statuses
    for template, method, r in got:
        declared = _declared(schema, template, method, r.status_code)
        required = {name for name, h in declared.items() if h.get("required")}
        assert required <= {k.lower() for k in r.headers}, (template, r.status_code, required)
        carried = {name.lower() for name in CHECKED if name in r.headers}
        assert carried <= set(declared), (template, r.status_code, carried, declared)
        for name in carried & {"www-authenticate", "content-disposition", "x-plan-waves"}:
            assert name in required, (template, r.status_code, name)
        if r.status_code == 429:
            assert "retry-after" in required and "absent" not in declared["retry-after"][
                "description"], declared


def test_every_401_declares_its_challenge(
        answers: tuple[dict[str, Any], list[tuple[str, str, Response]]]) -> None:
    """Not only the operations asked above: every 401 the schema lists says WWW-Authenticate
    (``auth._refuse`` and ``deps``'s admin refusal both send it)."""
    schema, _ = answers
    unsaid = [(path, method) for path, item in schema["paths"].items()
              for method, op in item.items() if "401" in op.get("responses", {})
              and not op["responses"]["401"].get("headers", {}).get("WWW-Authenticate", {})
              .get("required")]
    assert not unsaid, unsaid
    assert sum("401" in op.get("responses", {}) for item in schema["paths"].values()
               for op in item.values()) > 10


def test_a_plan_download_declares_its_waves_and_model(
        answers: tuple[dict[str, Any], list[tuple[str, str, Response]]]) -> None:
    schema, got = answers
    declared = _declared(schema, "/campaigns/{plan_id}/plan.csv", "get", 200)
    assert declared["x-plan-waves"]["required"] and "x-plan-model-version" in declared
    [r] = [r for t, _, r in got if t.endswith("plan.csv")]
    assert r.headers["X-Plan-Waves"] == "1-2 of 2" and r.headers["X-Plan-Model-Version"]
