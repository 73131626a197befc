"""How the CLI prints an endpoint's body and a breakdown table (shared by its answers)."""

from __future__ import annotations

import logging
import sys
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, NamedTuple

from recommender.io.text import days_text, plural, shown_cell
from recommender.query.privacy import DEFAULT_MIN_CELL, MIN_CELL_ENV
from recommender.query.score_words import REC_HEADER

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from recommender.model.model import Model

#: where the minimum cell size of a hidden-cells line comes from
MIN_CELL_SOURCE = f"(the minimum cell size: ${MIN_CELL_ENV}, default {DEFAULT_MIN_CELL})"

# The service sends its response model's dump of what the library returns: the same values, in
# the model's field order, with its optional fields. ``SEGMENT_SHARE`` is that order for a
# segment's share (tests/cli/test_cli_answers.py compares the bytes).
SEGMENT_SHARE = ("segment", "label", "count", "share", "base_share", "lift", "size")


def print_body(body: Any, model: Model | None = None) -> None:
    """``body`` as a route with a response model sends it: FastAPI writes those through
    pydantic's JSON serializer, whose floats differ from ``json.dumps``'s in their exponents
    (``5e-6``, ``0.00001``, not ``5e-06``, ``1e-05``); compact, UTF-8 text. ``model``: the
    model that answered, named on stderr after it (``model_version_said``)."""
    import pydantic_core

    sys.stdout.write(pydantic_core.to_json(body).decode() + "\n")
    model_version_said(model)


def model_version_said(model: Model | None) -> None:
    """``note: answer from model <version> as trained`` (or ``with the campaign store's N
    events since training (through sequence S)``) on stderr, after a ``--json`` body a model
    answered (nothing for ``None``), as ``audience --csv`` says its source: the HTTP answer
    names them in its ``X-Model-Version`` and ``X-Events-Seq`` headers, not in the body, which
    stdout holds byte for byte, so a script keeping the body could not tell which model gave
    it (README "Command line")."""
    if model is not None:
        note(f"answer {export_source(model)}")


def json_printed(as_json: bool, body: Any, model: Model,
                 printer: Callable[[Any, Model | None], None] = print_body) -> bool:
    """An answer's model said on stderr with ``--json`` and with a table alike: with
    ``as_json``, ``body`` printed by ``printer`` (``print_body``, or the CLI's ``_print_json``
    for a ``json.dumps`` route), which says the model after it, and True; else the model said
    before the table the caller prints, and False (a table named none: one kept from a run
    could not tell which model gave it)."""
    if as_json:
        printer(body, model)
        return True
    model_version_said(model)
    return False


@contextmanager
def warnings_said() -> Iterator[None]:
    """The library's warnings (``UserWarning``) raised in the block, said as the CLI's own
    ``warning:`` lines once it ends (they printed as Python's, with a line of the library's
    source), each time one is raised; other warnings (a library's) as Python shows them, under
    the filters in force (a DeprecationWarning ignored, one repeated said once, ``-W``)."""
    caught: list[warnings.WarningMessage] = []
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", UserWarning)  # ours: every other kind as filtered
            yield
    finally:  # said once the recording ends: showwarning within it appended to ``caught``
        for w in caught:  # (a library's warning, shown as it was read, was read forever)
            if w.category is UserWarning:
                print(f"warning: {w.message}", file=sys.stderr)
            else:
                warnings.showwarning(w.message, w.category, w.filename, w.lineno)


def note(text: str) -> None:
    """``text`` as a ``note:`` line on stderr: what a command did that its output does not
    say (the duplicates an id list repeated, dropped), kept off stdout and its ``--json``."""
    print(f"note: {text}", file=sys.stderr)


class _StoreNotes(logging.Handler):
    """The campaign store's one line when a command migrated it ("migrated the campaign store
    ... from schema 3 to 8", ``campaigns.store_schema``, at INFO) as a ``note`` (a WARNING as
    a ``warning:``); a process
    whose "recommender" logger has handlers (``serve``'s log configuration) logs it there."""

    def emit(self, record: logging.LogRecord) -> None:
        if not logging.getLogger("recommender").handlers:
            if record.levelno >= logging.WARNING:  # a store another user owns, left readable
                print(f"warning: {record.getMessage()}", file=sys.stderr)
            else:
                note(record.getMessage())


