"""Tools of the reliability gauntlet: the demo models, a real ``recommender serve`` in its own
process group, and an asyncio HTTP/1.1 load generator on keep-alive connections.

The load generator is a small HTTP/1.1 client on ``asyncio`` streams (no wrk on this machine,
and httpx costs more CPU per request than the server it measures on 2 cores): each connection
sends one request at a time, reads the status line, headers and a ``Content-Length`` or
chunked body, and reconnects after an error or a ``Connection: close``.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
#: the ``Host`` every request sends: a server bound to 127.0.0.1 answers its own names only
#: (``service.hosts``), and a made-up one ("bench", "x") got 400 to every request, the
#: health probe's included (every server section waited 120 s and stopped)
HOST = "127.0.0.1"


def log(msg: str) -> None:
    print(f"[reliability] {msg}", file=sys.stderr, flush=True)


def cli(*args: str, env: dict[str, str] | None = None, check: bool = True,
        timeout: float = 1800) -> subprocess.CompletedProcess[str]:
    """Run ``recommender ARGS`` and return the finished process."""
    script = shutil.which("recommender", path=str(BIN))
    cmd = ([script] if script else [sys.executable, "-m", "recommender.cli"]) + list(args)
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout)
    if check and proc.returncode != 0:
        raise RuntimeError(f"recommender {' '.join(args)} exited {proc.returncode}:\n"
                           f"{proc.stderr[-2000:]}")
    return proc


def demo_models(work: Path) -> dict[str, Any]:
    """The demo dataset (``recommender demo-data``, its default shape) and two models trained
    on it with different seeds: ``ROOT/a``, ``ROOT/b``, and ``ROOT/served`` (a copy of a)."""
    data, root = work / "demo-data", work / "models"
    root.mkdir(parents=True, exist_ok=True)
    log("writing the demo dataset and training two models on it (seeds 1 and 2)")
    cli("demo-data", str(data))
    t0 = time.perf_counter()
    cli("train", "--data", str(data), "--out", str(root / "a"), "--seed", "1", "--no-tune")
    train_s = time.perf_counter() - t0
    cli("train", "--data", str(data), "--out", str(root / "b"), "--seed", "2", "--no-tune")
    shutil.copytree(root / "a", root / "served", symlinks=True)
    demo = json.loads((data / "demo.json").read_text())
    return {"data": data, "root": root, "train_s": round(train_s, 1), "demo": demo}


def model_shape(path: Path) -> dict[str, Any]:
    from recommender.model import artifact

    m = artifact.load(path)
    return {"users": len(m.users), "films": len(m.films), "seen": int(m.seen.nnz),
            "factors": int(m.user_factors.shape[1]), "version": m.version}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    """``recommender serve MODEL`` in its own process group."""

    model: Path
    env: dict[str, str] = field(default_factory=dict)
    workers: int = 1
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> float:
        """Start the server; returns the seconds until ``/health`` answered 200."""
        script = shutil.which("recommender", path=str(BIN))
        cmd = ([script] if script else [sys.executable, "-m", "recommender.cli"]) + [
            "serve", str(self.model), "--host", "127.0.0.1", "--port", str(self.port),
            "--workers", str(self.workers)]
        clean = {k: v for k, v in os.environ.items() if not k.startswith("RECOMMENDER_")}
        t0 = time.monotonic()
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     env={**clean, **self.env}, start_new_session=True)
        try:
            return self.wait_healthy(t0)
        except BaseException:  # a server not healthy in time was left running (its own
            self.kill()        # session: nothing else stops it)
            raise

    def wait_healthy(self, t0: float, timeout: float = 120) -> float:
        assert self.proc is not None
        while time.monotonic() - t0 < timeout:
            if self.proc.poll() is not None:
                err = self.proc.stderr.read().decode() if self.proc.stderr else ""
                raise RuntimeError(f"server exited {self.proc.returncode}:\n{err[-2000:]}")
            if health(self.port):
                return time.monotonic() - t0
            time.sleep(0.05)
        raise RuntimeError(f"server not healthy in {timeout} s")

    def kill(self) -> None:
        """SIGKILL the server and its workers (its process group)."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()

    def rss_bytes(self) -> int:
        """Resident memory of the server and all its processes, in bytes."""
        assert self.proc is not None
        try:
            top = psutil.Process(self.proc.pid)
            procs = [top, *top.children(recursive=True)]
        except psutil.NoSuchProcess:
            return 0
        total = 0
        for p in procs:
            try:
                total += p.memory_info().rss
            except psutil.NoSuchProcess:
                pass
        return total


