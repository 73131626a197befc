"""The real thing: ``recommender serve`` in a subprocess on a free loopback port, queried
over HTTP (single worker, and two workers through uvicorn's factory mode)."""

from __future__ import annotations

import csv
import io
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from service_fixtures import ODD_FILM_ID, save_model

from recommender.cli import main
from recommender.model import artifact


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_model(tmp_path_factory.mktemp("server") / "model", seed=6)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def recommender_command() -> list[str]:
    script = shutil.which("recommender", path=str(Path(sys.executable).parent))
    return [script] if script else [sys.executable, "-m", "recommender.cli"]


def start_server(model_dir: Path, workers: int, env: dict[str, str] | None = None
                 ) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    cmd = recommender_command() + ["serve", str(model_dir), "--host", "127.0.0.1", "--port",
                                   str(port), "--workers", str(workers)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            env={**os.environ, **(env or {})}, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            out = proc.stdout.read().decode() if proc.stdout else ""
            pytest.fail(f"server exited with {proc.returncode}:\n{out}")
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            time.sleep(0.2)
    stop(proc)
    pytest.fail("server did not become healthy in 60 s")


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)  # the server and its workers, nothing else
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@pytest.fixture()
def server(model_dir: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    proc, base = start_server(model_dir, workers=request.param)
    try:
        yield base
    finally:
        stop(proc)


@pytest.mark.parametrize("server", [1, pytest.param(2, marks=pytest.mark.slow)], indirect=True,
                         ids=["1-worker", "2-workers"])
def test_real_server_answers_over_http(server: str, model_dir: Path) -> None:
    model = artifact.load(model_dir)
    with httpx.Client(base_url=server, timeout=10) as http:
        health = http.get("/health")
        assert health.status_code == 200
        assert health.json()["model"]["model_version"] == model.version
        assert health.json()["model"]["path"] == str(model_dir.resolve())
        quoted = ODD_FILM_ID.replace("/", "%2F").replace(" ", "%20")
        for _ in range(4):  # with two workers, several requests reach both
            r = http.get(f"/films/{quoted}/audience", params={"k": 5})
            assert r.status_code == 200 and r.headers["x-model-version"] == model.version
            body = r.json()
            assert body["film_id"] == ODD_FILM_ID and len(body["users"]) == 5
        rows = list(csv.DictReader(io.StringIO(
            http.get(f"/films/{quoted}/audience.csv", params={"k": 5}).text)))
        assert [r["user_id"] for r in rows] == [u["user_id"] for u in body["users"]]
        assert http.get("/films/nope/audience").status_code == 404
        assert http.get("/films/00004/audience", params={"k": 0}).status_code == 422
        assert http.post("/audiences/lookalike", content=b"{").status_code == 422
        assert "recommender_http_requests_total" in http.get("/metrics").text


def test_serve_refuses_a_bad_model_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                          ) -> None:
    assert main(["serve", str(tmp_path / "missing")]) == 2
    assert "no such model folder" in capsys.readouterr().err
