"""The log line of a model swap covers the whole swap, each part named: the load, then the
campaign store's events folded into the new model (it said "loaded in 0.01 s" while the fold
of 400,000 events took seconds more before the new model answered), and ``POST
/admin/reload``'s ``seconds`` is that whole time too. Oracle: the events stored, and the parts
the line itself says (no assertion on how long anything takes)."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from service_fixtures import save_model

from recommender.model import artifact
from service.app import create_app
from service.settings import Settings

LINE = re.compile(r"now serving model (\S+) \(was \S+\) after ([0-9.]+) s: loaded in "
                  r"([0-9.]+) s, folding the campaign store's ([0-9,]+) events? in took "
                  r"([0-9.]+) s$")


def test_the_swap_line_names_the_load_and_the_events_fold(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    served = save_model(tmp_path / "served", seed=1)
    other = save_model(tmp_path / "other", seed=2)
    settings = Settings(model_path=str(served), store=str(tmp_path / "s.db"), warm_cache=False,
                        watch_interval=0, events_poll=0)
    events = [{"event_id": f"e{i}", "user_id": f"u{i % 7 + 2}", "film_id": f"{i % 11 + 2:05d}",
               "timestamp": 1_700_000_000 + i} for i in range(23)]
    with TestClient(create_app(settings)) as client:
        assert client.post("/events", json={"events": events}).status_code == 200
        service = client.app.state.service  # type: ignore[attr-defined]
        artifact.publish(other, served)
        with caplog.at_level(logging.INFO, logger="recommender.service"):
            assert service.check() is True
        said = [m for r in caplog.records if (m := LINE.search(r.getMessage()))]
        assert len(said) == 1, [r.getMessage() for r in caplog.records]
        version, total, load, folded, fold = said[0].groups()
        assert version == service.engine.version == artifact.load(other).version
        assert int(folded.replace(",", "")) == len(events)  # every stored event, folded in
        assert float(total) >= max(float(load), float(fold))  # the whole, not a part


def test_one_event_folded_in_is_said_in_the_singular() -> None:
    """'folding the campaign store's 1 events in took': a count of one takes the singular.
    Oracle: the count of events the overlay says it applied."""
    from types import SimpleNamespace

    from service.state import _fold_said

    def said(applied: int) -> str:
        engine = SimpleNamespace(model=SimpleNamespace(meta={"overlay": {
            "events_applied": applied}}))
        return _fold_said(engine, 0.5)  # type: ignore[arg-type]

    assert said(1) == ", folding the campaign store's 1 event in took 0.50 s"
    assert said(1234) == ", folding the campaign store's 1,234 events in took 0.50 s"
