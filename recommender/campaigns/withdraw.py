"""Withdrawing a campaign: the pairs of its waves that were never sent are free for later plans.

A plan stored beside others leaves out every (film, user) pair they select, as targets or
controls, in any wave (``controls.py``): which waves went out is known only along a chain of
next waves, so the waves of a campaign stopped early (or never sent at all) held their users
for their films for ever, and no later campaign of those films could reach them.
``withdraw(store, plan_id, sent_waves)`` records that waves 1..``sent_waves`` of the plan
went out and the rest never will: the rows of the later waves stop counting as selected
(``withdrawn_filter``), while the sent waves keep theirs (their targets were contacted and
their controls measure the report, which includes only them from then on). ``sent_waves`` 0
withdraws a plan never sent: all its rows are free.

Only the last plan of a chain is withdrawn (a plan with a next wave not withdrawn goes on in
it: withdraw that one). Going up the chain, a plan all of whose next waves are withdrawn, one
of them sent (``sent_waves`` at least 1), is recorded too, with the most waves it had sent
when one that went out was planned (``campaign_plan_links.sent_waves``): its own later waves
were replaced by that next wave. A plan whose next waves were all withdrawn unsent is its own
campaign still (it may be withdrawn, or get another next wave). A withdrawal is final: the
same one again changes nothing (answered as ``already``), another count for the same plan is
refused, and so is a next wave of a withdrawn plan. The store is written as plans are: all or
nothing, refused on a store ``campaign copy`` moved, after the plans' lock
(``controls.PLANS_LOCK`` on PostgreSQL; SQLite's write lock), so a next wave stored at the
same moment is either before it (and the withdrawal refused for it) or refused after it.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from recommender.campaigns.slate import MAX_WAVES
from recommender.campaigns.store import (
    CampaignStore,
    plan_rows,
    withdrawals,
    withdrawn_records,
)
from recommender.errors import InvalidParameterError, NothingToReportError, PlansClashError
from recommender.io.text import iso_utc

MAX_SENT_WAVES = MAX_WAVES  # no plan has more waves
MAX_CHAIN = 50  # earlier plans a summary lists (``earlier_plans``)


class WithdrawnPlanError(PlansClashError):
    """A next wave of a withdrawn plan, or a second withdrawal of one with another count (the
    CLI exits 2; the service answers 409)."""


def withdrawn_filter(rows: sa.Table | Any) -> sa.ColumnElement[bool]:
    """A condition on plan rows ``rows`` (a table or an alias): true for a row that still
    counts as selected, false for one of a withdrawn plan's waves after its ``sent_waves``."""
    w = withdrawals.c
    return ~sa.exists().where(w.plan_id == rows.c.plan_id, rows.c.wave > w.sent_waves)


def replanned_filter(rows: sa.Table | Any) -> sa.ColumnElement[bool]:
    """A condition on plan rows ``rows`` (a table or an alias): false for a row of a plan's
    waves after the sent waves its next wave was planned after (the most ``sent_waves`` of its
    next waves but those withdrawn before any send: ``next_wave_of``'s rule), re-planned there
    and never sent from this plan (``wave_sends`` refuses them); true for every other row.
    One ``NOT EXISTS`` against the plans' cut-off waves, grouped once (portable SQL)."""
    from recommender.campaigns.events import plan_links

    c, w = plan_links.c, withdrawals.c
    cut = (sa.select(c.previous_plan_id.label("plan_id"),
                     sa.func.max(c.sent_waves).label("sent_waves"))
           .where(~sa.exists().where(w.plan_id == c.plan_id, w.sent_waves == 0))
           .group_by(c.previous_plan_id).subquery("replanned"))
    return ~sa.exists().where(cut.c.plan_id == rows.c.plan_id, rows.c.wave > cut.c.sent_waves)


WITHDRAWN_SQL = (f"NOT EXISTS (SELECT 1 FROM {withdrawals.name} w WHERE w.plan_id = r.plan_id "
                 "AND r.wave > w.sent_waves)")  # ``withdrawn_filter`` for plan rows ``r``


