"""Warnings of a log's columns and side files that read as data the training never reads.

Each kind is warned of whenever the log lacks that kind's own column, independently of the
others: the rating warning had been given only for a log without times, so a ticket export
with a ``timestamp`` and a ``stars`` column trained without ratings without a word.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from recommender.model.model import Model

#: words of a header name that read as the time of an interaction, anywhere in the name
#: (``purchase_time``, ``order_ts``, ``unix_time``, ``eventTime``, ``epoch``, ``sale_date``)
TIME_WORDS = frozenset({"time", "date", "datetime", "timestamp", "ts", "epoch", "when"})
#: ... and as its last word only (``created_at``, ``createdAt``, ``created``; not
#: ``created_by``, ``at_risk``)
LAST_TIME_WORDS = frozenset({"at", "created", "updated"})
#: words that make a ``time`` a duration (``watch_time``, ``time_spent``, ``play_time``)
DURATION_WORDS = frozenset({"watch", "watched", "watching", "play", "played", "playing",
                            "run", "running", "spent", "elapsed", "dwell", "screen", "total",
                            "wait", "waiting", "lead", "response", "duration", "length"})
#: ... and those that do right before it only (``load_time``, ``session_time``; not
#: ``session_start_time``)
DURATION_BEFORE_TIME = frozenset({"load", "loading", "session", "buffer", "buffering",
                                  "build"})
#: words that make a name no time at all: a time zone (``time_zone``, ``timeZone``, ``tz``)
NOT_TIME_WORDS = frozenset({"zone", "tz", "timezone", "offset"})
#: first words of a flag (``is_updated``, ``has_date``), and words before a ``time`` that make
#: it one (``first_time``: a first-time viewer)
FLAG_FIRST_WORDS = frozenset({"is", "has", "was", "did", "had"})
FLAG_BEFORE_TIME = frozenset({"first", "one", "any", "every", "part", "full", "over"})


def name_words(name: str) -> list[str]:
    """A header name's words, lower-cased: snake, kebab, spaced and camel case split
    (``createdAt``: created, at; ``order_ts``: order, ts; ``TIMESTAMP``: timestamp)."""
    spaced = re.sub(r"([a-z0-9])([A-Z])|([A-Z])([A-Z][a-z])", r"\1\3 \2\4", name.strip())
    return [w for w in re.split(r"[^a-z0-9]+", spaced.lower()) if w]


def time_like(name: str) -> bool:
    """Whether a header name reads as the time of an interaction (a rule on its words, not
    a list of names: ``TIME_WORDS``, ``LAST_TIME_WORDS``, a word holding ``timestamp`` or
    ``datetime``), never a duration (a ``time`` beside one of ``DURATION_WORDS``, or one
    word such as ``runtime``), a time zone (``NOT_TIME_WORDS``) or a flag (``is_updated``,
    ``first_time``: ``FLAG_FIRST_WORDS``, ``FLAG_BEFORE_TIME``)."""
    words = name_words(name)
    if not words or words[0] in FLAG_FIRST_WORDS or NOT_TIME_WORDS.intersection(words):
        return False
    if "time" in words and DURATION_WORDS.intersection(words):
        return False
    if any(w == "time" and i and words[i - 1] in FLAG_BEFORE_TIME | DURATION_BEFORE_TIME
           for i, w in enumerate(words)):
        return False
    return (any(w in TIME_WORDS or "timestamp" in w or "datetime" in w for w in words)
            or words[-1] in LAST_TIME_WORDS)

#: header names that read as a rating (not a count or a weight: plays, views)
RATING_LIKE = re.compile(r"score|stars?|rate|grade|.*_rating|rating_.*|ratings", re.I)

#: header names that read as a quantity of an event (a ticket log's tickets or seats bought)
WEIGHT_LIKE = re.compile(r"tickets?|quantity|qty|seats|weights|(n|num|number)_(tickets|seats)"
                         r"|tickets?_(count|sold|bought)|.*_weight|weight_.*", re.I)


def _names(names: list[str]) -> str:
    """``column 'a'`` or ``columns 'a', 'b'``."""
    return f"column{'s' if len(names) > 1 else ''} {', '.join(repr(n) for n in names)}"


def warn_unread_columns(data: str, *, times: bool, ratings: bool) -> None:
    """Warn (stderr) of the log's unread columns whose names read as a time when ``times``
    (the log has no timestamp column), as a rating when ``ratings`` (no rating column), and
    as a quantity (tickets, seats) when the log has no weight column (only it is read as one;
    beside one, renaming another to it was refused as naming weight twice)."""
    from recommender.io import readers
    from recommender.io.columns import WEIGHT
    from recommender.io.project import canonical_column
    from recommender.io.stdin import shown

    names = readers.log_columns(data)
    data = shown(data)  # standard input's copy: <stdin>
    unread = [n for n in names if canonical_column(n) is None]
    weighted = any(canonical_column(n) == WEIGHT for n in names)
    rated = [n for n in unread if ratings and RATING_LIKE.fullmatch(n.strip())]
    if rated:  # 'score' or 'stars' for 'rating': --weighting rating read 1 for every event
        print(f"warning: {data}: {_names(rated)} not read: ratings are read from a column "
              "named rating, so this log trains as one without ratings; rename the column to "
              "use them", file=sys.stderr)
    timed = [n for n in unread if times and time_like(n)]
    if timed:
        print(f"warning: {data}: {_names(timed)} not read: interaction times are read from "
              "a column named timestamp (or rating_timestamp), so this log trains as one "
              "without times (a random calibration holdout, no horizon in days); rename the "
              "column to use them", file=sys.stderr)
    counted = [n for n in unread if not weighted and WEIGHT_LIKE.fullmatch(n.strip())]
    if counted:  # a ticket log's 'tickets': every purchase weighed 1, whatever it bought
        print(f"warning: {data}: {_names(counted)} not read: an event's quantity is read "
              "from a column named weight only (without one, every event weighs 1); rename "
              "the column to weigh each event by it", file=sys.stderr)


#: a cinema table under another name or format than ``cinemas.csv`` (never read)
CINEMAS_LIKE = re.compile(r"cinemas?\.(csv|tsv|txt|parquet|pq|jsonl?|xlsx?)(\.gz)?", re.I)


def warn_unread_cinemas(data: str) -> None:
    """Warn (stderr) of a cinema table beside the training data under another name or format
    than ``cinemas.csv`` (``cinemas.parquet``, ``Cinemas.csv``) where there is no
    ``cinemas.csv``: the model was trained without one, and its distributions were capped by
    no cinema's screens, without a word."""
    from recommender.io.places import CINEMAS_FILE

    d = Path(data)
    folder = d if d.is_dir() else d.parent
    if (folder / CINEMAS_FILE).is_file() or not folder.is_dir():
        return
    for q in sorted(folder.iterdir()):
        if CINEMAS_LIKE.fullmatch(q.name) and q.name != CINEMAS_FILE:
            text = q.name.lower().endswith((".csv", ".tsv", ".txt"))
            print(f"warning: {q} is not read: the cinema table (screens by cinema, city and "
                  f"region, which cap a distribution's screens) is {CINEMAS_FILE} beside the "
                  "data, a CSV with the header cinema_id,city,region,screens,seats; "
                  + (f"rename it {CINEMAS_FILE} (or give it" if text else
                     f"convert it to {CINEMAS_FILE} (or give the CSV")
                  + " to distribution as --cinemas)", file=sys.stderr)


