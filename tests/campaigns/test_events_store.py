"""Events in the campaign store (SQLite and PostgreSQL): durable, idempotent, all or nothing,
in sequence; and events files imported with line-precise errors."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa

from recommender.campaigns.event_file import read_event_file
from recommender.campaigns.events import (
    check_events,
    count_events,
    events,
    max_sequence,
    read_events,
    record_events,
)
from recommender.campaigns.store import open_store
from recommender.cli import main
from recommender.errors import DataError, InvalidParameterError


def rows(n: int, prefix: str = "e", start: int = 0) -> list[dict[str, object]]:
    return [{"event_id": f"{prefix}{i}", "user_id": f"u{i % 7}", "film_id": f"f{i % 3}",
             "timestamp": 1_700_000_000 + i, "weight": 1 + i % 2} for i in range(start, n)]


def test_record_is_idempotent_and_in_sequence(store_target: str) -> None:
    store = open_store(store_target)
    assert store.version() >= 2 and max_sequence(store) == 0
    assert record_events(store, check_events(rows(50))) == (50, 0, 50)
    # a retry of an overlapping batch stores only what is new, and nothing twice
    stored, dup, seq = record_events(store, check_events(rows(80, start=40)))
    assert (stored, dup) == (30, 10) and count_events(store) == 80
    back = read_events(store)
    # a skipped duplicate uses up no number (ON CONFLICT DO NOTHING drew one for each: the
    # retry's 10 duplicates moved the 30 new events to 61..90)
    assert seq == max_sequence(store) == back.seq[-1] == 80
    assert back.seq.tolist() == list(range(1, 81))
    assert back.timestamp.tolist() == [1_700_000_000 + i for i in range(80)]  # in batch order
    assert back.user_id[:3].tolist() == ["u0", "u1", "u2"]
    assert back.weight[:2].tolist() == [1.0, 2.0]
    assert len(read_events(store, after=int(back.seq[69]))) == 10
    assert read_events(store, films=["f1"], since_ts=1_700_000_070).film_id.tolist() == \
        ["f1"] * 4  # 70, 73, 76, 79
    # a repeated id inside one batch is one event; a whole batch sent again moves nothing
    assert record_events(store, check_events([rows(1, "z")[0]] * 2)) == (1, 1, 81)
    for _ in range(3):
        assert record_events(store, check_events(rows(80))) == (0, 80, 81)
    assert record_events(store, check_events(rows(1, "y") * 2 + rows(80))) == (1, 81, 82)
    assert read_events(store, after=80).seq.tolist() == [81, 82]
    store.close()


def test_a_malformed_event_rejects_its_batch(store_target: str) -> None:
    store = open_store(store_target)
    bad = rows(5)
    bad[3] = {**bad[3], "weight": 0}
    with pytest.raises(InvalidParameterError, match=r"events\[3\] \(event_id 'e3'\): weight"):
        record_events(store, check_events(bad))
    assert count_events(store) == 0
    for field, value in (("timestamp", -1), ("timestamp", 1.5), ("timestamp", 1_700_000_000_000),
                         ("user_id", ""),
                         ("film_id", None), ("weight", float("nan"))):
        broken = rows(2)
        broken[1] = {**broken[1], field: value}
        with pytest.raises(InvalidParameterError, match=rf"events\[1\].*{field}"):
            check_events(broken)
    with pytest.raises(InvalidParameterError, match="at most 3 events"):
        check_events(rows(4), max_batch=3)
    store.close()


def test_a_failed_transaction_stores_nothing(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "s.db"))
    with pytest.raises(sa.exc.IntegrityError), store.engine.begin() as conn:
        conn.execute(events.insert(), [{"event_id": "a", "user_id": "u", "film_id": "f",
                                        "timestamp": 1, "weight": 1.0},
                                       {"event_id": "b", "user_id": None, "film_id": "f",
                                        "timestamp": 1, "weight": 1.0}])
    assert count_events(store) == 0
    with store.engine.connect() as conn:  # durable commits: WAL with synchronous=FULL
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def test_event_files_csv_and_parquet(tmp_path: Path) -> None:
    csv = tmp_path / "ev.csv"
    csv.write_text("userId,movieId,timestamp,weight\nu1,0042,2024-01-02,2\n"
                   "u1,0042,2024-01-02,2\nu2,7,2023-11-14 22:13:20,1\n")
    batch = read_event_file(csv)
    assert batch.user_id == ["u1", "u1", "u2"] and batch.film_id == ["0042", "0042", "7"]
    assert batch.timestamp[0] == 1704153600 and batch.weight == [2.0, 2.0, 1.0]
    assert len(set(batch.event_id)) == 3, "identical rows are two events"
    assert read_event_file(csv).event_id == batch.event_id, "ids are deterministic"
    pq.write_table(pa.table({"user_id": ["a"], "film_id": ["b"], "timestamp": [1_700_000_005],
                             "event_id": ["x-1"]}), tmp_path / "ev.parquet")
    p = read_event_file(tmp_path / "ev.parquet")
    assert p.event_id == ["x-1"] and p.weight == [1.0]
    bad = tmp_path / "bad.csv"
    bad.write_text("user_id,film_id,timestamp\nu1,f1,1700000005\nu2,f2,yesterday\n")
    with pytest.raises(DataError, match="line 3.*timestamp 'yesterday'"):
        read_event_file(bad)
    (tmp_path / "nots.csv").write_text("user_id,film_id\nu1,f1\n")
    with pytest.raises(DataError, match="missing column timestamp"):
        read_event_file(tmp_path / "nots.csv")
    (tmp_path / "w.csv").write_text("user_id,film_id,timestamp,weight\nu,f,1700000005,1\n"
                                    "u,f,1700000005,-2\n")  # line 2 good: line 3 is named
    with pytest.raises(DataError, match="line 3.*weight"):
        read_event_file(tmp_path / "w.csv")
    # pandas writes timestamp[ns]: fractions of a second are floored, as decimal seconds are
    # (a safe cast refused them), nulls still named by row
    ns = pa.array([1_700_000_000_250_000_000, 1_700_000_001_999_999_999, -1], pa.int64())
    pq.write_table(pa.table({"user_id": ["a", "b", "c"], "film_id": ["f"] * 3,
                             "timestamp": pc.cast(ns, pa.timestamp("ns"))}),
                   tmp_path / "ns.parquet")
    with pytest.raises(DataError, match="before 1990"):  # the last one is 1969-12-31
        read_event_file(tmp_path / "ns.parquet")
    pq.write_table(pa.table({"user_id": ["a", "b"], "film_id": ["f"] * 2,
                             "timestamp": pc.cast(pa.array([1_700_000_000_250,
                                                            1_700_000_001_999]),
                                                  pa.timestamp("ms"))}),
                   tmp_path / "ms.parquet")
    assert read_event_file(tmp_path / "ms.parquet").timestamp == [1_700_000_000, 1_700_000_001]
    # milliseconds as plain numbers: past the year 5138, refused with the likely cause
    (tmp_path / "msnum.csv").write_text("user_id,film_id,timestamp\nu,f,1700000000000\n")
    with pytest.raises(DataError, match="line 2.*milliseconds"):
        read_event_file(tmp_path / "msnum.csv")


def test_cli_import_twice_stores_once(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    f = tmp_path / "ev.csv"
    f.write_text("user_id,film_id,timestamp\n" +
                 "".join(f"u{i},f{i % 5},{1_700_001_000 + i}\n" for i in range(25)))
    store = str(tmp_path / "store.db")
    assert main(["events", "import", "--store", store, str(f), "--batch", "10"]) == 0
    assert "stored 25, already stored 0" in capsys.readouterr().out
    assert main(["events", "import", "--store", store, str(f)]) == 0
    assert "stored 0, already stored 25" in capsys.readouterr().out
    s = open_store(store)
    assert count_events(s) == 25 and np.array_equal(read_events(s).timestamp,
                                                   np.arange(1_700_001_000, 1_700_001_025))
    (tmp_path / "bad.csv").write_text("user_id,film_id,timestamp\nu,,1\n")
    assert main(["events", "import", "--store", store, str(tmp_path / "bad.csv")]) == 2
    assert "line 2" in capsys.readouterr().err
    monkeypatch.delenv("RECOMMENDER_STORE", raising=False)
    assert main(["events", "import", str(f)]) == 2
    assert "no campaign store" in capsys.readouterr().err


def test_every_path_in_refuses_milliseconds_and_the_future(tmp_path: Path) -> None:
    """A timestamp in milliseconds or decades ahead (a clock or unit bug) would stretch the
    calibration horizon of a model trained with ``--events``: the library refuses the first
    whatever the path, HTTP and files refuse both, naming the event or the line. The slack is
    one day past this clock."""
    import time

    from recommender.campaigns.events import EventBatch, check_event_times

    store = open_store(str(tmp_path / "s.db"))
    ms = EventBatch(["a"], ["u"], ["f"], [1_700_000_000_000], [1.0])
    with pytest.raises(InvalidParameterError, match=r"event_id 'a'.*looks like milliseconds"):
        record_events(store, ms)
    now = int(time.time())
    ahead = EventBatch(["b", "c"], ["u", "u"], ["f", "f"], [now, now + 2 * 86_400], [1.0, 1.0])
    with pytest.raises(InvalidParameterError, match=r"event_id 'c'.*in the future"):
        check_event_times(ahead)
    check_event_times(EventBatch(["d"], ["u"], ["f"], [now + 3600], [1.0]))  # clock skew: fine
    assert count_events(store) == 0
    late = tmp_path / "late.csv"
    late.write_text(f"user_id,film_id,timestamp\nu1,f1,{now}\nu2,f2,{now + 10**9}\n")
    with pytest.raises(DataError, match="late.csv, line 3.*in the future"):
        read_event_file(late)
    # a file of ISO dates is told the date it wrote, not only its unix seconds
    iso = tmp_path / "iso.csv"
    iso.write_text("user_id,film_id,timestamp\nu1,f1,2099-01-31\n")
    with pytest.raises(DataError, match=r"iso.csv, line 2: timestamp 4073500800 \(2099-01-31T"
                                        r"00:00:00Z\) is in the future \(after \d+ \(20"):
        read_event_file(iso)
    long = tmp_path / "long.csv"
    long.write_text(f"event_id,user_id,film_id,timestamp\n{'e' * 300},u1,f1,5\n")
    with pytest.raises(DataError, match="long.csv, line 2.*event_id is longer than 256"):
        read_event_file(long)
    store.close()


def test_events_take_the_user_and_film_ids_a_training_log_takes(tmp_path: Path) -> None:
    """A training log's ids may be 1,000 bytes in UTF-8 (``convert.MAX_ID_BYTES``); events
    refused user and film ids past 256 characters, so such a user could be planned but none of
    their conversions recorded. An id past 1,000 bytes (é is 2) is refused, naming it."""
    store = open_store(str(tmp_path / "s.db"))
    user, film = "u" * 1000, "é" * 500
    f = tmp_path / "ok.csv"
    f.write_text(f"user_id,film_id,timestamp\n{user},{film},1700000005\n", encoding="utf-8")
    batch = read_event_file(f)
    assert (batch.user_id, batch.film_id) == ([user], [film])
    assert record_events(store, batch)[0] == 1
    for bad_user, bad_film, name in ((user + "u", film, "user_id"), (user, film + "é", "film_id")):
        f.write_text(f"user_id,film_id,timestamp\n{bad_user},{bad_film},5\n", encoding="utf-8")
        with pytest.raises(DataError, match=f"ok.csv, line 2: {name} .*1,000 bytes"):
            read_event_file(f)
        with pytest.raises(InvalidParameterError, match=f"{name} is 1,00[12] bytes"):
            check_events([{"event_id": "x", "user_id": bad_user, "film_id": bad_film,
                           "timestamp": 5}])
    store.close()


def test_a_new_sqlite_store_is_its_owners_only(tmp_path: Path) -> None:
    """A store holds every plan's user ids and every event; SQLite created it, and its WAL,
    readable by everyone (0644 under the usual umask), where the export log is 0600. A store
    that exists keeps its mode (the operator's choice)."""
    import stat

    from recommender.campaigns.events import EventBatch

    store = open_store(str(tmp_path / "new" / "s.db"))
    record_events(store, EventBatch(["e"], ["u"], ["f"], [5], [1.0]))
    for name in ("s.db", "s.db-wal"):
        path = tmp_path / "new" / name
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, name
    store.close()
    shared = tmp_path / "shared.db"
    open_store(str(shared)).close()
    shared.chmod(0o640)
    open_store(str(shared)).close()
    assert stat.S_IMODE(shared.stat().st_mode) == 0o640


@pytest.mark.parametrize("header", ["event_id,user_id,userId,film_id,timestamp",
                                    "event_id,EVENT_ID,user_id,film_id,timestamp"])
def test_an_events_file_naming_a_column_twice_is_refused(tmp_path: Path, header: str) -> None:
    # training refuses such a header; events import took the first column and dropped the
    # other's values (another user, another event id) without a word
    csv = tmp_path / "twice.csv"
    csv.write_text(f"{header}\ne1,x2,u1,f1,1700000000\n")
    with pytest.raises(DataError, match="line 1.*both name"):
        read_event_file(csv)
    pq.write_table(pa.table({"user_id": ["a"], "userId": ["b"], "film_id": ["f"],
                             "timestamp": [5]}), tmp_path / "twice.parquet")
    with pytest.raises(DataError, match="both name user_id"):
        read_event_file(tmp_path / "twice.parquet")


def write_while_events_locked(url: str) -> tuple[object, int]:
    """(What one ``record_events`` into the store at ``url`` returned or raised while another
    connection held the writers' lock, the events stored then); an ``AssertionError`` when
    the writer still waits after 20 s."""
    import threading

    import psycopg

    from recommender.campaigns import events as events_mod

    st = open_store(url)
    holder = psycopg.connect(url, autocommit=True)
    holder.execute("SELECT pg_advisory_lock(%s)", [events_mod.EVENTS_LOCK])
    outcome: list[object] = []

    def write() -> None:
        try:
            outcome.append(record_events(st, check_events([
                {"event_id": "e1", "user_id": "u", "film_id": "f", "timestamp": 1}])))
        except sa.exc.OperationalError as e:  # the service's 503, the CLI's exit 2
            outcome.append(e)

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    writer.join(timeout=20)
    try:
        assert not writer.is_alive(), "the writer still waits for the lock"
        return outcome[0], count_events(st)
    finally:
        holder.close()  # releases the lock (a writer still waiting then finishes)
        writer.join(timeout=20)
        st.close()


def test_a_writer_holding_the_postgresql_lock_is_waited_for_a_bounded_time(
        make_store: Callable[[str, Path], str], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """An events import stopped mid-batch (Ctrl-Z, a laptop asleep) holds the writers' lock:
    on PostgreSQL every other writer waited for it for ever (each POST /events of every
    replica hung, holding a pooled connection), where SQLite gives up after its busy timeout
    and the service answers 503. The wait is bounded the same way (``LOCK_WAIT``)."""
    from recommender.campaigns import events as events_mod

    monkeypatch.setattr(events_mod, "LOCK_WAIT", 0.2, raising=False)  # (not before the bound)
    outcome, stored = write_while_events_locked(make_store("postgresql", tmp_path))
    assert isinstance(outcome, sa.exc.OperationalError), outcome
    assert "lock timeout" in str(outcome) and stored == 0


def test_a_lock_timeout_the_operator_set_is_kept(make_store: Callable[[str, Path], str],
                                                  tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """``LOCK_WAIT`` bounds a wait that had no bound; a ``lock_timeout`` the session already
    has (the URL's ``options``, ``PGOPTIONS``, ``ALTER ROLE``) is the operator's and is kept:
    ``SET LOCAL`` made a 200 ms one 30 s (and a longer one 30 s too)."""
    from recommender.campaigns import events as events_mod

    monkeypatch.setattr(events_mod, "LOCK_WAIT", 3600.0)  # never reached if the URL's is kept
    url = make_store("postgresql", tmp_path)
    url += ("&" if "?" in url else "?") + "options=-c%20lock_timeout%3D200"
    outcome, stored = write_while_events_locked(url)  # waits LOCK_WAIT, not the URL's 200 ms
    assert "lock timeout" in str(outcome) and stored == 0


def test_copies_of_one_event_are_compared_once_each(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """A batch of n copies of one event_id: each copy is compared with the first once (the
    conflict check compared every copy with every copy, once per copy: n squared; POST
    /events of 9,000 copies took 10 s where 9,000 distinct events took 0.4 s), and the
    answers are unchanged: one stored, the rest duplicates, a differing copy refused."""
    import recommender.campaigns.events as ev

    compared = [0]

    class Row(tuple):  # type: ignore[type-arg]
        def __ne__(self, other: object) -> bool:
            compared[0] += 1
            return tuple.__ne__(self, other)

    payloads = ev._payloads
    monkeypatch.setattr(ev, "_payloads", lambda batch: {
        k: [Row(r) for r in v] for k, v in payloads(batch).items()})
    store = open_store(f"sqlite:///{tmp_path / 's.db'}")
    n = 3_000
    same = [{**rows(1)[0]} for _ in range(n)]
    assert record_events(store, check_events(same)) == (1, n - 1, 1)
    assert compared[0] <= n, compared[0]
    compared[0] = 0
    changed = same + [{**same[0], "weight": 2}]
    with pytest.raises(ev.EventConflictError):
        record_events(store, check_events(changed))
    assert compared[0] <= n + 1, compared[0]
    assert count_events(store) == 1
