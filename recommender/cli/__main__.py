"""``python -m recommender.cli``: the ``recommender`` console script, its exit included.

It goes through ``recommender.console.main`` as the script and ``python -m recommender`` do,
so a Ctrl-C or SIGTERM once the command returned is let go as there (the first; a second ends
the exit). Python imports this package before this module runs, so a Ctrl-C while it loads
still prints a traceback: ``python -m recommender`` catches that too.
"""

from recommender.console import main

raise SystemExit(main())
