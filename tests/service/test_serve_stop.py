"""``recommender serve`` ends on Ctrl-C and SIGTERM as every command does, whatever its workers.

Once the requests under way are answered and the workers stopped, it says "interrupted" (exit
130) or "terminated" (143): one worker exited 143 on SIGTERM and 0 on Ctrl-C, several 0 on both
(uvicorn's supervisor keeps the signals it takes). A real server in its own session, the signal
sent to its main process (never to the test runner).
"""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
from pathlib import Path

import pytest
from servers import server_output, start_server, stop_server
from service_fixtures import save_model


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_model(tmp_path_factory.mktemp("serve-stop") / "model")


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize(("sig", "code", "said"), [(signal.SIGINT, 130, "interrupted"),
                                                   (signal.SIGTERM, 143, "terminated")])
def test_serve_ends_on_a_signal_as_every_command_does(
        model_dir: Path, tmp_path: Path, workers: int, sig: signal.Signals, code: int,
        said: str) -> None:
    """Oracle: the exit status (README: 130 on Ctrl-C, 143 on SIGTERM), the line said last,
    uvicorn's own line that the server shut down (drained, not killed), and, with several
    workers, their metrics folder removed (the server's clean-up ran)."""
    metrics = Path(tempfile.gettempdir())
    proc, _base = start_server(model_dir, workers=workers, clean=True,
                               env={"RECOMMENDER_STORE": f"sqlite:///{tmp_path / 's.db'}"})
    try:
        folders = list(metrics.glob(f"recommender-metrics-{proc.pid}-*"))
        assert len(folders) == (workers > 1), folders
        os.kill(proc.pid, sig)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            pytest.fail(f"serve did not stop on {sig.name}:\n{server_output(proc)}")
        out = server_output(proc, last=1 << 20)
        assert proc.returncode == code, out
        assert out.rstrip().splitlines()[-1] == said, out
        assert ("Stopping parent process" if workers > 1 else "Finished server process") in out
        assert not any(folder.exists() for folder in folders)
    finally:
        stop_server(proc)


def test_serve_on_port_0_ends_on_a_signal_as_every_command_does(model_dir: Path) -> None:
    """Port 0 (the system's choice) is served by uvicorn's server on a socket bound first, not
    by ``uvicorn.run``: Ctrl-C ends it with 130 there too."""
    from servers import serve_command

    log = tempfile.TemporaryFile()
    env = {k: v for k, v in os.environ.items() if not k.startswith("RECOMMENDER_")}
    proc = subprocess.Popen(serve_command() + ["serve", str(model_dir), "--port", "0"],
                            stdout=log, stderr=subprocess.STDOUT, env=env,
                            start_new_session=True)
    try:
        out = ""
        for _ in range(600):  # the server's start, at most a minute
            out = os.pread(log.fileno(), 1 << 20, 0).decode(errors="replace")
            if "Application startup complete" in out or proc.poll() is not None:
                break
            proc_wait(proc, 0.1)
        assert "Application startup complete" in out, out
        os.kill(proc.pid, signal.SIGINT)
        assert proc.wait(timeout=60) == 130
        out = os.pread(log.fileno(), 1 << 20, 0).decode(errors="replace")
        assert out.rstrip().splitlines()[-1] == "interrupted", out
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()


def proc_wait(proc: subprocess.Popen[bytes], seconds: float) -> None:
    """Wait up to ``seconds`` for ``proc`` to end (a pause between looks at its output)."""
    try:
        proc.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        pass
