"""The FastAPI app, built by ``create_app(settings)``.

The model folder is loaded (memory-mapped) once in the lifespan, so several workers share the
factor matrices through the page cache. Nothing heavy happens at import time.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from threadpoolctl import threadpool_limits

from recommender import __version__
from service import cors, errors, events_attach, schema_limits
from service.access_log import export_log
from service.auth import (
    ReadKeys,
    admin_ring,
    metrics_ring,
    read_ring,
    warn_short_admin_keys,
    warn_short_ring_keys,
    write_ring,
)
from service.compression import CsvGzip
from service.deps import reject_unknown_query
from service.erased_words import ErasedWords
from service.fastpath import FastPath
from service.head import HeadAsGet
from service.headers import SecurityHeaders
from service.hosts import AbsoluteTarget, AllowedHosts, allowed
from service.internal_errors import InternalErrors
from service.key_throttle import KeyFailures, KeyThrottle
from service.limits import Limits
from service.metrics import Metrics, MetricsMiddleware
from service.raw_ids import RawFilmIds, RawPlanIds
from service.routes import admin, audiences, docs, films, studio, system, users
from service.routes import campaigns as campaign_routes
from service.routes import distribution as distribution_routes
from service.routes import events as event_routes
from service.routes import wave_sends as wave_send_routes
from service.settings import Settings
from service.state import ServiceState

DESCRIPTION = """Who is the audience for this film? Ranked users with tiers (core, extended,
broad) and expected conversion, segments, a demographic portrait, lookalikes and cold-start
audiences; and the reverse, films for a user.

