"""Audience Studio for a keyboard and a screen reader: the focus ring stands out from what it
is drawn on."""

from __future__ import annotations

import re
from typing import Any


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
