"""One text for one value: how every audience column is written, whatever the format.

The JSON bodies (``AudiencePage.columns``), the CLI's tables and CSV, the HTTP CSV download
and the batch export files all take their values from here: a score is rounded to 6
decimals (Python's ``round``) and a percentile to 4 (half to even, from the decimal the
float stands for, as the Spark export's ``bround``; the same double everywhere), and as text
a number is its shortest ``repr`` (``0.857749``, ``100.0``), a user outside every tier is
empty, an id is written byte for byte. ``--with`` columns (film title, segment label, user
attributes) are resolved and filled here too.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from decimal import ROUND_HALF_EVEN, Decimal
from itertools import repeat
from typing import Any

import numpy as np
from numpy.typing import NDArray

from recommender.errors import InvalidParameterError
from recommender.io.columns import (
    AGE_BAND,
    FILM_ID,
    GENDER,
    PERCENTILE,
    RANK,
    REGION,
    SCORE,
    SEGMENT,
    TIER,
    TITLE,
    USER_ID,
)
from recommender.io.csvsafe import csv_writer, safe_column
from recommender.io.text import did_you_mean, folded_name
from recommender.model.min_cell import min_cell_from_env
from recommender.model.model import Model
from recommender.query.catalog import listed_segments, segment_labels
from recommender.query.linkable import check_linkable, safe_columns

SCORE_DIGITS = 6
PERCENTILE_DIGITS = 4
_PERCENTILE_QUANTUM = Decimal(1).scaleb(-PERCENTILE_DIGITS)  # 0.0001
#: the least percentile shown: a positive one never reads 0.0 (the last ranks among more than
#: 2,000,000 candidates round to it), in Spark's export too
LEAST_PERCENTILE = 10.0 ** -PERCENTILE_DIGITS
SEGMENT_LABEL = "segment_label"
#: the segment_label cell of a row whose segment ``GET /segments`` withholds
#: (``catalog.listed_segments``: fewer users than the minimum cell; its label names them)
HIDDEN = "hidden"
#: ``--with`` columns every model has, before its user attributes
BUILTIN_WITH = (TITLE, SEGMENT_LABEL)
#: the columns every audience export writes, whatever ``--with`` names
ENGINE_COLUMNS = (FILM_ID, USER_ID, RANK, SCORE, PERCENTILE, TIER, SEGMENT)


def shadowed_attributes(model: Model) -> list[str]:
    """The model's user attributes named as a column the engine writes (``ENGINE_COLUMNS``,
    or a ``BUILTIN_WITH`` one), letter case and Unicode form aside as ``--with`` reads names:
    an export's column of that name is the engine's, while ``--filter`` reads the attribute."""
    return [a for a in model.user_table.attributes if engine_column(a) is not None]


def engine_column(name: str) -> str | None:
    """The column the engine writes (``ENGINE_COLUMNS``, ``BUILTIN_WITH``) that ``name`` is,
    letter case and Unicode form aside, or None."""
    return next((c for c in ENGINE_COLUMNS + BUILTIN_WITH
                 if folded_name(c) == folded_name(name)), None)


def score_values(scores: NDArray[np.floating] | Sequence[float]) -> list[float]:
    """Scores as every output shows them: the float32 score rounded to 6 decimals."""
    values = np.asarray(scores, np.float32).tolist()
    return list(map(round, values, repeat(SCORE_DIGITS, len(values))))


def percentile_values(percentiles: NDArray[np.floating] | Sequence[float]) -> list[float]:
    """Percentiles as every output shows them: rounded to 4 decimals, half to even, from the
    decimal the float stands for (its shortest ``repr``), as Spark's ``bround`` rounds them in
    the Spark export. ``round`` alone goes by the float's binary value: the last of 16,000
    candidates, 100 / 16,000 = 0.00625, is held as 0.006250000000000000347 and gave 0.0063
    where the exact ratio, and Spark, give 0.0062. A positive percentile is at least
    ``LEAST_PERCENTILE`` (0.0001), as percentiles are in (0, 100]."""
    values = np.asarray(percentiles, np.float64).reshape(-1)
    out = list(map(round, values.tolist(), repeat(PERCENTILE_DIGITS, len(values))))
    scaled = values * 10 ** PERCENTILE_DIGITS  # a tie sits at .5 here, give or take a few ulps
    with np.errstate(invalid="ignore"):  # inf and nan (refused by the JSON writer) are no tie
        tie = np.abs(scaled - np.floor(scaled) - 0.5) < 1e-6
    for i in np.flatnonzero(tie).tolist():
        out[i] = float(Decimal(repr(float(values[i]))).quantize(_PERCENTILE_QUANTUM,
                                                                ROUND_HALF_EVEN))
    for i in np.flatnonzero((values > 0) & (values < LEAST_PERCENTILE)).tolist():
        out[i] = max(out[i], LEAST_PERCENTILE)  # in (0, 100]: past 2,000,000 candidates, 0.0
    return out


def percentiles(ranks: NDArray[np.integer], n_candidates: NDArray[np.integer] | int
                ) -> NDArray[np.float64]:
    """Percentile of each rank among ``n_candidates`` ranked candidates: in (0, 100], 100 for
    rank 1 (the one formula of every output)."""
    n = np.asarray(n_candidates, np.int64)
    return np.asarray(100.0 * (n - np.asarray(ranks, np.int64) + 1) / np.maximum(n, 1),
                      np.float64)


def cell_text(value: Any) -> str:
    """One already rounded value as text: None is empty, a float its shortest ``repr``, an
    int its digits, a string itself."""
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    return str(value)


def column_text(name: str, values: Any) -> list[str]:
    """The text of one column of raw values (``score``: float32 scores, ``percentile``:
    percentiles, rounded or not, ``tier``: names with None or "" for no tier, anything else
    as is)."""
    if name == SCORE:
        return list(map(repr, score_values(values)))
    if name == PERCENTILE:  # rounding a rounded value gives it back
        return list(map(repr, percentile_values(values)))
    if isinstance(values, np.ndarray):
        values = values.tolist()
    if name in (RANK, SEGMENT):
        return list(map(str, map(int, values)))
    if all(type(v) is str for v in values):
        return list(values)
    return list(map(cell_text, values))


def csv_text(header: Sequence[str], columns: Sequence[Sequence[str]]) -> str:
    """A CSV document (header line, then one line per row; ``\\n`` line ends; a value quoted
    only where CSV needs it) of text columns, as every CSV output writes it. The header's
    cells pass through ``csvsafe`` too: a ``--with`` column is named by a users file, and a
    name such as ``=SUM(1)`` was a formula in the header line."""
    buf = io.StringIO()
    writer = csv_writer(buf)  # csv.writer, and a cell holding a CR is quoted too (csvsafe)
    writer.writerow(safe_column(header))
    writer.writerows(zip(*columns, strict=True))
    return buf.getvalue()


def with_choices(model: Model) -> list[str]:
    """The names ``--with`` (``?with=``) accepts on this model: title, segment_label and the
    user attributes."""
    return list(BUILTIN_WITH) + [a for a in sorted(model.user_table.attributes)
                                 if a not in BUILTIN_WITH]


def resolve_with(model: Model, names: Sequence[str] | str | None, option: str = "--with"
                 ) -> list[str]:
    """``names`` (a list, or comma-separated text; repeated names count once) checked against
    ``with_choices`` ignoring case and Unicode form where that is unambiguous; an unknown one
    raises ``InvalidParameterError`` listing the valid ones, naming the ``option`` as the
    caller spells it (``with`` over HTTP)."""
    if names is None:
        return []
    items = [names] if isinstance(names, str) else list(names)
    wanted = [n.strip() for item in items for n in item.split(",") if n.strip()]
    choices = with_choices(model)
    out: list[str] = []
    for name in wanted:
        if name in choices:
            out.append(name)
            continue
        # case and Unicode form aside, as a filter's attribute name (an NFD name typed NFC)
        folded = [c for c in choices if folded_name(c) == folded_name(name)]
        if len(folded) != 1:
            near = did_you_mean(name, choices) if not folded else ""  # as a filter's name
            raise InvalidParameterError(f"unknown {option} column {name!r}{near}; valid columns "
                                        f"are: {', '.join(choices)}")
        out.append(folded[0])
    # an attribute named as an engine column (a users file's 'segment' or 'tier', or 'title'
    # beside --with title): the export wrote the engine's column and dropped the attribute
    # without a word (the users readers lower-case names: a 'Segment' column is 'segment')
    attrs = [a for a in model.user_table.attributes if engine_column(a) is not None]
    if clash := [n for n in dict.fromkeys(out) if engine_column(n) is not None and (
            n in attrs or any(engine_column(a) == n for a in attrs))]:
        engine = engine_column(clash[0])
        own = [a for a in attrs if engine_column(a) == engine][0]
        raise InvalidParameterError(
            f"{option} {', '.join(clash)}: {'each is' if len(clash) > 1 else 'it is'} both a "
            f"column the audience export writes (the engine's {engine}) and a user attribute "
            f"of the users file ({own!r}), which the export cannot write under the same name"
            f"; {'--filter ' if option.startswith('--') else 'filter='}{own}=... filters on the "
            f"attribute; rename the users file's column (e.g. user_{own}) and train again to "
            "export it")
    return list(dict.fromkeys(out))


def table_columns(model: Model, users: NDArray[np.integer], filtered: Sequence[str] = ()
                  ) -> list[str]:
    """The extra columns of the CLI's audience table when ``--with`` is not given: the segment
    label, then age band, gender and region where the model's users have them; beside
    pseudonyms, only as many of those as single none of ``users`` out (``linkable``), with
    the attributes the rows are ``filtered`` by counted too."""
    attrs = [a for a in (AGE_BAND, GENDER, REGION) if a in model.user_table.attributes]
    if model.meta.get("pseudonymized") and attrs:
        attrs = safe_columns(model, attrs, np.asarray(users, np.int64), min_cell_from_env(),
                             [f for f in filtered if f in model.user_table.attributes])
    return [SEGMENT_LABEL, *attrs]


def with_columns(model: Model, names: Sequence[str], films: NDArray[np.integer] | int | None,
                 users: NDArray[np.integer], segments: NDArray[np.integer],
                 pseudonymized: bool | None = None, min_cell: int | None = None
                 ) -> list[list[str]]:
    """The text of each ``--with`` column (names from ``resolve_with``) for rows of user indices
    ``users`` (in segments ``segments``) of films ``films`` (one film index for all rows, an
    array aligned with the rows, or None for an audience without a film: empty titles).
    Rows whose users are ``pseudonymized`` (by default: the model's users are pseudonyms,
    ``pseudonym.pseudonymous_users``) carry user attributes only when no user is singled out
    by them (``linkable.check_linkable``, at ``min_cell``, by default the environment's).
    A segment_label of a segment ``GET /segments`` withholds at ``min_cell`` reads ``HIDDEN``
    (its label describes its few members)."""
    out: list[list[str]] = []
    users = np.asarray(users, np.int64)
    cell = min_cell_from_env() if min_cell is None else min_cell
    if model.meta.get("pseudonymized") if pseudonymized is None else pseudonymized:
        check_linkable(model, names, users, cell)
    for name in names:
        if name == TITLE:
            if films is None:
                out.append([""] * len(users))
            else:
                idx = np.broadcast_to(np.asarray(films, np.int64), users.shape)
                out.append(np.asarray(model.catalog.titles)[idx].astype(str).tolist())
        elif name == SEGMENT_LABEL:  # a withheld segment's label is in no answer: HIDDEN
            listed = listed_segments(model, cell)
            labels = np.array([label if shown else HIDDEN for label, shown in zip(
                segment_labels(model), listed.tolist(), strict=True)] + [""], dtype=object)
            seg = np.asarray(segments, np.int64)
            out.append(labels[np.where((seg >= 0) & (seg < len(labels) - 1), seg, -1)]
                       .tolist())
        else:
            values = np.asarray(model.user_table.attributes[name])
            out.append(values[users].astype(str).tolist())
    return out
