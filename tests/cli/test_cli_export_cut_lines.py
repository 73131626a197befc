"""An export's line names every choice its rows depend on, as the HTTP download's name does.

A CSV has no place for its context: the line that reports an export (``audiences``,
``recommend --out``) and ``audience --csv``'s note on stderr are all a reader keeps. They named
the ring, segment and filters but not ``--include-seen`` (the HTTP ``audience.csv`` is named
``..._with_viewers``, a Parquet export's metadata holds ``exclude_seen``): a list that holds
users who already watched each film read as one of new viewers only; and ``audience --csv``
named no cut at all (the download's name holds its ring, segment, filters and first rank).

Oracle: the HTTP download's ``Content-Disposition`` name for the same request, and the
Parquet metadata's ``exclude_seen``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient
from service_fixtures import save_model

from service.app import create_app
from service.settings import Settings
from tests.helpers import run_cli

FILM = "00004"


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_model(tmp_path_factory.mktemp("cut-lines") / "model")


@pytest.fixture(scope="module")
def client(model_dir: Path) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(model_path=str(model_dir), warm_cache=False))) as c:
        yield c


def test_audiences_line_says_viewers_are_included(
        model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    films = tmp_path / "films.txt"
    films.write_text(f"{FILM}\n")
    out_path = tmp_path / "a.parquet"
    code, out, err = run_cli(capsys, "audiences", model_dir, "--films", films, "--k", 2,
                             "--include-seen", "--out", out_path)
    assert code == 0, err
    meta = json.loads(pq.read_schema(out_path).metadata[b"recommender"])
    assert meta["parameters"]["exclude_seen"] is False
    assert out.startswith("wrote 2 rows (1 film x top 2, viewers included) to "), out
    code, out, err = run_cli(capsys, "audiences", model_dir, "--films", films, "--k", 2,
                             "--out", tmp_path / "b.csv")
    assert code == 0 and out.startswith("wrote 2 rows (1 film x top 2) to "), (out, err)


def test_recommend_line_says_watched_films_are_included(
        model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(capsys, "recommend", model_dir, "--all", "--k", 1,
                             "--include-seen", "--out", tmp_path / "r.csv")
    assert code == 0, err
    assert " x top 1, watched films included) to " in out, out
    code, out, err = run_cli(capsys, "recommend", model_dir, "--all", "--k", 1,
                             "--out", tmp_path / "s.csv")
    assert code == 0 and " x top 1) to " in out, (out, err)


def test_audience_csv_note_names_the_cut_the_download_names(
        client: TestClient, model_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    http = client.get(f"/films/{FILM}/audience.csv",
                      params={"k": "2", "offset": "1", "tier": "broad", "segment": "0",
                              "exclude_seen": "false"})
    assert http.status_code == 200, http.text
    name = http.headers["Content-Disposition"]
    assert "broad_segment0_with_viewers_from2" in name, name
    code, out, err = run_cli(capsys, "audience", model_dir, FILM, "--k", 2, "--offset", 1,
                             "--tier", "BROAD", "--segment", 0, "--include-seen", "--csv")
    assert code == 0 and out == http.text
    note = err.splitlines()[-1]
    assert note.startswith(f"note: audience of film '{FILM}' (broad ring, segment 0 ("), note
    assert note.split(") from model ")[0].endswith("viewers included, offset 1"), note
    assert note.endswith(f"{http.headers['X-Model-Version']} as trained"), note


@pytest.mark.parametrize("include_seen", [False, True])
def test_audiences_line_says_all_candidates_where_k_is_past_them(
        model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        include_seen: bool) -> None:
    """"(1 film x top 100001)" repeated k as typed where the film has fewer candidates: the
    rows per film are all its candidates (its non-viewers; every user with --include-seen),
    counted from the written file."""
    import pyarrow.csv as pacsv

    films = tmp_path / "films.txt"
    films.write_text(f"{FILM}\n")
    seen = ["--include-seen"] if include_seen else []
    code, out, err = run_cli(capsys, "audiences", model_dir, "--films", films, "--k", 100_001,
                             *seen, "--out", tmp_path / "all.csv")
    assert code == 0, err
    rows = pacsv.read_csv(tmp_path / "all.csv").num_rows  # the oracle: what the file holds
    cut = ", viewers included" if include_seen else ""
    assert out.startswith(f"wrote {rows:,} rows (1 film x all {rows:,} candidates{cut}) to "), out
    assert "100001" not in out and "100,001" not in out


@pytest.mark.parametrize("include_seen", [False, True])
def test_recommend_line_says_all_films_where_k_is_past_the_catalog(
        model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        include_seen: bool) -> None:
    """"(N users x top 200000)" repeated k as typed past the catalog: each user's rows are all
    the films (all their unwatched ones without --include-seen); the row count is the file's."""
    import pyarrow.csv as pacsv

    from recommender.model import artifact

    n_films = artifact.load(model_dir).n_films
    seen = ["--include-seen"] if include_seen else []
    code, out, err = run_cli(capsys, "recommend", model_dir, "--all", "--k", 200_000, *seen,
                             "--out", tmp_path / "all.csv")
    assert code == 0, err
    rows = pacsv.read_csv(tmp_path / "all.csv").num_rows
    top = f"all {n_films:,} films, watched films included" if include_seen else \
        "all their unwatched films"
    assert f" x {top}) to " in out and out.startswith(f"wrote {rows:,} rows ("), out
    assert "200000" not in out and "200,000" not in out


