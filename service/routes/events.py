"""Closing the loop over HTTP: record events, report a campaign, plan its next wave.

``POST /events`` writes a batch to the campaign store (``recommender.campaigns.events``) and
answers only after the commit; a retried batch stores nothing twice, and an event_id is the
caller's own (``event_writers``: recorded per key, by a fingerprint of the key's id; a server
without read or write keys writes as ``events import`` does). A malformed event rejects
the whole batch with 422 naming its index and event_id, and nothing of it is stored. Every
worker applies new events to its served model within ``RECOMMENDER_EVENTS_POLL`` seconds
(``service/events_sync.py``). A read or write key is shown its own events' counts, not the
store's sequence (``service/event_views.py``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

import pydantic_core
from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    model_validator,
)

from recommender.campaigns.event_times import MIN_EVENT_TIMESTAMP, SERVER_CLOCK, first_misdated
from recommender.campaigns.event_writers import CLI_WRITER
from recommender.campaigns.events import (
    EventBatch,
    EventConflictError,
    check_event_times,
    record_events,
    without_users,
)
from recommender.campaigns.next_wave import plan_next_wave
from recommender.campaigns.pseudonymous import first_pseudonym, pseudonym_reason
from recommender.campaigns.report import (
    MAX_WINDOW_DAYS,
    MIN_WINDOW_DAYS,
    WINDOW_RULE,
    campaign_report,
)
from recommender.campaigns.report_chain import chain_report
from recommender.campaigns.report_windows import DAY_RULE
from recommender.campaigns.sheet_ids import unquoted_ids
from recommender.campaigns.slate import MAX_SLATE_FILMS
from recommender.campaigns.store import UnknownPlanError
from recommender.errors import InvalidParameterError, NothingToPlanError, NothingToReportError
from recommender.io.text import clipped
from recommender.model.foldin import named_unserved
from service.access_log import caller
from service.deps import EngineDep
from service.errors import Invalid, describe_validation_error, unprocessable
from service.event_pseudonyms import (
    FLAG,
    events_key,
    kept_rows,
    shown_as_pseudonyms,
    unmasked_batch,
)
from service.event_schemas import (  # noqa: F401 (re-exported: imported from here)
    MAX_UNKNOWN_SHOWN,
    EventIn,
    EventsIn,
    EventsStatus,
    EventsStored,
)
from service.event_views import STORE, caller_writer, posted, search_writer, status
from service.idempotency import IdempotencyKey, plan_once, replayed_without_events, request_key
from service.json_body import JsonRoute
from service.raw_ids import plan_id as raw_plan_id
from service.report_schemas import ChainReport, Report
from service.routes import INVALID, SCHEMA_NEWER, STORE_DOWN
from service.routes.campaigns import (
    MAX_EXCLUDED,
    NO_PLAN,
    NOT_AN_OBJECT,
    DigitsId,
    OptOutId,
    PlanCreated,
    campaign_store,
    caught_up,
    refuse_unread_seed,
    stored_plan,
)
from service.schema_limits import event_time_limit
from service.schemas import Error, JsonInt, _json_number
from service.store_gate import store_gate


class EventsRoute(JsonRoute):
    """A route whose body validation errors name the event (index and event_id): ``POST
    /events`` only; the router's other routes (report, next wave) store no batch and answer
    the service's usual 422."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        if self.path != "/events":
            return handler

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError as e:
                return await _named(request, list(e.errors()))
        return route


