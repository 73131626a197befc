"""Audience filters: which users a list may show, by segment (number or label) and attribute.

``parse_filters`` reads the ``ATTRIBUTE=VALUE`` text both surfaces take (the CLI's
``--filter``, the service's ``filter=``); ``candidate_mask`` turns filters into a user mask,
after ``resolve_filters`` has matched every name and value to the model's spelling (ignoring
case where that is unambiguous) or raised ``InvalidParameterError`` listing the valid ones.
A city of one name in several regions is also named as the distribution names its towns,
``city=Springfield (North)`` (``recommender.query.cities``). The users without a value of an
attribute (an empty cell of users.csv, no profile at all) are ``region=(no value)``, as the
portraits name them (``NO_VALUE``); ``region=`` stays an error, as likely a value left out.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import numpy as np
from numpy.typing import NDArray

from recommender.errors import InvalidParameterError, UnknownFilmError
from recommender.io.ids import unicode_form
from recommender.io.places import CITY
from recommender.io.text import (
    WHOLE_TEXT,
    did_you_mean,
    listing,
    plural,
    shown_number,
    value_order,
    whole_text,
)
from recommender.io.text import folded_name as folded_name  # where cli.input_checks finds it
from recommender.model.model import Model
from recommender.query.attribute_values import held, hidden_text, known_values, shown_values
from recommender.query.catalog import listed_segments, segment_labels
from recommender.query.cities import city_labels
from recommender.query.pages import resolve_tier
from recommender.query.privacy import min_cell_from_env
from recommender.query.title_parse import title_names
from recommender.query.titles import catalog_reading, normalise

Filters = Mapping[str, str | Sequence[str]]

#: how many valid names or values an error message lists before it only counts the rest
SHOWN_VALUES = 20
#: a filter's value for the users without a value of its attribute (any case), and how a
#: table, a portrait and a cut's name show them
NO_VALUE = "(no value)"


def parse_filters(items: Sequence[str] | None, name: str = "filter") -> dict[str, list[str]]:
    """``["region=North", "region=East", "age_band=25-34"]`` -> ``{"region": ["North",
    "East"], "age_band": ["25-34"]}`` (values of one attribute are alternatives).

    Raises ``InvalidParameterError`` for an item that is not ``ATTRIBUTE=VALUE`` with both
    sides non-empty; the message names the option as the caller spells it (``name``). An
    empty value (``region=``) is refused, not read as "no value" (a value left out by a typo
    or a shell variable would select other users): the message names ``NO_VALUE``'s spelling.
    """
    out: dict[str, list[str]] = {}
    for item in items or []:
        attribute, sep, value = item.partition("=")
        if not sep or not attribute or not value:
            hint = (f"; for the users without a value of {attribute.strip()}, give "
                    f"{attribute.strip()}={NO_VALUE}" if sep and attribute.strip() else "")
            raise InvalidParameterError(f"{name} expects ATTRIBUTE=VALUE, got {item!r}{hint}")
        out.setdefault(attribute, []).append(value)
    return out


def _listing(values: Sequence[str], limit: int = SHOWN_VALUES) -> str:
    """``values`` (already sorted) joined with ", "; past ``limit``, the first ``limit`` and a
    count of the rest."""
    return listing(values, limit) or "none"


def _resolve(given: str, known: Sequence[str], what: str, options: str, more: str = "") -> str:
    """``given`` itself when ``known`` holds it, else the one known value equal to it ignoring
    case, Unicode form (``folded_name``) and surrounding blanks (as a tier, a segment or a
    place is read); otherwise ``InvalidParameterError`` naming it (``what``, a format with one
    ``{}`` for it) and listing ``known`` (sorted, the first ``SHOWN_VALUES``) under
    ``options``, then ``more``."""
    if given in known or given.strip() in known:
        return given if given in known else given.strip()
    folded = folded_name(given.strip())
    matches = [v for v in known if folded_name(v) == folded]
    if len(matches) == 1:
        return matches[0]
    named = what.format(repr(given))
    if matches:
        # values that print alike (one NFC, one NFD) are told apart by the form's name
        forms = "" if all(v.casefold() == matches[0].casefold() for v in matches) else (
            " and Unicode form (" + ", ".join(f"{v!r} {unicode_form(v).split(',')[0]}"
                                              for v in sorted(matches)) + ")")
        reason = (f"{named} is ambiguous: it matches "
                  f"{' and '.join(repr(v) for v in sorted(matches))} ignoring case{forms}")
    else:
        reason = f"unknown {named}{did_you_mean(given, known)}"
    raise InvalidParameterError(f"{reason}; {options}: {_listing(value_order(known))}{more}")


def resolve_filters(model: Model, filters: Filters | None,
                    min_cell: int | None = None) -> dict[str, list[str]]:
    """``filters`` with every attribute name and value spelled as the model spells it.

    A name or value the model holds is kept; one that differs from exactly one known name or
    value only by case is replaced by it (``region=north`` -> ``region=North``). Anything else
    raises ``InvalidParameterError`` naming the attribute and the value and listing the valid
    ones (sorted, as numbers where all are: ``value_order``; the first ``SHOWN_VALUES`` and a
    count when there are more), so a misspelt
    filter fails instead of selecting nobody. A value held by fewer than ``min_cell`` users
    (default ``RECOMMENDER_MIN_CELL``: an email) is taken typed exactly only, and no message
    lists, suggests or quotes it (``attribute_values``); it is counted instead.
    """
    attrs = model.user_table.attributes
    cell = min_cell_from_env() if min_cell is None else min_cell
    out: dict[str, list[str]] = {}
    for given_name, wanted in (filters or {}).items():
        name = _resolve(given_name, list(attrs), "user attribute {}", "this model has")
        values = [wanted] if isinstance(wanted, str) else list(wanted)
        resolved = out.setdefault(name, [])
        shown = shown_values(model, name, cell)
        blank = shown.blank > 0
        known = list(shown.own)  # the values a message may name; an exact other is taken
        hidden = hidden_text(shown, cell)
        for value in values:
            what = "value {} for user attribute " + repr(name)
            valid = f"valid values of {name!r} are"
            more = (f"; and {NO_VALUE} for the users without one" if blank else "") + (
                f"; {hidden}" if hidden else "")
            if value.strip().casefold() == NO_VALUE:
                resolved.append(_no_value(model, name, value, known, blank, valid, hidden))
                continue
            if value == "" and blank:  # NO_VALUE resolved: resolving a resolved cut is a no-op
                resolved.append(value)
                continue
            exact = next((v for v in (value, value.strip()) if v and held(model, name, v)),
                         None)
            if exact is not None:  # typed as the users file spells it (blanks around aside)
                resolved.append(exact)
                continue
            if not known and not hidden:
                # not "valid values of 'cinema' are: none", read as a value called none
                raise InvalidParameterError(
                    f"unknown value {value!r} for user attribute {name!r}: no user has a "
                    f"value of {name!r}" + (f" ({name}={NO_VALUE} selects every user, all "
                                            "without one)" if blank else ""))
            if not known:  # every value hidden (an email column): none to list or suggest
                raise InvalidParameterError(
                    f"unknown value {value!r} for user attribute {name!r}: its {hidden}"
                    + (f"; {NO_VALUE} names the users without one" if blank else ""))
            try:
                resolved.append(_resolve(value, known, what, valid, more))
            except InvalidParameterError as e:
                if name != CITY or not shown.towns:
                    raise
                # a city of several regions by its region, as the distribution names it
                towns = list(shown.towns)
                try:
                    resolved.append(_resolve(value, towns, what, ""))
                except InvalidParameterError:
                    raise InvalidParameterError(
                        f"{e}; a city of several regions is also named with its region, as "
                        f"{towns[0]!r} ({len(towns):,} such towns)") from None
    return out


def _no_value(model: Model, name: str, value: str, known: Sequence[str], blank: bool,
              valid: str, hidden: str) -> str:
    """``""``, the value of the users without a value of attribute ``name``, for ``value``
    (``NO_VALUE`` in any case); ``InvalidParameterError`` when a user holds a value spelt so
    (which of them is meant is not clear) or when every user has a value (it would select
    nobody, as a misspelt value would). ``known``: the values a message may name;
    ``hidden``: what it says of the others."""
    same = [v for v in known_values(model, name).tolist() if v.strip().casefold() == NO_VALUE]
    if same:
        # one held by fewer than the minimum cell is not quoted
        spelt = f"the value {same[0]!r}" if same[0] in known else "a value spelt so"
        raise InvalidParameterError(
            f"value {value!r} for user attribute {name!r} is ambiguous: some users hold "
            f"{spelt}, and {NO_VALUE} also names the users without a value")
    if not blank:
        listed = f"{valid}: {_listing(value_order(known))}" if known else \
            "none of its values is listed"
        raise InvalidParameterError(
            f"every user has a value of {name!r}, so {name}={NO_VALUE} selects nobody; "
            f"{listed}" + (f"; {hidden}" if hidden else ""))
    return ""


def segment_listing(model: Model, min_cell: int | None = None) -> str:
    """Every segment ``GET /segments`` lists as ``0: Label (582 users)``, joined with "; ",
    and how many it withholds (``catalog.listed_segments``: fewer users than ``min_cell``,
    the server's setting, default ``RECOMMENDER_MIN_CELL``), for error messages."""
    cell = min_cell_from_env() if min_cell is None else min_cell
    sizes = np.bincount(np.asarray(model.segments.labels, np.int64), minlength=model.segments.n)
    listed = listed_segments(model, cell)
    parts = [f"{i}: {label} ({plural(int(sizes[i]), 'user', sep=',')})"
             for i, label in enumerate(segment_labels(model)) if listed[i]]
    if gone := int((~listed).sum()):
        parts.append(f"{plural(gone, 'segment', sep=',')} of fewer than "
                     f"{plural(cell, 'user', sep=',')} each not listed (the "
                     "minimum cell size, RECOMMENDER_MIN_CELL)")
    return "; ".join(parts)


def _named_labels(model: Model, min_cell: int | None) -> list[str]:
    """Each segment's label, folded, '' for a segment ``GET /segments`` withholds: a label is
    taken only where it is listed (probing labels would tell a withheld one's)."""
    listed = listed_segments(model, min_cell)
    return [label.casefold() if listed[i] else "" for i, label in
            enumerate(segment_labels(model))]


# a label named after a film ("Fans of American Werewolf in Paris, An (1997)", segments.py)
_FANS_OF = re.compile(r"^\s*fans\s+of\s+", re.IGNORECASE)


def _as_titled(text: str) -> str:
    """What a typed segment reads as beside a label named after a film: its title part (a
    leading "fans of" aside) as title search reads a query (``titles.catalog_reading``: an
    article written last moved to the front; else ``titles.normalise``)."""
    rest = _FANS_OF.sub("", text)
    return catalog_reading(rest) or normalise(rest)


#: how a segment label named after a film begins (segments.py): such a label is also taken by
#: the film's title as title search reads it (``_titled_forms``)
FANS_OF = "Fans of "
#: a segment parameter's words (the schema's): the forms ``resolve_segment`` takes
SEGMENT_WORDS = ("only users of this segment: its number or its label (any case; GET "
                 "/segments), or part of one label; a label named after a film ('Fans of "
                 "<title>') also by the film's title as title search reads it (case, accents "
                 "and punctuation aside, the article in front, left out or last, the year "
                 "optional: 'an american werewolf in paris 1997'), which the pattern does not "
                 "list: it then takes any text but a number out of range")


def _titled_forms(label: str, catalog_year: int = 0) -> set[str]:
    """The ways title search finds the film a label is named after ("Fans of <title>"; none
    for another label): each of its names (``title_parse.title_names``), normalised, with its
    article in front or without it, each with and without the year: the one in the title's
    parentheses (MovieLens), else ``catalog_year``, the catalog's year column, which search
    reads too (``_catalog_year``)."""
    if not label.startswith(FANS_OF):  # as segments.py writes it, no other label
        return set()
    names, year = title_names(label[len(FANS_OF):])
    year = year or catalog_year
    forms = {normalise(name) for pair in names for name in pair} - {""}
    return forms | ({f"{form} {year}" for form in forms} if year else set())


def _catalog_year(model: Model, segment: int) -> int:
    """The catalog's year of the film segment ``segment``'s label is named after: its first
    representative film, whose title ``segments.py`` puts in the label; 0 when unknown (no
    such film, another title, a film the model no longer holds)."""
    reps = model.segments.info[segment].get("representative_films") or []
    if not reps or not isinstance(reps[0], Mapping):
        return 0
    try:
        film = model.film_index(str(reps[0].get("film_id", "")))
    except UnknownFilmError:
        return 0
    if film >= len(model.catalog.years) or \
            segment_labels(model)[segment] != f"Fans of {model.film_labels[1][film]}":
        return 0
    return max(int(model.catalog.years[film]), 0)


def resolve_segment(model: Model, segment: int | str | None, min_cell: int | None = None
                    ) -> int | None:
    """A segment given by number (``3``, ``"3"``) or by label (``"heavy viewers (140
    films/user)"``: equal ignoring case, or else the one label that contains the text ignoring
    case; the labels of the segments ``GET /segments`` lists) -> its number; None stays None.
    Anything else raises ``InvalidParameterError`` listing those segments with their numbers,
    labels and sizes (``segment_listing``), all at ``min_cell`` (default the environment's).
    Failing those, a label named after a film ("Fans of American Werewolf in Paris, An
    (1997)") is also the film's title as title search takes it ("an american werewolf in
    paris", "American Werewolf in Paris 1997": ``_titled_forms``)."""
    if segment is None:
        return None
    n = model.segments.n
    # ASCII digits only: str.isdigit also takes "²" and a lstrip("-") takes "--1", and int()
    # refuses both; a number of 5,000 digits, which int() refuses too, is out of range
    if isinstance(segment, int) or WHOLE_TEXT.fullmatch(segment.strip()):
        number = segment if isinstance(segment, int) else whole_text(segment)
        if number is not None and 0 <= number < n:
            return number
        raise InvalidParameterError(
            f"segment must be in [0, {n - 1}], got {shown_number(segment)}; the segments "
            f"are: {segment_listing(model, min_cell)}")
    text = segment.strip()
    labels = _named_labels(model, min_cell)
    folded = text.casefold()
    exact = [i for i, label in enumerate(labels) if label and label == folded]
    partial = [i for i, label in enumerate(labels) if label and folded and folded in label]
    found = exact or partial or [
        i for i, (label, shown) in enumerate(zip(segment_labels(model), labels, strict=True))
        if shown and _as_titled(text) in _titled_forms(label, _catalog_year(model, i))]
    if len(found) == 1:
        return found[0]
    named = [label for label, shown in zip(segment_labels(model), labels, strict=True) if shown]
    reason = (f"segment {text!r} is ambiguous: it matches segments "
              f"{', '.join(map(str, found))}" if found else
              f"unknown segment {text!r}{did_you_mean(text, named)}")
    raise InvalidParameterError(
        f"{reason}; give a number or a label: {segment_listing(model, min_cell)}")


def cut_text(model: Model, segment: int | str | None, filters: Filters | None,
             tier: str | None = None, min_cell: int | None = None) -> str:
    """An audience's cut as the model names it, whatever the spelling given (case, blanks, a
    label's part), for a message: ``core ring, segment 3 (Drama fans), region=North|East``;
    empty for none; read at ``min_cell`` (default the environment's)."""
    seg = resolve_segment(model, segment, min_cell)
    parts = [] if tier is None else [f"{resolve_tier(tier)} ring"]
    parts += [] if seg is None else [f"segment {seg} ({segment_labels(model)[seg]})"
                                     if listed_segments(model, min_cell)[seg]
                                     else f"segment {seg}"]
    parts += [f"{a}={'|'.join(x or NO_VALUE for x in v)}"
              for a, v in resolve_filters(model, filters, min_cell).items()]
    return ", ".join(parts)


def candidate_mask(
    model: Model,
    segment: int | str | None = None,
    filters: Filters | None = None,
    min_cell: int | None = None,
) -> NDArray[np.bool_] | None:
    """Users allowed by a segment and attribute filters (None when there is no filter).

    ``segment`` is a number or a label (``resolve_segment``). ``filters`` maps an attribute
    name (e.g. ``region``, ``age_band``) to one value or a list; names and values are resolved
    by ``resolve_filters`` (case-insensitive where unambiguous, else ``InvalidParameterError``
    listing the valid ones), both at ``min_cell`` (default the environment's).
    """
    mask: NDArray[np.bool_] | None = None
    number = resolve_segment(model, segment, min_cell)
    if number is not None:
        mask = np.asarray(model.segments.labels) == number
    attributes = model.user_table.attributes
    for name, values in resolve_filters(model, filters, min_cell).items():
        m = np.isin(np.asarray(attributes[name]), values)
        if name == CITY and (labels := city_labels(model)) is not None:
            m |= np.isin(labels, values)  # Springfield (North): that town's users
        mask = m if mask is None else mask & m
    return mask
