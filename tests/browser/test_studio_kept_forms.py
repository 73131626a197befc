"""The Build page's forms (lookalikes, a new film's audience) and Distribute's new-film form
are kept for the tab (sessionStorage, search.js keptForm), as the slates of Plan and
Distribute are: a reload, or Back from another page, put back the seeds, the comparable
films, the genres and the sizes, and the answer asked afterwards is the server's for the
same body."""

from __future__ import annotations

from typing import Any

from studio_http import api


def _add(page: Any, box: str, film: dict[str, Any]) -> None:
    page.fill(box, film["title"].lower())
    page.get_by_role("button", name=f"Add {film['title']}").first.click()


def _chips(page: Any, section: str) -> list[str]:
    return page.locator(f"section:has(h2:text(\"{section}\")) ul.chips li").all_inner_texts()


def test_the_build_forms_survive_a_reload_and_back(watched: Any, served_demo: Any) -> None:
    films = api(served_demo, "/films?limit=2")["films"]
    page = watched.page
    page.goto(f"{served_demo.base}/studio/#/build")
    seeds = "u00001\nu00002\nnobody-such"
    page.fill("#seed-ids", seeds)
    page.fill("#lookalike-k", "40")
    for film in films:
        _add(page, "#comparable-search", film)
    page.fill("#cold-genres", "Drama, Comedy")
    page.fill("#cold-k", "30")
    page.reload()
    page.wait_for_selector("#seed-ids")
    assert page.input_value("#seed-ids") == seeds
    assert page.input_value("#lookalike-k") == "40"
    assert page.input_value("#cold-genres") == "Drama, Comedy"
    assert page.input_value("#cold-k") == "30"
    chips = _chips(page, "A new film's audience")
    assert [c.split("×")[0].strip() for c in chips] == [f["title"] for f in films]
    # the answer after the reload is the server's for the form as kept
    page.get_by_role("button", name="Rank the audience").click()
    page.wait_for_selector("#cold-users table")
    want = api(served_demo, "/audiences/cold-start", {
        "comparable_film_ids": [f["film_id"] for f in films], "genres": ["Drama", "Comedy"],
        "k": 30})
    shown = page.locator("#cold-users tbody tr td:nth-child(2)").all_inner_texts()
    assert shown == [u["user_id"] for u in want["users"][:25]]
    # a film removed stays removed; Back from another page puts the forms back
    page.get_by_role("button", name=f"remove {films[0]['title']}").click()
    page.click("nav a[data-nav=plan]")
    page.wait_for_selector("#cap")
    page.go_back()
    page.wait_for_selector("#seed-ids")
    assert page.input_value("#seed-ids") == seeds
    chips = _chips(page, "A new film's audience")
    assert [c.split("×")[0].strip() for c in chips] == [films[1]["title"]]
    watched.assert_clean()


def test_an_uploaded_seed_file_is_kept(watched: Any, served_demo: Any, tmp_path: Any) -> None:
    """A file's ids are written into the box by the page (no input event): kept all the same."""
    page = watched.page
    page.goto(f"{served_demo.base}/studio/#/build")
    seeds = tmp_path / "seeds.txt"
    seeds.write_text("user_id\nu00003\nu00004\n", encoding="utf-8")
    page.set_input_files("#seed-file", str(seeds))
    page.wait_for_function("document.querySelector('#seed-ids').value.includes('u00004')")
    page.reload()
    page.wait_for_selector("#seed-ids")
    assert page.input_value("#seed-ids") == "user_id\nu00003\nu00004\n"
    watched.assert_clean()


