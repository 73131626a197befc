"""How the CLI prints an endpoint's body and a breakdown table (shared by its answers)."""

from __future__ import annotations

import sys
from typing import Any

from recommender.cli.commands import _print_table

# The service sends its response model's dump of what the library returns: the same values, in
# the model's field order, with its optional fields. ``SEGMENT_SHARE`` is that order for a
# segment's share (tests/cli/test_cli_answers.py compares the bytes).
SEGMENT_SHARE = ("segment", "label", "count", "share", "base_share", "lift", "size")


def print_body(body: Any) -> None:
    """``body`` as a route with a response model sends it: FastAPI writes those through
    pydantic's JSON serializer, whose floats differ from ``json.dumps``'s in their exponents
    (``5e-6``, ``0.00001``, not ``5e-06``, ``1e-05``); compact, UTF-8 text."""
    import pydantic_core

    sys.stdout.write(pydantic_core.to_json(body).decode() + "\n")


def split_table(rows: list[dict[str, Any]], key: str) -> None:
    """A breakdown (segment or attribute value: count, share, base share, lift) as a table."""
    sized = key == "segment" and all("size" in r for r in rows)
    _print_table([key, "count", "share", "base_share", "lift"] + ["size"] * sized, [
        [r["label"] if key == "segment" else r["value"], r["count"], f"{r['share']:.4f}",
         f"{r['base_share']:.4f}", f"{r['lift']:.3f}"] + ([r["size"]] if sized else [])
        for r in rows])
