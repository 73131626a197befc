"""Training options typed on the command line, laid over a ``--config`` file's, saying so."""

from __future__ import annotations

import argparse
import sys
from typing import Any

#: the options ``train``, ``evaluate`` and ``tune`` take both typed and in a ``--config``
TYPED_OPTIONS = ("model", "family", "ease_lambda", "factors", "iterations", "regularization",
                 "alpha", "cg_steps", "weighting", "min_rating", "learning_rate", "seed",
                 "segments", "holdout", "popularity")


def lay_typed_over(args: argparse.Namespace, base: dict[str, Any]) -> set[str]:
    """Set in ``base`` (the ``--config`` file's options, or none) each option typed on the
    command line, and return their names. Where the file gives the option another value, a
    note on stderr says the typed one replaces it: ``--config tuned.json --factors 16`` trained
    16 factors and said nothing of the file's 8 (no option silently ignored)."""
    typed = set()
    for name in TYPED_OPTIONS:
        value = getattr(args, name, None)
        if value is None:
            continue
        if name in base and not _same(base[name], value):
            flag = "--" + name.replace("_", "-")
            print(f"note: {flag} {value} replaces {name} {_json(base[name])} of --config "
                  f"{args.config}", file=sys.stderr)
        base[name] = value
        typed.add(name)
    return typed


def _same(given: Any, typed: Any) -> bool:
    """The file's value and the typed one are one value (``100.0`` and ``100``; ``"als"``)."""
    if isinstance(given, bool) or isinstance(typed, bool):
        return given is typed
    if isinstance(given, int | float) and isinstance(typed, int | float):
        return float(given) == float(typed)
    return bool(given == typed)


def _json(value: Any) -> str:
    """``value`` as the file wrote it: ``null`` for none, strings bare, numbers as ``%g``."""
    if value is None:
        return "null"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)
