"""The Studio's Build page reads a seed list as the CLI's ``lookalike --seeds`` reads the same
file: a CRM export ``Email,User ID,Name`` was split at every comma by the Studio (its header
and addresses sent as seeds) and read whole lines by the CLI; and the Studio undid a
spreadsheet-safe quote ("'-1" sent as "-1") before trying the id as written, where the model
held user "'-1".

Oracles: the CLI's reader (``id_lists.read_seed_lines``, its model holding none of the ids, so
that each id is given as written) on the same bytes, and the CLI's ``--json`` body of the same
file on the served model, byte for byte against the answer the page shows.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from helpers import run_cli

from recommender.errors import DataError
from recommender.io.id_lists import read_seed_lines
from recommender.io.ids import IdMap

CASES = [
    "Email,User ID,Name\na@x.org,u00005,Ann\nb@y.org, u00007 ,Bob\n",
    "Email;user-id;Name\r\na@x.org;u1;Ann\r\n\r\nb@y.org;u2;Bob\r\n",
    '"Name, full",ID\n"Doe, J",u3\n"Roe, K"," u4"\n',
    'note,userId\n"two\nlines",u11\nplain,"u""12"\n',
    "x\tUSER ID\n1\tu10\n",
    "userid\n u4\nu5\n",
    "u6\n\n u7 \nu8\n",
    "User_ID\ny\n",
    "user_id,rank\n\"x;'=1+1\",1\n'-1,3\n",
    "a,b\nc,d,e\n",  # no table: one id per line, as written
    "u6\n\u00a0\n \t\nu7\n",  # a no-break space alone is an id (id_columns.blank_id)
]
REFUSED = {
    "Email,Name\na@x.org,Ann\nb@y.org,Bob\n": "names no id column",
    "ID,Email,user id\n1,a@x.org,u5\n": "names 2 id columns ('ID', 'user id')",
}


def _python(tmp_path: Path, text: str) -> list[str] | str:
    path = tmp_path / "seeds.csv"
    path.write_bytes(text.encode("utf-8"))
    try:
        return [s for _, s in read_seed_lines(path, IdMap(["held-by-nobody-here"]))]
    except DataError as e:
        return str(e)


def test_the_build_page_reads_a_seed_file_as_the_cli_does(watched: Any, served_demo: Any,
                                                          tmp_path: Path) -> None:
    page = watched.page
    page.goto(f"{served_demo.base}/studio/#/build")
    page.wait_for_selector("#seed-ids")
    read = ("async (texts) => { const m = await import('/studio/assets/js/build.js');"
            " return texts.map((t) => { try { return m.parseIds(t) } catch (e) {"
            " return 'refused: ' + e.message } }) }")
    got = page.evaluate(read, CASES + list(REFUSED))
    for text, studio in zip(CASES, got, strict=False):
        assert studio == _python(tmp_path, text), (text, studio)
    assert got[0] == ["u00005", " u00007 "]  # the User ID column, its cells as written
    for text, studio in zip(REFUSED, got[len(CASES):], strict=True):
        cli = _python(tmp_path, text)
        assert isinstance(cli, str) and REFUSED[text] in cli, cli
        assert studio.startswith("refused: ") and REFUSED[text] in studio, studio
    watched.assert_clean()


def test_a_crm_export_finds_the_lookalikes_the_cli_finds(
        watched: Any, served_odd_ids: Any, odd_ids_model: tuple[Path, Path], tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    """Byte for byte: "'-1" is user "'-1" (held as written), "'+7" user "+7" (the model holds
    no "'+7"), " 42" user " 42", "u00005 " user "u00005" (named in stripped_seed_ids)."""
    crm = ("Email,User ID,Name\na@x.org,'-1,Ann\nb@y.org,'+7,Bob\nc@z.org, 42,Cy\n"
           "d@w.org,u00005 ,Di\ne@v.org,nobody,Ed\n")
    page = watched.page
    answers: list[Any] = []
    page.on("response", lambda r: answers.append(r)
            if r.url.endswith("/audiences/lookalike") and r.ok else None)
    page.goto(f"{served_odd_ids.base}/studio/#/build")
    # the quote alone (a header the Studio read before): "'-1" is not "-1"
    for text in (crm, "user_id,name\n'-1,Ann\n'+7,Bob\n"):
        seeds = tmp_path / "crm.csv"
        seeds.write_text(text, encoding="utf-8")
        code, cli, err = run_cli(capsys, "lookalike", odd_ids_model[0], "--seeds", seeds, "-k",
                                 10, "--json")
        assert code == 0, err
        body = json.loads(cli)
        if text == crm:
            assert body["stripped_seed_ids"] == ["u00005 "]
            assert body["unknown_seed_ids"] == ["nobody"] and body["seeds_used"] == 4
        answers.clear()
        page.evaluate("() => document.querySelector('#lookalike-out').replaceChildren()")
        page.fill("#seed-ids", text)
        page.fill("#lookalike-k", "10")
        page.get_by_role("button", name="Find lookalikes").click()
        page.wait_for_selector("table:has(caption:text('Lookalike audience'))")
        shown = [r.text() for r in answers if r.request.post_data_json["k"] == 10]
        assert shown[-1] + "\n" == cli, text
        unknown = page.locator("#unknown-seeds")
        assert (unknown.inner_text() if unknown.count() else "") == (
            "1 unknown id(s) skipped: 'nobody'" if text == crm else "")
    watched.assert_clean()


def test_ids_holding_commas_are_read_as_the_cli_reads_them(
        watched: Any, served_odd_ids: Any, odd_ids_model: tuple[Path, Path], tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    """A list whose lines look like a table naming no id column ("ab,cd") is one id per line
    where the model holds one of its lines, as the CLI reads it (the Studio refused it: "names
    no id column"); where the model holds none, both refuse it."""
    page = watched.page
    answers: list[Any] = []
    page.on("response", lambda r: answers.append(r)
            if r.url.endswith("/audiences/lookalike") and r.ok else None)
    page.goto(f"{served_odd_ids.base}/studio/#/build")
    page.wait_for_selector("#seed-ids")
    seeds = tmp_path / "seeds.txt"
    listed = "ab,cd\n ef,gh\nzz,yy\n"
    seeds.write_text(listed, encoding="utf-8")
    code, cli, err = run_cli(capsys, "lookalike", odd_ids_model[0], "--seeds", seeds, "-k", 10,
                             "--json")
    assert code == 0, err
    body = json.loads(cli)
    assert body["unknown_seed_ids"] == ["zz,yy"] and body["seeds_used"] == 2
    page.fill("#seed-ids", listed)
    page.fill("#lookalike-k", "10")
    page.get_by_role("button", name="Find lookalikes").click()
    page.wait_for_selector("table:has(caption:text('Lookalike audience'))")
    shown = [r.text() for r in answers if r.request.post_data_json["k"] == 10]
    assert shown[-1] + "\n" == cli
    # quoted as the hints quote ids: "zz,yy" was read as two ids beside a count of one
    assert page.locator("#unknown-seeds").inner_text() == "1 unknown id(s) skipped: 'zz,yy'"
    # none of the lines held: the table's refusal, the CLI's words
    table = "Email,Name\na@x.org,Ann\nb@y.org,Bob\n"
    seeds.write_text(table, encoding="utf-8")
    code, _, err = run_cli(capsys, "lookalike", odd_ids_model[0], "--seeds", seeds, "--json")
    assert code != 0 and "names no id column" in err
    page.fill("#seed-ids", table)
    page.get_by_role("button", name="Find lookalikes").click()
    page.wait_for_selector("#lookalike-out :text('names no id column')")
    assert not page.locator("#lookalike-users").count()


def test_a_first_line_the_model_holds_is_a_seed_not_a_header(
        watched: Any, served_odd_ids: Any, odd_ids_model: tuple[Path, Path], tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    """"ab,id" is a user of the model: a list whose first line it is reads as whole lines,
    as the CLI reads it (its header named column ``id``: seed "cd" alone was sent)."""
    page = watched.page
    answers: list[Any] = []
    page.on("response", lambda r: answers.append(r)
            if r.url.endswith("/audiences/lookalike") and r.ok else None)
    page.goto(f"{served_odd_ids.base}/studio/#/build")
    page.wait_for_selector("#seed-ids")
    listed = "ab,id\nab,cd\n"
    seeds = tmp_path / "seeds.txt"
    seeds.write_text(listed, encoding="utf-8")
    code, cli, err = run_cli(capsys, "lookalike", odd_ids_model[0], "--seeds", seeds, "-k", 10,
                             "--json")
    assert code == 0, err
    body = json.loads(cli)  # the oracle: the file's two lines, each a user
    assert body["seeds_used"] == 2 and body["unknown_seed_ids"] == []
    page.fill("#seed-ids", listed)
    page.fill("#lookalike-k", "10")
    page.get_by_role("button", name="Find lookalikes").click()
    page.wait_for_selector("table:has(caption:text('Lookalike audience'))")
    sent = [r.request.post_data_json for r in answers if r.request.post_data_json["k"] == 10]
    assert sent[-1]["seed_user_ids"] == ["ab,id", "ab,cd"]
    shown = [r.text() for r in answers if r.request.post_data_json["k"] == 10]
    assert shown[-1] + "\n" == cli
    watched.assert_clean()