def test_a_csv_seed_file_is_read_by_its_id_column_as_the_cli_reads_it(watched: Any,
                                                                      served_demo: Any) -> None:
    """A CRM export's id column is found by the names the CLI's id lists take (``id``,
    ``userId``, ``user_id``, any case): 'Email,ID' was split at its commas, the header and the
    e-mail addresses read as seed ids."""
    page = watched.page
    page.goto(f"{served_demo.base}/studio/#/build")
    page.wait_for_selector("#seed-ids")
    for text, want in (("Email,ID\na@x,u1\nb@y,u2\n", ["u1", "u2"]),
                       ("userId,name\nu3,Ann\n", ["u3"]), ("User_ID;x\nu4;1\n", ["u4"]),
                       ("Email;ID\na@x;u9\n", ["u9"]), ("x\tuserid\n1\tu10\n", ["u10"]),
                       ("id\nu5\nu6\n", ["u5", "u6"]), ("u7\nu8\n", ["u7", "u8"])):
        got = page.evaluate("async (t) => (await import('/studio/assets/js/build.js')).parseIds(t)",
                            text)
        if want is not None:
            assert got == want, (text, got)
    # a header naming two id columns is refused, as the CLI's id lists refuse it
    # (io/id_lists.py): the first was read as the seeds where the other may be the one meant
    page.fill("#seed-ids", "id,email,user_id\n7,a@x,u00001\n")
    page.click("text=Find lookalikes")
    alert = page.wait_for_selector("#lookalike-out [role=alert]")
    assert "names 2 id columns ('id', 'user_id'): keep one column" in alert.inner_text()
    watched.assert_clean()


def test_a_list_too_big_to_keep_leaves_no_older_one(watched: Any, served_demo: Any) -> None:
    """A pasted list of over a million characters is not kept (the tab's storage, about five
    million, also holds the API key and the plans not yet answered); the shorter list kept
    before it must not come back in its place on a reload, read as the list pasted."""
    page = watched.page
    page.goto(f"{served_demo.base}/studio/#/build")
    page.fill("#seed-ids", "u00001")
    page.evaluate("""() => {
        const box = document.querySelector('#seed-ids');
        box.value = 'u0000001\\n'.repeat(200000);  // 1.8 M characters
        box.dispatchEvent(new Event('input', { bubbles: true }));
    }""")
    page.reload()
    page.wait_for_selector("#seed-ids")
    assert page.input_value("#seed-ids") == ""
    watched.assert_clean()


def test_the_new_film_demand_form_survives_a_reload(watched: Any, served_demo: Any) -> None:
    film = api(served_demo, "/films?limit=1")["films"][0]
    page = watched.page
    page.goto(f"{served_demo.base}/studio/#/distribute")
    _add(page, "#dnew-search", film)
    page.fill("#dnew-genres", "Drama")
    page.wait_for_selector("#dnew-by option[value=city]", state="attached")
    page.select_option("#dnew-by", "city")
    page.fill("#dnew-screens", "12")
    page.reload()
    page.wait_for_selector("#dnew-by option[value=city]", state="attached")
    assert page.input_value("#dnew-genres") == "Drama"
    assert page.input_value("#dnew-by") == "city"
    assert page.input_value("#dnew-screens") == "12"
    assert len(_chips(page, "A new film: demand by place")) == 1
    page.get_by_role("button", name="Forecast demand").click()
    page.wait_for_selector("#dist-total")
    want = api(served_demo, "/distribution/cold-start", {
        "comparable_film_ids": [film["film_id"]], "genres": ["Drama"], "by": "city",
        "screens": 12})
    assert f"{want['expected_new']:,.1f} more expected" in page.inner_text("#dist-total")
    assert f"{want['screens']['total']:,} screens shared out" in page.inner_text("#dist-total")
    watched.assert_clean()


def test_a_list_too_big_to_keep_is_not_written_out_at_each_key(watched: Any,
                                                               served_demo: Any) -> None:
    """Each key typed in a box of a million pasted ids turned the whole form into JSON (9 MB,
    then thrown away as too big to keep): the fields' length alone says it is not kept."""
    page = watched.page
    page.goto(f"{served_demo.base}/studio/#/build")
    page.fill("#seed-ids", "u00001")
    written = page.evaluate("""() => {
        const box = document.querySelector('#seed-ids');
        const stringify = JSON.stringify;
        let long = 0;
        JSON.stringify = (...args) => {
          const text = stringify(...args);
          if (text.length > 1000000) long++;
          return text;
        };
        box.value = 'u0000001\\n'.repeat(200000);  // 1.8 M characters
        for (let i = 0; i < 3; i++) box.dispatchEvent(new Event('input', { bubbles: true }));
        JSON.stringify = stringify;
        return long;
    }""")
    assert written == 0
    assert page.evaluate("sessionStorage.getItem('studio:build-lookalike')") is None
    page.fill("#seed-ids", "u00002")  # a list short enough is kept again
    assert "u00002" in page.evaluate("sessionStorage.getItem('studio:build-lookalike')")
    watched.assert_clean()
