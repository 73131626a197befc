"""Browser-test fixtures: the demo model served by a real ``recommender serve``, and Chromium.

Chromium comes from Debian's packages (``apt-get install chromium``; ``.ci/run`` installs it),
driven by Playwright with ``executable_path``; Playwright's own browser download is not used.
Every page runs offline: a request to any host but the test server is aborted and recorded,
so a page that needs the internet fails its test.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from servers import start_server, stop_server

sync_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = os.environ.get("RECOMMENDER_TEST_CHROMIUM") or shutil.which("chromium") or ""
VENDOR = Path(__file__).parent / "vendor"


def _cli(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "recommender.cli", *args], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


@dataclass
class Served:
    """A running ``recommender serve`` on the demo model."""

    base: str
    model: Path
    data: Path


def _serve(model: Path, data: Path, root: Path, **env_extra: str
           ) -> Generator[Served, None, None]:
    """``model`` served (``servers.start_server``: a port of its own, retried if another
    process takes it first) with its campaign store ``root/campaigns.db``, until the generator
    ends; ``env_extra`` is added to the server's environment."""
    proc, base = start_server(model, env={"RECOMMENDER_BLAS_THREADS": "1",
                                          "RECOMMENDER_STORE": str(root / "campaigns.db"),
                                          **env_extra})
    try:
        yield Served(base, model, data)
    finally:
        stop_server(proc)


def own_store(demo_folders: tuple[Path, Path, Path], name: str) -> tuple[Path, Path, Path]:
    """(model, data, folder): the demo's model and data, and the folder ``name`` beside them
    (made here) for a server's campaign store of its own, so that what a module stores (plans,
    events) moves no other module's answers; ``_serve(*own_store(...))`` serves them."""
    model, data, root = demo_folders
    own = root / name
    own.mkdir(exist_ok=True)
    return model, data, own


def serve_own_store(demo_folders: tuple[Path, Path, Path], name: str, **env_extra: str
                    ) -> Iterator[Served]:
    """The demo model served with its campaign store in ``own_store``'s folder ``name``, with
    ``env_extra`` added to the server's environment."""
    model, data, own = own_store(demo_folders, name)
    yield from _serve(model, data, own, **env_extra)


@pytest.fixture(scope="session")
def demo_folders(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """(model, data, scratch folder): the demo trained as ``make demo`` does."""
    root = tmp_path_factory.mktemp("studio")
    data, model = root / "data", root / "model"
    _cli("demo-data", str(data))
    _cli("train", "--data", str(data), "--out", str(model))
    return model, data, root


@pytest.fixture(scope="session")
def served_demo(demo_folders: tuple[Path, Path, Path]) -> Iterator[Served]:
    model, data, root = demo_folders
    yield from _serve(model, data, root)


SMALL_DEMO = ("--users", "600", "--films", "120", "--interactions", "15000")


@pytest.fixture(scope="session")
def small_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``demo-data --users 600 --films 120 --interactions 15000`` written once (its seed is
    fixed: each copy is the folder the command writes); a fixture copies it before changing
    it (``copy_small_demo``)."""
    data = tmp_path_factory.mktemp("small-demo") / "data"
    _cli("demo-data", str(data), *SMALL_DEMO)
    return data


def copy_small_demo(small_demo: Path, dest: Path) -> Path:
    """A copy of ``small_demo`` at ``dest`` (a new folder), to change and train."""
    shutil.copytree(small_demo, dest)
    return dest


def trained_small_demo(tmp_path_factory: pytest.TempPathFactory, small_demo: Path, name: str,
                       change: Callable[[Path], object] | None = None,
                       train_args: Sequence[str] = ()) -> tuple[Path, Path, Path]:
    """(model, data, folder): a copy of ``small_demo`` in a new folder named after ``name``
    (``folder/data``), changed by ``change(data)`` when given, then trained ``--no-tune`` with
    ``train_args`` into ``folder/model``; ``_serve(*trained_small_demo(...))`` serves it with
    a campaign store of its own in the folder."""
    root = tmp_path_factory.mktemp(name)
    data, model = copy_small_demo(small_demo, root / "data"), root / "model"
    if change is not None:
        change(data)
    _cli("train", "--data", str(data), "--out", str(model), "--no-tune", *train_args)
    return model, data, root


READ_KEY = "studio-read-key-0123"
WRITE_KEY = "studio-write-key-0002"


@pytest.fixture(scope="session")
def read_key() -> str:
    return READ_KEY


@pytest.fixture(scope="session")
def write_key() -> str:
    return WRITE_KEY


@pytest.fixture(scope="module")
def served_locked(demo_folders: tuple[Path, Path, Path]) -> Iterator[Served]:
    """The same model behind a read key (RECOMMENDER_READ_KEYS), plans behind a write key."""
    yield from serve_own_store(demo_folders, "locked",
                               RECOMMENDER_READ_KEYS=f"studio:{READ_KEY}",
                               RECOMMENDER_WRITE_KEYS=f"planner:{WRITE_KEY}")


ADMIN_KEY = "studio-admin-key-0123456789"


@pytest.fixture(scope="module")
def served_reloadable(demo_folders: tuple[Path, Path, Path], request: pytest.FixtureRequest
                      ) -> Iterator[Served]:
    """A copy of the demo model in a folder of the test module's own (a test trains again into
    it and reloads it with ``reload_served``), served with the admin key ``ADMIN_KEY``."""
    model, data, own = own_store(demo_folders, f"reloadable-{request.module.__name__}")
    shutil.copytree(model, own / "model", dirs_exist_ok=True)
    yield from _serve(own / "model", data, own, RECOMMENDER_ADMIN_KEY=ADMIN_KEY)


def reload_served(served: Served) -> dict[str, Any]:
    """POST /admin/reload to ``served`` with ``ADMIN_KEY``; the answer's body."""
    req = urllib.request.Request(f"{served.base}/admin/reload", data=b"", method="POST",
                                 headers={"Authorization": f"Bearer {ADMIN_KEY}"})
    with urllib.request.urlopen(req, timeout=60) as r:
        answer: dict[str, Any] = json.loads(r.read())
    return answer


