"""Checks of the CLI's input files against the model: slates' films and opt-out lists."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:

    from recommender.model.model import Model


def film_argument(model: Model, film_id: str) -> int:
    """The index of a command's FILM_ID (``hints.known_film``: an unknown one names the titles
    it matches); one that is also another film's title says so on stderr, since the id is
    the film answered for: ``audience MODEL 300`` on MovieLens is Quiz Show, whose id is 300,
    not 300 (2007), and a ``--csv`` answer shows no title to tell (every film command's
    ``--json`` names it: ``id_titles.film_names``)."""
    from recommender.query.hints import known_film
    from recommender.query.id_titles import also_titled

    f = known_film(model, film_id)
    say_also_titled(model, film_id, also_titled(model, film_id))
    return f


def say_also_titled(model: Model, film_id: str, others: Sequence[str],
                    role: str = "the film this answers for") -> None:
    """Say on stderr that ``film_id``, the id of a film the model knows (``role``: what it is
    to the answer), is also the title of ``others`` (``id_titles.also_titled``); nothing when
    none."""
    from recommender.cli.printing import film_named
    from recommender.io.text import shown_cell

    if others:
        print(f"note: {film_id!r} is the id of {film_named(model, film_id)}, {role}; "
              f"{film_id!r} is also the title of {shown_cell(', '.join(others))} "
              "(give its id for that one)", file=sys.stderr)


def comparables_titled_said(model: Model, likes: Sequence[str]) -> None:
    """``say_also_titled`` of each comparable film (``--like``) the model knows: ``cold-start
    --like 300`` on MovieLens averages Quiz Show (film 300), not 300 (2007), as ``audience
    300`` answers for Quiz Show and says so (the JSON's ``comparable_also_titled``)."""
    from recommender.query.id_titles import comparables_also_titled

    known = [f for f, i in zip(likes, model.films.to_index(list(likes), strict=False).tolist()
                               if likes else [], strict=True) if i >= 0]
    for film_id, others in (comparables_also_titled(model, known) or {}).items():
        say_also_titled(model, film_id, others, "the comparable film used")


def slate_films_known(model: Model, path: str, films: Sequence[Any]) -> None:
    """Refuse a slate (``films``: ``SlateFilm``s read from ``path``, each with its ``line``)
    naming a film the model does not know, with the file and line of each such film and,
    for one, the titles it matches (those its ``title`` column matches, when it has one); or
    one whose ``title`` does not name the model's film (a person's check that each id is the
    film meant: ``typed_titles.typed_names``, the year optional; or its main title, before a
    colon, that names no other film: ``typed_titles.names_alone``)."""
    from recommender.distribution.slate_file import NEW_FILM_HINT
    from recommender.errors import DataError, UnknownFilmError
    from recommender.query.catalog import with_year
    from recommender.query.hints import title_hint, with_title_hint
    from recommender.query.typed_titles import name_index, names_alone, names_title, typed_names

    _sheet_unquoted_ids(model, path, films)
    idx = model.films.to_index([f.film_id for f in films], strict=False)
    unknown = [f for f, i in zip(films, idx.tolist(), strict=True) if i < 0]
    if unknown:
        error = model.films.unknown(UnknownFilmError, [unknown[0].film_id])
        hint = title_hint(model, unknown[0].title) if unknown[0].title else ""
        first = (f"{error}; its title {unknown[0].title!r}{hint.removeprefix('; it')}" if hint
                 else with_title_hint(model, error) if isinstance(error, UnknownFilmError)
                 else error)
        more = "".join(f"; unknown film_id {f.film_id!r} on line {f.line}" for f in unknown[1:5])
        rest = f"; and {len(unknown) - 5} more" if len(unknown) > 5 else ""
        raise DataError(path, f"{first}{more}{rest}; {NEW_FILM_HINT}",
                        line=unknown[0].line or None)
    titles, years = model.catalog.titles, model.catalog.years
    listed: list[str] = []

    def names() -> list[str]:  # read once, and only for a title that is no whole name
        listed[:] = listed or [str(t) for t in titles]
        return listed

    _refuse_other_films_titled(model, path, films, idx.tolist())
    wrong = [(f, with_year(str(titles[i]), int(years[i])) if titles[i] else "no title")
             for f, i in zip(films, idx.tolist(), strict=True)
             if f.title and not names_title(typed_names(f.title), str(titles[i]), int(years[i]))
             and not names_alone(f.title, names(), years.tolist(), i, lambda: name_index(model))]
    if wrong:
        said = "; ".join((f"line {f.line}: " if k else "") + f"film_id {f.film_id!r} is "
                         f"{name} in the model, not {f.title!r}"
                         for k, (f, name) in enumerate(wrong[:5]))
        rest = f"; and {len(wrong) - 5} more" if len(wrong) > 5 else ""
        raise DataError(path, f"{said}{rest} (the title column checks that each id is the "
                        "film meant: correct the id, or the title as the model has it)",
                        line=wrong[0][0].line or None)


def _sheet_unquoted_ids(model: Model, path: str, films: Any) -> None:
    """Read in place (``films``: a list of slate films) each film_id the model does not hold
    that is one it holds behind our CSV writers' spreadsheet-safe quote (``'=cmd|x`` for
    ``=cmd|x``, as a plan CSV writes an id beginning = + - @; ``csvsafe.sheet_unquoted``), as
    the id lists read it, and say so on stderr: it was refused as an unknown film_id, with
    no hint. An id the model holds as written is kept."""
    import dataclasses

    from recommender.io.csvsafe import sheet_unquoted

    idx = model.films.to_index([f.film_id for f in films], strict=False).tolist()
    for k, i in enumerate(idx):
        plain = sheet_unquoted(films[k].film_id) if i < 0 else films[k].film_id
        if plain != films[k].film_id and plain in model.films:
            print(f"note: {path}, line {films[k].line}: film_id {films[k].film_id!r} read as "
                  f"{plain!r} (the quote our CSV files write before an id beginning = + - @; "
                  "the model holds no film of the id as written)", file=sys.stderr)
            films[k] = dataclasses.replace(films[k], film_id=plain)


def _refuse_other_films_titled(model: Model, path: str, films: Sequence[Any], idx: list[int]
                               ) -> None:
    """Refuse slate lines whose title is exactly another film's (``other_films_titled``):
    "0295955,10,Café" passed as Cafe, accents aside, while "Café" is another film's title,
    the film likely meant. The lines and both films named."""
    from recommender.cli.printing import film_named
    from recommender.errors import DataError
    from recommender.query.typed_titles import other_films_titled

    typed = [(f, i) for f, i in zip(films, idx, strict=True) if f.title]
    if not typed:
        return
    names = model.catalog.titles.tolist()
    pairs = other_films_titled(names, model.catalog.years.tolist(), [f.title for f, _ in typed],
                               [i for _, i in typed])
    if not pairs:
        return
    ids = model.films.ids
    said = "; ".join((f"line {typed[p][0].line}: " if k else "")
                     + f"title {typed[p][0].title!r} is exactly the title of "
                     f"{film_named(model, str(ids[r]))}, another film than film_id "
                     f"{typed[p][0].film_id!r}, {film_named(model, typed[p][0].film_id)}"
                     for k, (p, r) in enumerate(pairs[:5]))
    rest = f"; and {len(pairs) - 5} more" if len(pairs) > 5 else ""
    raise DataError(path, f"{said}{rest} (the title column checks that each id is the film "
                    "meant: give the other film's id, or the title as the model has it)",
                    line=typed[pairs[0][0]][0].line or None)


def warn_unknown_opt_outs(model: Model, exclude: list[str], path: str | None) -> None:
    """Say on stderr which opt-out ids (``--exclude``, read from ``path``) the model does not
    know: a typo there leaves the person it meant in the plan (the plan summary only counts
    them, ``excluded_unknown_users``). An opt-out the planner refuses (a NUL byte, past the
    longest user id, an unknown pseudonym) is refused here first: the warning came before the
    refusal, naming as a typo a line of the list that then planned nothing, whole (an id of
    over a thousand characters)."""
    if not exclude:
        return
    from recommender.campaigns.plan import check_opt_outs
    from recommender.campaigns.pseudonymous import refuse_pseudonym_opt_outs
    from recommender.io.ids import form_named

    refuse_pseudonym_opt_outs(check_opt_outs(exclude), model)
    idx = model.users.to_index(exclude, strict=False)
    unknown = list(dict.fromkeys(u for u, i in zip(exclude, idx.tolist(), strict=True)
                                 if i < 0))
    if unknown:
        shown = ", ".join(repr(u) + form_named(u) for u in unknown[:10])
        more = f" and {len(unknown) - 10:,} more" if len(unknown) > 10 else ""
        print(f"warning: {len(unknown):,} opt-out id{'' if len(unknown) == 1 else 's'} in "
              f"{path} {'is' if len(unknown) == 1 else 'are'} not a user of the model (a typo "
              f"would leave the person it meant in the plan): {shown}{more}"
              f"{model.users.did_you_mean(unknown, named=len(unknown) > 1)}", file=sys.stderr)


@contextmanager
def every_id_unknown(path: str, kind: str) -> Iterator[None]:
    """Re-raise the error of a list whose every id is unknown (``lookalike --seeds``,
    ``recommend --watched``: unknown ids are skipped until none is left) as ``DataError``
    naming the file (``kind``: user or film); it named the first id alone."""
    from recommender.errors import DataError, UnknownIdError

    try:
        yield
    except UnknownIdError as e:
        raise DataError(path, f"none of its ids is a {kind} of the model: {e}") from None


SHOWN_UNSERVED = 10  # ids named in the import's note; the count covers all


def model_or_none(path: str | None) -> Model | None:
    """The model folder ``path`` loaded (a bad one fails with its reason), or None."""
    from recommender.cli.commands import _load_model

    return None if path is None else _load_model(path)


def add_events_model_option(parser: Any) -> None:
    """``events import --model MODEL``: name the file's ids the model cannot serve."""
    parser.add_argument("--model", metavar="MODEL",
                        help="a model folder: name the file's film ids it does not know (and "
                             "user ids, for a model that folds no new user in), as POST "
                             "/events answers unknown_film_ids; their events are stored all "
                             "the same")


def say_unserved(model: Model | None, path: str, film_ids: Sequence[str],
                 user_ids: Sequence[str], shown: Callable[[str], str] | None = None,
                 erased: Callable[[list[str]], Any] | None = None) -> None:
    """Say (stderr) which ids of an imported events file ``model`` cannot serve
    (``foldin.unserved_ids``): a film it does not know (often a typo, or leading zeros a
    spreadsheet dropped) changes no audience until a model trained with ``--events`` knows
    it. Nothing without a model. ``shown``: how a user id is named (``events import
    --pseudonymized``: by its pseudonym, as the file holds it; it named the raw id).
    ``erased``: the mask of the ids ``forget`` erased (``erasure.Erasures``), whom a model
    trained before still knows: never offered as the id meant."""
    from recommender.io.ids import form_named
    from recommender.io.text import plural
    from recommender.model.foldin import can_fold_in, named_unserved

    if model is None:
        return
    # a mistyped id is named once: as mistyped, not in the note below too
    films, users, near = named_unserved(model, film_ids, user_ids, SHOWN_UNSERVED)
    if near and erased is not None:
        gone = erased([k for _, k in near])
        near = [pair for pair, out in zip(near, gone, strict=True) if not out]
    if shown is not None:
        users, near = [shown(u) for u in users], [(shown(u), shown(k)) for u, k in near]
    if near:  # stored as given, silently: no conversion of the user meant
        as_what = "a new user" if can_fold_in(model) else "a user this model does not serve"
        # an id in another Unicode form prints as the one meant: each names its form
        print(f"warning: {plural(len(near), 'user id', sep=',')} of {path} the model does not "
              f"know but for surrounding spaces, leading zeros or Unicode form, stored as "
              f"given ({as_what}, not a response of the user meant): " + ", ".join(
                  f"{u!r}{form_named(u)} (did you mean {k!r}{form_named(k)}?)"
                  for u, k in near), file=sys.stderr)
    for ids, what, why in ((films, "film id", "a typo, leading zeros a spreadsheet dropped, or "
                                               "a film new to the catalog"),
                           (users, "user id", "this model folds no new user in")):
        if ids:
            more = ", ..." if len(ids) > SHOWN_UNSERVED else ""
            if what == "film id":  # leading zeros a spreadsheet dropped: name the film meant
                why += model.films.did_you_mean(ids)
            print(f"note: {plural(len(ids), what, sep=',')} of {path} the model does not know "
                  f"({', '.join(map(repr, ids[:SHOWN_UNSERVED]))}{more}): their events are "
                  f"stored, but change no answer until a model trained with --events knows "
                  f"them ({why})", file=sys.stderr)


#: the arguments that are text (ids, a title, names), never a path, as the error names them;
#: a byte that is not UTF-8 reaches them as a lone surrogate (the interpreter's surrogateescape)
TEXT_ARGUMENTS = {"query": "QUERY", "film_id": "FILM_ID", "plan_id": "PLAN_ID",
                  "user": "--user", "like": "--like", "leave_out": "--leave-out",
                  "after": "--after", "genre": "--genre", "tier": "--tier",
                  "segment": "--segment", "filter": "--filter", "with_": "--with", "by": "--by"}


def refuse_undecodable(args: Any) -> None:
    """Refuse a text argument (``TEXT_ARGUMENTS``) holding bytes that are not UTF-8, as the
    service refuses such a percent-escape (422): ``search MODEL $'mis\\xe9rables'`` searched
    "mis rables" (and with ``--json`` ended in a traceback), ``cold-start --like`` too."""
    import re

    from recommender.errors import InvalidParameterError

    for dest, name in TEXT_ARGUMENTS.items():
        stack = [getattr(args, dest, None)]
        while stack:
            value = stack.pop()
            if isinstance(value, list | tuple):
                stack.extend(value)
            elif isinstance(value, str) and (bad := re.search("[\ud800-\udfff]", value)):
                raise InvalidParameterError(
                    f"{name} {value!r} is not UTF-8 text (byte 0x{ord(bad[0]) & 0xff:02x}): "
                    "ids, titles and names are read as UTF-8, as the service reads them; "
                    "give it in a UTF-8 terminal or script")


def decimal(text: str) -> float:
    """A number option as written in decimal: ASCII digits, a point, an exponent
    (``float()`` also took "1_0" as 10 and other scripts' digits: "٠.٥" as 0.5)."""
    from recommender.campaigns.slate import DECIMAL

    word = text.strip().lower().lstrip("+-")
    if word not in ("nan", "inf", "infinity") and not DECIMAL.fullmatch(text.strip()):
        # NaN and infinity are read: the option's own check says why it takes no such value
        raise ValueError(f"not a decimal number: {text!r}")
    return float(text)


def unknown_seeds_said(unknown: list[str], lines: list[tuple[int, str]], users: Any) -> None:
    """Say on stderr the lookalike seeds skipped as unknown, the first 10 (as --watched's),
    each with its line of the seed file (``lines``: (line, id)), as a duplicate is named:
    "skipped 1 unknown seed id: zz" left the line to a search; then the known ids they may
    mean (``users``: the model's ``IdMap``; ``did_you_mean``, as HTTP's unknown_seed_hints)."""
    if not unknown:
        return
    from recommender.io.text import shown_cell

    line_of = {s: n for n, s in reversed(lines)}  # an id's first line
    more = f" and {len(unknown) - 10:,} more" if len(unknown) > 10 else ""
    shown = ", ".join(f"{shown_cell(u)} (line {line_of[u]})" if u in line_of else shown_cell(u)
                      for u in unknown[:10])
    hint = users.did_you_mean(unknown, named=len(unknown) > 1)
    print(f"skipped {len(unknown):,} unknown seed id{'s' * (len(unknown) != 1)}: {shown}{more}"
          f"{hint}", file=sys.stderr)
