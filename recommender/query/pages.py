"""One page of a ranked audience, and the rings (tiers) of a ranking by rank and by name.

A ring's bounds by rank (``tier_bounds``), each rank's tier (``tier_of``), a ring by name in
any case (``resolve_tier``, ``ring_info``).

Every audience (a film's, lookalikes, cold start) is returned as an ``AudiencePage``; its
``columns`` are the JSON values of its rows, rounded by :mod:`recommender.query.render`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from recommender.errors import AboveLimitError, InvalidParameterError
from recommender.io.text import did_you_mean, plural
from recommender.kernels.ranking import tied_rows
from recommender.model.config import DEFAULT_TIERS, check_tiers
from recommender.query.id_titles import film_names
from recommender.query.page_size import MAX_K, MAX_K_ENV, above_the_servers, served_max_k
from recommender.query.render import percentile_values, score_values

if TYPE_CHECKING:
    from recommender.model.model import Model

Tiers = Sequence[tuple[str, float]]
UNRANKED = ("nothing fitted ties this film to the users (e.g. every viewer rated it below the "
            "model's min_rating): every candidate scores the same (or, in LMF, by their own "
            "bias alone), so its rings hold users in no meaningful order and their "
            "conversions say nothing of them; rank it by genre (cold start)")
UNRANKED_QUERY = ("nothing fitted ties the seed users or the comparable films and genres to the "
                  "others: every candidate scores the same, or by something other than taste "
                  "(in BPR and LMF, a user's own bias or the length of their vector), so the "
                  "users are in no meaningful order and the rings' conversions say nothing of "
                  "them")
#: a lookalike page's: it has no conversions, its rings only the order of likeness
UNRANKED_LOOKALIKE = ("nothing fitted ties the seed users to the others: every candidate "
                      "scores the same, or by something other than taste (in BPR and LMF, a "
                      "user's own bias or the length of their vector), so the users are in "
                      "no meaningful order and their ranks and rings say nothing of who is "
                      "most like the seeds")


LEARNED_NOTHING = ("the model learned nothing usable from its log (too few interactions per "
                   "user: its taste vectors collapsed to about zero, meta.json's "
                   "learned_nothing): every score here is ~0, below what float32 resolves at "
                   "the fit's target of 1, so the order is a tie-break (rounding noise, or "
                   "index; in recommendations from a model with a popularity prior, that "
                   "prior), not taste; retrain on a log with several interactions per user")


# the min_rating examples of the notes of rankings with nothing fitted (these, ``recommend``'s,
# a plan's), which ``for_model`` leaves out for a model without a min_rating
MIN_RATING_EXAMPLES = (" (e.g. every viewer rated it below the model's min_rating)",
                       "none of their ratings reaches the model's min_rating, or ")


def for_model(note: str | None, model: Model) -> str | None:
    """``note`` as ``model`` may say it: without its min_rating example when the model has no
    min_rating (no rating was left out of its fit: a film in the catalog that nobody watched
    has nothing fitted there). Every note of a ranking with nothing fitted passes here, so a
    model that learned nothing (``Model.learned_nothing``) says ``LEARNED_NOTHING`` instead,
    in every answer that has one (audiences, lookalikes, cold start, recommendations,
    comparable films; the CLI's and the service's alike)."""
    if note is not None and model.learned_nothing:
        return LEARNED_NOTHING
    params = model.meta.get("params")
    if note is None or isinstance(params, dict) and params.get("min_rating") is not None:
        return note
    for example in MIN_RATING_EXAMPLES:
        note = note.replace(example, "")
    return note


def tie_note(scores: NDArray[np.floating], film_id: str | None, unfitted: bool = False
             ) -> str | None:
    """The note of a ranking in no meaningful order: its candidates (``scores`` above -inf)
    all score the same, or its vector has nothing fitted (``unfitted``:
    ``Model.nothing_fitted``, which sees past BPR's and LMF's bias columns). ``UNRANKED`` for
    a film's audience, ``UNRANKED_QUERY`` for lookalikes and cold start (``film_id`` None;
    ``lookalikes`` says its own, ``UNRANKED_LOOKALIKE``); None for a ranking by score."""
    if not unfitted and not tied_rows(scores):
        return None
    return UNRANKED if film_id is not None else UNRANKED_QUERY


@dataclass
class AudiencePage:
    """One page of a ranked audience. Arrays are aligned; ``total`` counts every candidate
    (after exclusions and filters; within ``ring`` when one ring was asked for), so pages can
    walk the whole ranking (or the ring)."""

    film_id: str | None
    user_idx: NDArray[np.int64]
    user_ids: NDArray[np.str_]
    rank: NDArray[np.int64]
    score: NDArray[np.float32]
    percentile: NDArray[np.float64]
    tier: list[str | None]
    segment: NDArray[np.int64]
    total: int
    offset: int
    k: int
    # the ring the page walks (``tier=``): {"tier", "rank_range", "size"}; None: the whole
    # ranking
    ring: dict[str, Any] | None = None
    # why the ranking is in no meaningful order (every candidate scores the same); None when
    # it is ranked (``tie_note``)
    note: str | None = None
    # why a film's audience lists nobody at all (``total`` 0: ``empty_note``); None otherwise
    empty: str | None = None
    # the film's title and year as the catalog has them ('' and None when it has none), and
    # the other films whose title its id is (``named_film``); None for lookalikes, cold start
    title: str | None = None
    year: int | None = None
    also_titled: list[str] | None = None
    # a query's own fields after the page's (lookalikes: seeds_used, unfitted_seed_ids; cold
    # start: comparable_films, unfitted_film_ids, genres; both: tied, whether the note is the
    # tie's), None for a film's audience
    extra: dict[str, Any] | None = None

    # a row's fields, in order; ``columns`` holds the rules of their values (one source for
    # ``rows``, hence ``to_json``, and for the service's byte renderer)
    FIELDS: ClassVar[tuple[str, ...]] = ("user_id", "rank", "score", "percentile", "tier",
                                         "segment")

    def columns(self) -> list[list[Any]]:
        """The rows' JSON values column by column, in ``FIELDS`` order: user ids, ranks,
        scores rounded to 6 digits, percentiles rounded to 4, tiers (None: no tier) and
        segments, as Python str / int / float / None (no indices)."""
        # .tolist() converts each column to Python ints/floats/strs in C (the same values
        # int()/float() give element by element, several times faster)
        return [np.asarray(self.user_ids).tolist(), np.asarray(self.rank, np.int64).tolist(),
                score_values(self.score), percentile_values(self.percentile),
                list(self.tier), np.asarray(self.segment, np.int64).tolist()]

    def rows(self) -> list[dict[str, Any]]:
        """JSON-ready rows: user_id, rank, score, percentile, tier, segment (no indices)."""
        fields = self.FIELDS
        return [dict(zip(fields, values, strict=True))
                for values in zip(*self.columns(), strict=True)]

    def body(self, users: Any) -> dict[str, Any]:
        """The JSON object of the page with ``users`` in the place of its rows: film_id,
        title, year, also_titled, users, total, offset, k, ring, note, empty (and a query's
        ``extra`` fields)."""
        film_id = None if self.film_id is None else str(self.film_id)
        return {"film_id": film_id, "title": self.title, "year": self.year,
                "also_titled": self.also_titled, "users": users, "total": self.total,
                "offset": self.offset, "k": self.k, "ring": self.ring, "note": self.note,
                "empty": self.empty, **(self.extra or {})}

    def to_json(self) -> dict[str, Any]:
        """The page as the audience endpoint's JSON body (and ``audience --json``)."""
        return self.body(self.rows())

    def shown_text(self, filtered: bool = False) -> str:
        """What the page shows, in words, for a header line: ``showing ranks 11-20``; for a
        ``filtered`` page (segment or attribute filter), whose rows are scattered over the
        whole ranking, ``showing 2 users (global ranks 48-511) of 120 matching the filter``
        (with ``matches 7-8, `` in the brackets past the first page); for a page past the
        end, ``no users at ranks 5001+ (the ranking has 4,200 candidates)``; for an audience
        of nobody, why (``empty``)."""
        n, first = len(self.user_idx), self.offset + 1
        if self.empty is not None:
            return self.empty
        if self.ring is not None and not filtered:
            name, size = self.ring["tier"], self.ring["size"]
            if n == 0:
                return (f"no users at {name} ring users {first}+ (the ring has {size:,} "
                        f"user{'' if size == 1 else 's'})")
            lo, hi = int(self.rank[0]), int(self.rank[-1])
            return f"showing {name} ring users {first}-{self.offset + n} (ranks {lo}-{hi})"
        if not filtered:
            if n == 0:
                return (f"no users at ranks {first}+ (the ranking has {self.total:,} "
                        f"candidate{'' if self.total == 1 else 's'})")
            return f"showing ranks {first}-{self.offset + n}"
        if n == 0:
            if self.total == 0:  # in a ring, the filter may match candidates outside it
                return ("no candidate matches the filter" if self.ring is None else
                        f"no candidate of the {self.ring['tier']} ring matches the filter")
            return (f"no users at matches {first}+ ({self.total:,} candidate"
                    f"{' matches' if self.total == 1 else 's match'} the filter)")
        ranks = np.asarray(self.rank, np.int64)
        lo, hi = int(ranks.min()), int(ranks.max())
        where = f"global rank {lo}" if lo == hi else f"global ranks {lo}-{hi}"
        if self.offset:
            where = (f"match {first}" if n == 1 else f"matches {first}-{self.offset + n}"
                     ) + f", {where}"
        return (f"showing {n} user{'' if n == 1 else 's'} ({where}) of {self.total:,} "
                f"matching the filter")

    def ring_text(self) -> str:
        """The ring the page walks, for a header line (``core ring: ranks 1-21 (21 users); ``),
        empty for the whole ranking."""
        r = self.ring
        if r is None:
            return ""
        if not r["rank_range"]:
            return f"{r['tier']} ring: empty; "
        return (f"{r['tier']} ring: ranks {r['rank_range'][0]}-{r['rank_range'][1]} "
                f"({plural(int(r['size']), 'user', sep=',')}); ")


