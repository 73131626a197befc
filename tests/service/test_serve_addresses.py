"""``recommender serve`` names where Audience Studio and the API docs are served."""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
import time
from pathlib import Path

import httpx
import pytest
from servers import serve_command, stop_server
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


@pytest.mark.parametrize("workers", [1, 2])
def test_serve_on_port_0_says_the_port_the_system_chose(tmp_path: Path, workers: int) -> None:
    """``--port 0`` (any free port) said no address at all: the Studio's and /docs' name the
    port the system chose, the one uvicorn says it runs on and the one that answers."""
    model = save_model(tmp_path / "model")
    log = tempfile.TemporaryFile()
    env = {k: v for k, v in os.environ.items() if not k.startswith("RECOMMENDER_")}
    if workers > 1:  # the workers share a store (serve refuses them one file each)
        env["RECOMMENDER_STORE"] = f"sqlite:///{tmp_path / 'store.db'}"
    proc = subprocess.Popen(serve_command() + ["serve", str(model), "--host", "127.0.0.1",
                                               "--port", "0", "--workers", str(workers)],
                            stdout=log, stderr=subprocess.STDOUT, env=env,
                            start_new_session=True)
    said = re.compile(r"Audience Studio \(the web app\): http://127\.0\.0\.1:(\d+)/studio/  "
                      r"API docs: http://127\.0\.0\.1:(\d+)/docs")
    try:
        out, found = "", None
        for _ in range(600):  # the server's start, at most a minute
            out = os.pread(log.fileno(), 1 << 20, 0).decode(errors="replace")
            found = said.search(out)
            if found or proc.poll() is not None:
                break
            time.sleep(0.1)
        assert found is not None, out
        port = int(found.group(1))
        assert port > 0 and found.group(2) == found.group(1)
        base = f"http://127.0.0.1:{port}"
        for _ in range(600):
            if f"Uvicorn running on {base}" in out and "Application startup complete" in out:
                break
            time.sleep(0.1)
            out = os.pread(log.fileno(), 1 << 20, 0).decode(errors="replace")
        assert f"Uvicorn running on {base}" in out, out
        assert httpx.get(f"{base}/studio/", timeout=10).status_code == 200
        assert httpx.get(f"{base}/health", timeout=10).status_code == 200
    finally:
        stop_server(proc)
        log.close()
