"""A reload's time beside the campaign store's events: ``results/reload.{json,md}``.

What ``POST /admin/reload`` (and the watcher's swap, and ``rollback`` on a server) waits for
before the new model answers: the model folder loaded (``load_engine``, memory-mapped) and
the campaign store's events stored since its training folded in (``EventsSync.overlaid``,
the worker's own path: the overlay read from the store, the users the events touch folded
in, the derived model materialised): the two parts the swap's log line names.

On the synthetic demo (3,000 users x 400 films x 100,000 interactions; ``--quick``: 1,000 x
120 x 20,000), a 64-factor ALS model trained with ``recommender train --no-tune`` (no
``--events``: every stored event applies). SQLite stores, filled by ``record_events`` in
batches of 10,000: an empty one (the baseline: a reload with nothing to fold in) and stores of
``EVENTS`` events spread uniformly over ``USERS`` users, the first of them the model's own
users and the rest new to it (folded in as new users), on films drawn uniformly. Each cell is
loaded and overlaid ``--repeats`` times, the cells alternating in order (median).

    nice -n 10 .venv/bin/python benchmarks/bench_reload.py [--quick] [--repeats 3]
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, cast

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from common import (  # noqa: E402
    base_args,
    campaign_demo,
    log,
    page_header,
    results_dir,
    saved_result,
    stats,
    write_result,
)

from recommender.campaigns.events import EventBatch, record_events  # noqa: E402
from recommender.campaigns.store import open_store  # noqa: E402
from recommender.serving.engine import load_engine  # noqa: E402
from service.events_sync import EventsSync  # noqa: E402
from service.state import ServiceState  # noqa: E402

# (events, users) of each filled store; --quick: a fifth of each
CELLS = ((20_000, 2_000), (100_000, 8_000), (400_000, 8_000))
BATCH = 10_000


def fill(path: Path, n_events: int, n_users: int, users: list[str], films: list[str],
         seed: int) -> dict[str, Any]:
    """A store at ``path`` holding ``n_events`` events of ``n_users`` users (the model's own
    users first, then new ones), stored through ``record_events``."""
    rng = np.random.default_rng(seed)
    ids = np.array(users[:n_users] + [f"new-u{i}" for i in range(max(0, n_users - len(users)))])
    store = open_store(str(path))
    t0 = time.perf_counter()
    try:
        for start in range(0, n_events, BATCH):
            n = min(BATCH, n_events - start)
            u = ids[rng.integers(len(ids), size=n)].tolist()
            f = np.asarray(films)[rng.integers(len(films), size=n)].tolist()
            record_events(store, EventBatch([f"e{start + i}" for i in range(n)], u, f,
                                            [1_700_000_000 + start + i for i in range(n)],
                                            [1.0] * n))
    finally:
        store.close()
    return {"events": n_events, "users": len(ids), "users_of_the_model": min(n_users, len(users)),
            "users_new": max(0, n_users - len(users)),
            "fill_seconds": round(time.perf_counter() - t0, 2)}


def reload_once(model: Path, store_path: Path) -> dict[str, Any]:
    """One reload's two parts: the load, then the events folded in (as ``_reload`` times
    them), on a sync of its own (an engine it built passes through unchanged)."""
    store = open_store(str(store_path))
    try:
        # the sync reads its store and its overlay only: the service state it installs into
        # is not used by ``overlaid``
        sync = EventsSync(cast(ServiceState, None), store, 0.25)
        t0 = time.perf_counter()
        engine = load_engine(str(model))
        t1 = time.perf_counter()
        ready = sync.overlaid(engine)
        t2 = time.perf_counter()
        applied = int((ready.model.meta.get("overlay") or {}).get("events_applied", 0))
        if ready is not engine:
            ready.close()
        engine.close()
    finally:
        store.close()
    return {"load": t1 - t0, "fold": t2 - t1, "whole": t2 - t0, "applied": applied}


def main() -> None:
    ap = base_args(__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3, help="reloads of each store")
    ap.add_argument("--render", action="store_true", help="only rewrite reload.md")
    args = ap.parse_args()
    if args.render:
        doc = saved_result("reload", args.quick, "bench_reload.py")
        (results_dir(args.quick) / "reload.md").write_text(render(doc))
        return
    cells = [(e // 5, u // 5) for e, u in CELLS] if args.quick else list(CELLS)
    with tempfile.TemporaryDirectory(prefix="bench-reload-") as tmp:
        work = Path(tmp)
        _, model, data = campaign_demo(work, args.quick)
        engine = load_engine(str(model))
        users = [str(x) for x in engine.model.users.ids.tolist()]
        films = [str(x) for x in engine.model.films.ids.tolist()]
        engine.close()
        names = ["empty"] + [f"{e}_events_{u}_users" for e, u in cells]
        stores: dict[str, dict[str, Any]] = {"empty": {"events": 0, "users": 0}}
        open_store(str(work / "empty.db")).close()
        for k, (e, u) in enumerate(cells):
            log(f"filling a store with {e:,} events of {u:,} users ...")
            stores[names[k + 1]] = fill(work / f"{names[k + 1]}.db", e, u, users, films, k)
        runs: dict[str, dict[str, list[float]]] = {
            n: {"load": [], "fold": [], "whole": []} for n in names}
        applied: dict[str, int] = {}
        for r in range(args.repeats):
            for n in (names if r % 2 == 0 else names[::-1]):
                got = reload_once(model, work / f"{n}.db")
                for part in ("load", "fold", "whole"):
                    runs[n][part].append(got[part])
                applied[n] = got["applied"]
                log(f"repeat {r + 1}/{args.repeats} {n}: load {got['load']:.2f} s, fold "
                    f"{got['fold']:.2f} s ({got['applied']:,} events applied)")
    payload = {
        "data": data, "repeats": args.repeats,
        "stores": {n: {**stores[n], "events_applied": applied[n]} for n in names},
        "seconds": {n: {k: stats(v, digits=3) for k, v in m.items()} for n, m in runs.items()}}
    path = write_result("reload", payload, args.quick)
    doc = json.loads(path.read_text())
    (results_dir(args.quick) / "reload.md").write_text(render(doc))
    log(f"wrote {results_dir(args.quick) / 'reload.md'}")


def render(doc: dict[str, Any]) -> str:
    sec, st = doc["seconds"], doc["stores"]
    base = sec["empty"]["whole"]["median"]
    lines = [
        *page_header(doc, "A reload's time beside the campaign store's events",
                     "bench_reload.py"),
        f"Model: {doc['data']} (`recommender train --no-tune`, no `--events`: every stored "
        "event applies). Each row: a SQLite store, its events spread uniformly over its users "
        "(the model's own users first, the rest new to it) and over the films; a reload is "
        "`load_engine` (the load) then `EventsSync.overlaid` (the fold: the store's events "
        "read, their users folded in, the derived model made), as a worker's swap times them. "
        f"Median of {doc['repeats']} reloads of each store, the stores alternating.",
        "",
        "| store | events | users (of the model / new) | load (s) | fold (s) | whole (s) | "
        "whole / empty store's |", "|---|---|---|---|---|---|---|"]
    for n, s in st.items():
        c = sec[n]
        who = f"{s['users']:,} ({s.get('users_of_the_model', 0):,} / {s.get('users_new', 0):,})"
        lines.append(f"| {'empty' if not s['events'] else 'filled'} | {s['events']:,} | {who} | "
                     f"{c['load']['median']:.2f} | {c['fold']['median']:.2f} | "
                     f"{c['whole']['median']:.2f} | {c['whole']['median'] / base:.1f}× |")
    lines += ["", "The README quotes the fold's medians of the filled stores "
              "(`scripts/readme_results.py`, `reload-fold`).", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
