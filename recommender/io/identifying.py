"""Users-file columns that single users out: most users hold a value no other user holds.

An email, a phone number or a customer number read from ``users.csv`` is an attribute like
any other: no portrait, segment or place is made of it, a ``with=`` column of a list carries
it, and ``GET /users/attributes`` counted (listed, before the minimum cell rule) every value.
``train`` warns of such a column (``identifying_columns``), naming it and the share of users
whose value is their own, so that it is left out of the users file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from recommender.io.dataset import UserTable

#: the share of the users with a value whose value no other user holds, from which a column
#: reads as naming users (an email: all; a zip code of a small town's users: many; an age: 0)
UNIQUE_SHARE = 0.5
#: the users with a value a column needs before it is judged: a random column of R values
#: leaves about exp(-N / R) of N users a value of their own, so a random age (R under 100)
#: passed UNIQUE_SHARE on a 30-user file and falls below it from 100 users
MIN_USERS = 100


@dataclass(frozen=True)
class Identifying:
    """A column where ``unique`` of the ``users`` with a value hold one no other user holds."""

    name: str
    unique: int
    users: int

    @property
    def share(self) -> float:
        return self.unique / self.users

    def warning(self, derived: list[str], own: Path | None = None,
                own_given: bool = False) -> str:
        """The ``train`` warning; ``derived``: the attributes worked out from this column;
        ``own``: the public dataset's own users file it comes from (MovieLens' ``u.user``),
        which no ``--users`` can take it out of: what to do then is said instead;
        ``own_given``: that file was ``--users`` itself, whose columns are fixed too."""
        them = ", ".join(map(repr, derived))
        kept = (f" (the model derives {them} from it: give "
                f"{'that' if len(derived) == 1 else 'those'} as a column instead)"
                if derived else "")
        head = (f"warning: users-file column {self.name!r} holds a value of its own for "
                f"{self.share:.0%} of the users with one ({self.unique:,} of {self.users:,}): "
                "it reads as an identifier or personal data (an email, a phone number), "
                "which no portrait, segment or place is made of and which a list's with= "
                "columns would carry; ")
        if own is None:
            return head + f"leave it out of the users file{kept}"
        if own_given:  # --users u.user: a CSV in its place leaves the column out
            return head + (f"it is a column of {own}, the dataset's own users file, whose "
                           "columns are fixed: to leave it out, give --users a CSV with a "
                           f"header 'user_id,<attributes>' without {self.name!r}{kept}; or "
                           "keep it, as a column the public dataset publishes (a list's with= "
                           "columns give it to key holders only)")
        return head + (
            f"it is a column of {own}, the dataset's own users file, which train reads "
            f"beside its log (a --users file adds columns, it takes none away): to leave it "
            f"out, train on a folder of your own, its log as interactions.csv beside a "
            f"users.csv without {self.name!r}"
            + (f" ({them}, which the model derives from it, as a column instead)"
               if derived else "")
            + "; or keep it, as a column the public dataset publishes (a list's with= "
            "columns give it to key holders only)")


def identifying_columns(table: UserTable, least: int) -> list[Identifying]:
    """The columns of ``table`` read from the users file (not derived from another) held by
    at least ``MIN_USERS`` users, where at least ``UNIQUE_SHARE`` of the users with a value,
    and at least ``least`` users, hold a value no other user holds; by one hashed
    ``value_counts`` a column (``np.unique`` sorted 2M emails in 8.8 s), never a loop per
    user."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from recommender.io import arrow_numpy as an

    out = []
    for name in sorted(set(table.attributes) - set(table.derived)):
        column = an.from_strings(np.asarray(table.attributes[name], dtype=str))
        values = pc.filter(column, pc.not_equal(column, an.scalar("", pa.string())))
        if len(values) < MIN_USERS:
            continue
        counts = pc.value_counts(values).field("counts")
        unique = int(np.count_nonzero(an.values(counts) == 1))
        if unique >= max(least, 1) and unique >= UNIQUE_SHARE * len(values):
            out.append(Identifying(name, unique, len(values)))
    return out