@pytest.mark.parametrize("cut", [["--tier", "core"], ["--segment", "0"]])
def test_audiences_line_keeps_top_k_where_a_cut_narrows_the_rows(
        model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        cut: list[str]) -> None:
    """A ring or a segment leaves fewer rows than the film's candidates: "all 193
    candidates, core ring" beside 2 rows was untrue; the line keeps the k typed."""
    import pyarrow.csv as pacsv

    films = tmp_path / "films.txt"
    films.write_text(f"{FILM}\n")
    code, out, err = run_cli(capsys, "audiences", model_dir, "--films", films, "--k", 100_001,
                             *cut, "--out", tmp_path / "cut.csv")
    assert code == 0, err
    rows = pacsv.read_csv(tmp_path / "cut.csv").num_rows
    assert out.startswith(f"wrote {rows:,} rows (1 film x top 100001, "), out
    assert "candidates" not in out.split(" to ")[0], out


@pytest.mark.parametrize(("cut", "narrows"), [
    (["--filter", "region=R0"], True), (["--pseudonymize"], False),
    (["--pseudonymize", "--include-seen"], False)])
def test_audiences_line_says_all_candidates_unless_the_cut_narrows(
        model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch, cut: list[str], narrows: bool) -> None:
    """Pseudonyms leave every candidate in, a filter does not: the line says "all N
    candidates" beside the first (N the rows the file holds), the k typed beside the other
    (``printing.ExportCut.narrows``)."""
    import pyarrow.csv as pacsv

    monkeypatch.setenv("RECOMMENDER_PSEUDONYM_KEY", "k" * 32)
    films = tmp_path / "films.txt"
    films.write_text(f"{FILM}\n")
    code, out, err = run_cli(capsys, "audiences", model_dir, "--films", films, "--k", 100_001,
                             *cut, "--out", tmp_path / "cut.csv")
    assert code == 0, err
    rows = pacsv.read_csv(tmp_path / "cut.csv").num_rows
    said = out.split(" to ")[0]
    if narrows:
        assert said.startswith(f"wrote {rows:,} rows (1 film x top 100001, region=R0"), out
    else:
        assert said.startswith(f"wrote {rows:,} rows (1 film x all {rows:,} candidates, "), out
        assert said.endswith("pseudonymized)"), out