def replanned_sql() -> str:
    """``replanned_filter`` as SQL text for plan rows ``r`` (a query written as text, as
    ``WITHDRAWN_SQL`` is ``withdrawn_filter``'s): the plans' cut-off waves grouped once."""
    from recommender.campaigns.events import plan_links

    return (f"NOT EXISTS (SELECT 1 FROM (SELECT l.previous_plan_id AS plan_id, "
            f"MAX(l.sent_waves) AS sent_waves FROM {plan_links.name} l WHERE NOT EXISTS "
            f"(SELECT 1 FROM {withdrawals.name} w0 WHERE w0.plan_id = l.plan_id "
            "AND w0.sent_waves = 0) GROUP BY l.previous_plan_id) cut "
            "WHERE cut.plan_id = r.plan_id AND r.wave > cut.sent_waves)")


def refuse_withdrawn(conn: sa.Connection, plan_id: str) -> None:
    """``WithdrawnPlanError`` when ``plan_id`` was withdrawn: its campaign is over, so it has
    no next wave (read in ``conn``'s transaction, after the plans' lock)."""
    gone = withdrawn_records(conn, [plan_id]).get(plan_id)
    if gone is not None:
        raise WithdrawnPlanError(
            f"plan {plan_id} was withdrawn ({_how(plan_id, gone)}): its campaign is over and "
            "has no next wave; plan a new campaign of its films instead")


def re_plans(conn: sa.Connection, plan_id: str) -> list[str]:
    """The next waves of ``plan_id`` stored so far, sorted, but those withdrawn before any of
    their waves went out: never sent, they spend none of its remaining budget, so a next wave
    planned now is no re-plan of them (its summary's warning names the others)."""
    from recommender.campaigns.events import plan_links

    c, w = plan_links.c, withdrawals.c
    return sorted(str(r[0]) for r in conn.execute(sa.select(c.plan_id).where(
        c.previous_plan_id == plan_id,
        ~sa.exists().where(w.plan_id == c.plan_id, w.sent_waves == 0))))


def next_wave_of(conn: sa.Connection, plan_id: str) -> tuple[str, int] | None:
    """(next plan, its ``sent_waves``) of the next wave planned after ``plan_id`` with the
    largest ``sent_waves`` (ties: the first by plan id; not the latest planned: waves said
    sent stay sent), or None; next waves withdrawn before any of their waves went out are left
    out, as ``re_plans`` leaves them (the plan is its own campaign again: its later waves may
    go out, its download holds them, its report counts them). One rule for the sends
    (``wave_sends``), the download (``sendable``) and the report's default waves."""
    from recommender.campaigns.events import plan_links

    c, w = plan_links.c, withdrawals.c
    row = conn.execute(sa.select(c.plan_id, c.sent_waves).where(
        c.previous_plan_id == plan_id,
        ~sa.exists().where(w.plan_id == c.plan_id, w.sent_waves == 0))
        .order_by(c.sent_waves.desc(), c.plan_id).limit(1)).first()
    return None if row is None else (str(row[0]), int(row[1]))


def next_plans_of(conn: sa.Connection, plan_ids: Sequence[str]) -> dict[str, list[str]]:
    """``{plan: its next waves}`` for the plans among ``plan_ids`` that have any, by the rule
    of ``next_wave_of`` (those withdrawn before any send left out) and in its order (the most
    ``sent_waves`` first, then by plan id: the first is ``next_wave_of``'s), in one query per
    500 plans (a page of ``GET /campaigns``)."""
    from recommender.campaigns.events import plan_links

    c, w = plan_links.c, withdrawals.c
    found: dict[str, list[str]] = {}
    for start in range(0, len(plan_ids), 500):
        for up, plan in conn.execute(sa.select(c.previous_plan_id, c.plan_id).where(
                c.previous_plan_id.in_(list(plan_ids[start:start + 500])),
                ~sa.exists().where(w.plan_id == c.plan_id, w.sent_waves == 0))
                .order_by(c.previous_plan_id, c.sent_waves.desc(), c.plan_id)):
            found.setdefault(str(up), []).append(str(plan))
    return found


