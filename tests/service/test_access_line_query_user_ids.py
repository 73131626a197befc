"""The access lines of ``recommender serve`` hid the user id of ``/users/ID/recommendations``
but printed it raw when it came in the query, ``GET /user/recommendations?user_id=ID``, for
every request the query form's rewrite (``service/raw_ids.py``) never reached or left as sent:
refused before routing (no key or a wrong key, 401; a Host the server does not answer, 400),
a repeated ``user_id`` (404), a ``HEAD`` answered 200; and a ``user_id`` sent to any other
route (422) likewise.

Through the real thing: ``recommender serve`` in a subprocess with read keys, asked over
HTTP, its output (uvicorn's access lines, as ``serve`` configures them) read back. Oracle:
the ids' bytes, as sent (percent-encoded) and decoded, are nowhere in the output; the line of
each request is there, its id written ``{user_id}``."""

from __future__ import annotations

import logging
import subprocess
import time
from collections.abc import Iterator
from urllib.parse import quote

import httpx
import pytest
from servers import server_output, start_server
from servers import stop_server as stop
from service_fixtures import ODD_USER_ID, save_model

READ = "readkey-0123456789abcdef"
WRITE = "writekey-0123456789abcdef"
EMAIL = "alice.smith@example.com"  # no user of the model: the refusals' id
SENT = quote(EMAIL, safe="")  # alice.smith%40example.com
ODD = quote(ODD_USER_ID, safe="")  # a user of the model: the HEAD answered 200


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    model = save_model(tmp_path_factory.mktemp("query_ids") / "model")
    proc, base = start_server(model, clean=True, env={"RECOMMENDER_READ_KEYS": f"r:{READ}",
                                                      "RECOMMENDER_WRITE_KEYS": f"w:{WRITE}"})
    try:
        yield proc, base
    finally:
        stop(proc)


# (method, target, headers, the status the server answers, the line's target as shown)
REQUESTS = [
    ("GET", f"/user/recommendations?user_id={SENT}", {}, 401,
     "/user/recommendations?user_id={user_id}"),
    ("GET", f"/user/recommendations?user_id={SENT}&k=3", {"X-API-Key": "wrong-key"}, 401,
     "/user/recommendations?user_id={user_id}&k=3"),
    ("GET", f"/user/recommendations?user_id={SENT}", {"X-API-Key": READ,
                                                      "Host": "attacker.example"}, 400,
     "/user/recommendations?user_id={user_id}"),
    ("GET", f"/user/recommendations?user_id={SENT}&user_id={SENT}", {"X-API-Key": READ}, 404,
     "/user/recommendations?user_id={user_id}&user_id={user_id}"),
    ("HEAD", f"/user/recommendations?user_id={ODD}", {"X-API-Key": READ}, 200,
     "/user/recommendations?user_id={user_id}"),
    ("GET", f"/user/recommendations?user_id={ODD}", {"X-API-Key": READ}, 200,
     "/users/{user_id}/recommendations"),  # rewritten: the path form's line, as before
    ("GET", f"/users/{SENT}/recommendations", {}, 401, "/users/{user_id}/recommendations"),
    ("HEAD", f"/users/{ODD}/recommendations", {"X-API-Key": READ}, 200,
     "/users/{user_id}/recommendations"),
    ("GET", f"/films/00004/audience?k=3&user_id={SENT}", {"X-API-Key": READ}, 422,
     "/films/00004/audience?k=3&user_id={user_id}"),  # a user_id anywhere
    ("GET", f"/films/00004/audience?USER%5FID={SENT}", {}, 401,
     "/films/00004/audience?USER%5FID={user_id}"),
    ("GET", f"/films/00004/audience?seed_users={SENT}", {"X-API-Key": READ}, 422,
     "/films/00004/audience?seed_users={user_id}"),
    ("GET", f"/films/00004/audience?filter=user_id%3D{SENT}", {"X-API-Key": READ}, 422,
     "/films/00004/audience?filter={user_id}"),
    # users.csv attributes are no user ids: shown as sent (they were "{user_id}")
    ("GET", "/films/00004/audience?filter=usergroup%3Db2b", {"X-API-Key": READ}, 422,
     "/films/00004/audience?filter=usergroup%3Db2b"),
    ("GET", "/films/00004/audience?k=3&usergroup=b2b", {}, 401,
     "/films/00004/audience?k=3&usergroup=b2b"),
]


