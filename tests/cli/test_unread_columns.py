"""A ticket log's misnamed rating and quantity columns are warned of, whatever else it has."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import run_cli

ROWS = [(u, (u * 7 + j) % 30, 1 + (u + j) % 5, 1_600_000_000 + 86_400 * (u + j), 1 + j % 3)
        for u in range(60) for j in range(8)]


def _train(tmp_path: Path, capsys: pytest.CaptureFixture[str], header: str, cells: str,
           name: str) -> tuple[Path, str]:
    """Train on a log of ``header`` whose rows are ``cells`` formatted per row; stderr."""
    log = tmp_path / f"{name}.csv"
    log.write_text(header + "\n" + "".join(
        cells.format(u=u, f=f, r=r, t=t, q=q) + "\n" for u, f, r, t, q in ROWS))
    code, _, err = run_cli(capsys, "train", "--data", log, "--out", tmp_path / f"m-{name}",
                           "--no-tune", "--weighting", "rating", "--factors", 4,
                           "--holdout", 0)
    assert code == 0, err
    return log, err


def test_a_misnamed_rating_is_warned_of_in_a_log_with_times(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # the warning was given only for a log without a timestamp column: a ticket export
    # with times and 'stars' trained without ratings without a word
    log, err = _train(tmp_path, capsys, "user_id,film_id,stars,timestamp",
                      "u{u},f{f},{r},{t}", "stars")
    assert (f"warning: {log}: column 'stars' not read: ratings are read from a column named "
            "rating, so this log trains as one without ratings") in err, err
    assert "interaction times are read" not in err  # its times are read
    # with a rating column, a time-like column still unread is warned of as before
    log, err = _train(tmp_path, capsys, "user_id,film_id,rating,sold_at",
                      "u{u},f{f},{r},{t}", "sold")
    assert f"warning: {log}: column 'sold_at' not read: interaction times" in err, err
    assert "ratings are read" not in err


def test_a_ticket_quantity_column_is_warned_of(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # a ticket log's 'tickets' (seats bought) is not read as an event's weight: each event
    # weighed 1, without a word
    log, err = _train(tmp_path, capsys, "user_id,film_id,rating,timestamp,tickets",
                      "u{u},f{f},{r},{t},{q}", "tickets")
    assert (f"warning: {log}: column 'tickets' not read: an event's quantity is read from a "
            "column named weight only (without one, every event weighs 1)") in err, err
    # 'weight' itself is read, and counts such as plays or views are no quantity of a sale
    _, err = _train(tmp_path, capsys, "user_id,film_id,rating,timestamp,weight,views",
                    "u{u},f{f},{r},{t},{q},{q}", "weight")
    assert "not read" not in err, err


def test_a_quantity_column_beside_a_weight_column_is_not_warned_of(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # the log's weight is read: 'rename the column to weigh each event by it' asked for a
    # second weight column, which the reader refuses as naming weight twice
    log, err = _train(tmp_path, capsys, "user_id,film_id,weight,tickets",
                      "u{u},f{f},{q},{q}", "both")
    assert "not read" not in err, err
    renamed = tmp_path / "renamed.csv"
    renamed.write_text(log.read_text().replace("weight,tickets", "weight,weight", 1))
    code, _, err = run_cli(capsys, "train", "--data", renamed, "--out", tmp_path / "m-renamed",
                           "--no-tune")
    assert code != 0 and "weight" in err, err  # what the warning asked for is refused


TIMES = ["purchase_time", "booking_time", "sale_time", "order_ts", "unix_time", "epoch",
         "eventTime", "createdAt", "created_at", "Order Date", "EVENT_TIME", "time", "when",
         "event_timestamp", "PurchaseDate", "sold_at", "view_time", "updated",
         "first_seen_at", "last_time", "session_start_time", "load_date"]
NOT_TIMES = ["rating", "state", "status", "stats", "seats", "format", "watch_time", "runtime",
             "play_time", "time_spent", "duration", "created_by", "timezone", "at_risk",
             "tickets", "latitude", "update", "Title",
             # a time zone, a duration, a flag: each was read as a time and warned of
             "time_zone", "timeZone", "first_time", "is_updated", "load_time", "session_time",
             "event_tz", "has_timestamp", "part_time", "full_time", "overtime"]


def test_time_like_names_are_a_rule_on_words() -> None:
    # a ticket log's 'purchase_time' or 'createdAt' trained without times without a word:
    # the list of names had only event_, rating_, view_ and interaction_ times
    from recommender.cli.unread import time_like

    assert [n for n in TIMES if not time_like(n)] == []
    assert [n for n in NOT_TIMES if time_like(n)] == []


def test_a_purchase_time_column_is_warned_of(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    log, err = _train(tmp_path, capsys, "user_id,film_id,rating,purchase_time,watch_time",
                      "u{u},f{f},{r},{t},{q}", "purchase")
    assert f"warning: {log}: column 'purchase_time' not read: interaction times" in err, err
    assert "'watch_time'" not in err
