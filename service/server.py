"""``serve(model_dir, host, port, workers)``: run the app with uvicorn (``recommender serve``).

The model folder is checked before uvicorn starts, so a bad folder is a clear error (exit 2)
rather than a failed worker. With several workers, uvicorn's factory mode imports
``service.app:create_app`` in each and the folder is passed through ``RECOMMENDER_MODEL_PATH``;
each worker memory-maps the same files, so the factor matrices live once in the page cache,
and each follows the folder (``service.state``), so a reload or a new save reaches them all.
Their metrics are shared through a fresh folder (``service.metrics``), so ``/metrics`` counts
every worker's requests whichever worker answers the scrape.

Slow clients are cut by the connection's timeouts (``uvicorn_options``): an idle keep-alive
connection after ``timeout_keep_alive`` seconds, a connection whose request head (request
line and headers) has not arrived ``timeout_request_head`` seconds after it opened or after
its previous response, and one whose client has stopped reading its response for
``timeout_response_stall`` seconds, which uvicorn alone never cuts (``GuardedH11``); a body
that does not arrive is answered 408 by ``service.limits``.
"""

from __future__ import annotations

import asyncio
import errno
import functools
import os
import shutil
import signal
import sys
import tempfile
from pathlib import Path
from typing import Any, cast

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from recommender.errors import InvalidParameterError, RecommenderError
from recommender.model import layout
from recommender.query.limits import MAX_WORKERS
from service.hosts import ENV, LOOPBACK_HOSTS, is_loopback
from service.open_warning import warn_if_open
from service.server_logs import (  # noqa: F401 (re-exported: the tests import them from here)
    HideKeys,
    log_config,
)
from service.stall_log import CountedTransport, warn_cut


@functools.cache
def _head_timeout() -> float:
    from service.settings import Settings

    return float(Settings().timeout_request_head)


@functools.cache
def _stall_timeout() -> float:
    from service.settings import Settings

    return float(Settings().timeout_response_stall)


class GuardedH11(H11Protocol):
    """uvicorn's h11 protocol, closing a connection whose request head is late, or whose
    client has stopped reading its response.

    ``head_timeout`` (seconds; default: ``RECOMMENDER_TIMEOUT_REQUEST_HEAD``) counts from the
    connection's opening and from the end of each response. ``stall_timeout`` (default:
    ``RECOMMENDER_TIMEOUT_RESPONSE_STALL``) is how long the transport's send buffer may stay
    full (``pause_writing``) with none of it drained: past it the connection is aborted, and
    the response's sender sees a disconnect (a buffer still draining, however slowly, is a
    client reading: it was cut once the buffer had not emptied in time, a large answer sent
    in one piece to a slow link mid-download). uvicorn waits on such a client for ever, and
    a request whose client stopped reading (a stalled CSV download) kept its place among
    the requests in flight (``service.limits``): a few of them made the worker answer 503
    to every other request until they were closed."""

    head_timeout: float | None = None
    stall_timeout: float | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self._counted = CountedTransport(transport)  # the bytes sent, for a cut's warning
        self._bounds = (0, 0)  # bytes written when the last complete response began, ended
        super().connection_made(cast(asyncio.Transport, self._counted))
        self._arm_head_timer()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._bounds = (self._bounds[1], self._counted.written)  # all of it in the buffer
        self._arm_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_head_timer()
        self._cancel_stall_timer()
        super().connection_lost(exc)

    def pause_writing(self) -> None:
        super().pause_writing()
        self._arm_stall_timer()

    def _arm_stall_timer(self) -> None:
        self._cancel_stall_timer()
        timeout = self.stall_timeout if self.stall_timeout is not None else _stall_timeout()
        self._stall_left = self.transport.get_write_buffer_size()  # what is still to send
        self._stall_timer: asyncio.TimerHandle | None = self.loop.call_later(
            timeout, self._stalled)

    def resume_writing(self) -> None:
        self._cancel_stall_timer()
        super().resume_writing()

    def _cancel_stall_timer(self) -> None:
        self._cancel("_stall_timer")

    def _cancel(self, name: str) -> None:
        """Cancel the timer held in attribute ``name`` (``_head_timer``, ``_stall_timer``)."""
        timer = getattr(self, name, None)
        if timer is not None:
            timer.cancel()
            setattr(self, name, None)

    def _stalled(self) -> None:
        self._stall_timer = None
        if self.transport.get_write_buffer_size() < self._stall_left:  # read, if slowly
            self._arm_stall_timer()
            return
        began = self._bounds[0 if self.cycle and self.cycle.response_complete else 1]
        sent = self._counted.written - self.transport.get_write_buffer_size() - began
        warn_cut(self.cycle.scope if self.cycle else None, self.client, max(sent, 0),
                 self.stall_timeout if self.stall_timeout is not None else _stall_timeout())
        self.transport.abort()  # close() would wait for the buffer to drain: it never does

    def _arm_head_timer(self) -> None:
        self._cancel_head_timer()
        timeout = self.head_timeout if self.head_timeout is not None else _head_timeout()
        self._head_timer: asyncio.TimerHandle | None = self.loop.call_later(
            timeout, self._head_late)

    def _cancel_head_timer(self) -> None:
        self._cancel("_head_timer")

    def _head_late(self) -> None:
        self._head_timer = None
        # still waiting for a request line and headers (IDLE: none of it parsed yet)
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.transport.close()


