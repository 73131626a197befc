"""The environment variables a command reads, checked before its work starts."""

from __future__ import annotations

import argparse
import os
import sys

from recommender.errors import InvalidParameterError
from recommender.io.env_names import misspelt, unknown
from recommender.io.progress import check_tqdm_environment, show_progress
from recommender.model.min_cell import min_cell_from_env

STORE_ENV = "RECOMMENDER_STORE"


def check_environment(args: argparse.Namespace) -> None:
    """``InvalidParameterError`` naming the variable for a value a command cannot take,
    before any work: ``RECOMMENDER_PROGRESS``, the ``TQDM_*`` numbers tqdm reads and
    ``RECOMMENDER_MIN_CELL`` for every command
    (training read the minimum cell after the whole fit), and ``RECOMMENDER_STORE`` where the
    command would read it (it takes ``--store`` and none was given): a blank value or a URL
    of another database was refused naming "the campaign store" alone, and who reads the
    message may not know the store came from the environment. First the names themselves
    (``check_names``)."""
    check_names(args)
    show_progress()
    check_tqdm_environment()
    min_cell_from_env()
    target = os.environ.get(STORE_ENV)
    if not target or not hasattr(args, "store") or args.store:
        return  # unset or empty: no store (as every reader takes it); or --store given
    from recommender.campaigns.connection import parse_store_url

    try:
        backend = parse_store_url(target).get_backend_name()
    except InvalidParameterError as e:
        raise InvalidParameterError(f"{STORE_ENV}: {e}") from None
    if backend not in ("sqlite", "postgresql"):
        raise InvalidParameterError(f"{STORE_ENV}: the campaign store supports sqlite:// and "
                                    f"postgresql:// URLs, got {backend}://")


def check_names(args: argparse.Namespace) -> None:
    """The ``RECOMMENDER_*`` names no command and no setting reads, by ``serve``'s rule
    (``recommender.io.env_names``): one near a setting is refused naming the one meant (every
    command: ``RECOMMENDER_MAXK`` gave ``audience`` the default page size, unsaid; ``serve``
    says it with its settings' other refusals, ``service.settings.from_environment``), any
    other is said in one warning line (``RECOMMENDER_WORKERS=4`` served one worker, unsaid)."""
    from recommender.cli.environment_help import SERVE_SETTINGS

    settings = [name for name, _what, _default in SERVE_SETTINGS]
    reasons = misspelt(os.environ, settings)
    if reasons and getattr(args, "command", None) != "serve":
        raise InvalidParameterError("refused setting: " + "; ".join(reasons))
    for line in unknown(os.environ, settings):
        print(line, file=sys.stderr)
