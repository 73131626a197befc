"""The CLI refuses bad input early and in one line (exit 2, no traceback): a bad cinemas.csv
before the training run, conflicting output options instead of ignoring one, and an offset
past the bound the HTTP service puts on it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from helpers import run_cli as run
from helpers import synthetic_model

import recommender.model.training
from recommender.model import artifact
from recommender.query.limits import MAX_OFFSET
from service.schemas import MAX_OFFSET as HTTP_MAX_OFFSET


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return artifact.save(synthetic_model(n_users=120, n_films=20, seed=3),
                         tmp_path_factory.mktemp("refusals") / "model")


def assert_refused(code: int, err: str, *fragments: str) -> None:
    """Exit 2 and one error line (after argparse's usage, for its own errors) naming it all."""
    assert code == 2, err
    assert "Traceback" not in err, err
    last = err.strip().splitlines()[-1]
    assert "error: " in last, err
    for fragment in fragments:
        assert fragment in last, (fragment, err)


# ------------------------------------------------------------------ train


def test_a_bad_cinemas_file_fails_before_the_training_run(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    rows = [f"u{u},f{(u * 7 + i) % 15},4,{1_700_000_000 + i}" for u in range(30)
            for i in range(6)]
    (data / "interactions.csv").write_text("user_id,film_id,rating,timestamp\n"
                                           + "\n".join(rows) + "\n")
    (data / "cinemas.csv").write_text("cinema_id,city,region,screens,seats\n"
                                      "c1,A,North,2,100\nc2,A,North,two,100\n")
    calls: list[Any] = []

    def train(*args: Any, **kw: Any) -> Any:
        calls.append(args)
        raise AssertionError("the training ran before the cinemas file was checked")

    monkeypatch.setattr(recommender.model.training, "train", train)
    code, _, err = run(capsys, "train", "--data", data, "--out", tmp_path / "model",
                       "--no-tune", "--iterations", 1)
    assert_refused(code, err, f"{data / 'cinemas.csv'}, line 3: screens must be a whole number")
    assert calls == [] and not (tmp_path / "model").exists()


# ------------------------------------------------------------------ --offset


def _offset_commands(model_dir: Path, tmp_path: Path) -> dict[str, list[Any]]:
    model = artifact.load(model_dir)
    film, user = str(model.films.ids[0]), str(model.users.ids[0])
    seeds = tmp_path / "seeds.txt"
    seeds.write_text(user + "\n")
    return {"audience": ["audience", model_dir, film, "--k", 2],
            "search": ["search", model_dir, ""],
            "lookalike": ["lookalike", model_dir, "--seeds", seeds, "--k", 2],
            "cold-start": ["cold-start", model_dir, "--like", film, "--k", 2]}


@pytest.mark.parametrize("command", ["audience", "search", "lookalike", "cold-start"])
def test_offset_is_bounded_as_over_http(capsys: pytest.CaptureFixture[str], model_dir: Path,
                                        tmp_path: Path, command: str) -> None:
    assert MAX_OFFSET == HTTP_MAX_OFFSET == 2**31 - 1  # one constant, used by both surfaces
    argv = _offset_commands(model_dir, tmp_path)[command]
    code, _, err = run(capsys, *argv, "--offset", MAX_OFFSET, "--json")
    assert code == 0, err  # the largest offset: an empty page, as over HTTP
    for big in (MAX_OFFSET + 1, 99999999999999999999):
        code, _, err = run(capsys, *argv, "--offset", big)
        assert_refused(code, err, "argument --offset: expected a number in [0, 2147483647], "
                                  f"got {big}")


# ------------------------------------------------------------------ output options


def test_audience_takes_one_output_format(capsys: pytest.CaptureFixture[str],
                                          model_dir: Path) -> None:
    film = str(artifact.load(model_dir).films.ids[0])
    code, _, err = run(capsys, "audience", model_dir, film, "--json", "--csv")
    assert_refused(code, err, "argument --csv: not allowed with argument --json")
    code, _, err = run(capsys, "audience", model_dir, film, "--csv", "--json")
    assert_refused(code, err, "argument --json: not allowed with argument --csv")
    code, _, err = run(capsys, "audience", model_dir, film, "--json", "--with", "title,region")
    assert_refused(code, err, "--with adds columns to the table and to --csv; --json prints",
                   "drop --with or --json")
    # each alone still answers: --with reaches the CSV, --json the HTTP body
    code, out, err = run(capsys, "audience", model_dir, film, "--k", 3, "--csv", "--with",
                         "title,region")
    assert code == 0, err
    assert out.splitlines()[0].split(",")[-2:] == ["title", "region"]
    code, out, err = run(capsys, "audience", model_dir, film, "--k", 3, "--json")
    assert code == 0 and len(json.loads(out)["users"]) == 3, err


def test_recommend_writes_a_file_or_prints_json_not_both(
        capsys: pytest.CaptureFixture[str], model_dir: Path, tmp_path: Path) -> None:
    user = str(artifact.load(model_dir).users.ids[0])
    out_file = tmp_path / "recs.csv"
    code, _, err = run(capsys, "recommend", model_dir, "--user", user, "--json", "--out",
                       out_file)
    assert_refused(code, err, "argument --out: not allowed with argument --json")
    assert not out_file.exists()
    users = tmp_path / "users.txt"
    users.write_text(user + "\n")
    for who in (["--users", users], ["--all"]):
        code, _, err = run(capsys, "recommend", model_dir, *who, "--json")
        # it names both answers --json prints (it said one --user's alone)
        assert_refused(code, err, "--json prints the HTTP body of one --user's",
                       "or of one --watched FILE's (POST /recommendations)")
    code, out, err = run(capsys, "recommend", model_dir, "--user", user, "--k", 2, "--json")
    assert code == 0 and len(json.loads(out)["films"]) == 2, err
    # --watched FILE --json prints POST /recommendations' body, as --help now says
    watched = tmp_path / "watched.txt"
    film = str(artifact.load(model_dir).films.ids[0])
    watched.write_text(f"{film}\nno-such-film\n")
    code, out, err = run(capsys, "recommend", model_dir, "--watched", watched, "--k", 2,
                         "--json")
    assert code == 0, err
    body = json.loads(out)
    assert len(body["films"]) == 2 and body["unknown_film_ids"] == ["no-such-film"]
    code, out, err = run(capsys, "recommend", "--help")
    assert code == 0, err
    said = " ".join(out.split())
    assert "JSON body (one --user, or --watched FILE)" in said
    code, _, err = run(capsys, "recommend", model_dir, "--user", user, "--out", out_file)
    assert code == 0 and out_file.read_text().count("\n") > 1, err


def test_an_option_given_twice_is_refused(capsys: pytest.CaptureFixture[str], model_dir: Path,
                                          tmp_path: Path) -> None:
    """argparse keeps the last of a repeated option: `--exclude A --exclude B` contacted A's
    opted-out users, `--tier core --tier broad` listed the broad ring. Any option that takes
    one value, given twice, is now refused; those that take several still do."""
    model = artifact.load(model_dir)
    film, user = str(model.films.ids[1]), str(model.users.ids[0])
    slate, a, b = tmp_path / "slate.csv", tmp_path / "a.txt", tmp_path / "b.txt"
    slate.write_text(f"film_id,budget\n{film},5\n")
    a.write_text(f"{user}\n")
    b.write_text(f"{model.users.ids[1]}\n")
    out = tmp_path / "plan.csv"
    for argv, option in (
            (["plan", model_dir, "--slate", slate, "--out", out, "--exclude", a, "--exclude",
              b], "--exclude"),
            (["audience", model_dir, film, "--tier", "core", "--tier", "broad"], "--tier"),
            (["audience", model_dir, film, "--k", 3, "--k", 4], "--k/-k"),
            (["audience", model_dir, film, "-k", 3, "--k", 4], "--k/-k"),
            (["recommend", model_dir, "--user", user, "--k", 3, "--k", 5], "--k/-k")):
        code, _, err = run(capsys, *argv)
        assert_refused(code, err, f"argument {option}: given twice")
        assert not out.exists()
    code, _, err = run(capsys, "search", model_dir, "film", "--limit", 3, "--k", 4)
    assert_refused(code, err, "argument --limit/--k/-k: given twice")
    code, out_text, err = run(capsys, "audience", model_dir, film, "--k", 3, "--filter",
                              "region=North", "--filter", "region=South")
    assert code == 0, err  # --filter takes several (alternatives)
    # a watch list reads film vectors only, which the store's events do not change
    watched = tmp_path / "watched.txt"
    watched.write_text(f"{film}\n")
    code, _, err = run(capsys, "recommend", model_dir, "--watched", watched, "--store",
                       tmp_path / "s.db")
    assert_refused(code, err, "--store applies the campaign store's events to known users")


@pytest.mark.parametrize(("command", "option", "kind"), [
    (["lookalike"], "--seeds", "user"),
    (["recommend"], "--watched", "film"),
])
def test_a_list_whose_every_id_is_unknown_names_the_file(
        model_dir: Path, tmp_path: Path, command: list[str], option: str, kind: str,
        capsys: pytest.CaptureFixture[str]) -> None:
    """Unknown ids of a seed or watch list are skipped; when none is left the error named the
    first id alone ("unknown user_id 'nobody'"), not the file that held them."""
    ids = tmp_path / "ids.txt"
    ids.write_text("nobody\nno-one\n")
    code, _, err = run(capsys, *command, model_dir, option, ids)
    assert_refused(code, err, f"{ids}: none of its ids is a {kind} of the model: "
                              f"unknown {kind}_id")


# ------------------------------------------------------------------ text that is not UTF-8


def test_a_text_argument_that_is_not_utf8_is_refused_as_the_service_refuses_it(
        capsys: pytest.CaptureFixture[str], model_dir: Path) -> None:
    """A byte that is not UTF-8 (a latin-1 terminal's "é") reaches argv as a lone surrogate:
    ``search --json`` ended in a traceback, the table searched "mis rables", and ``cold-start
    --like`` ended in one too, where the service answers 422 for the same bytes."""
    film = synthetic_model(n_users=120, n_films=20, seed=3).films.ids[0]
    for argv, name in ((["search", model_dir, "mis\udce9rables", "--json"], "QUERY"),
                       (["search", model_dir, "mis\udce9rables"], "QUERY"),
                       (["cold-start", model_dir, "--like", film, "--like", "\udce9", "--json"],
                        "--like"),
                       (["audience", model_dir, film, "--segment", "dr\udce9ma"], "--segment")):
        code, out, err = run(capsys, *argv)
        assert_refused(code, err, f"{name} ", "is not UTF-8 text (byte 0xe9)")
        assert out == "", out


def test_a_search_query_longer_than_the_service_takes_is_refused(
        capsys: pytest.CaptureFixture[str], model_dir: Path) -> None:
    """``GET /films`` refuses a query over 1,000 characters (422); ``search`` searched it."""
    from fastapi.testclient import TestClient

    from service.app import create_app
    from service.settings import Settings

    MAX_QUERY = 1000  # noqa: N806 (recommender.query.limits.MAX_QUERY, the schema's maxLength)
    code, out, err = run(capsys, "search", model_dir, "a" * MAX_QUERY, "--json")
    assert code == 0, err
    code, out, err = run(capsys, "search", model_dir, "a" * (MAX_QUERY + 1), "--json")
    assert_refused(code, err, f"query must be at most {MAX_QUERY:,} characters, got 1,001")
    assert out == ""
    with TestClient(create_app(Settings(model_path=str(model_dir), warm_cache=False))) as c:
        assert c.get("/films", params={"query": "a" * MAX_QUERY}).status_code == 200
        assert c.get("/films", params={"query": "a" * (MAX_QUERY + 1)}).status_code == 422


def test_a_like_weight_is_read_as_a_decimal_number_only() -> None:
    """``cold-start --like FILM=WEIGHT`` read the weight with float(), which takes "1_0" as 10
    and an Arabic-Indic digit as 3, as a slate's value did (the HTTP body's weight is a JSON
    number: it cannot be written so)."""
    from recommender.cli.answers import weighted_likes
    from recommender.errors import InvalidParameterError

    model = synthetic_model(n_users=120, n_films=20, seed=3)
    film = str(model.films.ids[0])
    assert weighted_likes(model, [f"{film}=1.5e0"]) == {film: 1.5}
    assert weighted_likes(model, [f"{film}= .5"]) == {film: 0.5}
    for weight in ("1_0", "\u0663", "0x1p0", "nan"):
        with pytest.raises(InvalidParameterError, match="must be a number"):
            weighted_likes(model, [f"{film}={weight}"])


@pytest.mark.parametrize("argv", [
    ["train", "--data", "log.csv", "--out", "m", "--alpha", "1_0"],
    ["train", "--data", "log.csv", "--out", "m", "--regularization", "\u0663"],
    ["train", "--data", "log.csv", "--out", "m", "--min-rating", "\u0664.5"],
    ["plan", "m", "--slate", "s.csv", "--holdout", "0.\u0665"],
    ["campaign", "report", "p", "--store", "s.db", "--window-days", "1_4"],
    # whole numbers too: int() took "5_0" as 50 and "\u0663" as 3, where HTTP refuses both
    ["audience", "m", "f", "--k", "5_0"],
    ["audience", "m", "f", "--k", "\u0663"],
    ["audience", "m", "f", "--offset", "1_0"],
    ["train", "--data", "log.csv", "--out", "m", "--factors", "6\u0664"],
])
def test_a_number_option_is_read_as_a_decimal_number_only(
        argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    """float() took "1_0" as 10 and other scripts' digits ("\u0663" as 3) for every number
    option (training's, --holdout, --window-days), as it did for a slate's value: each is
    refused by argparse, naming the option, before anything is read."""
    from recommender.cli import main

    try:
        code = main(argv)
    except SystemExit as e:
        code = e.code
    assert code == 2
    assert f"argument {next(a for a in reversed(argv[:-1]) if a.startswith('--'))}" in \
        capsys.readouterr().err


# ------------------------------------------------------------------ --k


@pytest.mark.parametrize("command", ["audience", "audience --csv", "similar", "lookalike",
                                     "cold-start", "recommend --user", "recommend --watched"])
def test_k_is_bounded_as_over_http(capsys: pytest.CaptureFixture[str], model_dir: Path,
                                   tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                   command: str) -> None:
    """`audience -k 100000` and `similar -k 20000 --json` printed pages (JSON with "k":
    100000) that the server refuses 422 "k must be in [1, 10000]": the CLI's answers keep to
    the server's largest page (RECOMMENDER_MAX_K, 10,000 unset), naming the option and the
    variable (the message said neither, while --k 0 was told "argument --k/-k: ...")."""
    from service.settings import Settings

    monkeypatch.delenv("RECOMMENDER_MAX_K", raising=False)
    served = Settings().max_k  # the server's own default: the oracle
    model = artifact.load(model_dir)
    film, user = str(model.films.ids[0]), str(model.users.ids[0])
    (tmp_path / "seeds.txt").write_text(user + "\n")
    (tmp_path / "watched.txt").write_text(film + "\n")
    argv: list[Any] = {
        "audience": ["audience", model_dir, film], "similar": ["similar", model_dir, film],
        "audience --csv": ["audience", model_dir, film, "--csv"],
        "lookalike": ["lookalike", model_dir, "--seeds", tmp_path / "seeds.txt"],
        "cold-start": ["cold-start", model_dir, "--like", film],
        "recommend --user": ["recommend", model_dir, "--user", user, "--json"],
        "recommend --watched": ["recommend", model_dir, "--watched", tmp_path / "watched.txt"],
    }[command]
    for big in (served + 1, 100_000):
        code, _, err = run(capsys, *argv, "-k", big)
        assert_refused(code, err, f"argument --k/-k: expected a number at most {served} (",
                       "RECOMMENDER_MAX_K", f"got {big}")
    code, _, err = run(capsys, *argv, "-k", served)
    assert code == 0, err
    monkeypatch.setenv("RECOMMENDER_MAX_K", "3")  # the server's setting, read alike
    assert Settings().max_k == 3
    code, _, err = run(capsys, *argv, "-k", 4)
    assert_refused(code, err, "argument --k/-k: expected a number at most 3 (",
                   "RECOMMENDER_MAX_K", "got 4")
    code, _, err = run(capsys, *argv, "-k", 3)
    assert code == 0, err


def test_exports_are_not_bounded_as_pages(capsys: pytest.CaptureFixture[str], model_dir: Path,
                                          tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                          ) -> None:
    """`audiences` and `recommend --all --out` write files, not pages: any k."""
    monkeypatch.setenv("RECOMMENDER_MAX_K", "3")
    code, out, err = run(capsys, "audiences", model_dir, "--all", "-k", 50,
                         "--out", tmp_path / "a.csv")
    assert code == 0, err
    code, out, err = run(capsys, "recommend", model_dir, "--all", "-k", 15,
                         "--out", tmp_path / "r.csv")
    assert code == 0, err
    assert len((tmp_path / "r.csv").read_text().splitlines()) > 3 * 120
    # an export without --out is told it needs one, whatever its k (not to lower k)
    code, out, err = run(capsys, "recommend", model_dir, "--all", "-k", 15)
    assert code != 0 and "need --out" in err and "k must be" not in err, err


def test_a_like_film_given_twice_is_noted(capsys: pytest.CaptureFixture[str],
                                          model_dir: Path, tmp_path: Path) -> None:
    """`cold-start --like 2571 2571=3` took the weight 3 unsaid, where lookalike notes a seed
    given twice: each film named more than once is noted on stderr (read once, its weight);
    the answer is that of the film given once with that weight."""
    model = artifact.load(model_dir)
    a, b = str(model.films.ids[0]), str(model.films.ids[1])
    code, twice, err = run(capsys, "cold-start", model_dir, "--like", a, f"{a}=3", b, b,
                           "--json")
    assert code == 0, err
    notes = [line for line in err.splitlines() if line.startswith("note: --like")]
    assert notes == [f"note: --like names film {a!r} 2 times: read once, weight 3",
                     f"note: --like names film {b!r} 2 times: read once, weight 1"]
    code, once, err = run(capsys, "cold-start", model_dir, "--like", f"{a}=3", b, "--json")
    assert code == 0 and "note: --like" not in err, err
    assert json.loads(twice) == json.loads(once)
    # lookalike's own note on a seed given twice, the precedent
    (tmp_path / "seeds.txt").write_text(f"{model.users.ids[0]}\n{model.users.ids[0]}\n")
    code, _, err = run(capsys, "lookalike", model_dir, "--seeds", tmp_path / "seeds.txt")
    assert code == 0 and "duplicate id dropped" in err, err


def test_search_limit_is_bounded_as_over_http(capsys: pytest.CaptureFixture[str],
                                              model_dir: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """`search --limit` was bounded by a fixed 1000 while `GET /films?limit=` reads
    RECOMMENDER_MAX_SEARCH_LIMIT: the CLI keeps to the server's setting, with its message."""
    from service.settings import Settings

    monkeypatch.delenv("RECOMMENDER_MAX_SEARCH_LIMIT", raising=False)
    served = Settings().max_search_limit  # the server's own default: the oracle
    code, _, err = run(capsys, "search", model_dir, "", "--limit", served + 1)
    assert_refused(code, err, f"argument --limit/--k/-k: expected a number at most {served} "
                              "(the largest search page, RECOMMENDER_MAX_SEARCH_LIMIT, as the "
                              f"server's), got {served + 1}")  # named as --k's bound is
    code, out, err = run(capsys, "search", model_dir, "", "--limit", served, "--json")
    assert code == 0, err
    assert json.loads(out)["limit"] == served
    monkeypatch.setenv("RECOMMENDER_MAX_SEARCH_LIMIT", "3")  # the server's setting, read alike
    assert Settings().max_search_limit == 3
    code, _, err = run(capsys, "search", model_dir, "", "--limit", 4)
    assert_refused(code, err, "expected a number at most 3 (the largest search page, "
                              "RECOMMENDER_MAX_SEARCH_LIMIT, as the server's), got 4")
    code, out, err = run(capsys, "search", model_dir, "", "-k", 3, "--json")
    assert code == 0, err
    assert len(json.loads(out)["films"]) == 3
    monkeypatch.setenv("RECOMMENDER_MAX_SEARCH_LIMIT", "0")  # refused, naming the variable
    code, _, err = run(capsys, "search", model_dir, "", "--limit", 1)
    assert_refused(code, err, "RECOMMENDER_MAX_SEARCH_LIMIT='0' must be at least 1")


def test_exports_take_a_k_above_the_largest_page(capsys: pytest.CaptureFixture[str],
                                                model_dir: Path, tmp_path: Path) -> None:
    """`audiences --all -k 100001` and `recommend --all -k 200000 --out` answered "k must be
    in [1, 100000]" though the README and --help say exports take any k: a k above the
    candidates lists them all, the rows of a k of exactly the candidates."""
    model = artifact.load(model_dir)
    viewers = model.film_counts()
    for argv, full, big, rows in (
            (["audiences", model_dir, "--all"], model.n_users, 100_001,
             int((model.n_users - viewers).sum())),
            (["audiences", model_dir, "--all", "--segment", "0"], model.n_users, 100_001, None),
            (["recommend", model_dir, "--all"], model.n_films, 200_000,
             model.n_users * model.n_films - int(viewers.sum()))):
        texts = []
        for k in (full, big):
            out = tmp_path / f"{argv[0]}{len(argv)}_{k}.csv"
            code, _, err = run(capsys, *argv, "-k", k, "--out", out)
            assert code == 0, err
            texts.append(out.read_text())
        assert texts[0] == texts[1]
        if rows is not None:
            assert len(texts[1].splitlines()) == rows + 1  # every candidate, and the header


@pytest.mark.parametrize("sign", ["", "-"])
def test_a_segment_of_thousands_of_digits_is_refused_as_a_long_one_is(
        capsys: pytest.CaptureFixture[str], model_dir: Path, sign: str) -> None:
    """``audience --segment 999...`` (5,000 nines) ended in int()'s ValueError ("Exceeds the
    limit (4300 digits)"), where 23 nines were refused: both are now, as the service's 422."""
    model = synthetic_model(n_users=120, n_films=20, seed=3)
    film, n = model.films.ids[0], model.segments.n
    for digits in (23, 5000):
        number = sign + "9" * digits
        shown = number if digits <= 30 else f"{number[:12]}... ({digits:,} digits)"
        code, out, err = run(capsys, "audience", model_dir, film, f"--segment={number}")
        assert_refused(code, err, f"segment must be in [0, {n - 1}], got {shown}; ")
        assert out == ""
