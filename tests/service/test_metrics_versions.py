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


SWITCH = """
from types import SimpleNamespace
from service.metrics import Metrics
metrics = Metrics()
engine = lambda v: SimpleNamespace(version=v, model=SimpleNamespace(n_users=5, n_films=2))
metrics.set_model(engine("v1"))
real = metrics.model_info
class Child:  # a scrape after every value the reload writes
    def __init__(self, child): self.child = child
    def set(self, value):
        self.child.set(value)
        print(metrics.exposition().decode("utf-8").replace("\\n", "\\\\n"), flush=True)
class Watched:
    def labels(self, **labels): return Child(real.labels(**labels))
    def clear(self): real.clear()
metrics.model_info = Watched()
metrics.set_model(engine("v2"))
"""


def test_a_reload_never_leaves_a_scrape_without_a_served_version(tmp_path: Path) -> None:
    """A worker set its old version to 0 before its new one to 1: a scrape between the two
    (the one worker, or every worker reloading at once) found no version reading 1, and with
    the 0 left out no ``recommender_model_info`` at all. Scraped after each value written,
    the versions read 1 are the ones the worker serves then: the old, then the new."""
    env = {**os.environ, MULTIPROC_DIR: str(tmp_path), SHARED_FLAG: "1",
           "PYTHONPATH": os.pathsep.join([str(Path(__file__).parents[2]),
                                          os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-c", SWITCH], env=env, text=True,
                          capture_output=True, check=True)
    scrapes = [versions(line.replace("\\n", "\n")) for line in done.stdout.splitlines()]
    assert len(scrapes) == 2, done.stdout  # one scrape a value written
    assert all(any(v == 1.0 for v in s.values()) for s in scrapes), scrapes
    assert scrapes[-1] == {"v2": 1.0}
