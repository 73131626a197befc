"""``python -m recommender``: the ``recommender`` console script, Ctrl-C while it loads included.

``python -m recommender.cli`` loads the CLI package before its ``__main__`` runs, so a Ctrl-C
then prints a traceback; this entry goes through ``recommender.console`` as the script does.
"""

from recommender.console import main

raise SystemExit(main())
