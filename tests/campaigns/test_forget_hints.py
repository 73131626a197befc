"""Messages that print an id name its Unicode form where another form prints alike, and an
id the store or model does not hold gets the "did you mean" of the unknown-id errors:
``forget --user 07`` on a store of users 7 and 007 said only "1 had no row in this store
('07')", plan notes and forget's notes printed "Amélie" composed and decomposed alike, and
so did the 404 of an erased id; ``plan --exclude`` named an opt-out '07' with no hint."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import numpy as np
import pytest
from helpers import run_cli

from recommender.campaigns.events import check_events, record_events
from recommender.campaigns.store import open_store
from recommender.errors import UnknownUserError
from recommender.io.ids import form_named
from recommender.model.dropped import Remaining

NFC = unicodedata.normalize("NFC", "Amélie")
NFD = unicodedata.normalize("NFD", "Amélie")


def test_the_form_is_named_where_another_prints_alike() -> None:
    assert form_named("7") == form_named("u-1") == ""  # ASCII: one form
    assert "NFD" in form_named(NFD) and "NFC" not in form_named(NFD)
    assert "NFC" in form_named(NFC) and "NFD" not in form_named(NFC)


def test_plan_notes_name_the_form(capsys: pytest.CaptureFixture[str]) -> None:
    from recommender.cli.plan_text import print_notes

    said = []
    for fid in (NFC, NFD):
        print_notes({"plan_notes": [{"film_id": fid, "kind": "no_control", "note": "n"}]})
        said.append(capsys.readouterr().err)
    assert said[0] != said[1]  # they printed alike
    assert "NFC" in said[0] and "NFD" in said[1]


def test_an_erased_ids_404_names_its_form() -> None:
    users = Remaining(np.array(["u1"]), lambda a: np.isin(a, [NFD]))
    message = str(users.unknown(UnknownUserError, [NFD]))
    assert "erased" in message and "NFD" in message and repr(NFD) in message


def test_forget_hints_the_ids_meant_and_names_forms(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "s.db"
    store = open_store(str(path))
    record_events(store, check_events([
        {"event_id": str(n), "user_id": u, "film_id": "A", "timestamp": 1_700_000_000 + n}
        for n, u in enumerate(["7", "007", "u9", NFD])]))
    store.close()
    code, out, err = run_cli(capsys, "forget", "--store", path, "--user", "07")
    assert code == 0, err
    note = next(line for line in err.splitlines() if "had no row" in line)
    # the oracle: the ids of the store equal to '07' once leading zeros are dropped
    assert "did you mean" in note and "'7'" in note and "'007'" in note and "'u9'" not in note
    # the same letters in another Unicode form: refused, nothing erased (test_forget_forms)
    code, out, err = run_cli(capsys, "forget", "--store", path, "--user", NFC)
    assert code != 0 and "NFC" in err and repr(NFD) in err and "NFD" in err and not out
    code, out, err = run_cli(capsys, "forget", "--store", path, "--user", "nobody")
    assert "did you mean" not in out + err


def test_an_unknown_opt_out_gets_the_hint(capsys: pytest.CaptureFixture[str]) -> None:
    import dataclasses

    from service_fixtures import build_model

    from recommender.cli.checks import warn_unknown_opt_outs
    from recommender.io.ids import IdMap

    model = build_model(seed=4)
    users = model.users.ids.astype(object)
    users[:2] = ["7", "007"]
    model = dataclasses.replace(model, users=IdMap(np.asarray(users, dtype=str)))
    warn_unknown_opt_outs(model, ["07"], "optouts.txt")
    err = capsys.readouterr().err
    assert "'07'" in err and "did you mean" in err and "'7'" in err and "'007'" in err
