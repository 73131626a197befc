"""A tier is one of the rings' names in the schema (an enum, as other named values are), the
names every surface uses: the model's fixed rings (``DEFAULT_TIERS``)."""

from __future__ import annotations

import typing
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from service_fixtures import save_model

from recommender.model.config import DEFAULT_TIERS
from service.app import create_app
from service.schemas import TierName
from service.settings import Settings

RINGS = [name for name, _ in DEFAULT_TIERS]


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    folder = tmp_path_factory.mktemp("tiers")
    with TestClient(create_app(Settings(model_path=str(save_model(folder / "m")),
                                        store=str(folder / "c.db")))) as c:
        yield c


def test_the_enum_is_the_models_rings() -> None:
    assert list(typing.get_args(TierName)) == RINGS


def _tier(schema: dict[str, typing.Any]) -> dict[str, typing.Any]:
    """A schema's ``tier`` property, its null (``anyOf``) left out."""
    prop = schema["properties"]["tier"]
    return next((p for p in prop.get("anyOf", [prop]) if p.get("type") != "null"), prop)


@pytest.mark.parametrize("name,nullable", [("AudienceUser", True), ("AudienceRing", False),
                                           ("TierSummary", False),
                                           ("ColdTierSummary", False)])
def test_each_tier_field_is_an_enum(client: TestClient, name: str, nullable: bool) -> None:
    schema = client.get("/openapi.json").json()["components"]["schemas"][name]
    assert _tier(schema)["enum"] == RINGS
    assert ("anyOf" in schema["properties"]["tier"]) is nullable
    # the answers' tiers lie in it (a summary names every ring, a page's users reach
    # beyond the last one: null)
    body = client.get("/films/00000/audience/summary", params={"tier": "all"}).json()
    assert [t["tier"] for t in body["tiers"]] == RINGS
    users = client.get("/films/00000/audience", params={"k": 1000}).json()["users"]
    assert {u["tier"] for u in users} <= {*RINGS, None}
