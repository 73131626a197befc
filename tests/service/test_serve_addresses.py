"""``recommender serve`` names where Audience Studio and the API docs are served."""

from __future__ import annotations

from pathlib import Path

import pytest
from service_fixtures import save_model


@pytest.mark.parametrize(("host", "base"), [
    ("127.0.0.1", "http://127.0.0.1:18391"), ("0.0.0.0", "http://127.0.0.1:18391"),
    ("::1", "http://[::1]:18391"), ("example.test", "http://example.test:18391")])
def test_serve_says_the_studios_address(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str], host: str,
                                        base: str) -> None:
    # serving one's own model printed uvicorn's address alone: the Studio, which the README
    # leads with, and /docs were found only by reading it (make demo's script printed them)
    import uvicorn

    from service import server

    model = save_model(tmp_path / "model")
    monkeypatch.setenv("RECOMMENDER_MODEL_PATH", str(model))  # serve sets it: restored after
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: None)
    monkeypatch.setattr(server, "check_address", lambda *a, **k: None)
    server.serve(str(model), host=host, port=18391)
    err = capsys.readouterr().err
    assert f"Audience Studio (the web app): {base}/studio/  API docs: {base}/docs" in err, err
    server.serve(str(model), host=host, port=0)  # the system's port: uvicorn names it
    assert "Audience Studio" not in capsys.readouterr().err
