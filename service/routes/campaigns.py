"""Campaign planning over HTTP: plan a slate, list stored plans, read a summary, stream rows.

The plans live in the campaign store (``recommender.campaigns.store``) named by the
``RECOMMENDER_STORE`` setting: a database URL (``sqlite:///...``, ``postgresql://...``) or a
SQLite file path. Unset, it is the SQLite file ``<MODEL>.campaigns.db`` beside the served model
folder, so plans and events survive a restart and every worker serving that folder shares them
(``store_target``); only when that place cannot be written is it an in-memory database, which
lasts as long as the process, and the log says so. Replicas on several hosts share a
PostgreSQL store. The store is opened at startup; one that cannot be opened then is opened by
the events poller once it can, and until then these routes answer 503 (``events_sync``).
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from recommender.campaigns.controls import PLAN_ATTEMPTS, plan_beside
from recommender.campaigns.default_store import store_beside
from recommender.campaigns.export import csv_chunks, plan_rows_count
from recommender.campaigns.idempotent_plans import answered_summary
from recommender.campaigns.sendable import sendable_count, sendable_rows, waves_header
from recommender.campaigns.slate import (
    MAX_BUDGET,
    MAX_CAP,
    MAX_SEED,
    MAX_SLATE_FILMS,
    MAX_VALUE,
    MAX_WAVES,
    MIN_VALUE,
    SEED_UNREAD,
    SlateFilm,
)
from recommender.campaigns.store import CampaignStore, StorePool, UnknownPlanError, open_store
from recommender.campaigns.withdraw import shown_summary, withdraw
from recommender.errors import NothingToPlanError, PlansClashError, UnknownFilmError
from recommender.io.convert import MAX_ID_BYTES
from recommender.query.catalog import name_plan_films
from recommender.serving.engine import Engine
from service.access_log import caller, pseudonym_key, record_export
from service.deps import EngineDep
from service.filenames import attachment
from service.head import HEAD
from service.idempotency import (
    REPLAYED,
    IdempotencyKey,
    plan_once,
    replay,
    replayed_without_events,
    request_key,
)
from service.json_body import JsonRoute, NegativeZero
from service.plan_list_schemas import ListedPlan
from service.raw_ids import plan_id as raw_plan_id
from service.routes import INVALID, NO_PSEUDONYM_KEY, NOT_FOUND, SCHEMA_NEWER, STORE_DOWN
from service.schemas import MAX_OFFSET, Error, JsonFloat, JsonInt, StoredId
from service.sent import Sent
from service.slate_rules import refuse_bad_slate
from service.store_gate import store_gate

DEFAULT_STORE = "sqlite://"  # in memory: only when the default file cannot be written
log = logging.getLogger("recommender.service")


def store_pool(settings: Any) -> StorePool:
    """The connection pool of each store a worker opens (``RECOMMENDER_STORE_POOL_*``)."""
    return StorePool(settings.store_pool_size, settings.store_pool_overflow,
                     settings.store_pool_timeout)


def store_target(settings: Any) -> str:
    """The campaign store the service opens: ``RECOMMENDER_STORE``, else the SQLite file
    ``<MODEL>.campaigns.db`` beside the served model folder, else (there is none, and that
    folder's parent cannot be written) an in-memory database. One that exists is opened even
    where it cannot be written (a read-only disk): its writes are refused (503) and ``/health``
    says so; replaced by an empty one in memory, its plans and events were gone from every
    answer, and new events were acknowledged as stored and lost at the next restart."""
    if getattr(settings, "store", None):
        return str(settings.store)
    model = getattr(settings, "model_path", None)
    if model:
        target, linked = store_beside(model)
        if linked is not None:
            log.warning("campaign store: %s is beside the folder %s links to, not beside the "
                        "served path; this service opens %s (set RECOMMENDER_STORE to keep "
                        "the other)", linked, model, target)
        if target.exists() or os.access(target.parent, os.W_OK):
            return str(target)
        log.warning("campaign store: %s is not writable; plans and events are kept in memory "
                    "for this process only (set RECOMMENDER_STORE)", target.parent)
    return DEFAULT_STORE
MAX_EXCLUDED = 10_000_000


def _digits_only(value: Any) -> Any:
    """An id written as a JSON number is read as its digits (``coerce_numbers_to_str``) only
    when it is an integer: ``1e2`` became user "100.0" and ``1.50`` user "1.5", so an opt-out
    written so excluded nobody, and a film ``1e400`` became "inf". ``-0`` stays "-0"."""
    if isinstance(value, NegativeZero):
        return "-0"
    if isinstance(value, float):
        raise ValueError("an id written as a number must be an integer (no fraction or "
                         "exponent); write the id as a string")
    return value


#: a stored id that may be written as a JSON integer (read as its digits)
DigitsId = Annotated[StoredId, BeforeValidator(_digits_only)]
#: an opt-out: its schema states the bound ``plan.check_opt_outs`` refuses past (1,000
#: bytes in UTF-8, so 1,000 characters at most); the check, with its own sentence, is there
OptOutId = Annotated[DigitsId, Field(json_schema_extra={"maxLength": MAX_ID_BYTES})]
router = APIRouter(tags=["campaigns"], route_class=JsonRoute,
                   dependencies=[Depends(store_gate, scope="function")])
_open_lock = threading.Lock()
NO_PLAN: dict[int | str, dict[str, Any]] = {
    404: {"model": Error, "description": "unknown plan_id (named in detail)"}}
#: a plan whose stored summary cannot be read (``summary_fields.stored_summary``): every plan
#: route refuses it, and a route's own 409s name it too
NOT_AN_OBJECT = "the plan's stored summary is not a JSON object (written by hand, or damaged)"
UNREADABLE: dict[int | str, dict[str, Any]] = {409: {  # after STORE_DOWN: both 409s named
    "model": Error, "description": f"{NOT_AN_OBJECT}; or {SCHEMA_NEWER}"}}


class SlateFilmIn(BaseModel):
    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True)
    film_id: DigitsId = Field(min_length=1, description="the film to promote")
    budget: JsonInt = Field(ge=0, le=MAX_BUDGET,
                        description="most target contacts for this film; its control "
                                    "group (holdout) is drawn on top of the budget")
    value: JsonFloat = Field(1.0, ge=MIN_VALUE, le=MAX_VALUE, allow_inf_nan=False,
                         description="worth of one conversion (value units)")


def refuse_unread_seed(body: Any, default: int) -> Any:
    """``body`` (a plan or next-wave request), refused when it gives a seed other than its
    ``default`` with a holdout of 0: the seed draws the control groups only, of which there
    are none (it changed nothing, and was recorded), as `plan --seed` with `--holdout 0` is
    refused."""
    if body.holdout == 0 and body.seed != default and "seed" in body.model_fields_set:
        raise ValueError(f"seed {SEED_UNREAD}; leave seed out, or give a holdout above 0")
    return body


class PlanRequest(BaseModel):
    # the schema states ``_seed_read``'s rule: with holdout 0, a seed given is 0 (a request
    # valid by the schema was refused with 422)
    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True, json_schema_extra={
        "if": {"properties": {"holdout": {"const": 0}}, "required": ["holdout"]},
        "then": {"properties": {"seed": {"const": 0}}}})
    # the schema states ``slate_rules``' budget rule (not every budget 0: cheap for
    # Schemathesis to generate, where "contains" stalled it); each film_id once it cannot
    films: list[SlateFilmIn] = Field(min_length=1, max_length=MAX_SLATE_FILMS,
                                     description="the slate: each film once, at least one "
                                                 "with a budget above 0",
                                     json_schema_extra={"not": {"items": {
                                         "properties": {"budget": {"const": 0}}}}})
    cap: JsonInt = Field(1, ge=1, le=MAX_CAP,
                     description="films a user may be selected for over the campaign, as a "
                                 "target or as a control")
    cap_scope: Literal["plan", "store"] = Field(
        "plan", description="what the cap counts: 'plan' this plan's rows; 'store' also each "
                            "user's films the store's other live plans select (targets and "
                            "controls, every wave but a withdrawn plan's unsent ones and those "
                            "a next wave re-planned), so the plan gives each user at most cap "
                            "minus those")
    holdout: JsonFloat = Field(0.1, ge=0, lt=1,
                           description="share (0-1) of each film's selected users held out "
                                       "as control")
    waves: JsonInt = Field(3, ge=1, le=MAX_WAVES, description="waves, best users first")
    seed: JsonInt = Field(0, ge=0, le=MAX_SEED, description="seed of the control draw (a "
                          "seed other than 0 with holdout 0 is refused: there is no draw)")
    exclude_user_ids: list[OptOutId] = Field(default_factory=list, max_length=MAX_EXCLUDED,
                                             description="users never planned (opt-outs; "
                                                         "each at most 1,000 bytes in UTF-8)")

    @model_validator(mode="after")
    def _seed_read(self) -> PlanRequest:
        return refuse_unread_seed(self, 0)


class PlanCreated(Sent):
    plan_id: str
    summary: dict[str, Any] = Field(description=(
        "``created`` (ISO 8601 in UTC, 2024-03-21T09:00:00Z, as every time it holds); "
        "per film and total: contacts, control, expected conversions, dual price, and a film's "
        "note when nothing fitted orders its contacts (null otherwise; absent from plans stored "
        "before it); the naive plan; the LP bound and gap; units; ``cap_scope`` ({scope: "
        "'plan' or 'store' (as parameters.cap_scope), plans: the store's other plans counted "
        "against the cap (count), users_limited and users_excluded: users (counts) they left "
        "part or none of their cap, note}; absent from plans stored before it); plan_notes: "
        "each film planned "
        "without a control group, with waves holding none (the report leaves their targets "
        "out), or in fewer waves than asked, and why, and (film_id null, kind opt_out_form) "
        "the opt-outs read in another Unicode form or without a leading U+FEFF, each with "
        "the users it was read as, as `plan --exclude` notes them (absent when none); for a "
        "next wave, a warning when the plan already has one (each plans the same remaining "
        "budget); ``withdrawn`` ({sent_waves, at, via}) once the plan was withdrawn (POST "
        "/campaigns/{plan_id}/withdraw), absent before; from GET /campaigns/{plan_id} (and from "
        "POST /campaigns/plan and POST /campaigns/{plan_id}/next, as the plan is stored: "
        "their answer is the body GET reads), "
        "``next_waves``: each next wave planned after it ({plan_id, sent_waves, withdrawn}), the "
        "most waves sent first, ``chain``: the earlier plans it continues, the nearest first "
        "({plan_id, sent_waves: its waves sent when the next plan of the chain was planned}; at "
        "most 50, ``chain_cut`` true when there are more), and ``wave_sends``: each recorded send "
        "({wave, campaign_wave: the campaign's number of that wave, the wave plus the waves "
        "its chain's earlier plans sent (null when chain_cut), as POST .../sent answers it; "
        "sent_at (unix seconds), sent_at_utc, recorded_at (both ISO 8601 in UTC, "
        "2024-03-21T09:00:00Z)}), by wave (POST /campaigns/{plan_id}/waves/{wave}/sent)"))


class PlanList(Sent):
    total: int = Field(description="plans stored, over all pages")
    plans: list[ListedPlan] = Field(description=(
        "newest first, each ``created`` at an ISO 8601 time in UTC (2024-03-21T09:00:00Z); "
        "each plan's ``titles`` maps its film ids to the titles it was planned "
        "with; a plan stored before plans recorded them has the served model's ('' for a film it "
        "does not know), those films listed in ``titles_from_model``; ``horizon_days`` is the "
        "span in days its ``totals.expected_conversions`` cover (null: the model's calibration "
        "has no span in days); a next wave's ``previous_plan_id`` names the plan it continues, "
        "after ``previous_sent_waves`` of its waves (both null for a campaign's first plan); "
        "``next_plan_ids`` lists the ids of the plans that continue it, its next waves on any "
        "page but those withdrawn before any wave was sent (none: []), the one of most waves sent "
        "first; ``withdrawn`` is null, or {sent_waves, at, via} once the plan was withdrawn; "
        "``incomplete`` names the parts of a damaged stored summary that could not be read "
        "(\"summary\", \"films[0].film_id\", \"totals\", \"totals.contacts\"...; [] for a "
        "whole one): the plan is listed without them; ``totals`` are the whole plan's, every "
        "wave; ``per_wave``, ``sent_totals`` and ``pending_totals`` split them by wave"))


class WithdrawRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sent_waves: JsonInt = Field(ge=0, le=MAX_WAVES,
                                description="waves 1..N of the plan were sent (0: none was); "
                                            "the later ones never will be (at most the plan's "
                                            "waves, a 422 past them)")


class WithdrawnPlan(Sent):
    plan_id: str = Field(description="the plan the chain's withdrawal recorded")
    sent_waves: int = Field(description="its waves sent (1..N); the rest never will be")
    released_rows: int = Field(description="its plan rows (targets and controls) of the "
                                           "unsent waves, which hold their users no longer")


class Withdrawn(Sent):
    plan_id: str
    sent_waves: int = Field(description="waves 1..N of the plan that were sent")
    plan_waves: int = Field(description="the waves the plan was made with")
    at: str = Field(description="when it was withdrawn (ISO 8601 in UTC, 2024-03-21T09:00:00Z)")
    already: bool = Field(description="true: it was withdrawn so before, nothing changed")
    released_rows: int = Field(description="plan rows (targets and controls) of unsent waves, "
                                           "over the chain: later plans of their films may "
                                           "select these users again")
    chain: list[WithdrawnPlan] = Field(description="this plan, then the earlier plans of its "
                                                   "chain of next waves, each with the waves "
                                                   "it had sent when its next wave was planned")


def caught_up(request: Request, engine: Engine) -> Engine:
    """The engine to plan on: this worker's, with every event stored so far applied. Another
    worker's ``POST /events`` reaches this one at its next poll; a plan made before it would
    contact users who have just bought the film, so the store is read now. That engine may
    serve another model than the request took (a reload meanwhile): the answer's
    ``X-Model-Version`` then names it, as the plan's summary does."""
    sync = getattr(request.app.state, "events_sync", None)
    if sync is None:
        return engine
    sync.poll()
    current: Engine = request.app.state.service.engine or engine
    request.state.model_version = current.version
    request.state.events_seq = sync.seq_for(current)  # X-Events-Seq: the events it planned on
    return current


def campaign_store(request: Request) -> CampaignStore:
    """The app's campaign store, opened (and migrated) on first use; while the events
    poller has not managed to open it since the start, 503 (``events_sync``)."""
    state = request.app.state
    store: CampaignStore | None = getattr(state, "campaign_store", None)
    sync = getattr(state, "events_sync", None)
    if sync is not None and (store is None or sync.newer is not None):  # 503; 409 (newer)
        raise sync.store_down()
    if store is None:
        with _open_lock:
            store = getattr(state, "campaign_store", None)
            if store is None:
                settings = request.app.state.service.settings
                store = open_store(store_target(settings), pool=store_pool(settings))
                state.campaign_store = store
    return store


def stored_plan(request: Request) -> None:
    """A plan the store took: it is not marked as moved (``EventsSync.wrote``)."""
    sync = getattr(request.app.state, "events_sync", None)
    if sync is not None:
        sync.wrote()


@router.post("/campaigns/plan", response_model=PlanCreated, responses={
    **NOT_FOUND, **STORE_DOWN, 422: {**INVALID[422], "description": (
        "also a slate whose every budget is 0 (errors' loc: each budget, [\"body\", "
        "\"films\", 0, \"budget\"]; a 409 before)")},
    409: {"model": Error, "description": (
        "the slate names a film twice (a rule JSON Schema cannot state: detail names both "
        "places), the films have budget but nobody is left to plan (every candidate watched them, "
        "is opted out, or is held by the store's other plans), "
        "a plan stored meanwhile selects some of its pairs (as "
        f"targets or controls; {PLAN_ATTEMPTS} plans in a row: each plan is made again around "
        "them), "
        "the Idempotency-Key was used "
        "for another request, or the "
        "store was moved by `campaign copy` (the service's log names the copy); or "
        f"{SCHEMA_NEWER}")}},
             summary="Plan a release slate under budgets and a frequency cap, and store it")
def plan(body: PlanRequest, request: Request, response: Response, engine: EngineDep,
         idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
    refuse_bad_slate(body.films)  # 422: a film twice, or every budget 0
    store = campaign_store(request)
    key = request_key(idempotency_key, "POST /campaigns/plan", {}, body, caller(request))

    def make() -> dict[str, Any]:
        slate = [SlateFilm(f.film_id, f.budget, f.value) for f in body.films]
        for attempt in range(1, PLAN_ATTEMPTS + 1):
            try:
                result = plan_beside(caught_up(request, engine), slate, store, cap=body.cap,
                                     holdout=body.holdout, waves=body.waves, seed=body.seed,
                                     exclude=body.exclude_user_ids, progress=False,
                                     cap_scope=body.cap_scope)
            except UnknownFilmError as e:  # an unknown id is 404, as everywhere (the schema's)
                raise HTTPException(404, f"the slate names films this model does not know: "
                                    f"{e}") from None
            except NothingToPlanError as e:
                raise HTTPException(409, str(e)) from None
            try:
                store.save_plan(result.plan_id, result.summary, result.rows,
                                excluded=body.exclude_user_ids, key=key)
            except PlansClashError:  # a plan stored meanwhile: planning again leaves it out
                if (twin := replay(store, key, idempotency_key)) is not None:  # a twin's
                    response.headers[REPLAYED] = "true"
                    return twin
                if attempt == PLAN_ATTEMPTS:
                    raise
                continue
            stored_plan(request)  # the body GET /campaigns/{plan_id} reads (read fields too)
            return {"plan_id": result.plan_id,
                    "summary": answered_summary(store, result.plan_id)}
        raise AssertionError("unreachable")  # the last attempt returns or raises

    return replayed_without_events(request, response,
                                   plan_once(store, key, response, make, idempotency_key))


@router.get("/campaigns", response_model=PlanList, responses={**INVALID, **STORE_DOWN},
            summary="Stored plans, newest first")
def list_plans(request: Request, engine: EngineDep,
               limit: Annotated[int, Query(ge=1, le=1000, description="plans per page")] = 100,
               offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="plans to skip")] = 0
               ) -> dict[str, Any]:
    total, plans = campaign_store(request).list_plans(limit, offset)
    return {"total": total, "plans": name_plan_films(engine.model, plans)}


