"""A slate file may carry a ``title`` column, a person's check that each id is the film meant
(campaign ``plan --slate`` and ``distribution --slate``): a title that does not name the
model's film is refused naming the line; an unknown id lists the films its title matches.
Before, either slate refused the column ("unknown column 'title'", "expected the header")."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import run_cli
from service_fixtures import save_model

from recommender.campaigns.slate import read_slate as read_plan_slate
from recommender.distribution.slate_file import read_slate as read_screens_slate

CINEMAS = ("c1", "c2")


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_model(tmp_path_factory.mktemp("slate_titles") / "model", cinemas=list(CINEMAS))


def write(folder: Path, name: str, text: str) -> Path:
    (folder / name).write_text(text, encoding="utf-8")
    return folder / name


def test_readers_keep_the_title(tmp_path: Path) -> None:
    plan = write(tmp_path, "p.csv",
                 "film_id,budget,title,value\n00000,5, The Matrix ,2\n00002,3,,\n")
    got = read_plan_slate(plan)
    assert [(f.film_id, f.budget, f.value, f.title) for f in got] == [
        ("00000", 5, 2.0, "The Matrix"), ("00002", 3, 1.0, "")]
    screens = write(tmp_path, "s.csv", "title,film_id,max_screens\nThe Matrix,00000,2\n")
    assert [(f.film_id, f.max_screens, f.title) for f in read_screens_slate(screens)] == [
        ("00000", 2, "The Matrix")]


@pytest.mark.parametrize("command", ["plan", "distribution"])
def test_titles_are_checked_against_the_model(command: str, model_dir: Path, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    cols = "film_id,budget,title\n" if command == "plan" else "film_id,max_screens,title\n"
    screens = write(tmp_path, "screens.csv", "cinema_id,screens\nc1,2\nc2,2\n")

    def run(slate: Path) -> tuple[int, str, str]:
        extra = (["--out", tmp_path / "plan.csv"] if command == "plan"
                 else ["--screens-per-cinema", screens, "--json"])
        return run_cli(capsys, command, model_dir, "--slate", slate, *extra)

    # as people type them: article, case, accents and a year aside
    good = write(tmp_path, "good.csv", cols + "00000,2,the matrix\n00002,2,"
                 "\"le fabuleux destin d'amelie 1992\"\n")
    code, _, err = run(good)
    assert code == 0, err
    (tmp_path / "plan.csv").unlink(missing_ok=True)  # the refusals below write no plan
    wrong = write(tmp_path, "wrong.csv", cols + "00000,2,The Matrix\n00002,2,Heat\n")
    code, out, err = run(wrong)
    assert code == 2 and out == ""
    assert err.strip() == (
        f"error: {wrong}, line 3: film_id '00002' is Le Fabuleux Destin d'Amélie (1992) in the "
        "model, not 'Heat' (the title column checks that each id is the film meant: correct "
        "the id, or the title as the model has it)")
    year = write(tmp_path, "year.csv", cols + "00000,2,The Matrix 1999\n")
    code, _, err = run(year)
    assert code == 2 and "line 2: film_id '00000' is The Matrix (1990) in the model" in err
    unknown = write(tmp_path, "unknown.csv", cols + "99999,2,The Matrix\n")
    code, _, err = run(unknown)
    assert code == 2 and err.startswith(
        f"error: {unknown}, line 2: unknown film_id '99999'; its title 'The Matrix' matches "
        "titles: 00000 The Matrix (1990)")
    assert not (tmp_path / "plan.csv").exists()


@pytest.mark.parametrize(("slate", "said"), [
    ("film_id,min_screens\n00000,4\n00002,3\n",
     "the films' min_screens add up to 7, more than the 5 screens available in "),
    ("film_id,max_screens\n00000,1\n00002,2\n",
     "the films' max_screens add up to 3, fewer than the 5 screens to fill in "),
])
def test_bounds_the_screens_cannot_meet_name_the_files_and_films(
        model_dir: Path, tmp_path: Path, slate: str, said: str,
        capsys: pytest.CaptureFixture[str]) -> None:
    # the refusal named neither file nor film ("the films' min_screens add up to 7, more
    # than the 5 screens available"), where every other slate error names the file and line
    screens = write(tmp_path, "screens.csv", "cinema_id,screens\nc1,2\nc2,3\n")
    code, _, err = run_cli(capsys, "distribution", model_dir, "--slate",
                           write(tmp_path, "s.csv", slate), "--screens-per-cinema", screens)
    bound = "min_screens" if "min_screens" in slate else "max_screens"
    assert code == 2 and err.startswith(f"error: {tmp_path / 's.csv'}: {said}{screens} (")
    # each film with its bound: the ids alone read as the bounds ("max_screens: 50 on line 2,
    # 181 on line 3" for bounds of 3 and 2)
    values = (4, 3) if bound == "min_screens" else (1, 2)
    assert err.rstrip().endswith(f"({bound}: film 00000: {values[0]} on line 2, film 00002: "
                                 f"{values[1]} on line 3)"), err


def test_a_title_is_read_as_search_reads_it_numerals_and_spaces_aside(tmp_path: Path) -> None:
    """Search finds Rocky II for "rocky 2", Spider-Man for "spiderman" and Ocean's Eleven for
    "ocean's 11" as their whole titles; the slate's title check refused each as another
    film's title ("film_id '00020' is Rocky II (2010) in the model, not 'Rocky 2'")."""
    import dataclasses

    import numpy as np
    from service_fixtures import build_model

    from recommender.cli.checks import slate_films_known
    from recommender.errors import DataError
    from recommender.query.catalog import search_films

    m = build_model()
    titles = m.catalog.titles.astype(object)
    titles[[0, 1, 2]] = ["Rocky II", "Spider-Man", "Ocean's Eleven"]
    model = dataclasses.replace(m, catalog=dataclasses.replace(
        m.catalog, titles=np.asarray(titles, dtype=str)))
    typed = ["Rocky 2", "spiderman", "ocean's 11"]
    for f, text in enumerate(typed):
        top = search_films(model, text, limit=1)[1][0]
        assert (top["film_id"], top["match"]["kind"]) == (model.films.ids[f], "title"), text
    slate = write(tmp_path, "s.csv", "film_id,budget,title\n" + "".join(
        f"{model.films.ids[f]},2,{text}\n" for f, text in enumerate(typed)))
    slate_films_known(model, str(slate), read_plan_slate(slate))  # each names its film
    wrong = write(tmp_path, "w.csv", f"film_id,budget,title\n{model.films.ids[0]},2,Rocky 3\n")
    with pytest.raises(DataError, match="is Rocky II .* not 'Rocky 3'"):
        slate_films_known(model, str(wrong), read_plan_slate(wrong))


