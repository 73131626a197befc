"""Film arguments that are titles, not ids: the unknown-id error lists the titles they match."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from recommender.errors import UnknownFilmError
from recommender.io.ids import IdMap
from recommender.model.kept import Kept
from recommender.query.title_parse import article_in_front, names_of

if TYPE_CHECKING:
    from recommender.model.model import Model

HINT_MATCHES = 5
HINT_IDS = 5  # films of one error given the titles they match
#: the most characters of a film argument the title search of its hint reads (more when the
#: model's longest title and a year need more): a 60 KB id of short words took 1-1.5 s of CPU
HINT_QUERY_CHARS = 200


def title_hint(model: Model, film_id: str, besides: Sequence[str] = ()) -> str:
    """"; it matches titles: ID TITLE (YEAR), ..." (the best ``HINT_MATCHES`` search hits,
    then "and N more" when the search finds more: six films called Hamlet listed five, as if
    there were no other) for a film argument that is not an id, or "" when no title matches
    it (a blank argument matches none: the search would list any film). ``besides``: the
    films already named as those the argument is the title of (``titled_hint``), left out
    ("; it also matches titles: ..." the others; `audience MODEL hamlet` listed the five
    Hamlets twice, in two orders)."""
    from recommender.query.catalog import film_fields, search_films, with_year

    if not film_id.strip():
        return ""
    skip = set(besides)
    total, rows = search_films(model, hint_query(model, film_id),
                               limit=HINT_MATCHES + len(skip))
    others = [r for r in rows if r["film_id"] not in skip]
    total -= len(rows) - len(others)  # a film's exact title ranks first: all on this page
    rows = others[:HINT_MATCHES]
    if not rows:
        return ""
    fields = film_fields(model, np.array([model.film_index(r["film_id"]) for r in rows]))
    shown = [f"{fid} {with_year(title, year)}" for fid, title, year, _ in fields]
    more = (f" and {total - len(rows):,} more (search for it to see them)"
            if total > len(rows) else "")
    return f"; it {'also ' if skip else ''}matches titles: " + ", ".join(shown) + more


def hint_query(model: Model, text: str) -> str:
    """The part of a film argument ``title_hint`` searches: its first ``HINT_QUERY_CHARS``
    characters, or as many as the model's longest title and " (YEAR)" with room to spare,
    so every title typed as a title is searched whole."""
    longest = _LONGEST.get(model)
    if longest is None:
        longest = _LONGEST.put(model, int(np.char.str_len(_folded(model)[0]).max(initial=0)))
    return text[:max(HINT_QUERY_CHARS, longest + 16)]


_LONGEST: Kept[int] = Kept()
_FOLDED: Kept[tuple[NDArray[np.str_], NDArray[np.str_]]] = Kept()  # per model, see _folded
_OWN_YEAR = re.compile(r"\s*\(([0-9]{4})\)\s*$")


#: what ``caseless`` folds after Unicode's lower case: Turkish dotless ı and dotted İ (lower
#: case i and a dot above) are i, as "KIŞ UYKUSU" types "Kış Uykusu"; ß is ss, final ς is σ
_CASELESS = (("i\u0307", "i"), ("\u0131", "i"), ("\u00df", "ss"), ("\u03c2", "\u03c3"))


def caseless(texts: pa.Array) -> pa.Array:
    """``texts`` as a title typed exactly is compared with a title (``titled_exactly``):
    surrounding blanks stripped, case folded and in Unicode form NFC (a title stored
    decomposed, NFD, is the one typed composed: they print alike), ``_CASELESS`` folded
    (Turkish ı and İ are i); accents kept. One fold, vectorised, for the titles and the
    argument alike (a title folded by ``str.lower`` and an argument by another fold told
    "Amélie" NFD and NFC apart, and "KIŞ UYKUSU" from "Kış Uykusu")."""
    decomposed = pc.utf8_normalize(pc.utf8_trim_whitespace(texts), "NFD")
    folded = pc.utf8_normalize(pc.utf8_lower(decomposed), "NFC")
    for was, now in _CASELESS:
        folded = pc.replace_substring(folded, was, now)
    return folded


def caseless_text(text: str) -> str:
    """One text folded as ``caseless`` folds an array."""
    return str(caseless(pa.array([text], pa.string()))[0].as_py())


def _folded(model: Model) -> tuple[NDArray[np.str_], NDArray[np.str_]]:
    """Every title folded (``caseless``: stripped, case and Unicode form aside), and each
    without a trailing "(YEAR)" that is its film's year ("hamlet" for "Hamlet (1996)" of
    1996; the title itself otherwise), once per model: 45 ms at 100k titles, each unknown
    film's 404 paid it."""
    kept = _FOLDED.get(model)
    if kept is not None:
        return kept
    titles = pa.array(np.asarray(model.film_labels[1], dtype=str), pa.string())
    folded = np.asarray(caseless(titles).to_numpy(zero_copy_only=False), dtype=str)
    bare = folded.copy()
    for i, (title, year) in enumerate(zip(folded.tolist(), model.catalog.years.tolist(),
                                          strict=True)):
        own = _OWN_YEAR.search(title) if year and title.endswith(")") else None
        if own and int(own.group(1)) == year and own.start() > 0:
            bare[i] = title[:own.start()]
    return _FOLDED.put(model, (folded, bare))


