"""HTTP service: thin FastAPI routes over the ``recommender`` library."""
