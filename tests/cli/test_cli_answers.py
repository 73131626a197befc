"""The CLI's answers that the HTTP service also gives (search, summary, similar, lookalike,
cold start, segments): `--json` prints the endpoint's body byte for byte, unknown ids exit 2
with one `error:` line, and the text form names what it found."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from helpers import run_cli as run
from httpx import Response
from service_fixtures import GENRES, ODD_FILM_ID, ODD_USER_ID, save_model

from service.app import create_app
from service.settings import Settings


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_model(tmp_path_factory.mktemp("answers") / "model")


@pytest.fixture(scope="module")
def client(model_dir: Path) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(model_path=str(model_dir)))) as c:
        yield c


def same_body(capsys: pytest.CaptureFixture[str], http: Response, *argv: Any) -> None:
    assert http.status_code == 200, http.text
    code, out, err = run(capsys, *argv, "--json")
    assert code == 0, err
    assert out == http.content.decode() + "\n"


def bad_input(capsys: pytest.CaptureFixture[str], *argv: Any) -> str:
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    return lines[0]


def test_search(client: TestClient, model_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    http = client.get("/films", params={"query": "é", "limit": 5})
    same_body(capsys, http, "search", model_dir, "é", "--k", 5)
    same_body(capsys, client.get("/films", params={"query": "", "limit": 3, "offset": 2,
                                                   "genre": GENRES[1]}),
              "search", model_dir, "", "--limit", 3, "--offset", 2, "--genre", GENRES[1])
    code, out, _ = run(capsys, "search", model_dir, ODD_FILM_ID)
    assert code == 0 and ODD_FILM_ID in out
    # the search mode: the HTTP parameter's CLI option, the same body (an id is no title's
    # substring: film_id matches are the default mode's), its kinds said under the header
    for mode in ("any", "substring"):
        http = client.get("/films", params={"query": "00000", "match": mode})
        assert http.json()["match"] == mode and http.json()["total"] == (mode == "any")
        same_body(capsys, http, "search", model_dir, "00000", "--match", mode)
    code, out, _ = run(capsys, "search", model_dir, "matr", "--match", "substring")
    assert code == 0 and out.splitlines()[1] == ("by kind of match: 1 title_start (only "
                                                 "titles holding the query)"), out
    # the CLI names the model's genres as HTTP does (it said only "unknown genre 'Nope'")
    message = bad_input(capsys, "search", model_dir, "", "--genre", "Nope")
    http = client.get("/films", params={"query": "", "genre": "Nope"})
    assert http.status_code == 422 and message == "error: " + http.json()["detail"]
    assert f"this model's genres are: {GENRES[0]}" in message
    # spaces around a genre are ignored, as around a segment
    code, out, _ = run(capsys, "search", model_dir, "", "--limit", 3, "--genre",
                       f" {GENRES[1].lower()} ", "--json")
    assert code == 0 and json.loads(out)["films"] == client.get("/films", params={
        "query": "", "limit": 3, "genre": GENRES[1]}).json()["films"]
    assert "limit" in bad_input(capsys, "search", model_dir, "x", "--limit", 1001)


def test_a_search_page_says_which_matches_it_shows(
        client: TestClient, model_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``search --offset 2 --limit 3`` headed its page 'showing 3', as the first page is
    headed: the offset asked for was nowhere in the answer; past the last match it said
    'showing 0' and no why. Oracle: the HTTP body's total and films for the same page."""
    body = client.get("/films", params={"query": "", "limit": 3, "offset": 2}).json()
    assert body["total"] > 5 and len(body["films"]) == 3
    code, out, _ = run(capsys, "search", model_dir, "", "--limit", 3, "--offset", 2)
    head = out.splitlines()[0]
    assert code == 0 and head == f"{body['total']:,} films match ''; showing 3-5", head
    assert [line.split()[0] for line in out.splitlines()[3:6]] == [
        f["film_id"] for f in body["films"]]
    past = body["total"] + 7
    assert client.get("/films", params={"query": "", "offset": past}).json()["films"] == []
    code, out, _ = run(capsys, "search", model_dir, "", "--offset", past)
    assert code == 0 and out.strip() == (f"{body['total']:,} films match ''; no films at "
                                         f"matches {past + 1:,}+ (the search has "
                                         f"{body['total']:,})")


