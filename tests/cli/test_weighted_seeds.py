"""A lookalike seed in the form ``USER_ID=WEIGHT`` of a user the model holds is refused, CLI
and HTTP, and a seed CSV's other columns are said not to be read.

``13=2`` (a seed file's line, or HTTP's ``["13=2", "405"]``) was skipped as an unknown user and
the answer built on fewer seeds (exit 0, 200), where cold start's HTTP refuses ``"1=2"``
naming the weight form; a ``user_id,weight`` CSV was read by its id column and its weights
dropped without a word. Seeds are not weighted: the refusal names the seed (the file's line,
the body's element: 422 at ``seed_user_ids[i]``), and a CSV of more columns than its ids gets
a note that only the id column is read. A user whose id holds ``=`` as written is that user.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from helpers import run_cli as run
from service_fixtures import build_model

from recommender.io.ids import IdMap
from recommender.model import artifact
from service.app import create_app
from service.settings import Settings

HELD = "u9=2"  # a user of its own, beside "u9": a seed as written, never refused


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    model = build_model(0)
    ids = model.users.ids.tolist()
    ids[8] = HELD
    model.users = IdMap(ids)
    model.user_table.user_ids = np.asarray(ids, dtype=str)
    return artifact.save(model, tmp_path_factory.mktemp("weighted-seeds") / "m")


@pytest.fixture(scope="module")
def client(model_dir: Path) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(model_path=str(model_dir), warm_cache=False,
                                        watch_interval=0))) as c:
        yield c


def test_a_weighted_seed_is_refused_over_http_at_its_element(client: TestClient) -> None:
    r = client.post("/audiences/lookalike", json={"seed_user_ids": ["u5", "u3=2"], "k": 3})
    assert r.status_code == 422, r.text
    body = r.json()
    assert [e["loc"] for e in body["errors"]] == [["body", "seed_user_ids", 1]]
    assert "seeds are not weighted" in body["detail"]
    assert "'u3=2'" in body["detail"] and "holds user 'u3'" in body["detail"]
    # spaces around the id: still the known user's weight form
    r = client.post("/audiences/lookalike", json={"seed_user_ids": [" u3 =2"], "k": 3})
    assert r.status_code == 422 and "holds user 'u3'" in r.json()["detail"], r.text
    # an id the model holds as written is that user; "=" of no known user stays unknown
    for seeds, unknown in (([HELD, "u5"], []), (["u5", "nobody=2"], ["nobody=2"])):
        r = client.post("/audiences/lookalike", json={"seed_user_ids": seeds, "k": 3})
        assert r.status_code == 200, r.text
        assert r.json()["unknown_seed_ids"] == unknown


def test_a_weighted_seed_line_is_refused_naming_its_line(
        model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    seeds = tmp_path / "seeds.txt"
    seeds.write_text("u5\nu3=2\n", encoding="utf-8")
    code, out, err = run(capsys, "lookalike", model_dir, "--seeds", seeds, "-k", 3)
    assert code == 2 and out == "", (out, err)
    assert f"{seeds}: line 2 'u3=2': lookalike seeds are not weighted" in err, err
    seeds.write_text(f"u5\n{HELD}\n", encoding="utf-8")
    code, out, err = run(capsys, "lookalike", model_dir, "--seeds", seeds, "-k", 3, "--json")
    assert code == 0 and "not weighted" not in err, err


def test_a_seed_csv_with_other_columns_says_only_its_ids_are_read(
        client: TestClient, model_dir: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    seeds = tmp_path / "seeds.csv"
    seeds.write_text("user_id,weight\nu5,3\nu7,1\n", encoding="utf-8")
    code, out, err = run(capsys, "lookalike", model_dir, "--seeds", seeds, "-k", 3, "--json")
    assert code == 0, err
    assert (f"{seeds}: a CSV of columns 'user_id', 'weight': only its id column is read "
            "(lookalike seeds are not weighted") in err, err
    # the answer is the ids' alone, unweighted: HTTP's for the same ids
    same = client.post("/audiences/lookalike", json={"seed_user_ids": ["u5", "u7"], "k": 3})
    assert out == same.text + "\n" or out.strip() == same.text.strip()
    plain = tmp_path / "plain.txt"
    plain.write_text("u5\nu7\n", encoding="utf-8")
    code, out, err = run(capsys, "lookalike", model_dir, "--seeds", plain, "-k", 3)
    assert code == 0 and "only its id column" not in err, err
