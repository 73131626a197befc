"""Every field a response always carries is ``required`` in its published schema, and no
required field is ever missing from a real response.

A response model's field with a default (``x: str | None = None``) left ``required`` in the
OpenAPI schema although the server always sends it, so a client generated from
``/openapi.json`` typed it ``x?: T | null`` (``service/sent.py``). The oracle is the answers
themselves: one server with a cinema attribute, a store and the admin key, asked each route a
JSON body comes back from (a plan, its report, its chain, a next wave, a withdrawal, events,
a reload, a forget ...); each body is walked along the schema that declares it, and for every
object schema met, the keys present in every one of its captured objects must be exactly its
``required`` ones (a key sent in some answers only stays optional: the report's blocks).
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from service_fixtures import save_model

from service.app import create_app
from service.settings import Settings

ADMIN = "response-fields-admin-key-0123"
AUTH = {"Authorization": f"Bearer {ADMIN}"}
PLAN = {"films": [{"film_id": "00003", "budget": 20}, {"film_id": "00004", "budget": 10}],
        "cap": 1, "holdout": 0.3, "seed": 1, "waves": 2}
#: fields sent in some answers only (the library's report blocks: ``strata_stats`` adds each
#: where it applies), and a chain plan's units and method (never: the chain holds them once)
SOMETIMES = {("Block", "note"), ("Block", "warning"), ("Block", "split_warning"),
             ("Block", "no_estimate"), ("Block", "measured_conversions"),
             ("Block", "control_effective_size"), ("ChainPlan", "units"),
             ("ChainPlan", "method"), ("DispersionArm", "note"), ("Distribution", "cold_start")}
BLOCKS = ("Block", "WaveBlock", "FilmBlock", "Pooled")


def _ref(node: dict[str, Any]) -> str | None:
    ref = node.get("$ref")
    return ref.rsplit("/", 1)[-1] if isinstance(ref, str) else None


def _fits(node: dict[str, Any], value: Any, schemas: dict[str, Any]) -> bool:
    """Whether ``value`` can be an instance of the branch ``node`` (its type, its required
    keys, and no key a closed object lacks)."""
    if (ref := _ref(node)) is not None:
        node = schemas[ref]
    if isinstance(value, dict):
        keys, properties = set(value), node.get("properties", {})
        return (node.get("type") == "object" and set(node.get("required", [])) <= keys
                and (node.get("additionalProperties") is not False or keys <= set(properties)))
    return isinstance(value, list) and node.get("type") == "array"


def _walk(node: dict[str, Any], value: Any, schemas: dict[str, Any],
          seen: dict[str, list[set[str]]], name: str | None = None) -> None:
    """Record the keys of each object of ``value`` under the schema that declares it."""
    if (ref := _ref(node)) is not None:
        _walk(schemas[ref], value, schemas, seen, ref)
        return
    branches = [b for b in node.get("anyOf", []) + node.get("oneOf", [])
                if _fits(b, value, schemas)]
    if branches:  # the first that can hold it (a report, or a chain's report)
        _walk(branches[0], value, schemas, seen, name)
    if isinstance(value, list) and "items" in node:
        for item in value:
            _walk(node["items"], item, schemas, seen)
    if isinstance(value, dict):
        properties = node.get("properties", {})
        if name is not None and properties:
            seen.setdefault(name, []).append(set(value))
        for key, item in value.items():
            if key in properties:
                _walk(properties[key], item, schemas, seen)
            elif isinstance(node.get("additionalProperties"), dict):
                _walk(node["additionalProperties"], item, schemas, seen)


@pytest.fixture(scope="module")
def answers(tmp_path_factory: pytest.TempPathFactory
            ) -> tuple[dict[str, Any], dict[str, list[set[str]]]]:
    root = tmp_path_factory.mktemp("response-fields")
    model = save_model(root / "model", seed=0, cinemas=["c1", "c2"])
    settings = Settings(model_path=str(model), warm_cache=False, store=str(root / "store.db"),
                        admin_key=SecretStr(ADMIN))
    calls: list[tuple[str, str, Any]] = [
        ("get", "/health", None), ("get", "/segments", None), ("get", "/films?query=00", None),
        ("get", "/films?query=zzzzqqq", None), ("get", "/films/00003", None),
        ("get", "/films/00003/audience?k=3", None),
        ("get", "/films/00003/audience?k=3&tier=core", None),
        ("get", "/films/00003/audience/summary", None),
        ("get", "/films/00003/similar?k=3", None), ("get", "/users/attributes", None),
        ("get", "/users/u5/recommendations?k=3", None),
        ("post", "/recommendations", {"film_ids": ["00003"], "k": 3}),
        ("post", "/audiences/lookalike", {"seed_user_ids": ["u3", "u7", "nobody"], "k": 3}),
        ("post", "/audiences/cold-start", {"comparable_film_ids": ["00003", "none"],
                                           "k": 3}),
        ("post", "/audiences/cold-start/summary", {"comparable_film_ids": ["00003"]}),
        ("get", "/films/00003/distribution?by=cinema&screens=3", None),
        ("get", "/films/00003/distribution?by=cinema", None),
        ("post", "/distribution/cold-start", {"comparable_film_ids": ["00003"],
                                              "by": "cinema", "screens": 2}),
        ("post", "/distribution/slate", {"films": [{"film_id": "00003"}],
                                         "cinemas": [{"cinema_id": "c1", "screens": 2}]}),
        ("get", "/events/status", None),
    ]
    bodies: list[tuple[str, str, int, Any]] = []
    with TestClient(create_app(settings)) as c:
        schema = c.get("/openapi.json").json()

        def ask(method: str, path: str, body: Any = None, template: str | None = None) -> Any:
            r = c.request(method, path, json=body, headers=AUTH if "admin" in path else {})
            assert r.status_code == 200, (path, r.text)
            path = path.split("?")[0].replace("/00003", "/{film_id}").replace("/u5/",
                                                                               "/{user_id}/")
            bodies.append((method, template or path, r.status_code, r.json()))
            return r.json()

        for method, path, body in calls:
            ask(method, path, body)
        plan = ask("post", "/campaigns/plan", PLAN)["plan_id"]
        tpl = "/campaigns/{plan_id}"
        ask("get", "/campaigns")
        ask("get", f"/campaigns/{plan}", template=tpl)
        ask("post", f"/campaigns/{plan}/waves/1/sent", {},
            template=tpl + "/waves/{wave}/sent")
        users = [r.split(",")[2] for r in c.get(f"/campaigns/{plan}/plan.csv").text.split()[1:]]
        ask("post", "/events", {"events": [
            {"event_id": f"e{i}", "user_id": u, "film_id": "00003",
             "timestamp": 1_700_000_100 + i} for i, u in enumerate([*users[:6], "nobody"])]})
        nxt = ask("post", f"/campaigns/{plan}/next", {"sent_waves": 1},
                  template=tpl + "/next")["plan_id"]
        for path in (f"/campaigns/{plan}/report", f"/campaigns/{nxt}/report?chain=true"):
            ask("get", path, template=tpl + "/report")
        ask("delete", f"/campaigns/{nxt}/waves/1/sent", template=tpl + "/waves/{wave}/sent")
        ask("post", f"/campaigns/{nxt}/withdraw", {"sent_waves": 0}, template=tpl + "/withdraw")
        ask("post", "/admin/forget", {"user_ids": ["u5", "nobody"]})
        ask("post", "/admin/reload", {})
    schemas = schema["components"]["schemas"]
    seen: dict[str, list[set[str]]] = {}
    for method, path, status, body in bodies:
        op = schema["paths"][path][method]
        declared = op["responses"][str(status)]["content"]["application/json"]["schema"]
        _walk(declared, body, schemas, seen)
    return schemas, seen


def test_the_answers_reach_the_schemas_of_each_route(
        answers: tuple[dict[str, Any], dict[str, list[set[str]]]]) -> None:
    """The captures cover the models the reviewer named: a check over none proves nothing."""
    _, seen = answers
    for name in ("Health", "Audience", "EventsStored", "SegmentInfo", "Reloaded", "Block",
                 "FilmBlock", "WaveBlock", "Pooled", "ChainPlan", "Distribution",
                 "ScreenAllocation", "ColdStartAudience", "LookalikeAudience", "ModelInfo",
                 "AudienceSummary", "Forgotten", "PlanCreated", "SlateScreens"):
        assert name in seen, (name, sorted(seen))


def test_what_every_answer_sends_is_required(
        answers: tuple[dict[str, Any], dict[str, list[set[str]]]]) -> None:
    schemas, seen = answers
    wrong = []
    for name, captured in seen.items():
        required = set(schemas[name].get("required", []))
        always = set.intersection(*captured)
        if name in BLOCKS:
            # sent in some answers only: optional whatever these captures hold
            always = {k for k in always if ("Block", k) not in SOMETIMES}
        always -= {k for n, k in SOMETIMES if n == name}
        if required - always or always - required:
            wrong.append((name, "required, not sent:", sorted(required - always),
                          "always sent, optional:", sorted(always - required)))
    assert not wrong, wrong


def test_what_some_answers_leave_out_stays_optional(
        answers: tuple[dict[str, Any], dict[str, list[set[str]]]]) -> None:
    """A report block's control_effective_size is absent where one stratum is measured, a
    film's distribution has no cold_start: a client must not expect them (the captures above
    hold answers with and without each)."""
    schemas, seen = answers
    blocks = [keys for name in BLOCKS for keys in seen.get(name, [])]
    for name, key in SOMETIMES:
        assert key not in schemas[name].get("required", []), (name, key)
    for key in ("control_effective_size",):
        assert any(key in b for b in blocks) and any(key not in b for b in blocks), key
    assert all("units" not in keys for keys in seen["ChainPlan"])
    assert any("cold_start" in keys for keys in seen["Distribution"])
    assert any("cold_start" not in keys for keys in seen["Distribution"])


def test_request_bodies_keep_their_defaults_optional(
        answers: tuple[dict[str, Any], dict[str, list[set[str]]]]) -> None:
    """A request field with a default may be left out by a client: the response models'
    required fields must not spill into the request bodies' schemas."""
    schemas, _ = answers
    assert "cap" not in schemas["PlanRequest"].get("required", [])
    assert "k" not in schemas["LookalikeRequest"].get("required", [])
    assert "sent_waves" not in schemas["NextWaveRequest"].get("required", [])
