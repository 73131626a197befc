"""Audience Studio for a keyboard and a screen reader: every page names itself in the tab, the
focus ring stands out from what it is drawn on, and a button that waits for the server gives
the focus back when its answer (or its error) is painted."""

from __future__ import annotations

import re
from typing import Any

from studio_http import api, stored_plan

FAIL = {"status": 500, "content_type": "application/json", "body": '{"detail": "probe"}'}


def _luminance(rgb: tuple[float, float, float]) -> float:
    """WCAG 2's relative luminance of an sRGB colour (0-255 channels)."""
    def channel(c: float) -> float:
        c /= 255
        return c / 12.92 if c <= 0.03928 else float(((c + 0.055) / 1.055) ** 2.4)
    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _contrast(a: tuple[float, float, float], b: tuple[float, float, float]) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def _rgb(css: str) -> tuple[float, float, float, float]:
    """``rgb(r, g, b)`` or ``rgba(r, g, b, a)`` as the browser computes a colour."""
    parts = [float(p) for p in re.findall(r"[\d.]+", css)]
    return parts[0], parts[1], parts[2], parts[3] if len(parts) > 3 else 1.0


def _ring_and_ground(page: Any) -> tuple[tuple[float, float, float], tuple[float, float, float]]:
    """The focused element's outline colour, and the opaque colour behind the outline (the
    first ancestor with a background: the outline is drawn outside the element)."""
    style = page.evaluate("""() => {
      const e = document.activeElement;
      const cs = getComputedStyle(e);
      let ground = 'rgb(255, 255, 255)';
      for (let a = e.parentElement; a; a = a.parentElement) {
        const bg = getComputedStyle(a).backgroundColor;
        if (bg !== 'rgba(0, 0, 0, 0)' && bg !== 'transparent') { ground = bg; break; }
      }
      return [cs.outlineStyle, cs.outlineWidth, cs.outlineColor, ground];
    }""")
    assert style[0] != "none" and float(style[1].rstrip("px")) >= 2, style
    ring, ground = _rgb(style[2]), _rgb(style[3])
    assert ring[3] == 1 and ground[3] == 1, style
    return ring[:3], ground[:3]


def _tab_to(page: Any, selector: str) -> None:
    """Tab from the top of the page until ``selector`` has the focus (as a keyboard gets
    there: the focus ring is :focus-visible's)."""
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    for _ in range(80):
        page.keyboard.press("Tab")
        if page.evaluate(f"() => document.activeElement.matches({selector!r})"):
            return
    raise AssertionError(f"Tab never reached {selector}")


def test_every_page_names_itself_in_the_tab(watched: Any, served_demo: Any) -> None:
    """Only a film's and a user's pages retitled the tab: the overview, the search, the
    builders, the planner, the campaigns, Distribute and every error page were all "Audience
    Studio" (a screen reader reads the title after a move; the history and the tab list could
    not tell the pages apart)."""
    page = watched.page
    plan = stored_plan(served_demo, 23, budget=10, waves=2, seed=51)["plan_id"]
    pages = {"#/": "Overview", "#/search": "Find a film", "#/user": "Find a user",
             "#/build": "Build an audience", "#/plan": "Plan a slate", "#/campaigns": "Campaigns",
             f"#/campaigns/{plan}": f"Campaign {plan}", "#/distribute": "Distribute",
             "#/film/no-such-film": "Film not found", "#/no-such-page": "Not found"}
    titles = []
    for address, heading in pages.items():
        page.goto(f"{served_demo.base}/studio/{address}")
        page.wait_for_selector(f"h1:text-is({heading!r})")
        page.wait_for_function(f"() => document.title.startsWith({heading + ' · '!r})")
        assert page.title() == f"{heading} · Audience Studio"
        titles.append(page.title())
    assert len(set(titles)) == len(titles)
    # the API's 404 for the unknown film is logged by the browser as a failed resource
    watched.console_errors[:] = [e for e in watched.console_errors if "404" not in e]
    watched.assert_clean()


def test_the_focus_ring_stands_out_from_what_it_is_drawn_on(watched: Any,
                                                           served_demo: Any) -> None:
    """WCAG's 3:1 for what shows a control's state: the ring's #f0b429 was 1.9:1 against the
    page's white, so a focused link or button in the page was hard to find (it showed on the
    navy bar only)."""
    page = watched.page
    page.goto(f"{served_demo.base}/studio/#/plan")
    page.wait_for_selector("#cap")
    for selector in ("nav a[data-nav='overview']", "#key-button", "#slate-search", "#cap",
                     "form button[type=submit]", "footer a"):
        _tab_to(page, selector)
        ring, ground = _ring_and_ground(page)
        assert _contrast(ring, ground) >= 3, (selector, ring, ground)
    watched.assert_clean()