def test_summary(client: TestClient, model_dir: Path,
                 capsys: pytest.CaptureFixture[str]) -> None:
    http = client.get(f"/films/{ODD_FILM_ID}/audience/summary")
    same_body(capsys, http, "summary", model_dir, ODD_FILM_ID)
    same_body(capsys, client.get("/films/00002/audience/summary",
                                 params={"exclude_seen": "false"}),
              "summary", model_dir, "00002", "--include-seen")
    code, out, _ = run(capsys, "summary", model_dir, "00002")
    body = http.json()
    assert code == 0 and "core" in out
    # the probability horizon is printed next to the expected conversions
    days, text = body["horizon"]["days"], body["horizon"]["description"]
    assert (f"conversion within {days:g} days" if days else "conversion (horizon below)") in out
    assert f"conversion = the tier's mean {text.split(';')[0]}" in out
    # each ring's 95% interval (the same draws in the CLI and the service: the bodies above
    # are equal byte for byte) beside its conversion, under a header with its unit
    header = next(line for line in out.splitlines() if line.startswith("tier "))
    assert re.search(r"conversion (?:within \S+ days|\(horizon below\))\s+"
                     r"95% interval \(0-1\)\s+lift\s", header), header
    full = client.get("/films/00002/audience/summary").json()
    for t in full["tiers"]:
        lo, hi = t["expected_conversion_interval"]
        row = next(line for line in out.splitlines() if line.startswith(t["tier"] + " "))
        # the JSON's values as printed (4 significant digits below 0.01, not cut to 5 decimals)
        cells = re.search(r"\s([0-9.]+)\s+([0-9.]+) to ([0-9.]+)\s+[0-9.]+\s", row)
        assert cells, row
        assert [float(x) for x in cells.groups()] == [t["expected_conversion"], lo, hi], row
    assert full["conversion_interval_note"] in out
    assert http.json()["tiers"][0]["expected_conversion_interval"] is not None
    shown = client.get("/films/00002/audience/summary").json()["segments"]
    assert shown and all(s["label"] in out for s in shown)  # the printed film's own split
    # the segments ring by ring: each row holds the body's count of every ring and of all
    # ('-' where privacy left the cell out); the overall cells go first, so printing only them
    # hid the segments most in the audience
    full = client.get("/films/00002/audience/summary").json()
    rings = [t for t in full["tiers"] if t["rank_range"] is not None]
    table = out.split("Segments of the ranked audience")[1].split("\nlift (all)")[0]
    lines = table.splitlines()[3:]
    for seg in {r["segment"] for t in rings for r in t["segments"]} | {
            r["segment"] for r in full["segments"]}:
        label = next(r["label"] for part in [*(t["segments"] for t in rings), full["segments"]]
                     for r in part if r["segment"] == seg)
        cells = next(line for line in lines if line.startswith(label + " ")
                     )[len(label):].split()
        want = [next((f"{r['count']:,}" for r in part if r["segment"] == seg), "-")
                for part in [*(t["segments"] for t in rings), full["segments"]]]
        assert cells[:len(want)] == want, (label, cells, want)
    assert "film" in bad_input(capsys, "summary", model_dir, "no such film")


