"""A download asked again of the server (a new film's CSV, POSTed with the body of the table
shown; the film page's page of the audience) is ranked again there: after a model reload or
campaign events applied in between, the file may hold other users than the table its button
named ("Download these 30 users"). The Studio compares the file's ``X-Model-Version`` and
``X-Events-Seq`` with those of the JSON answer that drew the table, and says when they differ,
beside the download, in words naming what the file is compared with (the film page's
"Download all" holds the whole list, not the page shown). The server's reload and its events
are stood in for by rewriting the answers' headers, but in the last test, where the model is
trained again and reloaded between the table and the files: there the note beside the button
is the one notice of the new model (the page's "served model changed" notice said it again),
until the page's next answer. Oracle: the headers the server sent with the table's answer, and
/health's model version after the reload."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

from conftest import _cli, reload_served
from studio_http import api, rank_again, rank_new_film

NEWER = "20990101T000000Z-new"


def _with_headers(**changes: str) -> Any:
    """A route handler answering as the server does, with the headers ``changes`` rewritten."""
    def handle(route: Any) -> None:
        response = route.fetch()
        route.fulfill(response=response, headers={**response.headers, **changes})
    return handle


def _download(page: Any, button: str, status: str) -> tuple[bytes, str, str]:
    """(the file's bytes, the status said beside the button, its class) of a click on it."""
    with page.expect_download() as dl:
        page.click(button)
    page.wait_for_selector(f"{status}:has-text('Downloaded')")
    return (Path(dl.value.path()).read_bytes(), page.inner_text(status),
            page.get_attribute(status, "class") or "")


def test_a_new_films_file_of_another_model_or_events_says_so(watched: Any,
                                                              served_demo: Any) -> None:
    page = watched.page
    shown = rank_new_film(page, served_demo, k=30)[1].headers["x-model-version"]
    # the same model: the file is the table's, said plainly
    _, said, kind = _download(page, "#cold-csv", "#cold-csv-status")
    assert "ranked again" not in said and "warning" not in kind
    # a model reloaded between the table and the file
    page.route("**/audiences/cold-start.csv*", _with_headers(**{"x-model-version": NEWER}))
    _, said, kind = _download(page, "#cold-csv", "#cold-csv-status")
    assert f"The file is of model version {NEWER}, the table of {shown}: ranked again" in said
    assert "warning" in kind
    # campaign events applied between them (the same model): said by their sequences
    page.unroute("**/audiences/cold-start.csv*")
    page.route("**/audiences/cold-start", _with_headers(**{"x-events-seq": "3"}))
    page.route("**/audiences/cold-start.csv*", _with_headers(**{"x-events-seq": "5"}))
    rank_again(page)
    _, said, kind = _download(page, "#cold-csv", "#cold-csv-status")
    assert "The file is of campaign events up to 5, the table up to 3: ranked again" in said
    assert "model version" not in said and "warning" in kind
    # the next click of a file drawn as the table was says nothing more
    page.unroute("**/audiences/cold-start.csv*")
    page.route("**/audiences/cold-start.csv*", _with_headers(**{"x-events-seq": "3"}))
    _, said, kind = _download(page, "#cold-csv", "#cold-csv-status")
    assert "ranked again" not in said and "warning" not in kind
    assert not watched.outside_requests


def test_the_film_pages_download_of_another_model_says_so(watched: Any,
                                                          served_demo: Any) -> None:
    page = watched.page
    fid = quote(api(served_demo, "/films?limit=1")["films"][0]["film_id"], safe="")
    with page.expect_response(lambda r: "/audience?" in r.url and r.ok) as got:
        page.goto(f"{served_demo.base}/studio/#/film/{fid}")
    shown = got.value.headers["x-model-version"]
    page.wait_for_selector("#csv-shown")
    _, said, kind = _download(page, "#csv-shown", "#download-status")
    assert "ranked again" not in said and "warning" not in kind
    page.route("**/audience.csv*", _with_headers(**{"x-model-version": NEWER}))
    _, said, kind = _download(page, "#csv-shown", "#download-status")
    assert (f"The file is of model version {NEWER}, the page shown of {shown}: ranked again"
            in said)
    assert "the list shown" not in said and "warning" in kind
    # "Download all" holds the whole list the table pages through: compared with that list
    _, said, kind = _download(page, "#csv-all", "#download-status")
    assert (f"The file is of model version {NEWER}, the list shown of {shown}: ranked again"
            in said)
    assert "the page shown" not in said and "warning" in kind
    assert not watched.outside_requests


def test_a_reloaded_models_files_are_said_once_beside_each_button(served_reloadable: Any,
                                                                  watched: Any) -> None:
    served, page = served_reloadable, watched.page
    fid = quote(api(served, "/films?limit=1")["films"][0]["film_id"], safe="")
    with page.expect_response(lambda r: "/audience?" in r.url and r.ok) as got:
        page.goto(f"{served.base}/studio/#/film/{fid}")
    shown = got.value.headers["x-model-version"]
    page.wait_for_selector("#csv-all")
    page.wait_for_function("v => document.getElementById('model-line').textContent.includes(v)",
                           arg=shown)
    page.wait_for_load_state("networkidle")  # every section drawn from the model shown
    _cli("train", "--data", str(served.data), "--out", str(served.model), "--no-tune")
    reload_served(served)
    new = api(served, "/health")["model"]["model_version"]
    assert new != shown
    # "Download all": compared with the list the table pages through, not with "the page shown"
    _, said, kind = _download(page, "#csv-all", "#download-status")
    assert f"The file is of model version {new}, the list shown of {shown}: ranked again" in said
    assert "the page shown" not in said and "warning" in kind
    # one notice of the new model: the note beside the button, not the page's notice too
    assert page.locator("#model-changed").count() == 0
    # the footer follows the new model all the same
    page.wait_for_function("v => document.getElementById('model-line').textContent.includes(v)",
                           arg=new, timeout=10000)
    _, said, kind = _download(page, "#csv-shown", "#download-status")
    assert f"The file is of model version {new}, the page shown of {shown}: ranked again" in said
    assert "the list shown" not in said and "warning" in kind
    assert page.locator("#model-changed").count() == 0
    # the page's next answer is the new model's, under the old one's segments and numbers:
    # the page's notice says so then
    following = page.locator("#audience-out").get_by_role("button", name="Next")
    assert following.is_enabled()
    following.click()
    page.wait_for_selector("#model-changed")
    assert f"now {new}" in page.inner_text("#model-changed")
    watched.assert_clean()


def test_a_reloaded_models_new_film_file_is_said_once(served_reloadable: Any,
                                                      watched: Any) -> None:
    served, page = served_reloadable, watched.page
    shown = rank_new_film(page, served, k=30)[1].headers["x-model-version"]
    page.wait_for_load_state("networkidle")
    _cli("train", "--data", str(served.data), "--out", str(served.model), "--no-tune")
    reload_served(served)
    new = api(served, "/health")["model"]["model_version"]
    assert new != shown
    _, said, kind = _download(page, "#cold-csv", "#cold-csv-status")
    assert f"The file is of model version {new}, the table of {shown}: ranked again" in said
    assert "warning" in kind
    assert page.locator("#model-changed").count() == 0  # said beside the button alone
    watched.assert_clean()
