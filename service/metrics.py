"""Prometheus metrics and the ASGI middleware that times and labels every request.

One registry per app, so tests can build several apps. The middleware labels each request by
its route template and adds the ``X-Model-Version`` header.

Several workers (``recommender serve --workers N``): ``service.server`` points
``PROMETHEUS_MULTIPROC_DIR`` at a fresh folder before the workers start (and sets
``SHARED_FLAG``), so each worker's values live in files there and ``exposition`` sums the
counters and histograms of every worker (a scrape reaches one worker but reports them all);
the model gauges give the largest value over live workers, so during a reload both versions
read 1 until every worker has switched, and a version no live worker serves is left out
(``ServedVersionsOnly``). A worker that died without shutting down (killed,
restarted by uvicorn) is found by its pid at the next scrape and its gauges stop counting.
A single-worker server reports its own registry, whatever ``PROMETHEUS_MULTIPROC_DIR`` says.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.metrics_core import Metric
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from recommender.io.atomic import pid_alive
from recommender.serving.engine import Engine
from service.auth import walk_routes
from service.event_views import header_position
from service.head import HEAD
from service.raw_ids import route_path

LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
                   5.0, 10.0)
UNMATCHED = "<unmatched>"
#: the methods counted by name; any other is counted as ``OTHER_METHOD``
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"})
OTHER_METHOD = "other"
VERSION_HEADER = "X-Model-Version"
# the last campaign-store event sequence the answering model reflects (0: none): two answers
# of one model version differ when the store's events between them moved its audiences; to
# a read or write key, its own events up to it; none to a caller without a key on a server
# of write keys (service.event_views.header_position)
EVENTS_HEADER = "X-Events-Seq"
MULTIPROC_DIR = "PROMETHEUS_MULTIPROC_DIR"
SHARED_FLAG = "RECOMMENDER_METRICS_SHARED"  # set by service.server for --workers N
MODEL_INFO = "recommender_model_info"
_LIVE_FILE = re.compile(r"^gauge_live[a-z]*_(\d+)\.db$")


def multiprocess() -> bool:
    """Whether this process shares its metrics with the other workers of one server."""
    return bool(os.environ.get(SHARED_FLAG)) and bool(os.environ.get(MULTIPROC_DIR))


def reap_dead_workers(folder: str) -> list[int]:
    """Stop counting the live gauges of workers whose process is gone (a worker killed
    without its shutdown, which ``Metrics.close`` would have done); returns their pids."""
    try:
        names = os.listdir(folder)
    except OSError:
        return []
    dead = sorted({int(m.group(1)) for n in names if (m := _LIVE_FILE.match(n))
                   and not pid_alive(int(m.group(1)))})
    for pid in dead:
        mark_process_dead(pid, folder)
    return dead


class ServedVersionsOnly:
    """The workers' merged values less the model versions no live worker serves: a worker
    sets its old version to 0 at a reload (its file cannot drop a key), and each stayed a 0
    series of ``recommender_model_info`` for the server's life (one per reload, every scrape;
    a single worker clears the gauge instead)."""

    def __init__(self, merged: MultiProcessCollector) -> None:
        self.merged = merged

    def collect(self) -> Iterator[Metric]:
        for family in self.merged.collect():
            if family.name == MODEL_INFO:
                family.samples = [s for s in family.samples if s.value != 0]
            yield family


class Metrics:
    def __init__(self) -> None:
        if multiprocess():  # before the first value opens this worker's files
            from service import metric_files

            metric_files.install()
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter("recommender_http_requests", "HTTP requests by route and status",
                                ["method", "route", "status"], registry=r)
        self.latency = Histogram("recommender_http_request_duration_seconds",
                                 "HTTP request latency by route", ["method", "route"],
                                 buckets=LATENCY_BUCKETS, registry=r)
        self.model_info = Gauge(MODEL_INFO,
                                "The model being served (value 1, version in the label)",
                                ["model_version"], registry=r, multiprocess_mode="livemax")
        self.model_users = Gauge("recommender_model_users", "Users in the served model",
                                 registry=r, multiprocess_mode="livemax")
        self.model_films = Gauge("recommender_model_films", "Films in the served model",
                                 registry=r, multiprocess_mode="livemax")
        self.version: str | None = None
        self.reloads = Counter("recommender_model_reloads", "Model reloads by result",
                               ["result"], registry=r)
        self.cache = Counter("recommender_audience_cache", "Audience ranking cache lookups",
                             ["result"], registry=r)
        self.batch_size = Histogram("recommender_audience_batch_size",
                                    "Audience requests scored per matrix product",
                                    buckets=(1, 2, 4, 8, 16, 32, 64, 128), registry=r)
        self.recommendations_cache = Counter(
            "recommender_recommendations_cache",
            "Recommendation body cache lookups (a miss is scored)", ["result"], registry=r)
        self.recommendations_batch_size = Histogram(
            "recommender_recommendations_batch_size",
            "Recommendation requests scored per matrix product",
            buckets=(1, 2, 4, 8, 16, 32, 64, 128), registry=r)

    def set_model(self, engine: Engine) -> None:
        old = self.version if self.version != engine.version else None
        if old is not None and not multiprocess():
            self.model_info.clear()
        self.version = engine.version
        self.model_info.labels(model_version=engine.version).set(1)
        if old is not None and multiprocess():
            # set to 0, not removed: the value lives in a file that clear() would leave at 1;
            # a scrape leaves out its 0 (ServedVersionsOnly). After the new version reads 1:
            # set first, a scrape between the two found no version served (the metric gone)
            self.model_info.labels(model_version=old).set(0)
        self.model_users.set(engine.model.n_users)
        self.model_films.set(engine.model.n_films)

    def on_cache(self, hit: bool) -> None:
        self.cache.labels(result="hit" if hit else "miss").inc()

    def on_batch(self, size: int) -> None:
        self.batch_size.observe(size)

    def on_recommendations_cache(self, hit: bool) -> None:
        self.recommendations_cache.labels(result="hit" if hit else "miss").inc()

    def on_recommendations_batch(self, size: int) -> None:
        self.recommendations_batch_size.observe(size)

    def exposition(self) -> bytes:
        """The text a scrape gets: this app's registry, or every worker's values."""
        if not multiprocess():
            return bytes(generate_latest(self.registry))
        reap_dead_workers(os.environ[MULTIPROC_DIR])
        merged = CollectorRegistry()
        merged.register(ServedVersionsOnly(MultiProcessCollector(None)))
        return bytes(generate_latest(merged))

    def close(self) -> None:
        """At a worker's exit: its live gauges stop counting."""
        if multiprocess():
            mark_process_dead(os.getpid())


