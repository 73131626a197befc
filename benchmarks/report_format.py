"""Formatting helpers for the benchmark report.

Numbers, Markdown tables and sections, and lookups into the result JSON files (any of which
may be missing, or lack a field).
"""

from __future__ import annotations

from typing import Any

GIB = 1024.0


def fmt(x: float | None, digits: int = 2, unit: str = "") -> str:
    """A number with precision by magnitude (thousands separated) and a unit; n/a for None."""
    if x is None:
        return "n/a"
    if abs(x) >= 100:  # 999.6 as "1,000", as 1,000.4 is
        s = f"{x:,.0f}"
    elif abs(x) >= 10:
        s = f"{x:.1f}"
    else:
        s = f"{x:.{digits}f}"
    return s + unit


def fmt_vs(x: float | None, goal: float, digits: int = 2, unit: str = "") -> str:
    """:func:`fmt` of a figure judged against ``goal``, with as many more decimals as it takes
    (up to six) not to read as the goal itself when it is not: a ratio of 1.2504 misses
    "≤ 1.25×", and "1.25×" beside **miss** (or 49.96% shown "50.0%" beside a miss of "≥ 50%")
    contradicts its own verdict."""
    s = fmt(x, digits, unit)
    if x is None or x == goal:
        return s
    used = 0 if abs(x) >= 100 else 1 if abs(x) >= 10 else digits
    if round(x, used) != goal:
        return s
    more = next((d for d in range(used + 1, used + 7) if round(x, d) != goal), used + 6)
    return f"{x:,.{more}f}{unit}"


def ratio(num: float | None, den: float | None, stored: float | None = None) -> float | None:
    """``num / den`` from the medians a result file records, or the file's ``stored`` ratio
    where either is missing: the stored ratios are rounded (to 2 or 3 decimals), and a verdict
    taken on them passed a ratio of 3.004 against "≤ 3×" as 3.0."""
    if num is None or not den:
        return stored
    return float(num) / float(den)


# bench_http.py --blas-threads N results, rendered beside http.json when present (not run by the
# suite): N=0 is BLAS on every core; http_blas1 is an older run's OPENBLAS_NUM_THREADS=1 server
HTTP_VARIANTS = ("http_blas0", "http_blas1")


def server_setting(hh: dict[str, Any] | None) -> str:
    """How a variant's engine server was started, from its result file's environment."""
    env = (hh or {}).get("engine_server_env") or {}
    return ", ".join(f"`{k}={v}`" for k, v in env.items()) or "its default settings"


def shape_label(shape: dict[str, Any]) -> str:
    """The data shape's name as the result files record it: "MovieLens-20M" for ``ml20m``,
    else ``scale_data.py``'s name in backticks (the quick suite's ``1m``, which a page that
    always said "MovieLens-20M" misnamed)."""
    name = shape.get("name")
    if name in (None, "ml20m"):
        return "MovieLens-20M"
    return f"`{name}`"


def table(headers: list[str], rows: list[list[Any]]) -> str:
    """A Markdown table."""
    out = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def section(heading: str, *parts: str) -> str:
    """A Markdown section: the heading, then each part, each followed by a blank line."""
    return "\n".join([heading, "", *(["\n\n".join(parts)] if parts else []), ""])


def status(ok: bool | None, variant: bool = False) -> str:
    """A target's verdict: bold pass/miss, or in parentheses for an informative variant."""
    if ok is None:
        return "n/a"
    if variant:
        return "(pass)" if ok else "(miss)"
    return "**pass**" if ok else "**miss**"


def get(d: dict[str, Any] | None, *path: Any) -> Any:
    """The value at ``path`` (keys and list indices) in ``d``, or None where any step is missing."""
    cur: Any = d
    for p in path:
        if cur is None:
            return None
        if isinstance(cur, dict):
            cur = cur.get(p)
        elif isinstance(cur, list) and isinstance(p, int) and p < len(cur):
            cur = cur[p]
        else:
            return None
    return cur


def http_cell(h: dict[str, Any] | None, server: str, endpoint: str, traffic: str, c: int
              ) -> dict[str, Any] | None:
    """The HTTP benchmark cell of this server, endpoint, traffic and connection count, or None."""
    for cell in (h or {}).get("cells", []):
        if (cell["server"], cell["endpoint"], cell["connections"]) == (server, endpoint, c) and \
                (server == "trivial" or cell["traffic"] == traffic):
            d: dict[str, Any] = cell
            return d
    return None


def share_of_trivial(h: dict[str, Any] | None, cell: dict[str, Any] | None
                     ) -> float | None:
    """An engine cell's req/s over the trivial endpoint's at the same endpoint and connection
    count, from the two req/s the file records (``ratio``), not from ``rps_ratio_to_trivial``,
    rounded to 3 decimals when stored: 223.5 / 1944.7 is 11.49%, printed "12%" from 0.115."""
    if cell is None:
        return None
    base = http_cell(h, "trivial", cell["endpoint"], "any", cell["connections"])
    return ratio(cell.get("rps"), None if base is None else base.get("rps"),
                 cell.get("rps_ratio_to_trivial"))


def pct(h: dict[str, Any] | None, cell: dict[str, Any] | None) -> str:
    """``share_of_trivial`` as a whole percent ("11%"), or "n/a" when it is not recorded."""
    share = share_of_trivial(h, cell)
    return "n/a" if share is None else f"{100 * share:.0f}%"