def warn_near_place_columns(model: Model) -> None:
    """Warn (stderr) of a users-file column one edit from a place attribute the model
    lacks (``cinmea``, ``reigon``): it trains as an attribute of its own, and distribution
    --by cinema, the cinema table and the Studio's places knew of no cinema without a word."""
    from recommender.io.places import PLACE_ATTRIBUTES
    from recommender.io.project import ZIP_COLUMNS
    from recommender.query.typos import near_name

    attributes = model.user_table.attributes
    # a column another attribute is worked out from (zip_code: region) is no misspelt place
    sources = set(ZIP_COLUMNS) | set(model.user_table.derived.values())
    for name in attributes:
        if name in PLACE_ATTRIBUTES or name in sources:
            continue
        meant = near_name(name, [a for a in PLACE_ATTRIBUTES if a not in attributes])
        if meant is not None:
            print(f"warning: the users file's column {name!r} is not the place attribute "
                  f"{meant!r}, which it is spelt close to: the model keeps it as an attribute "
                  f"of its own and has no {meant!r} (distribution --by {meant} and the cinema "
                  f"table cannot read it); rename the column {meant!r} and train again if "
                  "that was meant", file=sys.stderr)


def warn_shadowed_attributes(model: Model) -> None:
    """Warn (stderr) of a users-file column named as a column the engine's audience exports
    write (``segment``, ``tier``, ``rank``, ``score``, ``title``...): an export's column of
    that name is the engine's, while ``--filter segment=VIP`` filters on the attribute, and
    ``audiences --with segment`` had dropped the attribute without a word."""
    from recommender.query.render import engine_column, shadowed_attributes

    for name in shadowed_attributes(model):
        engine = engine_column(name)
        print(f"warning: the users file's column {name!r} has the name of a column the "
              f"engine's audience exports write (the {engine} it works out): an "
              f"export's {engine!r} column is the engine's, while --filter {name}=... filters "
              f"on the attribute, and --with {name} is refused naming the clash; rename the "
              f"column (e.g. user_{name}) and train again to export it", file=sys.stderr)