_STORE_LOG = logging.getLogger("recommender.campaigns.store")
_STORE_LOG.setLevel(logging.INFO)
_STORE_LOG.addHandler(_StoreNotes())


def note_repeated(films: list[str], weights: dict[str, float]) -> None:
    """A ``note`` per film ``--like`` names more than once (``films`` as named, in order): it
    is read once, with the weight ``weights`` gives it, as lookalike notes a seed repeated
    (``cold-start --like 2571 2571=3`` took the weight 3 unsaid)."""
    for film in dict.fromkeys(f for f in films if films.count(f) > 1):  # a few --like films
        note(f"--like names film {film!r} {films.count(film)} times: read once, weight "
             f"{weights[film]:g}")


#: a catalog's columns, left out of a table where no row has one (a log without films.csv)
CATALOG_COLUMNS = ("title", "year", "genres")


def print_table(headers: list[str], rows: list[list[Any]], films: bool = False) -> None:
    """``rows`` under ``headers``; a table of ``films`` without a ``CATALOG_COLUMNS`` column
    that is blank in every row (three empty columns beside every film of a log that came
    without titles). Other tables keep every column: a column asked for (``audience
    --with title``) or a user attribute named ``year`` was left out when blank."""
    from recommender.io.text import table_text

    blank = {i for i, h in enumerate(headers) if films and h in CATALOG_COLUMNS and rows
             and all(r[i] in ("", None) for r in rows)}
    if blank:
        headers = [h for i, h in enumerate(headers) if i not in blank]
        rows = [[c for i, c in enumerate(r) if i not in blank] for r in rows]
    print(table_text(headers, rows))


NO_VALUE = "(no value)"  # how a table shows the users an attribute file gives no value


def horizon_span(horizon: dict[str, Any] | None) -> str:
    """What a plan's p or a slate's expected_new covers, said after "within": the calibration
    horizon's days, or why it has none (a log without times, or no calibration), from a
    ``calibration.horizon`` (a plan's summary's, a slate's body's)."""
    from recommender.model.calibration import uncalibrated

    horizon = horizon or {}
    days = horizon.get("days")
    if isinstance(days, int | float):
        return f"{days_text(days)} days, the calibration horizon"
    if uncalibrated(horizon):
        return "no span: every p is 0, the model has no calibration"
    if horizon.get("description"):
        return ("a random held-out share of the training interactions, the calibration "
                "horizon (the log had no timestamps, or all were equal: it has no span in "
                "days)")
    return "the calibration horizon"


def no_attributes_text(meta: dict[str, Any]) -> str:
    """Why a model's users have no attributes, by its ``meta.json``: no users file read, or
    one of ``user_id`` alone (a model trained before the meta said which: either)."""
    add = ("columns beside user_id, one per attribute (a header such as user_id,age,gender,"
           "region,city,cinema), and retrain")
    read = (meta.get("data") or {}).get("users_file_read")
    if read is True:
        return ("The model's users have no attributes: the users file read to train held no "
                f"attribute column (user_id alone); give it {add}")
    if read is False:
        return ("The model's users have no attributes (no users file was given to train: train "
                "with a users.csv or users.parquet beside the log, or --users FILE, to add "
                "them)")
    return ("The model's users have no attributes: no users file was given to train, or the "
            "one given held user_id alone (this model's meta.json does not say which); train "
            "with a users.csv or users.parquet beside the log, or --users FILE, holding "
            f"{add}")


def split_table(rows: list[dict[str, Any]], key: str) -> None:
    """A breakdown (segment or attribute value: count, share, base share, lift) as a table;
    the users without a value of the attribute (value ``""``) show as ``NO_VALUE``."""
    sized = key == "segment" and all("size" in r for r in rows)
    print_table([key, "count", "share", "base_share", "lift"] + ["size"] * sized, [
        [r["label"] if key == "segment" else (r["value"] or NO_VALUE), r["count"],
         f"{r['share']:.4f}",
         f"{r['base_share']:.4f}", f"{r['lift']:.3f}"] + ([r["size"]] if sized else [])
        for r in rows])


# what a ranked table's score is, command by command (recommender.query.audience and
# recommend.similar_films compute them); the percentile is render.percentiles'
AUDIENCE_SCORE = ("the model's taste score, the dot product of the user's and the film's "
                  "taste vectors, for ordering only (not comparable between films; no "
                  f"popularity prior, which recommend's {REC_HEADER} adds when the model has "
                  "one)")
