"""A catalog whose film ids are not the log's (``1`` in ``movies.csv`` for the log's ``01``)
was said only as "N films of the catalog without an interaction": ``train`` counted nothing and
named no cause, and ``search`` then said the training data named no title. ``train`` now counts
the catalog's ids that are films of the log, names id pairs that differ by leading zeros,
case or spaces, and names the log's films the catalog gives no row; ``search`` says the catalog
had titles, none for a film of the log. Oracle: the ids written into the files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from helpers import run_cli

N_USERS, N_FILMS = 40, 12


def _movielens(folder: Path, log_id: Any, catalog: list[int]) -> Path:
    """A MovieLens-latest folder: ratings.csv naming film ``log_id(f)``, movies.csv naming
    the films ``catalog`` by their bare number."""
    folder.mkdir()
    rows = "".join(f"{u},{log_id((u + k) % N_FILMS + 1)},4.0,{1000 + u * 10 + k}\n"
                   for u in range(1, N_USERS + 1) for k in range(5))
    (folder / "ratings.csv").write_text("userId,movieId,rating,timestamp\n" + rows)
    (folder / "movies.csv").write_text("movieId,title,genres\n" + "".join(
        f"{f},Toy Story {f} (1995),Comedy\n" for f in catalog))
    return folder


def _train(capsys: Any, data: Path, out: Path) -> tuple[str, str]:
    code, stdout, err = run_cli(capsys, "train", "--data", data, "--out", out, "--no-tune",
                                "--factors", 4, "--iterations", 2, "--segments", 1)
    assert code == 0, err
    return stdout, err


def test_a_catalog_matching_no_film_of_the_log_is_counted_and_explained(
        tmp_path: Path, capsys: Any) -> None:
    data = _movielens(tmp_path / "data", lambda f: f"{f:03d}", list(range(1, N_FILMS + 1)))
    out, err = _train(capsys, data, tmp_path / "m")
    assert (f"warning: the catalog of {data}: 0 of its {N_FILMS} film ids are films of the "
            f"log (0.0% of its {N_FILMS} films): {N_FILMS} of them match a film of the log "
            "only once leading zeros") in err, err
    assert "('1' for '001', '2' for '002', '3' for '003')" in err
    code, out, err = run_cli(capsys, "search", tmp_path / "m", "toy story")
    assert code == 0, err
    assert "its training data named none" not in out  # it named 12 titles
    assert (f"the training catalog had {N_FILMS} films, none of them a film of the log: "
            f"{N_FILMS} of them match a film of the log only once leading zeros") in out, out


def test_a_matching_catalog_is_counted_and_its_missing_films_named(
        tmp_path: Path, capsys: Any) -> None:
    # the log's films 11 and 12 have no catalog row; the catalog's 13 no interaction
    data = _movielens(tmp_path / "data", str, [*range(1, N_FILMS - 1), 13])
    out, err = _train(capsys, data, tmp_path / "m")
    assert (f"the catalog of {data}: {N_FILMS - 2} of its {N_FILMS - 1} film ids are films of "
            f"the log ({(N_FILMS - 2) / N_FILMS:.1%} of its {N_FILMS} films)") in out, out
    assert (f"note: 2 of the log's {N_FILMS} films have no row in the catalog of {data} "
            "('11', '12'): they are untitled") in err, err
    assert "match a film of the log only once" not in err


def test_a_films_file_matching_no_film_names_the_pairs(tmp_path: Path, capsys: Any) -> None:
    # a project folder's films.csv whose every id lost its zeros: the pairs were named only
    # when some ids matched; none matching got a guess at the cause alone
    data = tmp_path / "data"
    data.mkdir()
    (data / "interactions.csv").write_text("user_id,film_id\n" + "".join(
        f"u{u},{(u + k) % N_FILMS + 1:03d}\n" for u in range(N_USERS) for k in range(5)))
    (data / "films.csv").write_text("film_id,title\n" + "".join(
        f"{f},Film {f}\n" for f in range(1, N_FILMS + 1)))
    _, err = _train(capsys, data, tmp_path / "m")
    assert (f"{data / 'films.csv'}: {N_FILMS} of its film ids match a film of the log only once "
            "leading zeros are dropped ('1' for '001', '2' for '002', '3' for '003')") in err, err


def test_a_model_from_before_the_coverage_is_told_what_was_said_before() -> None:
    """A model trained before ``catalog_coverage`` was recorded, whose catalog had films
    without interactions and no title: which of its films were the log's is unknown, so the
    message does not claim that none were (the older sentence stands)."""
    from types import SimpleNamespace

    from recommender.cli.catalog_ids import no_titles
    from recommender.model import catalog_only

    old = SimpleNamespace(meta={catalog_only.KEY: {"count": 3}})
    said = no_titles(old)  # type: ignore[arg-type]
    assert "none of them a film of the log" not in said
    assert "its training data named none" in said
    now = SimpleNamespace(meta={catalog_only.COVERAGE: {"films": 3, "of_the_log": 0}})
    assert "the training catalog had 3 films, none of them a film of the log" in \
        no_titles(now)  # type: ignore[arg-type]
