"""The error of an event_id reused with another payload, without the stored event's values.

An ``event_id`` names one event: a batch that sends one already recorded with another user,
film, timestamp or weight is refused (HTTP 409, ``events import`` exit 2). The refusal shows
the values the caller sent, not the stored event's. A conflict is only ever with the
caller's own writer's events (``event_writers``): a write key's is its own (sent with that key,
or with a key rotated under its id), and the text says so; the CLI's writer (``events import``,
and every caller of a server without read or write keys) is one writer for all of them, and
holds every event stored before the store's writers step, whoever sent it, so the recorded
event may be anyone's: event ids such as ticket numbers run in order, and a 409 that showed it
read the user, film, time and weight of others' events. Nor does it say which values differ:
"its user_id differs", or not, would answer a guess of the user alone, one probe per user,
where a guess must match the whole event (its time to the second included) to be told apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from recommender.campaigns.event_writers import CLI_WRITER
from recommender.errors import InvalidParameterError

#: whose the recorded event is, said in a conflict's text: a write key's own events
KEY_OWN = ("the recorded one, not shown, is this key's own: sent before with this key, or "
           "with a key rotated under its id")
#: ... and the CLI's writer's, which holds every event stored before writers were recorded
SHARED_WRITER = ("the recorded one is not shown: events import and every caller of a server "
                 "without read or write keys write as one writer, whose events stored before "
                 "the store recorded writers (store schema step 10) may be anyone's")


class EventConflictError(InvalidParameterError):
    """An ``event_id`` already stored (or repeated in its batch) with a different payload."""

    def __init__(self, event_id: str, stored: tuple[Any, ...], sent: tuple[Any, ...],
                 in_batch: bool = False, writer: str = CLI_WRITER) -> None:
        self.event_id = event_id
        self.stored, self.sent, self.in_batch, self.writer = stored, sent, in_batch, writer

        def shown(row: tuple[Any, ...]) -> str:
            return (f"user_id {row[0]!r}, film_id {row[1]!r}, timestamp {row[2]}, "
                    f"weight {row[3]:g}")
        # the reason alone (an importer says what of its file was stored); in_batch: no retry,
        # and both payloads are the caller's. A stored event's values are left unsaid, and so
        # is which of them differ: "user_id differs" or not answered a guess of the user alone
        self.reason = (f"event_id {event_id!r} is sent twice in this batch with different "
                       f"payloads ({shown(stored)}; then {shown(sent)}): an event_id names "
                       "one event" if in_batch else
                       f"event_id {event_id!r} is already recorded with another payload than "
                       f"this batch's ({shown(sent)}; "
                       f"{SHARED_WRITER if writer == CLI_WRITER else KEY_OWN}): an event_id "
                       "names one event, so a retry must repeat it exactly")
        super().__init__(f"{self.reason}; nothing of this batch was stored")

    def as_sent(self, users: Mapping[str, str]) -> EventConflictError:
        """This error with each user id shown as the batch sent it (``users``: the id stored
        to the id sent, as a pseudonymised batch's raw id to its pseudonym): a caller that
        sent pseudonyms is not told the raw id behind one."""
        def sent(row: tuple[Any, ...]) -> tuple[Any, ...]:
            return (users.get(row[0], row[0]), *row[1:])
        return EventConflictError(self.event_id, sent(self.stored), sent(self.sent),
                                  self.in_batch, self.writer)
