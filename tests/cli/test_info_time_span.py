"""``meta.json`` and ``info`` say when a log's interactions happened, in UTC: a model said
only ``has_timestamps``, so a log of another year, or of times read in the wrong zone, went
unseen. Oracle: pandas' own reading of the written times (``utc=True``), each user-film
pair at its first event, as the interactions hold it."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers import run_cli as run


def _log(path: Path, seconds: np.ndarray, zone: timezone | None) -> Path:
    rng = np.random.default_rng(5)
    n = len(seconds)
    users = [f"u{x}" for x in rng.integers(0, 40, n)]
    films = [f"f{x}" for x in rng.integers(0, 15, n)]
    # a pair seen twice, its second event the log's latest: the span ends at first events
    users[-1], films[-1] = users[0], films[0]
    stamps = [datetime.fromtimestamp(int(s), UTC).astimezone(zone).isoformat()
              if zone is not None else datetime.fromtimestamp(int(s), UTC)
              .strftime("%Y-%m-%d %H:%M:%S") for s in seconds]
    pd.DataFrame({"user_id": users, "film_id": films, "timestamp": stamps}).to_csv(
        path, index=False)
    return path


@pytest.mark.parametrize(("start", "zone"), [
    (1_600_000_000, timezone(timedelta(hours=5, minutes=30))),  # India, +05:30
    (1_600_000_000, None),  # naive times, read as UTC
    (-600_000_000, timezone(timedelta(hours=-7))),  # 1950, before the epoch
    (7_300_000_000, UTC),  # the year 2201 (pandas reads to 2262)
])
def test_the_log_s_time_span_is_said_in_utc(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], start: int,
        zone: timezone | None) -> None:
    seconds = start + np.sort(np.random.default_rng(1).integers(0, 90 * 86_400, 600))
    seconds[-1] = seconds[-2] + 86_400  # the repeated pair's later event
    log = _log(tmp_path / "log.csv", seconds, zone)
    code, _, err = run(capsys, "train", "--data", log, "--out", tmp_path / "m", "--no-tune",
                       "--factors", "4", "--iterations", "2", "--segments", "1")
    assert code == 0, err
    frame = pd.read_csv(log, dtype=str)
    frame["t"] = pd.to_datetime(frame["timestamp"], utc=True, format="ISO8601")
    first = frame.groupby(["user_id", "film_id"])["t"].min()
    lo, hi = first.min(), first.max()
    assert hi < frame["t"].max()  # the oracle's span differs from the raw log's
    span = json.loads((tmp_path / "m" / "meta.json").read_text())["data"]["time_span"]
    as_z = "%Y-%m-%dT%H:%M:%SZ"
    assert span == {"first": lo.strftime(as_z), "last": hi.strftime(as_z),
                    "first_unix_seconds": int(lo.timestamp()),
                    "last_unix_seconds": int(hi.timestamp()),
                    "days": round((hi - lo).total_seconds() / 86_400, 3), "timezone": "UTC"}
    code, out, err = run(capsys, "info", tmp_path / "m")
    assert code == 0, err
    assert f"times: {lo.strftime(as_z)} to {hi.strftime(as_z)} (UTC), {span['days']:,} days" \
        in out


def test_a_log_without_times_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                     ) -> None:
    rng = np.random.default_rng(2)
    (tmp_path / "log.csv").write_text("user_id,film_id\n" + "".join(
        f"u{u},f{f}\n" for u, f in zip(rng.integers(0, 40, 500), rng.integers(0, 15, 500),
                                      strict=True)))
    assert run(capsys, "train", "--data", tmp_path / "log.csv", "--out", tmp_path / "m",
               "--no-tune", "--factors", "4", "--iterations", "2", "--segments", "1")[0] == 0
    data = json.loads((tmp_path / "m" / "meta.json").read_text())["data"]
    assert data["has_timestamps"] is False and "time_span" not in data
    out = run(capsys, "info", tmp_path / "m")[1]
    assert "times: none (the log has no timestamps" in out
