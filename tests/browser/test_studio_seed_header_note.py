"""A seed list whose first line is named like an id column (``user_id``, ``USER_ID``) had that
line skipped by the Build page without a word, where the CLI's ``lookalike --seeds`` says
"line 1 'user_id' read as a header ... and skipped". The page now says so beside the list: how
many ids it read, and the line taken as a header. Oracle: the CLI on the same bytes and the
served model (its note on stderr, its ``seeds_used``), and the request the page sends."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from helpers import run_cli
from studio_http import api


@pytest.mark.parametrize("header", ["user_id", "USER ID"])
def test_a_header_line_skipped_is_said_beside_the_list(
        watched: Any, served_demo: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        header: str) -> None:
    film = api(served_demo, "/films?limit=1")["films"][0]["film_id"]
    users = [u["user_id"] for u in api(served_demo, f"/films/{film}/audience?k=3")["users"]]
    text = "\n".join([header, *users]) + "\n"
    seeds = tmp_path / "seeds.txt"
    seeds.write_text(text, encoding="utf-8")
    code, out, err = run_cli(capsys, "lookalike", served_demo.model, "--seeds", seeds,
                             "-k", 5, "--json")
    assert code == 0, err
    assert f"line 1 '{header}' read as a header" in err and "skipped" in err
    assert json.loads(out)["seeds_used"] == len(users)

    page = watched.page
    sent: list[Any] = []
    page.on("request", lambda r: sent.append(r.post_data_json)
            if r.url.endswith("/audiences/lookalike") else None)
    page.goto(f"{served_demo.base}/studio/#/build")
    note = page.locator("#seed-header-note")
    page.fill("#seed-ids", "\n".join(users))
    assert not note.is_visible()  # no header, nothing said
    page.set_input_files("#seed-file", str(seeds))
    note.wait_for(state="visible")
    said = note.inner_text()
    assert said.startswith(f"{len(users)} ids read"), said
    assert f"the first line '{header}' was read as a header" in said and "skipped" in said
    assert page.get_attribute("#seed-ids", "aria-describedby") == "seed-header-note"
    page.fill("#lookalike-k", "5")
    page.get_by_role("button", name="Find lookalikes").click()
    page.wait_for_selector("table:has(caption:text('Lookalike audience'))")
    assert sent[-1]["seed_user_ids"] == users  # the header line not sent as a seed
    assert note.is_visible()
    # the line typed away: said no more
    page.fill("#seed-ids", "\n".join(users[1:]))
    assert not note.is_visible()
    assert page.get_attribute("#seed-ids", "aria-describedby") is None
    watched.assert_clean()