Ids are strings. Errors are `{"detail": "..."}`: 404 for an unknown film or user, 422 for a
bad parameter (with `errors` too: each problem's `loc`, `msg` and `type`), 415 for a body not
sent as `Content-Type: application/json`, 401 for a missing or wrong key, 403 for `/admin/*`
when no admin key is configured. Every response carries the
served model's version in the `X-Model-Version` header.
Security (admin key, read keys, export log, pseudonymised exports): README "Security"."""


def create_app(settings: Settings | None = None) -> FastAPI:
    """The app for ``settings`` (default: from ``RECOMMENDER_*`` environment variables)."""
    settings = settings or Settings()
    metrics = Metrics()
    service = ServiceState(settings, metrics)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # with 16 concurrent requests a 2-thread OpenBLAS served recommendations several times
        # slower than one thread per worker (commit 28260bf's http.json against
        # http_blas1.json; `bench_http.py --blas-threads 0` measures it again)
        blas = threadpool_limits(settings.blas_threads, "blas") if settings.blas_threads else None
        try:
            sync = events_attach.attach(app, service)  # stored events follow every model
            service.startup()
            sync.start()
            yield
        finally:
            events_attach.detach(app)
            service.shutdown()  # the model watcher, then the engine
            metrics.close()
            if blas is not None:
                blas.restore_original_limits()

    # every route rejects query parameters it does not declare (422 naming them); the check
    # declares no parameter, so the OpenAPI schema does not show it
    app = FastAPI(title="Film audience engine", version=__version__, description=DESCRIPTION,
                  lifespan=lifespan, dependencies=[Depends(reject_unknown_query)],
                  docs_url=None, redoc_url=None)  # routes.docs serves them offline
    app.state.service = service
    errors.install(app)
    docs.install(app)
    studio.install(app)
    # before the films router, whose /films/{film_id:path} would take /films/X/distribution
    app.include_router(distribution_routes.router)
    app.include_router(campaign_routes.router)
    app.include_router(wave_send_routes.router)  # split from campaign_routes, in its place
    app.include_router(event_routes.router)
    for module in (system, films, users, audiences, admin):
        app.include_router(module.router)
    # an erased id's 404 says "erased" to the admin key alone (service/erased_words.py)
    app.add_middleware(ErasedWords, admin=admin_ring(settings.admin_key, settings.api_key))
    # no route ahead of these two matches their paths (tests/service/test_fastpath.py)
    if settings.fast_path:
        audience = next(r for r in films.router.routes
                        if getattr(r, "endpoint", None) is films.audience)
        recommendations = next(r for r in users.router.routes
                               if getattr(r, "endpoint", None) is users.recommendations)
        app.add_middleware(FastPath, service=service, audience=audience,
                           recommendations=recommendations)
    # an id ending like a film route's suffix, its slash encoded (service/raw_ids.py): sorted
    # out before the fast path and the router, which both see the decoded path
    app.add_middleware(RawFilmIds)
    # back-pressure (503 past max_in_flight, 413, 408) outside everything that scores, and
    # inside the key check, so that its refusals to a caller with a key carry X-Model-Version
    # as every other answer to one does (the metrics middleware adds it once the key is known)
    app.add_middleware(Limits, max_in_flight=settings.max_in_flight,
                       max_body_bytes=settings.max_body_bytes,
                       body_timeout=settings.timeout_request_body)
    # read keys (service/auth.py) are checked before the fast path and before routing
    read_keys, write_keys = read_ring(settings.read_keys), write_ring(settings.write_keys)
    metrics_keys = metrics_ring(settings.metrics_keys)
    admin_keys = admin_ring(settings.admin_key, settings.api_key)
    warn_short_admin_keys(settings.admin_key, settings.api_key)
    for kind, value in (("read", settings.read_keys), ("write", settings.write_keys),
                        ("metrics", settings.metrics_keys)):
        warn_short_ring_keys(f"RECOMMENDER_{kind.upper()}_KEYS", kind, value)
    if read_keys or write_keys or metrics_keys:
        app.add_middleware(ReadKeys, keys=read_keys, admin=admin_keys,
                           routes=app.router.routes, write=write_keys, metrics=metrics_keys)
    app.state.key_rings = (read_keys, write_keys, admin_keys)  # /health's access
    # wrong keys throttled per client address, around every check that answers 401
    app.state.key_failures = KeyFailures(settings.key_failures, settings.key_failure_window)
    if settings.key_failures and (read_keys or write_keys or metrics_keys or admin_keys):
        app.add_middleware(KeyThrottle, failures=app.state.key_failures)
    # a plan id holding a slash (service/raw_ids.py): sorted out before the key check and the
    # limits, which match the routes by the path
    app.add_middleware(RawPlanIds)
    app.state.export_log = export_log(settings.access_log)
    schema_limits.install(app, settings, lambda: service.engine, read_keys=bool(read_keys),
                          write_keys=bool(read_keys or write_keys),
                          metrics_keys=bool(metrics_keys))
    # the CSV downloads gzip-compressed for a client that accepts it (still streamed)
    app.add_middleware(CsvGzip)
    # a bug's 500 as JSON, inside the metrics (its version header) and the security headers
    app.add_middleware(InternalErrors)
    # other origins' pages (off unless named): outside the key check, which a preflight
    # never passes, so that a 401 says why to such a page too; inside the Host check
    if cors_origins := cors.origins(settings.cors_origins):
        app.add_middleware(cors.JsonCors, **cors.options(cors_origins))
    # before any work; any name (None) still refuses a Host that is no name
    app.add_middleware(AllowedHosts, hosts=allowed(settings.allowed_hosts))
    # outside the Host check and the CORS layer, so that their refusals (a 400) carry
    # X-Model-Version and are counted as every other answer is; inside HeadAsGet (its label)
    app.add_middleware(MetricsMiddleware, metrics=metrics,
                       current_version=lambda: service.engine.version if service.engine else "",
                       private=bool(read_keys))
    app.add_middleware(HeadAsGet)  # HEAD as the GET it stands for, without the body
    app.add_middleware(SecurityHeaders)  # on every answer, the Host refusal's too
    app.add_middleware(AbsoluteTarget)  # http://HOST/PATH as /PATH, its HOST checked as a Host
    return app