LOOKALIKE_SCORE = ("the mean cosine similarity of the user's taste vector to the seed users' "
                   "(-1 to 1, 1 = the same taste)")
COLD_START_SCORE = ("the dot product of the user's taste vector and the new film's (the "
                    "weighted mean of its comparable films' vectors, a genre counting as the "
                    "mean of its films'), for ordering only")
PERCENTILE_TEXT = "in (0, 100] among the ranked candidates, 100 = best"


def rank_legend(score: str) -> None:
    """The legend line under a table of ranked users: what its score and percentile are."""
    print(f"score: {score}; percentile: {PERCENTILE_TEXT}")


def hidden_text(cells: int, what: str, people: int, who: str, min_cell: int,
                outside: bool = False) -> str:
    """Why ``cells`` cells (``what``: "gender values", "segments") holding ``people`` users
    (``who``: "users", "viewers") in all are not shown: the minimum cell rule
    (``recommender.query.privacy``), and where its size is set. ``outside``: a portrait,
    whose rows also hide a value with fewer than the minimum outside the pictured users."""
    return (f"hidden: {cells:,} {what} ({people:,} {who} in all), each of fewer than "
            f"{min_cell} {who}"
            + (f" (or leaving fewer than {min_cell} outside them)" if outside else "")
            + f" or hidden with one so that it is not the total less the shown ones "
            f"{MIN_CELL_SOURCE}")


def export_source(model: Model) -> str:
    """The model an export was cut from, and the campaign store's events folded in, for the
    line that reports it: a CSV has no place for them (a Parquet export keeps them in its
    ``recommender`` metadata), and the same model version answers differently with events."""
    from recommender.query.catalog import store_events

    events = store_events(model.meta)
    folded = ("as trained" if events is None else
              f"with the campaign store's {plural(events['events_applied'], 'event', sep=',')} "
              f"since training (through sequence {events['through_seq']:,})")
    return f"from model {model.version} {folded}"


class ExportCut(NamedTuple):
    """An audience export's cut (``export_cut``): its words, and whether it narrows the rows
    (a ring, a segment, a filter or an offset leaves some of a film's candidates out; viewers
    included and pseudonyms do not)."""

    text: str
    narrows: bool


def export_cut(model: Model, args: Any) -> ExportCut:
    """Every choice an audience export's rows depend on beyond ``k``, as the model names them
    (``filters.cut_text``: ring, segment, filters), then ``viewers included``
    (``--include-seen``), ``pseudonymized`` and ``offset N``: the HTTP download's name holds
    them all (``..._with_viewers_pseudonymized_from21``), and a CSV has no other place for
    them ("" for none); and whether any of them narrows the rows (``ExportCut``)."""
    from recommender.query.filters import cut_text, parse_filters

    filters = parse_filters(getattr(args, "filter", None), "--filter")
    model_cut = cut_text(model, getattr(args, "segment", None), filters,
                         getattr(args, "tier", None))
    offset = f"offset {args.offset:,}" if getattr(args, "offset", 0) else ""
    parts = [model_cut,
             "viewers included" if getattr(args, "include_seen", False) else "",
             "pseudonymized" if getattr(args, "pseudonymize", False) else "",
             offset]
    return ExportCut(", ".join(p for p in parts if p), bool(model_cut or offset))


def audiences_written(model: Model, rows: int, films: NDArray[np.int64], k: int,
                      cut: ExportCut, out: str, t0: float, exclude_seen: bool = True) -> str:
    """The line an audience export ends with, whichever engine wrote it: rows, films x top
    ``k`` (and the ``cut``), where, how long since ``t0`` (``time.perf_counter``), which model.
    A ``k`` at or past every film's candidates (its non-viewers, or every user with
    ``exclude_seen`` False) is said as the rows it gives: "x top 100001" read as that many
    rows per film; said so only where nothing narrows the rows (``cut.narrows``: a ring, a
    segment, a filter or an offset)."""
    import numpy as np

    cands = np.full(len(films), model.n_users, np.int64)
    if exclude_seen and len(films):
        cands -= model.film_counts()[films]
    lo, hi = (int(cands.min()), int(cands.max())) if len(films) else (0, 0)
    top = (f"top {k}" if k < hi or not len(films) or cut.narrows
           else f"all {plural(hi, 'candidate', sep=',')}" if lo == hi
           else f"all candidates ({lo:,} to {hi:,})")
    return (f"wrote {plural(rows, 'row', sep=',')} ({plural(len(films), 'film', sep=',')} x "
            f"{top}{', ' + cut.text if cut.text else ''}) to {out} in "
            f"{time.perf_counter() - t0:.1f} s, {export_source(model)}")


