"""``--pseudonymize`` on plans: ``recommender plan`` and ``campaign show --csv`` write each
user id as the keyed HMAC the audience exports use; without a key they exit 2."""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from helpers import run_cli as run
from service_fixtures import save_model

KEY = "cli-plan-pseudonym-key-0123456789"


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_model(tmp_path_factory.mktemp("pseudo-plan") / "model")


def oracle(user_id: str, key: str = KEY) -> str:
    return "p-" + hmac.new(key.encode(), user_id.encode(), hashlib.sha256).hexdigest()


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_plan_and_show_pseudonymise_user_ids(model_dir: Path, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RECOMMENDER_PSEUDONYM_KEY", raising=False)
    slate = tmp_path / "slate.csv"
    slate.write_text("film_id,budget\n00000,12\n00002,9\n", encoding="utf-8")
    store = f"sqlite:///{tmp_path / 'store.db'}"
    key_file = tmp_path / "key"
    key_file.write_text(KEY + "\n", encoding="utf-8")
    code, out, err = run(capsys, "plan", model_dir, "--slate", slate, "--out",
                         tmp_path / "plain.csv", "--store", store)
    assert code == 0, err
    plan_id = out.rsplit(" rows of plan ", 1)[1].split()[0]
    code, _, err = run(capsys, "plan", model_dir, "--slate", slate, "--out",
                       tmp_path / "hidden.csv", "--pseudonymize", "--pseudonym-key-file",
                       key_file)
    assert code == 0, err
    plain = rows((tmp_path / "plain.csv").read_text(encoding="utf-8"))
    hidden = rows((tmp_path / "hidden.csv").read_text(encoding="utf-8"))
    assert len(plain) == len(hidden) > 0
    assert [h["user_id"] for h in hidden] == [oracle(p["user_id"]) for p in plain]
    same = {"user_id": "", "plan_id": ""}  # plan ids are drawn afresh for each plan
    assert [{**h, **same} for h in hidden] == [{**p, **same} for p in plain]
    monkeypatch.setenv("RECOMMENDER_PSEUDONYM_KEY", KEY)
    code, _, err = run(capsys, "plan", model_dir, "--slate", slate, "--out",
                       tmp_path / "hidden.parquet", "--pseudonymize")
    assert code == 0, err
    table = pq.read_table(tmp_path / "hidden.parquet")
    assert table.column("user_id").to_pylist() == [h["user_id"] for h in hidden]
    code, shown, err = run(capsys, "campaign", "show", plan_id, "--store", store, "--csv",
                           "--pseudonymize")
    assert code == 0, err
    assert [r["user_id"] for r in rows(shown)] == [oracle(p["user_id"]) for p in plain]


def test_pseudonymize_without_a_key_exits_2(model_dir: Path, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RECOMMENDER_PSEUDONYM_KEY", raising=False)
    slate = tmp_path / "slate.csv"
    slate.write_text("film_id,budget\n00000,5\n", encoding="utf-8")
    out = tmp_path / "plan.csv"
    store = f"sqlite:///{tmp_path / 'store.db'}"
    for extra in (["--pseudonymize"], ["--pseudonym-key-file", tmp_path / "key"],
                  ["--pseudonymize", "--pseudonym-key-file", tmp_path / "none"]):
        code, _, err = run(capsys, "plan", model_dir, "--slate", slate, "--out", out, *extra)
        assert code == 2 and "Traceback" not in err, err
        assert not out.exists()
    code, text, err = run(capsys, "plan", model_dir, "--slate", slate, "--out", out,
                          "--store", store)
    assert code == 0, err
    plan_id = text.rsplit(" rows of plan ", 1)[1].split()[0]
    code, shown, err = run(capsys, "campaign", "show", plan_id, "--store", store, "--csv",
                           "--pseudonymize")
    assert code == 2 and "RECOMMENDER_PSEUDONYM_KEY" in err and shown == ""


def test_a_pseudonymised_plan_file_names_no_opt_out_as_typed(
        model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """An opt-out the model does not know (alice@example.org, USER-Three) was written as typed
    into a pseudonymised Parquet plan's metadata (parameters.excluded_unknown_user_ids),
    beside pseudonyms, in a file meant for a party that sees no raw id: there it is counted.
    Oracle: the file's bytes; the plain file keeps the names."""
    import json

    monkeypatch.setenv("RECOMMENDER_PSEUDONYM_KEY", KEY)
    slate = tmp_path / "slate.csv"
    slate.write_text("film_id,budget\n00000,5\n", encoding="utf-8")
    opt_outs = tmp_path / "opt-outs.txt"
    opt_outs.write_text("u0\n alice@example.org\nUSER-Three\n", encoding="utf-8")
    for name, extra in (("hidden", ["--pseudonymize"]), ("plain", [])):
        code, _, err = run(capsys, "plan", model_dir, "--slate", slate, "--exclude", opt_outs,
                           "--out", tmp_path / f"{name}.parquet", *extra)
        assert code == 0, err
    hidden = tmp_path / "hidden.parquet"
    meta = json.loads(pq.read_schema(hidden).metadata[b"recommender"])
    assert meta["pseudonymized"] is True
    assert meta["parameters"]["excluded_unknown_users"] == 2
    assert b"alice@example.org" not in hidden.read_bytes()
    assert b"USER-Three" not in hidden.read_bytes()
    plain = json.loads(pq.read_schema(tmp_path / "plain.parquet").metadata[b"recommender"])
    assert plain["parameters"]["excluded_unknown_user_ids"] == ["alice@example.org",
                                                                "USER-Three"]
