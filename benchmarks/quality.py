"""Quality report: the engine as `recommender train` ships it (tuning on) against the baselines.

Runs ``recommender.evaluation.runs.evaluate`` (the tuned engine, the engine with ``--no-tune``,
popularity, ItemKNN, ``implicit`` ALS defaults, EASE with its lambda chosen on a validation
split) on MovieLens 100K, MovieLens latest-small and FilmTrust, as they are and in variants
that stand in for other logs' shapes (``sparse5``: a seeded random sample of each user's
interactions, its size drawn per user from a geometric distribution of mean 5; ``rating10``:
ratings moved to a 10-point scale with seeded jitter), under the random and the time
protocols. Then:

- leave-one-dataset-out: regularization, alpha and factors chosen on validation splits of the
  *other* datasets' training parts, scored on the held-out one (the other constants, the
  grid's centre and the tuned engine's acceptance rule were chosen with it included: the
  page says which);
- EASE as factors: how much of EASE's quality a rank-r factorisation of its item-item matrix
  keeps (could it be served through the engine's factor artifact?).

Writes ``benchmarks/results/quality.json`` (every report in full) and ``quality.md``.

    python benchmarks/quality.py [--datasets ../shared/datasets] [--variants full sparse5]
        [--protocols random time] [--no-lodo] [--no-lowrank]
    python benchmarks/quality.py --render-only|--normalise-paths [--out benchmarks/results/X]

Each report's ``dataset`` is the dataset's name relative to ``--datasets`` (``ml-100k (sparse5)``);
``--normalise-paths`` rewrites a stored result that recorded the full path that way.

FilmTrust has no timestamps: its time-protocol cells say so instead of inventing a split.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import scipy.linalg
from numpy.typing import NDArray

from recommender.errors import InvalidParameterError
from recommender.evaluation.baselines import FactorScorer, binary
from recommender.evaluation.report import write_json
from recommender.evaluation.runs import evaluate
from recommender.evaluation.scoring import (
    ENGINE,
    MIN_VIEWERS,
    USER_K,
    score_split,
)
from recommender.evaluation.splits import PROTOCOLS as ALL_PROTOCOLS
from recommender.evaluation.splits import make_split, validation_split
from recommender.evaluation.tuning import grid_configs, validation_scores
from recommender.io import readers
from recommender.io.atomic import atomic_file
from recommender.io.dataset import Interactions
from recommender.model.config import TrainConfig

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402
from quality_report import markdown  # noqa: E402

HERE = Path(__file__).resolve().parent
DATASETS = ("ml-100k", "ml-latest-small", "filmtrust")
VARIANTS = ("full", "sparse5", "rating10")
SPARSE_MEAN = 5  # sparse5: the mean of the geometric draw of each user's kept interactions
PROTOCOLS = ("random", "time")
NO_TUNE = "engine_no_tune"
# the --no-tune candidates leave-one-dataset-out chooses among (the shipped default included)
LODO_GRID: list[dict[str, tuple[Any, ...]]] = [
    {"regularization": (10.0, 30.0, 100.0), "alpha": (1.0, 3.0, 10.0)},
    {"factors": (32, 128)},
]
LOWRANK_RANKS = (64, 128, 256)
LOWRANK_MAX_FILMS = 3000  # B is films x films dense: kept to the small catalogs here


def _int_in(low: int, high: int | None) -> Any:
    """An argparse type: an integer in [low, high] (no upper bound where high is None)."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if value < low or (high is not None and value > high):
            raise argparse.ArgumentTypeError(
                f"expected an integer >= {low}" + (f" and <= {high}" if high is not None else "")
                + f", got {value}")
        return value
    return parse


def variant(data: Interactions, name: str, seed: int) -> Interactions:
    """``data`` as it is (``full``), with about 5 interactions per user (``sparse5``), or
    with its ratings on a 10-point scale (``rating10``).

    ``sparse5`` keeps a seeded random sample of each user's interactions whose size is drawn
    per user from a geometric distribution of mean 5 (1, 2, 3, ... with probability 1/5,
    4/25, ...; at most the user's own count), so users' counts vary as a sparse log's do. A cap
    of exactly 5 (this variant until 2026-12-05) gave the held-out rows away: nearly every
    user kept 5, so a user's training count was 5 less their test count, and ranking users by
    fewest training interactions beat every model's audience recall (ml-100k: 0.31 against
    EASE's 0.14 in ``results/quality.md``)."""
    rng = np.random.default_rng(seed)
    if name == "full":
        return data
    if name == "sparse5":
        order = np.lexsort((rng.random(len(data)), data.user_idx))
        u = data.user_idx[order]
        first = np.r_[0, np.flatnonzero(u[1:] != u[:-1]) + 1]
        pos = np.arange(len(u)) - np.repeat(first, np.diff(np.r_[first, len(u)]))
        keep = np.zeros(len(data), bool)
        size = rng.geometric(1 / SPARSE_MEAN, data.n_users)
        keep[order[pos < size[u]]] = True
        return replace(data.subset(keep), source=f"{data.source} (sparse5)")
    if name == "rating10":
        if data.rating is None:
            return data
        r = data.rating.astype(np.float64)
        scaled = 1 + 9 * (r - r.min()) / max(float(r.max() - r.min()), 1e-9)
        jittered = np.clip(np.rint(scaled + rng.uniform(-1, 1, len(r))), 1, 10)
        return replace(data, rating=jittered.astype(np.float32),
                       source=f"{data.source} (rating10)")
    raise SystemExit(f"unknown variant {name!r}")


