"""A wave with no recorded send counts from the latest earlier wave's recorded send, never from
the plan's start before it (``report_windows.wave_starts``): waves go out in order, and
``record_wave_sent`` refuses a wave-2 time before wave 1's send, yet the report counted wave 2's
events from the plan's creation, before the only send recorded (wave 1 showed none and its
events as early, wave 2 counted them as responses)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from recommender.campaigns.events import check_events, record_events
from recommender.campaigns.plan import PLAN_SCHEMA
from recommender.campaigns.report import campaign_report
from recommender.campaigns.store import CampaignStore, open_store
from recommender.campaigns.wave_sends import record_wave_sent
from recommender.cli.report_text import print_report
from recommender.errors import InvalidParameterError

DAY = 86_400
CREATED = "2024-03-01T00:00:00+00:00"
START = int(datetime(2024, 3, 1, tzinfo=UTC).timestamp())
T = START + 5 * DAY  # the events' first time: days after the plan was created
WINDOW = 7  # days
PER_WAVE = 9  # users of each wave: 0-4 targets, 5-8 controls


def _plan(store: CampaignStore) -> list[dict[str, Any]]:
    """A plan of 3 waves of one film, and its users' events: user i of each wave at ``T``
    (i % 3 == 0), at ``T + 120`` (i % 3 == 1), or none; the events as stored."""
    rows = [{"user": f"w{w}-{i}", "wave": w, "group": "target" if i < 5 else "control"}
            for w in (1, 2, 3) for i in range(PER_WAVE)]
    n = len(rows)
    table = pa.Table.from_arrays([
        pa.array(["plan-u"] * n), pa.array(["A"] * n), pa.array([r["user"] for r in rows]),
        pa.array(np.array([r["wave"] for r in rows], np.int16)),
        pa.array([r["group"] for r in rows]), pa.array(np.arange(1, n + 1, dtype=np.int32)),
        pa.array(np.full(n, 0.1)), pa.array(np.full(n, 0.1))], schema=PLAN_SCHEMA)
    store.save_plan("plan-u", {"created": CREATED, "model_version": "m",
                               "films": [{"film_id": "A"}], "parameters": {"waves": 3},
                               "horizon": {"days": 30}}, table)
    events = [{"event_id": f"e-{r['user']}", "user_id": r["user"], "film_id": "A",
               "timestamp": T + (0 if int(r["user"].split("-")[1]) % 3 == 0 else 120)}
              for r in rows if int(r["user"].split("-")[1]) % 3 != 2]
    record_events(store, check_events(events))
    for e, r in zip(events, [r for r in rows if int(r["user"].split("-")[1]) % 3 != 2],
                    strict=True):
        e.update(wave=r["wave"], group=r["group"])
    return events


def _oracle(events: list[dict[str, Any]], starts: dict[int, int], wave: int
            ) -> tuple[int, int, int]:
    """Wave ``wave``'s (target conversions, control conversions, early rows) counted by hand
    from the stored events: in ``[start, start + window)`` converts; in the day before the
    start is early."""
    s = starts[wave]
    mine = [e for e in events if e["wave"] == wave]
    conv = [e for e in mine if s <= e["timestamp"] < s + WINDOW * DAY]
    early = [e for e in mine if s - DAY <= e["timestamp"] < s]
    return (sum(e["group"] == "target" for e in conv),
            sum(e["group"] == "control" for e in conv), len(early))


def _counted(body: dict[str, Any], wave: int) -> tuple[int, int]:
    w = body["waves"][wave - 1]
    return w["target_conversions"], w["control_conversions"]


def test_unrecorded_wave_counts_from_the_earlier_send(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    store = open_store(str(tmp_path / "s.db"))
    events = _plan(store)
    sent = T + 60  # after the events at T, before those at T + 120
    record_wave_sent(store, "plan-u", 1, sent)
    # the engine refuses wave 2 at the plan's start: it went out after wave 1
    with pytest.raises(InvalidParameterError, match="before wave 1's recorded send"):
        record_wave_sent(store, "plan-u", 2, START)
    body = campaign_report(store, "plan-u", WINDOW, sent_waves=3, as_of=T + 30 * DAY)
    want = {1: sent, 2: sent, 3: sent}
    assert [(w["wave"], w["start"], w["source"]) for w in body["wave_starts"]] == [
        (1, sent, "recorded"), (2, sent, "after wave 1's send"),
        (3, sent, "after wave 1's send")]
    for wave in (1, 2, 3):
        assert _counted(body, wave) == _oracle(events, want, wave)[:2], wave
    # the events at T: before every wave's start, each early, none a conversion
    assert body["early_conversions"] == sum(_oracle(events, want, w)[2] for w in (1, 2, 3))
    assert _counted(body, 2) == (2, 1)  # users 1 and 4 (targets), 7 (control): at T + 120
    assert body["early_conversions"] == 9
    assert "wave 2 from 2024-03-06T00:01:00Z (no send recorded: from wave 1's send, as waves " \
        "go out in order)" in body["note"]
    print_report(body, WINDOW)
    out = capsys.readouterr().out
    assert f"wave 3 2024-03-06T00:01:00Z (unix {sent}, no send recorded: from wave 1's send, " \
        "as waves go out in order)" in out
    store.close()


def test_latest_earlier_send_bounds_the_window(tmp_path: Path) -> None:
    """Wave 3 unrecorded after waves 1 and 2 recorded: from wave 2's send, the later one."""
    store = open_store(str(tmp_path / "s.db"))
    events = _plan(store)
    record_wave_sent(store, "plan-u", 1, T - 60)  # before every event
    record_wave_sent(store, "plan-u", 2, T + 3600)  # after every event
    body = campaign_report(store, "plan-u", WINDOW, sent_waves=3, as_of=T + 30 * DAY)
    want = {1: T - 60, 2: T + 3600, 3: T + 3600}
    assert [(w["start"], w["source"]) for w in body["wave_starts"]] == [
        (T - 60, "recorded"), (T + 3600, "recorded"), (T + 3600, "after wave 2's send")]
    for wave in (1, 2, 3):
        assert _counted(body, wave) == _oracle(events, want, wave)[:2], wave
    assert _counted(body, 1) == (4, 2) and _counted(body, 3) == (0, 0)
    # no send at all: every wave from the plan's start, as before
    store.save_plan("plan-v", store.summary("plan-u"), pa.concat_tables(
        list(store.iter_rows("plan-u"))).set_column(0, "plan_id", pa.array(
            ["plan-v"] * 3 * PER_WAVE)))
    none = campaign_report(store, "plan-v", WINDOW, as_of=T + 30 * DAY)
    assert [(w["start"], w["source"]) for w in none["wave_starts"]] == [
        (START, "plan start")] * 3
    store.close()
