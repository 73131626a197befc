"""Each listed plan's figures per wave, counted in SQL over its stored rows, and what went out.

``GET /campaigns`` and ``campaign list`` gave a plan's contacts and expected conversions for
the whole plan (every wave) and no figure per wave: a plan withdrawn after 1 of its 3 waves, or
one part-way through, read as if all of it had gone out. ``page_waves(conn, plan_ids)`` reads,
for a page of plans, per (plan, wave): its target rows, its control rows and the sum of its
targets' stored ``p`` (each row's probability of conversion within the plan's horizon: the
summary's ``totals.expected_conversions`` is the same sum over every wave), in one ``GROUP BY``
query per 500 plans (portable SQLAlchemy Core: SQLite and PostgreSQL), then the recorded sends
of those plans and the sent waves their next waves were planned after (one query each).
``PageWaves.entry`` gives a plan's list fields: ``planned_waves``, ``per_wave`` and the totals
of its sent waves (``sent_totals``) and of those that may still go out (``pending_totals``).

A wave counts as sent (``sent_by``) when its send was recorded (``campaign sent``:
"recorded"), when a withdrawal says waves 1..N went out ("withdrawal") or when a next wave was
planned after N sent waves ("next_wave", the most of those not withdrawn unsent, as
``withdraw.next_wave_of``); waves after a withdrawal's N never went out
(``withdrawn_unsent``), and those after a next wave's N were re-planned there (``replanned``).
A wave none of these speaks of is pending: the list assumes nothing (the report's default
counts every wave as sent, and says so). The query reads each listed plan's rows once through
the rows' primary key (plan_id, seq): its time grows with the rows of the page's plans, not
with the store.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from recommender.campaigns.event_times import NO_DATE
from recommender.campaigns.plan import CONTROL, TARGET
from recommender.campaigns.store_tables import plan_rows, withdrawals
from recommender.io.text import iso_utc

CHUNK = 500  # plan ids per IN (...) list
DIGITS = 6  # expected conversions are rounded as the summary's totals are


@dataclass
class PageWaves:
    """A page's stored figures: ``counted[plan][wave]`` = (targets, controls, sum of the
    targets' p), ``sends[plan][wave]`` = unix seconds, ``next_sent[plan]`` = the sent waves
    of its next wave of most sent waves (none withdrawn before a send)."""

    counted: dict[str, dict[int, tuple[int, int, float]]] = field(default_factory=dict)
    sends: dict[str, dict[int, int]] = field(default_factory=dict)
    next_sent: dict[str, int] = field(default_factory=dict)

    def entry(self, plan_id: str, planned: int | None, withdrawn: dict[str, Any] | None
              ) -> dict[str, Any]:
        """``plan_id``'s ``planned_waves`` (its summary's ``parameters.waves``, ``planned``;
        None: the most waves its rows or sends name), ``per_wave`` (1..that, a wave without
        rows at 0) and ``sent_totals`` / ``pending_totals``."""
        counted = self.counted.get(plan_id, {})
        sends = self.sends.get(plan_id, {})
        top = planned if planned is not None else max([*counted, *sends, 0])
        gone = None if withdrawn is None else int(withdrawn["sent_waves"])
        after = self.next_sent.get(plan_id)
        waves: list[dict[str, Any]] = []
        for w in range(1, max([top, *counted, *sends, 0]) + 1):
            targets, controls, conv = counted.get(w, (0, 0, 0.0))
            at = sends.get(w)
            by = ("recorded" if at is not None else "withdrawal" if gone is not None
                  and w <= gone else "next_wave" if after is not None and w <= after else None)
            waves.append({
                "wave": w, "targets": targets, "controls": controls,
                "expected_conversions": round(conv, DIGITS),
                "sent_at": at, "sent_at_utc": None if at is None else iso_utc(at, NO_DATE),
                "sent": by is not None, "sent_by": by,
                "withdrawn_unsent": by is None and gone is not None and w > gone,
                "replanned": by is None and gone is None and after is not None and w > after})
        pending = [x for x in waves if not (x["sent"] or x["withdrawn_unsent"] or x["replanned"])]
        return {"planned_waves": top, "per_wave": waves,
                "sent_totals": _totals([x for x in waves if x["sent"]]),
                "pending_totals": _totals(pending)}


def _totals(waves: list[dict[str, Any]]) -> dict[str, Any]:
    return {"waves": len(waves), "targets": sum(x["targets"] for x in waves),
            "controls": sum(x["controls"] for x in waves),
            "expected_conversions": round(
                float(sum(x["expected_conversions"] for x in waves)), DIGITS)}


def page_waves(conn: Connection, plan_ids: Sequence[str]) -> PageWaves:
    """The stored figures of ``plan_ids``' waves (see the module docstring): one grouped
    query over their rows, one over their sends, one over their next waves, per 500 plans."""
    from recommender.campaigns.events import plan_links
    from recommender.campaigns.wave_sends import wave_sends

    found = PageWaves()
    r, s, n, w = plan_rows.c, wave_sends.c, plan_links.c, withdrawals.c
    is_target = r.group_name == TARGET
    for start in range(0, len(plan_ids), CHUNK):
        ids = list(plan_ids[start:start + CHUNK])
        for plan, wave, targets, controls, conv in conn.execute(sa.select(
                r.plan_id, r.wave,
                sa.func.sum(sa.case((is_target, 1), else_=0)),
                sa.func.sum(sa.case((r.group_name == CONTROL, 1), else_=0)),
                sa.func.sum(sa.case((is_target, r.p), else_=0.0)))
                .where(r.plan_id.in_(ids)).group_by(r.plan_id, r.wave)):
            found.counted.setdefault(str(plan), {})[int(wave)] = (
                int(targets or 0), int(controls or 0), float(conv or 0.0))
        for plan, wave, at in conn.execute(sa.select(s.plan_id, s.wave, s.sent_at)
                                           .where(s.plan_id.in_(ids))):
            found.sends.setdefault(str(plan), {})[int(wave)] = int(at)
        for plan, most in conn.execute(sa.select(n.previous_plan_id, sa.func.max(n.sent_waves))
                                       .where(n.previous_plan_id.in_(ids), ~sa.exists().where(
                                           w.plan_id == n.plan_id, w.sent_waves == 0))
                                       .group_by(n.previous_plan_id)):
            found.next_sent[str(plan)] = int(most)
    return found