def load_named(datasets: str | Path, name: str) -> Any:
    """``readers.load`` of dataset ``name`` in the folder ``datasets``, its ``source`` (each
    report's ``dataset``) the name relative to that folder: the same on every machine."""
    data = readers.load(Path(datasets) / name)
    return replace(data, source=name)


def normalise_paths(result: dict[str, Any]) -> int:
    """Rewrite, in place, each report's ``dataset`` recorded as a path (``/x/datasets/ml-100k
    (sparse5)``, before ``load_named``) as that name relative to the datasets folder
    (``ml-100k (sparse5)``): the report's ``base_dataset``, and its variant's suffix when it
    has one. Nothing else is touched; returns the strings rewritten. A path that does not end
    in its report's name is refused (``SystemExit``), nothing rewritten."""
    found = []
    for key, per in result.get("reports", {}).items():
        for protocol, rep in per.items():
            shown = rep.get("dataset")
            if not isinstance(shown, str) or "base_dataset" not in rep:
                continue
            var = rep.get("variant", "full")
            name = rep["base_dataset"] + ("" if var == "full" else f" ({var})")
            if shown == name:
                continue
            if not shown.endswith("/" + name):
                raise SystemExit(f"reports[{key!r}][{protocol!r}].dataset {shown!r} does not "
                                 f"end in its dataset's name {name!r}: nothing was rewritten")
            found.append((rep, name))
    for rep, name in found:
        rep["dataset"] = name
    return len(found)


def run_reports(args: argparse.Namespace, seen: dict[str, dict[str, Any]] | None = None
                ) -> dict[str, dict[str, dict[str, Any]]]:
    """Every dataset x variant x protocol report; ``seen`` receives each dataset's shape and
    fingerprint (which copy of the data the figures come from)."""
    reports: dict[str, dict[str, dict[str, Any]]] = {}
    for name in args.names:
        base = load_named(args.datasets, name)
        if seen is not None:
            seen[name] = {"users": base.n_users, "films": base.n_films,
                          "interactions": len(base), "fingerprint": base.fingerprint()}
        for var in args.variants:
            data = variant(base, var, args.seed)
            key = name if var == "full" else f"{name} / {var}"
            reports[key] = {}
            for protocol in args.protocols:
                t0 = time.perf_counter()
                try:
                    rep = evaluate(data, protocol, k=args.k, seed=args.seed, progress=False,
                                   also=[(NO_TUNE, TrainConfig())])
                except InvalidParameterError as e:
                    status = ("n/a (no timestamps)" if data.timestamp is None
                              and protocol == "time" else f"n/a ({e})")
                    reports[key][protocol] = {"status": status}
                    print(f"{key}/{protocol}: {status}", file=sys.stderr)
                    continue
                rep["variant"], rep["base_dataset"] = var, name
                rep["seconds"] = round(time.perf_counter() - t0, 1)
                reports[key][protocol] = rep
                m = rep["models"]
                print(f"{key}/{protocol}: audience_recall@{args.k} engine "
                      f"{m[ENGINE][f'audience_recall@{args.k}']:.4f} EASE "
                      f"{m['ease'][f'audience_recall@{args.k}']:.4f}; tuning "
                      f"{rep['engine_tuning'].get('seconds')} s ({rep['seconds']} s)",
                      file=sys.stderr)
    return reports


