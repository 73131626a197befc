"""When each wave of a plan went out: the send times its report's windows start from.

A plan's waves go out at different times (the second a few weeks after the first, say), and a
report that counted every wave's conversions from the plan's start took a wave-2 user who bought
before wave 2 was sent as a response to it: its controls' earlier tickets read as a negative
uplift. ``record_wave_sent(store, plan_id, wave, at)`` records that ``wave`` went out at ``at``
(unix seconds): at or after the plan was created, at most ``FUTURE_SLACK`` past this clock (as
events are checked), never before an earlier wave's recorded send nor after a later one's, and
never while an earlier wave of the plan has no recorded send (waves go out in order: ``--wave 3``
typed for 2 after wave 1 was stored, and then wave 2 could never be recorded, and a next wave or a
withdrawal after 1 sent wave was refused for good). The same time again is accepted (``already``),
and so is a retry without a time (``at`` None: the recorded one is answered); another time for the
same wave is refused naming the stored one (a report read with it would change under its readers).
A wave a withdrawal says never went out is refused too, as is one after the sent waves a next wave
was planned after (it re-plans them); and a withdrawal or a next wave that says fewer waves went
out than a recorded send is refused (``withdraw.refuse_below_sends``). ``retract_wave_sent`` takes
back a send recorded by mistake (``campaign sent --retract``), but the plan's last recorded one
only (the others stay in order) and none a next wave of the plan was planned after (its link says
that wave went out, and the uplift it was planned on may have read that wave's window from the
send). The store is written as withdrawals are: refused on a store ``campaign copy`` moved, under
SQLite's write lock or PostgreSQL's ``controls.PLANS_LOCK``.

A next wave numbers its waves from 1: ``campaign_wave`` says which wave of the campaign a
plan's wave is (its chain's sent waves before it, ``withdraw.earlier_plans``).

The table is defined on the store's ``metadata`` and created by migration step 8
(``store.MIGRATIONS``), which imports ``create_tables`` from here when it runs.
"""

from __future__ import annotations

import re
import time
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from recommender.campaigns.event_times import (
    FUTURE_SLACK,
    LOCAL_CLOCK,
    NO_DATE,
    seconds_expected,
    too_late,
)
from recommender.campaigns.store import (
    CampaignStore,
    metadata,
    withdrawn_records,
)
from recommender.errors import InvalidParameterError, PlansClashError
from recommender.io.convert import MAX_TIMESTAMP, ZONED_TIME, zoned_time
from recommender.io.text import MAX_DIGITS, WHOLE_TEXT, iso_shown, iso_utc, shown_number, whole_text