def health(port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.sendall(f"GET /health HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n"
                      .encode())
            return s.recv(64).startswith(b"HTTP/1.1 200")
    except OSError:
        return False


def admin_post(port: int, path: str, body: dict[str, Any], key: str) -> tuple[int, Any]:
    import httpx

    r = httpx.post(f"http://127.0.0.1:{port}{path}", json=body, timeout=120,
                   headers={"Authorization": f"Bearer {key}"})
    try:
        return r.status_code, r.json()
    except ValueError:
        return r.status_code, r.text


# --------------------------------------------------------------------------------------------
# Load generator
# --------------------------------------------------------------------------------------------


@dataclass
class Response:
    sent: float      # monotonic time the request was sent
    latency: float   # seconds
    status: int      # 0: a transport error (see error)
    path: str
    headers: dict[str, str]
    body: bytes
    error: str = ""


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, dict[str, str], bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if line:
            k, _, v = line.partition(":")
            headers[k.strip().lower()] = v.strip()
    if "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        parts = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await reader.readuntil(b"\r\n")
                break
            parts.append(await reader.readexactly(size))
            await reader.readexactly(2)
        body = b"".join(parts)
    else:
        body = b""
    return status, headers, body


async def _connection(port: int, paths: Callable[[int], str], until: float,
                      on_response: Callable[[Response], None], conn_id: int,
                      extra_headers: str, timeout: float) -> None:
    reader: asyncio.StreamReader | None = None
    writer: asyncio.StreamWriter | None = None
    i = 0
    while time.monotonic() < until:
        path = paths(conn_id * 1_000_003 + i)
        i += 1
        sent = time.monotonic()
        try:
            if writer is None:
                reader, writer = await asyncio.wait_for(
                    asyncio.open_connection("127.0.0.1", port), timeout)
            assert reader is not None and writer is not None
            writer.write(f"GET {path} HTTP/1.1\r\nHost: {HOST}\r\n{extra_headers}\r\n".encode())
            status, headers, body = await asyncio.wait_for(_read_response(reader), timeout)
            on_response(Response(sent, time.monotonic() - sent, status, path, headers, body))
            if headers.get("connection", "").lower() == "close":
                writer.close()
                reader = writer = None
        except (TimeoutError, OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError,
                ValueError, IndexError) as e:
            on_response(Response(sent, time.monotonic() - sent, 0, path, {}, b"",
                                 f"{type(e).__name__}: {e}"[:200]))
            if writer is not None:
                writer.close()
            reader = writer = None
            await asyncio.sleep(0.05)  # a refused connection (server down) is not retried hot
    if writer is not None:
        writer.close()


def run_load(port: int, connections: int, seconds: float, paths: Callable[[int], str],
             on_response: Callable[[Response], None], headers: dict[str, str] | None = None,
             timeout: float = 30.0, during: Callable[[], None] | None = None) -> None:
    """``connections`` keep-alive connections sending ``paths(n)`` for ``seconds``;
    ``on_response`` sees every answer (and every transport error, status 0). ``during`` runs
    in a thread meanwhile (reloads, kills)."""
    extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())

    async def main() -> None:
        until = time.monotonic() + seconds
        tasks = [asyncio.create_task(_connection(port, paths, until, on_response, c, extra,
                                                 timeout)) for c in range(connections)]
        side = asyncio.get_running_loop().run_in_executor(None, during) if during else None
        await asyncio.gather(*tasks)
        if side is not None:
            await side

    asyncio.run(main())


def measured(run: Callable[..., dict[str, Any]], *args: Any) -> dict[str, Any]:
    """``run(*args)``'s section result with ``measured``: when it finished, on which CPU, the load
    average and HEAD's commit when it started. The commit is taken before the section runs:
    taken at its end, a commit made while it ran (whose code no server of the section had
    loaded) was named as the one measured; HEAD at the end is kept too when it moved."""
    load_at_start = [round(x, 2) for x in os.getloadavg()]
    from common import machine_facts

    commit_at_start = machine_facts().get("git_commit")
    result = run(*args)
    return {**result, "measured": section_stamp(load_at_start, commit_at_start)}


def section_stamp(load_at_start: list[float], commit_at_start: str | None) -> dict[str, Any]:
    """When, on which CPU and at which commit a section was measured, and the load average
    when it started: a ``--section`` run keeps the other sections' results of earlier runs,
    so the file's own machine facts (its last write's) are not every section's. The commit
    is HEAD's when the section started (``measured``); ``git_commit_at_end`` is added when
    HEAD moved while it ran."""
    from datetime import UTC, datetime

    from common import machine_facts

    m = machine_facts()
    stamp = {"finished": datetime.now(UTC).isoformat(timespec="seconds"),
             "git_commit": commit_at_start, "cpu_model": m.get("cpu_model"),
             "cores_available": m.get("cores_available"), "load_average_at_start": load_at_start}
    if m.get("git_commit") != commit_at_start:
        stamp["git_commit_at_end"] = m.get("git_commit")
    return stamp


def provenance_line(section: dict[str, Any], doc: dict[str, Any]) -> str:
    """The line under a section's heading naming the run that measured it, or saying that a
    result written before sections were stamped does not record it."""
    from common import load_text

    s = section.get("measured")
    if s:
        moved = (f" (HEAD moved to {s['git_commit_at_end'] or 'a commit not recorded'} "
                 "while it ran)" if "git_commit_at_end" in s else "")
        return (f"Measured {s.get('finished')} at commit {s.get('git_commit') or 'not recorded'}"
                f"{moved} ({s.get('cpu_model')}, {s.get('cores_available')} cores), load "
                f"average {load_text(s.get('load_average_at_start'))} when the section started.")
    m = doc.get("machine", {})
    return ("When, on which machine and at which commit this section was measured is not "
            "recorded (its result predates that record): the file was last written "
            f"{doc.get('finished', '?')} at commit {m.get('git_commit') or 'not recorded'}, and "
            "a `--section` run keeps the other sections' results from earlier runs.")
