"""``RECOMMENDER_*`` names nothing reads, by one rule for ``serve`` and every command: a name
near a setting is refused naming the one meant, any other is said in a warning line at the
start (``RECOMMENDER_WORKERS=4`` served one worker, ``RECOMMENDER_PORT`` the default port, with
no word said); the test suite's and CI's own names are never said."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from recommender.cli import main
from recommender.cli.environment_help import SERVE_SETTINGS
from recommender.io.env_names import unknown

ROOT = Path(__file__).resolve().parents[2]
NAME = re.compile(r"RECOMMENDER_[A-Z0-9_]*[A-Z0-9]")


@pytest.mark.usefixtures("no_recommender_env")
@pytest.mark.parametrize("argv", [["serve", "no-such-model"], ["segments", "no-such-model"]])
def test_an_unknown_name_is_said_at_the_start(argv: list[str], monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    """Oracle: one line per unknown name, in order, the serve option named for the three that
    look like one; nothing of the settings, of what the commands read besides them or of the
    tests' own names; the command then runs (its own refusal of the model folder)."""
    unknown_names = {"RECOMMENDER_WORKERS": "give `serve --workers N` instead",
                     "RECOMMENDER_PORT": "give `serve --port PORT` instead",
                     "RECOMMENDER_HOST": "give `serve --host ADDRESS` instead",
                     "RECOMMENDER_LOG_LEVEL": "`recommender --help` and `serve --help`",
                     "recommender_foo": "`recommender --help` and `serve --help`"}
    read = {"RECOMMENDER_MAX_K": "50", "recommender_min_cell": "5",
            "RECOMMENDER_PROGRESS": "never", "RECOMMENDER_METRICS_SHARED": "1",
            "RECOMMENDER_TEST_PG_URL": "postgresql://x", "RECOMMENDER_TEST_CHROMIUM": "/x"}
    for name in [*unknown_names, *read]:
        monkeypatch.setenv(name, read.get(name, "4"))
    assert main(argv) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    said = [line for line in lines if line.startswith("warning:")]
    assert [line.split()[1] for line in said] == sorted(unknown_names), lines
    for line in said:
        name = line.split()[1]
        assert line.startswith(f"warning: {name} is not a setting and is ignored; "), line
        assert unknown_names[name] in line, line
    assert "no-such-model: no such model folder" in lines[-1], lines  # the command went on


@pytest.mark.usefixtures("no_recommender_env")
def test_every_command_refuses_a_name_near_a_setting(monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    """``RECOMMENDER_MAXK=5`` refused ``serve`` (did you mean) while ``segments`` and the other
    commands read the default, unsaid: refused before any work, in serve's words."""
    monkeypatch.setenv("RECOMMENDER_MAXK", "5")
    assert main(["segments", "no-such-model"]) == 2
    err = capsys.readouterr().err
    assert err == ("error: refused setting: RECOMMENDER_MAXK is not a setting (did you mean "
                   "RECOMMENDER_MAX_K?); rename or unset it\n"), err


def test_the_names_ci_and_the_makefile_set_are_never_said() -> None:
    """Every ``RECOMMENDER_*`` name that CI, the Makefile, the benchmarks, the scripts and the
    tests' own fixtures set is a setting, read besides them or the tests' own: none is warned
    (the tests that set unknown names on purpose set them in the test, not here)."""
    files = [*(ROOT / ".ci").rglob("*"), ROOT / "Makefile", *(ROOT / "benchmarks").rglob("*.py"),
             *(ROOT / "scripts").rglob("*"), *(ROOT / "tests").rglob("conftest.py"),
             ROOT / "tests" / "servers.py"]
    names = {name for f in files if f.is_file()
             for name in NAME.findall(f.read_text(encoding="utf-8", errors="replace"))}
    assert "RECOMMENDER_STORE" in names and "RECOMMENDER_TEST_PG_URL" in names  # read
    settings = [name for name, _what, _default in SERVE_SETTINGS]
    assert unknown(dict.fromkeys(names, "1"), settings) == []
