"""The metrics of several workers, without starting them: a worker killed without its shutdown
stops counting in the live gauges, folders left by a killed server are removed, a single
worker reports its own registry whatever ``PROMETHEUS_MULTIPROC_DIR`` says, and a reload
leaves one model version in the gauge. (The real ``--workers 2`` server is in
``test_workers.py``.)

Oracles: the files prometheus_client keeps per pid, a pid known to be gone (a finished child
process), and the request count a test made.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path
from types import SimpleNamespace

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from service_fixtures import save_model

from service import server
from service.app import create_app
from service.metrics import MULTIPROC_DIR, SHARED_FLAG, Metrics, reap_dead_workers
from service.settings import Settings


def gone_pid() -> int:
    """The pid of a process that has exited."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_a_killed_workers_live_gauges_stop_counting(tmp_path: Path) -> None:
    dead, me = gone_pid(), os.getpid()
    for name in (f"gauge_livemax_{dead}.db", f"gauge_livemax_{me}.db", f"counter_{dead}.db"):
        (tmp_path / name).write_bytes(b"")
    assert reap_dead_workers(str(tmp_path)) == [dead]
    left = sorted(p.name for p in tmp_path.iterdir())
    # its requests still count; its gauges (the model it served) no longer do
    assert left == [f"counter_{dead}.db", f"gauge_livemax_{me}.db"]


def test_a_killed_servers_folder_is_removed_at_the_next_start() -> None:
    root = Path(tempfile.gettempdir())
    stale = root / f"{server.METRICS_PREFIX}{gone_pid()}-abc"
    stale.mkdir()
    fresh = Path(server.metrics_folder())
    try:
        assert not stale.exists()
        assert fresh.name.startswith(f"{server.METRICS_PREFIX}{os.getpid()}-")
    finally:
        fresh.rmdir()


def counts(text: str, route: str) -> float:
    return sum(s.value for f in text_string_to_metric_families(text) for s in f.samples
               if s.name == "recommender_http_requests_total" and s.labels.get("route") == route)


def test_one_worker_reports_its_own_registry(tmp_path_factory: pytest.TempPathFactory,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """A ``PROMETHEUS_MULTIPROC_DIR`` the user set (without ``--workers``) does not turn the
    scrape into a merge of the folder's files (old runs' counts, or none of this one's)."""
    model = save_model(tmp_path_factory.mktemp("one-worker") / "model")
    monkeypatch.setenv(MULTIPROC_DIR, str(tmp_path_factory.mktemp("user-folder")))
    monkeypatch.delenv(SHARED_FLAG, raising=False)
    with TestClient(create_app(Settings(model_path=str(model), warm_cache=False))) as c:
        for _ in range(3):
            assert c.get("/segments").status_code == 200
        assert counts(c.get("/metrics").text, "/segments") == 3


def test_a_reload_leaves_one_version_in_the_gauge() -> None:
    metrics = Metrics()
    for version in ("v1", "v2", "v3"):
        metrics.set_model(SimpleNamespace(version=version,  # type: ignore[arg-type]
                                          model=SimpleNamespace(n_users=5, n_films=2)))
    versions = {s.labels["model_version"]: s.value
                for f in text_string_to_metric_families(metrics.exposition().decode())
                for s in f.samples if s.name == "recommender_model_info"}
    assert versions == {"v3": 1.0}


FULL_DISK_WORKER = """
import sys
from service.metrics import Metrics
metrics = Metrics()
for i in range(2000):  # new label sets: the values' files grow past what the disk holds
    metrics.requests.labels(method="GET", route=f"/route-{i:04d}-{'x' * 40}", status="200").inc()
metrics.exposition()
"""


def test_a_worker_lives_when_its_metric_files_find_the_disk_full(tmp_path: Path) -> None:
    """prometheus_client maps each worker's metric file after making it with ``truncate``
    (sparse): on a full disk the first write to a page was SIGBUS, so every worker died at
    its next new metric and uvicorn restarted them in a loop, answering nothing."""
    disk = tmp_path / "disk"
    disk.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(disk)],
                      capture_output=True).returncode != 0:
        pytest.skip("a small file system to fill needs mount (root)")
    try:
        (disk / "metrics").mkdir()
        fd = os.open(disk / "filler", os.O_WRONLY | os.O_CREAT)
        try:  # the disk full, to the last block
            while os.write(fd, b"\0" * 4096):
                pass
        except OSError:
            pass
        finally:
            os.close(fd)
        env = {**os.environ, MULTIPROC_DIR: str(disk / "metrics"), SHARED_FLAG: "1"}
        run = subprocess.run([sys.executable, "-c", FULL_DISK_WORKER], env=env,
                             capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, (run.returncode, run.stderr[-2000:])
        assert "keeps its metrics in memory" in run.stderr
    finally:
        subprocess.run(["umount", str(disk)], check=False)


def test_metric_files_are_allocated_where_fallocate_is_emulated(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """On a file system without ``fallocate`` (NFS, some FUSE and 9p mounts) glibc's
    ``posix_fallocate`` writes a byte per block instead, and refuses (``EBADF``) a file opened
    for appending: the worker's files, opened ``a+b`` as prometheus_client opens them, went to
    memory at the first value, and ``/metrics`` showed none of any worker's values. Oracle:
    glibc's emulation (sysdeps/posix/posix_fallocate.c) refuses an ``O_APPEND`` descriptor."""
    import errno
    import fcntl

    from prometheus_client.mmap_dict import MmapedDict

    from service import metric_files

    real = os.posix_fallocate

    def emulated(fd: int, offset: int, length: int) -> None:
        if fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_APPEND:
            raise OSError(errno.EBADF, os.strerror(errno.EBADF))
        real(fd, offset, length)

    monkeypatch.setattr(metric_files.os, "posix_fallocate", emulated)
    name = str(tmp_path / "counter_1.db")
    values = metric_files.AllocatedMmapedDict(name)
    keys = [f"key-{i:05d}-{'x' * 60}" for i in range(1500)]  # past 64 KiB: the file grows
    for i, key in enumerate(keys):
        values.write_value(key, float(i), 0.0)
    assert not values._in_memory
    values.close()
    read = {k: v for k, v, _, _ in MmapedDict.read_all_values_from_file(name)}
    assert read == {key: float(i) for i, key in enumerate(keys)}
