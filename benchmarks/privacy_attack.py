"""A linear-programming attack on what one film's audience summaries publish.

For each film attacked, everything its summaries publish is read through the public
functions (``audience_summary`` of every tier scope, with viewers ranked out and in, and the
film detail's viewers by segment, ``catalog.viewer_segments``): portrait cells, base shares,
segment splits and sizes, ring sizes. Per attribute (the portrait's four and the segment), the
unknowns are each value's users in each cell of the two rankings' rings met (a ring of the
ranking without viewers and one of the ranking with them); a reader knows which cells can
hold users from the rank ranges alone (a user's rank with the viewers ranked in is its rank
without them plus 0 to the number of viewers). Counts are not negative. A group is *pinned*
when it holds 1 to ``min_cell`` - 1 users and the least and the most a linear programme can
give it, subject to everything published, differ by less than one user: a value's users in
a ring, in a published ring set (a tier scope), outside one, in two rings met, or in all.

The attack knows nothing of how the engine hides cells (``portrait.scope_suppression``,
``privacy.table_suppression``): it reads what is shown and solves.

    nice -n 10 .venv/bin/python benchmarks/privacy_attack.py build/demo-model [--films 40]

Writes benchmarks/results/privacy_attack.json and .md (``--out`` to write elsewhere).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import linprog

from recommender.model.artifact import load
from recommender.model.config import DEFAULT_TIERS
from recommender.model.model import Model
from recommender.query.audience import audience_summary
from recommender.query.catalog import segments_answer, viewer_segments
from recommender.query.privacy import DEFAULT_MIN_CELL
from recommender.query.summary_rings import summary_ranking

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402
from privacy_cost import cost_lines, counted_programmes  # noqa: E402

SEGMENT = "segment"
# base_share is rounded to 4 decimals: a value's users in all lie within half a unit of it
SHARE_STEP = 1e-4


class Facts:
    """What one film's summaries publish, over the cells of the two rankings' rings met:
    ``cells`` (ring without viewers, ring with them) are the unknowns' cells; ``user_cell``
    each user's cell (the truth, for the groups' sizes only); ``ring_sets`` a named ring
    set's cells (a mask over cells); ``sizes`` the published users in a set of cells;
    ``bounds``: attribute -> (value, cells mask or None for all cells, least, most)."""

    def __init__(self, n_users: int, cells: list[tuple[int, int]],
                 user_cell: NDArray[np.int64], ring_sets: dict[str, NDArray[np.bool_]],
                 sizes: list[tuple[NDArray[np.bool_], int]]) -> None:
        self.n_users, self.cells, self.user_cell = n_users, cells, user_cell
        self.ring_sets, self.sizes = ring_sets, sizes
        self.bounds: dict[str, list[tuple[str, NDArray[np.bool_] | None, float, float]]] = {}
        self.cpu: list[float] = []  # each summary's CPU seconds, the first of the film cold
        self.programmes: list[int] = []  # each summary's forced-0 linear programmes, likewise
        self.cells_by_scope: dict[str, dict[str, int]] = {}  # what hiding cost (cells_shown)

    def add(self, attribute: str, value: str, mask: NDArray[np.bool_] | None, low: float,
            high: float) -> None:
        self.bounds.setdefault(attribute, []).append((value, mask, low, high))


def scope_names(tier_names: list[str]) -> list[str]:
    """Every scope a summary pictures: each run of adjacent tiers, then ``all``."""
    n = len(tier_names)
    return [",".join(tier_names[a:b + 1]) for a in range(n) for b in range(a, n)] + ["all"]


def published_facts(model: Model, film_id: str, min_cell: int) -> Facts:
    """Read every summary of ``film_id`` (each scope, both versions) and its detail's viewer
    segments, as a reader would."""
    f = model.film_index(film_id)
    n_users = model.n_users
    bodies: dict[bool, dict[str, dict[str, Any]]] = {True: {}, False: {}}
    cpu: list[float] = []  # each summary's CPU seconds, in the order asked (the first cold)
    programmes: list[int] = []  # the linear programmes each solved (forced_zeros.py)
    for ex in (True, False):
        for scope in scope_names([name for name, _ in DEFAULT_TIERS]):
            began, solved = time.process_time(), counted_programmes()
            bodies[ex][scope] = audience_summary(model, film_id, exclude_seen=ex, tier=scope,
                                                 min_cell=min_cell)
            cpu.append(time.process_time() - began)
            programmes.append(counted_programmes() - solved)
    # the rings as published: each tier's rank range, the other candidates, the viewers
    ranges: dict[bool, list[tuple[int, int]]] = {}
    ring_sizes: dict[bool, list[int]] = {}
    for ex, by_scope in bodies.items():
        body = by_scope["all"]
        tiers = body["tiers"]
        spans = [tuple(t["rank_range"]) if t["rank_range"] else (1, 0) for t in tiers]
        last = sum(t["size"] for t in tiers)
        spans.append((last + 1, body["candidates"]))
        ranges[ex] = [(int(a), int(b)) for a, b in spans]
        ring_sizes[ex] = [t["size"] for t in tiers] + [body["candidates"] - last,
                                                       body["viewers"] if ex else 0]
    n_viewers = bodies[True]["all"]["viewers"]
    n_rings = len(ring_sizes[True])  # tiers, other candidates, viewers ranked out
    cells = []
    for i in range(n_rings):
        for j in range(n_rings - 1):  # nobody is ranked out with the viewers ranked in
            if i == n_rings - 1:  # a viewer ranked in may stand anywhere
                cells.append((i, j))
                continue
            (a0, a1), (b0, b1) = ranges[True][i], ranges[False][j]
            if a0 <= a1 and b0 <= b1 and b0 <= a1 + n_viewers and a0 <= b1:
                cells.append((i, j))
    index = {c: k for k, c in enumerate(cells)}
    truth = {ex: summary_ranking(model, f, DEFAULT_TIERS, ex).rings for ex in (True, False)}
    for ex in (True, False):  # the ranking read is the one the summaries published
        counts = np.bincount(truth[ex], minlength=n_rings)[:n_rings]
        assert counts.tolist() == ring_sizes[ex], (film_id, ex, counts, ring_sizes[ex])
    user_cell = np.array([index[(int(a), int(b))] for a, b in
                          zip(truth[True].tolist(), truth[False].tolist(), strict=True)],
                         np.int64)
    own = {ex: np.array([c[0] if ex else c[1] for c in cells]) for ex in (True, False)}
    ring_sets: dict[str, NDArray[np.bool_]] = {}
    sizes: list[tuple[NDArray[np.bool_], int]] = []
    names = [name for name, _ in DEFAULT_TIERS]
    for ex in (True, False):
        tag = "out" if ex else "in"
        sets: dict[str, tuple[int, ...]] = {f"ring {r}": (r,) for r in range(n_rings)}
        sets.update({scope: tuple(range(n_rings - 1)) if scope == "all" else
                     tuple(names.index(t) for t in scope.split(",")) for scope in
                     scope_names(names)})
        for label, rings in sets.items():
            mask = np.isin(own[ex], rings)
            ring_sets[f"viewers {tag}: {label}"] = mask
            sizes.append((mask, sum(ring_sizes[ex][r] for r in rings)))
    facts = Facts(n_users, cells, user_cell, ring_sets, sizes)
    facts.cpu, facts.programmes = cpu, programmes
    facts.cells_by_scope = cells_shown(model, bodies)
    for ex, by_scope in bodies.items():
        tag = "out" if ex else "in"
        for scope, body in by_scope.items():
            mask = ring_sets[f"viewers {tag}: {scope}"]
            for attribute, rows in body["portrait"].items():
                for row in rows:
                    facts.add(attribute, row["value"], mask, row["count"], row["count"])
                    share = row["base_share"] * n_users
                    half = SHARE_STEP / 2 * n_users
                    facts.add(attribute, row["value"], None, share - half, share + half)
        body = by_scope["all"]
        for t, tier in enumerate(body["tiers"]):
            for row in tier["segments"]:
                facts.add(SEGMENT, str(row["segment"]), ring_sets[f"viewers {tag}: ring {t}"],
                          row["count"], row["count"])
                facts.add(SEGMENT, str(row["segment"]), None, row["size"], row["size"])
        tiers_all = ",".join(names)
        for row in body["segments"]:
            facts.add(SEGMENT, str(row["segment"]), ring_sets[f"viewers {tag}: {tiers_all}"],
                      row["count"], row["count"])
    viewers_ring = ring_sets[f"viewers out: ring {n_rings - 1}"]
    for row in viewer_segments(model, model.film_viewers(f), min_cell):
        facts.add(SEGMENT, str(row["segment"]), viewers_ring, row["count"], row["count"])
    for row in segments_answer(model, min_cell)["segments"]:  # GET /segments: each size
        facts.add(SEGMENT, str(row["segment"]), None, row["size"], row["size"])
    return facts


def cells_shown(model: Model, bodies: dict[bool, dict[str, dict[str, Any]]]
                ) -> dict[str, dict[str, int]]:
    """Per scope, over both versions: the portrait cells shown and hidden, and the segment
    split cells shown and hidden (the same in every scope: counted once, under ``all``).
    A body's ``suppressed_cells`` counts both kinds; a segment split has a row per segment
    with users, so its hidden rows are those less the rows shown, in each ring with users."""
    present = int(np.count_nonzero(np.bincount(np.asarray(model.segments.labels, np.int64))))
    out: dict[str, dict[str, int]] = {}
    for by_scope in bodies.values():
        for scope, body in by_scope.items():
            splits = [t["segments"] for t in body["tiers"] if t["size"]]
            if body["candidates"]:
                splits.append(body["segments"])
            seg_shown = sum(len(rows) for rows in splits)
            seg_hidden = present * len(splits) - seg_shown
            row = out.setdefault(scope, dict.fromkeys(
                ("portrait_shown", "portrait_hidden", "segments_shown", "segments_hidden"), 0))
            row["portrait_shown"] += sum(len(rows) for rows in body["portrait"].values())
            row["portrait_hidden"] += body["suppressed_cells"] - seg_hidden
            if scope == "all":
                row["segments_shown"] += seg_shown
                row["segments_hidden"] += seg_hidden
    return out


def attribute_values(model: Model, attribute: str) -> NDArray[np.str_]:
    """Each user's value of ``attribute`` as the summaries name it."""
    if attribute == SEGMENT:
        return np.asarray(model.segments.labels).astype(str)
    return np.asarray(model.user_table.attributes[attribute]).astype(str)