def test_summary_segment_table_counts_its_own_hidden_cells(
        client: TestClient, model_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The segments table's header counts the counts it leaves out; the body's
    ``suppressed_cells`` also counts the portrait's hidden values, and printed alone there it
    read 28 over a table of 19 left-out counts, moving with ``--tier`` (a probe found it).
    Every segment of the model is counted, those whose counts are all left out too."""
    for argv in ([], ["--tier", "all"], ["--tier", "core"]):
        for film in ("00002", ODD_FILM_ID):
            code, out, _ = run(capsys, "summary", model_dir, film, *argv)
            body = client.get(f"/films/{film}/audience/summary",
                              params={"tier": argv[1]} if argv else {}).json()
            rings = [t for t in body["tiers"] if t["rank_range"] is not None]
            if code != 0 or not rings:
                continue
            parts = [{r["segment"] for r in t["segments"]} for t in rings] + [
                {r["segment"] for r in body["segments"]}]
            # every segment of the model has its row: one whose counts were all left out
            # had none, and the header counted none of them ("0 ... left out" over 8)
            listed = {s["segment"] for s in client.get("/segments").json()["segments"]}
            left_out = sum(seg not in part for part in parts for seg in listed)
            header = out.split("Segments of the ranked audience")[1].splitlines()[0]
            assert (f"({left_out} of this table's counts left out; "
                    f"{body['suppressed_cells']} cells in the whole summary") in header, header


def test_similar(client: TestClient, model_dir: Path,
                 capsys: pytest.CaptureFixture[str]) -> None:
    http = client.get("/films/00004/similar", params={"k": 6})
    same_body(capsys, http, "similar", model_dir, "00004", "--k", 6)
    same_body(capsys, client.get(f"/films/{ODD_FILM_ID}/similar"),
              "similar", model_dir, ODD_FILM_ID)
    code, out, _ = run(capsys, "similar", model_dir, "00004", "--k", 6)
    assert code == 0 and all(f["film_id"] in out for f in http.json()["films"])
    assert "film" in bad_input(capsys, "similar", model_dir, "nope")


def test_lookalike(client: TestClient, model_dir: Path, tmp_path: Path,
                   capsys: pytest.CaptureFixture[str]) -> None:
    seeds = ["u4", "u8", ODD_USER_ID, "ghost"]
    path = tmp_path / "seeds.txt"
    path.write_text("user_id\n" + "\n".join(seeds) + "\n", encoding="utf-8")
    http = client.post("/audiences/lookalike", json={"seed_user_ids": seeds, "k": 7,
                                                     "offset": 2})
    assert http.json()["unknown_seed_ids"] == ["ghost"]
    same_body(capsys, http, "lookalike", model_dir, "--seeds", path, "--k", 7, "--offset", 2)
    code, out, err = run(capsys, "lookalike", model_dir, "--seeds", path, "--k", 7, "--offset",
                         2)
    # on stderr, as cold-start, with its line (the header is line 1)
    assert code == 0 and "skipped 1 unknown seed id: ghost (line 5)\n" in err
    # a file of mostly wrong ids: the first 10 and a count (it printed every one on one line)
    many = tmp_path / "many.txt"
    many.write_text("\n".join(["u4"] + [f"gone{i}" for i in range(5000)]) + "\n",
                    encoding="utf-8")
    code, _, err = run(capsys, "lookalike", model_dir, "--seeds", many, "--k", 2)
    assert code == 0 and ("skipped 5,000 unknown seed ids: " + ", ".join(
        f"gone{i} (line {i + 2})" for i in range(10)) + " and 4,990 more") in err
    assert "gone10 " not in err and len(err) < 400
    assert all(u["user_id"] in out for u in http.json()["users"])
    # the header counts every candidate (all users but the 3 known seeds) and names the ring
    # the page walks, with its ranks (it printed the ring's size as the candidates)
    ring = client.post("/audiences/lookalike", json={"seed_user_ids": seeds, "k": 2,
                                                     "tier": "extended"}).json()["ring"]
    n_users = client.get("/health").json()["model"]["users"]
    code, out, _ = run(capsys, "lookalike", model_dir, "--seeds", path, "--k", 2, "--tier",
                       "extended")
    lo, hi = ring["rank_range"]
    assert code == 0 and (f"ranking {n_users - 3:,} candidates; extended ring: ranks "
                          f"{lo}-{hi} ({ring['size']:,} users); showing extended ring users "
                          f"1-2 (ranks {lo}-{lo + 1})") in out
    ghosts = tmp_path / "ghosts.txt"
    ghosts.write_text("ghost\nwraith\n", encoding="utf-8")
    assert "user" in bad_input(capsys, "lookalike", model_dir, "--seeds", ghosts)
    assert "missing.txt" in bad_input(capsys, "lookalike", model_dir, "--seeds",
                                      tmp_path / "missing.txt")


def test_cold_start(client: TestClient, model_dir: Path,
                    capsys: pytest.CaptureFixture[str]) -> None:
    http = client.post("/audiences/cold-start", json={
        "comparable_film_ids": ["00002", ODD_FILM_ID], "genres": [GENRES[2]], "k": 5})
    same_body(capsys, http, "cold-start", model_dir, "--like", "00002", "--like", ODD_FILM_ID,
              "--genre", GENRES[2], "--k", 5)
    same_body(capsys, client.post("/audiences/cold-start", json={
        "genres": [GENRES[0], GENRES[3]], "k": 4, "offset": 3, "segment": 0}),
        "cold-start", model_dir, "--genre", GENRES[0], GENRES[3], "--k", 4, "--offset", 3,
        "--segment", 0)
    code, out, _ = run(capsys, "cold-start", model_dir, "--like", "00002", "--k", 5)
    assert code == 0
    # a segment's page: its users are scattered over the whole ranking, the header says so
    body = client.post("/audiences/cold-start", json={"genres": [GENRES[0]], "k": 2,
                                                      "segment": 0}).json()
    code, seg_out, _ = run(capsys, "cold-start", model_dir, "--genre", GENRES[0], "--k", 2,
                           "--segment", 0)
    # every candidate is ranked (global ranks), the segment's are shown: both counted
    n_users = client.get("/health").json()["model"]["users"]
    assert code == 0 and f"ranking {n_users:,} candidates; showing 2 users (global ranks" in seg_out
    assert f"of {body['total']:,} matching the filter" in seg_out
    assert all(u["user_id"] in out for u in client.post("/audiences/cold-start", json={
        "comparable_film_ids": ["00002"], "k": 5}).json()["users"])
    assert "film" in bad_input(capsys, "cold-start", model_dir, "--like", "nope")
    # weighted comparables, as the HTTP body's {"film_id": weight} (the CLI had no way)
    same_body(capsys, client.post("/audiences/cold-start", json={
        "comparable_film_ids": {"00002": 3.0, ODD_FILM_ID: 1.0, "00004": 0.5}, "k": 5}),
        "cold-start", model_dir, "--like", "00002=3", ODD_FILM_ID, "00004=0.5", "--k", 5)
    code, out, _ = run(capsys, "cold-start", model_dir, "--like", "00002=3", ODD_FILM_ID,
                       "00004=0.5", "--k", 5)  # the header says the weights (it dropped them)
    assert code == 0 and f"a film like 00002=3, {ODD_FILM_ID}=1, 00004=0.5;" in out
    for bad in ("00002=0", "00002=-1", "00002=x", "00002=inf"):
        assert "weight" in bad_input(capsys, "cold-start", model_dir, "--like", bad)
    # one film, two weights: the last one won without a word
    assert "film '00002' two weights (1 and 3)" in bad_input(
        capsys, "cold-start", model_dir, "--like", "00002=1", "00004", "00002=3")
    # the same weight twice, or a bare id beside its weight, are one film at that weight
    same_body(capsys, client.post("/audiences/cold-start", json={
        "comparable_film_ids": {"00002": 3.0, "00004": 1.0}, "k": 5}),
        "cold-start", model_dir, "--like", "00002=3", "00004", "00002", "00002=3", "--k", 5)


def test_segments(client: TestClient, model_dir: Path,
                  capsys: pytest.CaptureFixture[str]) -> None:
    http = client.get("/segments")
    same_body(capsys, http, "segments", model_dir)
    code, out, _ = run(capsys, "segments", model_dir)
    assert code == 0 and all(s["label"] in out for s in http.json()["segments"])


def test_answers_share_the_audience_contract(model_dir: Path, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    assert "model" in bad_input(capsys, "segments", tmp_path / "no-model")
    code, _, err = run(capsys, "similar", model_dir, "00004", "--k", 0)
    assert code == 2 and "--k" in err


def test_search_finds_titles_the_way_people_type_them(
        client: TestClient, model_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for query in ("the matrix", "matrix", "MATRIX", "matrx", "the matrix 1990"):
        http = client.get("/films", params={"query": query, "limit": 3})
        assert http.json()["films"][0]["title"] == "The Matrix", query
        same_body(capsys, http, "search", model_dir, query, "--limit", 3)
    http = client.get("/films", params={"query": "fabuleux destin damelie", "limit": 3})
    assert http.json()["films"][0]["title"] == "Le Fabuleux Destin d'Amélie"
    code, out, _ = run(capsys, "search", model_dir, "le fabuleux destin d amelie")
    assert code == 0 and out.splitlines()[3].split()[0] == "00002"  # its first row


def test_search_says_how_each_film_matched(
        client: TestClient, model_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Each result carries ``match``, equal in the CLI's JSON and HTTP's, and the CLI's table
    says it in words: The Matrix is of 1990, so "the matrix 1991" does not match its year;
    "fbauelux" is two edits from "fabuleux" (a word of 8 letters may hold two)."""
    for query, first, text in (
            ("the matrix 1991", "The Matrix", "title; year 1991: no"),
            ("the matrix 1990", "The Matrix", "title; year 1990: yes"),
            ("fbauelux destin", "Le Fabuleux Destin d'Amélie",
             "typo: fbauelux -> fabuleux (2 edits)")):
        http = client.get("/films", params={"query": query, "limit": 3})
        assert http.json()["films"][0]["title"] == first, query
        same_body(capsys, http, "search", model_dir, query, "--limit", 3)
        code, out, _ = run(capsys, "search", model_dir, query, "--limit", 3)
        lines = out.splitlines()
        assert code == 0 and lines[1].split()[-1] == "match", out
        assert lines[3].startswith(http.json()["films"][0]["film_id"])
        assert lines[3].rstrip().endswith(text), out
    match = client.get("/films", params={"query": "fbauelux destin"}).json()["films"][0]["match"]
    assert match == {"kind": "typo", "words": ["destin"],
                     "corrected": [{"typed": "fbauelux", "title_word": "fabuleux", "edits": 2}],
                     "unmatched": [], "year": None, "year_matched": None, "exact_id": False}
    code, out, _ = run(capsys, "search", model_dir, "", "--limit", 3)  # no query: no column
    assert code == 0 and "match" not in out.splitlines()[1]


def test_a_title_given_as_a_film_id_lists_the_titles_it_matches(
        client: TestClient, model_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # the film named first is not listed again among the titles matched (Hamlet's five were)
    hint = ("unknown film_id 'the matrix'; it is the title of 00000 The Matrix (1990): give its "
            "id, '00000' (a film is named by its id, byte for byte)")
    watched = model_dir.parent / "watched-title.txt"
    watched.write_text("the matrix\n")
    for argv in (("summary", model_dir, "the matrix"), ("similar", model_dir, "the matrix"),
                 ("audience", model_dir, "the matrix", "--k", 3),
                 ("cold-start", model_dir, "--like", "the matrix"),
                 # these two said only "unknown film_id"
                 ("distribution", model_dir, "the matrix"),
                 ("recommend", model_dir, "--watched", watched)):
        line = bad_input(capsys, *argv)
        named = f"{watched}: none of its ids is a film of the model: " if argv[2:3] == (
            "--watched",) else ""  # a watch list whose every id is unknown names its file
        assert line.startswith(f"error: {named}{hint}"), line
        assert line.count("00000 The Matrix") == 1, line
    line = bad_input(capsys, "summary", model_dir, "Film 7 of G3")
    listed = line.split("it also matches titles: ")[1].split(", ")
    assert len(listed) == 5 and "00007 Film 7 of G3 (1997)" not in line.split("; it also")[1]
    # the five shown of more: how many more (as many as the search lists past the sixth,
    # the film named first being one of its matches)
    total = client.get("/films", params={"query": "Film 7 of G3"}).json()["total"]
    assert total > 6 and line.endswith(f" and {total - 6:,} more (search for it to see "
                                       "them)")
    assert " more " not in bad_input(capsys, "summary", model_dir, "the matrix")  # all shown
    for path in ("/films/the matrix/audience", "/films/the matrix/audience/summary",
                 "/films/the matrix/similar", "/films/the matrix"):
        r = client.get(path)
        assert r.status_code == 404 and r.json()["detail"].startswith(hint), path
    detail = client.get("/films/Film 7 of G3/similar").json()["detail"]  # HTTP says it too
    assert detail == line.removeprefix("error: ")
    assert client.get("/films/xyzzy/similar").json() == {"detail": "unknown film_id 'xyzzy'"}


def test_ids_that_differ_by_leading_zeros_get_a_did_you_mean(
        client: TestClient, model_dir: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    """The model's film ids are "00000".."00059": "7" and "000007" mean "00007"."""
    assert bad_input(capsys, "similar", model_dir, "7").endswith("did you mean '00007'?")
    assert bad_input(capsys, "audience", model_dir, "000007").endswith(
        "did you mean '00007'?")
    r = client.get("/films/7/audience")
    assert r.status_code == 404
    assert r.json()["detail"].startswith("unknown film_id '7'; did you mean '00007'?")
    # an id pasted with spaces around it: it was said to "match titles" (a film), or nothing
    # (a user); ids are kept byte for byte, so it is still refused
    assert bad_input(capsys, "summary", model_dir, " 00007 ") == (
        "error: unknown film_id ' 00007 '; did you mean '00007'?")
    assert client.get("/films/00007 /similar").json() == {
        "detail": "unknown film_id '00007 '; did you mean '00007'?"}
    user = str(client.get("/films/00007/audience", params={"k": 1}).json()["users"][0][
        "user_id"])
    assert bad_input(capsys, "recommend", model_dir, "--user", f"{user} ").endswith(
        f"did you mean {user!r}?")
    films = tmp_path / "films.txt"
    films.write_text("film_id\n00003\n12\n", encoding="utf-8")
    for engine in ("local", "spark"):  # the spark path fails on the file before Spark starts
        line = bad_input(capsys, "audiences", model_dir, "--films", films, "--engine", engine,
                         "--out", tmp_path / f"{engine}.parquet")
        assert line.startswith(f"error: {films}, line 3: unknown film_id '12'"), line
        assert line.endswith("did you mean '00012'?"), line
    assert not list(tmp_path.glob("*.parquet"))


def test_attributes_and_info(client: TestClient, model_dir: Path,
                             capsys: pytest.CaptureFixture[str]) -> None:
    """The CLI had no way to list the attribute values audiences filter by, nor /health's
    model and tuning."""
    same_body(capsys, client.get("/users/attributes"), "attributes", model_dir)
    code, out, _ = run(capsys, "attributes", model_dir)
    assert code == 0
    for name, values in client.get("/users/attributes").json()["attributes"].items():
        assert name in out and values[0] in out
    health = client.get("/health").json()
    code, out, _ = run(capsys, "info", model_dir, "--json")
    body = json.loads(out)
    assert code == 0 and body["tuning"] == health["tuning"]
    assert {k: v for k, v in body["model"].items() if k != "path"} == \
        {k: v for k, v in health["model"].items() if k != "path"}
    code, out, _ = run(capsys, "info", model_dir)
    assert code == 0 and health["model"]["model_version"] in out
    assert f"final fit: {health['model']['refit'] or 'not recorded'}" in out
    # parameters as text for people: no Python None, brackets or quotes (they were reprs)
    params = next(line for line in out.splitlines() if line.startswith("parameters: "))
    assert not any(c in params for c in "[]{}'") and "None" not in params
    tiers = ", ".join(f"{n} {p:g}" for n, p in health["model"]["params"]["tiers"])
    assert f"tiers ({tiers.replace(', ', ' / ')}, % of the candidates)" in params


def test_headers_name_the_film_and_count_in_words(client: TestClient, model_dir: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """``similar`` and ``distribution`` headed their answers with the bare id ('Films similar
    to 7176983') where ``audience``, ``summary`` and ``film`` name the title; a search found
    '1 films'. Oracle: the title and count HTTP gives."""
    film = client.get("/films", params={"query": "", "limit": 1}).json()["films"][0]
    named = f"{film['title']}"
    code, out, _ = run(capsys, "similar", model_dir, film["film_id"])
    assert code == 0 and out.splitlines()[0].startswith(f"Films similar to {named}")
    assert f"[film {film['film_id']}]" in out.splitlines()[0]
    code, out, _ = run(capsys, "distribution", model_dir, film["film_id"], "--by", "region")
    assert code == 0 and f"Expected viewers of {named}" in out
    assert f"[film {film['film_id']}] by region" in out
    one = client.get("/films", params={"query": ODD_FILM_ID}).json()
    code, out, _ = run(capsys, "search", model_dir, ODD_FILM_ID)
    assert one["total"] == 1 and out.startswith(f"1 film matches {ODD_FILM_ID!r}")


def test_counts_of_one_are_said_in_the_singular(model_dir: Path, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    """'Top 1 films', 'Lookalikes of 1 seed users', '(1 films x top 3)', '(1 users x top 3)',
    'read 1 events': a count of one now takes the singular (``io.text.plural``). Oracle: the
    count asked for."""
    code, out, _ = run(capsys, "recommend", model_dir, "--user", ODD_USER_ID, "--k", "1")
    assert code == 0 and out.startswith(f"Top 1 film for user {ODD_USER_ID}")
    seeds = tmp_path / "seeds.txt"
    seeds.write_text(f"{ODD_USER_ID}\n")
    code, out, _ = run(capsys, "lookalike", model_dir, "--seeds", seeds, "--k", "2")
    assert code == 0 and out.startswith("Lookalikes of 1 seed user; ranking ")
    films = tmp_path / "films.txt"
    films.write_text(f"{ODD_FILM_ID}\n")
    code, out, _ = run(capsys, "audiences", model_dir, "--films", films, "--k", "3", "--out",
                       tmp_path / "a.csv")
    assert code == 0 and "(1 film x top 3)" in out
    users = tmp_path / "users.txt"  # 'wrote 3 rows (1 users x top 3)'
    users.write_text(f"{ODD_USER_ID}\n")
    code, out, _ = run(capsys, "recommend", model_dir, "--users", users, "--k", "3", "--out",
                       tmp_path / "r.csv")
    assert code == 0 and "(1 user x top 3)" in out
    events = tmp_path / "events.csv"
    events.write_text(f"user_id,film_id,timestamp\n{ODD_USER_ID},{ODD_FILM_ID},1700000000\n")
    code, out, _ = run(capsys, "events", "import", "--store", tmp_path / "s.db", events)
    assert code == 0 and out.startswith(f"read 1 event from {events}:")
    # the film table's viewers: 'or in the store's 1 events since'
    code, out, _ = run(capsys, "film", model_dir, ODD_FILM_ID, "--store", tmp_path / "s.db")
    assert code == 0 and ("users who watched it in the training data or in the store's 1 "
                          "event since") in out, out


def test_json_answers_name_their_model_as_the_header_does(
        client: TestClient, model_dir: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    """The HTTP answer names the model that gave it in its X-Model-Version header, outside
    the body; ``--json`` prints the body alone, byte for byte, so a script keeping it could
    not tell which model answered: the last line of stderr names it, as the header does (and
    the events folded in, as X-Events-Seq: ``--store``'s wording is ``audience --csv``'s)."""
    seeds = tmp_path / "seeds.txt"
    seeds.write_text("u4\nu8\n", encoding="utf-8")
    user = client.get("/films/00003/audience", params={"k": 1}).json()["users"][0]["user_id"]
    for argv, http in (
            (["audience", model_dir, "00003", "--k", 4],
             client.get("/films/00003/audience", params={"k": 4})),
            (["summary", model_dir, "00002"], client.get("/films/00002/audience/summary")),
            (["film", model_dir, "00002"], client.get("/films/00002")),
            (["similar", model_dir, "00004", "--k", 3],
             client.get("/films/00004/similar", params={"k": 3})),
            (["search", model_dir, "", "--limit", 2],
             client.get("/films", params={"query": "", "limit": 2})),
            (["segments", model_dir], client.get("/segments")),
            (["attributes", model_dir], client.get("/users/attributes")),
            (["recommend", model_dir, "--user", user, "--k", 3],
             client.get(f"/users/{user}/recommendations", params={"k": 3})),
            (["lookalike", model_dir, "--seeds", seeds, "--k", 3],
             client.post("/audiences/lookalike", json={"seed_user_ids": ["u4", "u8"], "k": 3})),
            (["cold-start", model_dir, "--genre", GENRES[1], "--k", 3],
             client.post("/audiences/cold-start", json={"genres": [GENRES[1]], "k": 3}))):
        assert http.status_code == 200, (argv, http.text)
        code, out, err = run(capsys, *argv, "--json")
        assert code == 0, err
        assert out == http.content.decode() + "\n", argv  # the body unchanged
        version = http.headers["X-Model-Version"]
        # as audience --csv says its source (no store: the model as trained)
        assert version and err.splitlines()[-1] == \
            f"note: answer from model {version} as trained", (argv, err)
    # the text form names its model the same way (tests/cli/test_table_model_note.py)
    code, _, err = run(capsys, "film", model_dir, "00002")
    assert code == 0 and err.splitlines() == [f"note: answer from model {version} as trained"]
