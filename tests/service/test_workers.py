"""Every worker on one model: ``recommender serve --workers 2`` in a subprocess, reloaded over
HTTP and by a save to the served folder, while clients on fresh connections (spread over both
workers by the kernel) check every response: its body is the answer of the model its
``X-Model-Version`` names, and after the switch every response comes from the new model.

Which workers hold the new model is read from the processes themselves: each worker
memory-maps the served version's ``user_factors.npy``, so ``/proc/<pid>/maps`` names the
version it serves.
"""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest
from servers import server_output, start_server, stop_server
from service_fixtures import save_model

from recommender.model import artifact, layout
from recommender.query.audience import film_audience

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="needs /proc")]

KEY = "workers-admin-key"
FILMS = ("00004", "00013")


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("workers")
    save_model(base / "a", seed=6)
    shutil.copytree(base / "a", base / "served", symlinks=True)
    save_model(base / "other", seed=7)
    return base


@pytest.fixture(scope="module")
def server(root: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    env = {"RECOMMENDER_ADMIN_KEY": KEY, "RECOMMENDER_MODELS_ROOT": str(root),
           "RECOMMENDER_WARM_CACHE": "false", "RECOMMENDER_WATCH_INTERVAL": "0.5"}
    deadline = time.monotonic() + 90
    # a port of its own, retried if another process takes it first
    proc, base = start_server(root / "served", workers=2, env=env, timeout=90)
    try:
        while len(workers(proc)) < 2 or not healthy(base):
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the server did not start two workers:\n{server_output(proc)}")
            time.sleep(0.2)
        yield base, proc
    finally:
        stop_server(proc)  # the server and its workers, nothing else


def healthy(base: str) -> bool:
    try:
        return all(httpx.get(f"{base}/health", timeout=5).status_code == 200 for _ in range(4))
    except httpx.HTTPError:
        return False


def workers(proc: subprocess.Popen[bytes]) -> list[psutil.Process]:
    """The worker processes: those that memory-map a model's user factors."""
    try:
        children = psutil.Process(proc.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []
    return [c for c in children if mapped_versions(c)]


def mapped_versions(p: psutil.Process) -> set[str]:
    """The model version folders whose user factors process ``p`` maps."""
    try:
        maps = Path(f"/proc/{p.pid}/maps").read_text()
    except OSError:
        return set()
    return {str(Path(line.split(maxsplit=5)[-1]).parent) for line in maps.splitlines()
            if line.endswith("/user_factors.npy")}


def expected(path: Path) -> dict[str, list[str]]:
    model = artifact.load(path)
    return {film: film_audience(model, film, k=6).user_ids.tolist() for film in FILMS}


class Clients:
    """Threads sending audience requests on fresh connections, checking each response."""

    def __init__(self, base: str, answers: dict[str, dict[str, list[str]]]) -> None:
        self.base, self.answers = base, answers
        self.log: list[tuple[float, str]] = []  # (time sent, version), in order of answers
        self.problems: list[str] = []
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self.run, args=(f,)) for f in FILMS * 2]

    def run(self, film: str) -> None:
        while not self.stop.is_set():
            sent = time.monotonic()
            try:  # a new connection each time, so both workers answer
                r = httpx.get(f"{self.base}/films/{film}/audience", params={"k": 6}, timeout=30)
            except httpx.HTTPError as e:
                self.problems.append(f"{type(e).__name__}: {e}")
                continue
            version = r.headers.get("x-model-version", "")
            if r.status_code != 200:
                self.problems.append(f"{r.status_code}: {r.text}")
            elif [u["user_id"] for u in r.json()["users"]] != self.answers.get(
                    version, {}).get(film):
                self.problems.append(f"{film}: the body is not model {version}'s answer")
            self.log.append((sent, version))

    def __enter__(self) -> Clients:
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for t in self.threads:
            t.join()

    def converge(self, version: str, after: float, timeout: float = 30.0) -> float:
        """Wait until the last 30 responses sent after ``after`` all carry ``version``;
        returns the send time of the first of that final run, minus ``after`` (seconds)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            tail = [(t, v) for t, v in list(self.log) if t >= after]
            run = 0
            for _, v in reversed(tail):
                if v != version:
                    break
                run += 1
            if run >= 30:
                return max(0.0, tail[len(tail) - run][0] - after)
            time.sleep(0.1)
        pytest.fail(f"not every response carries {version} {timeout} s after the switch")


def test_a_reload_reaches_every_worker(server: tuple[str, subprocess.Popen[bytes]],
                                       root: Path) -> None:
    base, proc = server
    served = root / "served"
    first, second = artifact.load(root / "a").version, artifact.load(root / "other").version
    assert first != second
    answers = {first: expected(root / "a"), second: expected(root / "other")}

    def every_worker_maps_the_served_version() -> None:
        version_dir = str(layout.resolve(served).resolve())
        found = workers(proc)
        assert len(found) == 2 and all(version_dir in mapped_versions(w) for w in found)

    with Clients(base, answers) as clients:
        while len(clients.log) < 40:
            time.sleep(0.05)
        assert {v for _, v in clients.log} == {first}
        # an admin reload, taken by one worker: every worker follows
        r = httpx.post(f"{base}/admin/reload", json={"model_path": "other"},
                       headers={"Authorization": f"Bearer {KEY}"}, timeout=60)
        assert r.status_code == 200, r.text
        lag_reload = clients.converge(second, after=time.monotonic())
        every_worker_maps_the_served_version()
        # a new save to the served folder: every worker follows it too
        artifact.save(artifact.load(root / "a"), served)
        lag_save = clients.converge(first, after=time.monotonic())
        every_worker_maps_the_served_version()
    assert not clients.problems, clients.problems[:5]
    assert len({v for _, v in clients.log}) == 2
    print(f"every response new {lag_reload:.2f} s after the reload answered, "
          f"{lag_save:.2f} s after the save (watch interval 0.5 s)")


def test_metrics_count_every_workers_requests(server: tuple[str, subprocess.Popen[bytes]]
                                              ) -> None:
    """A scrape reaches one worker but reports the requests of both: every scrape (each on a
    fresh connection, so both workers answer some) counts exactly the requests sent to a
    route no other test calls, and only the served version reads 1."""
    from prometheus_client.parser import text_string_to_metric_families

    base, _ = server
    sent = 40
    for _ in range(sent):  # fresh connections: the kernel spreads them over both workers
        assert httpx.get(f"{base}/segments", timeout=30).status_code == 200
    served = httpx.get(f"{base}/health", timeout=30).headers["x-model-version"]
    for _ in range(6):
        text = httpx.get(f"{base}/metrics", timeout=30).text
        counts, versions = 0.0, {}
        for family in text_string_to_metric_families(text):
            for s in family.samples:
                if s.name == "recommender_http_requests_total" and \
                        s.labels.get("route") == "/segments":
                    counts += s.value
                if s.name == "recommender_model_info":
                    versions[s.labels["model_version"]] = s.value
        assert counts == sent
        assert versions.get(served) == 1 and sum(versions.values()) == 1, versions