def pinned_groups(model: Model, film_id: str, facts: Facts, attribute: str, min_cell: int
                  ) -> tuple[list[dict[str, Any]], int]:
    """The small groups of ``attribute``'s values the published numbers pin, and how many
    linear programmes were solved."""
    values = attribute_values(model, attribute)
    names, coded = np.unique(values, return_inverse=True)
    n_values, n_cells = len(names), len(facts.cells)
    truth = np.zeros((n_values, n_cells), np.int64)
    np.add.at(truth, (coded, facts.user_cell), 1)
    n_vars = n_values * n_cells
    a_eq: list[NDArray[np.float64]] = [np.ones(n_vars)]
    b_eq: list[float] = [float(facts.n_users)]
    for mask, size in facts.sizes:  # every value's users in a published ring set
        a_eq.append(np.tile(mask.astype(float), n_values))
        b_eq.append(float(size))
    a_ub: list[NDArray[np.float64]] = []
    b_ub: list[float] = []
    position = {str(v): i for i, v in enumerate(names.tolist())}
    for value, where, low, high in facts.bounds.get(attribute, []):
        row = np.zeros(n_vars)
        v = position[value]
        row[v * n_cells:(v + 1) * n_cells] = 1.0 if where is None else where
        least, most = math.ceil(low - 1e-9), math.floor(high + 1e-9)
        if least == most:
            a_eq.append(row)
            b_eq.append(float(least))
        else:
            a_ub += [row, -row]
            b_ub += [float(most), float(-least)]
    problem: dict[str, Any] = {"A_eq": np.array(a_eq), "b_eq": np.array(b_eq),
                               "bounds": (0, None), "method": "highs"}
    if a_ub:
        problem.update(A_ub=np.array(a_ub), b_ub=np.array(b_ub))
    named = list(facts.ring_sets.items())
    named += [(f"rings met ({i}, {j})", np.arange(n_cells) == k)
              for k, (i, j) in enumerate(facts.cells)]
    named.append(("all", np.ones(n_cells, bool)))
    asks: dict[bytes, tuple[str, NDArray[np.bool_]]] = {}  # each set of cells once, by name
    for label, mask in named:  # (the in-ranking's all is every user, as is all)
        for inside, what in ((mask, label), (~mask, f"outside {label}")):
            asks.setdefault(inside.tobytes(), (what, inside))
    found: list[dict[str, Any]] = []
    solved = 0
    for v in range(n_values):
        for what, inside in asks.values():
            users = int(truth[v, inside].sum())
            if not 0 < users < min_cell:
                continue
            c = np.zeros(n_vars)
            c[v * n_cells:(v + 1) * n_cells] = inside
            low, high = linprog(c, **problem), linprog(-c, **problem)
            solved += 2
            if low.status or high.status:
                raise RuntimeError(f"film {film_id} {attribute}: the linear programme "
                                   f"failed ({low.message}; {high.message}): what is "
                                   "published is inconsistent with the attack's reading")
            if -high.fun - low.fun < 0.5:
                found.append({"film_id": film_id, "attribute": attribute,
                              "value": str(names[v]), "group": what, "users": users,
                              "least": round(float(low.fun), 6),
                              "most": round(float(-high.fun), 6)})
    return found, solved


