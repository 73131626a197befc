"""What the app holds between requests: settings, metrics, the engine and the body cache.

The engine is swapped as one reference; a request takes the reference once (``deps``) and
finishes on that engine even if a reload replaces it meanwhile. Cached bodies are keyed by the
engine's model key, so a request still running on a replaced engine never answers another's.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

from recommender.errors import ArtifactError
from recommender.serving.engine import Engine, load_engine
from service.body_cache import BodyCache
from service.metrics import Metrics
from service.settings import Settings


class ReloadError(Exception):
    """The new model could not be loaded; the old one keeps serving."""


class ServiceState:
    """The served engine, the rendered bodies cached for it, settings and metrics."""

    def __init__(self, settings: Settings, metrics: Metrics) -> None:
        self.settings = settings
        self.metrics = metrics
        self.engine: Engine | None = None
        # rendered audience and recommendation bodies: half as much memory again as the
        # engine's ranking cache
        self.bodies = BodyCache(int(settings.cache_mb * 2**20) // 2,
                                on_audience_hit=metrics.on_cache,
                                on_recommendations=metrics.on_recommendations_cache)
        self.model_path: str | None = settings.model_path
        self._reload_lock = threading.Lock()

    def load(self, path: str) -> Engine:
        """Load and fully validate a model folder (raises ``ArtifactError``)."""
        s = self.settings
        return load_engine(
            str(Path(path).expanduser()), max_k=s.max_k, cache_bytes=int(s.cache_mb * 2**20),
            depth=s.cache_depth, max_batch=s.max_batch, on_batch=self.metrics.on_batch,
            on_cache=self.metrics.on_cache,
            on_recommendations_batch=self.metrics.on_recommendations_batch)

    def install(self, engine: Engine) -> Engine | None:
        old, self.engine = self.engine, engine  # the atomic swap
        self.model_path = engine.path
        self.metrics.set_model(engine)
        if old is not None:
            old.close()
        self.bodies.clear()  # the old engine's bodies can no longer be asked for
        if self.settings.warm_cache:
            engine.start_warming()
        return old

    def startup(self) -> None:
        if not self.model_path:
            raise ArtifactError("no model folder configured: set RECOMMENDER_MODEL_PATH or "
                                "run 'recommender serve MODEL_DIR'")
        self.install(self.load(self.model_path))

    def reload(self, path: str | None = None) -> tuple[str, Engine, float]:
        """Load ``path`` (default: the folder being served), validate it, then swap it in.

        Returns (previous version, new engine, seconds). On any failure raises
        ``ReloadError`` saying why, and the current engine keeps serving.
        """
        with self._reload_lock:
            previous = self.engine.version if self.engine is not None else ""
            target = path if path is not None else self.model_path
            if not target:
                raise ReloadError("no model folder configured")
            t0 = time.perf_counter()
            try:
                engine = self.load(target)
            except ArtifactError as e:
                self.metrics.reloads.labels(result="error").inc()
                raise ReloadError(str(e)) from None
            except Exception as e:  # a corrupt folder can fail in many ways; never half-swap
                self.metrics.reloads.labels(result="error").inc()
                raise ReloadError(f"{target}: could not load the model "
                                  f"({type(e).__name__}: {e})") from None
            seconds = time.perf_counter() - t0
            self.install(engine)
            self.metrics.reloads.labels(result="ok").inc()
            return previous, engine, seconds