def front(name: str) -> str:
    """A stripped name with a trailing article moved to the front, as search reads titles
    (``title_parse.article_in_front``): "matrix, the" is "the matrix", "auberge espagnole,
    l'" "l'auberge espagnole"; any other name as it is."""
    return article_in_front(name)[0]


_NAMED: Kept[dict[str, list[int]]] = Kept()  # per model, see _named


def _named(model: Model) -> dict[str, list[int]]:
    """The films of each name of a title, folded (``caseless``) with its article in front
    (``front``): the title without its own year and each alternative title in its trailing
    parentheses ("amelie" and "le fabuleux destin d'amélie poulain" for "Amelie (Fabuleux
    destin d'Amélie Poulain, Le) (2001)"), as ``title_parse.names_of`` reads them for
    search, but a year the film lacks is no alternative title and stays in the name: "Brazil
    (1985)" of no year is not "brazil" (search finds it for "brazil"), once per model."""
    kept = _NAMED.get(model)
    if kept is not None:
        return kept
    named: dict[str, list[int]] = {}
    for i, rest in enumerate(_folded(model)[1].tolist()):
        for name in dict.fromkeys(f for f, _ in names_of(rest, own_year_only=True) if f):
            named.setdefault(name, []).append(i)
    return _NAMED.put(model, named)


def titled_exactly(model: Model, text: str) -> NDArray[np.int64]:
    """The films whose title is ``text``, or its title with its year (``Heat (1995)``), equal
    ignoring case and Unicode form (``caseless``: "KIŞ UYKUSU" names "Kış Uykusu", "Amélie"
    composed names it decomposed) and surrounding blanks (no accent or typo forgiven); a
    catalog that writes each title with its year (MovieLens: "Heat (1995)") is named by its
    title without it too ("heat" named no film of MovieLens, where it is two films' title),
    and by each alternative title in its parentheses; an article may stand in front or at
    the end, where the other has it ("the matrix" names "Matrix, The (1999)", "Boot, Das"
    "Das Boot": ``_named``), never left out ("matrix" names neither)."""
    wanted = caseless_text(text)
    if not wanted or not model.n_films:
        return np.zeros(0, np.int64)
    folded, bare = _folded(model)
    same = (folded == wanted) | (bare == wanted)
    same[_named(model).get(front(wanted), [])] = True
    dated = re.fullmatch(r"(.*\S)\s*\(([0-9]{4})\)", wanted)  # Heat (1995)
    if dated:
        plain = (folded == dated.group(1)) | (bare == dated.group(1))
        plain[_named(model).get(front(dated.group(1)), [])] = True
        same |= plain & (np.asarray(model.catalog.years) == int(dated.group(2)))
    return np.flatnonzero(same).astype(np.int64)


