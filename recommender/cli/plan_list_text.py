"""What ``campaign list``'s text says of a plan whose stored summary could not all be read.

``plan_list.listed_plan`` names the parts it could not read (``incomplete``); the row shows
the rest, and a cell it could not fill was left blank, or said "n/a (not recorded)" as if the
plan predated summaries with a horizon. One line per such plan names the plan, the parts,
and the figures of its row (with their units, as the columns name them) that are missing. A
listed plan's films cell is written here too (``film_name``).
"""

from __future__ import annotations

from typing import Any

#: the ``within (days)`` cell of a plan whose summary's horizon could not be read
UNREADABLE_SPAN = "n/a (unreadable)"
CONTACTS = "contacts ((film, user) pairs)"
EXPECTED = "expected conversions (pairs)"


def film_name(plan: dict[str, Any], film_id: str) -> str:
    """A listed plan's film: its title as planned, or the model's title said to be that."""
    title = plan.get("titles", {}).get(film_id)
    if not title:
        return film_id
    if film_id in plan.get("titles_from_model", ()):
        return f"{title} ({film_id}; title from the model given)"
    return f"{title} ({film_id})"


def unreadable_span(plan: dict[str, Any]) -> bool:
    """Whether ``plan``'s ``within (days)`` is missing because its summary is damaged."""
    return bool({"summary", "horizon"} & set(plan["incomplete"]))


def incomplete_line(plan: dict[str, Any]) -> str:
    """The line for a listed plan with ``incomplete`` parts: its id, the parts, and which of
    its row's figures are missing (none: it says so)."""
    parts: list[str] = plan["incomplete"]
    blank: list[str] = []
    if "summary" in parts or "films" in parts:
        blank.append("films")
    whole = "summary" in parts or "totals" in parts
    if whole or "totals.contacts" in parts:
        blank.append(CONTACTS)
    if whole or "totals.expected_conversions" in parts:
        blank.append(EXPECTED)
    left_out = [int(p[6:p.index("]")]) + 1 for p in parts if p.endswith("].film_id")]
    said = []
    if blank:
        named = ", ".join(blank[:-1]) + " and " + blank[-1] if len(blank) > 1 else blank[0]
        said.append(f"its row leaves {named} blank")
    if left_out:
        said.append("its films cell leaves out the summary's "
                    + ", ".join(f"film {n}" for n in left_out))
    if unreadable_span(plan):
        said.append(f"its within (days) is {UNREADABLE_SPAN}")
    missing = "; ".join(said) if said else (
        "no figure of its row is missing (a film's budget is not one of them)")
    return (f"plan {plan['plan_id']}: its stored summary (by hand, another engine, or damaged) "
            f"has no readable {', '.join(parts)}: {missing}")


#: the compact column of what went out (``GET /campaigns``'s ``sent_totals``, ``planned_waves``)
SENT = "sent (waves of planned; targets; expected conversions)"
#: the ``--waves`` table (``per_wave``): each wave's figures and whether it went out
WAVE_HEADERS = ["plan_id", "wave", "targets ((film, user) pairs)", "controls ((film, user) pairs)",
                "expected conversions (sum of p)", "status", "sent at (UTC)"]
_BY = {"recorded": "sent (recorded)", "withdrawal": "sent (said by the withdrawal)",
       "next_wave": "sent (said by the next wave)"}


def sent_cell(plan: dict[str, Any]) -> str:
    """A listed plan's sent waves of its planned waves, their targets and expected
    conversions (its ``sent_totals``)."""
    sent = plan["sent_totals"]
    return (f"{sent['waves']} of {plan['planned_waves']}; {sent['targets']:,}; "
            f"{sent['expected_conversions']:.2f}")


def wave_status(wave: dict[str, Any]) -> str:
    """A ``per_wave`` entry's status as ``--waves`` shows it."""
    if wave["sent"]:
        return _BY.get(wave["sent_by"], "sent")
    if wave["withdrawn_unsent"]:
        return "withdrawn unsent"
    return "re-planned in a next wave" if wave["replanned"] else "pending (no send recorded)"


def wave_rows(plans: list[dict[str, Any]]) -> list[list[Any]]:
    """The ``--waves`` table's rows: each plan's waves, in the list's order."""
    return [[p["plan_id"], w["wave"], w["targets"], w["controls"],
             f"{w['expected_conversions']:.2f}", wave_status(w), w["sent_at_utc"] or ""]
            for p in plans for w in p["per_wave"]]
