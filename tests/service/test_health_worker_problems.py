"""``/health`` says which worker answered (``worker``: its pid, beside the ``model.version``
it serves, so an operator can check every worker after a reload) and what needs an operator
(``problems``, beside ``status``, which stays "ok" as the contract fixes it): a refused model
(``model_folder_warning``) and a campaign store that is not ok (``campaign_store``), hidden
from a caller without a key as ``model_folder_warning`` is. Oracle: the worker's own pid and
the two fields the problems point to."""

from __future__ import annotations

import os
from pathlib import Path

from fastapi.testclient import TestClient
from service_fixtures import save_model

from service.app import create_app
from service.settings import Settings

READ = "read-key-0001-problems"


def test_health_names_its_worker_and_its_problems(tmp_path: Path) -> None:
    settings = Settings(model_path=str(save_model(tmp_path / "model", seed=2)),
                        store=str(tmp_path / "store.db"), warm_cache=False, watch_interval=0,
                        read_keys=READ)
    keyed = {"X-API-Key": READ}
    with TestClient(create_app(settings)) as c:
        body = c.get("/health", headers=keyed).json()
        assert body["worker"] == os.getpid()  # the TestClient runs the app in this process
        assert body["status"] == "ok" and body["problems"] == []
        assert body["model_folder_warning"] is None and body["campaign_store"] == "ok"

        service = c.app.state.service  # type: ignore[attr-defined]
        service.reload_refused("a damaged file", service.installs)
        c.app.state.events_sync.moved = "sqlite:///elsewhere.db"  # type: ignore[attr-defined]
        body = c.get("/health", headers=keyed).json()
        assert body["status"] == "ok"
        assert "a damaged file" in body["model_folder_warning"]
        assert body["campaign_store"] == "moved"
        assert len(body["problems"]) == 2
        assert "model_folder_warning" in body["problems"][0]
        assert "moved" in body["problems"][1] and "campaign_store" in body["problems"][1]

        anonymous = c.get("/health").json()  # hidden, as model_folder_warning is
        assert anonymous["model_folder_warning"] is None and anonymous["problems"] is None
        assert anonymous["worker"] == os.getpid()


def test_every_store_state_but_ok_is_a_problem() -> None:
    """``problems`` listed a store ``moved``, ``unavailable``, ``read_only`` or ``failing``, but
    not ``damaged`` or ``schema_newer`` (added later): the two where retrying never helps.
    Oracle: the schema's own list of ``campaign_store`` states."""
    import typing

    from service.health_schemas import Health
    from service.routes.system import problems

    states = typing.get_args(Health.model_fields["campaign_store"].annotation)
    assert {"ok", "damaged", "schema_newer"} <= set(states)
    for state in states:
        said = problems(None, state)
        assert said == [] if state == "ok" else (len(said) == 1 and "campaign_store" in said[0])
    assert "restore it from a backup" in problems(None, "damaged")[0]
    assert "upgrade this engine" in problems(None, "schema_newer")[0]
