"""Every number ``/openapi.json`` declares says its unit: a client written from the schema alone
knows what each integer or number counts or measures (users, films, rows, days, seconds, a
share 0-1, a percentage...).

The test walks the whole document: every numeric property of every component schema (a
property that is, or may be, or holds a list or map of, integers or numbers), every numeric
query, path or header parameter, and every numeric response header. Each needs a description,
and the description needs one of ``UNIT_WORDS`` unless ``EXCEPTIONS`` names the field with a
reason (an id, a seed, an ordinal: numbers that count or measure nothing); a share or a
conversion rate (``SCALED``) must also say its scale, 0-1 or percent.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from service_fixtures import save_model

from service.app import create_app
from service.settings import Settings

#: words (whole words, any case) that say what a number counts or measures; a description
#: holding one of them says a unit
UNIT_WORDS = (
    # things counted
    "users?", "films?", "viewers", "candidates", "targets", "controls", "rows?", "contacts",
    "events?", "interactions", "pairs", "screens", "showtimes", "cinemas?", "places?",
    "plans?", "waves", "segments", "cells", "letters", "ranks", "conversions", "members",
    "genres?", "requests?", "tickets?", "views?",
    "variables", "constraints", "coefficients",  # a programme's size (the slate's optimality)
    # time and size
    "days?", "seconds?", "unix seconds", "years?", "bytes",
    # shares, ratios and scores (a bare "share" says no scale: 0-1 or percent must)
    r"0-1", "percent", "percentage", "percentile", "probability", "ratio", "cosine",
    "dot product", "value units", "sequence number", "components",
    # said outright: a number with no unit (a raw score for ordering)
    "no unit",
)
UNIT = re.compile(r"\b(?:" + "|".join(UNIT_WORDS) + r")\b", re.IGNORECASE)

#: (schema or operation, field) -> why its description needs no unit word
EXCEPTIONS: dict[tuple[str, str], str] = {
    ("*", "seed"): "a seed of a random draw counts nothing",
    ("*", "segment"): "a segment's id number (GET /segments), not a quantity",
    ("*", "wave"): "a wave's ordinal (1 is sent first), not a quantity",
    ("ModelInfo", "format_version"): "a version number",
    ("*", "rank"): "a position (1 = first), not a quantity",
}

NUMERIC = {"integer", "number"}
#: a field named as a share or a rate of conversion must say its scale: 0-1 or percent (a
#: share said 0-1 that is a percentage in the body, or the reverse, misleads by 100 times)
SCALED = re.compile(r"(?:^|_)(?:share|holdout)(?:_|$)|^(?:base|expected)_conversion"
                    r"(?:_interval)?$")
SCALE = re.compile(r"\b0-1\b|\bpercent\b", re.IGNORECASE)


def _types(schema: Any) -> set[str]:
    """The JSON types a schema allows, looking into anyOf/oneOf/allOf, array items and map
    values (a ``$ref`` is walked where it is defined, as a component)."""
    if not isinstance(schema, dict) or "$ref" in schema:
        return set()
    kind = schema.get("type")
    found = {kind} if isinstance(kind, str) else set(kind or ())
    for key in ("anyOf", "oneOf", "allOf"):
        for part in schema.get(key, ()):
            found |= _types(part)
    for key in ("items", "additionalProperties"):
        found |= _types(schema.get(key))
    return found


def numeric_fields(doc: dict[str, Any]) -> Iterator[tuple[str, str, str | None]]:
    """(owner, field, description) of every numeric field of the OpenAPI document ``doc``."""
    for name, schema in doc.get("components", {}).get("schemas", {}).items():
        for field, prop in (schema.get("properties") or {}).items():
            if _types(prop) & NUMERIC:
                yield name, field, prop.get("description")
    for path, operations in doc.get("paths", {}).items():
        for method, operation in operations.items():
            if not isinstance(operation, dict):
                continue
            owner = f"{method.upper()} {path}"
            for param in operation.get("parameters", ()):
                if _types(param.get("schema")) & NUMERIC:
                    yield owner, f"{param['in']}:{param['name']}", param.get("description")
            for status, answer in (operation.get("responses") or {}).items():
                for header, spec in (answer.get("headers") or {}).items():
                    if _types(spec.get("schema")) & NUMERIC:
                        yield f"{owner} {status}", f"header:{header}", spec.get("description")


def unitless(doc: dict[str, Any]) -> list[str]:
    """Each numeric field of ``doc`` with no description, or one with no unit word."""
    found = []
    for owner, field, description in numeric_fields(doc):
        if not (description or "").strip():
            found.append(f"{owner}.{field}: no description")
        elif not UNIT.search(description) and (owner, field) not in EXCEPTIONS \
                and ("*", field) not in EXCEPTIONS:
            found.append(f"{owner}.{field}: no unit in {description!r}")
        elif SCALED.search(field) and not SCALE.search(description):
            found.append(f"{owner}.{field}: a share with no scale (0-1 or percent) in "
                         f"{description!r}")
    return found


@pytest.fixture(scope="module")
def schema(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = save_model(tmp_path_factory.mktemp("units") / "model", seed=3,
                        cinemas=["c1", "c2"])
    settings = Settings(model_path=str(Path(folder)), warm_cache=False)
    with TestClient(create_app(settings)) as client:
        answer = client.get("/openapi.json")
    assert answer.status_code == 200
    doc: dict[str, Any] = answer.json()
    return doc


def test_every_numeric_field_says_its_unit(schema: dict[str, Any]) -> None:
    # the walk flags what it should, on a document made for it
    doc = {"components": {"schemas": {"A": {"properties": {
        "n": {"type": "integer"},
        "m": {"anyOf": [{"type": "number"}, {"type": "null"}], "description": "how many"},
        "k": {"type": "array", "items": {"type": "integer"}, "description": "films left"},
        "user_share": {"type": "number", "description": "share of the users"},
        "s": {"type": "string"}}}}},
        "paths": {"/x": {"get": {"parameters": [
            {"in": "query", "name": "q", "schema": {"type": "integer"}, "description": "a q"}],
            "responses": {}}}}}
    assert unitless(doc) == [
        "A.n: no description", "A.m: no unit in 'how many'",
        "A.user_share: a share with no scale (0-1 or percent) in 'share of the users'",
        "GET /x.query:q: no unit in 'a q'"]
    fields = list(numeric_fields(schema))
    # the walk sees the fields it must (a walk finding nothing would pass)
    names = {(owner, field) for owner, field, _ in fields}
    assert ("AudienceUser", "percentile") in names and ("Report", "window_days") in names
    assert any(field == "query:k" for _, field in names)
    # an exception no field needs any more is dropped, not kept to excuse a later one
    excused = {key for owner, field, description in fields
               for key in ((owner, field), ("*", field))
               if key in EXCEPTIONS and not UNIT.search(description or "")}
    assert excused == set(EXCEPTIONS), f"exceptions no field needs: {set(EXCEPTIONS) - excused}"
    missing = unitless(schema)
    assert not missing, f"{len(missing)} numeric fields without a unit:\n" + "\n".join(missing)