async def _named(request: Request, errors: list[dict[str, Any]]) -> Response:
    """422 whose detail names each bad event: ``events[3] (event_id 'e-17'): ...``."""
    try:
        body = json.loads(await request.body())
        rows = body.get("events") if isinstance(body, dict) else None
    except (ValueError, UnicodeDecodeError, RecursionError):
        # RecursionError: a body nested past the parser's depth, sent without the JSON
        # content type (FastAPI's own JSON parse refuses it first under that type)
        rows = None

    def named(err: dict[str, Any]) -> str:
        loc = list(err.get("loc", ()))
        text = describe_validation_error(err)
        if len(loc) >= 3 and loc[:2] == ["body", "events"] and isinstance(loc[2], int):
            i = loc[2]
            eid = rows[i].get("event_id") if isinstance(rows, list) and i < len(rows) and \
                isinstance(rows[i], dict) else None
            shown = (f" (event_id {clipped(eid)})" if isinstance(eid, str) else
                     f" (event_id {eid!r})" if isinstance(eid, int) else "")
            text = f"events[{i}]{shown}: {text}"
        return text

    return unprocessable(errors, named, "; nothing of this batch was stored")


router = APIRouter(tags=["events"], route_class=EventsRoute,
                   dependencies=[Depends(store_gate, scope="function")])
Pseudonymized = Annotated[bool, Query(description=(
    "the events' user_ids are pseudonyms (p-<hex>, as pseudonymize=true exports list them): "
    "each is read, and stored, as the id it stands for under the server's "
    "RECOMMENDER_PSEUDONYM_KEY, among the served model's users and the store's plan rows and "
    "events; a 409 when the server has no key (it names the variable), and a 404 naming "
    "the first event whose user_id is not a pseudonym, or is one of no such id: nothing of "
    "the batch is stored)"))]


#: why an event past the server's clock plus a day, inside the schema's maximum, is a 409
FUTURE_409 = ("a rule the schema cannot state: its maximum, fixed when it is built, is at or "
              "past the server's clock plus a day")


def _future_within_schema(timestamps: list[int]) -> bool:
    """Whether the first misdated timestamp is past the server's clock plus a day but not past
    the schema's maximum (``schema_limits.event_time_limit``; one built earlier publishes less):
    valid by the schema, refused by a rule of the clock, a 409 (a 422 said the body was
    malformed, and Schemathesis' valid bodies hold such times)."""
    found = first_misdated(timestamps)
    return found is not None and MIN_EVENT_TIMESTAMP <= timestamps[found[0]] <= \
        event_time_limit()


@router.post("/events", response_model=EventsStored, responses={
    **INVALID, **STORE_DOWN,
    404: {"model": Error, "description": "pseudonymized=true, and a user_id names no user: it "
                                         "is not a pseudonym, or is one of no id the engine "
                                         "knows (detail names the first such event): nothing "
                                         "of the batch was stored"},
    409: {"model": Error, "description": "an event_id already recorded with a different "
                                         "payload, or the store was moved by `campaign copy` "
                                         "(the log names the copy), or pseudonymized=true on "
                                         "a server with no RECOMMENDER_PSEUDONYM_KEY: nothing "
                                         "of the batch was stored; or an event dated more "
                                         "than a day past the server's clock, inside the "
                                         f"schema's maximum ({FUTURE_409}); or {SCHEMA_NEWER}"}},
             summary="Record a batch of events (tickets, views), durably, before answering")
