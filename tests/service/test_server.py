"""The real thing: ``recommender serve`` in a subprocess on a free loopback port, queried
over HTTP (single worker, and two workers through uvicorn's factory mode)."""

from __future__ import annotations

import csv
import importlib.util
import io
import logging
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from servers import start_server
from servers import stop_server as stop
from service_fixtures import ODD_FILM_ID, save_model

from recommender.cli import main
from recommender.errors import InvalidParameterError
from recommender.model import artifact


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_model(tmp_path_factory.mktemp("server") / "model", seed=6)


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
        assert health.json()["model"]["path"] is None  # to an admin key only
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
        assert http.post("/audiences/lookalike", content=b"{",
                         headers={"content-type": "application/json"}).status_code == 422
        assert "recommender_http_requests_total" in http.get("/metrics").text
        # a name rebound to 127.0.0.1 is no name of this loopback server (DNS rebinding): 400
        # before any work, every worker; its own names, with any port, are answered
        for host in ("attacker.example:8000", "attacker.example", "127.0.0.1.nip.io"):
            r = http.get(f"/films/{quoted}/audience.csv", headers={"Host": host})
            assert r.status_code == 400 and "RECOMMENDER_ALLOWED_HOSTS" in r.json()["detail"]
            assert http.post("/events", headers={"Host": host}, json={"events": []}
                             ).status_code == 400
        for host in ("localhost:1", "LOCALHOST", "[::1]:8000", "127.0.0.1"):
            assert http.get("/health", headers={"Host": host}).status_code == 200


def test_serve_refuses_a_bad_model_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                          ) -> None:
    assert main(["serve", str(tmp_path / "missing")]) == 2
    assert "no such model folder" in capsys.readouterr().err