def uvicorn_options(settings: Any) -> dict[str, Any]:
    """The uvicorn settings that guard the server (``settings``: ``service.settings``)."""
    return {
        "http": GuardedH11,
        "timeout_keep_alive": settings.timeout_keep_alive,
        "timeout_graceful_shutdown": 30,
        # uvicorn's 5 s: a worker that missed a ping by then (busy, or not scheduled on a
        # loaded host) was killed and replaced, "Child process died" in a loop, and a SIGHUP
        # restart gave up on a new worker not started by then (the demo model's took 7.3 s)
        "timeout_worker_healthcheck": settings.worker_start_timeout,
        "h11_max_incomplete_event_size": 64 * 1024,  # a request head larger than this: 400
        # whose X-Forwarded-For names the client: uvicorn's default trusted 127.0.0.1, so a
        # caller through a local tunnel or proxy rotated the header past the key throttle
        "proxy_headers": bool(settings.forwarded_allow_ips.strip()),
        "forwarded_allow_ips": settings.forwarded_allow_ips.strip() or None,
    }


def serve(model_dir: str, host: str = "127.0.0.1", port: int = 8000, workers: int = 1,
          log_level: str = "info") -> None:
    from recommender.serving.engine import load_engine, model_folder_path

    if not 0 <= port <= 65535:
        raise InvalidParameterError(f"port must be in [0, 65535], got {port}")
    if not 1 <= workers <= MAX_WORKERS:
        raise InvalidParameterError(f"workers must be in [1, {MAX_WORKERS}], got {workers}")
    # absolute, its links kept: a link swapped to another model folder (``ln -sfn``) is
    # followed by the watcher and by a reload (resolved here, the workers kept the folder the
    # link named at the start, and a reload answered "reloaded" with the old model)
    path = model_folder_path(model_dir)  # "..": as the system reads it
    folder = layout.holder(path)
    if folder is not None:  # said of the argument: the settings' check names the variable
        raise InvalidParameterError(
            f"{model_dir} is (or links to) a version of the model folder {folder}: serve "
            f"{folder} itself, so that every new version reaches the workers and the "
            "campaign store stays beside it")
    os.environ["RECOMMENDER_MODEL_PATH"] = path
    from service.settings import from_environment

    # a refused setting (misspelt, of the wrong type, out of range; a models root, a key or a
    # store URL check_at_start refuses) is said before the model is loaded, which takes
    # seconds for a large one: it was said after
    check_at_start(from_environment())
    load_engine(path)  # raises ArtifactError naming what is wrong
    own_hosts = is_loopback(host) and ENV not in os.environ
    if own_hosts:  # every worker reads it (service/hosts.py); not left to the caller's process
        os.environ[ENV] = LOOPBACK_HOSTS
    try:
        _run(host, port, workers, log_level)
    finally:
        if own_hosts:
            os.environ.pop(ENV, None)


