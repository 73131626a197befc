"""``POST /events?pseudonymized=true``: a batch keyed by pseudonyms, stored under the raw ids.

The key is the server's ``RECOMMENDER_PSEUDONYM_KEY``, the one its pseudonymised exports are
made with (a 409 when it has none: a 403 on this route is a read key's); the reading is the
library's (``recommender.campaigns.pseudonym_ids``), and a batch it cannot read whole is a
404 naming the first such event (its user_id names no user; the batch is schema-valid, so not
a 422). The events of a person ``recommender forget`` erased with this key given
(``campaigns.erased_pseudonyms``) are no such refusal: they are left out and counted in
``erased_events``, as the same events sent with the raw id are. The answer names users as the
batch did, by pseudonym: a partner that sees only pseudonyms is told no raw id.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from fastapi import HTTPException

from recommender.campaigns.events import EventBatch
from recommender.campaigns.pseudonym_ids import UnmappedPseudonymError, unmasked_rows
from recommender.errors import InvalidParameterError, clipped
from recommender.query.pseudonym import ENV_KEY, check_key, pseudonyms
from service.settings import Settings

FLAG = "pseudonymized=true"


def events_key(settings: Settings) -> bytes:
    """The server's pseudonym key for ``pseudonymized=true``; 409 naming the variable when it
    has none (or one too short, which the server's start refuses first)."""
    if settings.pseudonym_key is None:
        raise HTTPException(409, f"{FLAG} needs the server's pseudonym key, and it has none: "
                                 f"set {ENV_KEY} (the key its pseudonymised exports were made "
                                 "with, at least 16 bytes) to read pseudonyms back as the ids "
                                 "they stand for; nothing of this batch was stored")
    try:
        return check_key(settings.pseudonym_key.get_secret_value().encode("utf-8"))
    except InvalidParameterError as e:
        raise HTTPException(409, f"{FLAG} cannot be read: {ENV_KEY}: {e}; nothing of this "
                                 "batch was stored") from None


def unmasked_batch(batch: EventBatch, key: bytes, model: Any, store: Any,
                   event_ids: list[str], writer: str | None) -> tuple[EventBatch, list[int]]:
    """``batch`` with each user id read as the id its pseudonym stands for (among ``writer``'s
    events, unless None: every writer's, ``event_views.search_writer``), less the events of
    erased people, and those events' rows in ``batch`` (``unmasked_rows``); 404 naming the
    first event that cannot be read so (its index and event_id)."""
    try:
        users, gone = unmasked_rows(batch.user_id, key, model, store, FLAG, writer)
    except UnmappedPseudonymError as e:
        raise HTTPException(404, f"events[{e.row}] (event_id {clipped(event_ids[e.row])}): "
                                 f"{e.reason}; nothing of this batch was stored") from None
    read = replace(batch, user_id=users)
    if not gone:
        return read, gone
    return EventBatch(*(kept_rows(getattr(read, k), gone) for k in
                        ("event_id", "user_id", "film_id", "timestamp", "weight"))), gone


def kept_rows(values: list[Any], gone: list[int]) -> list[Any]:
    """``values`` less the rows ``gone``."""
    drop = set(gone)
    return [v for i, v in enumerate(values) if i not in drop]


def shown_as_pseudonyms(users: list[str], near: list[tuple[str, str]], key: bytes
                        ) -> tuple[list[str], list[tuple[str, str]]]:
    """The user ids an answer names (``unknown_user_ids``, ``mistyped_user_ids``) as their
    pseudonyms under ``key``: each was read from one, and the known id a mistyped one looks
    like is shown so too."""
    shown = pseudonyms([*users, *(u for pair in near for u in pair)], key)
    pairs = shown[len(users):]
    return shown[:len(users)], list(zip(pairs[0::2], pairs[1::2], strict=True))
