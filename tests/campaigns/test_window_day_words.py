"""Every surface that offers a report window in days says a day is 86,400 seconds, not a
calendar day (across a change of the clocks the window ends at another local time of day):
the CLI's ``--window-days`` help, the schema's ``window_days``, and the README, in one wording
(``report_windows.DAY_RULE``). The oracle of the rule itself: Python's zoneinfo, where a
window of 1 day from a London time before the spring change ends an hour later on the clock."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from helpers import run_cli
from service_fixtures import save_model

from recommender.campaigns.report_windows import DAY_RULE
from service.app import create_app
from service.settings import Settings

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_rule_is_true_of_a_window_across_a_clock_change() -> None:
    london = ZoneInfo("Europe/London")
    start = datetime(2026, 3, 28, 12, 0, tzinfo=london)
    end = datetime.fromtimestamp(start.timestamp() + 86_400, london)
    assert end.timestamp() - start.timestamp() == timedelta(days=1).total_seconds()
    assert (start.hour, end.hour) == (12, 13)  # another local time of day
    assert "86,400 seconds, not a calendar day" in DAY_RULE


def test_the_cli_and_the_schema_say_it(capsys: pytest.CaptureFixture[str],
                                       tmp_path: Path) -> None:
    _, out, _ = run_cli(capsys, "campaign", "report", "--help")
    out = " ".join(out.split())
    assert DAY_RULE in out, out
    settings = Settings(model_path=str(save_model(tmp_path / "model")),
                        store=str(tmp_path / "s.db"), warm_cache=False)
    with TestClient(create_app(settings)) as client:
        schema = client.get("/openapi.json").json()
    params = schema["paths"]["/campaigns/{plan_id}/report"]["get"]["parameters"]
    said = next(p for p in params if p["name"] == "window_days")["description"]
    assert DAY_RULE in said, said


def test_the_readme_says_it() -> None:
    text = " ".join(README.read_text(encoding="utf-8").split())
    assert "a day is 86,400 seconds, not a calendar day" in text
