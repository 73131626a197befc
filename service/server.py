"""``serve(model_dir, host, port, workers)``: run the app with uvicorn (``recommender serve``).

The model folder is checked before uvicorn starts, so a bad folder is a clear error (exit 2)
rather than a failed worker. With several workers, uvicorn's factory mode imports
``service.app:create_app`` in each and the folder is passed through ``RECOMMENDER_MODEL_PATH``;
each worker memory-maps the same files, so the factor matrices live once in the page cache.
"""

from __future__ import annotations

import os
from pathlib import Path

from recommender.errors import InvalidParameterError


def serve(model_dir: str, host: str = "127.0.0.1", port: int = 8000, workers: int = 1,
          log_level: str = "info") -> None:
    import uvicorn

    from recommender.serving.engine import load_engine
    from service.app import create_app
    from service.settings import Settings

    if not 0 <= port <= 65535:
        raise InvalidParameterError(f"port must be in [0, 65535], got {port}")
    if workers < 1:
        raise InvalidParameterError(f"workers must be >= 1, got {workers}")
    path = str(Path(model_dir).resolve())
    load_engine(path)  # raises ArtifactError naming what is wrong
    os.environ["RECOMMENDER_MODEL_PATH"] = path
    if workers == 1:
        uvicorn.run(create_app(Settings()), host=host, port=port, log_level=log_level)
    else:
        uvicorn.run("service.app:create_app", factory=True, host=host, port=port,
                    workers=workers, log_level=log_level)
