"""A city named in two regions: the film page's attribute filter offers each of its towns
(``city=NAME (REGION)``, as the server's filter and distribution name them), and a bookmark of
one keeps it (the filter offered only the shared name, and a town's bookmark was dropped for
every user). Oracle: the server's own audience total for that filter."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from conftest import Served, _serve, trained_small_demo
from studio_http import api


def _twin_a_city(data: Path) -> tuple[str, str, str]:
    """Rename the users' and cinemas' first city of one region to a city of another region;
    (the shared name, the renamed town's region, the other town's region)."""
    with open(data / "users.csv", encoding="utf-8") as f:
        users = list(csv.DictReader(f))
    first = users[0]
    other = next(u for u in users if u["region"] != first["region"])
    old, name = first["city"], other["city"]
    for file, region_col in (("users.csv", "region"), ("cinemas.csv", "region")):
        with open(data / file, encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
            fields = list(rows[0])
        for row in rows:
            if row["city"] == old and row[region_col] == first["region"]:
                row["city"] = name
        with open(data / file, "w", encoding="utf-8", newline="") as f:
            w = csv.DictWriter(f, fieldnames=fields)
            w.writeheader()
            w.writerows(rows)
    return name, first["region"], other["region"]


@pytest.fixture(scope="module")
def served_twin(tmp_path_factory: pytest.TempPathFactory, small_demo: Path
                ) -> Iterator[tuple[Served, tuple[str, str, str]]]:
    twins: list[tuple[str, str, str]] = []
    folders = trained_small_demo(tmp_path_factory, small_demo, "twin-city",
                                 lambda data: twins.append(_twin_a_city(data)))
    for served in _serve(*folders):
        yield served, twins[0]


def test_a_town_is_offered_and_its_bookmark_kept(served_twin: Any, watched: Any) -> None:
    served, (name, region, other) = served_twin
    page = watched.page
    film = api(served, "/films?limit=1")["films"][0]["film_id"]
    town = f"city={name} ({region})"
    total = api(served, f"/films/{quote(film)}/audience?k=1&filter={quote(town)}")["total"]
    page.goto(f"{served.base}/studio/#/film/{quote(film)}?filter={quote(town)}")
    page.wait_for_selector("#audience-status")
    options = page.eval_on_selector_all("#filter option", "os => os.map((o) => o.value)")
    assert {f"city={name}", town, f"city={name} ({other})"} <= set(options)
    assert page.input_value("#filter") == town
    assert page.inner_text("#audience-status").endswith(f"of {total:,}")
    assert "filter=" in page.url
    watched.assert_clean()
