"""``RECOMMENDER_PROGRESS``: progress shown on a terminal only, unless the variable says always
(a scheduler's log) or never; a value it does not take is refused before any work.

Oracle: tqdm's bar text (``%|``) in what the command wrote to stderr (never a terminal here:
pytest's capture)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from recommender.errors import InvalidParameterError
from recommender.io import demo
from recommender.io.progress import PROGRESS_ENV, show_progress
from tests.helpers import run_cli


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(("value", "tty", "shown"), [
    (None, False, False), (None, True, True), ("auto", True, True), ("AUTO", False, False),
    ("always", False, True), (" Always ", False, True), ("1", False, True),
    ("never", True, False), ("0", True, False), ("off", True, False)])
def test_the_setting_and_the_terminal_decide(monkeypatch: pytest.MonkeyPatch, value: str | None,
                                            tty: bool, shown: bool) -> None:
    if value is None:
        monkeypatch.delenv(PROGRESS_ENV, raising=False)
    else:
        monkeypatch.setenv(PROGRESS_ENV, value)
    monkeypatch.setattr("sys.stderr", _Terminal() if tty else io.StringIO())
    assert show_progress() is shown
    assert show_progress(not shown) is (not shown)  # a caller's own choice wins


def test_a_value_it_does_not_take_is_refused_naming_the_variable(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PROGRESS_ENV, "sometimes")
    with pytest.raises(InvalidParameterError, match=r"RECOMMENDER_PROGRESS='sometimes'.*always"):
        show_progress()


@pytest.fixture(scope="module")
def small_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return demo.generate(tmp_path_factory.mktemp("progress") / "data", seed=3, n_users=300,
                         n_films=80, n_interactions=4000)


@pytest.mark.parametrize(("value", "shown"), [("always", True), ("never", False), (None, False)])
def test_train_shows_its_progress_in_a_log_when_asked(small_demo: Path, tmp_path: Path,
                                                     capsys: Any, value: str | None, shown: bool,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    if value is None:
        monkeypatch.delenv(PROGRESS_ENV, raising=False)
    else:
        monkeypatch.setenv(PROGRESS_ENV, value)
    code, _, err = run_cli(capsys, "train", "--data", small_demo, "--out", tmp_path / "m",
                           "--no-tune", "--factors", 8, "--iterations", 3)
    assert code == 0, err
    assert ("%|" in err) is shown, err


def test_a_misspelt_setting_stops_any_command_before_its_work(small_demo: Path, tmp_path: Path,
                                                              capsys: Any,
                                                              monkeypatch: pytest.MonkeyPatch
                                                              ) -> None:
    monkeypatch.setenv(PROGRESS_ENV, "yes please")
    code, out, err = run_cli(capsys, "train", "--data", small_demo, "--out", tmp_path / "m")
    assert code == 2
    assert "RECOMMENDER_PROGRESS='yes please'" in err and out == ""
    assert not (tmp_path / "m").exists()


@pytest.mark.parametrize(("value", "shown"), [("always", True), ("never", False), (None, False)])
def test_download_draws_its_bar_as_the_setting_says(tmp_path: Path, capsys: Any, value: str | None,
                                                    shown: bool,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """``recommender download`` asked no setting: its bar was drawn into a log whatever it said
    (``never`` too). Served from a loopback server, never the internet."""
    from dataclasses import replace
    from functools import partial
    from http.server import ThreadingHTTPServer
    from threading import Thread

    from recommender.io import download as dl
    from tests.io.test_download import _QuietHandler, make_ml100k_zip

    if value is None:
        monkeypatch.delenv(PROGRESS_ENV, raising=False)
    else:
        monkeypatch.setenv(PROGRESS_ENV, value)
    root = tmp_path / "www"
    root.mkdir()
    digest = make_ml100k_zip(root / "a.zip")
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_QuietHandler, directory=str(root)))
    Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/a.zip"
        monkeypatch.setitem(dl.DATASETS, "ml-100k",
                            replace(dl.DATASETS["ml-100k"], url=url, sha256=digest))
        code, out, err = run_cli(capsys, "download", "ml-100k", tmp_path / "d")
    finally:
        server.shutdown()
        server.server_close()
    assert code == 0, err
    assert "ml-100k is ready" in out
    assert ("%|" in err) is shown, err
