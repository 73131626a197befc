"""The ``recommender`` console script's entry point: Ctrl-C while the CLI loads ends in one line.

Importing ``recommender.cli`` takes most of a second (numpy, scipy, pyarrow), before ``main``
can catch anything: a Ctrl-C then printed a Python traceback. This module imports only
``sys``, so the script's first work is the ``try`` below (startup is no slower).
"""

from __future__ import annotations

import sys


def main() -> int:
    try:
        from recommender.cli import main as cli_main
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return cli_main()