def lodo_choice(val: dict[str, dict[str, list[float]]], held: str, n_configs: int
                ) -> tuple[int, NDArray[np.float64]]:
    """The config with the best mean objective relative to each other split's best, NaN-safe.

    A NaN objective (nothing to measure) counts as 0 relative (below every real value, as
    ``objective_key`` ranks it); a split whose every objective is NaN carries no information
    and is left out; with no split left every config scores 0 and the first is chosen."""
    rel = []
    for name, per in val.items():
        if name == held:
            continue
        for v in per.values():
            a = np.asarray(v, dtype=np.float64)
            if np.isnan(a).all():
                continue
            top = max(float(np.nanmax(a)), 1e-12)
            rel.append(np.where(np.isnan(a), 0.0, a) / top)
    mean_rel = np.mean(rel, axis=0) if rel else np.zeros(n_configs)
    return int(np.argmax(mean_rel)), mean_rel


def lodo(args: argparse.Namespace) -> dict[str, Any]:
    """Leave-one-dataset-out choice of the --no-tune defaults, scored on the held-out one."""
    configs = [c for stage in LODO_GRID for c in grid_configs(stage)]
    labels = [f"reg={c.regularization:g} a={c.alpha:g} f={c.factors}" for c in configs]
    val: dict[str, dict[str, list[float]]] = {}
    data_by_name = {n: load_named(args.datasets, n) for n in args.names}
    for name, data in data_by_name.items():
        val[name] = {}
        for protocol in args.protocols:
            try:
                split = make_split(data, protocol, args.seed)
            except InvalidParameterError:
                continue
            rows = validation_scores(validation_split(split, args.seed), configs, args.k)
            val[name][protocol] = [r["objective"] for r in rows]
            print(f"lodo validation {name}/{protocol}: done", file=sys.stderr)
    out: dict[str, Any] = {"configs": labels, "validation_objective": val, "held_out": {}}
    for held, data in data_by_name.items():
        best, mean_rel = lodo_choice(val, held, len(configs))
        chosen = configs[best]
        entry: dict[str, Any] = {"chosen": labels[best],
                                 "mean_relative_on_others": round(float(mean_rel[best]), 4),
                                 "params": chosen.to_dict(), "test": {}}
        for protocol in args.protocols:
            try:
                rep = evaluate(data, protocol, k=args.k, seed=args.seed, config=chosen,
                               with_baselines=False, progress=False)
            except InvalidParameterError:
                continue
            entry["test"][protocol] = {m: rep["models"][ENGINE][m] for m in
                                       (f"audience_recall@{args.k}", f"user_recall@{USER_K}")}
        out["held_out"][held] = entry
    return out


