"""A small model whose ids and titles are CSV-injection payloads (for the CSV safety tests).

The service-test model (``service_fixtures.build_model``) with some user ids, one film id and
one title replaced by cells a spreadsheet would run as formulas.
"""

from __future__ import annotations

import dataclasses
from functools import cache

import numpy as np

from recommender.io.ids import IdMap
from recommender.model.model import Model

HOSTILE_USERS = ["=HYPERLINK(\"http://evil\",\"x\")", "+1+2", "-3", "@SUM(A1:A9)", "\tTAB",
                 "\rCR"]
HOSTILE_FILM = "=cmd|' /C calc'!A0"
HOSTILE_TITLE = "-2+3+cmd|' /C calc'!A0"


@cache
def hostile_model() -> Model:
    from service_fixtures import build_model

    model = build_model(seed=4)
    users = model.users.ids.astype(object)
    users[:len(HOSTILE_USERS)] = HOSTILE_USERS
    films = model.films.ids.astype(object)
    films[2] = HOSTILE_FILM
    titles = np.asarray(model.catalog.titles).astype(object)
    titles[3] = HOSTILE_TITLE
    catalog = dataclasses.replace(model.catalog, film_ids=np.asarray(films, dtype=str),
                                  titles=np.asarray(titles, dtype=str))
    user_table = dataclasses.replace(model.user_table, user_ids=np.asarray(users, dtype=str))
    return dataclasses.replace(model, users=IdMap(np.asarray(users, dtype=str)),
                               films=IdMap(np.asarray(films, dtype=str)), catalog=catalog,
                               user_table=user_table)


#: cells a spreadsheet that splits a CSV file on ``;`` or tabs (Excel in German, French,
#: Spanish, Italian or Dutch settings), or ends a row at any line break, reads as formulas
#: after the separator; and a full-width sign first (a NUL first is tested on the rule alone:
#: a saved model reads an id that begins with one as "", and no input file holds one)
SEPARATOR_USERS = ["x;=1+1", "a;\"=2+2", "b\t@SUM(A1)", "c\n-3", "d;\uff1d4", "\uff0d5",
                   "\uff0b6", "e\r\n+7", "f;'g", "h;;-1"]
SEPARATOR_FILM = "x;=1+1"
SEPARATOR_TITLE = "a;=2+2"
SEPARATOR_FILM_AT = 5  # the film given both: a download of it starts and ends a row with them


@cache
def separator_model() -> Model:
    """``hostile_model`` with the first users after its hostile ones, film 5 and film 5's
    title replaced by the separator payloads."""
    model = hostile_model()
    at = slice(len(HOSTILE_USERS), len(HOSTILE_USERS) + len(SEPARATOR_USERS))
    users = model.users.ids.astype(object)
    users[at] = SEPARATOR_USERS
    films = model.films.ids.astype(object)
    films[SEPARATOR_FILM_AT] = SEPARATOR_FILM
    titles = np.asarray(model.catalog.titles).astype(object)
    titles[SEPARATOR_FILM_AT] = SEPARATOR_TITLE
    catalog = dataclasses.replace(model.catalog, film_ids=np.asarray(films, dtype=str),
                                  titles=np.asarray(titles, dtype=str))
    user_table = dataclasses.replace(model.user_table, user_ids=np.asarray(users, dtype=str))
    return dataclasses.replace(model, users=IdMap(np.asarray(users, dtype=str)),
                               films=IdMap(np.asarray(films, dtype=str)), catalog=catalog,
                               user_table=user_table)


#: first characters the rule quotes, and after a separator (less a tab and a CR) too
CSV_FIRST = {"=", "+", "-", "@", "\t", "\r", "\x00", "\uff1d", "\uff0b", "\uff0d", "\uff20", "'"}
CSV_SEPARATORS = {";", "\t", "\r", "\n"}


def csv_rule(text: str) -> str:
    """``csvsafe``'s rule written out character by character (the tests' oracle): a quote
    before a character of CSV_FIRST (a tab and a CR aside) that a separator, or a separator
    and one double quote, comes before; then one at the start when the text begins with a
    character of CSV_FIRST (OWASP's rule; a quote first is quoted so that it can be undone)."""
    out = []
    for i, ch in enumerate(text):
        after = text[i - 1:i] in CSV_SEPARATORS or (
            text[i - 1:i] == '"' and i >= 2 and text[i - 2] in CSV_SEPARATORS)
        if after and ch in CSV_FIRST - {"\t", "\r"}:
            out.append("'")
        out.append(ch)
    done = "".join(out)
    return "'" + done if done[:1] in CSV_FIRST else done
