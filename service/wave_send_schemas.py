"""The bodies of ``/campaigns/{plan_id}/waves/{wave}/sent``: a wave's send, recorded or taken back.

``POST`` records it, ``DELETE`` takes it back.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema

from recommender.campaigns.wave_sends import sent_seconds
from service.sent import Sent

#: the ISO 8601 times ``wave_sends.sent_seconds`` reads (``io.convert.zoned_time``, as ``POST
#: /events`` reads a timestamp): the schema promises what is always taken (``""`` was
#: schema-valid and refused with a 422), so its days stop at 28; the 29th to the 31st are
#: taken too where the month has them, its years 1000 to 5137 (past 5138 is refused, a
#: placeholder: ``io.convert.zoned_time``). Unix seconds are a JSON integer (digits in a string were
#: taken here alone, while POST /events refused them)
SENT_TIME_PATTERN = (
    r"^(?:[1-4][0-9]{3}|50[0-9]{2}|51[0-2][0-9]|513[0-7])-(?:0[1-9]|1[0-2])-"
    r"(?:0[1-9]|1[0-9]|2[0-8])"
    r"[T ](?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:\.[0-9]{1,6})?)?"
    r"(?:Z|[+-](?:[01][0-9]|2[0-3]):?[0-5][0-9])$")
AT_DESCRIPTION = ("when the wave went out: whole unix seconds (a JSON integer), or ISO 8601 in "
                  "the extended form with its UTC offset (a fraction of a second floored), as "
                  "POST /events takes a timestamp; null or absent: now, or the time recorded "
                  "already for the wave (a retry is answered already)")


def _sent_time(value: Any) -> Any:
    """``at`` read as ``campaign sent --at`` reads it (``wave_sends.sent_seconds``), a JSON
    number or ISO text: one refusal at ``body.at`` (a fraction was two errors, one located
    in the validation library's own names)."""
    return None if value is None else sent_seconds(value, digits=False)


SentTime = Annotated[int | None, BeforeValidator(_sent_time), WithJsonSchema({
    "anyOf": [{"type": "integer"},
              {"type": "string", "pattern": SENT_TIME_PATTERN, "maxLength": 40},
              {"type": "null"}],
    "description": AT_DESCRIPTION})]


class SentRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    at: SentTime = Field(None, description=AT_DESCRIPTION)


class WaveSent(Sent):
    plan_id: str
    wave: int = Field(description="the wave that went out (1..plan_waves), numbered in this "
                                  "plan")
    campaign_wave: int | None = Field(description=(
        "the same wave numbered in its campaign: a next wave numbers its waves from 1, so "
        "wave 1 of a next wave planned after 1 sent wave is the campaign's wave 2 (the chain's "
        "sent waves before it plus wave; null: a chain longer than 50 plans)"))
    sent_at: int = Field(description="when it went out (unix seconds): its report's window of "
                                     "that wave starts there")
    sent_at_utc: str = Field(description="sent_at as ISO 8601 in UTC (2024-03-21T09:00:00Z)")
    recorded_at: str = Field(description="when it was recorded (ISO 8601 in UTC, the same "
                                         "form)")
    already: bool = Field(description="true: recorded so before, nothing changed")
    plan_waves: int = Field(description="the waves the plan was made with")
    waves: list[dict[str, int]] = Field(description="every recorded send of the plan, "
                                        "[{wave, sent_at (unix seconds)}] by wave")


class RecordedSend(Sent):
    wave: int = Field(description="the wave (its number in the plan)")
    sent_at: int = Field(description="when it was recorded to have gone out (unix seconds)")
    sent_at_utc: str = Field(description="sent_at as ISO 8601 in UTC")
    recorded_at: str = Field(description="when that send was recorded (ISO 8601 in UTC)")


class WaveRetracted(Sent):
    plan_id: str
    wave: int = Field(description="the wave whose recorded send was taken back")
    retracted: RecordedSend | None = Field(description="the send taken back; null: none was "
                                                       "recorded for the wave, nothing changed")
    plan_waves: int = Field(description="the waves the plan was made with")
    waves: list[dict[str, int]] = Field(description="the plan's recorded sends left, "
                                        "[{wave, sent_at (unix seconds)}] by wave")