def lowrank(args: argparse.Namespace, reports: dict[str, Any]) -> dict[str, Any]:
    """EASE's item-item matrix B factorised at rank r (user vectors X U_r S_r, film vectors
    V_r), scored against full EASE on the random split of each small catalog."""
    out: dict[str, Any] = {}
    for name in args.names:
        rep = reports.get(name, {}).get("random", {})
        if "models" not in rep:
            continue
        data = load_named(args.datasets, name)
        split = make_split(data, "random", args.seed)
        X = binary(split.train.to_csr())
        if X.shape[1] > LOWRANK_MAX_FILMS:
            out[name] = {"status": f"skipped: {X.shape[1]} films > {LOWRANK_MAX_FILMS}"}
            continue
        lam = rep["ease_lambda"]["chosen"]
        G = np.asarray((X.T @ X).toarray(), np.float64)
        G[np.diag_indices_from(G)] += lam
        P = scipy.linalg.inv(G)
        B = -P / np.diag(P)[None, :]
        np.fill_diagonal(B, 0.0)
        U, S, Vt = np.linalg.svd(B)
        out[name] = {"lambda": lam, "films": int(X.shape[1]), "ranks": {}}
        for r in LOWRANK_RANKS:
            uf = np.asarray(X @ (U[:, :r] * S[:r]), np.float32)
            res = score_split(FactorScorer(uf, Vt[:r].T.astype(np.float32)), split, args.k)
            out[name]["ranks"][str(r)] = {m: res[m] for m in (f"audience_recall@{args.k}",
                                                            f"user_recall@{USER_K}")}
        out[name]["full"] = {m: rep["models"]["ease"][m] for m in
                             (f"audience_recall@{args.k}", f"user_recall@{USER_K}")}
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    common.add_datasets(ap)
    ap.add_argument("--names", nargs="*", default=list(DATASETS))
    # a name evaluate() refuses was caught as that cell's "n/a (...)" and the run wrote its
    # page of n/a over results/quality.{json,md} with exit 0 (--protocols tiem, --k 0)
    ap.add_argument("--variants", nargs="*", default=list(VARIANTS), choices=VARIANTS)
    ap.add_argument("--protocols", nargs="*", default=list(PROTOCOLS), choices=ALL_PROTOCOLS)
    ap.add_argument("--k", type=_int_in(1, 100_000), default=100)
    ap.add_argument("--seed", type=_int_in(0, None), default=0)
    ap.add_argument("--no-lodo", action="store_true", help="skip leave-one-dataset-out")
    ap.add_argument("--no-lowrank", action="store_true", help="skip EASE-as-factors")
    ap.add_argument("--out", default=str(HERE / "results" / "quality"))
    ap.add_argument("--render-only", action="store_true",
                    help="rewrite the .md from the existing .json (no measurement)")
    ap.add_argument("--normalise-paths", action="store_true",
                    help="rewrite each report's dataset path in the existing .json as its name "
                         "relative to the datasets folder (no figure touched), then the .md")
    args = ap.parse_args(argv)
    # an option given no value (a shell variable left empty) ran nothing and wrote its page of
    # "0 of 0 measured target rows met" over --out, exit 0
    empty = [f"--{n}" for n in ("names", "variants", "protocols") if not getattr(args, n)]
    args.render_only = args.render_only or args.normalise_paths
    if empty and not args.render_only:
        ap.error(f"{', '.join(empty)} given no value: name at least one, or leave it out")
    missing = [n for n in args.names if not (Path(args.datasets) / n).exists()]
    if missing and not args.render_only:  # not after the datasets before it have run
        ap.error(f"no dataset {', '.join(missing)} in {args.datasets} (--datasets DIR, --names)")
    out = Path(args.out)
    if args.render_only:
        import json

        if not out.with_suffix(".json").is_file():
            raise SystemExit(f"{out.with_suffix('.json')} is missing: run benchmarks/quality.py "
                             "(make bench-quality) to measure it; nothing was rewritten")
        result = json.loads(out.with_suffix(".json").read_text(encoding="utf-8"))
        if args.normalise_paths and normalise_paths(result):
            write_json(result, out.with_suffix(".json"))
        write_markdown(result, out)
        return 0
    t0 = time.perf_counter()
    data: dict[str, dict[str, Any]] = {}
    reports = run_reports(args, data)
    result: dict[str, Any] = {
        "generated": datetime.now(UTC).isoformat(timespec="seconds"),
        "generated_by": "benchmarks/quality.py " + " ".join(argv or sys.argv[1:]),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, "
                   f"{platform.python_implementation()} {platform.python_version()}",
        "load_average_start": common.load_average(),
        "machine_facts": common.machine_facts(),
        "engine_defaults": TrainConfig(tune=True).to_dict(),
        "k": args.k,
        "user_k": USER_K,
        "min_test_viewers": MIN_VIEWERS,
        "seed": args.seed,
        "variants": args.variants,
        "sparse5_mean": SPARSE_MEAN,
        "protocols": args.protocols,
        "reports": reports,
        "data": data,
    }
    if not args.no_lodo:
        result["lodo"] = lodo(args)
    if not args.no_lowrank:
        result["ease_lowrank"] = lowrank(args, reports)
    result["seconds"] = round(time.perf_counter() - t0, 1)
    result["load_average_end"] = common.load_average()
    write_json(result, out.with_suffix(".json"))
    write_markdown(result, out)
    return 0


def kept_copy_of(result: dict[str, Any], out: Path) -> str | None:
    """The output name the run itself wrote when ``out`` is another (a kept copy), else None."""
    words = str(result.get("generated_by", "")).split()
    if "--out" not in words[:-1]:
        return None
    written = Path(words[words.index("--out") + 1]).name
    return written if written != out.name else None


def write_markdown(result: dict[str, Any], out: Path) -> None:
    import json

    # the calibration section reads benchmarks/bench_calibration.py's result beside this one
    cal_path = out.parent / "calibration.json"
    cal = json.loads(cal_path.read_text(encoding="utf-8")) if cal_path.is_file() else None
    if cal is not None:  # only the datasets this report ran (another run's are not its own)
        names = {r.get("base_dataset", n) for n, per in result["reports"].items()
                 for r in per.values()} | set(result["reports"])
        cal = {**cal, "datasets": [d for d in cal["datasets"] if d["dataset"] in names]}
        cal = cal if cal["datasets"] else None
    md = markdown(result, cal)
    written_as = kept_copy_of(result, out)
    if written_as:
        title, rest = md.split("\n", 1)
        md = (f"{title}\n\n*A kept copy of an earlier run: the run wrote `{written_as}.json`, "
              f"kept as `{out.name}.json`; this page is rendered from that JSON with "
              f"`--render-only --out {out.as_posix()}`, so the command below names the "
              "run's own output path.*\n" + rest)
    with atomic_file(out.with_suffix(".md")) as tmp:
        Path(tmp).write_text(md, encoding="utf-8")
    print(md)


if __name__ == "__main__":
    raise SystemExit(main())