def titled_hint(model: Model, film_id: str) -> str:
    """"; it is the title of ID TITLE (YEAR): give its id, 'ID'" for a film argument that is
    one film's title exactly (``titled_exactly``; the films for several, the
    ``HINT_MATCHES`` most watched first as search ranks them, then how many more and the
    search that lists them), else "": a film is always named by its id, and the one a title
    names is said first, before the other titles the search finds (``film_hint``,
    ``unknown_hints``)."""
    from recommender.query.catalog import film_fields, with_year

    found = titled_exactly(model, film_id)
    if not len(found):
        return ""
    # as search ranks films of one title: most watched first, then film order (seven films
    # called Hamlet listed the first five of the model's order, the most watched left out)
    found = found[np.lexsort((found, -model.film_counts()[found]))]
    named = [(fid, f"{fid} {with_year(title, year)}")
             for fid, title, year, _ in film_fields(model, found[:HINT_MATCHES])]
    if len(found) == 1:
        return (f"; it is the title of {named[0][1]}: give its id, {named[0][0]!r} (a film is "
                "named by its id, byte for byte)")
    more = (f" and {len(found) - len(named):,} more (search for {film_id.strip()!r} to see "
            "them all)" if len(found) > len(named) else "")
    return (f"; it is the title of {len(found):,} films: {', '.join(n for _, n in named)}"
            f"{more}: give the id of the one meant")


LEFT_OUT = ("in the training data's catalog, but no interaction of the log names it: the model "
            "holds no audience or viewers for it (a cold-start audience ranks one from "
            "comparable films or genres)")
LEFT_OUT_LIKE = ("in the training data's catalog, but no interaction of the log names it: it "
                 "has no viewers to learn from, so it cannot stand for a new film's audience; "
                 "give its genres instead (--genre, or the body's genres)")


def catalog_only_hint(model: Model, film_id: str, comparable: bool = False) -> str:
    """What the model's catalog films without interactions (``model.catalog_only``) say of a
    film argument: "; 1076 Innocents, The (1961) is in the training data's catalog, but ..."
    when it is one's id, "; not in the model (...): ID TITLE (YEAR), ..." for those of which
    it is a name (with or without its year, as search reads titles), else ""."""
    from recommender.query.catalog import with_year

    by_id, found = _left_out(model, film_id)
    named = [f"{fid} {with_year(title, year)}" for fid, title, year, _ in found]
    if by_id:  # a comparable film of a cold start: no audience to learn from (LEFT_OUT_LIKE)
        return f"; {named[0]} is {LEFT_OUT_LIKE if comparable else LEFT_OUT}"
    if not named:
        return ""
    return ("; not in the model (in the training data's catalog, but no interaction of the "
            "log names it): " + ", ".join(named))


def left_out_matches(model: Model, query: str) -> list[dict[str, Any]]:
    """The films of the training catalog without interactions (``model.catalog_only``, left
    out of the model) that ``query`` names: the one whose id it is (or the one a known id's
    "did you mean" reads it as: more or fewer leading zeros, a spreadsheet's "2571.0" and the
    rest of ``IdMap.same_but_zeros``), else those of which it is a name
    (``typed_titles.typed_names``: article, case, accents and the year aside), at most
    ``HINT_MATCHES``, each ``{"film_id", "title", "year"}``; [] for a blank query."""
    return [{"film_id": fid, "title": title, "year": year or None}
            for fid, title, year, _ in _left_out(model, query)[1]]


def _left_out(model: Model, query: str
              ) -> tuple[bool, list[tuple[str, str, int, frozenset[str]]]]:
    """(whether ``query`` is an id, the films ``left_out_matches`` names)."""
    from recommender.query.typed_titles import names_title, typed_names

    films = _listed_names(model)
    if not films or not query.strip():
        return False, []
    # the id, else the ids a known film's "did you mean" reads it as (one resolver,
    # ``IdMap.same_but_zeros``: "92" for "0092", "2571.0" for "2571", spaces, Unicode form)
    ids = _listed_ids(model, films)
    meant = {query} if query in ids else set(ids.same_but_zeros(query))
    same = [f for f in films if f[0] in meant]
    if same:
        return True, same[:1]
    wanted = typed_names(query)
    return False, [f for f in films if names_title(wanted, f[1], f[2], f[3])][:HINT_MATCHES]


