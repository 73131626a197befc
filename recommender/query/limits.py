"""Bounds the CLI and the service share: paging through answers, and the server's workers.

One definition of each.

Kept free of heavy imports: the CLI's argument parser reads them before any command runs.
"""

from __future__ import annotations

MAX_OFFSET = 2**31 - 1
"""The most ranks (or rows) a page may skip: ``offset`` over HTTP, ``--offset`` on the CLI."""

MAX_QUERY = 1000
"""The most characters a title search's query may hold: ``query`` over HTTP, ``search``'s QUERY
on the CLI (it searched a longer one, which the service refuses with 422)."""

MAX_WATCHED = 10_000
"""The most films a watch list may name (``recommend --watched``, ``POST /recommendations``):
more than any viewer's history, and a bound on the fold-in's work per request."""

MAX_COMPARABLE_FILMS = 100
"""The most comparable films a new film may be described by (``comparable_film_ids``, a list or
``{id: weight}``, of ``POST /audiences/cold-start`` and ``POST /distribution/cold-start``;
``--like`` of ``cold-start`` and ``distribution``) unless ``RECOMMENDER_MAX_COMPARABLE_FILMS``
says another: the distribution mixes each one's calibration over every user, so its cost grows
with their number (200 films on 160,000 users took some 6 s), and a few films describe one."""
MAX_COMPARABLE_FILMS_ENV = "RECOMMENDER_MAX_COMPARABLE_FILMS"

MAX_WORKERS = 256
"""The most worker processes one ``recommender serve`` starts: each loads the model and its
caches, so a slip (``--workers 100000``) forked until the machine ran out of processes and
memory, with no word."""
