"""Dependencies: the service state, the engine a request runs on, and admin authorization.

They are ``async`` so that resolving them costs no threadpool hop.
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from recommender.serving.engine import Engine
from service.settings import Settings
from service.state import ServiceState

bearer = HTTPBearer(auto_error=False, description="the API key set in RECOMMENDER_API_KEY")


async def get_service(request: Request) -> ServiceState:
    service: ServiceState = request.app.state.service
    return service


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.service.settings
    return settings


async def get_engine(request: Request) -> Engine:
    engine = request.app.state.service.engine
    if engine is None:
        raise HTTPException(503, "no model is loaded")
    request.state.model_version = engine.version
    return engine


async def require_admin(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> None:
    key = request.app.state.service.settings.api_key
    if key is None:
        return
    token = credentials.credentials if credentials is not None else ""
    if not hmac.compare_digest(token.encode(), key.get_secret_value().encode()):
        raise HTTPException(401, "missing or wrong API key: send 'Authorization: Bearer <key>'",
                            headers={"WWW-Authenticate": "Bearer"})


ServiceDep = Annotated[ServiceState, Depends(get_service)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
EngineDep = Annotated[Engine, Depends(get_engine)]
AdminDep = Annotated[None, Depends(require_admin)]
