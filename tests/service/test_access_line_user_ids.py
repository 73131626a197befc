"""``recommender serve`` printed an access line per request holding the raw user id of the
path (``"GET /users/u00199/recommendations HTTP/1.1" 200``), and no setting hid it: a request
log the erasure checklist had to reach. By default the id is now written ``{user_id}``;
``RECOMMENDER_LOG_USER_IDS=true`` keeps it.

Through what ``serve`` hands uvicorn (its ``log_config``, read from the settings; uvicorn.run
stubbed), a line is logged as uvicorn's access logger logs it, its path made by uvicorn's own
``get_path_with_query_string`` from the raw request target. Oracle: the id's bytes, raw and
percent-decoded, are not in the line; the route's other words are."""

from __future__ import annotations

import logging
import logging.config
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from service_fixtures import save_model

#: a port the test never binds (uvicorn.run and check_address are stubbed)
UNBOUND = 18998
ACCESS = '%s - "%s %s HTTP/%s" %d'  # uvicorn's access line (protocols/http/h11_impl.py)

# (raw request target, what the line shows by default, the user id it holds as written)
TARGETS = [
    ("/users/u00199/recommendations", "/users/{user_id}/recommendations", "u00199"),
    ("/users/u00199/recommendations?k=3&api_key=s3cret",
     "/users/{user_id}/recommendations?k=3&api_key=***", "u00199"),
    ("/users/a%2Fb%20c%22/recommendations", "/users/{user_id}/recommendations",  # :path id
     "a%2Fb%20c%22"),
    ("/%75sers/u00199/recommendations", "/users/{user_id}/recommendations", "u00199"),  # routed
    ("//users/u00199/recommendations/", "/users/{user_id}/recommendations", "u00199"),
    ("/users/u00199", "/users/{user_id}", "u00199"),  # a 404's line held it too
    ("/users/attributes/recommendations", "/users/{user_id}/recommendations",  # a user's id
     "attributes"),
    ("/users/attributes", "/users/attributes", None),
    ("/films/u00199/audience?k=5", "/films/u00199/audience?k=5", None),  # a film id: kept
]


def _logged(config: dict[str, Any], capsys: pytest.CaptureFixture[str],
            targets: list[str]) -> list[str]:
    """The access lines ``config`` writes for ``targets``, logged as uvicorn logs them."""
    from uvicorn.protocols.utils import get_path_with_query_string

    names = ("uvicorn", "uvicorn.error", "uvicorn.access", "recommender")
    saved = {n: (logging.getLogger(n).handlers[:], logging.getLogger(n).level,
                 logging.getLogger(n).propagate, logging.getLogger(n).disabled) for n in names}
    capsys.readouterr()
    logging.config.dictConfig({**config, "disable_existing_loggers": False})
    try:
        for target in targets:
            path, _, query = target.partition("?")
            scope: Any = {"raw_path": path.encode("latin-1"), "query_string": query.encode()}
            logging.getLogger("uvicorn.access").info(
                ACCESS, "127.0.0.1:5000", "GET", get_path_with_query_string(scope), "1.1", 200)
        out = capsys.readouterr().out
    finally:  # the loggers as they were (the handlers hold this test's captured stdout)
        for n, (handlers, level, propagate, disabled) in saved.items():
            logger = logging.getLogger(n)
            logger.handlers[:] = handlers
            logger.setLevel(level)
            logger.propagate, logger.disabled = propagate, disabled
    lines = out.splitlines()
    assert len(lines) == len(targets), out
    return lines


def _served_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                   setting: str | None) -> dict[str, Any]:
    """The ``log_config`` ``serve`` hands uvicorn with ``RECOMMENDER_LOG_USER_IDS`` at
    ``setting`` (None: unset)."""
    import uvicorn

    from service import server

    model = save_model(tmp_path / "model")
    if setting is None:
        monkeypatch.delenv("RECOMMENDER_LOG_USER_IDS", raising=False)
    else:
        monkeypatch.setenv("RECOMMENDER_LOG_USER_IDS", setting)
    monkeypatch.setenv("RECOMMENDER_MODEL_PATH", str(model))  # serve sets it: restored after
    seen: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: seen.update(kw))
    monkeypatch.setattr(server, "check_address", lambda *a, **k: None)
    server.serve(str(model), host="127.0.0.1", port=UNBOUND)
    return dict(seen["log_config"])


@pytest.mark.parametrize("setting", [None, "false"])
def test_an_access_line_writes_no_user_id_by_default(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        setting: str | None) -> None:
    config = _served_config(tmp_path, monkeypatch, setting)
    lines = _logged(config, capsys, [t for t, _, _ in TARGETS])
    for line, (target, shown, user) in zip(lines, TARGETS, strict=True):
        assert line.endswith(f'"GET {shown} HTTP/1.1" 200 OK'), (target, line)
        if user is not None:
            for said in (user, unquote(user), unquote(user).replace('"', "%22")):
                assert said not in line, (target, line)
    assert "s3cret" not in "".join(lines)


def test_log_user_ids_keeps_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    """For a log the erasure checklist covers: the raw target, as uvicorn writes it (its
    keys still hidden)."""
    config = _served_config(tmp_path, monkeypatch, "true")
    lines = _logged(config, capsys, [t for t, _, _ in TARGETS])
    for line, (target, _, _) in zip(lines, TARGETS, strict=True):
        kept = target.replace("api_key=s3cret", "api_key=***").replace('"', "%22")
        assert line.endswith(f'"GET {kept} HTTP/1.1" 200 OK'), (target, line)