def say_addresses(host: str, port: int) -> None:
    """Say (stderr) where Audience Studio and the API's docs are served: ``serve`` of one's
    own model named uvicorn's address alone (``make demo``'s script printed them), so the
    Studio the README leads with was found by reading it. Port 0 (the system's choice, which
    uvicorn then names) is said once bound (``_run_uvicorn``), with the port chosen."""
    shown = {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "::1"}.get(host, host)  # any: one
    base = f"http://[{shown}]:{port}" if ":" in shown else f"http://{shown}:{port}"
    print(f"Audience Studio (the web app): {base}/studio/  API docs: {base}/docs",
          file=sys.stderr, flush=True)


def _run(host: str, port: int, workers: int, log_level: str) -> None:
    """``serve`` once its model folder is checked and the environment holds its settings."""
    from service.app import create_app
    from service.settings import from_environment

    settings = from_environment()  # a refused setting: one message, exit 2
    check_at_start(settings)
    if workers > 1:
        _check_shared_store(settings, workers)
        if not settings.watch_interval:  # the workers learn of a reload only by looking
            raise InvalidParameterError(
                f"--workers {workers}: RECOMMENDER_WATCH_INTERVAL is 0, so no worker looks at "
                "the model folder: a POST /admin/reload would reach the one worker that took "
                "it while the others served the old model for good; set it above 0 (default "
                "0.5), or serve with one worker")
    check_address(host, port, workers)  # last: the shortest wait before uvicorn binds it
    warn_if_open(host, settings)  # no read keys on an address others reach: said once
    options = {**uvicorn_options(settings), "log_config": log_config(settings.log_user_ids)}
    if workers == 1:
        _run_uvicorn(create_app(settings), host, port, log_level=log_level, **options)
        return
    from service.metrics import MULTIPROC_DIR, SHARED_FLAG

    # the workers keep their metrics in files here, so /metrics reports every worker
    # (service.metrics); a fresh folder, removed at exit, so no old run's counts are summed
    shared = metrics_folder()
    before = {name: os.environ.get(name) for name in (MULTIPROC_DIR, SHARED_FLAG)}
    os.environ[MULTIPROC_DIR], os.environ[SHARED_FLAG] = shared, "1"
    try:
        _run_uvicorn("service.app:create_app", host, port, factory=True, workers=workers,
                     log_level=log_level, **options)
    finally:
        for name, value in before.items():  # a folder the user had set is theirs again
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        shutil.rmtree(shared, ignore_errors=True)


def _run_uvicorn(app: Any, host: str, port: int, **options: Any) -> None:
    """Serve ``app`` as ``uvicorn.run(app, host=host, port=port, **options)`` would, once the
    Studio's address is said, and end on a signal as every command does, whatever the number of
    workers: once the requests under way are answered and the workers stopped, Ctrl-C raises
    ``KeyboardInterrupt`` (exit 130), SIGTERM ``Terminated`` (143) (one worker exited 143 on
    SIGTERM and 0 on Ctrl-C; several, uvicorn's ``Multiprocess`` keeping the signals, 0 on
    both). Port 0 (the system's choice) is bound here first by uvicorn's ``Config.bind_socket``
    (as for several workers), so that the address said names the port the system chose."""
    import uvicorn

    from service.serve_stop import Supervisor, end_as_stopped, said_ctrl_c

    stopped: list[int] = []  # the signal that stopped the server, once drained
    if port and options.get("workers", 1) == 1:
        say_addresses(host, port)
        with said_ctrl_c(stopped):  # uvicorn.run takes Ctrl-C as a normal end
            uvicorn.run(app, host=host, port=port, **options)
    else:
        config = uvicorn.Config(app, host=host, port=port, **options)
        sock = config.bind_socket()  # as uvicorn.run: "Uvicorn running on", exit 3 if not
        say_addresses(host, int(sock.getsockname()[1]))
        if config.workers > 1:
            supervisor = Supervisor(config, sockets=[sock])
            supervisor.run()
            if supervisor.stopped_by is None:  # a worker failed to start: said 0, not 3
                sys.exit(3)
            stopped.append(supervisor.stopped_by)
        else:
            server = uvicorn.Server(config)
            try:  # SIGTERM: uvicorn raises it again once drained, ``Terminated`` follows
                server.run(sockets=[sock])
            except KeyboardInterrupt:  # Ctrl-C: raised again once drained, likewise
                stopped.append(int(signal.SIGINT))
            if not server.started and not stopped:
                sys.exit(3)  # uvicorn's STARTUP_FAILURE
    end_as_stopped(stopped)