def recommendations_written(model: Model, rows: int, users: int, k: int, exclude_seen: bool,
                            out: str, t0: float) -> str:
    """The line ``recommend --out`` ends with: rows, users x top ``k`` (and whether watched
    films were kept: the rows cannot say so), where, how long since ``t0``, which model. A
    ``k`` at or past the catalog is said as the rows it gives ("x top 200000" read as that
    many rows per user)."""
    kept = "" if exclude_seen else ", watched films included"
    top = f"top {k}" if k < model.n_films else (
        f"all {plural(model.n_films, 'film', sep=',')}" if not exclude_seen
        else "all their unwatched films")
    return (f"wrote {plural(rows, 'row', sep=',')} ({plural(users, 'user', sep=',')} x "
            f"{top}{kept}) to {out} in {time.perf_counter() - t0:.1f} s, {export_source(model)}")


def warn_exported_films(model: Model, films: NDArray[np.int64], spark: bool = False,
                        exclude_seen: bool = True, rows: int | None = None,
                        cut: ExportCut | None = None,
                        without_rows: Sequence[dict[str, str]] = ()) -> None:
    """Say on stderr what an audience export's rows cannot say of its ``films``: those with
    no rows at all (with viewers left out: every user has watched them), an export of no
    rows for a ``cut`` that narrows them (``export_cut``: a filter matching no candidate
    wrote 0 rows, exit 0, where ``audience`` says so), or the films of ``without_rows``
    (``write_audiences``'s) the cut left without rows and why, as their audience says it
    (one of two films got none, and the export said nothing), then how many have nothing
    fitted."""
    if exclude_seen:
        _warn_no_candidates(model, films)
    full = set(model.films.ids[films[model.film_counts()[films] >= model.n_users]].tolist()
               if exclude_seen else [])
    by_cut = [e for e in without_rows if e["film_id"] not in full]  # those said above aside
    if rows == 0 and len(films) and cut is not None and cut.narrows and not (
            exclude_seen and (model.film_counts()[films] >= model.n_users).all()):
        # not "matches no candidate": a ring's cut may match candidates, all outside the ring
        print(f"warning: the export has no rows: its cut ({cut.text}) matches none of the "
              f"ranked rows of the {plural(len(films), 'film', sep=',')}"
              + ("; why, film by film, below" if by_cut else ""), file=sys.stderr)
    if by_cut:  # each film's reason, when every film is empty too
        one = len(by_cut) == 1
        print(f"warning: {len(by_cut):,} of the {len(films):,} films {'has' if one else 'have'}"
              f" no rows for the cut ({cut.text if cut is not None else ''}): "
              + "; ".join(f"{e['film_id']!r}: {e['why']}" for e in by_cut[:5])
              + ("; ..." if len(by_cut) > 5 else "")
              + " (a Parquet export's context lists them: films_without_rows)",
              file=sys.stderr)
    unfitted = int(model.nothing_fitted(model.film_factors[films], "films").sum())
    if unfitted:  # a row has no place for the note their audience pages carry
        where = ("its _recommender.json" if spark else "a Parquet export's context")
        print(f"warning: {unfitted:,} of the {len(films):,} films have nothing fitted (a zero "
              f"taste vector): their rows rank users in no meaningful order ({where} lists "
              "them: nothing_fitted_films)", file=sys.stderr)


def _warn_no_candidates(model: Model, films: NDArray[np.int64]) -> None:
    """Name the ``films`` every user has watched: with viewers left out they have no rows."""
    full = films[model.film_counts()[films] >= model.n_users]
    if len(full):
        named = ", ".join(repr(str(i)) for i in model.films.ids[full[:5]])
        one = len(full) == 1
        print(f"warning: {len(full):,} of the {len(films):,} films {'has' if one else 'have'} "
              f"no rows: every one of the {model.n_users:,} users has watched "
              f"{'it' if one else 'them'}, "
              f"so none is a candidate ({named}{', ...' if len(full) > 5 else ''}; "
              "--include-seen lists viewers too)", file=sys.stderr)


