"""``python -m recommender.cli``: the ``recommender`` console script."""

from recommender.cli import main

raise SystemExit(main())
