"""Responses keyed by the pseudonyms of a pseudonymised plan, sent back with ``events import
--pseudonymized`` or ``POST /events?pseudonymized=true``: stored under the ids the plan's rows
hold (the oracle: the plan's raw rows, row for row), the same by both; a pseudonym of no known
id, a raw id among pseudonyms, or no key, refused with nothing stored. Both refused every
pseudonym the model did not know, whatever the flag."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from helpers import run_cli as run
from pseudonymised_events import (
    KEY,
    TS,
    oracle,
    planned,
    pseudonymised_fixtures,
    responses,
    stored,
    write_csv,
)

from recommender.campaigns.events import count_events
from service.app import create_app
from service.event_pseudonyms import shown_as_pseudonyms
from service.settings import Settings

model_dir, key_file, client = pseudonymised_fixtures("events-pseudonymized", events_poll=0.05)


def test_a_pseudonymised_plan_sent_back_is_stored_under_its_rows_ids_by_cli_and_http(
        capsys: pytest.CaptureFixture[str], model_dir: Path, tmp_path: Path, key_file: Path,
        client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RECOMMENDER_PSEUDONYM_KEY", raising=False)
    store, raw, hidden = planned(capsys, model_dir, tmp_path, key_file)
    assert [h["user_id"] for h in hidden] == [oracle(r["user_id"]) for r in raw]
    sent = responses(hidden)
    expected = sorted((raw[i]["user_id"], raw[i]["film_id"], TS + i)
                      for i in range(len(raw)) if i % 2 == 0)
    assert len(expected) > 3
    path = write_csv(tmp_path / "responses.csv", sent)
    # without --model: the pseudonyms are read among the store's plan rows
    code, out, err = run(capsys, "events", "import", "--store", store, path,
                         "--pseudonymized", "--pseudonym-key-file", key_file)
    assert code == 0, err
    assert f"stored {len(sent)}" in out and "read from their pseudonyms" in err
    assert stored(store) == expected
    # over HTTP: among the served model's users, under the server's key
    r = client.post("/events", params={"pseudonymized": "true"}, json={"events": sent})
    assert r.status_code == 200, r.text
    assert r.json()["stored"] == len(sent)
    served = client.app.state.campaign_store  # type: ignore[attr-defined]
    assert stored(served.url) == expected
    # the key from the variable, the model's users: the same events, none stored twice
    monkeypatch.setenv("RECOMMENDER_PSEUDONYM_KEY", KEY)
    code, out, err = run(capsys, "events", "import", "--store", store, path, "--pseudonymized",
                         "--model", model_dir)
    assert code == 0 and f"stored 0, already stored {len(sent)}" in out, err
    assert stored(store) == expected


def test_a_file_without_event_ids_is_the_same_events_as_the_raw_file(
        capsys: pytest.CaptureFixture[str], model_dir: Path, tmp_path: Path,
        key_file: Path) -> None:
    """Its event ids are derived from the rows as read: the raw file imported after the
    pseudonymised one stores nothing twice."""
    store, raw, hidden = planned(capsys, model_dir, tmp_path, key_file)
    masked = write_csv(tmp_path / "masked.csv", responses(hidden), event_id=False)
    code, out, err = run(capsys, "events", "import", "--store", store, masked,
                         "--pseudonymized", "--pseudonym-key-file", key_file, "--model",
                         model_dir)
    assert code == 0, err
    plain = [{**e, "user_id": raw[int(e["event_id"][2:])]["user_id"]} for e in responses(hidden)]
    code, out, err = run(capsys, "events", "import", "--store", store,
                         write_csv(tmp_path / "plain.csv", plain, event_id=False))
    assert code == 0, err
    assert f"stored 0, already stored {len(plain)}" in out


def test_a_pseudonym_of_no_known_id_is_refused_and_nothing_stored(
        capsys: pytest.CaptureFixture[str], model_dir: Path, tmp_path: Path, key_file: Path,
        client: TestClient) -> None:
    store, raw, hidden = planned(capsys, model_dir, tmp_path, key_file)
    before = stored(store)
    for stranger in (oracle("nobody-here"), oracle(raw[0]["user_id"], "another-key-0123456")):
        sent = responses(hidden)
        sent[2] = {**sent[2], "user_id": stranger}
        path = write_csv(tmp_path / "responses.csv", sent)
        code, _, err = run(capsys, "events", "import", "--store", store, path,
                           "--pseudonymized", "--pseudonym-key-file", key_file, "--model",
                           model_dir)
        assert code == 2, err
        assert "line 4" in err and "pseudonym of no id" in err, err
        assert "nothing of the file was stored" in err
        assert stored(store) == before
        r = client.post("/events?pseudonymized=true", json={"events": sent})
        assert r.status_code == 404, r.text
        detail = r.json()["detail"]
        assert "events[2] (event_id 't-4')" in detail and "pseudonym of no id" in detail
        assert "nothing of this batch was stored" in detail
        assert count_events(client.app.state.campaign_store) == 0  # type: ignore[attr-defined]


def test_a_raw_id_among_pseudonyms_is_refused(
        capsys: pytest.CaptureFixture[str], model_dir: Path, tmp_path: Path, key_file: Path,
        client: TestClient) -> None:
    store, raw, hidden = planned(capsys, model_dir, tmp_path, key_file)
    sent = responses(hidden)
    sent[1] = {**sent[1], "user_id": raw[2]["user_id"]}  # the raw id of the same row
    path = write_csv(tmp_path / "mixed.csv", sent)
    code, _, err = run(capsys, "events", "import", "--store", store, path, "--pseudonymized",
                       "--pseudonym-key-file", key_file)
    assert code == 2 and "line 3" in err and "is not a pseudonym" in err, err
    assert stored(store) == []
    r = client.post("/events", params={"pseudonymized": "true"}, json={"events": sent})
    assert r.status_code == 404 and "events[1] (event_id 't-2')" in r.json()["detail"]
    assert "is not a pseudonym" in r.json()["detail"]
    assert count_events(client.app.state.campaign_store) == 0  # type: ignore[attr-defined]


def test_without_a_key_it_is_refused_naming_the_variable(
        capsys: pytest.CaptureFixture[str], model_dir: Path, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RECOMMENDER_PSEUDONYM_KEY", raising=False)
    sent = [{"event_id": "e0", "user_id": oracle("u5"), "film_id": "00003", "timestamp": TS}]
    path = write_csv(tmp_path / "responses.csv", sent)
    code, _, err = run(capsys, "events", "import", "--store", tmp_path / "s.db", path,
                       "--pseudonymized", "--model", model_dir)
    assert code == 2 and "RECOMMENDER_PSEUDONYM_KEY" in err and "--pseudonymized" in err, err
    assert not (tmp_path / "s.db").exists()
    code, _, err = run(capsys, "events", "import", "--store", tmp_path / "s.db", path,
                       "--pseudonym-key-file", tmp_path / "key")
    assert code == 2 and "needs --pseudonymized" in err, err
    settings = Settings(model_path=str(model_dir), store=str(tmp_path / "keyless.db"),
                        warm_cache=False)
    with TestClient(create_app(settings)) as c:
        r = c.post("/events?pseudonymized=true", json={"events": sent})
        assert r.status_code == 409, r.text
        assert "RECOMMENDER_PSEUDONYM_KEY" in r.json()["detail"]
        assert "nothing of this batch was stored" in r.json()["detail"]
        assert count_events(c.app.state.campaign_store) == 0  # type: ignore[attr-defined]


def test_without_the_flag_a_pseudonym_is_refused_naming_it(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, client: TestClient) -> None:
    sent = [{"event_id": "e0", "user_id": oracle("u5"), "film_id": "00003", "timestamp": TS}]
    r = client.post("/events", json={"events": sent})
    assert r.status_code == 422 and "pseudonymized=true" in r.json()["detail"], r.text
    code, _, err = run(capsys, "events", "import", "--store", tmp_path / "s.db",
                       write_csv(tmp_path / "r.csv", sent))
    assert code == 2 and "--pseudonymized" in err, err


def test_the_schema_declares_the_parameter(client: TestClient) -> None:
    op = client.get("/openapi.json").json()["paths"]["/events"]["post"]
    params = {p["name"]: p for p in op.get("parameters", [])}
    assert params["pseudonymized"]["in"] == "query"
    assert params["pseudonymized"]["schema"]["type"] == "boolean"
    assert "RECOMMENDER_PSEUDONYM_KEY" in params["pseudonymized"]["description"]
    assert "RECOMMENDER_PSEUDONYM_KEY" in op["responses"]["409"]["description"]


def test_the_answer_names_users_by_their_pseudonyms() -> None:
    """A partner that sees only pseudonyms is told no raw id: the unknown and mistyped users
    an answer names (each read from a pseudonym) are shown as their pseudonyms, and so is the
    known id a mistyped one looks like."""
    key = KEY.encode()
    shown = shown_as_pseudonyms(["new-1", "new-2"], [("u5 ", "u5"), ("007", "7")], key)
    assert shown == ([oracle("new-1"), oracle("new-2")],
                     [(oracle("u5 "), oracle("u5")), (oracle("007"), oracle("7"))])


def test_a_reused_event_id_s_refusal_names_the_user_by_the_pseudonym_sent(
        capsys: pytest.CaptureFixture[str], model_dir: Path, tmp_path: Path, key_file: Path,
        client: TestClient) -> None:
    """The 409 (and the import's refusal) of an event_id repeated in the batch with another
    weight, or reused from a stored event, shows the user as the batch sent it: the raw id
    a pseudonym stands for is not told to a sender of pseudonyms."""
    store, raw, hidden = planned(capsys, model_dir, tmp_path, key_file)
    sent = responses(hidden)[:2]
    raw_id = raw[0]["user_id"]
    assert sent[0]["user_id"] == oracle(raw_id)

    def said(text: str) -> None:
        assert repr(oracle(raw_id)) in text, text
        assert repr(raw_id) not in text and repr(raw[2]["user_id"]) not in text, text

    twice = [*sent, {**sent[0], "weight": 2.0}]  # in the batch, then against the stored one
    again = [{**sent[0], "weight": 3.0}]
    r = client.post("/events?pseudonymized=true", json={"events": twice})
    assert r.status_code == 409 and "sent twice in this batch" in r.json()["detail"], r.text
    said(r.json()["detail"])
    r = client.post("/events?pseudonymized=true", json={"events": sent})
    assert r.status_code == 200, r.text
    r = client.post("/events?pseudonymized=true", json={"events": again})
    assert r.status_code == 409 and "already recorded" in r.json()["detail"], r.text
    said(r.json()["detail"])
    fields = ["user_id", "film_id", "timestamp", "event_id", "weight"]
    # the file's reader names a repeat within it, as read: by its pseudonym too
    for name, events, what in (("twice", twice, "is also on line 2"),
                               ("once", sent, None), ("again", again, "already recorded")):
        path = tmp_path / f"{name}.csv"
        with path.open("w", newline="", encoding="utf-8") as f:
            w = csv.DictWriter(f, fields)
            w.writeheader()
            w.writerows({"weight": 1.0, **e} for e in events)
        code, _, err = run(capsys, "events", "import", "--store", store, path,
                           "--pseudonymized", "--pseudonym-key-file", key_file)
        if what is None:
            assert code == 0, err
            continue
        assert code == 2 and what in err and "nothing" in err and "stored" in err, err
        said(err)


def test_a_user_the_model_lacks_is_noted_by_the_pseudonym_sent(
        capsys: pytest.CaptureFixture[str], model_dir: Path, tmp_path: Path,
        key_file: Path) -> None:
    # a user the store knows (an event imported raw) but the model does not: the import of
    # its pseudonym with --model noted the raw id behind it
    store = str(tmp_path / "stranger.db")
    stranger = " u2"  # the model's "u2" but for a space: a user it does not know
    raw = write_csv(tmp_path / "raw.csv", [{"event_id": "r-1", "user_id": stranger,
                                            "film_id": "00000", "timestamp": TS}])
    code, _, err = run(capsys, "events", "import", "--store", store, raw)
    assert code == 0, err
    sent = write_csv(tmp_path / "sent.csv", [{"event_id": "r-2", "user_id": oracle(stranger),
                                              "film_id": "00000", "timestamp": TS + 1}])
    code, out, err = run(capsys, "events", "import", "--store", store, sent, "--pseudonymized",
                         "--pseudonym-key-file", key_file, "--model", model_dir)
    assert code == 0 and "stored 1" in out, err
    assert stranger not in out + err
    assert "does not know" in err and repr(oracle(stranger)) in err, err
    assert repr(oracle("u2")) in err, err  # the user it may mean: by pseudonym too