def post_events(body: EventsIn, request: Request,
                pseudonymized: Pseudonymized = False) -> dict[str, Any]:
    settings = request.app.state.service.settings
    if len(body.events) > settings.events_max_batch:
        raise Invalid(f"a batch holds at most {settings.events_max_batch} events "
                      f"(RECOMMENDER_EVENTS_MAX_BATCH), got {len(body.events)}; nothing of "
                      "this batch was stored", ("body", "events"), "too_long")
    ev = body.events
    batch = EventBatch([e.event_id for e in ev], [e.user_id for e in ev],
                       [e.film_id for e in ev], [e.timestamp for e in ev],
                       [e.weight for e in ev])
    try:
        # the one-day rule events import holds to, exactly: the schema's maximum is looser
        # (schema_limits.event_time_limit), never tighter
        check_event_times(batch, clock=SERVER_CLOCK)
    except InvalidParameterError as e:  # its text says nothing of the batch was stored
        if _future_within_schema(batch.timestamp):
            raise HTTPException(409, f"{e} ({FUTURE_409})") from None
        raise Invalid(str(e), ("body", "events"), "invalid_parameter") from None
    served = request.app.state.service.engine
    key = events_key(settings) if pseudonymized else None
    fake = None if key else first_pseudonym(batch.user_id,
                                            None if served is None else served.model)
    if fake is not None:  # responses keyed by a pseudonymised export's ids (pseudonymous.py)
        raise Invalid(f"events[{fake}] (event_id {ev[fake].event_id!r}): "
                      f"{pseudonym_reason(ev[fake].user_id, FLAG)}; nothing of this batch "
                      "was stored", ("body", "events", fake, "user_id"), "pseudonym")
    store = campaign_store(request)
    as_sent = batch.user_id
    # an event_id is the caller's own (event_writers): a conflict only with its own events
    # (no key matched: the CLI's writer; decided by the match, never by the key's id)
    writer = caller_writer(request) or CLI_WRITER
    # a pseudonym, and a quoted id, is looked up in the caller's own events (another key's
    # were searched too: a pseudonym of an id in them alone was read, where it is now a 404)
    searched = search_writer(request, writer)
    gone: list[int] = []  # an erased person's pseudonym: counted in erased_events, not stored
    if key is not None:  # each pseudonym read as the id it stands for, or nothing stored
        batch, gone = unmasked_batch(batch, key, None if served is None else served.model,
                                     store, [e.event_id for e in ev], searched)
        as_sent = kept_rows(as_sent, gone)
    batch, unquoted = unquoted_ids(batch, None if served is None else served.model, store,
                                   searched)
    try:
        done = record_events(store, batch, writer)
    except EventConflictError as e:  # a pseudonymised batch's users named by its pseudonyms
        shown = e if key is None else e.as_sent(dict(zip(batch.user_id, as_sent, strict=True)))
        raise HTTPException(409, str(shown)) from None
    sync = getattr(request.app.state, "events_sync", None)
    if sync is not None:
        sync.wake()  # this worker looks at once; the others at their next poll
        if done.stored:  # a batch of duplicates only is answered without looking for the mark
            sync.wrote()
    engine = request.app.state.service.engine
    named = without_users(batch, done.erased_users)  # an erased user is named nowhere
    # a mistyped user id is named once, in mistyped_user_ids, as events import names it
    unknown, users, near = ([], [], []) if engine is None else \
        named_unserved(engine.model, named.film_id, named.user_id, MAX_UNKNOWN_SHOWN)
    if key is not None:  # the answer names users as the batch did, by pseudonym
        users, near = shown_as_pseudonyms(users, near, key)
    return {"stored": done.stored, "duplicates": done.duplicates,
            "erased_events": done.erased + len(gone), **posted(request, store, writer, done.seq),
            "unknown_film_ids": unknown[:MAX_UNKNOWN_SHOWN],
            "unknown_user_ids": users[:MAX_UNKNOWN_SHOWN],
            "mistyped_user_ids": [{"user_id": u, "did_you_mean": k} for u, k in near],
            "unquoted_events": unquoted.events, **{f"unquoted_{k}_ids": [
                {f"{k}_id": q, "read_as": u} for q, u in list(ids.items())[:MAX_UNKNOWN_SHOWN]]
                for k, ids in (("user", {q: u for q, u in unquoted.user_ids.items()
                                         if u not in done.erased_users}),
                               ("film", unquoted.film_ids))}}


@router.get("/events/status", response_model=EventsStatus, responses={**STORE_DOWN},
            summary="The latest event sequence and the one this worker reflects: the "
                    "store's, or a read or write key's own events (counted)")
def events_status(request: Request) -> dict[str, Any]:
    sync = getattr(request.app.state, "events_sync", None)
    shown = status(request, campaign_store(request), sync.applied if sync is not None else 0)
    # the overlay's counts are every writer's events: the store's view only
    overlay = sync.describe() if sync is not None and shown["counted"] == STORE else {}
    return {**shown, "overlay": overlay}