def withdraw(store: CampaignStore, plan_id: str, sent_waves: int) -> dict[str, Any]:
    """Withdraw ``plan_id`` after its waves 1..``sent_waves`` (see the module docstring):
    ``{"plan_id", "sent_waves", "plan_waves", "at", "already", "released_rows", "chain"}``,
    ``chain`` listing each plan recorded (this one first, then its earlier plans) with its
    ``sent_waves`` and the rows of its unsent waves (``released_rows``, targets and controls).
    ``UnknownPlanError`` for no such plan; ``InvalidParameterError`` for a count outside
    0..its waves; ``WithdrawnPlanError`` when it has next waves or was withdrawn with another
    count; ``StoreMovedError`` on a moved store."""
    from recommender.campaigns.plan_lock import lock_plan

    if isinstance(sent_waves, bool) or not isinstance(sent_waves, int) or not (
            0 <= sent_waves <= MAX_SENT_WAVES):
        raise InvalidParameterError(f"sent_waves must be a whole number of waves in [0, "
                                    f"{MAX_SENT_WAVES}], got {sent_waves!r}")
    summary = store.summary(plan_id)  # UnknownPlanError before any lock
    planned = int((summary.get("parameters") or {}).get("waves") or 1)
    if sent_waves > planned:
        raise InvalidParameterError(
            f"sent_waves must be in [0, {planned}] (the waves of plan {plan_id}), got "
            f"{sent_waves}")
    now = iso_utc(time.time())  # ISO 8601, UTC, ...Z
    with store.engine.begin() as conn:
        lock_plan(conn, store, plan_id, "this withdrawal")
        later = _next_waves(conn, plan_id)
        live = sorted(set(later) - set(withdrawn_records(conn, sorted(later))))
        if live:
            raise WithdrawnPlanError(
                f"plan {plan_id} has {len(live)} next wave{'s' if len(live) > 1 else ''} not "
                f"withdrawn ({', '.join(live[:5])}{', ...' if len(live) > 5 else ''}): its "
                "campaign goes on there; withdraw the last plan of each chain (the next wave "
                "that was sent), which gives back this one's unsent waves too")
        gone = withdrawn_records(conn, [plan_id]).get(plan_id)
        if gone is not None:
            if gone["sent_waves"] != sent_waves:
                raise WithdrawnPlanError(
                    f"plan {plan_id} was withdrawn already ({_how(plan_id, gone)}); a "
                    "withdrawal is final: " + (
                        "later plans may have selected the pairs it gave back, so it cannot "
                        "take them back" if sent_waves > gone["sent_waves"] else
                        "the waves it said were sent keep their pairs, and the report counts "
                        "them"))
            return _answer(conn, plan_id, planned, gone["at"], True, _recorded_chain(
                conn, plan_id))  # the first answer's chain: the same body, ``already``
        if later and sent_waves < max(later.values()):  # a next wave says more went out
            after = max(later, key=lambda b: (later[b], b))
            raise InvalidParameterError(
                f"sent_waves must be at least {later[after]} for plan {plan_id}: its next wave "
                f"{after} was planned after {later[after]} of its waves were sent, got "
                f"{sent_waves}")
        refuse_below_sends(conn, plan_id, sent_waves, "sent_waves")
        chain = [plan_id]
        conn.execute(withdrawals.insert().values(plan_id=plan_id, sent_waves=sent_waves,
                                                 withdrawn_at=now, via_plan_id=plan_id))
        while True:  # up the chain, while every next wave of the plan above is withdrawn
            up = previous_plan(conn, chain[-1])
            if up is None or up in chain or withdrawn_records(conn, [up]):
                break
            branches = _next_waves(conn, up)
            done = withdrawn_records(conn, sorted(branches))
            sent = [k for b, k in branches.items() if b in done and done[b]["sent_waves"] >= 1]
            if len(done) < len(branches) or not sent:  # one goes on, or none went out: the
                break  # plan above is its own campaign still
            chain.append(up)  # it sent what its latest sent next wave was planned after
            conn.execute(withdrawals.insert().values(plan_id=up, sent_waves=max(sent),
                                                     withdrawn_at=now, via_plan_id=plan_id))
        return _answer(conn, plan_id, planned, now, False, chain)


