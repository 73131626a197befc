"""Smart distribution: is the regional forecast any good, and how long does one film take?

Forecast quality on the time protocol (``recommender.evaluation.splits.time_split``: train on
the interactions up to the 80th-percentile timestamp, test on the later ones), with
``recommender.distribution.quality``: for every film with at least ``min_new`` new viewers in
the test period (among the users known in training), each place's forecast share against the
share of the new viewers it actually got: mean absolute error (a share, 0-1) and Spearman's
rank correlation, next to three baselines (the place's share of users, of all past viewing,
of past viewing of the film's genres) and the film's own past viewers (for reference).

- the demo data (``recommender demo-data``, seed 7; its regional taste is planted and recorded
  in ``demo.json``), by region and by city;
- MovieLens 100K (read in place) by ``zip_zone`` (the ZIP code's first digit).

Timing: one film's distribution at the ML-20M shape (138,493 users, 64 factors; random
factors, a demo model's calibration) by region (10 places) and by cinema (5,000 cinemas, with
a 1,000-screen allocation capped by a cinemas table), against the bare matrix-vector product
of the same film in the same run.

    nice -n 10 python benchmarks/bench_distribution.py [--datasets ../shared/datasets] [--quick]
    python benchmarks/bench_distribution.py --render    # no measuring: JSON -> md and README
    python benchmarks/bench_distribution.py --keep-timing   # quality only; timing kept

``--keep-timing`` measures the forecast quality (deterministic) and keeps the previous
distribution.json's timing with the commit, day and load of the run that measured it (on a
loaded machine a timing is noise, where the quality figures are the same at any load).

Writes benchmarks/results/distribution.json and distribution.md (``--quick``: results/quick/).
``--render`` re-renders distribution.md from distribution.json and copies its summary (the
forecast-quality table, MAE and rank correlation per method, and the verdict) into the README
between the ``<!-- results:distribution:start -->`` and ``...:end -->`` markers, so no figure
there is typed by hand.
"""

from __future__ import annotations

import argparse
import importlib.util
import re
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (  # noqa: E402
    add_datasets,
    load_average,
    load_text,
    machine_facts,
    provenance,
    results_dir,
    saved_result,
    stats,
)

from recommender.distribution.demand import demand_by_place  # noqa: E402
from recommender.distribution.quality import cold_start_quality, forecast_quality  # noqa: E402
from recommender.evaluation.report import write_json  # noqa: E402
from recommender.evaluation.splits import time_split  # noqa: E402
from recommender.io import demo, readers  # noqa: E402
from recommender.io.atomic import atomic_file  # noqa: E402
from recommender.io.dataset import Catalog, UserTable  # noqa: E402
from recommender.io.ids import IdMap  # noqa: E402
from recommender.io.places import Cinemas  # noqa: E402
from recommender.model.config import TrainConfig  # noqa: E402
from recommender.model.model import Model, Segments  # noqa: E402
from recommender.model.training import train  # noqa: E402

ROWS = ("forecast", "forecast_new", "users", "past_viewing", "genre_viewing", "film_viewers")
LABELS = {
    "forecast": "forecast: share of expected total (the body's `share`)",
    "forecast_new": "forecast of new viewers only (`expected_new`)",
    "users": "baseline: share of users",
    "past_viewing": "baseline: share of all past viewing",
    "genre_viewing": "baseline: share of past viewing of the film's genres",
    "film_viewers": "reference: share of the film's own past viewers",
}


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def quality(source: Path, name: str, by: list[str], min_new: int) -> dict[str, Any]:
    """Train on the time split's past and compare forecasts with the test period."""
    data = readers.load(source)
    split = time_split(data)
    t0 = time.perf_counter()
    model = train(split.train, TrainConfig(seed=0), progress=False)
    log(f"{name}: trained on {len(split.train):,} interactions in "
        f"{time.perf_counter() - t0:.1f} s")
    test, new = split.test, split.new_films
    out: dict[str, Any] = {"dataset": name, "train_interactions": len(split.train),
                           "test_interactions": len(test), "cutoff": split.cutoff, "by": {}}
    genres = (dict(zip(data.catalog.film_ids.tolist(), data.catalog.genres.tolist(),
                       strict=True)) if data.catalog is not None else {})
    for attr in by:
        known = forecast_quality(model, attr, test.users.ids[test.user_idx],
                                 test.films.ids[test.film_idx], min_new=min_new)
        cold = (cold_start_quality(model, attr, new.users.ids[new.user_idx],
                                   new.films.ids[new.film_idx], genres, min_new=min_new)
                if new is not None and len(new) else None)
        out["by"][attr] = {"known_films": known, "new_films": cold}
        log(f"{name} by {attr}: {known['films']} films, MAE {known['mae']}")
    return out


