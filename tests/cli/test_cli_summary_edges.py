"""The CLI's audience summary at its edges: a segment whose every count is left out, a film
every user has watched, a ring with nobody in it, a model without tier calibration."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from helpers import brute_audience, synthetic_model
from helpers import run_cli as run

from recommender.model import artifact
from recommender.model.model import Segments


@pytest.fixture(scope="module")
def hidden_row(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A model whose segment 3 holds 1 user of film 0's core ring, 2 of its extended ring,
    3 of its broad ring and 30 ranked below the rings: every one of its summary counts is
    under the minimum cell (10), so the whole row is left out."""
    m = synthetic_model(n_users=400, n_films=20, n_segments=4, seed=5)
    order, _ = brute_audience(m, 0)
    labels = np.asarray(m.segments.labels, np.int16).copy()
    labels[labels == 3] = 0
    core = int(np.ceil(len(order) * 0.01))
    extended = int(np.ceil(len(order) * 0.05))
    broad = int(np.ceil(len(order) * 0.20))
    labels[order[[0, core, core + 1, extended, extended + 1, extended + 2]]] = 3
    labels[order[broad + 5:broad + 35]] = 3
    info = [{**s, "size": int((labels == s["segment"]).sum())} for s in m.segments.info]
    m.segments = Segments(labels, info)
    path = artifact.save(m, tmp_path_factory.mktemp("edges") / "model")
    return path, str(m.films.ids[0])


def test_a_segment_whose_every_count_is_left_out_keeps_its_row(
        hidden_row: tuple[Path, str], capsys: pytest.CaptureFixture[str]) -> None:
    """The table lists every segment of the model, and its header counts every left-out
    count: a segment whose counts were all left out had no row, and the header counted none
    of its 4 hidden counts."""
    path, film = hidden_row
    code, out, err = run(capsys, "summary", path, film)
    assert code == 0, err
    table = out.split("Segments of the ranked audience")[1].split("\nlift (all)")[0]
    rows = {line.split("  ")[0]: line.split()[2:] for line in table.splitlines()[3:]}
    assert rows["Segment 3"] == ["-", "-", "-", "-", "-", "36"], table
    code, body, err = run(capsys, "summary", path, film, "--json")

    summary = json.loads(body)
    parts = [{r["segment"] for r in t["segments"]} for t in summary["tiers"]] + [
        {r["segment"] for r in summary["segments"]}]
    left_out = sum(seg not in part for part in parts for seg in range(4))
    assert 3 not in set().union(*parts)
    assert f"({left_out} of this table's counts left out; " in table


@pytest.fixture(scope="module")
def seen_by_all(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    """A model whose film 0 every user has watched and whose film 1 all but 3 have (its
    extended and broad rings are then empty: ranks 1-1, 2-1, 2-1)."""
    m = synthetic_model(n_users=300, n_films=20, seed=11)
    dense = np.asarray(m.seen.toarray() > 0)
    dense[:, 0] = True
    dense[:, 1] = True
    dense[[4, 40, 140], 1] = False

    seen = sp.csr_matrix(dense.astype(np.float32))
    seen.sort_indices()
    m.seen, m.seen_by_film = seen, seen.T.tocsr()
    path = artifact.save(m, tmp_path_factory.mktemp("seen-by-all") / "model")
    return path, str(m.films.ids[0]), str(m.films.ids[1])


def test_a_film_everyone_watched_gives_no_share_or_lift_of_nobody(
        seen_by_all: tuple[Path, str, str], capsys: pytest.CaptureFixture[str]) -> None:
    """With no candidate, no ring's split and no portrait has a row: each gave every
    segment and every attribute value a share and a lift of 0 over nobody (lift 0.000 in
    the CLI's portrait tables), and the text says why, as the audience does."""
    path, everyone, _ = seen_by_all
    code, out, err = run(capsys, "summary", path, everyone, "--json")
    assert code == 0, err
    body = json.loads(out)
    assert body["candidates"] == 0
    assert all(t["segments"] == [] for t in body["tiers"]) and body["segments"] == []
    assert body["portrait"] and all(rows == [] for rows in body["portrait"].values())
    assert body["suppressed_cells"] == 0
    code, out, err = run(capsys, "summary", path, everyone)
    assert code == 0, err
    assert "no candidate: every user the model knows has already watched the film" in out
    assert "no portrait: the ranks it pictures hold nobody" in out
    assert "lift" not in out.split("Portrait of")[1]


def test_an_empty_ring_has_no_rows(seen_by_all: tuple[Path, str, str],
                                   capsys: pytest.CaptureFixture[str]) -> None:
    """A portrait of an empty ring (``--tier extended`` with 3 candidates) and that ring's
    segment split have no rows; the rings that hold users keep theirs."""
    path, _, three = seen_by_all
    code, out, err = run(capsys, "summary", path, three, "--tier", "extended", "--json")
    assert code == 0, err
    body = json.loads(out)
    assert [t["size"] for t in body["tiers"]] == [1, 0, 0]
    assert body["tiers"][1]["segments"] == [] and body["tiers"][2]["segments"] == []
    assert body["portrait_scope"]["users"] == 0
    assert all(rows == [] for rows in body["portrait"].values())
    code, out, err = run(capsys, "summary", path, three, "--tier", "extended")
    assert code == 0 and "no portrait: the ranks it pictures hold nobody" in out, err


def test_a_model_without_a_calibration_holdout_is_not_said_to_have_measured_nothing(
        hidden_row: tuple[Path, str], tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    """A model trained with ``--holdout 0`` (no calibration at all) was said to have "its
    calibration holdout measured no conversion", a holdout it never had; one whose holdout
    measured nothing still says so."""
    from recommender.model import calibration

    path, film = hidden_row
    m = artifact.load(path)
    m.calibration = {}
    bare = artifact.save(m, tmp_path / "bare")
    code, out, err = run(capsys, "summary", bare, film)
    assert code == 0, err
    line = next(s for s in out.splitlines() if s.startswith("conversion: none"))
    assert "measured no conversion" not in line
    assert "no calibration holdout was fitted: trained with --holdout 0" in line
    nothing = {"hits": [0] * calibration.N_BINS, "candidates": [5] * calibration.N_BINS}
    assert "its calibration holdout measured no conversion" in calibration.horizon(
        nothing)["description"]


def test_the_header_counts_one_viewer_and_one_candidate_in_the_singular(
        seen_by_all: tuple[Path, str, str], capsys: pytest.CaptureFixture[str]) -> None:
    """"0 candidates" and "300 viewers", but "1 candidate" (it read "1 candidates")."""
    path, everyone, _ = seen_by_all
    code, out, err = run(capsys, "summary", path, everyone)
    assert code == 0 and out.splitlines()[0].endswith(": 300 viewers, 0 candidates"), err
    m = artifact.load(path)
    dense = np.asarray(m.seen.toarray() > 0)
    dense[1:, 2], dense[0, 2] = True, False
    seen = sp.csr_matrix(dense.astype(np.float32))
    seen.sort_indices()
    m.seen, m.seen_by_film = seen, seen.T.tocsr()
    one = artifact.save(m, path.parent / "one-candidate")
    code, out, err = run(capsys, "summary", one, str(m.films.ids[2]))
    assert code == 0 and out.splitlines()[0].endswith(": 299 viewers, 1 candidate"), err
