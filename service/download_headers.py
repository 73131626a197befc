"""The file name and note headers of an audience CSV download, one source for every route.

A film's audience (``GET /films/{id}/audience.csv``) and a new film's (``POST
/audiences/cold-start.csv``) name their file by the same cut (ring, segment, pseudonyms, page)
and send the notes a CSV row cannot carry as headers, each escaped by ``header_text``: a note
names films by their ids, which may hold any character.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from recommender.query.filters import resolve_segment
from recommender.query.pages import AudiencePage
from service.filenames import attachment

#: what the OpenAPI entries say of a note header's characters
ESCAPED = "characters other than printable ASCII escaped as Python writes them"


def header_text(text: str) -> str:
    """``text`` as a header value: printable ASCII kept, any other character escaped as
    Python writes it (``\\xe9``, ``\\n``): a note names films by their ids, which may hold
    any character, and a header value is latin-1 without line breaks."""
    return "".join(c if " " <= c <= "~" else ascii(c)[1:-1] for c in text)


def header_schema(what: str) -> dict[str, Any]:
    """A response header's OpenAPI entry: a string described by ``what``."""
    return {"description": what, "schema": {"type": "string"}}


def cut_parts(model: Any, page: AudiencePage, segment: str | int | None, pseudonymized: bool,
              offset: int, between: Sequence[str] = (), min_cell: int | None = None
              ) -> list[str]:
    """The words of a download's file name after its subject: the page's ring and segment
    as the model names them (``segment`` as the request spelt it), ``between`` (a film's
    filters, ``with_viewers``), ``pseudonymized`` and the first rank of a later page (empty
    words are left out by ``attachment``); the segment read at ``min_cell``, the server's."""
    number = resolve_segment(model, segment, min_cell)
    return [page.ring["tier"] if page.ring else "",
            f"segment{number}" if number is not None else "", *between,
            "pseudonymized" if pseudonymized else "", f"from{offset + 1}" if offset else ""]


def download_headers(name: Sequence[str], notes: Mapping[str, str | None],
                     ids: Sequence[int] = ()) -> dict[str, str]:
    """A CSV download's headers: ``Content-Disposition`` naming it by ``name`` (its words;
    ``ids``: the indices of those that are ids, tagged where their safe form loses
    something: ``attachment``), and each of ``notes`` that says something, by
    ``header_text``."""
    headers = {"Content-Disposition": attachment(name, "film", ids=ids)}
    headers.update({header: header_text(value) for header, value in notes.items() if value})
    return headers