# the timing shape's places: regions and cinemas as user attributes, the cinema run's screens
TIMING_REGIONS = 10
TIMING_CINEMAS = 5_000
TIMING_SCREENS = 1_000


def scaled_model(n_users: int, n_films: int, factors: int, nnz: int, calibration: dict[str, Any],
                 n_cinemas: int, seed: int = 0) -> tuple[Model, Cinemas]:
    """A model of the given shape made of random arrays, with TIMING_REGIONS regions and
    ``n_cinemas`` cinemas as user attributes, and a cinemas table with 1-20 screens each."""
    rng = np.random.default_rng(seed)
    uf = (rng.standard_normal((n_users, factors)) * 0.1).astype(np.float32)
    ff = (rng.standard_normal((n_films, factors)) * 0.1).astype(np.float32)
    rows = rng.integers(n_users, size=nnz)
    cols = np.minimum(rng.zipf(1.3, size=nnz) - 1, n_films - 1)
    seen = sp.csr_matrix((np.ones(nnz, np.float32), (rows, cols)), shape=(n_users, n_films),
                         dtype=np.float32)
    seen.data[:] = 1.0
    seen.sort_indices()
    users = np.char.add("u", np.arange(n_users).astype(str))
    films = np.char.add("f", np.arange(n_films).astype(str))
    cinema_ids = np.char.add("c", np.arange(n_cinemas).astype(str))
    attrs = {"region": np.char.add("R", rng.integers(TIMING_REGIONS, size=n_users)
                                    .astype(str)),
             "cinema": cinema_ids[rng.integers(n_cinemas, size=n_users)]}
    cal = dict(calibration)
    counts = np.diff(seen.T.tocsr().indptr)
    for key, value in (("users", n_users), ("interactions", int(seen.nnz)),
                       ("film_viewers", counts.tolist()), ("film_recent", (counts // 10).tolist()),
                       ("recent_interactions", int(seen.nnz // 10))):
        if key in cal:
            cal[key] = value
    model = Model(users=IdMap(users), films=IdMap(films), user_factors=uf, film_factors=ff,
                  seen=seen, seen_by_film=seen.T.tocsr(),
                  catalog=Catalog(films, films, np.zeros(n_films, np.int32),
                                  np.full(n_films, "", dtype=str)),
                  user_table=UserTable(users, attrs),
                  segments=Segments(np.zeros(n_users, np.int16), []), calibration=cal)
    screens = rng.integers(1, 21, size=n_cinemas)
    cinemas = Cinemas(cinema_ids, np.full(n_cinemas, "", dtype=str),
                      np.full(n_cinemas, "", dtype=str), screens.astype(np.int64),
                      (screens * 150).astype(np.int64), "synthetic")
    return model, cinemas


def timing(calibration: dict[str, Any], quick: bool) -> dict[str, Any]:
    n_users, n_films, factors = 138_493, 26_744, 64
    nnz = 2_000_000 if quick else 6_000_000
    model, cinemas = scaled_model(n_users, n_films, factors, nnz, calibration, TIMING_CINEMAS)
    counts = model.film_counts()
    film = int(np.argsort(-counts)[100])  # a popular film (not the top one)
    film_id = str(model.films.ids[film])
    reps = 10 if quick else 30
    out: dict[str, Any] = {"shape": {"users": n_users, "films": n_films, "factors": factors,
                                     "interactions": int(model.seen.nnz),
                                     "film_viewers": int(counts[film]),
                                     "regions": TIMING_REGIONS, "cinemas": TIMING_CINEMAS,
                                     "screens": TIMING_SCREENS},
                           "repeats": reps}

    def measure(fn: Any) -> list[float]:
        fn()  # the first call codes the place attribute (cached per model); not counted
        times = []
        for _ in range(reps):
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
        return times

    vec = np.asarray(model.film_factors[film])
    out["matvec_ms"] = stats(measure(lambda: model.user_factors @ vec), 1000.0, 3)
    out["region_ms"] = stats(measure(lambda: demand_by_place(model, film_id, "region")),
                             1000.0, 3)
    out["cinema_ms"] = stats(measure(lambda: demand_by_place(
        model, film_id, "cinema", screens=TIMING_SCREENS, cinemas=cinemas)), 1000.0, 3)
    base = out["matvec_ms"]["median"]
    out["ratio_to_matvec"] = {k: round(out[k]["median"] / base, 1) if base else None
                              for k in ("region_ms", "cinema_ms")}
    out["targets_ms"] = {"region_ms": 50.0, "cinema_ms": 100.0}
    return out


def _f(v: Any, digits: int = 4) -> str:
    return "-" if v is None else f"{v:.{digits}f}"


README = Path(__file__).resolve().parents[1] / "README.md"
README_START, README_END = ("<!-- results:distribution:start -->",
                            "<!-- results:distribution:end -->")
SHORT = {"forecast": "forecast `share` (expected total)",
         "forecast_new": "forecast of new viewers only (`expected_new`)",
         "users": "baseline: share of users", "past_viewing": "baseline: all past viewing",
         "genre_viewing": "baseline: past viewing of the genres",
         "film_viewers": "reference: the film's own past viewers"}
NAMES = {"users": "the users baseline", "past_viewing": "the all-past-viewing baseline",
         "genre_viewing": "the genre baseline"}


def summary(res: dict[str, Any], with_verdict: bool = True) -> list[str]:
    """One table, methods x (data, places): MAE (lower is better) and Spearman (higher is
    better), the best of each column in bold; then the verdict."""
    runs = [(q, attr, parts["known_films"]) for q in res["quality"]
            for attr, parts in q["by"].items() if parts["known_films"]["mae"]]
    head = ["method"]
    for q, attr, k in runs:
        where = f"{q['dataset']} by {attr} ({k['places']} places, {k['films']} films)"
        head += [f"{where}: MAE", f"{where}: Spearman"]
    lines = ["| " + " | ".join(head) + " |", "| --- |" + " ---: |" * (len(head) - 1)]
    for m in ROWS:
        cells = [SHORT[m]]
        for _, _, k in runs:
            for key, best in (("mae", min), ("spearman", max)):
                v = k[key].get(m)
                top = best(x for x in k[key].values() if x is not None)
                text = _f(v, 4 if key == "mae" else 3)
                cells.append(f"**{text}**" if v is not None and v == top else text)
        lines.append("| " + " | ".join(cells) + " |")
    return lines + (["", *verdict(res["quality"])[2:]] if with_verdict else [])


def render_readme(res: dict[str, Any], readme: Path = README) -> bool:
    """Replace the README's distribution block with ``summary(res)``; False when the README
    has no such block."""
    text = readme.read_text(encoding="utf-8")
    if README_START not in text or README_END not in text:
        return False
    # the block as scripts/readme_results.py renders it: the summary and the line naming the
    # commit and day it was measured at
    script = Path(__file__).resolve().parents[1] / "scripts" / "readme_results.py"
    spec = importlib.util.spec_from_file_location("readme_results", script)
    assert spec is not None and spec.loader is not None
    rr = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(rr)
    body = "\n".join(summary(res)) + "\n\n" + rr.measured_at(rr.SOURCES["distribution"])
    text = re.sub(re.escape(README_START) + ".*?" + re.escape(README_END),
                  lambda _: f"{README_START}\n{body}\n{README_END}", text, flags=re.S)
    with atomic_file(readme) as t, open(t, "w", encoding="utf-8") as fh:
        fh.write(text)
    return True


def when(created: str) -> str:
    """A run's ``created`` as the page says it: UTC ISO 8601 as it is, a run's that wrote
    the machine's local time with no zone (before 2026-12-07) said to be so."""
    zoned = created.endswith(("Z", "+00:00")) or (len(created) > 19 and created[19] in "+-")
    return created if zoned else f"{created} (the machine's local time)"


def markdown(res: dict[str, Any]) -> str:
    lines = ["# Smart distribution: forecast quality and timing", "",
             f"Measured {when(res['created'])} at "
             f"{provenance(res.get('machine'))} (load average {load_text(res['load_average'])}); "
             "`benchmarks/bench_distribution.py`.", "",
             "Time protocol: train on the interactions up to the 80th-percentile timestamp; for "
             "every film with enough new viewers in the later 20% (among users known in "
             "training), each place's forecast share against the share of the new viewers it "
             "got. MAE: mean absolute error over places, as a share (0-1; lower is "
             "better). Spearman: rank correlation over places (higher is better). Wins: share "
             "of films on which `forecast` has the lower error.", "",
             "## Summary", "", *summary(res, with_verdict=False), "",
             "The verdict is at the end of the quality sections.", ""]
    for q in res["quality"]:
        for attr, parts in q["by"].items():
            k = parts["known_films"]
            se = k["mae_difference_se"]
            lines += [f"## {q['dataset']} by {attr}", "",
                      f"{k['films']} films with >= {k['min_new_viewers']} new viewers "
                      f"({k['new_viewers']:,} new viewers), {k['places']} places.", "",
                      "| method | MAE | Spearman | forecast wins | SE of MAE difference |",
                      "| --- | ---: | ---: | ---: | ---: |"]
            for m in ROWS:
                if m in k["mae"]:
                    wins = k["forecast_wins"].get(m)
                    lines.append(f"| {LABELS[m]} | {_f(k['mae'][m])} | "
                                 f"{_f(k['spearman'].get(m), 3)} | "
                                 f"{'-' if wins is None else f'{100 * wins:.0f}%'} | "
                                 f"{_f(se.get(m))} |")
            cold = parts["new_films"]
            if cold is None or not cold["films"]:
                lines += ["", "New films (first seen after the cut): none with enough new "
                              "viewers in this split."]
            else:
                lines += ["", f"New films (cold start from genres): {cold['films']} films; "
                              "MAE " + ", ".join(f"{m} {_f(v)}" for m, v in cold["mae"].items())]
            lines.append("")
    lines += verdict(res["quality"]) + [""]
    t = res["timing"]
    s = t["shape"]
    lines += ["## Timing: one film's distribution", "", *timing_label(t),
              f"{s['users']:,} users x {s['factors']} factors, {s['films']:,} films, "
              f"{s['interactions']:,} interactions, the film has {s['film_viewers']:,} viewers; "
              f"{t['repeats']} repeats after one warm-up call (which codes the attribute).", "",
              "| query | p50 ms | p90 ms | target ms (p50) | result | x matrix-vector product |",
              "| --- | ---: | ---: | ---: | --- | ---: |",
              f"| matrix-vector product (floor) | {t['matvec_ms']['p50']} | "
              f"{t['matvec_ms']['p90']} | - | - | 1 |"]
    for key, label in timing_labels(s):
        goal = t["targets_ms"][key]
        lines.append(f"| {label} | {t[key]['p50']} | {t[key]['p90']} | {goal:.0f} | "
                     f"{'met' if t[key]['p50'] <= goal else '**missed**'} | "
                     f"{t['ratio_to_matvec'][key]} |")
    return "\n".join(lines) + "\n"


def kept_timing(previous: dict[str, Any]) -> dict[str, Any]:
    """``previous``'s timing, with the run that measured it under ``measured`` (its own, when
    an earlier ``--keep-timing`` had kept it already)."""
    t = dict(previous["timing"])
    t.setdefault("measured", {"created": previous["created"], "machine": previous["machine"],
                              "load_average": previous["load_average"]})
    return t


def timing_label(t: dict[str, Any]) -> list[str]:
    """The line naming the run a kept timing comes from (none for the page's own run)."""
    m = t.get("measured")
    if not m:
        return []
    return [f"Timing measured {when(m['created'])} at "
            f"{provenance(m.get('machine'))} (load average {load_text(m['load_average'])}), in an "
            "earlier run than the quality sections above (`--keep-timing` kept it).", ""]


def timing_labels(shape: dict[str, Any]) -> list[tuple[str, str]]:
    """The timing rows' labels from the recorded shape (a run before the places were recorded
    ran with the TIMING_* constants)."""
    regions = shape.get("regions", TIMING_REGIONS)
    cinemas = shape.get("cinemas", TIMING_CINEMAS)
    screens = shape.get("screens", TIMING_SCREENS)
    return [("region_ms", f"by region ({regions:,} places)"),
            ("cinema_ms", f"by cinema ({cinemas:,} places), {screens:,} screens capped by "
                          "the cinema table")]


def verdict(quality_runs: list[dict[str, Any]]) -> list[str]:
    """Plain sentences: where the forecast beats each baseline and where it does not, on
    the mean absolute error and on the rank correlation."""
    out = ["## Verdict", ""]
    for q in quality_runs:
        for attr, parts in q["by"].items():
            known = parts["known_films"]
            mae, se = known["mae"], known["mae_difference_se"]
            if not mae:
                continue
            base = ("users", "past_viewing", "genre_viewing")
            lost = [m for m in base if mae[m] <= mae["forecast"]]
            new_lost = [m for m in base if mae[m] <= mae["forecast_new"]]
            noise = [m for m in base if se.get(m) and abs(mae[m] - mae["forecast"]) < 2 * se[m]]
            head = f"- {q['dataset']} by {attr}: the forecast "
            head += ("beats all three baselines" if not lost
                     else "does NOT beat " + ", ".join(NAMES[m] for m in lost))
            head += " on MAE"
            if noise:
                head += (" (the difference from " + ", ".join(NAMES[m] for m in noise)
                         + " is within twice its "
                         "standard error: not significant on these films)")
            head += ("; the new-viewers-only forecast loses to "
                     + ", ".join(NAMES[m] for m in new_lost)
                     if new_lost else "; the new-viewers-only forecast beats all three")
            if mae["film_viewers"] <= mae["forecast"]:
                head += "; the film's own past viewers alone do as well or better"
            rho = known["spearman"]
            if rho.get("forecast") is not None:
                below = [NAMES[m] for m in base
                         if rho.get(m) is not None and rho[m] >= rho["forecast"]]
                head += (". On rank correlation (which places come first) the forecast "
                         + ("ranks the places better than all three baselines" if not below
                            else "ranks them no better than " + ", ".join(below)))
                if rho.get("forecast_new") is not None and rho["forecast_new"] > rho["forecast"]:
                    # named: "better than it" after "no better than the genre baseline" read
                    # as better than that baseline, where it ranked them worse (demo by city)
                    new_below = [NAMES[m] for m in base
                                 if rho.get(m) is not None and rho[m] >= rho["forecast_new"]]
                    head += ("; the new-viewers-only forecast ranks them better than the "
                             "forecast" + (", but no better than " + ", ".join(new_below)
                                           if new_below else ", and better than all three "
                                                             "baselines"))
            out.append(head + ".")
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_datasets(p)
    p.add_argument("--quick", action="store_true")
    p.add_argument("--render", action="store_true",
                   help="measure nothing: re-render distribution.md and the README's block "
                        "from distribution.json")
    p.add_argument("--keep-timing", action="store_true",
                   help="measure the quality only; keep the previous run's timing, with its "
                        "commit, day and load average")
    a = p.parse_args(argv)
    kept = (kept_timing(saved_result("distribution", a.quick, "bench_distribution.py"))
            if a.keep_timing else None)
    if a.render:
        out = results_dir(a.quick)
        res = saved_result("distribution", a.quick, "bench_distribution.py")
        with atomic_file(out / "distribution.md") as t, open(t, "w", encoding="utf-8") as fh:
            fh.write(markdown(res))
        done = not a.quick and render_readme(res)
        log(f"rendered {out / 'distribution.md'}" + (f" and {README}" if done else ""))
        return 0
    runs: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = demo.generate(Path(tmp) / "demo")
        runs.append(quality(folder, "demo", ["region", "city"], min_new=20))
    ml = Path(a.datasets) / "ml-100k"
    if ml.is_dir():
        runs.append(quality(ml, "MovieLens 100K", ["zip_zone"], min_new=5))
    else:
        log(f"{ml} not found: MovieLens 100K skipped")
    if kept is None:
        with tempfile.TemporaryDirectory() as tmp:
            folder = demo.generate(Path(tmp) / "demo")
            cal = train(readers.load(folder), TrainConfig(seed=0), progress=False).calibration
        log("timing at the ML-20M shape")
    # UTC ISO 8601 (a run before 2026-12-07 wrote the machine's local time, no zone)
    res = {"created": datetime.now(UTC).isoformat(timespec="seconds"),
           "machine": machine_facts(),
           "load_average": load_average(), "quality": runs,
           "verdict": verdict(runs), "timing": kept or timing(cal, a.quick)}
    out = results_dir(a.quick)
    write_json(res, out / "distribution.json")
    with atomic_file(out / "distribution.md") as t, open(t, "w", encoding="utf-8") as fh:
        fh.write(markdown(res))
    log(f"wrote {out / 'distribution.json'} and {out / 'distribution.md'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