_names: Kept[list[tuple[str, str, int, frozenset[str]]]] = Kept()
_ids: Kept[IdMap] = Kept()


def _listed_ids(model: Model, films: list[tuple[str, str, int, frozenset[str]]]) -> IdMap:
    """The ids of ``films`` (``_listed_names``) as an ``IdMap``, kept while the model lives."""
    kept = _ids.get(model)
    return kept if kept is not None else _ids.put(model, IdMap(list(dict.fromkeys(
        f[0] for f in films))))


def _listed_names(model: Model) -> list[tuple[str, str, int, frozenset[str]]]:
    """``catalog_only.listed``'s films with the normalised names of each title, read once per
    model and kept while it lives: each unknown film argument (every 404 of one) read up to
    ``catalog_only.LISTED`` titles again."""
    from recommender.model import catalog_only
    from recommender.query.typed_titles import name_keys

    kept = _names.get(model)
    if kept is not None:
        return kept
    return _names.put(model, [(fid, title, year, name_keys(title))
                              for fid, title, year in catalog_only.listed(model.meta)])


_STORE_COUNTS: Kept[Callable[[str], int]] = Kept()  # per model read with a store's events
_STORE_OWN: Kept[Callable[[], bool]] = Kept()  # per model: whether a count is the caller's own


def count_store_events_with(model: Model, counter: Callable[[str], int],
                            own: Callable[[], bool] | None = None) -> None:
    """Have the unknown-film errors of ``model`` (one with a campaign store's events applied)
    say how many events the store holds for the film asked of: ``counter(film_id)``, asked
    on demand (the overlay keeps only their total, ``events_for_unknown_films``). ``own()``,
    asked as the hint is written: whether the count is of the caller's key's own events
    alone (a service's read or write key: "your key's N events"), not the store's."""
    _STORE_COUNTS.put(model, counter)
    if own is not None:
        _STORE_OWN.put(model, own)


def store_counter(model: Model) -> Callable[[str], int] | None:
    """The counter ``count_store_events_with`` gave ``model``, or None (no store's events
    for a film it lacks)."""
    return _STORE_COUNTS.get(model)


def store_events_hint(model: Model, film_id: str, name: str = "it") -> str:
    """"; the campaign store holds N events for it ..." (``name``: how the film is named)
    when the store ``model`` read holds events for the unknown ``film_id`` (the model learns
    a film in training alone), else ""; "holds your key's N events" when the count is the
    caller's key's own (``count_store_events_with``'s ``own``): it read as the store's."""
    counter = _STORE_COUNTS.get(model)
    n = counter(film_id) if counter is not None and film_id else 0
    if not n:
        return ""
    own = _STORE_OWN.get(model)
    whose = "your key's " if own is not None and own() else ""
    return (f"; the campaign store holds {whose}{n:,} event{'s' if n != 1 else ''} for {name} "
            "since the model's training, which an answer cannot fold in (a film is learnt in "
            "training): `train --data DATA --events STORE` brings it in")


def _is_left_out(hint: str) -> bool:
    return hint.endswith((f" is {LEFT_OUT}", f" is {LEFT_OUT_LIKE}"))


def film_hint(model: Model, film_id: str, comparable: bool = False) -> str:
    """What the error of one unknown film argument adds: that it is a film of the training
    catalog left out of the model (``catalog_only_hint``), else the left-out films and the
    titles it names (``title_hint``); "" when none (``comparable``: one of a cold start's
    comparable films, which a film without viewers cannot be: ``LEFT_OUT_LIKE``)."""
    left_out = catalog_only_hint(model, film_id, comparable)
    stored = store_events_hint(model, film_id)
    if _is_left_out(left_out):
        return left_out + stored
    return left_out + stored + titled_hint(model, film_id) + title_hint(
        model, film_id, _titled_ids(model, film_id))


