"""What ``train`` checks of its input files against the trained log: ids, catalog, users."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathlib import Path

    from recommender.model.model import Model


def _first(ids: Any, shown: int = 3) -> str:
    """The first ``shown`` of ``ids``, quoted, and how many more."""
    more = f" and {len(ids) - shown:,} more" if len(ids) > shown else ""
    return ", ".join(repr(str(i)) for i in ids[:shown]) + more


def metadata_matches(model: Model, users: Any, films: Any, quiet: bool = False,
                     more_films: Any = None, erased: Any = None) -> None:
    """Say how many ids of a ``--users`` (``--films``) file are users (films) of the trained
    log, and warn when none is: such a file was taken without a word, and the attributes it
    should have given were missing only later (a portrait, a filter, a distribution).
    ``quiet``: only the warning (for a dataset folder's own ``users.csv`` and ``films.csv``),
    and a note of the log's films that neither ``films`` nor ``more_films`` (``--films``,
    merged over it) gives a row. ``erased``: the campaign store's mask of erased users
    (``train --events``): those of the users file are counted as erased, never named."""
    import numpy as np

    from recommender.cli.catalog_ids import first_without_row
    from recommender.io.side_files import read_film_file as read_films  # u.item as train
    from recommender.io.side_files import read_user_file as read_users  # u.user as train

    for path, kind, ids, known in (
            (users, "user", lambda p: read_users(p).user_ids, model.users),
            (films, "film", lambda p: read_films(p).film_ids, model.films)):
        if not path:
            continue
        given = ids(path)
        found = np.asarray(known.to_index(given, strict=False)) >= 0
        matched = int(found.sum())
        miss = np.asarray(given, str)[~found]  # looked up once for every check below
        gone = 0
        if kind == "user" and erased is not None and len(miss):  # never named nor compared
            out = np.asarray(erased(miss), bool)
            gone, miss = int(out.sum()), miss[~out]
        line = (f"{path}: {matched:,} of its {len(given):,} {kind} ids are {kind}s of the log "
                f"({matched / max(len(known), 1):.1%} of its {len(known):,} {kind}s)")
        if matched:
            if not quiet:
                print(line)
            elif kind == "film" and (missing := len(known) - _distinct_known(
                    known, given if not more_films else
                    [*given.tolist(), *read_films(more_films).film_ids.tolist()])):
                # a folder's own catalog covering part of the log (--films's line says so)
                where = f" or in {more_films}" if more_films else ""
                print(f"note: {path}: {missing:,} of the log's {len(known):,} films have no "
                      f"row in it{where}{first_without_row(model)}: they are untitled and "
                      "without genres (search finds them by id only; genre filters and "
                      "segments leave them out)",
                      file=sys.stderr)
            elif kind == "user" and (extra := len(given) - matched - gone):
                # a folder's users.csv listing members who bought nothing: left out without
                # a word, as the catalog's films without an interaction are not
                more = f"; {gone:,} more were erased (recommender forget)" if gone else ""
                print(f"note: {path}: {extra:,} of its {len(given):,} user ids have no "
                      "interaction in the log, left out of the model (no recommendations; as "
                      f"lookalike seeds they are unknown): {_first(miss)}{more}",
                      file=sys.stderr)
            elif kind == "user" and gone:
                print(f"note: {path}: {gone:,} of its {len(given):,} user ids were erased "
                      "(recommender forget), left out of the model", file=sys.stderr)
        else:
            print(f"warning: {line}: is it the log's {kind} id column (a spreadsheet may have "
                  "dropped leading zeros, 007 read as 7, or kept them as =\"007\", or padded "
                  "or re-cased ids)?", file=sys.stderr)
        if kind == "film":
            catalog_columns_unread(path)
        if twins := zero_twins(miss, known):  # which ids: named, some rows or none matching
            n, pairs = twins
            print(f"warning: {path}: {n:,} of its {kind} ids match a {kind} of the log only "
                  f"once leading zeros are dropped ({pairs}): ids are compared as written, so "
                  "they were left out; write them as the log does", file=sys.stderr)
        if twins := sheet_text_twins(miss, known):  # '0041' for the log's '="0041"'
            n, pairs = twins
            print(f"warning: {path}: {n:,} of its {kind} ids match a {kind} of the log only "
                  "once a spreadsheet's text-keeping form =\"...\" (Excel's formula that keeps "
                  f"leading zeros) is taken off ({pairs}): ids are compared as written, so "
                  "they were left out; write them as plain text on both sides",
                  file=sys.stderr)
        if twins := space_twins(miss, known):  # 'u1 ' (a padded export) for the log's 'u1'
            n, pairs = twins
            print(f"warning: {path}: {n:,} of its {kind} ids match a {kind} of the log only "
                  f"once surrounding spaces are dropped or letter case is ignored ({pairs}): "
                  "ids are compared byte for byte, so they were left out; write them as the "
                  "log does", file=sys.stderr)
        if twins := form_twins(miss, known):  # 'José' decomposed (NFD) for the log's NFC
            n, pairs = twins
            print(f"warning: {path}: {n:,} of its {kind} ids match a {kind} of the log only "
                  f"in another Unicode form ({pairs}: the same letters, other code points, as "
                  "NFC and NFD write an accent): ids are compared byte for byte, so they were "
                  "left out; write them as the log does", file=sys.stderr)


def _distinct_known(known: Any, given: Any) -> int:
    """How many distinct ids of ``given`` the id map ``known`` holds."""
    import numpy as np

    ids = np.unique(np.asarray(given, dtype=object).astype(str))
    return int(np.count_nonzero(np.asarray(known.to_index(ids, strict=False)) >= 0))


def catalog_columns_unread(path: Any) -> None:
    """Warn of a catalog file's columns that are never read while a catalog column is missing
    (a ``name`` column where ``title`` was meant): its films trained without titles, years or
    genres, and search, the Studio and every title column were empty without a word."""
    from recommender.io.project import CATALOG_HEADER, unread_catalog_columns

    unread, missing = unread_catalog_columns(path)
    if unread and missing:
        print(f"warning: {path}: column{'s' if len(unread) > 1 else ''} "
              f"{', '.join(repr(n) for n in unread)} not read, and no "
              f"{', '.join(missing)} column: a catalog's header is {CATALOG_HEADER} "
              "(movieId accepted); rename the columns to use them", file=sys.stderr)


def genre_separators(model: Model) -> None:
    """Warn of films whose genres hold a comma or a semicolon (``Action, Comedy``): genres are
    ``|``-separated, so each such field was read as one genre of its own, apart from
    ``Action`` and ``Comedy`` (segment labels, portraits, ``--genre`` and the genre filters
    never matched it), without a word."""
    genres = model.catalog.genres.tolist()
    odd = [g for g in genres if any("," in x or ";" in x for x in str(g).split("|"))]
    if odd:
        print(f"warning: the genres of {len(odd):,} film{'s' * (len(odd) != 1)} of the "
              f"catalog hold ',' or ';' (e.g. {odd[0]!r}): genres are '|'-separated "
              "(Drama|Comedy), so each such field was read as one genre; write them with '|'",
              file=sys.stderr)


def attribute_spellings(model: Model, shown: int = 3) -> None:
    """Warn of a user attribute holding one value in several spellings that differ only in
    letter case or Unicode form (``Zürich``, ``ZÜRICH``, and ``Zürich`` decomposed, NFD, from a
    file saved on macOS): each is a value of its own, so the users of one city were split
    among several in the portraits, filters and demand by place, without a word."""
    import unicodedata

    import numpy as np

    from recommender.io.ids import unicode_form
    from recommender.query.filters import folded_name

    for name, column in model.user_table.attributes.items():
        values = [v for v in np.unique(np.asarray(column, dtype=str)).tolist() if v]
        groups: dict[str, list[str]] = {}
        for v in values:  # the distinct values, not the users
            groups.setdefault(folded_name(v), []).append(v)
        split = [g for g in groups.values() if len(g) > 1]
        if not split:
            continue

        def spelt(v: str, group: list[str]) -> str:
            same = [w for w in group if w != v and unicodedata.normalize("NFC", w)
                    == unicodedata.normalize("NFC", v)]  # alike in print: say the form
            return f"{v!r} ({unicode_form(v).split(',')[0]})" if same else repr(v)

        said = "; ".join(", ".join(spelt(v, g) for v in g) for g in split[:shown])
        more = f" and {len(split) - shown:,} more" if len(split) > shown else ""
        print(f"warning: user attribute {name!r} holds {len(split):,} value"
              f"{'s' * (len(split) != 1)} in several spellings that differ only in letter "
              f"case or Unicode form ({said}{more}): each is a value of its own, so their "
              "users are counted apart in portraits, filters and demand by place; write each "
              "value one way in the users file", file=sys.stderr)


def identifying(model: Model, own: Path | None = None, given: Any = (),
                own_given: bool = False) -> None:
    """Warn of each users-file column where most users hold a value of their own (an email,
    a phone: ``io.identifying``), with the share, suggesting to leave it out of the file;
    one that is not among the ``given`` --users columns came from ``own``, a public
    dataset's own users file (MovieLens' ``u.user``), which the warning says how to leave;
    ``own_given``: ``own`` is the ``--users`` file itself (``--users u.user``)."""
    from recommender.io.identifying import identifying_columns
    from recommender.model.min_cell import min_cell_from_env

    table = model.user_table
    for column in identifying_columns(table, min_cell_from_env()):
        derived = sorted(d for d, source in table.derived.items() if source == column.name)
        print(column.warning(derived, None if column.name in given else own, own_given),
              file=sys.stderr)


def zero_twins(given: Any, known: Any) -> tuple[int, str] | None:
    """How many of ``given`` (ids, not in the ``IdMap`` ``known``) equal one of ``known`` once
    leading zeros are dropped from both, and the first three as "'7' for '007'"; None if none."""
    from recommender.io.id_twins import no_zeros

    return _twins(given, known, no_zeros)


def sheet_text_twins(given: Any, known: Any) -> tuple[int, str] | None:
    """How many of ``given`` (ids, not in the ``IdMap`` ``known``) equal one of ``known`` once
    Excel's ``="0041"`` is taken off either (``csvsafe.sheet_text``), and the first three as
    "'0041' for '="0041"'"; None if none. The only warning blamed dropped leading zeros."""
    from recommender.io.csvsafe import sheet_text_column

    return _twins(given, known, sheet_text_column)


def space_twins(given: Any, known: Any) -> tuple[int, str] | None:
    """How many of ``given`` (ids, not in the ``IdMap`` ``known``) equal one of ``known`` once
    surrounding whitespace is stripped from both and letter case folded, and the first three
    as "'u1 ' for 'u1'"; None if none. A padded or re-cased export's rows were left out, and
    the only warning (none at all when some ids matched) blamed leading zeros."""
    from recommender.io.id_twins import no_spaces_or_case

    return _twins(given, known, no_spaces_or_case)


def _twins(given: Any, known: Any, loosen: Any) -> tuple[int, str] | None:
    """(how many of ``given`` match ``known`` once loosened, the first three as "'g' for
    'k'"), None if none (``io.id_twins.loose_matches``)."""
    import numpy as np

    from recommender.io.id_twins import loose_matches

    miss = np.asarray(given, str)
    if not len(miss):
        return None
    known_ids = np.asarray(known.ids, str)
    hit, at = loose_matches(miss, known_ids, loosen)
    pairs = ", ".join(f"{str(miss[i])!r} for {str(known_ids[j])!r}"
                      for i, j in zip(hit[:3], at, strict=False))
    return (len(hit), pairs) if len(hit) else None


def form_twins(given: Any, known: Any) -> tuple[int, str] | None:
    """How many of ``given`` (ids, not in the ``IdMap`` ``known``) equal one of ``known`` once
    both are in Unicode normal form NFC, and the first three as "'José' for 'José'" (with
    ``ascii`` escapes, as the two look alike); None if none."""
    import unicodedata

    miss = [g for g in (str(x) for x in given) if not g.isascii()]
    if not miss:
        return None
    nfc = {unicodedata.normalize("NFC", k): k for k in known.ids.tolist() if not k.isascii()}
    hit = [(g, nfc[f]) for g in miss if (f := unicodedata.normalize("NFC", g)) in nfc]
    pairs = ", ".join(f"{ascii(g)} for {ascii(k)}" for g, k in hit[:3])
    return (len(hit), pairs) if hit else None
