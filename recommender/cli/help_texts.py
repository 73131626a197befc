"""What an option or argument declared without a help text means, for ``--help``.

Options such as ``--k``, ``--offset``, ``--seed`` and the positional ``model`` are declared in
many commands; their help said only ``default: 100`` (or nothing at all, for a positional), so
``recommender similar --help`` did not tell whether ``--k`` counts films or users, nor
``evaluate --help`` what ``--k`` cuts or what each ``--protocol`` holds out. ``describe``
fills in the text of every action that has none, by command and name; an action that has one
keeps it.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping

from recommender.cli.environment_help import EPILOGS as EPILOGS
from recommender.cli.environment_help import TOP as TOP

# the commands whose --k/--offset count users of a ranked list
_USER_LISTS = ("audience", "lookalike", "cold-start")

# (command, dest) first, then dest alone; a positional's dest is its name
_BY_COMMAND: dict[tuple[str, str], str] = {
    ("demo-data", "out_dir"): "folder to write the dataset to (created if missing)",
    ("demo-data", "seed"): "seed of the generator: the same seed writes the same data",
    ("demo-data", "users"): "number of users",
    ("demo-data", "films"): "number of films",
    ("demo-data", "interactions"): "number of interactions (distinct user-film pairs)",
    ("download", "dest"): "folder to write the dataset to",
    ("audiences", "k"): "users per film: each film's top k",
    ("audiences", "engine"): "where to rank: local (this process) or spark",
    ("train", "engine"): "where to fit: local (this process) or spark (no search: see "
                         "--no-tune)",
    ("recommend", "k"): "films per user",
    ("similar", "k"): "films to list",
    ("search", "offset"): "matches to skip (the next page starts at match offset+1)",
    ("evaluate", "k"): "the cutoff of the audience metrics (audience_recall@k and _ndcg@k; "
                       "the user direction's is 20)",
    ("evaluate", "protocol"): "the test split: random (80/20 of the interactions, seeded), time "
                              "(train up to the 80th-percentile timestamp) or user (held-out "
                              "users' histories split into fold-in and test)",
    ("evaluate", "seed"): "seed of the split and of the fit",
    ("train", "seed"): "seed of the fit, of the search's validation split and of the "
                       "segments",
    ("tune", "trials"): "parameter sets fitted and scored on the validation split",
    ("tune", "k"): "the cutoff of the audience recall the validation objective scores (the "
                   "user direction's is 20)",
    ("tune", "seed"): "seed of the split, the parameter sets drawn and the fits",
    ("serve", "host"): "address to listen on (0.0.0.0: every interface)",
    ("serve", "port"): "TCP port to listen on (0: any free one)",
    ("events import", "file"): "the events file (CSV or Parquet)",
}
_BY_NAME: dict[str, str] = {
    "config": "JSON object of training options (a `tune --out` file, or a model's meta.json: "
              "its params), or a .toml file of them (comments allowed); an option also typed "
              "on the command line replaces the file's value, and a note on stderr says so",
    "model": "the model folder (`train --out`)",
    "film_id": "the film's id, byte for byte as in the training data (`search` finds it by "
               "title)",
    "plan_id": "a stored plan's id (`campaign list` names them)",
    "k": "users to list (the page size)",
    "offset": "users to skip: the next page starts at the list's (offset+1)th user",
    "iterations": "training passes over the data (ALS sweeps; BPR and LMF epochs)",
    "factors": "taste dimensions: the rank of the factorisation (ALS, BPR, LMF; EASE's rank)",
    "alpha": "ALS's confidence scale: how much more a watched pair counts than an unwatched "
             "one (ALS only)",
    "weighting": "an interaction's confidence: binary (1 each), rating (its rating, else "
                 "its weight), log (1 + log1p(weight)) or bm25 (discounts blockbusters and "
                 "heavy users)",
    "option_model": "the factorisation of the ALS family: als (implicit ALS), bpr or lmf",
}


def _text(command: str, action: argparse.Action) -> str | None:
    name = action.dest
    if action.option_strings and name == "model":  # `--model`, not the positional folder
        name = "option_model"
    if (command, name) in _BY_COMMAND:
        return _BY_COMMAND[command, name]
    if name in ("k", "offset") and command not in _USER_LISTS and command != "audiences":
        return None  # a command of its own above, or none: no guess
    return _BY_NAME.get(name)


def describe(parsers: Mapping[str, argparse.ArgumentParser], prefix: str = "") -> None:
    """Give each action of these sub-command parsers (and of theirs) that has no help text
    the one above for its command and name."""
    for name, parser in parsers.items():
        command = f"{prefix} {name}".strip()
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                describe(action.choices, command)
            elif not action.help and not isinstance(action, argparse._HelpAction):
                action.help = _text(command, action)