def warn_unfitted_users(model: Model, users: NDArray[np.int64]) -> None:
    """Say on stderr how many of the exported ``users`` have no fitted taste: a row has no
    place for the note their recommendations carry (a Parquet export's context lists them)."""
    unfitted = int(model.nothing_fitted(model.user_factors[users], "users").sum())
    if unfitted:
        prior = model.film_prior is not None
        order = ("by the films' bias and the popularity prior alone"
                 if model.bias_columns and prior else
                 "by the films' bias alone" if model.bias_columns else
                 "by the popularity prior alone" if prior else "in catalog order")
        print(f"warning: {unfitted:,} of the {len(users):,} users have no fitted taste (a zero "
              f"taste vector): their rows are {order} (a Parquet export's context lists "
              "them: nothing_fitted_users)", file=sys.stderr)


def film_named(model: Model, film_id: str) -> str:
    """A known film as a header names it: its title and year, then its id
    (``Silent Carnival (2019) [film 7176983]``); the id alone when the catalog has no title.
    Escaped as a table's cell (``shown_cell``): a title's line break or direction override
    broke the header line in two or reordered it, where the tables showed ``\\n``."""
    from recommender.query.catalog import with_year

    f = model.film_index(film_id)
    title = str(model.catalog.titles[f] or "")
    if not title:
        return shown_cell(f"film {film_id}")
    return shown_cell(f"{with_year(title, int(model.catalog.years[f]))} [film {film_id}]")


def liked_text(likes: list[str] | dict[str, float], unknown: list[str],
               genres: list[str]) -> str:
    """A cold-start header's "a film like ...": the known films, each with its weight when
    weights were given (``7176983=3``; it dropped them), then the genres."""
    return ", ".join([f"{f}={likes[f]:g}" if isinstance(likes, dict) else f
                      for f in likes if f not in unknown] + genres)


def films_left_out(info: dict[str, Any]) -> None:
    """``info``'s lines on films the fit left empty or the model left out (``model_info``)."""
    if unliked := info["films_without_liked"]:
        print(f"warning: {plural(unliked, 'film', sep=',')} without an interaction in "
              "the fit (meta.json's films_without_liked): their audiences are in no "
              "meaningful order")
    if left := info["catalog_without_interactions"]:
        print(f"note: {left:,} film{'s' * (left != 1)} of the training catalog without an "
              "interaction in the log, left out of the model (meta.json's catalog_without_"
              "interactions)")


def search_header(total: int, query: str, genre: str | None, shown: int, offset: int) -> str:
    """A ``search`` page's first line, which says the matches it shows: ``194 films match
    'the'; showing 191-193`` ('showing 3' hid that the page began at match 191), or past the
    last ``no films at matches 401+ (the search has 400)`` ('showing 0' said no why)."""
    found = f"{plural(total, 'film', sep=',')} {'matches' if total == 1 else 'match'} {query!r}"
    found += f" in {shown_cell(genre)}" if genre else ""  # the catalog's, as a cell shows it
    if shown:
        return f"{found}; showing {offset + 1:,}" + (f"-{offset + shown:,}" if shown > 1 else "")
    if total and offset >= total:
        return f"{found}; no films at matches {offset + 1:,}+ (the search has {total:,})"
    return f"{found}; showing 0"


def kinds_line(kinds: dict[str, int], match: str) -> str:
    """A ``search`` page's second line: its matches by kind, every page (``totals_by_kind``),
    and the mode (``by kind: 4 inside, 36 words; --match substring keeps titles holding the
    query``)."""
    said = ", ".join(f"{n:,} {k}" for k, n in kinds.items()) or "none"
    return (f"by kind of match: {said}" + ("; --match substring lists only the titles "
                                           "holding the query" if match == "any" else
                                           " (only titles holding the query)"))


def folders_created(since: int) -> None:
    """Name (stderr) the folders this command created to write a file in (``--out
    new/x.csv``): kept, as a model's folder is, but said, so a misspelt folder is seen."""
    from recommender.io.atomic import CREATED

    for folder, file in dict.fromkeys(CREATED[since:]):
        print(f"note: created the folder {shown_cell(folder)} to write {shown_cell(file)} "
              "(it did not exist)", file=sys.stderr)