def model_fingerprint(model_dir: Path, model: Model) -> dict[str, Any]:
    """The model's version and a SHA-256 over its files (names and bytes): the version a
    model folder's ``current`` names, else the folder's."""
    folder = (model_dir / "current").resolve() if (model_dir / "current").is_dir() \
        else model_dir
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(folder)).encode() + b"\0")
        digest.update(path.read_bytes())
    return {"path": str(model_dir), "model_version": model.version,
            "sha256": digest.hexdigest(), "users": model.n_users,
            "films": len(model.films.ids)}


def attack(model: Model, film_ids: list[str], min_cell: int) -> dict[str, Any]:
    """Every film's pinned groups, counted per attribute, with the time it took."""
    started, cpu = time.perf_counter(), time.process_time()
    groups: list[dict[str, Any]] = []
    solved = 0
    first: list[float] = []  # each film's first summary's CPU seconds, and its others'
    first_programmes: list[int] = []  # the linear programmes each film's first one solved
    others: list[float] = []
    cells: dict[str, dict[str, int]] = {}
    for n, film_id in enumerate(film_ids, 1):
        facts = published_facts(model, film_id, min_cell)
        first.append(facts.cpu[0])
        first_programmes.append(facts.programmes[0])
        others += facts.cpu[1:]
        for scope, counts in facts.cells_by_scope.items():
            into = cells.setdefault(scope, dict.fromkeys(counts, 0))
            for key, value in counts.items():
                into[key] += value
        for attribute in sorted(facts.bounds):
            found, k = pinned_groups(model, film_id, facts, attribute, min_cell)
            groups += found
            solved += k
        common.log(f"film {n}/{len(film_ids)} {film_id}: {len(groups)} pinned so far")
    by_attribute: dict[str, int] = {}
    for g in groups:
        by_attribute[g["attribute"]] = by_attribute.get(g["attribute"], 0) + 1
    return {"min_cell": min_cell, "films_attacked": len(film_ids), "film_ids": film_ids,
            "pinned": len(groups), "films_with_pinned": len({g["film_id"] for g in groups}),
            "pinned_by_attribute": dict(sorted(by_attribute.items())),
            "pinned_users": sorted({g["users"] for g in groups}),
            "linear_programmes": solved, "groups": groups,
            "cells_by_scope": cells,
            "summary_cpu_s": {"first_median": round(float(np.median(first)), 4),
                              "others_median": round(float(np.median(others)), 4),
                              "first_of": len(first), "others_of": len(others)},
            "first_summary_programmes": {"least": min(first_programmes),
                                         "most": max(first_programmes),
                                         "median": float(np.median(first_programmes)),
                                         "of": len(first_programmes)},
            "runtime_s": round(time.perf_counter() - started, 2),
            "cpu_s": round(time.process_time() - cpu, 2)}


