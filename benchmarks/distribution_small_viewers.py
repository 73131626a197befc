"""Does a distribution row give back a small group's viewers, and would hiding `viewers` hide it?

``viewers`` per place is the exact count of the place's users who watched the film (README,
**Privacy by default**): ``min_cell`` bounds a place's users, not its viewers. This measures,
on the demo (seed 7) and MovieLens 100K, every film's breakdown by each place attribute at
minimum cell 10: the rows whose viewers are a small group (1 to min_cell - 1), and, were their
``viewers`` hidden (null), which of the body's other figures would still pin them to one
count (the integers in 0..min_cell-1 that each figure, at its printed precision, leaves):

- ``expected_total - expected_new`` (3 decimals each);
- ``share`` (6 decimals) times the body's ``expected_total``, less ``expected_new``;
- ``index_vs_users`` (0.1) times ``user_share`` (6 decimals), the same way;
- ``screens`` at the largest count one may ask (10,000,000, uncapped): a row's largest
  remainder quota is within 1 of its screens;
- the body's ``viewers`` (the film's, less users_without_place's: public) less the other
  rows', when the row is the only one of its answer whose viewers are hidden.

Then the design that would close it in one answer: such a row's ``viewers`` null, its
``expected_total`` shown to the nearest multiple of min_cell (share, indices and screens
computed from that shown figure, so they say no more), and, where it is its answer's only such
row, a second row (the next fewest viewers) hidden the same way: the counts each row is then
left with. ``viewers`` is an integer field of every row today (the schema's, summed into the
body's), so that design changes a published field; the measurement says what it would buy.

    nice python benchmarks/distribution_small_viewers.py [--datasets ../shared/datasets] [--quick]

Writes benchmarks/results/distribution_small_viewers.json and .md (``--quick``: 60 films per
data set, results/quick/). Every figure in the .md is computed here from the JSON.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (  # noqa: E402
    add_datasets,
    provenance,
    results_dir,
    run_date,
    write_result,
)

from recommender.distribution.demand import MAX_SCREENS, demand_by_place  # noqa: E402
from recommender.distribution.places import place_attributes  # noqa: E402
from recommender.io import demo, readers  # noqa: E402
from recommender.model.config import TrainConfig  # noqa: E402
from recommender.model.model import Model  # noqa: E402
from recommender.model.training import train  # noqa: E402

MIN_CELL = 10
NAME = "distribution_small_viewers"
CHANNELS = ("total_less_new", "share", "index_vs_users", "screens", "body_sum")


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def candidates(lo: float, hi: float, m: int) -> int:
    """The counts in 0..m-1 within [lo, hi]."""
    return max(0, min(m - 1, int(np.floor(hi + 1e-9))) - max(0, int(np.ceil(lo - 1e-9))) + 1)


def coarse(x: float, m: int) -> float:
    """``x`` to the nearest multiple of ``m`` (the design's shown expected_total)."""
    return float(np.floor(x / m + 0.5) * m)


def left_by_coarse(total: float, new: float, m: int) -> tuple[float, float]:
    """The interval of viewers a shown coarse total leaves, expected_new known."""
    shown = coarse(total, m)
    return shown - m / 2 - new - 5e-4, shown + m / 2 - new + 5e-4


def answer(body: dict[str, Any], screened: dict[str, Any], m: int) -> list[dict[str, Any]]:
    """Per row whose viewers are 1..m-1: the counts each channel leaves, today and under the
    design."""
    rows = body["places"]
    small = [i for i, r in enumerate(rows) if 0 < r["viewers"] < m]
    if not small:
        return []
    big_total, n = body["expected_total"], screened["screens"]["total"]
    alloc = {r["place"]: r["screens"] for r in screened["places"]}
    out = []
    for i in small:
        r = rows[i]
        v, e, t = r["viewers"], r["expected_new"], r["expected_total"]
        s, idx, us = r["share"], r["index_vs_users"], r["user_share"]
        a = alloc[r["place"]]
        left = {
            "total_less_new": candidates(t - e - 1e-3, t - e + 1e-3, m),
            "share": candidates((s - 5e-7) * (big_total - 5e-4) - e - 5e-4,
                                (s + 5e-7) * (big_total + 5e-4) - e + 5e-4, m),
            "index_vs_users": m if idx is None else candidates(
                (idx - 0.05) / 100 * (us - 5e-7) * (big_total - 5e-4) - e - 5e-4,
                (idx + 0.05) / 100 * (us + 5e-7) * (big_total + 5e-4) - e + 5e-4, m),
            "screens": candidates((a - 1) * (big_total - 5e-4) / n - e - 5e-4,
                                  (a + 1) * (big_total + 5e-4) / n - e + 5e-4, m),
            "body_sum": 1 if len(small) == 1 else m,
        }
        assert min(left.values()) >= 1  # each figure leaves the true count among others
        lo, hi = left_by_coarse(t, e, m)
        design = candidates(lo, hi, m)
        if len(small) == 1:  # a second row hidden: the pair's sum is known, each one's coarse
            others = [j for j in range(len(rows)) if j != i and rows[j]["place"] != "other"]
            j = min(others or [k for k in range(len(rows)) if k != i],
                    key=lambda k: rows[k]["viewers"])
            pair = v + rows[j]["viewers"]
            lo2, hi2 = left_by_coarse(rows[j]["expected_total"], rows[j]["expected_new"], m)
            design = min(design, candidates(pair - hi2, pair - lo2, m))
        assert lo - 1e-6 <= v <= hi + 1e-6  # the true count is among those left
        out.append({"viewers": v, "only_one": len(small) == 1, "left": left,
                    "design_left": design})
    return out


def measure(model: Model, name: str, films: list[str]) -> dict[str, Any]:
    """Every film's breakdown by each place attribute of ``model``."""
    res: dict[str, Any] = {"dataset": name, "films": len(films), "users": model.n_users,
                           "by": {}}
    for by in place_attributes(model):
        t0 = time.perf_counter()
        rows: list[dict[str, Any]] = []
        shown = answers = 0
        for film in films:
            body = demand_by_place(model, film, by, min_cell=MIN_CELL)
            if not body["places"]:
                continue
            answers += 1
            shown += len(body["places"])
            if any(0 < r["viewers"] < MIN_CELL for r in body["places"]):
                screened = demand_by_place(model, film, by, screens=MAX_SCREENS,
                                           min_cell=MIN_CELL)
                rows += [{**x, "film_id": film} for x in answer(body, screened, MIN_CELL)]
        pinned = {c: sum(r["left"][c] == 1 for r in rows) for c in CHANNELS}
        res["by"][by] = {
            "answers": answers, "rows": shown, "small_rows": len(rows),
            "films_with_small_rows": len({r["film_id"] for r in rows}),
            "only_small_row_of_answer": sum(r["only_one"] for r in rows),
            "pinned_by": pinned,
            "pinned_by_any": sum(any(r["left"][c] == 1 for c in CHANNELS) for r in rows),
            "design_pinned": sum(r["design_left"] == 1 for r in rows),
            "design_left_median": (float(np.median([r["design_left"] for r in rows]))
                                   if rows else None),
            "seconds": round(time.perf_counter() - t0, 1)}
        log(f"{name} by {by}: {res['by'][by]}")
    return res


def render(doc: dict[str, Any]) -> str:
    """The .md: one table per data set, every figure from the JSON."""
    m = doc["min_cell"]
    lines = [f"# A distribution row's small viewer counts (minimum cell {m})", "",
             f"Measured by `benchmarks/{NAME}.py` {run_date(doc)} "
             f"({provenance(doc.get('machine'))}); every "
             f"film's breakdown by each place attribute. A small row: viewers 1 to {m - 1}. "
             "Today the row's `viewers` shows that count as it is; pinned: were it hidden, the "
             "figure alone leaves one count.", ""]
    for run in doc["runs"]:
        lines += [f"## {run['dataset']} ({run['films']:,} films, {run['users']:,} users)", "",
                  "| by | rows shown | small rows (% of rows; films) | the answer's only "
                  "one | pinned by total - new | by share | by index_vs_users | by screens "
                  "(10,000,000) | by the body's viewers | by any | design: pinned | design: "
                  "median counts left |", "|" + " --- |" * 12]
        for by, r in run["by"].items():
            p = r["pinned_by"]
            med = "n/a" if r["design_left_median"] is None else f"{r['design_left_median']:g}"
            lines.append(f"| {by} | {r['rows']:,} | {r['small_rows']:,} "
                         f"({100 * r['small_rows'] / max(r['rows'], 1):.0f}%; "
                         f"{r['films_with_small_rows']:,}) | {r['only_small_row_of_answer']:,} "
                         f"| {p['total_less_new']:,} | {p['share']:,} | {p['index_vs_users']:,} "
                         f"| {p['screens']:,} | {p['body_sum']:,} | {r['pinned_by_any']:,} | "
                         f"{r['design_pinned']:,} | {med} |")
        lines.append("")
    lines += ["Design: a small row's `viewers` null, its `expected_total` to the nearest "
              f"multiple of {m} (share, indices and screens from that figure), and a second "
              "row hidden alike where it is its answer's only one; `design: median counts "
              f"left` is the median number of counts in 0..{m - 1} it leaves a small row.", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_datasets(p)
    p.add_argument("--quick", action="store_true", help="60 films per data set")
    a = p.parse_args(argv)
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        sources = [("demo (seed 7)", demo.generate(Path(tmp) / "demo"))]
        ml = Path(a.datasets) / "ml-100k"
        if ml.is_dir():
            sources.append(("MovieLens 100K", ml))
        for name, folder in sources:
            model = train(readers.load(folder), TrainConfig(seed=0), progress=False)
            films = [str(f) for f in model.films.ids.tolist()]
            runs.append(measure(model, name, films[:60] if a.quick else films))
    doc = {"min_cell": MIN_CELL, "runs": runs}
    out = write_result(NAME, doc, a.quick)
    from common import read_result

    md = render(read_result(NAME, a.quick) or doc)
    (results_dir(a.quick) / f"{NAME}.md").write_text(md)
    log(f"wrote {out.with_suffix('.md')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
