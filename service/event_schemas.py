"""The bodies of ``POST /events`` and ``GET /events/status``: an event as sent, what was stored.

``EventIn`` states each field's bounds as the store checks them (``campaigns.event_checks``):
ids in UTF-8 bytes, a timestamp in unix seconds or an ISO 8601 time with its zone (its
maximum filled in when the schema is built), a weight in (0, 1e6].
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from recommender.campaigns.event_times import MIN_EVENT_TIMESTAMP, seconds_expected, too_early
from recommender.campaigns.events import MAX_ID_LENGTH, MAX_TIMESTAMP, MAX_WEIGHT, id_too_long
from recommender.io.convert import MAX_ID_BYTES, zoned_time
from service.schema_limits import EVENT_TIME
from service.schemas import StoredId
from service.sent import Sent

MAX_UNKNOWN_SHOWN = 100
#: the schema's word for a user or film id: no NUL byte, and not blanks only (``id_too_long``
#: refuses an id of ``convert.BLANK_ID``'s ASCII blanks; the schema said any text but NUL)
NOT_BLANK_ID: dict[str, Any] = {"pattern": "^[^\\u0000]*[^\\u0000 \\t\\n\\r\\f\\u000b][^\\u0000]*$"}


def _integer_or_time(schema: dict[str, Any]) -> None:
    """The timestamp's schema: an integer (its bounds as declared) or a date-time string whose
    pattern (``service.event_time_schema``) is filled in with the maximum."""
    number = {k: schema.pop(k) for k in ("type", "minimum", "maximum") if k in schema}
    schema["anyOf"] = [{**number, "x-maximum": EVENT_TIME},
                       {"type": "string", "format": "date-time", "x-pattern": EVENT_TIME}]


class EventIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # ids: text without a NUL byte (schemas.StoredId: numpy drops trailing NULs)
    event_id: StoredId = Field(min_length=1, max_length=MAX_ID_LENGTH,
                               description="unique id of the event: a retry with the same id "
                                           "stores nothing twice")
    user_id: StoredId = Field(min_length=1, max_length=MAX_ID_BYTES,
                              description="the user (at most 1,000 bytes in UTF-8, as in a "
                                          "training log; a user new to the model is folded in "
                                          "under ALS and EASE trained locally; BPR, LMF and a "
                                          "Spark-trained model fold no user in; not blanks "
                                          "only)", json_schema_extra=NOT_BLANK_ID)
    film_id: StoredId = Field(min_length=1, max_length=MAX_ID_BYTES,
                              description="the film bought or watched (at most 1,000 bytes "
                                          "in UTF-8; not blanks only)",
                              json_schema_extra=NOT_BLANK_ID)
    timestamp: int = Field(ge=MIN_EVENT_TIMESTAMP, le=MAX_TIMESTAMP,
                           description="when, in unix seconds, or an ISO 8601 time in the "
                                       "extended form with its zone (2024-03-21T09:00:00Z, "
                                       "+01:00; fractions of a "
                                       "second floored): from 1990-01-01 on (a 0 is a time "
                                       "left unset) and at most one day ahead of the server's "
                                       "clock", json_schema_extra=_integer_or_time)
    weight: float = Field(1.0, gt=0, le=MAX_WEIGHT, allow_inf_nan=False,
                          description="how much, in tickets or views (1 = one ticket or "
                                      "view)")

    @field_validator("user_id", "film_id")
    @classmethod
    def _id_bytes(cls, value: str, info: ValidationInfo) -> str:
        why = id_too_long(str(info.field_name), value)  # bytes, not characters
        if why is not None:
            raise ValueError(why)
        return value

    @field_validator("timestamp", "weight", mode="before")
    @classmethod
    def _json_number(cls, value: Any, info: ValidationInfo) -> Any:
        """JSON numbers only, as the schema says: not true/false, not "5" (3.0 is 3), but a
        timestamp may be an ISO 8601 time with its zone, read as ``events import`` reads one
        (``zoned_time``); a timestamp in milliseconds is said to be one, as it says it."""
        if info.field_name == "timestamp" and isinstance(value, str):
            value = zoned_time(value)  # its ValueError says why not (the 422 adds the text)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError("should be a JSON number")  # the 422's text adds what it got
        if info.field_name == "timestamp" and MAX_TIMESTAMP < value <= 1000 * MAX_TIMESTAMP:
            raise ValueError(f"should be {seconds_expected(value)}")
        if info.field_name == "timestamp" and -MAX_TIMESTAMP <= value < MIN_EVENT_TIMESTAMP \
                and value == int(value):  # named as events import names it (a 0: unset)
            raise ValueError(too_early(int(value), named=False))
        return value


class EventsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    events: list[EventIn] = Field(
        min_length=1, description="the batch (at most RECOMMENDER_EVENTS_MAX_BATCH events)",
        json_schema_extra={"x-maximum": "events_max_batch"})


class EventsStored(Sent):
    stored: int = Field(description="events written by this request")
    duplicates: int = Field(description="events whose event_id was already stored (or "
                                        "repeated in the batch): not written again")
    erased_events: int = Field(
        default=0, description="events of the batch whose user was erased (`recommender "
                               "forget`, POST /admin/forget): not stored, and counted in "
                               "neither stored nor duplicates (stored + duplicates + "
                               "erased_events = the batch's events); their users are named "
                               "nowhere in this answer (a pseudonymized=true batch's: "
                               "pseudonyms of people erased with this pseudonym key "
                               "given). The same batch again answers the same")
    sequence: int = Field(description="the store's latest event sequence number after the "
                                      "commit (counted 'store': the admin key, or a server "
                                      "with no read or write key); to a write key (counted "
                                      "'key'), the events stored under its key id, this "
                                      "batch's included. Every worker reflects it within "
                                      "RECOMMENDER_EVENTS_POLL seconds: GET /events/status's "
                                      "applied, asked with the same key, reaches it")
    counted: Literal["store", "key"] = Field(
        description="whose events sequence counts: 'store', every writer's (the store's "
                    "sequence numbers); 'key', the caller's key id's own (a key is shown no "
                    "other key's volumes)")
    unknown_film_ids: list[str] = Field(
        description=f"film ids of the batch the served model does not know (at most "
                    f"{MAX_UNKNOWN_SHOWN}, in batch order): stored, and counted in "
                    "/events/status, but they change no audience until a model trained "
                    "with --events knows the film (a typo, or a film new to the catalog)")
    unknown_user_ids: list[str] = Field(
        default_factory=list,
        description=f"user ids of the batch the served model does not know and cannot fold in "
                    f"(at most {MAX_UNKNOWN_SHOWN}, in batch order; BPR, LMF and a Spark-trained "
                    "model fold no user in): stored, and counted in /events/status, but they "
                    "change no answer until a model trained with --events knows the user; "
                    "empty under ALS and EASE trained locally, which fold new users in. A "
                    "user id in mistyped_user_ids is not named here too")
    mistyped_user_ids: list[dict[str, str]] = Field(
        default_factory=list,
        description=f"user ids of the batch the served model does not know that are a known "
                    f"user's id but for surrounding spaces, leading zeros or Unicode form "
                    "(an accent composed, NFC, or decomposed, NFD: the two print alike but "
                    f"differ byte for byte) (at most {MAX_UNKNOWN_SHOWN}): each "
                    "{'user_id', 'did_you_mean'}; stored as "
                    "given (a new user to a model that folds users in, a user it does not "
                    "serve to one that folds none in), so such an event is no conversion of "
                    "the user meant")
    unquoted_events: int = Field(
        default=0, description="events whose user_id or film_id was cut from one of our CSV "
                               "files with its spreadsheet-safe quote (\"'+336123400489\"): "
                               "read, and stored, as the id it quotes, since the served model "
                               "or the store holds that one and not the quoted one")
    unquoted_user_ids: list[dict[str, str]] = Field(
        default_factory=list, description=f"the user ids so read (at most {MAX_UNKNOWN_SHOWN}"
                                          "), each {'user_id' as given, 'read_as'}")
    unquoted_film_ids: list[dict[str, str]] = Field(
        default_factory=list, description=f"the film ids so read (at most {MAX_UNKNOWN_SHOWN}"
                                          "), each {'film_id' as given, 'read_as'}")


class EventsStatus(Sent):
    sequence: int = Field(description="the store's latest event sequence number (counted "
                                      "'store'); to a read or write key (counted 'key'), the "
                                      "events stored under its key id (a read key given a "
                                      "write key's id counts that key's)")
    applied: int = Field(description="the sequence number this worker's served model reflects "
                                     "(counted 'store'); to a read or write key (counted "
                                     "'key'), how many of its own events it reflects")
    caught_up: bool = Field(description="applied has reached sequence: every event counted "
                                        "is in this worker's answers")
    counted: Literal["store", "key"] = Field(
        description="whose events sequence and applied count: 'store', every writer's (the "
                    "admin key, or a server with no read or write key); 'key', the caller's "
                    "key id's own (a key is shown no other key's volumes)")
    overlay: dict[str, Any] = Field(description="what this worker's overlay holds: users with "
                                                "new events, new users, events applied, events "
                                                "for films and for users the model cannot "
                                                "serve (events_for_unknown_films, "
                                                "events_for_unknown_users), and "
                                                "trained_events_gone: why every event of the "
                                                "store applies as new where it no longer "
                                                "holds the events the model was trained "
                                                "through (restored from a backup, then "
                                                "written to: retrain), else null; counted "
                                                "'key': empty (its counts are every writer's)")