wave_sends = sa.Table(
    "campaign_wave_sends", metadata,
    sa.Column("plan_id", sa.String(64), sa.ForeignKey("campaign_plans.plan_id",
                                                      ondelete="CASCADE"), primary_key=True),
    sa.Column("wave", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("sent_at", sa.BigInteger, nullable=False),  # unix seconds
    # ISO 8601, UTC: 2024-03-21T09:00:00Z (older code wrote 2024-03-21T09:00:00+00:00:
    # ``recorded_text`` shows either in the first form)
    sa.Column("recorded_at", sa.Text, nullable=False),
)


class WaveSentClashError(PlansClashError):
    """A wave whose send time was recorded already with another time (the CLI exits 2; the
    service answers 409)."""


def create_tables(conn: Connection) -> None:
    """Migration step 8: the send time of each wave of a plan."""
    wave_sends.create(conn, checkfirst=True)


def _when(ts: int) -> str:
    return f"{ts} ({iso_utc(ts, NO_DATE)})"


def recorded_text(stored: str) -> str:
    """A stored ``recorded_at`` as every surface shows it, ``iso_utc``'s form (``...Z``): rows
    written by older code hold ``2024-03-21T09:00:00+00:00``, read alike
    (``io.text.iso_shown``); a text that is no ISO time with an offset is given back as
    stored."""
    return iso_shown(stored)


def plan_created(summary: dict[str, Any], plan_id: str | None = None) -> int:
    """A stored plan's creation in unix seconds (``summary_fields.created_seconds``: its
    summary's ``created``; ``IncompleteSummaryError`` naming ``plan_id`` without one)."""
    from recommender.campaigns.summary_fields import created_seconds

    return created_seconds(summary, plan_id)


#: what a send time is, as every refusal of one says (``POST /events``' rule: whole unix
#: seconds, or an ISO 8601 time read by ``io.convert.zoned_time``, fractions floored)
SENT_FORM = ("unix seconds (a whole number) or an ISO 8601 time in the extended form with its "
             "UTC offset (e.g. 2024-03-21T09:00:00Z or 2024-03-21T10:00:00+01:00), a fraction of "
             "a second floored")
_DECIMAL = re.compile(r"-?[0-9]*\.[0-9]*")


def sent_seconds(value: object, digits: bool = True) -> int:
    """A send time as unix seconds, read as ``POST /events`` reads a timestamp: a whole number
    (``3.0`` is 3; milliseconds are told to divide by 1,000, ``event_times.not_seconds``), or
    an ISO 8601 time with its offset (``io.convert.zoned_time``: the basic form, week and
    ordinal dates are refused, fractions of a second floored); ``digits``: text of digits is a
    number too (``--at``; ``POST .../sent`` takes a JSON number, as ``POST /events``).
    ``ValueError`` says why not, after the field's name (``must be ...``; the value is said by
    the caller: a 422 says it after)."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        if value > MAX_TIMESTAMP:
            raise ValueError(f"must be {seconds_expected(float(value))}")
        return value
    text = value.strip() if isinstance(value, str) else None
    if isinstance(value, float) or (digits and text is not None and _DECIMAL.fullmatch(text)):
        raise ValueError("must be whole unix seconds (a fraction of a second is taken in an "
                         "ISO 8601 time only, floored)")
    if text is not None and WHOLE_TEXT.fullmatch(text):
        if not digits:
            raise ValueError(f"must be {SENT_FORM}: unix seconds as a JSON number, not text "
                             "(as POST /events takes a timestamp)")
        seconds = whole_text(text)
        if seconds is None:
            raise ValueError(f"must be unix seconds of at most {MAX_DIGITS} digits")
        return sent_seconds(seconds)
    why = ""
    if text is not None:
        try:
            return zoned_time(text)
        except ValueError as e:  # its reason past the form it names (a zone to add...)
            said = str(e)
            why = said[len(f"should be {ZONED_TIME}"):] if said.startswith("should be ") \
                else f": {said}"
    raise ValueError(f"must be {SENT_FORM}{why}")


def parse_sent_at(value: object) -> int:
    """A send time as ``campaign sent --at`` takes it (``sent_seconds``, digits taken);
    ``InvalidParameterError`` (``at must be ...``) for one it refuses."""
    try:
        return sent_seconds(value)
    except ValueError as e:
        shown = shown_number(value) if isinstance(value, str) and \
            WHOLE_TEXT.fullmatch(value.strip()) else repr(value)
        raise InvalidParameterError(f"at {e}, got {shown}") from None


def wave_send_times(store: CampaignStore, plan_id: str) -> dict[int, int]:
    """``{wave: sent_at}`` of the waves of ``plan_id`` whose send time was recorded."""
    c = wave_sends.c
    with store.engine.connect() as conn:
        return {int(w): int(t) for w, t in conn.execute(
            sa.select(c.wave, c.sent_at).where(c.plan_id == plan_id))}


def listed_sends(store: CampaignStore, plan_id: str) -> list[dict[str, Any]]:
    """The recorded sends of ``plan_id`` by wave, as ``campaign show`` and ``GET
    /campaigns/{plan_id}`` list them (``wave_sends``): ``[{wave, sent_at (unix seconds),
    sent_at_utc, recorded_at (both ISO 8601 in UTC, ``2024-03-21T09:00:00Z``)}]``, the names
    ``POST .../sent`` answers with."""
    with store.engine.connect() as conn:
        return sends_in(conn, plan_id)


def sends_in(conn: Connection, plan_id: str) -> list[dict[str, Any]]:
    """``listed_sends`` read in ``conn``'s transaction (``withdraw.read_fields`` reads them
    with the chain that numbers them, adding each one's ``campaign_wave``)."""
    c = wave_sends.c
    rows = conn.execute(sa.select(c.wave, c.sent_at, c.recorded_at)
                        .where(c.plan_id == plan_id).order_by(c.wave)).all()
    return [{"wave": int(w), "sent_at": int(t), "sent_at_utc": iso_utc(int(t), NO_DATE),
             "recorded_at": recorded_text(str(r))} for w, t, r in rows]


def _refuse_after_next_wave(conn: Connection, plan_id: str, wave: int) -> None:
    """``InvalidParameterError`` when a next wave of ``plan_id`` was planned after fewer sent
    waves than ``wave``: the waves after those were re-planned there, never sent from this
    plan (its report stops at them; a withdrawal's count is held to them the same way)."""
    from recommender.campaigns.withdraw import next_wave_of

    row = next_wave_of(conn, plan_id)  # one withdrawn before any send re-plans nothing
    if row is not None and wave > int(row[1]):
        raise InvalidParameterError(
            f"wave {wave} of plan {plan_id} was not sent from it: its next wave {row[0]} was "
            f"planned after {int(row[1])} sent wave(s), and re-plans the rest")


def campaign_wave(conn: Connection, plan_id: str, wave: int) -> int | None:
    """The campaign's number of wave ``wave`` of ``plan_id``: ``wave`` plus the waves its
    chain's earlier plans had sent when the next plan of the chain was planned (a next wave
    numbers its waves from 1: wave 1 of a next wave after 1 sent wave is the campaign's wave
    2); None when the chain is longer than ``withdraw.MAX_CHAIN`` (not read to its start)."""
    from recommender.campaigns.withdraw import earlier_plans

    chain, cut = earlier_plans(conn, plan_id)
    return None if cut else wave + sum(int(p["sent_waves"]) for p in chain)


def _missing_before(known: dict[int, Any], plan_id: str, wave: int) -> None:
    """``InvalidParameterError`` when a wave before ``wave`` has no recorded send: waves go
    out in order, so the first such wave is recorded first (which, and how)."""
    missing = next((w for w in range(1, wave) if w not in known), None)
    if missing is not None:
        raise InvalidParameterError(
            f"wave {missing} of plan {plan_id} has no recorded send, so wave {wave} cannot "
            f"be recorded: waves go out in order; record wave {missing} first (campaign sent "
            f"{plan_id} --wave {missing} --at TIME, or POST /campaigns/{plan_id}/waves/"
            f"{missing}/sent)", param="wave")


def record_wave_sent(store: CampaignStore, plan_id: str, wave: int, at: int | None = None,
                     now: float | None = None, clock_name: str = LOCAL_CLOCK
                     ) -> dict[str, Any]:
    """Record that wave ``wave`` of ``plan_id`` went out at ``at`` (unix seconds; default:
    now, or the time already recorded for that wave: a retry without a time is answered
    ``already``), as the module docstring says: ``{"plan_id", "wave", "campaign_wave",
    "sent_at", "sent_at_utc", "recorded_at", "already", "plan_waves", "waves"}``
    (``campaign_wave``: ``campaign_wave``'s; ``waves``: every recorded send of the plan,
    ``[{wave, sent_at}]`` by wave). ``UnknownPlanError`` for no such plan;
    ``InvalidParameterError`` for a wave or time outside the rules; ``WaveSentClashError``
    for another time of a wave already recorded; ``StoreMovedError`` on a moved store."""
    from recommender.campaigns.plan_lock import lock_plan

    clock = time.time() if now is None else now
    given = at is not None
    at = int(clock) if at is None else at
    for name, value in (("wave", wave), ("at", at)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidParameterError(f"{name} must be a whole number, got {value!r}")
    summary, planned = _summary_with_wave(store, plan_id, wave)  # UnknownPlanError first
    created = plan_created(summary, plan_id)
    recorded_at = iso_utc(int(clock))
    c = wave_sends.c
    with store.engine.begin() as conn:
        lock_plan(conn, store, plan_id, "this send time")
        known = {int(w): (int(t), recorded_text(str(r))) for w, t, r in conn.execute(
            sa.select(c.wave, c.sent_at, c.recorded_at).where(c.plan_id == plan_id))}
        already = wave in known
        if already and not given:  # a retry without a time: answered with the recorded one
            at = known[wave][0]
        _check_time(at, created, clock, plan_id, clock_name)
        _refuse_after_next_wave(conn, plan_id, wave)
        # under the lock: a withdrawal stored since the summary was read is seen (read before
        # it, a withdrawal after 1 wave between the two let wave 2's send in)
        gone = withdrawn_records(conn, [plan_id]).get(plan_id)
        if gone is not None and wave > int(gone["sent_waves"]):
            raise InvalidParameterError(
                f"plan {plan_id} was withdrawn after {gone['sent_waves']} sent wave(s) "
                f"({gone['at']}): wave {wave} never went out")
        if already and known[wave][0] != at:
            t, on = known[wave]
            raise WaveSentClashError(
                f"wave {wave} of plan {plan_id} was recorded as sent at {_when(t)}, on {on}, "
                f"not {_when(at)}: a send time is final (its reports count from it); to retry "
                f"this send, give its recorded time ({t}) or no time; a send recorded by "
                f"mistake is taken back first (campaign sent {plan_id} --wave {wave} --retract, "
                f"or DELETE /campaigns/{plan_id}/waves/{wave}/sent)")
        if not already:
            _missing_before(known, plan_id, wave)
        for w, (t, _) in sorted(known.items()):
            if (w < wave and t > at) or (w > wave and t < at):
                raise InvalidParameterError(
                    f"at {_when(at)} for wave {wave} of plan {plan_id} is "
                    f"{'before' if w < wave else 'after'} wave {w}'s recorded send, "
                    f"{_when(t)}: waves go out in order")
        if not already:
            conn.execute(wave_sends.insert().values(plan_id=plan_id, wave=wave, sent_at=at,
                                                    recorded_at=recorded_at))
            known[wave] = (at, recorded_at)
        number = campaign_wave(conn, plan_id, wave)
    return {"plan_id": plan_id, "wave": wave, "campaign_wave": number, "sent_at": at,
            "sent_at_utc": iso_utc(at, NO_DATE), "recorded_at": known[wave][1],
            "already": already, "plan_waves": planned,
            "waves": [{"wave": w, "sent_at": t} for w, (t, _) in sorted(known.items())]}


def _check_time(at: int, created: int, clock: float, plan_id: str,
                clock_name: str = LOCAL_CLOCK) -> None:
    """``InvalidParameterError`` for a send before the plan was created or past this clock
    plus ``FUTURE_SLACK`` (``clock_name``: whose clock, as the refusal says it)."""
    if at < created:
        raise InvalidParameterError(f"at {_when(at)} is before plan {plan_id} was created "
                                    f"({_when(created)}): a wave goes out after its plan")
    if at > clock + FUTURE_SLACK:
        raise InvalidParameterError(f"at {too_late(at, clock + FUTURE_SLACK, clock_name)}; "
                                    "expected when the wave was sent")


def retract_wave_sent(store: CampaignStore, plan_id: str, wave: int) -> dict[str, Any]:
    """Take back the recorded send of wave ``wave`` of ``plan_id`` (a send recorded by
    mistake: a wave number mistyped, a wrong time), as the module docstring says: ``{"plan_id",
    "wave", "retracted" (the send taken back, ``listed_sends``' entry; None: none was
    recorded, nothing changed), "plan_waves", "waves"}``. Refused (``InvalidParameterError``)
    while a later wave's send is recorded (take the last back first: the others stay in
    order) or a next wave of the plan was planned after it (its link says the wave went out,
    and the uplift it was planned on may have counted that wave from the send);
    ``UnknownPlanError``, ``StoreMovedError`` as ``record_wave_sent``."""
    from recommender.campaigns.plan_lock import lock_plan
    from recommender.campaigns.withdraw import next_wave_of

    if isinstance(wave, bool) or not isinstance(wave, int):
        raise InvalidParameterError(f"wave must be a whole number, got {wave!r}")
    planned = _summary_with_wave(store, plan_id, wave)[1]  # UnknownPlanError before any lock
    with store.engine.begin() as conn:
        lock_plan(conn, store, plan_id, "this retraction")
        sends = {s["wave"]: s for s in sends_in(conn, plan_id)}
        gone = sends.get(wave)
        later = [w for w in sends if w > wave]
        if gone is not None and later:
            raise InvalidParameterError(
                f"wave {max(later)}'s send of plan {plan_id} is recorded after wave {wave}'s: "
                f"take back the last first (campaign sent {plan_id} --wave {max(later)} "
                "--retract), so that the recorded waves stay in order")
        link = next_wave_of(conn, plan_id)
        if gone is not None and link is not None and wave <= link[1]:
            raise InvalidParameterError(
                f"wave {wave} of plan {plan_id} cannot be taken back: its next wave {link[0]} "
                f"was planned after {link[1]} sent wave(s), this one among them (its link says "
                "the wave went out, and the uplift it was planned on may have counted the wave "
                "from this send)")
        if gone is not None:
            conn.execute(wave_sends.delete().where(wave_sends.c.plan_id == plan_id,
                                                   wave_sends.c.wave == wave))
            del sends[wave]
    return {"plan_id": plan_id, "wave": wave, "retracted": gone, "plan_waves": planned,
            "waves": [{"wave": w, "sent_at": s["sent_at"]} for w, s in sorted(sends.items())]}


def _summary_with_wave(store: CampaignStore, plan_id: str, wave: int
                       ) -> tuple[dict[str, Any], int]:
    """The plan's stored summary (``UnknownPlanError`` for none) and its number of waves,
    refusing a ``wave`` outside them."""
    summary = store.summary(plan_id)
    planned = int((summary.get("parameters") or {}).get("waves") or 1)
    if not 1 <= wave <= planned:
        raise InvalidParameterError(f"wave must be in [1, {planned}] (the waves of plan "
                                    f"{plan_id}), got {wave}", param="wave")
    return summary, planned
