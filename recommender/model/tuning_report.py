"""What a tuning search recorded, read back: its summary for /health, its report without seconds.

``tuning.tune`` writes the report into a model's ``meta.json`` (``tuning``); these read it:
``summary`` (``/health``, ``recommender info``), ``timeless`` (what two searches of the same
data and settings share), ``als_searched_beside_ease`` (values an EASE model's search recorded
but did not choose).
"""

from __future__ import annotations

from typing import Any

from recommender.model.config import TrainConfig


def timeless(report: dict[str, Any]) -> dict[str, Any]:
    """``tune``'s report without its seconds (the search's, each trial's, the validation's):
    what two searches of the same data and settings must share."""
    out = {k: v for k, v in report.items() if k != "seconds"}
    if "trials" in out:
        out["trials"] = [{k: v for k, v in t.items() if k != "seconds"} for t in out["trials"]]
    if isinstance(out.get("validation"), dict):
        out["validation"] = {k: ({n: x for n, x in v.items() if n != "seconds"}
                                 if isinstance(v, dict) else v)
                             for k, v in out["validation"].items()}
    return out


def summary(meta: dict[str, Any]) -> dict[str, Any] | None:
    """The search's outcome in a model's ``meta.json`` without the trial list (for /health):
    status, what was searched and chosen, the validation objective with what it measures
    (``objective``: dropped here before, so /health's numbers said nothing of what they were)
    and the seconds spent. The family and popularity stages keep what they searched: an EASE
    chosen by the family stage has a rank and a lambda that ALS's ``searched`` does not list
    (its factors [32, 64, 128] beside a chosen 256), so ``family.searched`` shows them."""
    t = meta.get("tuning")
    if not isinstance(t, dict):
        return None
    keys = ("status", "fixed", "searched", "chosen", "seconds")
    out = {k: t[k] for k in keys if k in t}
    for stage in ("family", "popularity"):
        found = t.get(stage)
        if isinstance(found, dict):
            out[stage] = {k: found[k] for k in ("searched", "chosen", "reason")
                          if k in found}
    val = t.get("validation")
    if isinstance(val, dict):
        if isinstance(t.get("objective"), str):
            out["objective"] = t["objective"]
        out["validation_objective"] = {k: val[k].get("objective") for k in ("chosen", "start")
                                       if isinstance(val.get(k), dict)}
        out["trials"] = len(t.get("trials", []))
    return out


def als_searched_beside_ease(meta: Any) -> dict[str, Any]:
    """``regularization`` and ``alpha`` at their defaults where a model's ``meta.json`` (or a
    ``tune --out`` file) of family EASE records its search's: before 3af9eaa the tuned ALS's
    values were recorded beside the EASE it chose, never read, and such a file is no choice
    of them (as a ``--config`` for family EASE it was refused for them)."""
    tuned = meta.get("tuning") if isinstance(meta, dict) else None
    searched = tuned.get("searched") if isinstance(tuned, dict) else None
    defaults = TrainConfig()
    return {n: getattr(defaults, n) for n in ("regularization", "alpha")
            if isinstance(searched, dict) and n in searched}
