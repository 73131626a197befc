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
