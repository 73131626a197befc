"""The CLI's ``evaluate`` and ``tune``: their log read as ``train`` reads it, then measured.

``--data -`` reads standard input (copied once to a temporary file, ``io.stdin.spooled``) and
``--blank-ratings`` says what a rating column's blank cells are, as ``train``'s do: a partly
rated log refused by ``evaluate`` was told to give ``--blank-ratings``, which only ``train``
took.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the commands import what they need when they run
    from recommender.io.dataset import Interactions


def read_data(args: argparse.Namespace, floor: float | None = None) -> Interactions:
    """``--data`` (a path, or ``-``: standard input) read with ``--blank-ratings`` (an unrated
    view given at least ``floor``, ``--min-rating``), said as ``train`` says it; errors name
    standard input ``<stdin>``, and so does the data's source."""
    from recommender.cli.reading import load_said
    from recommender.io.stdin import spooled

    with spooled(args.data) as data:
        return load_said(data, None, None, None, getattr(args, "blank_ratings", "refuse"),
                         floor, command=args.command)  # a pipe's refusal names it


def _not_the_data(out: str | None, data: str) -> None:
    """Refuse a report or configuration path that would replace the log it reads: the file
    given as --data (it was overwritten, exit 0), or any path in the --data folder (a file of
    its layout replaced, or a new users.csv the next load reads as the folder's)."""
    from recommender.cli.commands import not_an_input
    from recommender.errors import InvalidParameterError
    from recommender.io.stdin import is_stdin

    if not out:
        return
    not_an_input(out, data)
    folder = Path(data)
    if not is_stdin(data) and folder.is_dir() and Path(out).resolve().is_relative_to(
            folder.resolve()):
        raise InvalidParameterError(f"the output {out} is in the --data folder {data}: the "
                                    "folder is the log; write the output elsewhere")


def cmd_evaluate(args: argparse.Namespace) -> int:
    from recommender.cli.training import _train_config
    from recommender.evaluation.report import cli_evaluate

    path = getattr(args, "json_path", None)
    _not_the_data(None if path == "-" else path, args.data)  # "-": stdout
    # the engine under test is trained as `train` would with the same options
    config = _train_config(args)
    result: int = cli_evaluate(args, read_data(args, config.min_rating), config)
    return result


def cmd_tune(args: argparse.Namespace) -> int:
    from recommender.evaluation.report import cli_tune

    _not_the_data(args.out, args.data)
    result: int = cli_tune(args, read_data(args))
    return result