def previous_plan(conn: sa.Connection, plan_id: str) -> str | None:
    """The plan ``plan_id`` is a next wave of, or None."""
    from recommender.campaigns.events import plan_links

    up = conn.execute(sa.select(plan_links.c.previous_plan_id).where(
        plan_links.c.plan_id == plan_id)).scalar()
    return None if up is None else str(up)


def earlier_plans(conn: sa.Connection, plan_id: str) -> tuple[list[dict[str, Any]], bool]:
    """The plans ``plan_id`` continues, the nearest first, each ``{"plan_id", "sent_waves"}``
    (its waves sent when the plan after it in the chain was planned), at most ``MAX_CHAIN``
    (a chain has a plan per wave sent), read link by link; and whether the chain goes on past
    them (more, or a link back to a plan of it)."""
    from recommender.campaigns.events import plan_links

    c = plan_links.c
    chain: list[dict[str, Any]] = []
    seen, at = {plan_id}, plan_id
    for _ in range(MAX_CHAIN + 1):
        link = conn.execute(sa.select(c.previous_plan_id, c.sent_waves).where(
            c.plan_id == at)).first()
        if link is None:
            return chain, False
        if str(link[0]) in seen or len(chain) == MAX_CHAIN:
            break
        at = str(link[0])
        seen.add(at)
        chain.append({"plan_id": at, "sent_waves": int(link[1])})
    return chain, True


def next_waves(store: CampaignStore, plan_id: str) -> list[dict[str, Any]]:
    """The next waves planned after ``plan_id``, each ``{"plan_id", "sent_waves"`` (of
    ``plan_id``'s waves, when it was planned), ``"withdrawn"`` (its record, or None)``}``, the
    most waves sent first (the report's default reads the first): a plan may have several,
    each a re-plan of the same remaining budget, and its campaign goes on in each one not
    withdrawn."""
    with store.engine.connect() as conn:
        later = _next_waves(conn, plan_id)
        gone = withdrawn_records(conn, sorted(later))
    return [{"plan_id": p, "sent_waves": n, "withdrawn": gone.get(p)}
            for p, n in sorted(later.items(), key=lambda pn: (-pn[1], pn[0]))]


def shown_summary(store: CampaignStore, plan_id: str) -> dict[str, Any]:
    """A stored plan's summary as ``GET /campaigns/{plan_id}`` and ``campaign show`` give it:
    the stored one (``UnknownPlanError`` for none) with ``read_fields``."""
    summary = store.summary(plan_id)  # first: an unknown id (one with a NUL) is refused
    return {**summary, **read_fields(store, plan_id)}


def read_fields(store: CampaignStore, plan_id: str) -> dict[str, Any]:
    """What a stored plan's summary is given as it is read (never stored with it): its
    ``next_waves``, the earlier plans of its ``chain`` (``earlier_plans``; ``chain_cut``: more
    than those) and its recorded ``wave_sends`` (``wave_sends.listed_sends``: the send times
    its report counts from), each with its ``campaign_wave`` (``wave_sends.campaign_wave``:
    the wave plus the chain's sent waves before it; None when the chain is cut), as the answer
    to recording a send gives it. ``shown_summary`` adds them, and so does the answer of a next
    wave just stored (``next_wave.NextWave.save``: ``POST /campaigns/{plan_id}/next``, ``plan
    --after --json`` and ``--summary``), so that a plan's body is the same wherever it is
    read."""
    from recommender.campaigns.wave_sends import sends_in

    with store.engine.connect() as conn:  # one read: the chain and the sends it numbers
        chain, cut = earlier_plans(conn, plan_id)
        sends = sends_in(conn, plan_id)
    before = None if cut else sum(int(p["sent_waves"]) for p in chain)
    numbered = [{"wave": s["wave"], "campaign_wave": None if before is None
                 else s["wave"] + before, **s} for s in sends]
    return {"next_waves": next_waves(store, plan_id), "chain": chain, "chain_cut": cut,
            "wave_sends": numbered}


