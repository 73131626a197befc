"""A lookalike's seed ids are read by one rule on the CLI and over HTTP: an id the model holds
as written is that user; one it does not hold, whose surrounding spaces stripped it does, is
that user, named in ``stripped_seed_ids`` (HTTP took " u5" as unknown where the CLI stripped
it, so the seed counts and every score differed); an unknown seed gets the id it may mean
(``unknown_seed_hints``, as unknown films get theirs); a CRM export is read by the column its
header names like a user id (``Email,User ID,Name`` was read whole lines as ids).

Oracles: the HTTP body of the seeds written out by hand (stripped, or the column's cells),
and the near misses built from the model's own ids (case, leading zeros, Unicode form).
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from helpers import run_cli as run
from service_fixtures import ODD_USER_ID, build_model

from recommender.io.ids import IdMap
from recommender.model import artifact
from service.app import create_app
from service.settings import Settings

SPACED = " u3"  # a user of its own beside "u3"
ZEROS = "007"  # "7" is not a user: "did you mean '007'?"


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    model = build_model(0)
    ids = model.users.ids.tolist()
    ids[4], ids[6] = SPACED, ZEROS
    model.users = IdMap(ids)
    model.user_table.user_ids = np.asarray(ids, dtype=str)
    return artifact.save(model, tmp_path_factory.mktemp("seed-surfaces") / "m")


@pytest.fixture(scope="module")
def client(model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    store = str(tmp_path_factory.mktemp("seed-surfaces-store") / "campaigns.db")
    with TestClient(create_app(Settings(model_path=str(model_dir), store=store,
                                        warm_cache=False))) as c:
        yield c


def _http(client: TestClient, seeds: list[str]) -> dict:
    answer = client.post("/audiences/lookalike", json={"seed_user_ids": seeds, "k": 5})
    assert answer.status_code == 200, answer.text
    return answer.json()


def _cli(capsys: pytest.CaptureFixture[str], model_dir: Path, path: Path, *more: str
         ) -> tuple[str, str]:
    code, out, err = run(capsys, "lookalike", model_dir, "--seeds", path, "-k", 5, "--json",
                         *more)
    assert code == 0, err
    return out, err


def test_a_spaced_seed_is_read_alike_on_the_cli_and_over_http(
        client: TestClient, model_dir: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    sent = [" u5", "u7 ", SPACED]  # u5 and u7 held without their spaces; " u3" as written
    body = _http(client, sent)
    assert body["stripped_seed_ids"] == [" u5", "u7 "]
    assert body["unknown_seed_ids"] == [] and body["seeds_used"] == 3
    # the oracle: the same users written as the model holds them
    plain = _http(client, ["u5", "u7", SPACED])
    assert body["users"] == plain["users"] and body["total"] == plain["total"]
    assert _http(client, ["u5", "u7", "u3"])["users"] != plain["users"]  # " u3" is not "u3"
    seeds = tmp_path / "seeds.txt"
    seeds.write_text("\n".join(sent) + "\n", encoding="utf-8")
    out, err = _cli(capsys, model_dir, seeds)
    assert out == client.post("/audiences/lookalike",
                              json={"seed_user_ids": sent, "k": 5}).content.decode() + "\n"
    code, table, err = run(capsys, "lookalike", model_dir, "--seeds", seeds, "-k", 5)
    assert code == 0 and "Lookalikes of 3 seed users" in table, (table, err)
    assert "read without them: ' u5', 'u7 '" in err, err


def test_unknown_seeds_get_the_ids_they_may_mean(client: TestClient, model_dir: Path,
                                                  tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    users = set(artifact.load(model_dir).users.ids.tolist())
    nfd = unicodedata.normalize("NFD", ODD_USER_ID)
    sent = ["U5", "7", nfd, "nobody", "u9"]
    # the oracle: each near miss built from the model's own ids
    meant = {"U5": "u5", "7": ZEROS, nfd: ODD_USER_ID}
    assert all(m in users for m in meant.values()) and not users & set(meant)
    assert nfd != ODD_USER_ID and "nobody" not in users
    body = _http(client, sent)
    assert body["unknown_seed_ids"] == sent[:4]
    hints = body["unknown_seed_hints"]
    assert len(hints) == 4
    for given, hint in zip(sent[:4], hints, strict=True):
        assert hint.startswith(f"unknown user_id {given!r}"), hint
        if given in meant:
            assert f"did you mean {meant[given]!r}" in hint, hint
        else:
            assert "did you mean" not in hint, hint
    seeds = tmp_path / "seeds.txt"
    seeds.write_text("\n".join(sent) + "\n", encoding="utf-8")
    out, _ = _cli(capsys, model_dir, seeds)
    assert json.loads(out) == body
    code, _, err = run(capsys, "lookalike", model_dir, "--seeds", seeds, "-k", 5)
    assert code == 0
    said = next(x for x in err.splitlines() if x.startswith("skipped 4 unknown seed ids"))
    for given, near in meant.items():
        assert f"{near!r} for {given!r}" in said, said


def test_a_crm_export_is_read_by_its_user_id_column(client: TestClient, model_dir: Path,
                                                    tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    crm = tmp_path / "crm.csv"
    crm.write_text("Email,User ID,Name\na@x.org,u5,Ann\nb@y.org, u7 ,Bob\nc@z.org,u8,Cy\n",
                   encoding="utf-8")
    want = client.post("/audiences/lookalike",
                       json={"seed_user_ids": ["u5", " u7 ", "u8"], "k": 5}).content.decode()
    out, _ = _cli(capsys, model_dir, crm)
    assert out == want + "\n"
    assert json.loads(want)["seeds_used"] == 3
    # a column named otherwise, chosen by name
    other = tmp_path / "other.csv"
    other.write_text("Email;Customer;Name\na@x.org;u5;Ann\nb@y.org; u7 ;Bob\nc@z.org;u8;Cy\n",
                     encoding="utf-8")
    out, _ = _cli(capsys, model_dir, other, "--id-column", "customer")
    assert out == want + "\n"


@pytest.mark.parametrize(("text", "said"), [
    ("Email,Name\na@x.org,Ann\nb@y.org,Bob\n",
     "'Email,Name' names no id column (one named like user_id, User ID, userId or id; its "
     "columns: 'Email', 'Name')"),
    ("ID,Email,user id\n1,a@x.org,u5\n", "names 2 id columns ('ID', 'user id')"),
])
def test_a_header_naming_no_id_column_or_two_is_refused(
        model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str,
        said: str) -> None:
    seeds = tmp_path / "seeds.csv"
    seeds.write_text(text, encoding="utf-8")
    code, out, err = run(capsys, "lookalike", model_dir, "--seeds", seeds)
    assert code == 2 and out == "", (code, out, err)
    assert f"{seeds}" in err and "line 1" in err and said in err, err
    code, _, err = run(capsys, "lookalike", model_dir, "--seeds", seeds, "--id-column", "Nope")
    assert code == 2 and "has no column named 'Nope'" in err, err