def test_no_access_line_holds_a_user_id_whatever_the_answer(
        served: tuple[subprocess.Popen[bytes], str]) -> None:
    proc, base = served
    with httpx.Client(base_url=base, timeout=10) as http:
        for method, target, headers, status, _ in REQUESTS:
            # the target as written, its escapes kept
            r = http.request(method, httpx.URL(base + target), headers=headers)
            assert r.status_code == status, (method, target, r.status_code, r.text)
    out = ""
    for _ in range(50):  # the last line is written once its answer is sent
        out = server_output(proc, last=1 << 20)
        if out.count(" - \"") >= len(REQUESTS) + 1:  # and /health's
            break
        time.sleep(0.1)
    for said in (EMAIL, SENT, ODD_USER_ID, ODD, ODD.lower(), "alice"):
        assert said not in out, (said, out)
    for method, target, _, status, shown in REQUESTS:
        assert f'"{method} {shown} HTTP/1.1" {status}' in out, (target, out)


def test_log_user_ids_keeps_a_query_id() -> None:
    """``RECOMMENDER_LOG_USER_IDS=true`` (``HideKeys(user_ids=True)``, what ``serve`` then
    configures): the query's id as sent; a key beside it still hidden."""
    from service.server_logs import HideKeys

    for keep, shown in ((True, f"user_id={SENT}&api_key=***"),
                        (False, "user_id={user_id}&api_key=***")):
        record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1,
                                   '%s - "%s %s HTTP/%s" %d',
                                   ("127.0.0.1:5000", "GET",
                                    f"/user/recommendations?user_id={SENT}&api_key=s3cret",
                                    "1.1", 401), None)
        assert HideKeys(user_ids=keep).filter(record)
        assert record.args[2] == f"/user/recommendations?{shown}"  # type: ignore[index]


def shown(target: str, keep: bool = False) -> str:
    """``target`` as the access line writes it (``HideKeys``, as ``serve`` configures it)."""
    from service.server_logs import HideKeys

    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1,
                               '%s - "%s %s HTTP/%s" %d',
                               ("127.0.0.1:5000", "GET", target, "1.1", 200), None)
    assert HideKeys(user_ids=keep).filter(record)
    return str(record.args[2])  # type: ignore[index]


@pytest.mark.parametrize("query", [
    "filter=usergroup=b2b", "filter=usergroup%3Db2b", "filter=user_type%3Dpremium",
    "filter=USER_TYPE%3Dpremium", "filter=seeded%3Dyes", "usergroup=b2b", "user_type=premium",
    "superuser=1", "userspace=x", "k=3&filter=region%3DNorth",
])
def test_a_users_attribute_is_no_user_id(query: str) -> None:
    """A filter on a users.csv attribute whose name holds "user" (``usergroup``,
    ``user_type``), or a parameter so named, was written ``{user_id}``: only names of user
    ids are hidden."""
    assert shown(f"/films/00004/audience?{query}") == f"/films/00004/audience?{query}"


@pytest.mark.parametrize(("query", "hidden"), [
    ("user_id=a", "user_id={user_id}"), ("USER%5FID=a", "USER%5FID={user_id}"),
    ("userId=a", "userId={user_id}"), ("user-id=a", "user-id={user_id}"),
    ("user_ids=a,b", "user_ids={user_id}"), ("users=a", "users={user_id}"),
    ("user=a", "user={user_id}"), ("seed_user_ids=a", "seed_user_ids={user_id}"),
    ("seedUserIds=a", "seedUserIds={user_id}"), ("seed_users=a", "seed_users={user_id}"),
    ("seeds=a", "seeds={user_id}"), ("exclude_user_ids=a", "exclude_user_ids={user_id}"),
    ("user_ids%5B%5D=a&user_ids[1]=b", "user_ids%5B%5D={user_id}&user_ids[1]={user_id}"),
    ("filter=user_id%3Da", "filter={user_id}"), ("filter=+User_Ids+%3Da", "filter={user_id}"),
    ("filter=seed_users=a", "filter={user_id}"),
])
def test_names_of_user_ids_are_hidden(query: str, hidden: str) -> None:
    assert shown(f"/films/00004/audience?k=3&{query}") == f"/films/00004/audience?k=3&{hidden}"
    assert shown(f"/films/00004/audience?{query}", keep=True) == f"/films/00004/audience?{query}"