def check_address(host: str, port: int, workers: int = 1) -> None:
    """``InvalidParameterError`` naming ``host:port`` when the server could not listen there
    (the port in use, an address not this machine's, a name that does not resolve, a port
    below 1024 without the right): uvicorn logged the error among its start-up lines and
    exited 3. Tried as uvicorn binds, with ``SO_REUSEADDR`` (a port a stopped server left in
    TIME_WAIT is free; one a server listens on is not): one worker through asyncio's
    ``create_server`` (every address the host resolves to, IPv6 ones IPv6-only, an address of a
    family the machine cannot open a socket of skipped, as asyncio skips it), several
    through uvicorn's ``bind_socket`` (the host as given, IPv6 when it holds a ``:``). Another
    process may still take the port before uvicorn binds it; uvicorn then stops as before."""
    import socket

    where = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    targets: list[tuple[socket.AddressFamily, Any]]
    try:
        if workers > 1:
            targets = [(socket.AF_INET6 if ":" in host else socket.AF_INET, (host, port))]
        else:
            targets = [(info[0], info[4]) for info in socket.getaddrinfo(
                host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)]
        unmade: OSError | None = None
        made = 0
        for family, address in dict.fromkeys(targets):
            try:
                sock = socket.socket(family, socket.SOCK_STREAM)
            except OSError as e:
                if workers > 1:
                    raise
                # asyncio's create_server skips an address whose family this machine lacks
                # (IPv6 off in the kernel: "localhost" still resolves to ::1 too)
                unmade = e
                continue
            made += 1
            with sock:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                if family == socket.AF_INET6 and workers == 1:
                    sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
                sock.bind(address)
        if not made and unmade is not None:  # no address left: uvicorn would listen nowhere
            raise unmade
    except OSError as e:
        why = e.strerror or str(e)
        hint = ("; is a server already running there? Give another --port, or stop it"
                if e.errno == errno.EADDRINUSE else "")
        raise InvalidParameterError(f"cannot listen on {where}: {why}{hint}") from None