@router.get("/campaigns/{plan_id}", response_model=PlanCreated,
            responses={**NO_PLAN, **STORE_DOWN, **UNREADABLE},
            summary="One stored plan's summary")
def plan_summary(plan_id: str, request: Request) -> dict[str, Any]:
    plan_id = raw_plan_id(request.scope, plan_id)
    try:
        return {"plan_id": plan_id, "summary": shown_summary(campaign_store(request), plan_id)}
    except UnknownPlanError as e:
        raise HTTPException(404, str(e)) from None


@router.get("/campaigns/{plan_id}/plan.csv", response_class=StreamingResponse,
            responses={200: {"content": {"text/csv": {}},
                             "description": "plan_id,film_id,user_id,wave,group,rank,p,"
                                            "expected_value; the X-Plan-Model-Version header "
                                            "names the model the plan was made with, "
                                            "X-Plan-Waves ('1-1 of 3') the waves it holds: "
                                            "not those a next wave re-plans or a withdrawal "
                                            "gave back"},
                       **NO_PLAN, **NO_PSEUDONYM_KEY, **STORE_DOWN,
                       **UNREADABLE},
            summary="One stored plan's rows as CSV, streamed")
def plan_csv(plan_id: str, request: Request,
             pseudonymize: Annotated[bool, Query(
                 description="replace user ids by their keyed HMAC-SHA256 (p-<hex>; the "
                             "server's RECOMMENDER_PSEUDONYM_KEY, as the audience exports; "
                             "403 when it has none)")] = False,
             ) -> StreamingResponse:
    plan_id = raw_plan_id(request.scope, plan_id)
    key = pseudonym_key(request.app.state.service.settings) if pseudonymize else None
    store = campaign_store(request)
    try:
        summary = store.summary(plan_id)
        # the waves that may still go out (recommender/campaigns/sendable.py)
        tables, sendable = sendable_rows(store, plan_id)
    except UnknownPlanError as e:
        raise HTTPException(404, str(e)) from None
    # the export log's rows (service/access_log.py); a HEAD sends none (logged 0): no count
    head = bool(request.scope.get(HEAD))  # and no header needs it (no Content-Length)
    rows = None if head else sendable_count(store, plan_id, sendable, plan_rows_count(summary))
    record_export(request, rows=rows, pseudonymized=key is not None, plan_id=plan_id)
    # a pseudonymised file says so, as an audience's does (it had the raw rows' name)
    headers = {"Content-Disposition": attachment(
        [plan_id, "pseudonymized" if key is not None else ""], "plan", ids=(0,))}
    if summary.get("model_version"):  # X-Model-Version names the served model, maybe a later one
        headers["X-Plan-Model-Version"] = str(summary["model_version"])
    headers["X-Plan-Waves"] = waves_header(sendable["last_wave"], sendable["plan_waves"])
    # a HEAD (service/head.py) reads no row: one empty part, so that it streams as the GET
    # does and carries the GET's headers (service/compression.py's Content-Encoding, Vary)
    chunks = iter((b"",)) if head else csv_chunks(tables, key)
    return StreamingResponse(chunks, media_type="text/csv; charset=utf-8", headers=headers)


@router.post("/campaigns/{plan_id}/withdraw", response_model=Withdrawn, responses={
    **NO_PLAN, **INVALID, **STORE_DOWN, 409: {"model": Error, "description": (
        "the plan has next waves (withdraw the last plan of its chain), it was withdrawn "
        "already with another sent_waves (a withdrawal is final), the store was moved by "
        f"`campaign copy` (the log names the copy), or {NOT_AN_OBJECT}; or {SCHEMA_NEWER}")}},
             summary="Withdraw a campaign after its sent waves: the pairs of its unsent waves "
                     "are free for later plans of its films")
def withdraw_plan(plan_id: str, body: WithdrawRequest, request: Request) -> dict[str, Any]:
    plan_id = raw_plan_id(request.scope, plan_id)
    try:
        answer = withdraw(campaign_store(request), plan_id, body.sent_waves)
    except UnknownPlanError as e:
        raise HTTPException(404, str(e)) from None
    stored_plan(request)
    return answer