def markdown(result: dict[str, Any]) -> str:
    """The page: the counts, then every pinned group."""
    m = result["model"]
    users = result["pinned_users"]
    size = (f", of {users[0]} to {users[-1]} users" if len(users) > 1
            else f", of {users[0]} users" if users else "")
    lines = [
        "# Privacy attack on audience summaries", "",
        f"Written by `benchmarks/privacy_attack.py` {common.run_date(result)} "
        f"({common.provenance(result.get('machine'))}; model {m['model_version']}, "
        f"{m['users']:,} users x {m['films']:,} films, sha256 {m['sha256'][:12]}).", "",
        "## Summary", "",
        f"A linear programme with every count non-negative, over everything one film's "
        f"summaries publish (every tier scope, viewers ranked out and in, and the film "
        f"detail's viewers by segment), pins {result['pinned']} "
        f"group{'' if result['pinned'] == 1 else 's'}{size} on "
        f"{result['films_with_pinned']} of {result['films_attacked']} films "
        f"(minimum cell {result['min_cell']}; {result['linear_programmes']:,} linear "
        f"programmes, {result['runtime_s']:.0f} s of wall time, {result['cpu_s']:.0f} s of "
        "CPU).", "",
        "| attribute | groups pinned |", "|---|---|",
    ]
    lines += [f"| {a} | {n} |" for a, n in result["pinned_by_attribute"].items()]
    if not result["pinned_by_attribute"]:
        lines.append("| (none) | 0 |")
    lines += ["", "## What hiding costs", ""] + cost_lines(result)
    lines += ["", "## Groups pinned", ""]
    if result["groups"]:
        lines += ["| film | attribute | value | group | users |", "|---|---|---|---|---|"]
        lines += [f"| {g['film_id']} | {g['attribute']} | {g['value'] or '(no value)'} | "
                  f"{g['group']} | {g['users']} |" for g in result["groups"]]
    else:
        lines.append("None.")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("model", type=Path, nargs="?",
                    help="model folder (e.g. build/demo-model); not with --render")
    ap.add_argument("--films", type=int, default=40,
                    help="attack the model's first N films (default 40)")
    ap.add_argument("--film", action="append", default=[], metavar="ID",
                    help="attack this film (repeatable; instead of --films)")
    ap.add_argument("--min-cell", type=int, default=DEFAULT_MIN_CELL,
                    help=f"the summaries' minimum cell (default {DEFAULT_MIN_CELL})")
    ap.add_argument("--out", type=Path, default=common.RESULTS_DIR / "privacy_attack",
                    help="write OUT.json and OUT.md (default benchmarks/results/"
                         "privacy_attack)")
    ap.add_argument("--render", action="store_true",
                    help="measure nothing: rewrite OUT.md from OUT.json")
    args = ap.parse_args(argv)
    if args.render:
        saved = args.out.with_suffix(".json")
        if not saved.is_file():
            raise SystemExit(f"{saved} is missing: run benchmarks/privacy_attack.py MODEL to "
                             "measure it; nothing was rewritten")
        args.out.with_suffix(".md").write_text(
            markdown(json.loads(saved.read_text(encoding="utf-8"))), encoding="utf-8")
        print(f"wrote {args.out.with_suffix('.md')}", file=sys.stderr)
        return 0
    if args.model is None:
        ap.error("the model folder is required (unless --render)")
    if args.films < 1 or args.min_cell < 1:
        ap.error("--films and --min-cell must be at least 1")
    model = load(args.model)
    films = args.film or [str(f) for f in model.films.ids.tolist()[:args.films]]
    result = {"benchmark": "privacy_attack", "machine": common.machine_facts(),
              "model": model_fingerprint(args.model, model),
              **attack(model, films, args.min_cell)}
    # when the run ended (the README's copy names its day: the file kept none)
    result["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    common.write_json_and_md(args.out, result, markdown)
    print(f"{result['pinned']} groups pinned on {result['films_with_pinned']} of "
          f"{result['films_attacked']} films ({result['runtime_s']:.0f} s); wrote "
          f"{args.out.with_suffix('.json')} and .md", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