def check_at_start(settings: Any) -> None:
    """``InvalidParameterError`` naming the variable for a setting that the server would
    otherwise find wrong only at the first request that needs it, while ``/health`` said ok:
    an export log it cannot write (every audience 503), a pseudonym key too short (every
    ``pseudonymize=true`` 403), a cinema table it cannot read (every screens by cinema, city
    or region 503), a store URL it cannot open (a traceback from uvicorn's start-up, exit 3),
    a models root that is no folder (every reload naming a model_path 409). Never the value
    of a key or a URL: it may hold a key or a password."""
    from recommender.io.places import read_cinemas
    from recommender.query.pseudonym import check_key

    def refused(name: str, why: object) -> InvalidParameterError:
        return InvalidParameterError(f"refused setting: RECOMMENDER_{name}: {why}")

    if not settings.store and settings.model_path:
        from recommender.campaigns.default_store import store_beside

        target, linked = store_beside(settings.model_path)
        if linked is not None:  # an empty store would hide its plans and events
            raise refused("STORE", f"unset, the campaign store is {target}, beside the served "
                          f"path, and there is none; {linked}, beside the folder it links to, "
                          "holds the plans and events a server before this version kept: move "
                          f"it (with any -wal and -shm file) to {target}, or set "
                          "RECOMMENDER_STORE to it")
    if settings.access_log:
        try:  # as the log opens it (service/access_log.py); it is created 0600 as it would be
            os.close(os.open(settings.access_log, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600))
        except OSError as e:
            raise refused("ACCESS_LOG", f"cannot write {settings.access_log} ({e.strerror}); "
                          "every export would be refused") from None
    if settings.models_root and not Path(settings.models_root).expanduser().is_dir():
        # every reload naming a model_path was a 409 "<models root>/X: no such model folder",
        # kept on /health, with the root itself never said to be missing
        raise refused("MODELS_ROOT", f"{settings.models_root} is not a folder (or cannot be "
                      "read); every reload naming a model_path would be refused: give the "
                      "folder that holds the model folders")
    if settings.pseudonym_key is not None:
        try:
            check_key(settings.pseudonym_key.get_secret_value().encode("utf-8"))
        except InvalidParameterError as e:
            raise refused("PSEUDONYM_KEY", e) from None
    if settings.cinemas:
        try:
            read_cinemas(settings.cinemas)
        except RecommenderError as e:
            raise refused("CINEMAS", e) from None
    if settings.store:
        import sqlalchemy as sa

        from recommender.campaigns.connection import parse_store_url
        try:  # parsed as the store parses it: u:p@ss@db (an '@' unencoded) is refused
            url = parse_store_url(settings.store)
            backend = url.get_backend_name()
        except (sa.exc.ArgumentError, ValueError, InvalidParameterError):  # a port not a number
            raise refused("STORE", "not a database URL (sqlite:///..., postgresql://...) "
                          "nor a file path") from None
        if backend not in ("sqlite", "postgresql"):
            raise refused("STORE", f"the campaign store supports sqlite:// and postgresql:// "
                          f"URLs, got {backend}://")
        try:  # postgresql+psycopg2://: a traceback from uvicorn's start-up, exit 3
            url.get_dialect().import_dbapi()
        except ImportError:
            raise refused("STORE", f"the URL names the driver {url.get_driver_name()!r}, which "
                          "is not installed; name no driver: sqlite:///PATH, or "
                          "postgresql://... (psycopg 3, installed with the engine)") from None


def _check_shared_store(settings: Any, workers: int) -> None:
    """``InvalidParameterError`` when the campaign store the workers would open is an
    in-memory database (``RECOMMENDER_STORE=sqlite://``, or the default file beside the model
    folder cannot be written): each worker would hold its own, so an event or a plan
    acknowledged by one worker would be unknown to the others (reports 404 on them, audiences
    differing by worker) and lost at a restart."""
    from recommender.campaigns.connection import in_memory_sqlite
    from service.routes.campaigns import store_target

    # a malformed URL is not one: the store itself says why when it opens; a file: URI of
    # mode=memory (uri=true) is one too (each worker held its own)
    if in_memory_sqlite(store_target(settings)):
        why = ("RECOMMENDER_STORE names an in-memory database" if settings.store else
               "the default store beside the model folder cannot be written")
        raise InvalidParameterError(
            f"--workers {workers}: {why}, and each worker would keep its own: events and plans "
            "taken by one worker would be unknown to the others and lost at a restart; set "
            "RECOMMENDER_STORE to a SQLite file or a database URL every worker can write")


METRICS_PREFIX = "recommender-metrics-"


def metrics_folder() -> str:
    """A fresh folder for the workers' metrics, named for this server's pid; folders left by
    servers that were killed before they could remove theirs (their pid is gone) go first."""
    from recommender.io.atomic import pid_alive

    root = Path(tempfile.gettempdir())
    for old in root.glob(f"{METRICS_PREFIX}*-*"):
        pid = old.name[len(METRICS_PREFIX):].split("-", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and not pid_alive(int(pid)):
            shutil.rmtree(old, ignore_errors=True)
    return tempfile.mkdtemp(prefix=f"{METRICS_PREFIX}{os.getpid()}-")
