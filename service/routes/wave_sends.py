"""When each wave of a plan went out, over HTTP: record a wave's send, or take one back.

``POST /campaigns/{plan_id}/waves/{wave}/sent`` records it (``campaign sent``), ``DELETE`` on
the same path takes back a send recorded by mistake (``campaign sent --retract``); both are
writes to the campaign store (a write key's, ``auth.WRITE_PATHS``), and the library's rules
are ``recommender.campaigns.wave_sends``'s. Split from ``service.routes.campaigns`` (at its
line bound); included right after it, so the schema lists the paths in the same order.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi import Path as PathParam

from recommender.campaigns.event_times import SERVER_CLOCK
from recommender.campaigns.store import UnknownPlanError
from recommender.campaigns.wave_sends import record_wave_sent, retract_wave_sent
from service.json_body import JsonRoute
from service.raw_ids import plan_id as raw_plan_id
from service.routes import INVALID, SCHEMA_NEWER, STORE_DOWN
from service.routes.campaigns import NO_PLAN, NOT_AN_OBJECT, campaign_store, stored_plan
from service.schemas import Error
from service.store_gate import store_gate
from service.wave_send_schemas import SentRequest, WaveRetracted, WaveSent

router = APIRouter(tags=["campaigns"], route_class=JsonRoute,
                   dependencies=[Depends(store_gate, scope="function")])
WaveNumber = Annotated[int, PathParam(
    description="the wave's number in this plan (1 is sent first; at most the plan's waves; "
                "a next wave numbers its own waves from 1: campaign_wave says which of the "
                "campaign's it is)")]


@router.post("/campaigns/{plan_id}/waves/{wave}/sent", response_model=WaveSent, responses={
    **NO_PLAN, **INVALID, **STORE_DOWN, 409: {"model": Error, "description": (
        "the wave's send was recorded already at another time (a send time is final), the "
        "store was moved by `campaign copy` (the log names the copy), the plan's stored "
        "summary has no 'created' time to check it against (it names the field), or "
        f"{NOT_AN_OBJECT}; or {SCHEMA_NEWER}")}},
             summary="Record when a wave of a plan went out: its report counts that wave's "
                     "conversions from then (as `campaign sent`)")
def wave_sent(plan_id: str, wave: WaveNumber, body: SentRequest, request: Request
              ) -> dict[str, Any]:
    plan_id = raw_plan_id(request.scope, plan_id)
    try:
        answer = record_wave_sent(campaign_store(request), plan_id, wave, body.at,
                                  clock_name=SERVER_CLOCK)
    except UnknownPlanError as e:
        raise HTTPException(404, str(e)) from None
    stored_plan(request)
    return answer


@router.delete("/campaigns/{plan_id}/waves/{wave}/sent", response_model=WaveRetracted,
               responses={**NO_PLAN, **INVALID, **STORE_DOWN, 409: {
                   "model": Error, "description": (
                       "the store was moved by `campaign copy` (the log names the copy), or "
                       f"{NOT_AN_OBJECT}; or {SCHEMA_NEWER}")}},
               summary="Take back a wave's recorded send (one recorded by mistake), as "
                       "`campaign sent --retract`: the plan's last recorded send only, and "
                       "none a next wave was planned after (422)")
def wave_retracted(plan_id: str, wave: WaveNumber, request: Request) -> dict[str, Any]:
    plan_id = raw_plan_id(request.scope, plan_id)
    try:
        answer = retract_wave_sent(campaign_store(request), plan_id, wave)
    except UnknownPlanError as e:
        raise HTTPException(404, str(e)) from None
    stored_plan(request)
    return answer