def header_safe(value: str) -> str:
    """A header value that cannot break the response (latin-1, no control characters)."""
    return "".join(c if " " <= c <= "~" else "?" for c in value)[:200]


class MetricsMiddleware:
    """Pure ASGI middleware (no per-request task like BaseHTTPMiddleware)."""

    def __init__(self, app: ASGIApp, metrics: Metrics, current_version: Callable[[], str],
                 private: bool = False) -> None:
        self.app = app
        self.metrics = metrics
        self.current_version = current_version
        # read keys are configured: the version is no one's without a key (as /health's
        # model and /metrics), so a response to a caller without one does not carry it
        self.private = private
        self._routes: list[tuple[re.Pattern[str], frozenset[str], str]] | None = None

    def template(self, scope: Scope) -> str:
        """The template of the route that answered the request, else of the API route its
        path and method reach (a request refused before routing: a 413 by its
        Content-Length, a 503 past the bound in flight, a 401 without a key were counted
        under ``UNMATCHED``), else ``UNMATCHED``: a label per route, never per path."""
        route = scope.get("route")
        if route is not None:
            return str(getattr(route, "path", UNMATCHED))
        if self._routes is None:  # built on first use, when every router is included
            routes = getattr(getattr(scope.get("app"), "router", None), "routes", [])
            self._routes = [(compile_path(p)[0], frozenset(r.methods or ()), p)
                            for p, r in walk_routes(routes)]
        path, method = route_path(scope), str(scope.get("method", ""))
        found = [(p, method in methods) for regex, methods, p in self._routes
                 if regex.match(path)]
        # the route of its method, else the first of its path (a 405's)
        return next((p for p, same in found if same), found[0][0] if found else UNMATCHED)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = [500]

        async def send_with_header(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = int(message["status"])
                state: dict[str, Any] = scope.get("state") or {}
                if not self.private or state.get("key_id"):
                    version = state.get("model_version") or self.current_version()
                    headers = MutableHeaders(scope=message)
                    headers.append(VERSION_HEADER, header_safe(str(version)))
                    if state.get("events_seq") is not None:  # an engine's answer, a store's
                        # as the caller is shown it: a partner's key, its own events' count
                        seq = await header_position(Request(scope), int(state["events_seq"]))
                        if seq is not None:  # None: no key, or the store cannot be read just now
                            headers.append(EVENTS_HEADER, str(seq))
            await send(message)

        try:
            await self.app(scope, receive, send_with_header)
        finally:
            template = self.template(scope)
            # a label per method a client names would let anyone grow the registry (and every
            # scrape) without bound: h11 takes any token as a method, up to the head's size
            method = "HEAD" if scope.get(HEAD) else str(scope.get("method", ""))  # service.head
            method = method if method in METHODS else OTHER_METHOD
            self.metrics.requests.labels(method=method, route=template,
                                         status=str(status[0])).inc()
            self.metrics.latency.labels(method=method, route=template).observe(
                time.perf_counter() - start)
