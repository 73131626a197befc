"""No module-level pattern of recommender/ or service/ has two runs that can take the same
character with nothing required between them (``[0-9]+\\.?[0-9]*``): a backtracking engine
tries every split of such a run before it fails, so ``DECIMAL.fullmatch`` of 4,000 digits
and an ``x`` took 0.6 s and grew as the square (a slate file's value cell, ``--like``
weights, every decimal CLI option). Checked on the parsed pattern, not timed."""

from __future__ import annotations

import importlib
import pkgutil
import re
import re._constants as c  # type: ignore[import-not-found]
import re._parser as parser  # type: ignore[import-not-found]
from typing import Any

import pytest

import recommender
import service
from recommender.campaigns.slate import DECIMAL

_ALPHABET = [chr(i) for i in range(128)] + ["é", "\u2013", "\u00a0"]
_CATEGORY = {c.CATEGORY_DIGIT: str.isdigit, c.CATEGORY_SPACE: str.isspace,
             c.CATEGORY_WORD: lambda ch: ch.isalnum() or ch == "_"}


def _in_class(ch: str, items: list[Any]) -> bool:
    hit, negate = False, False
    for op, av in items:
        if op is c.NEGATE:
            negate = True
        elif op is c.LITERAL:
            hit |= ord(ch) == av
        elif op is c.RANGE:
            hit |= av[0] <= ord(ch) <= av[1]
        elif op is c.CATEGORY:
            name = str(av)
            base = next((f for k, f in _CATEGORY.items() if str(k) in name.replace("NOT_", "")),
                        None)
            if base is None:
                return True  # unknown: assume it may
            hit |= base(ch) != ("NOT_" in name)
        else:
            return True
    return hit != negate


def _first(seq: Any) -> tuple[set[str], bool]:
    """The characters a sequence may start with, and whether it may match nothing."""
    out: set[str] = set()
    for op, av in seq:
        first, empty = _item(op, av)
        out |= first
        if not empty:
            return out, False
    return out, True


def _item(op: Any, av: Any) -> tuple[set[str], bool]:
    if op is c.LITERAL:
        return {chr(av)} if av < 0x110000 else set(), False
    if op is c.NOT_LITERAL:
        return {ch for ch in _ALPHABET if ord(ch) != av}, False
    if op is c.ANY:
        return {ch for ch in _ALPHABET if ch != "\n"}, False
    if op is c.IN:
        return {ch for ch in _ALPHABET if _in_class(ch, av)}, False
    if op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT):
        first, empty = _first(av[2])
        return first, empty or av[0] == 0
    if op is c.SUBPATTERN:
        return _first(av[3])
    if op is c.BRANCH:
        parts = [_first(p) for p in av[1]]
        return set().union(*(f for f, _ in parts)), any(e for _, e in parts)
    return set(), True  # anchors, look-arounds: no character


def _ambiguous(seq: Any) -> list[str]:
    """Runs of ``seq`` (and of its nested sequences) followed, with only optional items
    between, by an item that may start with one of the run's characters and repeat."""
    found: list[str] = []
    items = list(seq)
    for i, (op, av) in enumerate(items):
        if op in (c.MAX_REPEAT, c.MIN_REPEAT):
            found += _ambiguous(av[2])
            if av[1] == av[0] or av[1] == 1:  # a fixed count or an optional item: no run
                continue
            run, _ = _first(av[2])
            for op2, av2 in items[i + 1:]:
                first, empty = _item(op2, av2)
                variable = op2 in (c.MAX_REPEAT, c.MIN_REPEAT) and av2[1] != av2[0]
                if run & first and (empty or variable):
                    found.append(f"item {i} and a later one share {sorted(run & first)[:5]}")
                    break
                if not empty:
                    break
        elif op is c.SUBPATTERN:
            found += _ambiguous(av[3])
        elif op is c.BRANCH:
            for p in av[1]:
                found += _ambiguous(p)
    return found


def _patterns() -> dict[str, re.Pattern[str]]:
    out: dict[str, re.Pattern[str]] = {}
    for pkg in (recommender, service):
        for m in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + "."):
            if m.name.endswith("__main__") or ".spark." in m.name:
                continue
            mod = importlib.import_module(m.name)
            out.update({f"{m.name}.{k}": v for k, v in vars(mod).items()
                        if isinstance(v, re.Pattern) and isinstance(v.pattern, str)})
    return out


def test_the_checker_finds_the_split_run_decimal_had() -> None:
    assert _ambiguous(parser.parse(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?"))
    assert _ambiguous(parser.parse(r"a\d+x?\d+b"))
    assert not _ambiguous(parser.parse(r"[+-]?([0-9]+(?:\.[0-9]*)?|\.[0-9]+)"))
    assert not _ambiguous(parser.parse(r"^(?P<rest>.*\S)\s*\((?P<alt>[^()]*)\)\s*$"))


@pytest.mark.parametrize("name", sorted(_patterns()))
def test_no_pattern_splits_a_run_two_ways(name: str) -> None:
    assert _ambiguous(parser.parse(_patterns()[name].pattern)) == [], name


def test_decimal_reads_what_it_read() -> None:
    old = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")
    pieces = ["", "+", "-", "1", "12", ".", "5", "e", "E", "-", "3", "x", " ", "_", "٣"]
    words = [""]
    for _ in range(4):
        words = [w + p for w in words for p in pieces]
    for w in words:
        assert bool(DECIMAL.fullmatch(w)) == bool(old.fullmatch(w)), w
