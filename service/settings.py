"""Service settings, read from environment variables prefixed ``RECOMMENDER_``.

``RECOMMENDER_MODEL_PATH`` (the model folder), ``RECOMMENDER_API_KEY`` (when set,
``/admin/*`` needs ``Authorization: Bearer <key>``), ``RECOMMENDER_MAX_K`` (largest page),
and the serving knobs below.
"""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from recommender.query.audience import MAX_K


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RECOMMENDER_", protected_namespaces=(),
                                      extra="ignore")

    model_path: str | None = Field(default=None, description="model folder to serve")
    api_key: SecretStr | None = Field(
        default=None, description="when set, admin endpoints need 'Authorization: Bearer <key>'")
    max_k: int = Field(default=10_000, ge=1, le=MAX_K, description="largest k (page size) accepted")
    max_search_limit: int = Field(default=1000, ge=1, description="largest limit of GET /films")
    max_seed_users: int = Field(default=100_000, ge=1, description="longest lookalike seed list")
    cache_mb: float = Field(default=128.0, ge=0,
                            description="memory for cached audience rankings (and half as much "
                                        "again for rendered audience and recommendation "
                                        "bodies)")
    cache_depth: int = Field(default=256, ge=1, description="users kept per cached film ranking")
    blas_threads: int = Field(
        default=1, ge=0,
        description="BLAS threads per worker (0 = the library's default). Concurrent requests "
                    "are parallel already; a multi-threaded BLAS under them thrashes")
    warm_cache: bool = Field(
        default=True, description="after (re)loading a model, rank the most-watched films' "
                                  "audiences into the cache in the background, until every "
                                  "film is ranked or the cache is 90% full")
    fast_path: bool = Field(
        default=True, description="answer plain audience pages and recommendation lists "
                                  "without FastAPI's routing (same bytes; service/fastpath.py)")
    max_batch: int = Field(default=32, ge=1, le=1024,
                           description="most audience (or recommendation) requests scored in one "
                                       "matrix product")
