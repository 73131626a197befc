"""``RECOMMENDER_WORKER_START_TIMEOUT`` reaches uvicorn's worker health check: its own 5 s
killed workers of ``serve --workers N`` still starting on a loaded machine ("Child process
died" in a loop)."""

from __future__ import annotations

import pytest
import uvicorn

from recommender.errors import InvalidParameterError
from service.server import uvicorn_options
from service.settings import Settings, from_environment


def _config(settings: Settings) -> uvicorn.Config:
    """uvicorn's configuration as ``serve --workers 2`` builds it."""
    return uvicorn.Config("service.app:create_app", factory=True, workers=2,
                          **uvicorn_options(settings))


def test_the_setting_reaches_uvicorns_worker_health_check(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECOMMENDER_WORKER_START_TIMEOUT", "97")
    assert _config(from_environment()).timeout_worker_healthcheck == 97
    monkeypatch.delenv("RECOMMENDER_WORKER_START_TIMEOUT")
    default = Settings.model_fields["worker_start_timeout"].default
    assert _config(from_environment()).timeout_worker_healthcheck == default
    assert default > uvicorn.Config("service.app:create_app").timeout_worker_healthcheck


@pytest.mark.parametrize("value", ["0", "-3", "soon", "1.5"])
def test_a_bad_worker_start_timeout_is_refused_by_name(
        monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("RECOMMENDER_WORKER_START_TIMEOUT", value)
    with pytest.raises(InvalidParameterError, match="RECOMMENDER_WORKER_START_TIMEOUT"):
        from_environment()