def refuse_below_sends(conn: sa.Connection, plan_id: str, sent_waves: int, name: str
                       ) -> None:
    """``InvalidParameterError`` when a send of a wave after ``sent_waves`` was recorded
    (``campaign sent``): that wave went out, so its pairs are not free again, and its report
    counts it (a withdrawal after 1 wave with wave 2 recorded as sent released wave 2's
    contacted targets and dropped the wave from the report). A send recorded by mistake is
    taken back first (``wave_sends.retract_wave_sent``), which the refusal says."""
    from recommender.campaigns.wave_sends import wave_sends

    c = wave_sends.c
    top = conn.execute(sa.select(sa.func.max(c.wave)).where(c.plan_id == plan_id)).scalar()
    if top is not None and int(top) > sent_waves:
        raise InvalidParameterError(
            f"{name} must be at least {int(top)} for plan {plan_id}: wave {int(top)}'s send was "
            f"recorded (campaign sent), got {sent_waves}; if that send was recorded by "
            f"mistake, take it back first (campaign sent {plan_id} --wave {int(top)} --retract, "
            f"or DELETE /campaigns/{plan_id}/waves/{int(top)}/sent)")


def _next_waves(conn: sa.Connection, plan_id: str) -> dict[str, int]:
    """``{next wave: the sent waves of plan_id it was planned after}``."""
    from recommender.campaigns.events import plan_links

    c = plan_links.c
    return {str(r[0]): int(r[1]) for r in conn.execute(
        sa.select(c.plan_id, c.sent_waves).where(c.previous_plan_id == plan_id))}


def _recorded_chain(conn: sa.Connection, plan_id: str) -> list[str]:
    """``plan_id``, then the earlier plans of its chain its withdrawal recorded (``via``)."""
    chain = [plan_id]
    while True:
        up = previous_plan(conn, chain[-1])
        if up is None or up in chain or withdrawn_records(conn, [up]).get(up, {}).get(
                "via") != plan_id:
            return chain
        chain.append(up)


def _answer(conn: sa.Connection, plan_id: str, planned: int, at: str, already: bool,
            chain: list[str]) -> dict[str, Any]:
    recorded = withdrawn_records(conn, chain)
    c = plan_rows.c
    counted: dict[str, int] = dict(conn.execute(sa.select(c.plan_id, sa.func.count()).where(
        c.plan_id.in_(chain), ~withdrawn_filter(plan_rows)).group_by(
        c.plan_id)).all())
    listed = [{"plan_id": p, "sent_waves": recorded[p]["sent_waves"],
               "released_rows": int(counted.get(p, 0))} for p in chain]
    return {"plan_id": plan_id, "sent_waves": recorded[plan_id]["sent_waves"],
            "plan_waves": planned, "at": at, "already": already,
            "released_rows": sum(x["released_rows"] for x in listed), "chain": listed}


def withdrawn_waves(plan_id: str, summary: dict[str, Any], sent_waves: int | None
                    ) -> int | None:
    """For a report of a stored plan (``summary``, as ``CampaignStore.summary`` reads it): the
    waves a withdrawal says were sent, None when it was not withdrawn;
    ``NothingToReportError`` when it was withdrawn before any wave went out, and an
    ``InvalidParameterError`` when ``sent_waves`` asks for more waves than were sent."""
    gone = summary.get("withdrawn")
    if gone is None:
        return None
    sent = int(gone["sent_waves"])
    if sent == 0:
        raise NothingToReportError(f"plan {plan_id} was withdrawn ({_how(plan_id, gone)}): no "
                                   "wave was sent, so there is nothing to report")
    if (sent_waves or 0) > sent:
        raise InvalidParameterError(
            f"plan {plan_id} was withdrawn ({_how(plan_id, gone)}): "
            f"sent_waves must be in [1, {sent}], got {sent_waves}")
    return sent


def _how(plan_id: str, gone: dict[str, Any]) -> str:
    """How a withdrawal went: its sent waves, when, and the next wave named when it was
    recorded for this plan (the plan itself was not named: ``via``)."""
    via = "" if gone["via"] == plan_id else \
        f", recorded when its next wave {gone['via']} was withdrawn"
    return f"{_sent_text(int(gone['sent_waves']))}, {gone['at']}{via}"


def _sent_text(n: int) -> str:
    return "no wave sent" if n == 0 else f"after {n} sent wave{'s' if n != 1 else ''}"