SMALL_MAX_K = 20  # below the Studio's page of 25 and the demo's example film's audience
SMALL_MAX_SEEDS = 5  # a lookalike seed list's longest, on the same server


@pytest.fixture(scope="module")
def served_small_k(demo_folders: tuple[Path, Path, Path]) -> Iterator[Served]:
    """The demo model behind a server whose largest page is ``SMALL_MAX_K`` (and longest
    lookalike seed list ``SMALL_MAX_SEEDS``)."""
    yield from serve_own_store(demo_folders, "small-k", RECOMMENDER_MAX_K=str(SMALL_MAX_K),
                               RECOMMENDER_MAX_SEED_USERS=str(SMALL_MAX_SEEDS))


#: films and users whose ids a URL path or a trim would lose: "." and ".." are path segments
#: a browser removes, " 42" is not "42"; "'-1" is a user of its own beside "-1" (a seed list's
#: spreadsheet-safe quote is undone only where the model does not hold the id as written)
ODD_FILMS = {".": "A Dot", "..": "Two Dots", " 42": "Spaced Forty-Two", "42": "Plain Forty-Two",
             "ß": "Sharp S", "עברית": "Hebrew Letters", "कि": "Ki Vowel Sign",
             "का": "Kaa Vowel Sign"}
#: "ab,cd" and "ef,gh": ids holding the separator, a headerless "table" of them one id per line
ODD_USERS = (" 42", "42", "'-1", "-1", "+7", "ab,cd", "ef,gh", "ab,id")


@pytest.fixture(scope="session")
def odd_films() -> dict[str, str]:
    """``ODD_FILMS``: id -> title of the films of ``served_odd_ids``."""
    return dict(ODD_FILMS)


@pytest.fixture(scope="session")
def odd_ids_model(tmp_path_factory: pytest.TempPathFactory, small_demo: Path
                  ) -> tuple[Path, Path]:
    """(model, data): a small demo with the films ``ODD_FILMS`` (each watched by 40 users) and
    the users ``ODD_USERS`` (15 films each, different ones), trained once for the run."""
    def add_odd_ids(data: Path) -> None:
        films = [line.split(",", 1)[0] for line in
                 (data / "films.csv").read_text(encoding="utf-8").splitlines()[1:]]
        with open(data / "interactions.csv", "a", encoding="utf-8") as f:
            for n, film in enumerate(ODD_FILMS):
                f.writelines(f"u{u:05d},{film},4.0,1721512629\n" for u in range(1 + n, 600, 15))
            for n, user in enumerate(ODD_USERS):
                cell = f'"{user}"' if "," in user else user
                f.writelines(f"{cell},{film},4.0,1721512629\n"
                             for film in films[15 * n:15 * n + 15])
        with open(data / "films.csv", "a", encoding="utf-8") as f:
            f.writelines(f"{film},{title},2001,Drama\n" for film, title in ODD_FILMS.items())

    model, data, _ = trained_small_demo(tmp_path_factory, small_demo, "odd-ids", add_odd_ids)
    return model, data


@pytest.fixture(scope="session")
def served_odd_ids(tmp_path_factory: pytest.TempPathFactory, odd_ids_model: tuple[Path, Path]
                   ) -> Iterator[Served]:
    """``odd_ids_model`` served, one server for the run: its modules only read it (no plan
    stored, nothing reloaded)."""
    model, data = odd_ids_model
    yield from _serve(model, data, tmp_path_factory.mktemp("odd-ids-served"))


