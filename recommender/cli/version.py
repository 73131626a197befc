"""``recommender --version``: this build's package version, store schema and model format.

Every build said 0.1.0, and an operator upgrading in place could not tell an old engine from
a new one: the campaign store's schema this build migrates to (``store_tables.MIGRATIONS``'
last step) and the newest model folder format it reads and writes (``artifact.FORMAT_VERSION``)
say which build it is, and a store a newer build migrated is refused naming the schema to
look for here (``store_schema.StoreSchemaNewerError``).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any


def version_line() -> str:
    """``recommender 0.1.0 (store schema 12, model format 3)``, from the code's constants."""
    from recommender import __version__
    from recommender.campaigns.store_tables import MIGRATIONS
    from recommender.model.artifact import FORMAT_VERSION

    return (f"recommender {__version__} (store schema {MIGRATIONS[-1][0]}, "
            f"model format {FORMAT_VERSION})")


class VersionAction(argparse.Action):
    """argparse's ``version`` action, its line worked out only when asked (the store's
    tables import SQLAlchemy, which every other command would pay for at parse time)."""

    def __init__(self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS,
                 **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: Any, option_string: str | None = None) -> None:
        print(version_line())
        parser.exit()
