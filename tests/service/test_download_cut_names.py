"""An audience CSV download is named by its cut as the model names it, whatever the spelling."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from service_fixtures import save_model

from service.app import create_app
from service.settings import Settings


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    model_dir: Path = save_model(tmp_path_factory.mktemp("cut-names") / "model")
    with TestClient(create_app(Settings(model_path=str(model_dir), warm_cache=False))) as c:
        yield c


def test_a_cut_spelt_otherwise_names_the_same_file(client: TestClient) -> None:
    """``tier=BROAD&segment=<its label, any case>&filter=REGION=r0`` was named
    ``audience_00008_BROAD_segment<label>_REGION_r0.csv``: the same rows as the canonical
    request's ``audience_00008_broad_segment1_region_R0.csv`` under a name of the typing
    (the README: 'the ring, segment and filters as the model names them'). Oracle: the name
    of the canonical request, and the same bytes."""
    label = next(s["label"] for s in client.get("/segments").json()["segments"]
                 if s["segment"] == 1)
    canonical = client.get("/films/00008/audience.csv", params={
        "k": 5, "tier": "broad", "segment": 1, "filter": "region=R0"})
    assert canonical.status_code == 200, canonical.text
    name = 'attachment; filename="audience_00008_broad_segment1_region_R0.csv"'
    assert canonical.headers["content-disposition"] == name
    typed = client.get("/films/00008/audience.csv", params={
        "k": 5, "tier": " BROAD ", "segment": f" {label.upper()} ", "filter": "REGION=r0"})
    assert typed.status_code == 200, typed.text
    assert typed.text == canonical.text
    assert typed.headers["content-disposition"] == name