#: films of one title: two of the same year (told apart by id only) and one of another year;
#: two of one title and year that differ in Unicode form alone
SAME_TITLES = {"twin-a": ("Twin Harbor", 2001), "twin-b": ("Twin Harbor", 2001),
               "twin-c": ("Twin Harbor", 1987),
               # one name, written apart by the catalog (MovieLens: Heat (1995) and Heat, The
               # (2013); Postman, The (Postino, Il) (1994) and Postman, The (1997))
               "glow-a": ("Glowing Moor", 1995), "glow-b": ("Glowing Moor, The", 2013),
               "post-a": ("Night Courier, The (Courrier de nuit, Le)", 1994),
               "post-b": ("Night Courier, The", 1997),
               # one title in two Unicode forms, composed (NFC) and decomposed (NFD): alike
               "ame-c": ("Am\u00e9lie", 2001), "ame-d": ("Ame\u0301lie", 2001)}


@pytest.fixture(scope="module")
def served_same_titles(tmp_path_factory: pytest.TempPathFactory, small_demo: Path
                       ) -> Iterator[Served]:
    """A small demo with the films ``SAME_TITLES`` (each watched by 40 users), served."""
    def add_same_titles(data: Path) -> None:
        with open(data / "interactions.csv", "a", encoding="utf-8") as f:
            for n, film in enumerate(SAME_TITLES):
                f.writelines(f"u{u:05d},{film},4.0,1721512629\n" for u in range(1 + n, 600, 15))
        with open(data / "films.csv", "a", encoding="utf-8") as f:
            f.writelines(f'{film},"{title}",{year},Drama\n'
                         for film, (title, year) in SAME_TITLES.items())

    yield from _serve(*trained_small_demo(tmp_path_factory, small_demo, "same-titles",
                                          add_same_titles))


@pytest.fixture(scope="session")
def bare_model(tmp_path_factory: pytest.TempPathFactory, small_demo: Path) -> tuple[Path, Path]:
    """(model, data): a log as FilmTrust comes, ``user_id,film_id,rating`` only (no catalog,
    no user attributes, no timestamps), trained once for the run."""
    root = tmp_path_factory.mktemp("bare")
    data, model = root / "data", root / "model"
    data.mkdir()
    lines = (small_demo / "interactions.csv").read_text(encoding="utf-8").splitlines()
    (data / "interactions.csv").write_text(
        "".join(",".join(line.split(",")[:3]) + "\n" for line in lines), encoding="utf-8")
    _cli("train", "--data", str(data), "--out", str(model), "--no-tune")
    return model, data


@pytest.fixture(scope="session")
def served_bare(tmp_path_factory: pytest.TempPathFactory, bare_model: tuple[Path, Path]
                ) -> Iterator[Served]:
    """``bare_model`` served, one server for the run: nothing reloads it, and only the module
    that stores plans (test_studio_waves_counted, on a film of its own) asserts anything of
    the plans stored."""
    model, data = bare_model
    yield from _serve(model, data, tmp_path_factory.mktemp("bare-served"))


def _polled_wait_for_function(self: Any, expression: str, *, arg: Any = None,
                              timeout: float | None = None, polling: Any = None) -> Any:
    """``Page.wait_for_function``, polled from here (every 50 ms): Playwright's own evaluates
    the expression with the page's ``eval``, which Audience Studio's policy refuses
    (``service/headers.py``, STUDIO_CSP: ``script-src 'self'``), while an evaluation the
    driver asks for is no script of the page. The same contract: the expression, or the
    function called with ``arg``, until it is truthy (its handle returned); its exception
    raised; ``timeout`` in ms (30 s by default, 0 none); a navigation meanwhile tried again."""
    limit = 30_000 if timeout is None else timeout
    deadline = time.monotonic() + limit / 1000
    while True:
        try:
            handle = self.evaluate_handle(expression, arg)
            if handle.evaluate("v => !!v"):
                return handle
            handle.dispose()
        except sync_api.Error as e:
            if "context was destroyed" not in str(e) and "navigat" not in str(e):
                raise
        if limit and time.monotonic() > deadline:
            raise sync_api.TimeoutError(f"Timeout {limit:g}ms exceeded waiting for "
                                        f"{expression!r}")
        self.wait_for_timeout(50)


sync_api.Page.wait_for_function = _polled_wait_for_function


# one Chromium for every browser test of the run (it was launched again for each module, about
# a second each): each test still has a context of its own (``watched``, or its own
# ``browser.new_context``), so no storage, route, dialog or download handler is shared. It is
# closed as soon as the next test is not a browser test: while Playwright's sync API is open,
# the main thread has a running event loop, and later tests that call asyncio.run() would fail
_CHROMIUM_RUNNING: dict[str, Any] = {}


