"""Plan ids holding a slash, asked for with it encoded: the server decodes %2F before routing,
so only the raw path tells plan ``p/report``'s summary from plan ``p``'s report."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from fastapi.testclient import TestClient
from service_fixtures import save_model

from recommender.campaigns.plan import plan_slate
from recommender.campaigns.slate import SlateFilm
from recommender.campaigns.store import open_store
from recommender.model import artifact
from service.app import create_app
from service.settings import Settings

SLASHED = ["p/report", "p/plan.csv", "/", "p/", "../next"]


def test_a_plan_id_holding_a_slash_is_that_plan_on_every_route(tmp_path: Path) -> None:
    """``/campaigns/p%2Freport`` answered plan ``p``'s report and ``/campaigns/%2F``
    redirected to the plan list."""
    model_dir = save_model(tmp_path / "model")
    store_path = tmp_path / "store.db"
    store = open_store(str(store_path))
    model = artifact.load(model_dir)
    for plan_id in ["p", *SLASHED, ".", ".."]:
        plan = plan_slate(model, [SlateFilm("00000", 5)], waves=2, plan_id=plan_id)
        store.save_plan(plan.plan_id, plan.summary, plan.rows)
    store.close()
    settings = Settings(model_path=str(model_dir), store=str(store_path),
                        read_keys="ci:read-key", write_keys="ingest:write-key")
    read, write = {"X-API-Key": "read-key"}, {"X-API-Key": "write-key"}
    with TestClient(create_app(settings)) as client:
        for plan_id in SLASHED:
            enc = quote(plan_id, safe="")
            r = client.get(f"/campaigns/{enc}", headers=read, follow_redirects=False)
            assert r.status_code == 200, (plan_id, r.status_code, r.text)
            assert r.json()["plan_id"] == r.json()["summary"]["plan_id"] == plan_id
            report = client.get(f"/campaigns/{enc}/report", headers=read)
            assert report.status_code == 200 and report.json()["plan_id"] == plan_id, plan_id
            csv = client.get(f"/campaigns/{enc}/plan.csv", headers=read)
            assert csv.status_code == 200 and f'"{plan_id}"' in csv.text.splitlines()[1]
            # the download's name: no slash, no quote of the id in the header's quoted name
            name = csv.headers["content-disposition"].split('filename="', 1)[1][:-1]
            assert "/" not in name and '"' not in name and name.endswith(".csv"), name
            # a write: a read key is refused, as on any plan's next wave
            assert client.post(f"/campaigns/{enc}/next", headers=read).status_code == 403
            nxt = client.post(f"/campaigns/{enc}/next", headers=write)
            assert nxt.status_code == 200, (plan_id, nxt.text)
        for path in ("/campaigns/a%2Fb", "/campaigns/a%2Fb/report", "/campaigns/a%2Fb/plan.csv",
                     "/campaigns/p%2Fx"):
            r = client.get(path, headers=read, follow_redirects=False)
            assert r.status_code == 404 and "unknown plan_id" in r.json()["detail"], path
        gone = client.post("/campaigns/a%2Fb/next", headers=write)
        assert gone.status_code == 404 and "'a/b'" in gone.json()["detail"]
        # "." and "..", their dots escaped (a browser drops such a segment, escaped or not)
        for plan_id in (".", ".."):
            enc = "%2E" * len(plan_id)
            assert client.get(f"/campaigns/{enc}", headers=read).json()["plan_id"] == plan_id
            assert client.get(f"/campaigns/{enc}/report", headers=read).json()[
                "plan_id"] == plan_id
        # the unescaped forms are the routes they were
        assert client.get("/campaigns/p/report", headers=read).json()["plan_id"] == "p"
        assert client.get("/campaigns", headers=read).json()["total"] == 2 * len(SLASHED) + 3
