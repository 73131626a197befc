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