def _chromium() -> Any:
    if "browser" not in _CHROMIUM_RUNNING:
        args = ["--no-sandbox"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []
        playwright = sync_api.sync_playwright().start()
        try:
            b = playwright.chromium.launch(executable_path=CHROMIUM, args=args, headless=True)
        except BaseException:
            playwright.stop()
            raise
        _CHROMIUM_RUNNING.update(playwright=playwright, browser=b)
    return _CHROMIUM_RUNNING["browser"]


def _close_chromium() -> None:
    if _CHROMIUM_RUNNING:
        try:
            _CHROMIUM_RUNNING["browser"].close()
        finally:
            _CHROMIUM_RUNNING.pop("playwright").stop()
            _CHROMIUM_RUNNING.clear()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    """After a browser test's own teardown (its context closed), Chromium is closed when no
    browser test comes next (the end of the run, or a test of another folder)."""
    try:
        return (yield)
    finally:
        here = Path(__file__).parent
        if nextitem is None or here not in nextitem.path.parents:
            _close_chromium()


@pytest.fixture(scope="module")
def browser() -> Any:
    """The run's Chromium (started again if a test of another folder closed it meanwhile)."""
    if not CHROMIUM:
        pytest.skip("no chromium on PATH (apt-get install chromium; .ci/run installs it)")
    return _chromium()


@dataclass
class Watched:
    """A page with what went wrong on it: console errors and requests that left the server."""

    page: Any
    console_errors: list[str] = field(default_factory=list)
    outside_requests: list[str] = field(default_factory=list)

    def assert_clean(self) -> None:
        assert not self.outside_requests, f"requests outside the server: {self.outside_requests}"
        assert not self.console_errors, f"console errors: {self.console_errors}"

    def axe(self) -> list[dict[str, Any]]:
        """Serious and critical axe-core violations on the current page."""
        # from the page's own origin (a path no route has, answered here): the Studio's policy
        # (STUDIO_CSP) runs no inline script, which add_script_tag(path=...) adds
        url = self.page.evaluate("location.origin") + "/__axe__.min.js"
        self.page.route(url, lambda r: r.fulfill(path=str(VENDOR / "axe.min.js"),
                                                 content_type="text/javascript"))
        self.page.add_script_tag(url=url)
        result = self.page.evaluate("async () => await axe.run()")
        return [v for v in result["violations"] if v.get("impact") in ("serious", "critical")]


@pytest.fixture()
def watched(browser: Any) -> Iterator[Watched]:
    context = browser.new_context(viewport={"width": 1366, "height": 800},
                                  accept_downloads=True)
    page = context.new_page()
    w = Watched(page)

    def route(r: Any) -> None:
        if r.request.url.startswith(("http://127.0.0.1:", "data:", "blob:")):
            r.continue_()
        else:
            w.outside_requests.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.on("console", lambda m: w.console_errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: w.console_errors.append(str(e)))
    yield w
    context.close()


PHONE = {"width": 375, "height": 667}  # a touch phone's screen, CSS pixels


@pytest.fixture()
def phone(browser: Any) -> Iterator[Watched]:
    """A touch phone's page (375x667, touch, mobile), its console errors watched as
    ``watched`` watches a desktop's."""
    context = browser.new_context(viewport=PHONE, has_touch=True, is_mobile=True)
    page = context.new_page()
    w = Watched(page)
    page.on("console", lambda m: w.console_errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: w.console_errors.append(str(e)))
    yield w
    context.close()


@pytest.fixture(scope="module")
def served_one_segment(tmp_path_factory: pytest.TempPathFactory, small_demo: Path
                       ) -> Iterator[Served]:
    """The demo (a catalog with genres) trained with one segment, whose genres all have a lift
    of 1 (no top genre), and served."""
    yield from _serve(*trained_small_demo(tmp_path_factory, small_demo, "one-segment",
                                          train_args=("--segments", "1")))


@pytest.fixture(scope="module")
def served_places_only(tmp_path_factory: pytest.TempPathFactory, small_demo: Path
                       ) -> Iterator[Served]:
    """The demo with a users file of places alone (``user_id,city,cinema``: no attribute the
    portrait pictures), trained and served."""
    def places_alone(data: Path) -> None:
        rows = [line.split(",") for line in
                (data / "users.csv").read_text(encoding="utf-8").splitlines()]
        at = [rows[0].index(c) for c in ("user_id", "city", "cinema")]
        (data / "users.csv").write_text(
            "".join(",".join(r[i] for i in at) + "\n" for r in rows), encoding="utf-8")

    yield from _serve(*trained_small_demo(tmp_path_factory, small_demo, "places-only",
                                          places_alone))
