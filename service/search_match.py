"""The HTTP models of how a search result matched its query (``GET /films``'s ``match``)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from service.sent import Sent

#: how a film matched a query (``recommender.query.search_kinds.KINDS``)
SearchKind = Literal["title", "title_start", "words", "inside", "typo", "similar", "year",
                     "film_id", "all"]


class TypoFix(Sent):
    typed: str = Field(description="a word of the query, normalised (accents, case and "
                                   "punctuation aside)")
    title_word: str = Field(description="the word of the film's title it was read as")
    edits: int = Field(ge=1, le=2, description="letters inserted, deleted, replaced or "
                                               "swapped: 1, or 2 in a word of 8 letters or more")


class SearchMatch(Sent):
    """How a film matched the query (``recommender.query.title_match``)."""

    kind: SearchKind = Field(
        description="how the query met the film's titles (alternative titles included), "
                    "best first: title (the query is a whole title), title_start (a title "
                    "starts with it), words (every query word is a word of a title, the last "
                    "possibly unfinished), inside (it is inside a title), typo (read with "
                    "words corrected: one edit, or two in a word of 8 letters or more, ranked "
                    "below one), similar (letter-trigram similarity only). Also year (the "
                    "query is only a year: a film of that year, ranked as words), film_id "
                    "(the query is the film's id: ranked between title and title_start) and "
                    "all (an empty query lists every film). A year the query ends with "
                    "that is the film's ranks it above films one kind better (a title_start "
                    "of that year above a title of another: see year_matched)")
    words: list[str] = Field(description="query words found in a title as typed (a word, "
                                         "the start of one, or words written together; "
                                         "empty for film_id, as are corrected and "
                                         "unmatched)")
    corrected: list[TypoFix] = Field(description="query words found with a typo corrected")
    unmatched: list[str] = Field(description="query words found neither way (a year the "
                                             "query ends with is reported by year instead)")
    year: int | None = Field(description="the year the query ends with (four digits, "
                                         "1880-2099), null when none, and null where that "
                                         "number is a word of the film's name and not its "
                                         "year (\"blade runner 2049\")")
    year_matched: bool | None = Field(description="whether that year is the film's (false "
                                                  "when the film's year is unknown), null "
                                                  "without a year")
    exact_id: bool = Field(description="whether the query, as sent (else stripped of "
                                       "surrounding blanks), is this film's id byte for byte: "
                                       "that film is listed before the films whose ids it is "
                                       "but for leading zeros or Unicode form (kind film_id "
                                       "too: \"7\" lists film 7 before film 007)")
