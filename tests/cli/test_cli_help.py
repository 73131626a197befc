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


def test_every_argument_says_more_than_its_default() -> None:
    """``similar --help`` listed ``--k K  default: 10`` (films or users?), ``evaluate --help``
    ``--protocol  default: random`` (what each protocol holds out?) and ``--k`` (the cutoff of
    what?), and every command's positional ``model``, ``film_id`` and ``plan_id`` with nothing
    beside them: a help text that is only the default, or none, describes nothing."""
    bare = []
    for name, parser in _parsers(build_parser()):
        for action in parser._actions:
            if isinstance(action, (argparse._HelpAction, argparse._SubParsersAction)):
                continue
            said = (action.help or "").split("(default:")[0].strip()
            if not said or said.startswith("default:"):
                bare.append((name, action.option_strings or action.dest))
    assert not bare, bare


def test_a_shared_option_says_what_it_counts_in_each_command() -> None:
    """``--k`` counts films in ``similar`` and ``recommend``, users in ``audience``: each
    command's help says which."""
    parsers = dict(_parsers(build_parser()))

    def k_help(command: str) -> str:
        return next(a.help or "" for a in parsers[f"recommender {command}"]._actions
                    if a.dest == "k")

    assert k_help("similar").startswith("films") and k_help("recommend").startswith("films")
    assert k_help("audience").startswith("users") and k_help("lookalike").startswith("users")
    assert "audience_recall@k" in k_help("evaluate")


def test_a_searched_default_says_where_no_search_runs() -> None:
    """``--alpha`` said 'default: chosen on a validation split; 3.0 with --no-tune', but the
    search covers ALS on the local engine only: ``--model bpr`` (or lmf) and ``train --engine
    spark`` fit the --no-tune values without it (train says so only after the fit)."""
    parsers = dict(_parsers(build_parser()))
    for command, spark in (("train", True), ("evaluate", False)):
        for dest in ("alpha", "factors", "weighting", "family", "popularity"):
            text = " ".join(next(a.help or "" for a in parsers[f"recommender {command}"]._actions
                                 if a.dest == dest).split())
            assert "where no search runs (--model bpr or lmf" in text, (command, dest)
            assert ("--engine spark" in text) == spark, (command, dest)