def _window_days(value: float) -> float:
    """The report's window as the CLI's ``--window-days`` refuses it: the generic bounds said
    "greater than or equal to 0.000011574074074074073" (and "less than or equal to 3650" of
    NaN)."""
    if not MIN_WINDOW_DAYS <= value <= MAX_WINDOW_DAYS:  # NaN too
        raise ValueError(f"expected {WINDOW_RULE}")
    return value


@router.get("/campaigns/{plan_id}/report", response_model=None, responses={
                200: {"model": Report | ChainReport,
                      "description": "the report (the library's body, as `campaign report "
                                     "--json` prints it); with chain=true the chain's "
                                     "(ChainReport): plan_id, chain, plans (each plan's "
                                     "report, with position and campaign_waves), pooled, "
                                     "next_waves, method, units, note (`campaign report "
                                     "--chain --json`)"},
                **NO_PLAN, **INVALID, **STORE_DOWN,
                409: {"model": Error, "description": "the plan was withdrawn before any wave "
                                                     "was sent: there is nothing to report; or "
                                                     "its stored summary lacks what it counts "
                                                     "from: 'created', a film's 'film_id' "
                                                     "(it names the field and the film); or "
                                                     f"{NOT_AN_OBJECT}; or {SCHEMA_NEWER}"}},
            summary="What a plan did: conversions of targets against controls, uplift with "
                    "95% intervals, predicted against observed")
def report(plan_id: str, request: Request,
           window_days: Annotated[float, AfterValidator(_window_days), Query(
               json_schema_extra={"minimum": MIN_WINDOW_DAYS, "maximum": MAX_WINDOW_DAYS},
               description=("count conversions this many days after each wave's start, "
                            "its recorded send (wave_starts), else an earlier wave's latest "
                            "recorded send, else the plan's start (at "
                            "least one second: timestamps are whole seconds); "
                            f"{DAY_RULE}"))] = 30.0,
           sent_waves: Annotated[int | None, Query(ge=1, le=1000, description=(
               "waves 1..N of the plan that were sent: only they are reported (at most the "
               "plan's waves, its withdrawal's, or a next wave's that re-plans the rest: a 422 "
               "past them, naming it; default: those its withdrawal recorded, else "
               "the sent_waves of a next wave planned after it, else waves 1 to the last "
               "whose send was recorded (recorded_waves), else all the plan's waves); with "
               "chain=true: the waves of plan_id, the chain's last plan"))
           ] = None,
           chain: Annotated[bool, Query(description=(
               "report the campaign's chain of plans that ends at plan_id, oldest first: each "
               "plan's report over its waves sent (an earlier plan's: those sent when the "
               "chain's next plan was planned), and the uplift pooled over every (plan, film, "
               "wave) stratum (method.chain)"))] = False
           ) -> Response:
    plan_id = raw_plan_id(request.scope, plan_id)
    # the served model's users' places (the dispersion check); none loaded: not checked, and
    # the report is still given (it reads the store alone)
    engine = request.app.state.service.engine
    try:
        body = (chain_report if chain else campaign_report)(
            campaign_store(request), plan_id, window_days, sent_waves=sent_waves,
            model=None if engine is None else engine.model, no_model="no model is loaded")
        # pydantic's JSON, as a route with a response model writes it and the CLI prints it
        # (Report only declares the body: validated, it would take the model's key order)
        return Response(pydantic_core.to_json(body), media_type="application/json")
    except UnknownPlanError as e:
        raise HTTPException(404, str(e)) from None
    except NothingToReportError as e:
        raise HTTPException(409, str(e)) from None


