"""``evaluate``'s bar names its first and longest step, choosing EASE's lambda on a validation
split, while it runs: the bar read "evaluate (random): 0%| 0/6" with no word of what ran."""

from __future__ import annotations

from typing import Any

import pytest

import recommender.evaluation.runs as runs
from recommender.io.dataset import Interactions


class _SeenError(Exception):
    """Raised by the stand-in for ``choose_ease_lambda``: what stderr held is recorded."""


def _stderr_while_choosing(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                           data: Interactions, progress: bool) -> str:
    seen: list[str] = []

    def choose(*_args: Any, **_kw: Any) -> Any:
        seen.append(capsys.readouterr().err)
        raise _SeenError

    monkeypatch.setattr(runs, "choose_ease_lambda", choose)
    with pytest.raises(_SeenError):
        runs.evaluate(data, progress=progress)
    return seen[0]


def test_the_bar_names_the_lambda_choice_while_it_runs(
        demo_data: Interactions, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    err = _stderr_while_choosing(monkeypatch, capsys, demo_data, progress=True)
    assert "evaluate (random)" in err and "choosing EASE's lambda" in err, err


def test_silent_without_progress(demo_data: Interactions, monkeypatch: pytest.MonkeyPatch,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    assert _stderr_while_choosing(monkeypatch, capsys, demo_data, progress=False) == ""
