"""The film page's attribute filter groups its values by attribute (one optgroup each, the
server's order of attributes and of each one's values), with a raw number whose band the model
has too (age beside age_band) last: it was one flat list of ~160 values, every age from 16 to
75 before gender, occupation and region. Oracle: GET /users/attributes."""

from __future__ import annotations

import json
import urllib.parse
from typing import Any

from studio_http import api


def test_the_filter_groups_values_by_attribute_with_raw_ages_last(watched: Any,
                                                                  served_demo: Any) -> None:
    body = api(served_demo, "/users/attributes")
    attributes = body["attributes"]
    assert {"age", "age_band"} <= set(attributes)  # the demo's users file has both
    assert all(v.isdigit() for v in attributes["age"])
    # the server's order of attributes, age moved after the others (its band is offered)
    want = [a for a in attributes if a != "age"] + ["age"]
    film = json.loads((served_demo.data / "demo.json").read_text())["example_film_id"]
    page = watched.page
    page.goto(f"{served_demo.base}/studio/#/film/{urllib.parse.quote(film, safe='')}")
    page.wait_for_selector("#audience-status")
    groups = page.eval_on_selector_all(
        "#filter optgroup", "gs => gs.map((g) => [g.label, [...g.children].map((o) => o.value)])")
    assert [label for label, _ in groups] == want
    for label, values in groups:
        blank = body["without_value"].get(label)
        extra = [] if not blank and blank is not None else [f"{label}=(no value)"]
        assert values == [f"{label}={v}" for v in attributes[label]] + extra, label
    # nothing outside the groups but the choice of no filter
    assert page.eval_on_selector_all("#filter > option", "os => os.map((o) => o.value)") == [""]
    watched.assert_clean()