def test_serve_refuses_a_version_naming_the_argument(model_dir: Path,
                                                    monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """``recommender serve MODEL/current`` was refused as ``refused setting:
    RECOMMENDER_MODEL_PATH: ...``, naming a variable the user had not set (the CLI sets it
    from the argument); the message names the folder given and the one to serve."""
    monkeypatch.setenv("RECOMMENDER_MODEL_PATH", str(model_dir))  # restored after the test
    assert main(["serve", str(model_dir / "current"), "--port", "0"]) == 2
    err = capsys.readouterr().err
    assert f"{model_dir / 'current'} is (or links to) a version" in err, err
    assert f"serve {model_dir.resolve()} itself" in err
    assert "RECOMMENDER_MODEL_PATH" not in err and len(err.strip().splitlines()) == 1


def test_serve_follows_a_link_swapped_to_another_model_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``recommender serve LIVE`` with ``LIVE`` a link to a model folder, swapped to another
    (``ln -sfn``, a blue/green deploy): the workers were given the folder the link named at
    the start, so neither the watcher nor ``POST /admin/reload`` ever served the new one."""
    from service import server
    from service.metrics import Metrics
    from service.settings import Settings
    from service.state import ServiceState

    a, b = save_model(tmp_path / "a", seed=1), save_model(tmp_path / "b", seed=2)
    live = tmp_path / "live"
    live.symlink_to(a)
    given: list[str] = []
    monkeypatch.setenv("RECOMMENDER_MODEL_PATH", "unset")  # restored after the test
    monkeypatch.setattr(server, "_run", lambda *_: given.append(
        os.environ["RECOMMENDER_MODEL_PATH"]))
    server.serve(str(live), port=0)
    state = ServiceState(Settings(model_path=given[0], watch_interval=0, warm_cache=False),
                         Metrics())
    state.startup()
    try:
        assert state.engine is not None
        assert state.engine.version == artifact.load(a).version
        (tmp_path / "next").symlink_to(b)
        os.replace(tmp_path / "next", live)
        assert state.check()
        assert state.engine.version == artifact.load(b).version
    finally:
        state.shutdown()


@pytest.mark.parametrize(("env", "said"), [
    ({"RECOMMENDER_ADMIN_KEY": "the secret"}, "RECOMMENDER_ADMIN_KEY: a key holds a character"),
    # refused before any command (the CLI's rule, as RECOMMENDER_PROGRESS): not a key, so shown
    ({"RECOMMENDER_MIN_CELL": "abc"}, "RECOMMENDER_MIN_CELL='abc' is not a whole number"),
    ({"RECOMMENDER_READ_KEYS": "crm:"}, "RECOMMENDER_READ_KEYS gives no key for 'crm'"),
])
def test_serve_refuses_a_bad_setting_in_one_line(model_dir: Path, env: dict[str, str], said: str,
                                                 monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    # it was a pydantic traceback and exit 1; the value is never shown (it may be a key)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert main(["serve", str(model_dir), "--port", "0"]) == 2
    err = capsys.readouterr().err
    assert said in err and "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert "the secret" not in err


@pytest.mark.parametrize("how", ["setting", "fallback"])
@pytest.mark.usefixtures("server_never_starts", "no_recommender_env")
def test_serve_with_workers_refuses_a_store_in_memory(model_dir: Path, how: str,
                                                      tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    # each worker opened its own in-memory store: an event acknowledged by one worker was
    # unknown to the other (and lost at a restart), a plan stored by one was a 404 on the other
    import service.routes.campaigns as campaigns
    if how == "setting":
        monkeypatch.setenv("RECOMMENDER_STORE", "sqlite://")
    else:  # the default file's folder cannot be written, and holds no store yet (one that
        # exists is opened as it is: test_campaigns.py)
        model_dir = Path(shutil.copytree(model_dir, tmp_path / "model", symlinks=True))
        real = os.access
        parent = str(model_dir.resolve().parent)
        monkeypatch.setattr(campaigns.os, "access",
                            lambda p, mode: False if str(p) == parent else real(p, mode))
    assert main(["serve", str(model_dir), "--port", "0", "--workers", "2"]) == 2
    err = capsys.readouterr().err
    assert "RECOMMENDER_STORE" in err and len(err.strip().splitlines()) == 1, err


@pytest.mark.usefixtures("server_never_starts", "no_recommender_env")
def test_serve_with_workers_refuses_a_watch_interval_of_0(
        model_dir: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """With no worker looking at the folder, an admin reload (published into the folder)
    reached the worker that took it only: the others served the old model for good, and the
    answers changed model from one request to the next."""
    monkeypatch.setenv("RECOMMENDER_WATCH_INTERVAL", "0")
    assert main(["serve", str(model_dir), "--port", "0", "--workers", "2"]) == 2
    err = capsys.readouterr().err
    assert "RECOMMENDER_WATCH_INTERVAL is 0" in err and len(err.strip().splitlines()) == 1, err


def test_the_access_log_hides_a_key_sent_in_the_query(capsys: pytest.CaptureFixture[str]
                                                      ) -> None:
    """A key sent as ``?api_key=...`` is never accepted, but uvicorn's access line kept it in
    the log. Through the logging configuration ``serve`` gives uvicorn: the value of a query
    parameter named like a key is hidden; the rest of the line stays."""
    import logging.config

    from service.server import log_config

    names = ("uvicorn", "uvicorn.error", "uvicorn.access", "recommender")
    saved = {n: (logging.getLogger(n).handlers[:], logging.getLogger(n).level,
                 logging.getLogger(n).propagate, logging.getLogger(n).disabled) for n in names}
    logging.config.dictConfig({**log_config(), "disable_existing_loggers": False})
    try:
        logging.getLogger("uvicorn.access").info(
            '%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "GET",
            "/films/7/audience?api_key=s3cret-value&k=5&X-Token=t0k", "1.1", 401)
        out = capsys.readouterr().out
    finally:  # the loggers as they were (the handlers hold this test's captured stdout)
        for n, (handlers, level, propagate, disabled) in saved.items():
            logger = logging.getLogger(n)
            logger.handlers[:] = handlers
            logger.setLevel(level)
            logger.propagate, logger.disabled = propagate, disabled
    assert "s3cret-value" not in out and "t0k" not in out
    assert '"GET /films/7/audience?api_key=***&k=5&X-Token=*** HTTP/1.1" 401' in out


@pytest.mark.parametrize("query, shown", [
    ("auth=s3cret&k=5", "auth=***&k=5"),
    ("bearer=s3cret", "bearer=***"),
    ("credentials=s3cret", "credentials=***"),
    ("pwd=s3cret", "pwd=***"),
    ("api%5Fkey=s3cret", "api%5Fkey=***"),
    ("%6Bey=s3cret&k=5", "%6Bey=***&k=5"),  # "key", its first letter percent-encoded
    ("x=1&api+key=s3cret", "x=1&api+key=***"),
    ("k=5&segment=2", "k=5&segment=2"),
])
def test_the_access_log_hides_keys_under_other_names(query: str, shown: str) -> None:
    """``?auth=KEY``, ``?bearer=KEY`` and a name with a percent-encoded letter (``%6Bey``)
    kept the key in the access line: only names holding key, token, secret or password,
    as written, were hidden."""
    from service.server import HideKeys

    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1,
                               '%s - "%s %s HTTP/%s" %d',
                               ("127.0.0.1:5000", "GET", f"/segments?{query}", "1.1", 401),
                               None)
    assert HideKeys().filter(record)
    assert record.args[2] == f"/segments?{shown}"  # type: ignore[index]


@pytest.mark.usefixtures("server_never_starts")
def test_serve_refuses_more_workers_than_it_starts(model_dir: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """--workers had no upper bound: --workers 100000 forked one process (each loading the
    model) after another until the machine ran out of processes and memory."""
    from service.server import serve
    assert main(["serve", str(model_dir), "--port", "0", "--workers", "100000"]) == 2
    assert "expected a number in [1, 256], got 100000" in capsys.readouterr().err
    with pytest.raises(InvalidParameterError, match=r"workers must be in \[1, 256\]"):
        serve(str(model_dir), port=0, workers=257)


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.usefixtures("server_never_starts")
def test_serve_on_a_port_in_use_says_so_in_one_line(model_dir: Path, workers: int,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """A port another server listens on: uvicorn logged the bind error among its start-up
    and shutdown lines and exited 3; the contract's CLI error is one line naming what is
    wrong, exit 2, before the server starts."""
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["serve", str(model_dir), "--host", "127.0.0.1", "--port", str(port),
                     "--workers", str(workers)]) == 2
        err = capsys.readouterr().err
        assert f"cannot listen on 127.0.0.1:{port}" in err and "in use" in err, err
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    from service.server import check_address

    with pytest.raises(InvalidParameterError, match="cannot listen on nosuch.invalid:"):
        check_address("nosuch.invalid", port, workers)
    # a free port passes, and a port a closed socket has just left (SO_REUSEADDR, as uvicorn)
    with socket.socket() as left:
        left.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        left.bind(("127.0.0.1", 0))
        free = left.getsockname()[1]
    check_address("127.0.0.1", free, workers)


def test_an_address_family_the_machine_lacks_is_skipped_as_asyncio_skips_it(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A kernel with IPv6 off (``ipv6.disable=1``): "localhost" still resolves to ::1 and
    127.0.0.1, and asyncio's ``create_server`` (uvicorn, one worker) skips the address whose
    socket cannot be made and listens on 127.0.0.1; the check refused the host ("Address
    family not supported by protocol"), exit 2, where the server would have run."""
    import asyncio
    import errno
    import socket

    from service.server import check_address

    real_socket, real_getaddrinfo = socket.socket, socket.getaddrinfo

    class NoIPv6(real_socket):  # type: ignore[misc, valid-type]
        def __init__(self, family: Any = socket.AF_INET, *args: Any, **kwargs: Any) -> None:
            if family == socket.AF_INET6:
                raise OSError(errno.EAFNOSUPPORT, "Address family not supported by protocol")
            super().__init__(family, *args, **kwargs)

    def both(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host == "localhost":
            return [(socket.AF_INET6, socket.SOCK_STREAM, 6, "", ("::1", port, 0, 0)),
                    (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]
        return real_getaddrinfo(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "socket", NoIPv6)
    monkeypatch.setattr(socket, "getaddrinfo", both)

    async def listens() -> list[object]:
        server = await asyncio.get_running_loop().create_server(asyncio.Protocol, "localhost", 0)
        try:
            return [s.getsockname()[0] for s in server.sockets]
        finally:
            server.close()

    assert asyncio.run(listens()) == ["127.0.0.1"]  # as uvicorn would: it serves
    check_address("localhost", 0, 1)
    with pytest.raises(InvalidParameterError, match=r"cannot listen on \[::1\]:0: Address "
                                                     "family not supported"):
        check_address("::1", 0, 1)  # nothing left to listen on


@pytest.mark.parametrize(("env", "said"), [
    ({"RECOMMENDER_CACHE_MB": "inf"}, "RECOMMENDER_CACHE_MB: Input should be a finite number"),
    ({"RECOMMENDER_TIMEOUT_REQUEST_BODY": "inf"},
     "RECOMMENDER_TIMEOUT_REQUEST_BODY: Input should be a finite number"),
    ({"RECOMMENDER_WATCH_INTERVAL": "1e12"},
     "RECOMMENDER_WATCH_INTERVAL: Input should be less than or equal to 86400"),
])
@pytest.mark.usefixtures("server_never_starts")
def test_serve_refuses_an_endless_number_at_start(model_dir: Path, env: dict[str, str],
                                                  said: str, monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """``inf`` passed every lower bound: RECOMMENDER_CACHE_MB=inf stopped the start with a
    traceback (``int(inf)``), and a watch interval of ``inf`` or ``1e12`` started a server
    whose watcher thread died at once (OverflowError), so its workers never followed a new
    version."""
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert main(["serve", str(model_dir), "--port", "0"]) == 2
    err = capsys.readouterr().err
    assert said in err and "Traceback" not in err and len(err.strip().splitlines()) == 1, err


@pytest.mark.parametrize(("name", "value", "said"), [
    ("RECOMMENDER_ACCESS_LOG", "{tmp}/no-such-folder/exports.jsonl",
     "RECOMMENDER_ACCESS_LOG: cannot write {tmp}/no-such-folder/exports.jsonl"),
    ("RECOMMENDER_ACCESS_LOG", "{tmp}", "RECOMMENDER_ACCESS_LOG: cannot write {tmp} "),
    ("RECOMMENDER_PSEUDONYM_KEY", "short",
     "RECOMMENDER_PSEUDONYM_KEY: the pseudonym key is 5 bytes long"),
    ("RECOMMENDER_CINEMAS", "{tmp}/cinemas.csv", "RECOMMENDER_CINEMAS: {tmp}/cinemas.csv"),
    ("RECOMMENDER_STORE", "mysql://user:pw@db/campaigns",
     "RECOMMENDER_STORE: the campaign store supports sqlite:// and postgresql:// URLs"),
    ("RECOMMENDER_STORE", "bogus://x", "RECOMMENDER_STORE: "),
    pytest.param("RECOMMENDER_STORE", "postgresql+psycopg2://user:pw@db/campaigns",
                 "RECOMMENDER_STORE: the URL names the driver 'psycopg2', which is not "
                 "installed", marks=pytest.mark.skipif(
                     importlib.util.find_spec("psycopg2") is not None,
                     reason="psycopg2 is installed here")),
])
@pytest.mark.usefixtures("server_never_starts")
def test_serve_refuses_at_start_what_a_request_would_find(
        model_dir: Path, tmp_path: Path, name: str, value: str, said: str,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """These started a server whose /health said ok, then refused every export (503: the
    export log), every pseudonymised one (403: the key), every by=cinema allocation (503: the
    table), or stopped in uvicorn's start-up with a traceback (the store's URL)."""
    monkeypatch.setenv(name, value.format(tmp=tmp_path))
    assert main(["serve", str(model_dir), "--port", "0"]) == 2
    err = capsys.readouterr().err
    assert f"refused setting: {said.format(tmp=tmp_path)}" in err, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert "pw" not in err and "short" not in err


@pytest.mark.parametrize(("name", "meant"), [
    ("RECOMMENDER_READ_KEY", "RECOMMENDER_READ_KEYS"),
    ("RECOMMENDER_ADMIN_KEYS", "RECOMMENDER_ADMIN_KEY"),
    ("RECOMMENDER_MAXK", "RECOMMENDER_MAX_K"),
])
@pytest.mark.usefixtures("server_never_starts")
def test_serve_refuses_a_misspelt_setting(model_dir: Path, name: str, meant: str,
                                          monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    """Unknown names are ignored, so RECOMMENDER_READ_KEY=KEY (for READ_KEYS) started a
    server with every data endpoint open, and the operator believed it closed. A name that
    is no setting at all (a test's, the workers' own) still starts."""
    monkeypatch.setenv(name, "the-secret-key")
    monkeypatch.setenv("RECOMMENDER_TEST_SOMETHING_ELSE", "1")
    assert main(["serve", str(model_dir), "--port", "0"]) == 2
    err = capsys.readouterr().err
    assert f"{name} is not a setting (did you mean {meant}?)" in err, err
    assert "the-secret-key" not in err and "TEST_SOMETHING" not in err
    assert len(err.strip().splitlines()) == 1, err


def test_setting_names_are_checked_in_any_case_as_they_are_read() -> None:
    """The settings read a name in any case (``RECOMMENDER_MAX_k`` is ``max_k``): such a
    setting was refused as a misspelling of itself, and a misspelling in lower case
    (``recommender_read_key``) started with every endpoint open, unsaid."""
    from service.settings import misspelt

    assert misspelt({"RECOMMENDER_MAX_k": "50", "recommender_read_keys": "k"}) == []
    said = misspelt({"recommender_read_key": "k", "Recommender_MaxK": "50"})
    assert [s.split(" is not")[0] for s in said] == ["Recommender_MaxK", "recommender_read_key"]
    assert "did you mean RECOMMENDER_READ_KEYS?" in said[1]
