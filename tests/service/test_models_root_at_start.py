"""A ``RECOMMENDER_MODELS_ROOT`` that is no folder is refused when ``serve`` starts, naming the
variable: it started, ``/health`` said ok, and every reload naming a ``model_path`` was a 409
"<models root>/X: no such model folder" (kept on ``/health``), the root itself never said to be
missing."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from service_fixtures import save_model

from recommender.errors import InvalidParameterError
from service.app import create_app
from service.server import check_at_start
from service.settings import Settings

KEY = "an-admin-key-of-some-length"


@pytest.mark.parametrize("make", ["missing", "a file"])
def test_a_models_root_that_is_no_folder_is_refused(tmp_path: Path, make: str) -> None:
    root = tmp_path / "models"
    if make == "a file":
        root.write_text("not a folder")
    model = save_model(tmp_path / "m")
    settings = Settings(model_path=str(model), models_root=str(root),
                        admin_key=SecretStr(KEY))
    # the oracle: such a server refuses every reload naming a model_path, whatever it names
    with TestClient(create_app(settings)) as client:
        answer = client.post("/admin/reload", json={"model_path": "m"},
                             headers={"Authorization": f"Bearer {KEY}"})
        assert answer.status_code in (403, 409), answer.text
    with pytest.raises(InvalidParameterError,
                       match=r"^refused setting: RECOMMENDER_MODELS_ROOT: .* is not a folder"):
        check_at_start(settings)


def test_a_models_root_that_is_a_folder_starts(tmp_path: Path) -> None:
    root = tmp_path / "models"
    model = save_model(root / "m")
    settings = Settings(model_path=str(model), models_root=str(root))
    check_at_start(settings)
    check_at_start(Settings(model_path=str(model)))  # none set: nothing to check
