"""Near misses between a cinema table and the places users name: an id or name equal but for
case, surrounding spaces, Unicode form or leading zeros (``' MSP-01'`` for ``MSP-01``,
``C01`` for ``c001``, ``nyc 2`` for ``NYC 2``) is named beside the other, as a film or user
id's "did you mean" is; ids are quoted (a leading space showed as none). A place under the
minimum cell is never offered or named (README, Privacy of attribute values): it is counted
as pooled. Oracle: the ids written here and which of them hold fewer than min_cell users."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from helpers import run_cli, synthetic_model
from service_fixtures import save_model

from recommender.distribution.demand import demand_by_place
from recommender.distribution.near_ids import near_key, near_misses
from recommender.distribution.slate import SlateFilm, plan_slate
from recommender.io.places import Cinemas
from recommender.model import layout
from recommender.model.model import Model

SIZES = {"c001": 80, "MSP-01": 70, "NYC 2": 60, "c42": 50, "IRV-1": 6, "tiny": 4}


@pytest.mark.parametrize(("a", "b", "near"), [
    (" MSP-01", "MSP-01", True), ("nyc 2", "NYC 2", True), ("C01", "c001", True),
    ("0042", "42", True), ("IRV-01", "IRV-1", True), ("Cafe\u0301", "café", True),
    ("c100", "c10", False), ("MSP-1O", "MSP-10", False), ("Mpls", "Minneapolis", False),
])
def test_the_near_key(a: str, b: str, near: bool) -> None:
    assert (near_key(a) == near_key(b)) is near
    assert near_misses([a], [b]) == ({a: [b]} if near else {})


def model() -> Model:
    m = synthetic_model(n_users=sum(SIZES.values()), n_films=8, seed=6)
    m.user_table.attributes["cinema"] = np.repeat(list(SIZES), list(SIZES.values()))
    return m


def table(ids: list[str]) -> Cinemas:
    n = len(ids)
    return Cinemas(np.array(ids), np.full(n, ""), np.full(n, ""), np.full(n, 3, np.int64),
                   np.zeros(n, np.int64), "cinemas.csv")


def test_a_breakdown_names_the_near_misses_of_shown_cinemas_only() -> None:
    # ' MSP-01' (a space), 'C01' (zeros and case), 'nyc 2' (case) and 'c42' as it is;
    # 'IRV-01' is the pooled IRV-1 (6 users) but for zeros: never offered, and IRV-1 (and
    # tiny, 4 users, not in the table) is counted, not named
    m = model()
    cinemas = table([" MSP-01", "C01", "c42", "nyc 2", "IRV-01"])
    body = demand_by_place(m, str(m.films.ids[1]), "cinema", screens=2, cinemas=cinemas,
                           min_cell=10)
    rows = {r["place"] for r in body["places"]}
    assert {"c001", "MSP-01", "NYC 2", "c42", "other"} == rows  # IRV-1 and tiny pooled
    warning = body["screens"]["warning"]
    assert warning.startswith(
        "5 cinemas users name not in cinemas.csv (e.g. 'MSP-01' (cinemas.csv has ' MSP-01'), "
        "'NYC 2' (cinemas.csv has 'nyc 2'), 'c001' (cinemas.csv has 'C01')) get no "
        "screens, whatever their demand (2 of them pooled in 'other', so not named); cinema "
        "ids are compared exactly (case, surrounding spaces, Unicode form and leading zeros "
        "included)"), warning
    assert "IRV-1" not in warning and "tiny" not in warning
    capped = body["screens"]["capped_by"]
    assert capped.endswith(
        "12 screens of 4 cinemas no user names cannot be used (e.g. ' MSP-01', 'C01', "
        "'nyc 2'); ' MSP-01' is users' 'MSP-01', 'C01' is users' 'c001', 'nyc 2' is users' "
        "'NYC 2' but for case, surrounding spaces, Unicode form or leading zeros"), capped
    assert "IRV-1'" not in capped  # the table's 'IRV-01' is named, as the table's own


def test_a_slate_gives_each_near_miss_and_the_cli_quotes_the_ids(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    m = model()
    ids = [" MSP-01", "C01", "c42", "IRV-01", "nowhere"]
    body = plan_slate(m, [SlateFilm(str(m.films.ids[0])), SlateFilm(str(m.films.ids[1]))],
                      table(ids), min_cell=10)
    assert body["cinemas_without_users"] == [" MSP-01", "C01", "IRV-01", "nowhere"]
    assert body["near_misses"] == {" MSP-01": ["MSP-01"], "C01": ["c001"]}  # not IRV-1
    # the CLI's note quotes each id (' MSP-01' showed as MSP-01) and names the users' id
    folder = save_model(tmp_path / "model", cinemas=["c1", "c2"])
    (layout.resolve(folder) / "cinemas.csv").write_text(
        "cinema_id,screens\n c1,2\nC02,3\nc2,1\n")
    slate = tmp_path / "slate.csv"
    slate.write_text("film_id\n00003\n00002\n")
    monkeypatch.setenv("RECOMMENDER_MIN_CELL", "1")
    monkeypatch.delenv("RECOMMENDER_CINEMAS", raising=False)
    code, out, err = run_cli(capsys, "distribution", folder, "--slate", slate)
    assert code == 0, err
    assert ("are named by no user (their screens are shared equally; check the ids): ' c1' "
            "(users name 'c1'), 'C02' (users name 'c2')") in out, out
