"""Pseudonymised user ids: a keyed HMAC-SHA256, stable per key, unrelated across keys, refused
without a key; the same ids through the library, the CLI (``--pseudonymize``) and batch
exports. The oracle is ``hmac`` called directly."""

from __future__ import annotations

import csv
import hashlib
import hmac
import json
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from service_fixtures import build_model, save_model

from recommender.cli import main
from recommender.errors import InvalidParameterError
from recommender.model.model import Model
from recommender.query.audience import film_audience
from recommender.query.pseudonym import (
    ENV_KEY,
    load_key,
    pseudonym,
    pseudonymize_page,
    pseudonymous_users,
    pseudonyms,
)

KEY = b"a-pseudonym-key-of-32-bytes-0123"
OTHER = b"another-key-for-the-same-users-9"


def oracle(user_id: str, key: bytes = KEY) -> str:
    return "p-" + hmac.new(key, user_id.encode("utf-8"), hashlib.sha256).hexdigest()


@pytest.fixture(scope="module")
def model() -> Model:
    return build_model(seed=5)


def test_pseudonyms_are_a_keyed_hmac() -> None:
    ids = ["u1", "u/ü 7", "", "00042", "u1"]
    got = pseudonyms(ids, KEY)
    assert got == [oracle(i) for i in ids] == [pseudonym(i, KEY) for i in ids]
    assert got[0] == got[-1]  # stable
    assert len(set(got[:4])) == 4
    other = pseudonyms(ids, OTHER)
    assert not set(other) & set(got)
    assert all(len(p) == 66 and "u1" not in p for p in got)


def test_the_key_comes_from_the_environment_or_a_file(tmp_path: Path) -> None:
    assert load_key(environ={ENV_KEY: KEY.decode()}) == KEY
    file = tmp_path / "key"
    file.write_bytes(OTHER + b"\n")
    assert load_key(file, environ={ENV_KEY: KEY.decode()}) == OTHER  # the file wins
    with pytest.raises(InvalidParameterError, match=ENV_KEY):
        load_key(environ={})
    with pytest.raises(InvalidParameterError, match="at least 16"):
        load_key(environ={ENV_KEY: "short"})
    with pytest.raises(InvalidParameterError, match="cannot read"):
        load_key(tmp_path / "missing")
    file.write_bytes(b"tiny")
    with pytest.raises(InvalidParameterError) as info:
        load_key(file)
    assert "tiny" not in str(info.value)  # the key is never shown


def test_pages_and_models_keep_everything_but_the_ids(model: Model) -> None:
    page = film_audience(model, "00004", k=20)
    hidden = pseudonymize_page(page, KEY)
    assert hidden.user_ids.tolist() == [oracle(u) for u in page.user_ids.tolist()]
    assert hidden.rank.tolist() == page.rank.tolist()
    assert hidden.score.tolist() == page.score.tolist()
    assert hidden.user_idx.tolist() == page.user_idx.tolist()
    copy = pseudonymous_users(model, KEY)
    assert copy.users.ids.tolist() == [oracle(u) for u in model.users.ids.tolist()]
    assert model.users.ids[0] == "u0"  # the original is untouched
    again = film_audience(copy, "00004", k=20)
    assert again.user_ids.tolist() == hidden.user_ids.tolist()
    assert np.shares_memory(copy.user_factors, model.user_factors)


# ------------------------------------------------------------------ CLI


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_model(tmp_path_factory.mktemp("pseudo") / "model", seed=5)


def test_cli_audience_pseudonymize(model_dir: Path, tmp_path: Path,
                                   monkeypatch: pytest.MonkeyPatch,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv(ENV_KEY, raising=False)
    assert main(["audience", str(model_dir), "00004", "--k", "5", "--json"]) == 0
    plain = json.loads(capsys.readouterr().out)
    assert main(["audience", str(model_dir), "00004", "--k", "5", "--json",
                 "--pseudonymize"]) == 2
    assert ENV_KEY in capsys.readouterr().err
    monkeypatch.setenv(ENV_KEY, KEY.decode())
    assert main(["audience", str(model_dir), "00004", "--k", "5", "--json",
                 "--pseudonymize"]) == 0
    hidden = json.loads(capsys.readouterr().out)
    assert [u["user_id"] for u in hidden["users"]] == [oracle(u["user_id"])
                                                       for u in plain["users"]]
    key_file = tmp_path / "key"
    key_file.write_bytes(OTHER)
    assert main(["audience", str(model_dir), "00004", "--k", "5", "--pseudonymize",
                 "--pseudonym-key-file", str(key_file)]) == 0
    table = capsys.readouterr().out
    assert oracle(plain["users"][0]["user_id"], OTHER) in table
    assert f" {plain['users'][0]['user_id']} " not in table
    assert main(["audience", str(model_dir), "00004", "--pseudonym-key-file",
                 str(key_file)]) == 2


def test_cli_audiences_export_pseudonymize(model_dir: Path, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_KEY, KEY.decode())
    films = tmp_path / "films.txt"
    films.write_text("00004\n00007\n")
    plain, hidden = tmp_path / "plain.parquet", tmp_path / "hidden.csv"
    assert main(["audiences", str(model_dir), "--films", str(films), "--k", "6",
                 "--out", str(plain)]) == 0
    assert main(["audiences", str(model_dir), "--films", str(films), "--k", "6",
                 "--out", str(hidden), "--pseudonymize"]) == 0
    raw = pq.read_table(plain).column("user_id").to_pylist()
    with open(hidden, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["user_id"] for r in rows] == [oracle(u) for u in raw]
    assert [r["film_id"] for r in rows] == pq.read_table(plain).column("film_id").to_pylist()
    monkeypatch.delenv(ENV_KEY)
    assert main(["audiences", str(model_dir), "--films", str(films), "--out",
                 str(tmp_path / "nokey.csv"), "--pseudonymize"]) == 2
    assert not (tmp_path / "nokey.csv").exists()
