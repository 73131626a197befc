"""Oracles for the title tests: ``id_titles.names_holding`` as it was before its index (a prefilter
on the whole text, then a Python loop over every title), ml-latest-small's titles read in
place (a test skips where the shared datasets are absent), and a catalog where a film's id is
other films' title, with what it says of each film (``planted_catalog``, ``named_in``)."""

from __future__ import annotations

import csv
import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from service_fixtures import build_model

from recommender.model import artifact
from recommender.query.titles import (
    _AS_DIGITS,
    _DIGIT_WORD,
    _NOT_WORD,
    _YEAR_AT_END,
    normalise,
    numerals_as_digits,
)


def old_names_holding(titles: Sequence[str], word: str) -> list[int]:
    """``id_titles.names_holding`` as it was: a prefilter on the whole text, then each title."""
    forms = {word, numerals_as_digits(word)}
    digits = any(c.isdigit() for w in forms for c in w)
    text = normalise(" ".join(titles))
    whole = text.replace(" ", "") + (" " + _DIGIT_WORD.sub(
        lambda m: _AS_DIGITS[m.group(1)], text).replace(" ", "") if digits else "")
    if not any(w in whole for w in forms):
        return []
    rows = []
    for i, title in enumerate(titles):
        m = _YEAR_AT_END.search(title)
        name = title[:m.start()] if m and m.start() > 0 else title
        text = name.lower().replace("&", " and ") if name.isascii() else normalise(name)
        compact = [_NOT_WORD.sub("", text)] + ([_NOT_WORD.sub("", _DIGIT_WORD.sub(
            lambda m: _AS_DIGITS[m.group(1)], text))] if digits else [])
        if any(w in c for w in forms for c in compact):
            rows.append(i)
    return rows


def movielens_titles(shared_datasets: Path) -> tuple[list[str], list[int]]:
    """ml-latest-small's titles and each one's year at its end (0: none), or the test skipped."""
    path = shared_datasets / "ml-latest-small" / "movies.csv"
    if not path.is_file():
        pytest.skip(f"{path} not found")
    with open(path, encoding="utf-8", newline="") as f:
        names = [row["title"] for row in csv.DictReader(f)]
    return names, [int(t.rstrip(") ")[-4:]) if t.rstrip(") ")[-4:].isdigit() else 0
                   for t in names]


PLANTED_ID = "00003"  # a film's id, and the title of two other films
# film id: (title, year) planted over the service-test catalog
PLANTED = {PLANTED_ID: ("Quiz Show", 1994), "00005": (PLANTED_ID, 2007),
           "00009": (f"{PLANTED_ID} (2001)", 2001),
           "00008": (f"{PLANTED_ID} Reloaded", 2010),  # starts with the id: no title of that name
           "00004": ("Heat", 0)}  # no year known


def planted_catalog(folder: Path) -> tuple[Path, list[str], list[str], list[int]]:
    """(model folder, film ids, titles, years) of the service-test model (``build_model``)
    with ``PLANTED``'s titles and years, saved under ``folder``."""
    m = build_model(seed=1)
    ids = [str(i) for i in m.films.ids.tolist()]
    titles = [str(t) for t in m.catalog.titles.tolist()]
    years = [int(y) for y in m.catalog.years.tolist()]
    for film, (title, year) in PLANTED.items():
        titles[ids.index(film)], years[ids.index(film)] = title, year
    cat = dataclasses.replace(m.catalog, titles=np.array(titles, dtype=str),
                              years=np.array(years, dtype=np.asarray(m.catalog.years).dtype))
    return artifact.save(dataclasses.replace(m, catalog=cat), folder / "model"), ids, titles, \
        years


def named_in(ids: list[str], titles: list[str], years: list[int], film_id: str
             ) -> dict[str, Any]:
    """What the catalog says of ``film_id``: its title and year, and the films titled with
    it (as a whole, or with their own year after it), each "ID TITLE (YEAR)", sorted."""
    own = ids.index(film_id)
    others = sorted(f"{ids[i]} {title}" + (f" ({years[i]})" if str(years[i]) not in title
                                           else "")
                    for i, title in enumerate(titles)
                    if i != own and title in (film_id, f"{film_id} ({years[i]})"))
    return {"title": titles[own], "year": years[own] or None, "also_titled": others or None}


def names_said(body: dict[str, Any]) -> dict[str, Any]:
    """An answer's title, year and also_titled (sorted), to compare with ``named_in``."""
    others = body["also_titled"]
    return {"title": body["title"], "year": body["year"],
            "also_titled": None if others is None else sorted(others)}
