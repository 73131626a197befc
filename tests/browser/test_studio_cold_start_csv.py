"""A new film's audience was downloaded as a CSV the page made from the JSON (its own columns
and name), while the API answers the export itself (``POST /audiences/cold-start.csv``, the
bytes ``cold-start --csv`` prints, logged as an export). Its button now downloads the server's
CSV, the key sent, under the server's file name. Oracle: the same request sent to the API."""

from __future__ import annotations

import json
import urllib.request
from email.message import Message
from pathlib import Path
from typing import Any

from studio_http import rank_new_film


def server_csv(served: Any, key: str, body: dict[str, Any]) -> tuple[bytes, str]:
    """The bytes and the file name (Content-Disposition's) of the server's CSV of ``body``."""
    request = urllib.request.Request(
        f"{served.base}/audiences/cold-start.csv?with=segment_label", method="POST",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "X-API-Key": key})
    with urllib.request.urlopen(request, timeout=30) as r:
        header = Message()
        header["Content-Disposition"] = r.headers["Content-Disposition"]
        name = header.get_filename()
        assert name
        return r.read(), name


def test_a_new_films_audience_downloads_the_servers_csv(watched: Any, served_locked: Any,
                                                        read_key: str) -> None:
    page = watched.page
    page.add_init_script(f"sessionStorage.setItem('recommender.studio.key', '{read_key}')")
    body, _ = rank_new_film(page, served_locked, read_key, k=40)
    want, name = server_csv(served_locked, read_key, body)
    with page.expect_download() as dl:
        page.click("#cold-csv")
    assert dl.value.suggested_filename == name
    assert name.startswith("cold_start_audience") and name.endswith(".csv")
    assert Path(dl.value.path()).read_bytes() == want
    assert want.decode("utf-8").count("\n") == 41  # the header and the 40 users shown
    page.wait_for_function("(n) => document.querySelector('#cold-csv-status')"
                           "?.textContent === `Downloaded ${n}.`", arg=name)
    watched.assert_clean()


def test_a_download_out_of_reach_is_said_and_tried_again(watched: Any, served_locked: Any,
                                                         read_key: str) -> None:
    """An engine out of reach is said under the button, and its Try again asks again."""
    page = watched.page
    page.add_init_script(f"sessionStorage.setItem('recommender.studio.key', '{read_key}')")
    rank_new_film(page, served_locked, read_key)
    page.route("**/audiences/cold-start.csv*", lambda r: r.abort())
    with page.expect_request(lambda r: "/audiences/cold-start.csv" in r.url):
        page.click("#cold-csv")
    page.wait_for_selector("#cold-csv-error :text('could not be reached')")
    page.unroute("**/audiences/cold-start.csv*")
    with page.expect_download() as dl:
        page.locator("#cold-csv-error").get_by_role("button", name="Try again").click()
    assert dl.value.suggested_filename.startswith("cold_start_audience")
    assert page.locator("#cold-csv-error [role=alert]").count() == 0
    watched.console_errors[:] = [e for e in watched.console_errors if "net::ERR_FAILED" not in e]
    watched.assert_clean()
