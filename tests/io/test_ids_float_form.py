"""An integer id a spreadsheet wrote back as a float ("2571.0") is told the id it may mean
("did you mean '2571'?"), by the one resolver (``IdMap.same_but_zeros``), on the CLI and over
HTTP alike: it was told only "unknown film_id '2571.0'" on ml-latest-small, where 2571 is The
Matrix.

Oracle: the float's value compared with each known id read as an integer (``int``), and
hand-written ids.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import numpy as np
import pytest
from fastapi.testclient import TestClient
from helpers import run_cli, synthetic_model

from recommender.io.ids import IdMap
from recommender.model import artifact
from service.app import create_app
from service.settings import Settings

IDS = ["2571", "0092", "7", "x1", "1.5", "300"]


def _oracle(asked: str) -> list[str]:
    """The known ids (digits only) of the integer a float of only zeros after its point is."""
    whole, point, zeros = asked.strip().partition(".")
    if not (point and whole.isascii() and whole.isdigit() and zeros and set(zeros) == {"0"}):
        return []
    return [s for s in IDS if s.isdigit() and int(s) == int(whole)]


@pytest.mark.parametrize("asked", ["2571.0", "2571.00", " 2571.0 ", "92.0", "0092.0", "7.000",
                                   "1.50", "2571.", "2571.01", "x1.0", "300.0e0", "-7.0",
                                   "1.5", "٣٠٠.0"])
def test_a_float_form_names_its_integer_id(asked: str) -> None:
    known = IdMap(IDS)
    near = known.same_but_zeros(asked)
    want = [s for s in _oracle(asked) if s != asked]
    assert [s for s in near if s in want] == want, (asked, near)
    # nothing else is named for it than a float's integer (or the id itself, spaces aside)
    assert set(near) <= set(want) | {asked.strip()}, (asked, near)


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    m = synthetic_model(n_users=40, n_films=len(IDS), seed=5)
    return artifact.save(dataclasses.replace(m, films=IdMap(IDS)),
                         tmp_path_factory.mktemp("floats") / "model")


@pytest.fixture(scope="module")
def client(model_dir: Path) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(model_path=str(model_dir), warm_cache=False))) as c:
        yield c


@pytest.mark.parametrize(("asked", "meant"), [("2571.0", "2571"), ("92.00", "0092"),
                                              ("300.0", "300")])
def test_cli_and_http_say_the_id_meant(client: TestClient, model_dir: Path,
                                       capsys: pytest.CaptureFixture[str], asked: str,
                                       meant: str) -> None:
    assert np.asarray(artifact.load(model_dir).films.ids).tolist() == IDS
    code, _, err = run_cli(capsys, "audience", model_dir, asked)
    r = client.get(f"/films/{quote(asked, safe='')}/audience")
    assert code == 2 and r.status_code == 404, (err, r.text)
    for said in (err, r.json()["detail"]):
        assert f"unknown film_id {asked!r}; did you mean {meant!r}?" in said, said


@pytest.mark.parametrize(("asked", "meant"), [("429", ["429.0"]), ("0429", ["429.0"]),
                                              (" 429 ", ["429.0"]), ("42", []), ("429.0", []),
                                              ("4290", [])])
def test_an_integer_names_the_float_id_pandas_wrote(asked: str, meant: list[str]) -> None:
    # an id column pandas wrote as floats stores '429.0': '429' typed was told "unknown"
    known = IdMap(["429.0", "430.0", "7"])
    assert known.same_but_zeros(asked) == meant