def _titled_ids(model: Model, film_id: str) -> list[str]:
    """The ids of the films whose title ``film_id`` is (``titled_exactly``)."""
    return [model.film_labels[0][f] for f in titled_exactly(model, film_id).tolist()]


def with_title_hint(model: Model, error: UnknownFilmError) -> UnknownFilmError:
    """``error`` with ``title_hint`` added for each of the first ``HINT_IDS`` films it names
    that is not a known id written with more or fewer leading zeros (one film: "; it matches
    titles: ...", several: "; 'amelie' matches titles: ..." per film that matches some), else
    ``error`` itself (several comparable titles typed as ids were refused without a hint)."""
    hint = ids_hint(model, error.ids, error.comparable)
    if not hint:
        return error
    hinted = UnknownFilmError(error.ids)
    hinted.comparable = error.comparable
    hinted.args = (f"{error}{hint}",)
    return hinted


def ids_hint(model: Model, film_ids: Sequence[str], comparable: bool = False) -> str:
    """What an error naming the unknown ``film_ids`` adds: of one, ``film_hint`` ("" for a
    known id written with more or fewer leading zeros: "did you mean" says it); of several,
    ``unknown_hints``, each naming its id (an id-list file gave the first one's alone)."""
    if len(film_ids) == 1:
        return ("" if model.films.same_but_zeros(film_ids[0])
                else film_hint(model, film_ids[0], comparable))
    return unknown_hints(model, film_ids, comparable)


def unknown_hints(model: Model, film_ids: Sequence[str], comparable: bool = False) -> str:
    """The hints of the first ``HINT_IDS`` of ``film_ids`` (unknown film ids), each naming its
    id, as ``with_title_hint`` gives them for several (``"; 'amelie' matches titles: ..."``);
    one a known id with more or fewer leading zeros is left to ``did_you_mean``."""
    return "".join(_one_of_several(model, film_id, comparable) for film_id in film_ids[:HINT_IDS]
                   if not model.films.same_but_zeros(film_id))


def _one_of_several(model: Model, film_id: str, comparable: bool = False) -> str:
    """The hints of one of several unknown film arguments, each naming the argument."""
    left_out = catalog_only_hint(model, film_id, comparable)
    stored = store_events_hint(model, film_id, repr(film_id))
    if _is_left_out(left_out):
        return left_out + stored
    said = [titled_hint(model, film_id),
            title_hint(model, film_id, _titled_ids(model, film_id))]
    return ("".join(f"; {film_id!r}{hint.removeprefix('; it')}" for hint in said if hint)
            + (f"; {film_id!r}: {left_out.removeprefix('; ')}" if left_out else "") + stored)


def skipped_hints(model: Model, film_ids: Sequence[str], most: int = HINT_IDS) -> list[str]:
    """What is said of each of the first ``most`` of a cold start's comparable films skipped
    as unknown (``film_ids``), in order, as one unknown film's error says it
    (``with_title_hint``): "unknown film_id 'the matrix'; it is the title of 2571 Matrix, The
    (1999): give its id, ..."; the CLI's "skipped" lines and the answer's
    ``unknown_film_hints`` (HTTP answered the ids alone)."""
    from recommender.errors import comparable_films

    said = []
    for film_id in film_ids[:most]:
        error = comparable_films(model.films.unknown(UnknownFilmError, [film_id]))
        said.append(str(with_title_hint(model, error) if isinstance(error, UnknownFilmError)
                        else error))
    return said


def known_film(model: Model, film_id: str) -> int:
    """The index of ``film_id``; an unknown id raises ``UnknownFilmError`` that lists the
    titles it matches (``title_hint``)."""
    try:
        return model.film_index(film_id)
    except UnknownFilmError as e:
        raise with_title_hint(model, e) from None


@contextmanager
def title_hints(model: Model) -> Iterator[None]:
    """Re-raise an ``UnknownFilmError`` of one film with the titles it matches."""
    try:
        yield
    except UnknownFilmError as e:
        raise with_title_hint(model, e) from None
