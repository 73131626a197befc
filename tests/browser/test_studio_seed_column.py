"""A seed list whose CSV header names no id column, or several, was refused by the Build page
with "choose one by name" / "name the column of ids so", though the page had no way to choose
one (the CLI has ``--id-column``). The refusal now comes with a "Column of ids" select of the
header's columns, read by the CLI's rule (``io.id_list_columns``: by name as written, else in
any case and spacing). Oracles: the CLI's reader (``read_seed_lines`` with ``column``) on the
same bytes, and ``lookalike --seeds FILE --id-column NAME --json`` on the served model, byte
for byte against the answer the page shows."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from helpers import run_cli
from studio_http import api

from recommender.errors import DataError
from recommender.io.id_lists import read_seed_lines
from recommender.io.ids import IdMap

#: (text, column chosen): read by the Studio as the CLI reads it with --id-column
CHOSEN = [
    ("Email,Customer\na@x.org,u1\nb@y.org, u2 \n", "Customer"),
    ("Email,Customer\na@x.org,u1\n", "customer"),  # in any case
    ("ID;Email;user id\n1;a@x.org;u5\n2;b@y.org;u6\n", "USER_ID"),  # and spacing
    ("ID,Email,user id\n1,a@x.org,u5\n", "ID"),
    ("Email,Customer\na@x.org,u1\n", "Name"),  # no such column: refused, naming them
]


def _python(tmp_path: Path, text: str, column: str) -> list[str] | str:
    path = tmp_path / "seeds.csv"
    path.write_bytes(text.encode("utf-8"))
    try:
        return [s for _, s in read_seed_lines(path, IdMap(["held-by-nobody-here"]),
                                              column=column)]
    except DataError as e:
        return str(e)


def test_a_chosen_column_is_read_as_the_cli_reads_it(watched: Any, served_demo: Any,
                                                     tmp_path: Path) -> None:
    page = watched.page
    page.goto(f"{served_demo.base}/studio/#/build")
    page.wait_for_selector("#seed-ids")
    read = ("async (cases) => { const m = await import('/studio/assets/js/build.js');"
            " return cases.map(([t, c]) => { try { return m.parseIds(t, c) } catch (e) {"
            " return 'refused: ' + e.message } }) }")
    got = page.evaluate(read, CHOSEN)
    for (text, column), studio in zip(CHOSEN, got, strict=True):
        cli = _python(tmp_path, text, column)
        if isinstance(cli, str):
            assert "has no column named 'Name'" in cli
            assert studio.startswith("refused: ") and "has no column named 'Name'" in studio
            assert "its columns: 'Email', 'Customer'" in studio
        else:
            assert studio == cli, (text, column, studio)
    assert got[2] == ["u5", "u6"]
    watched.assert_clean()


@pytest.mark.parametrize(("header", "offered", "chosen"), [
    ("Email,Customer", ["Email", "Customer"], "Customer"),  # no id column
    ("ID,Email,user id", ["ID", "Email", "user id"], "user id"),  # two
])
def test_the_build_page_offers_the_headers_columns(
        watched: Any, served_demo: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        header: str, offered: list[str], chosen: str) -> None:
    film = api(served_demo, "/films?limit=1")["films"][0]["film_id"]
    users = [u["user_id"] for u in api(served_demo, f"/films/{film}/audience?k=3")["users"]]
    rows = {"Customer": [f"{i}@x.org,{u}" for i, u in enumerate(users)],
            "user id": [f"{i},{i}@x.org,{u}" for i, u in enumerate(users)]}[chosen]
    text = "\n".join([header, *rows]) + "\n"
    seeds = tmp_path / "crm.csv"
    seeds.write_text(text, encoding="utf-8")
    code, cli, err = run_cli(capsys, "lookalike", served_demo.model, "--seeds", seeds,
                             "--id-column", chosen, "-k", 10, "--json")
    assert code == 0, err
    page = watched.page
    answers: list[Any] = []
    page.on("response", lambda r: answers.append(r)
            if r.url.endswith("/audiences/lookalike") and r.ok else None)
    page.goto(f"{served_demo.base}/studio/#/build")
    assert not page.locator("#seed-column").is_visible()
    page.set_input_files("#seed-file", str(seeds))
    page.wait_for_function("() => document.getElementById('seed-ids').value.includes('@')")
    page.fill("#lookalike-k", "10")
    page.get_by_role("button", name="Find lookalikes").click()
    alert = page.locator("#lookalike-out [role=alert]")
    alert.wait_for()
    said = alert.inner_text()
    assert "choose" in said and "Column of ids" in said and "by name" not in said, said
    assert "--id-column" not in said
    page.locator("#seed-column").wait_for(state="visible")
    options = page.eval_on_selector_all("#seed-column option", "os => os.map((o) => o.value)")
    assert options == ["", *offered]
    page.select_option("#seed-column", chosen)
    page.get_by_role("button", name="Find lookalikes").click()
    page.wait_for_selector("table:has(caption:text('Lookalike audience'))")
    shown = [r.text() for r in answers if r.request.post_data_json["k"] == 10]
    assert shown[-1] + "\n" == cli
    assert json.loads(cli)["seeds_used"] == len(users)
    # another list (its header changed): the choice goes with the list it was made for
    page.fill("#seed-ids", "\n".join(users))
    assert not page.locator("#seed-column").is_visible()
    # a header naming no id column is refused only once the model holds none of its whole
    # lines: the page asked (every id unknown: a 404), as the CLI reads such a file
    probed = ["Failed to load resource: the server responded with a status of 404 (Not Found)"]
    assert watched.console_errors == (probed if chosen == "Customer" else [])
    assert not watched.outside_requests