def named_film(model: Model, page: AudiencePage, f: int) -> AudiencePage:
    """``page``, the audience of film index ``f``, given the film's title and year as the
    catalog has them and ``also_titled``: the other films whose title its id is
    (``id_titles.film_names``, as every per-film answer names its film), None when none. The id
    is the film answered for (MovieLens film 300 is Quiz Show; 300 (2007) has another id),
    and the JSON said only the id: a caller who typed "300" meaning the 2007 film could not
    tell."""
    names = film_names(model, f)
    page.title, page.year, page.also_titled = names["title"], names["year"], \
        names["also_titled"]
    return page


def empty_note(candidates: int, ring: dict[str, Any] | None = None, matching: int = 0,
               cut: str = "") -> str:
    """Why a film's audience lists nobody (its ``total`` is 0), in words: no candidate (every
    user has watched the film), an empty ``ring``, or a filter (``cut``, as
    ``filters.cut_text`` names it) that matches no candidate, or ``matching`` candidates,
    none of them in ``ring``."""
    if candidates == 0:
        return "no candidate: every user the model knows has already watched the film"
    if ring is not None and not ring["size"]:
        return (f"the {ring['tier']} ring is empty (the ranking has "
                f"{plural(candidates, 'candidate', sep=',')})")
    if ring is not None and matching:
        return (f"the filter ({cut}) matches nobody in the {ring['tier']} ring "
                f"({plural(matching, 'candidate', sep=',')} outside it "
                f"{'does' if matching == 1 else 'do'})")
    return f"the filter ({cut}) matches no candidate"


