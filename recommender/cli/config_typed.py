"""Training options typed on the command line, laid over a ``--config`` file's, saying so."""

from __future__ import annotations

import argparse
import datetime
import difflib
import json
import sys
from pathlib import Path
from typing import Any

from recommender.errors import DataError

#: the options ``train``, ``evaluate`` and ``tune`` take both typed and in a ``--config``
TYPED_OPTIONS = ("model", "family", "ease_lambda", "factors", "iterations", "regularization",
                 "alpha", "cg_steps", "weighting", "min_rating", "learning_rate", "seed",
                 "segments", "holdout", "popularity")


def read_config(path: str) -> Any:
    """The JSON a ``--config`` file holds, or the table of a ``.toml`` one (which may carry
    comments: a file a person writes by hand); ``DataError`` naming it where it holds none. A
    key given twice in one object is refused, naming the key: Python's json kept the last copy
    without a word (``{"factors": 8, ..., "factors": 64}`` trained 64), as the service's JSON
    bodies refuse it (TOML refuses it itself, naming the line)."""
    if config_kind(path) == "a TOML table":
        return _read_toml(path)
    def no_twice(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        keys = [k for k, _ in pairs]
        twice = next((k for k in keys if keys.count(k) > 1), None)
        if twice is not None:
            raise DataError(path, f"the key {twice!r} is given {keys.count(twice)} times in one "
                                  "object; give it once")
        return dict(pairs)
    text = ""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
        if not text.strip():  # "Expecting value: line 1 column 1 (char 0)" said no more
            raise DataError(path, "the file is empty: expected a JSON object of training "
                                  'options, such as {"factors": 64}')
        return json.loads(text, object_pairs_hook=no_twice)
    except (OSError, ValueError) as e:
        raise DataError(path, f"expected a JSON object of training options ({e})") from None


def config_kind(path: str) -> str:
    """What a ``--config`` file at ``path`` is expected to hold, for a refusal's words."""
    return "a TOML table" if Path(path).suffix.lower() == ".toml" else "a JSON object"


def _read_toml(path: str) -> dict[str, Any]:
    """The table a ``.toml`` ``--config`` holds (``DataError`` saying the line of what does
    not parse; an empty file is refused, as an empty JSON one is)."""
    import tomllib

    text = ""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
        table = tomllib.loads(text)
    except (OSError, ValueError) as e:  # tomllib.TOMLDecodeError is a ValueError
        raise DataError(path, "expected a TOML table of training options "
                              f"({_at_a_line(str(e), text)})") from None
    if not table:
        raise DataError(path, "the file holds no option: expected a TOML table of training "
                              "options, such as factors = 64")
    return table


def _at_a_line(said: str, text: str) -> str:
    """tomllib's message with its "at end of document" (a value or bracket the file ends
    before closing: ``factors = `` with no newline) said as the file's last line, which it
    is: that message named no line at all, where every other refusal names one."""
    last = max(1, len(text.splitlines()))
    return said.replace("(at end of document)", f"(at line {last}, the end of the file)")


def json_type(value: Any) -> str:
    """``value``'s type as JSON names it (``an array``, ``null``): the refusal of a file that
    holds no object said Python's (``got list``, ``got NoneType``)."""
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    names: dict[type, str] = {dict: "an object", list: "an array", str: "a string"}
    if isinstance(value, datetime.date | datetime.time):  # a TOML file's dates and times
        return "a date or time"
    return names.get(type(value), "a number")


def did_you_mean(name: str, known: set[str]) -> str:
    """`` (did you mean 'factors'?)`` for a misspelt option, else nothing."""
    near = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.7)
    return f" (did you mean {near[0]!r}?)" if near else ""


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
