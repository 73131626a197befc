"""Every command's and sub-command's --help renders (a stray '%' in a help text breaks it)."""

from __future__ import annotations

import argparse

from recommender.cli import build_parser


def _parsers(parser: argparse.ArgumentParser, name: str = "recommender"
             ) -> list[tuple[str, argparse.ArgumentParser]]:
    found = [(name, parser)]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub, child in action.choices.items():
                found += _parsers(child, f"{name} {sub}")
    return found


def test_every_help_renders() -> None:
    parsers = _parsers(build_parser())
    assert len(parsers) > 20
    for name, parser in parsers:
        text = parser.format_help()
        assert text.startswith("usage:"), name


def test_every_option_says_what_it_does() -> None:
    """train's and evaluate's --min-rating, audiences' --include-seen and evaluate's and
    tune's --data had no help text: --help listed them with nothing beside them."""
    bare = [(name, action.option_strings) for name, parser in _parsers(build_parser())
            for action in parser._actions
            if action.option_strings and action.dest != "help" and not action.help]
    assert not bare, bare
