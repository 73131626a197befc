"""Several workers' ``recommender_model_info`` after many reloads: the versions no live worker
serves are left out of a scrape, as a single worker's cleared gauge leaves them out. Each
worker is a process of its own (prometheus_client reads ``PROMETHEUS_MULTIPROC_DIR`` when
imported); the oracle is the versions each process was told to serve."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from service.metrics import MULTIPROC_DIR, SHARED_FLAG

WORKER = """
import sys
from types import SimpleNamespace
from service.metrics import Metrics
metrics = Metrics()
for version in sys.argv[1:]:  # a reload each
    metrics.set_model(SimpleNamespace(version=version,
                                      model=SimpleNamespace(n_users=5, n_films=2)))
for _ in sys.stdin:  # a scrape a line; alive (a worker still serving) until input ends
    print(metrics.exposition().decode("utf-8").replace("\\n", "\\\\n"), flush=True)
"""


def versions(text: str) -> dict[str, float]:
    return {s.labels["model_version"]: s.value for f in text_string_to_metric_families(text)
            for s in f.samples if s.name == "recommender_model_info"}


def worker(folder: Path, *served: str) -> subprocess.Popen[str]:
    env = {**os.environ, MULTIPROC_DIR: str(folder), SHARED_FLAG: "1",
           "PYTHONPATH": os.pathsep.join([str(Path(__file__).parents[2]),
                                          os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.Popen([sys.executable, "-c", WORKER, *served], env=env, text=True,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    return proc


def scrape(proc: subprocess.Popen[str]) -> dict[str, float]:
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write("scrape\n")
    proc.stdin.flush()
    return versions(proc.stdout.readline().replace("\\n", "\n"))


def test_many_reloads_leave_the_served_versions_only(tmp_path: Path) -> None:
    reloads = [f"v{i}" for i in range(1, 41)]
    slow = worker(tmp_path, "v1")  # a worker still on the first version
    fast: subprocess.Popen[str] | None = None
    try:
        assert scrape(slow) == {"v1": 1.0}  # answered before the other worker starts
        fast = worker(tmp_path, *reloads)
        # both versions a live worker serves read 1, none of the 38 in between (they read
        # 0 each, one more series a reload)
        assert scrape(fast) == {"v1": 1.0, "v40": 1.0}
        slow.communicate("")  # the old worker gone (uvicorn's restart): its version too
        assert scrape(fast) == {"v40": 1.0}
    finally:
        for proc in (slow, fast):
            if proc is not None and proc.poll() is None:
                proc.communicate("")
