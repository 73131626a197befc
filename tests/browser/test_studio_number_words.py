"""The Studio's numbers read as the rest of the page writes them: a page's range of users or
films carries thousands separators as its total does, and a horizon shorter than a day is not
"within 0 days". Answers the demo model never gives (a horizon of hours, a catalog of
thousands) are stood in for by the test."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from typing import Any


def _film_id(served: Any) -> str:
    manifest = json.loads((served.data / "demo.json").read_text())
    return urllib.parse.quote(manifest["example_film_id"], safe="")


def _amended(change: Any, url: Any = None) -> Any:
    """A route handler answering the server's JSON body (for ``url(request url)`` when
    given) as ``change(body)`` returns it."""
    def handler(route: Any) -> None:
        real = route.fetch(url=url(route.request.url)) if url else route.fetch()
        route.fulfill(status=real.status, content_type="application/json",
                      body=json.dumps(change(real.json())))
    return handler


def test_a_pages_range_carries_thousands_separators(watched: Any, served_demo: Any) -> None:
    """"Users 1001–1025 of 2,070": the range was written bare beside its total's separator
    (the film's audience table; so was the search's "Films 1001–1025 of 5,000")."""
    page = watched.page
    fid = _film_id(served_demo)
    page.goto(f"{served_demo.base}/studio/#/film/{fid}?offset=1000")
    page.wait_for_selector("#audience-status")
    with urllib.request.urlopen(f"{served_demo.base}/films/{fid}/audience/summary") as r:
        total = json.loads(r.read())["candidates"]
    assert total > 1025  # the demo's example film: 2,070 candidates
    assert page.inner_text("#audience-status") == f"Users 1,001–1,025 of {total:,}"
    # a catalog of 5,000 matches, its page at 1,000 (the demo's films from 0 stood in)
    page.route("**/films?*", _amended(lambda b: {**b, "total": 5000},
                                      lambda u: u.replace("offset=1000", "offset=0")))
    page.goto(f"{served_demo.base}/studio/#/search?q=the&offset=1000")
    page.wait_for_selector("text=of 5,000")
    assert "Films 1,001–1,0" in page.inner_text("#view")
    watched.assert_clean()


def test_a_horizon_under_a_day_is_not_zero_days(watched: Any, served_demo: Any) -> None:
    """A held-out slice of six hours (a log of a day or two) gave a calibration horizon of
    0.25 days, written to no decimal: "expected to watch the film within 0 days" on the funnel,
    "more expected within 0 days" under demand by place. Whole days from 10 on, as before."""
    page = watched.page
    fid = _film_id(served_demo)

    def hours(b: dict[str, Any]) -> dict[str, Any]:
        return {**b, "horizon": {**b["horizon"], "days": 0.25}}
    page.route(f"**/films/{fid}/audience/summary", _amended(hours))
    page.route(f"**/films/{fid}/distribution?*", _amended(hours))
    page.goto(f"{served_demo.base}/studio/#/film/{fid}")
    page.wait_for_selector("#dist-total")
    funnel = page.inner_text("section[aria-labelledby=s-audience-funnel]")
    assert "within 0.25 days" in funnel and "within 0 days" not in funnel
    assert "more expected within 0.25 days" in page.inner_text("#dist-total")
    got = page.evaluate("""async () => {
        const { days } = await import("/studio/assets/js/ui.js");
        return [106.216, 10, 9.5, 1, 0.25, 0.001, 12345.6].map(days);
    }""")
    assert got == ["106", "10", "9.5", "1", "0.25", "0.001", "12,346"]
    watched.assert_clean()


def test_a_rare_films_conversions_keep_the_digits_its_lift_rebuilds_from(
        watched: Any, served_demo: Any) -> None:
    """A rare film's conversions (ml-100k's film 1500: 0.0006288 over a base of 0.0001961,
    lift 3.206) read "0.06%" and "0.02%" on the funnel: 4 significant digits below 1%, as the
    server rounds them, and the percentages the server gives above it, to 2 decimals.
    Oracle: the stood-in body's figures, rebuilt to percent by Python's exponent format."""
    page = watched.page
    fid = _film_id(served_demo)
    rare = [0.002002, 0.0006288, 0.0003131]

    def rarer(b: dict[str, Any]) -> dict[str, Any]:
        tiers = [{**t, "expected_conversion": p, "conversion_lift": round(p / 0.0001961, 3),
                  "expected_conversion_interval": [round(p * 0.8, 7), round(p * 1.2, 7)]}
                 for t, p in zip(b["tiers"], rare, strict=True)]
        return {**b, "base_conversion": 0.0001961, "tiers": tiers}
    page.route(f"**/films/{fid}/audience/summary", _amended(rarer))
    page.goto(f"{served_demo.base}/studio/#/film/{fid}")
    page.wait_for_selector("section[aria-labelledby=s-audience-funnel] li")
    funnel = page.inner_text("section[aria-labelledby=s-audience-funnel]")
    assert "0.01961%" in funnel  # the base, once 0.02%
    for p in rare:
        shown = f"{100 * float(f'{p:.3e}'):.{max(2, 3 - int(f'{100 * p:e}'.split('e')[1]))}f}%"
        assert f"expected conversion {shown}" in funnel, (shown, funnel)
        assert f"×{p / 0.0001961:.3f} base" in funnel
    got = page.evaluate("""async () => {
        const { pctP } = await import("/studio/assets/js/ui.js");
        return [0.52868, 0.04071, 0.01, 0.0099996, 0.0006288, 0.00001234, 0, null]
            .map((x) => pctP(x));
    }""")
    assert got == ["52.87%", "4.07%", "1.00%", "1.0000%", "0.06288%", "0.001234%", "0.00%", "–"]
    watched.assert_clean()