def check_served_k(k: int, offset: int = 0) -> None:
    """``check_k`` against ``served_max_k``, the bound of the HTTP answer, for the CLI: the
    message names the option and the variable ("k must be in [1, 10000]" named neither,
    while ``--k 0`` was told "argument --k/-k: expected a number >= 1")."""
    max_k = served_max_k()
    if k > max_k:
        raise above_the_servers("--k/-k", k, max_k, "the largest page", MAX_K_ENV)
    check_k(k, offset, max_k)


def check_export_k(k: int) -> None:
    """An export's ``k`` (``audiences``, ``recommend --out``): any number >= 1, a ``k`` above
    the candidates listing them all. An export streams per batch of films or users, each
    block ``batch x min(k, candidates)`` wide, no wider than the block's own scores."""
    if k < 1:
        raise InvalidParameterError(f"k must be >= 1, got {k}")


def check_k(k: int, offset: int = 0, max_k: int = MAX_K) -> None:
    if k > max_k >= 1:  # the service names the setting (RECOMMENDER_MAX_K)
        raise AboveLimitError("k", k, max_k, f"k must be in [1, {max_k}], got {k}")
    if not 1 <= k <= max_k:
        raise InvalidParameterError(f"k must be in [1, {max_k}], got {k}")
    if offset < 0:
        raise InvalidParameterError(f"offset must be >= 0, got {offset}")


