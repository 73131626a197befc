"""Wording: a next wave's ``no_effect.note`` said "none of them is planned in this wave (left
out, left_out, or no budget left)" where no film measured no effect (there was no "them");
and ``plan --sent-waves`` without ``--after`` said "--sent-waves only apply" of one option.
Oracle: the films the summary names, and the options given."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from helpers import run_cli

from recommender.campaigns.next_wave import measured_so_far


@pytest.mark.parametrize("high", [0.05, -0.01])
def test_the_no_effect_note_says_what_was_measured(high: float) -> None:
    blocks = {"f1": {"absolute_uplift": {"estimate": high - 0.1, "low": high - 0.2,
                                         "high": high},
                     "measured_targets": 9, "controls": 4}}
    summary: dict[str, Any] = {"films": [{"film_id": "f1", "budget": 5}], "left_out": []}
    measured_so_far(summary, blocks, "plan-x")
    note = summary["no_effect"]["note"]
    if high > 0:  # an interval above 0: no film of no effect, and no "them" to speak of
        assert summary["no_effect"]["films"] == []
        assert note.startswith("no film's sent waves measured an absolute uplift"), note
        assert "plan plan-x's report so far" in note and "none of them" not in note, note
    else:
        assert summary["no_effect"]["films"] == ["f1"]
        assert note.startswith("films whose sent waves measured"), note
        assert "planned all the same" in note, note


def test_after_only_options_agree_with_their_number(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    base = ["plan", tmp_path / "model", "--slate", tmp_path / "s.csv", "--out",
            tmp_path / "p.csv"]
    code, _, err = run_cli(capsys, *base, "--sent-waves", "1")
    assert code == 2 and "--sent-waves only applies with --after PLAN_ID" in err, err
    code, _, err = run_cli(capsys, *base, "--sent-waves", "1", "--next-waves", "2")
    assert code == 2 and "--sent-waves and --next-waves only apply with --after" in err, err