def test_planning_from_the_keyboard_leaves_the_focus_on_plan(watched: Any,
                                                             served_demo: Any) -> None:
    """"Plan" waits, disabled, for its answer: the focus fell to the body with it, and the next
    Tab went to the top of the page, past the plan just drawn."""
    page = watched.page
    film = api(served_demo, "/films?limit=25")["films"][24]
    page.goto(f"{served_demo.base}/studio/#/plan")
    page.fill("#slate-search", film["film_id"])
    page.press("#slate-search", "Enter")
    page.wait_for_selector("tbody tr")
    page.fill("input[aria-label^='budget for']", "5")
    _tab_to(page, "form button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_selector("#plan-result a:text('Open this campaign')")
    assert page.evaluate("() => document.activeElement.matches('form button[type=submit]')")
    page.keyboard.press("Tab")  # on to the plan drawn below, not back to the top
    assert page.evaluate("() => document.getElementById('plan-result')"
                         ".contains(document.activeElement)")
    watched.assert_clean()


def _press_next_wave_refused(page: Any, base: str, plan: str) -> None:
    """Open ``plan``'s campaign page with its next wave and withdrawal refused (500), and press
    "Plan the next wave" from the keyboard."""
    page.route("**/next", lambda route: route.fulfill(**FAIL))
    page.route("**/withdraw", lambda route: route.fulfill(**FAIL))
    page.goto(f"{base}/studio/#/campaigns/{plan}")
    page.wait_for_selector("#next-wave:enabled")
    page.focus("#next-wave")
    page.keyboard.press("Enter")


def test_a_failed_next_wave_or_withdrawal_gives_the_focus_back(watched: Any,
                                                               served_demo: Any) -> None:
    """A next wave or a withdrawal the server refused left the focus on the body (the button
    pressed was disabled, the confirmation removed with the error): the next Tab went to the
    top of the page, away from the error and the button to press again."""
    page = watched.page
    plan = stored_plan(served_demo, 24, budget=10, waves=2, seed=52)["plan_id"]
    _press_next_wave_refused(page, served_demo.base, plan)
    page.wait_for_selector("[role=alert]:has-text('probe')")
    assert page.evaluate("() => document.activeElement.id") == "next-wave"
    page.focus("#withdraw-none")
    page.keyboard.press("Enter")
    page.focus("#withdraw-confirm")
    page.keyboard.press("Enter")
    page.wait_for_selector("#withdraw-out [role=alert]:has-text('probe')")
    assert page.evaluate("() => document.activeElement.id") == "withdraw-none"
    # the refusals are logged by the browser as failed resources
    watched.console_errors[:] = [e for e in watched.console_errors if "500" not in e]
    watched.assert_clean()


def test_leaving_the_report_window_with_tab_goes_on_into_the_report(watched: Any,
                                                                    served_demo: Any) -> None:
    """The report window's box, left with Tab, asks for the report again as the focus moves
    into it: the report drawn anew took the focus with it to the body (a screen reader lost
    its place on the page)."""
    page = watched.page
    plan = stored_plan(served_demo, 25, budget=10, waves=2, seed=53)["plan_id"]
    page.goto(f"{served_demo.base}/studio/#/campaigns/{plan}")
    page.wait_for_selector("#report-note")
    page.fill("#report-window", "7")
    page.focus("#report-window")
    page.keyboard.press("Tab")
    page.wait_for_selector("th:has-text('(within 7 days')")
    assert page.evaluate("""() => document.activeElement === document.querySelector('#report')
      .querySelector('a[href], button, input, select, summary')""")
    watched.assert_clean()


def test_a_field_left_with_tab_goes_on_into_its_answer_drawn_again(watched: Any,
                                                                   served_demo: Any) -> None:
    """A search's genre, or a film's screens to share out, left with Tab asks for the answer
    under it again as the focus moves into the old one: the focus fell to the body with it."""
    page = watched.page
    demo = api(served_demo, "/films?limit=1")["films"][0]
    genre = demo["genres"][0]
    first = api(served_demo, f"/films?genre={genre}&limit=1")["films"][0]["film_id"]
    page.goto(f"{served_demo.base}/studio/#/search")
    page.wait_for_selector("#results table")
    page.fill("#genre", genre)
    page.focus("#genre")
    page.keyboard.press("Tab")
    page.wait_for_function("() => location.hash.includes('genre=')")  # the old results gone
    page.wait_for_selector("#results table")
    page.wait_for_timeout(300)  # the focus is set by now, if it is
    assert page.evaluate("() => document.activeElement.getAttribute('href')") == f"#/film/{first}"
    page.goto(f"{served_demo.base}/studio/#/film/{demo['film_id']}")
    demand = "section[aria-labelledby='s-demand-by-place']"
    page.wait_for_selector(f"{demand} table")
    page.fill("#dist-screens", "30")
    page.focus("#dist-screens")
    page.keyboard.press("Tab")
    page.wait_for_function("() => location.hash.includes('screens=30')")  # the old table gone
    page.wait_for_selector(f"{demand} table")
    page.wait_for_timeout(300)
    assert page.evaluate(f"""() => document.activeElement !== document.body
      && document.querySelector("{demand}").contains(document.activeElement)""")
    watched.assert_clean()


def test_a_field_left_with_a_click_on_the_page_keeps_the_focus_where_the_click_put_it(
        watched: Any, served_demo: Any) -> None:
    """A search's genre, a film's screens or a campaign's report window left with a click on
    the page's bar (no control there: the focus goes to the body, as a Tab leaving the field
    leaves it while the field tells its change) gave the focus to the answer drawn again: a
    click on the page's text took the page to the first result, its ring and a screen reader
    with it."""
    page = watched.page
    bar = {"selector": "header.top", "position": {"x": 3, "y": 3}}  # the bar's corner: no control
    demo = api(served_demo, "/films?limit=1")["films"][0]
    page.goto(f"{served_demo.base}/studio/#/search")
    page.wait_for_selector("#results table")
    page.fill("#genre", demo["genres"][0])
    page.click(**bar)
    page.wait_for_function("() => location.hash.includes('genre=')")
    page.wait_for_selector("#results table")
    page.wait_for_timeout(300)  # the focus is set by now, if it is
    assert page.evaluate("() => document.activeElement === document.body")
    page.goto(f"{served_demo.base}/studio/#/film/{demo['film_id']}")
    demand = "section[aria-labelledby='s-demand-by-place']"
    page.wait_for_selector(f"{demand} table")
    page.fill("#dist-screens", "30")
    page.click(**bar)
    page.wait_for_function("() => location.hash.includes('screens=30')")
    page.wait_for_selector(f"{demand} table")
    page.wait_for_timeout(300)
    assert page.evaluate("() => document.activeElement === document.body")
    plan = stored_plan(served_demo, 26, budget=10, waves=2, seed=54)["plan_id"]
    page.goto(f"{served_demo.base}/studio/#/campaigns/{plan}")
    page.wait_for_selector("#report-note")
    page.fill("#report-window", "7")
    page.click(**bar)
    page.wait_for_selector("th:has-text('(within 7 days')")
    page.wait_for_timeout(300)
    assert page.evaluate("() => document.activeElement === document.body")
    watched.assert_clean()


def test_a_click_elsewhere_while_a_button_waits_keeps_its_focus(watched: Any,
                                                                served_demo: Any) -> None:
    """"Plan the next wave" or a withdrawal confirmed, then a click on the page's bar while it
    waited (the focus the user put on the body): the refusal gave the focus back to the button,
    away from where the click had put it."""
    page = watched.page
    plan = stored_plan(served_demo, 28, budget=10, waves=2, seed=56)["plan_id"]
    # the refusal comes a second after the press: time for the click
    page.add_init_script("""(() => { const f = window.fetch; window.fetch = async (u, o) => {
      if (["/next", "/withdraw"].some((end) => String(u).endsWith(end))) {
        await new Promise((r) => setTimeout(r, 1000));
      }
      return f(u, o); }; })()""")
    _press_next_wave_refused(page, served_demo.base, plan)
    page.click("header.top", position={"x": 3, "y": 3})  # the bar's corner: no control
    page.wait_for_selector("[role=alert]:has-text('probe')")
    page.wait_for_timeout(100)
    assert page.evaluate("() => document.activeElement === document.body")
    page.focus("#withdraw-none")  # a refused withdrawal, the same
    page.keyboard.press("Enter")
    page.focus("#withdraw-confirm")
    page.keyboard.press("Enter")
    page.click("header.top", position={"x": 3, "y": 3})
    page.wait_for_selector("#withdraw-out [role=alert]:has-text('probe')")
    page.wait_for_timeout(100)
    assert page.evaluate("() => document.activeElement === document.body")
    watched.console_errors[:] = [e for e in watched.console_errors if "500" not in e]
    watched.assert_clean()