def test_a_typed_number_word_is_not_read_as_digits_as_search_reads_a_query(
        tmp_path: Path) -> None:
    """Search reads a query's number words in digits only as a second reading, below the
    words as typed ("nine" finds Nine first, then 9 (2009), another film of that year); the
    slate's title check took "Nine" as naming 9, so a slate's wrong id passed it. A catalog
    title's number words are still keyed in digits: "9" names Nine, as search finds Nine for
    "9"."""
    import dataclasses

    import numpy as np
    from service_fixtures import build_model

    from recommender.cli.checks import slate_films_known
    from recommender.errors import DataError
    from recommender.query.catalog import search_films

    m = build_model()
    titles = m.catalog.titles.astype(object)
    titles[[0, 1]] = ["9", "Nine"]
    model = dataclasses.replace(m, catalog=dataclasses.replace(
        m.catalog, titles=np.asarray(titles, dtype=str)))
    nine, word = model.films.ids[0], model.films.ids[1]
    found = [r["film_id"] for r in search_films(model, "Nine", limit=10)[1]]
    assert found[0] == word and found.index(nine) > 0  # the words as typed first
    assert word in [r["film_id"] for r in search_films(model, "9", limit=10)[1]]
    ok = write(tmp_path, "s.csv", f"film_id,budget,title\n{word},2,Nine\n")
    slate_films_known(model, str(ok), read_plan_slate(ok))
    # "9" names Nine as search reads it, but is exactly another film's title: refused, both
    # named (test_slate_exact_titles)
    other = write(tmp_path, "o.csv", f"film_id,budget,title\n{word},2,9\n")
    with pytest.raises(DataError, match="exactly the title of 9 .* another film than"):
        slate_films_known(model, str(other), read_plan_slate(other))
    wrong = write(tmp_path, "w.csv", f"film_id,budget,title\n{nine},2,Nine\n")
    with pytest.raises(DataError, match="title 'Nine' is exactly the title of Nine"):
        slate_films_known(model, str(wrong), read_plan_slate(wrong))


@pytest.mark.parametrize(("name", "text", "said"), [
    ("absent.csv", None, "no such file (expected a cinemas CSV with the header "
                         "cinema_id,screens)"),
    ("empty.csv", "", "empty file; expected the header cinema_id,screens"),
    ("other.csv", "cinema,screens\nc1,2\n", "the header must name cinema_id and screens "
                                           "(expected cinema_id,screens)"),
])
def test_a_screens_file_is_told_the_header_it_needs(
        model_dir: Path, tmp_path: Path, name: str, text: str | None, said: str,
        capsys: pytest.CaptureFixture[str]) -> None:
    # --screens-per-cinema reads cinema_id and screens alone: it was asked for the whole
    # cinema table's header (cinema_id,city,region,screens,seats)
    screens = tmp_path / name if text is None else write(tmp_path, name, text)
    slate = write(tmp_path, "s.csv", "film_id,max_screens\n00000,1\n")
    code, out, err = run_cli(capsys, "distribution", model_dir, "--slate", slate,
                             "--screens-per-cinema", screens)
    assert code == 2 and out == "" and said in err, err
    assert "city" not in err


def test_the_slate_table_shows_expected_new_as_the_body_does(
        model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # the table rounded to 1 decimal (7.5, 7.7, 8.0) where the body, the allocation's rows
    # and every other table give 3
    import json

    screens = write(tmp_path, "screens.csv", "cinema_id,screens\nc1,2\nc2,3\n")
    slate = write(tmp_path, "s.csv", "film_id\n00000\n00002\n")
    args = ("distribution", model_dir, "--slate", slate, "--screens-per-cinema", screens)
    code, out, _ = run_cli(capsys, *args, "--json")
    assert code == 0
    body = json.loads(out)
    code, out, _ = run_cli(capsys, *args)
    assert code == 0
    rows = {line.split()[0]: line.split() for line in out.splitlines()
            if line.split() and line.split()[0] in {"00000", "00002"}}
    for film in body["films"]:
        assert rows[film["film_id"]][-1] == f"{film['expected_new']:.3f}", out