class NextWaveRequest(BaseModel):
    # an opt-out written as a number is its digits, as the first plan's request reads it; the
    # schema states ``_seed_read``'s rule: with a holdout of 0 given, a seed given is 1
    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True, json_schema_extra={
        "if": {"properties": {"holdout": {"const": 0}}, "required": ["holdout"]},
        "then": {"properties": {"seed": {"const": 1}}}})
    sent_waves: JsonInt = Field(1, ge=1, le=1000, description="waves of the plan that were sent "
                                                          "(their targets count as contacted; "
                                                          "at most the plan's waves, a 422 "
                                                          "past them)")
    # "3" or true are not numbers, as the schema says (None, the default, passes)
    waves: Annotated[int | None, BeforeValidator(_json_number)] = Field(
        None, ge=1, le=1000, description="waves of the new plan (default: the plan's unsent)")
    holdout: Annotated[float | None, BeforeValidator(_json_number)] = Field(
        None, ge=0, lt=1, description="control share, 0-1: of each film's selected users, "
                                      "the share held out (default: the plan's)")
    seed: JsonInt = Field(1, ge=0, le=2**32 - 1, description="seed of the new control draw "
                          "(a seed other than 1 with a holdout of 0, given or kept from the "
                          "plan, is a 422: there is no draw)")
    exclude_user_ids: list[OptOutId] = Field(
        default_factory=list, max_length=MAX_EXCLUDED,
        description="users never planned (opt-outs; each at most 1,000 bytes in UTF-8), on top "
                    "of those every earlier plan of the campaign was given")
    leave_out_film_ids: list[DigitsId] = Field(
        default_factory=list, max_length=MAX_SLATE_FILMS,
        description="films of the plan left out from this wave on: their budget in the new "
                    "plan is 0, so their users' cap is free for the other films (summary's "
                    "left_out); a film the plan does not hold is a 422")
    leave_out_no_effect: StrictBool = Field(
        False, description="leave out too the films whose sent waves measured no effect so far "
                           "(the summary's no_effect: the whole 95% interval of the absolute "
                           "uplift at or below 0)")

    @model_validator(mode="after")
    def _seed_read(self) -> NextWaveRequest:
        return refuse_unread_seed(self, 1)  # a holdout of 0 given, as a first plan's


@router.post("/campaigns/{plan_id}/next", response_model=PlanCreated,
             responses={**NO_PLAN, **INVALID, **STORE_DOWN, 409: {
                 "model": Error, "description": "the sent waves spent every film's budget "
                 "(nothing is left to plan), the plan was withdrawn (its campaign is over), "
                 "a plan stored meanwhile selects some of its pairs (as targets or controls: "
                 "the same request again plans around them), the Idempotency-Key was used "
                 "for another request, the store was moved by `campaign copy` (the log "
                 "names the copy), or the plan's stored summary lacks what it counts from "
                 "('created', a film's 'film_id' or 'budget': it names the field), or "
                 f"{NOT_AN_OBJECT}; or {SCHEMA_NEWER}"}},
             summary="Plan the next wave: each film's remaining budget (budget minus the "
                     "sent targets) on the refreshed model")
def next_wave(plan_id: str, request: Request, response: Response, engine: EngineDep,
              body: NextWaveRequest | None = None,
              idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
    body = body or NextWaveRequest.model_validate({})
    plan_id = raw_plan_id(request.scope, plan_id)
    store = campaign_store(request)
    key = request_key(idempotency_key, "POST /campaigns/{plan_id}/next", {"plan_id": plan_id},
                      body, caller(request))

    def make() -> dict[str, Any]:
        plan = plan_next_wave(caught_up(request, engine).model, store, plan_id,
                              sent_waves=body.sent_waves,
                              waves=body.waves, holdout=body.holdout, seed=body.seed,
                              exclude=body.exclude_user_ids, progress=False, key=key,
                              leave_out=body.leave_out_film_ids,
                              leave_out_no_effect=body.leave_out_no_effect)
        stored_plan(request)
        return {"plan_id": plan.plan_id, "summary": plan.summary}

    try:
        return replayed_without_events(request, response,
                                       plan_once(store, key, response, make,
                                                 idempotency_key))
    except UnknownPlanError as e:
        raise HTTPException(404, str(e)) from None
    except NothingToPlanError as e:
        raise HTTPException(409, str(e)) from None
