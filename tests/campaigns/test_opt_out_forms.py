"""An opt-out that names a user of the model in another Unicode form (``joão.silva000``
decomposed, NFD, for the model's composed NFC), or behind a byte-order mark a second file
joined by ``cat`` left mid-list, leaves that user out: it was warned of as "not a user of the
model" and the person planned. ``forget`` refuses such an id, naming the twin, erasing
nothing: it said "erased 1 user(s)" while the composed id kept every row."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from helpers import run_cli
from unicode_fixtures import JOAO, nfd, save_unicode_model, store_with_events, user_ids

from service.app import create_app
from service.settings import Settings

NFC_IDS = ["joão.silva000", "müller001", "joão.silva002", "müller003"]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_unicode_model(tmp_path_factory.mktemp("opt-out-forms") / "model")


def _slate(tmp_path: Path) -> Path:
    slate = tmp_path / "slate.csv"
    slate.write_text("film_id,budget\nf003,500\nf004,500\n")  # every user who may be planned
    return slate


def _planned(plan_csv: Path) -> set[str]:
    with plan_csv.open(encoding="utf-8", newline="") as f:
        return {row["user_id"] for row in csv.DictReader(f)}


def _plan(capsys: pytest.CaptureFixture[str], model_dir: Path, tmp_path: Path, opt: Path
          ) -> tuple[int, set[str], str]:
    out = tmp_path / "plan.csv"
    code, _, err = run_cli(capsys, "plan", model_dir, "--slate", _slate(tmp_path), "--exclude",
                           opt, "--out", out, "--holdout", "0", "--waves", "1")
    return code, _planned(out) if code == 0 else set(), err


def test_an_nfd_opt_out_leaves_the_nfc_user_out(model_dir: Path, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    # the oracle: with no opt-out each of these users is planned (so leaving one out shows)
    empty = tmp_path / "none.txt"
    empty.write_text("someone-else\n")
    code, every, _ = _plan(capsys, model_dir, tmp_path, empty)
    assert code == 0 and set(NFC_IDS) <= every
    opt = tmp_path / "opt.txt"
    opt.write_text("".join(nfd(u) + "\n" for u in NFC_IDS), encoding="utf-8")
    code, planned, err = _plan(capsys, model_dir, tmp_path, opt)
    assert code == 0, err
    assert not planned & set(NFC_IDS), planned & set(NFC_IDS)
    assert planned == every - set(NFC_IDS)  # no one else left out
    assert "not a user of the model" not in err
    assert "another Unicode form" in err and "NFC" in err and "NFD" in err, err


def test_a_mark_mid_list_is_read_as_a_bom(model_dir: Path, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    first, second = tmp_path / "a.txt", tmp_path / "b.txt"
    first.write_text("joão.silva000\n", encoding="utf-8-sig")
    second.write_text("müller001\njoão.silva002\n", encoding="utf-8-sig")
    joined = tmp_path / "joined.txt"  # cat a.txt b.txt: the second's BOM begins line 2
    joined.write_bytes(first.read_bytes() + second.read_bytes())
    assert joined.read_bytes().count(b"\xef\xbb\xbf") == 2
    code, planned, err = _plan(capsys, model_dir, tmp_path, joined)
    assert code == 0, err
    assert not planned & {"joão.silva000", "müller001", "joão.silva002"}
    assert "müller003" in planned and "not a user of the model" not in err, err


def test_http_opt_outs_in_nfd_or_behind_a_mark(model_dir: Path, tmp_path: Path) -> None:
    settings = Settings(model_path=str(model_dir), store=str(tmp_path / "store.db"),
                        warm_cache=False)
    films = [{"film_id": "f003", "budget": 500}, {"film_id": "f004", "budget": 500}]
    given = [nfd(NFC_IDS[0]), nfd(NFC_IDS[1]), "\ufeff" + NFC_IDS[2], nfd(NFC_IDS[3]),
             "nobody"]
    with TestClient(create_app(settings)) as client:
        r = client.post("/campaigns/plan", json={"films": films, "holdout": 0, "waves": 1,
                                                 "exclude_user_ids": given})
        assert r.status_code == 200, r.text
        params = r.json()["summary"]["parameters"]
        assert params["excluded_unknown_users"] == 1
        assert params["excluded_unknown_user_ids"] == ["nobody"]
        rows = client.get(f"/campaigns/{r.json()['plan_id']}/plan.csv")
        assert rows.status_code == 200, rows.text
    planned = {row["user_id"] for row in csv.DictReader(rows.text.splitlines())}
    assert planned and not planned & set(NFC_IDS)
    assert planned <= set(user_ids())


def test_forget_refuses_an_nfd_id_naming_the_nfc_twin(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]
                                                      ) -> None:
    path = store_with_events(tmp_path / "s.db")  # JOAO's two events, composed (NFC)
    code, out, err = run_cli(capsys, "forget", "--store", path, "--user", nfd(JOAO))
    assert code != 0 and "erased" not in out
    assert "did you mean 'joão.silva000' (Unicode form NFC" in err, err
    assert "nothing was erased" in err
    code, out, err = run_cli(capsys, "forget", "--store", path, "--user", JOAO)
    assert code == 0 and "erased 1 user(s)" in out and "2 event(s)" in out, out + err
