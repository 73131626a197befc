"""A stored plan's entry in the list of plans, read from what its summary holds.

``CampaignStore.list_plans`` (``GET /campaigns``, ``campaign list``) lists a page of plans: one
summary written by hand or by another engine, or damaged (not JSON, a film without its
``film_id`` or ``budget``, a part that is no object), raised a ``KeyError`` or a ``TypeError``
that broke the whole page (a 500, a traceback) for every plan on it. Its entry now holds what
can be read, and ``incomplete`` names what could not be ([] for a whole summary).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from recommender.campaigns.plan_waves import PageWaves
from recommender.campaigns.slate import MAX_WAVES
from recommender.campaigns.summary_fields import summary_object
from recommender.io.text import iso_shown

#: the summary's totals a plan's row shows (contacts, expected conversions)
LISTED_TOTALS = ("contacts", "expected_conversions")


def _films(found: object, incomplete: list[str]) -> tuple[list[str], dict[str, str]]:
    """The film ids a summary's ``films`` names (ids as stored, strings) and their titles;
    each entry without a readable ``film_id`` or ``budget`` named in ``incomplete``."""
    if not isinstance(found, list):
        incomplete.append("films")
        return [], {}
    ids: list[str] = []
    titles: dict[str, str] = {}
    for i, f in enumerate(found):
        film = f if isinstance(f, dict) else {}
        film_id = film.get("film_id")
        if not isinstance(film_id, str):
            incomplete.append(f"films[{i}].film_id")
        else:
            ids.append(film_id)
            if "title" in film:
                titles[film_id] = str(film["title"])
        budget = film.get("budget")
        if isinstance(budget, bool) or not isinstance(budget, int):
            incomplete.append(f"films[{i}].budget")
    return ids, titles


def listed_plan(row: sa.RowMapping, withdrawn: dict[str, Any] | None,
                next_plan_ids: list[str] | None = None,
                waves: PageWaves | None = None) -> dict[str, Any]:
    """``row`` (a ``campaign_plans`` row) as a list entry: id, created, model, rows, films,
    ``titles`` (as its summary recorded them), the summary's ``totals``, ``horizon_days``
    (None: no span in days), ``previous_plan_id`` and ``previous_sent_waves`` (a next wave's
    plan and the waves of it sent before; None otherwise), ``next_plan_ids`` (its next waves,
    ``withdraw.next_plans_of``), ``withdrawn`` and ``incomplete``
    (the parts of its summary that
    could not be read: "summary" when it is no JSON object, "films[2].film_id", "totals",
    "totals.contacts"...; a figure named so is left out of ``totals``), then
    ``planned_waves``, ``per_wave``, ``sent_totals`` and ``pending_totals`` from its stored
    rows and sends (``plan_waves.PageWaves.entry``; ``waves`` None: none read, every wave
    at 0)."""
    found = summary_object(row["summary"])
    incomplete: list[str] = ["summary"] if found is None else []
    parts: list[str] = [] if found is None else incomplete  # none read: "summary" says all
    summary = found or {}
    films, titles = _films(summary.get("films"), parts)
    totals = summary.get("totals")
    if not isinstance(totals, dict):
        parts.append("totals")
        totals = {}
    totals = dict(totals)
    for figure in LISTED_TOTALS:  # a row's figures: one missing or no number is left out
        value = totals.get(figure)
        if isinstance(value, bool) or not isinstance(value, int | float):
            totals.pop(figure, None)
            if "totals" not in parts:
                parts.append(f"totals.{figure}")
    horizon = summary.get("horizon")
    if horizon is not None and not isinstance(horizon, dict):
        parts.append("horizon")
        horizon = None
    days = (horizon or {}).get("days")
    up, sent = summary.get("previous_plan_id"), summary.get("sent_waves")
    params = summary.get("parameters")
    planned = params.get("waves") if isinstance(params, dict) else None
    if planned is not None and (isinstance(planned, bool) or not isinstance(planned, int)
                                or not 1 <= planned <= MAX_WAVES):
        # a damaged or hand-edited count (2,000,000 waves) is not read: per_wave would list
        # every one of them on each GET /campaigns; the rows and sends name the waves instead
        parts.append("parameters.waves")
        planned = None
    return {"plan_id": row["plan_id"], "created": iso_shown(str(row["created"])),
            # a next wave: the plan it continues, after that plan's waves 1..sent_waves
            "previous_plan_id": up if isinstance(up, str) else None,
            "previous_sent_waves": sent if isinstance(up, str) and isinstance(sent, int)
            and not isinstance(sent, bool) else None,
            "model_version": row["model_version"], "rows": row["n_rows"], "films": films,
            "titles": titles, "totals": totals,
            "horizon_days": days if isinstance(days, int | float) else None,
            "next_plan_ids": list(next_plan_ids or []),
            "withdrawn": withdrawn, "incomplete": incomplete,
            "titles_from_model": [],  # ``query.catalog.name_plan_films`` fills it in
            **(waves or PageWaves()).entry(
                str(row["plan_id"]), planned, withdrawn)}