def tier_bounds(total: int, tiers: Tiers = DEFAULT_TIERS) -> list[tuple[str, int, int]]:
    """(name, first rank, last rank) of each tier among ``total`` ranked candidates.

    Tier i ends at rank ceil(total x cumulative share / 100); a tier can be empty when the
    audience is small. Ranks after the last tier belong to no tier.
    """
    check_tiers(tuple(tiers))
    out: list[tuple[str, int, int]] = []
    start, cum = 1, 0.0
    for name, share in tiers:
        cum += share
        end = min(total, math.ceil(total * cum / 100 - 1e-9))
        out.append((name, start, end))
        start = max(start, end + 1)
    return out


def resolve_tier(tier: str, tiers: Tiers = DEFAULT_TIERS) -> str:
    """The name of one of ``tiers`` given in any case; else ``InvalidParameterError`` listing
    the tier names."""
    names = [name for name, _ in tiers]
    found = [name for name in names if name.casefold() == tier.strip().casefold()]
    if len(found) != 1:
        if several := _several_rings(tier, names):
            raise InvalidParameterError(f"tier {tier!r} names several rings; {several}; the "
                                        f"tiers are: {', '.join(names)}")
        whole = ("; 'all' (the whole ranking) is no one ring: leave the tier out for every "
                 "candidate" if tier.strip().casefold() == "all" else "")
        near = "" if whole else did_you_mean(tier, names)
        raise InvalidParameterError(f"unknown tier {tier!r}{near}{whole}; the tiers are: "
                                    f"{', '.join(names)}")
    return found[0]


def _several_rings(tier: str, names: Sequence[str]) -> str:
    """For a ``tier`` of several tier names (joined by ',', '+' or blanks, as a summary's
    portrait takes adjacent ones: ``portrait_scope``), what a list offers instead; else ''.
    A list shows one ring at a time; the ranking with no tier runs through the rings in
    order, each row's ``tier`` naming its ring, so adjacent rings are a stretch of it."""
    parts = [t.casefold() for t in re.split(r"[,+\s]+", tier.strip()) if t]
    folded = [n.casefold() for n in names]
    if len(parts) < 2 or not set(parts) <= set(folded):
        return ""
    pos = sorted({folded.index(t) for t in parts})
    one = "a list shows one ring at a time (a summary's portrait takes adjacent rings)"
    if pos != list(range(pos[0], pos[-1] + 1)):
        return f"{one}: list each with its own tier"
    first, last = names[pos[0]], names[pos[-1]]
    together = " and ".join(names[pos[0]:pos[-1] + 1])
    if pos[0] == 0:
        return (f"{one}; for {together} together, leave the tier out: the ranking runs from "
                f"rank 1 through the rings in order, each row's tier naming its ring, to the "
                f"{last} ring's last rank (its rank_range, shown with the tier {last} alone); "
                f"without a segment or filter, k equal to that rank lists exactly {together}")
    return (f"{one}; for {together} together, leave the tier out: the ranking runs through "
            f"the rings in order, each row's tier naming its ring; read it from the {first} "
            f"ring's first rank to the {last} ring's last (their rank_range, shown with each "
            f"tier alone); without a segment or filter, offset the first rank less 1 and k "
            f"the ranks between list exactly {together}")


def ring_info(name: str, total: int, tiers: Tiers = DEFAULT_TIERS) -> dict[str, Any]:
    """``{"tier", "rank_range", "size"}`` of the ring ``name`` among ``total`` candidates
    (``rank_range`` None when the ring is empty)."""
    _, start, end = next(b for b in tier_bounds(total, tiers) if b[0] == name)
    size = max(0, end - start + 1)
    return {"tier": name, "rank_range": [start, end] if size else None, "size": size}


def tier_of(ranks: NDArray[np.int64], total: int, tiers: Tiers = DEFAULT_TIERS
            ) -> list[str | None]:
    bounds = tier_bounds(total, tiers)
    ends = np.array([e for _, _, e in bounds])
    pos = np.searchsorted(ends, ranks, side="left")
    names = [n for n, _, _ in bounds]
    return [names[p] if p < len(names) else None for p in pos.tolist()]
