"""The HTTP baseline: a trivial FastAPI app with the engine's two benchmarked paths, each
answering a constant-size JSON body without touching a model. Served by uvicorn exactly as
the engine is (same host, workers, log level), so the ratio isolates the engine's own cost.
The routes are ``async def`` returning a small constant-shape body: the cheapest endpoint
FastAPI serves (no thread-pool hop, no response model), so the baseline is a demanding one."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI


def create_app() -> FastAPI:
    app = FastAPI(title="trivial baseline")

    @app.get("/films/{film_id}/audience")
    async def audience(film_id: str, k: int = 100) -> dict[str, Any]:
        return {"film_id": film_id, "users": [], "total": 0, "offset": 0, "k": k}

    @app.get("/users/{user_id}/recommendations")
    async def recommendations(user_id: str, k: int = 10) -> dict[str, Any]:
        return {"user_id": user_id, "films": []}

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    return app
