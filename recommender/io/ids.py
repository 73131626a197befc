"""``IdMap``: external string ids <-> internal row/column indices."""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Iterable, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from recommender.errors import UnknownIdError
from recommender.io import arrow_numpy as an

_AS_FLOAT = re.compile(r"([0-9]+)\.0+")  # an integer id a spreadsheet wrote as a float


class IdMap:
    """An ordered set of external ids (strings, kept byte for byte).

    ``ids[i]`` is the external id of index ``i``. Lookups are vectorised through
    pyarrow's hash index, so mapping millions of ids costs no Python loop.
    """

    def __init__(self, ids: Sequence[str] | NDArray[np.str_] | pa.Array) -> None:
        arr = ids if isinstance(ids, pa.Array) else pa.array(np.asarray(ids, dtype=str))
        arr = arr.cast(pa.string())
        if arr.null_count:
            raise ValueError("ids must not contain nulls")
        if len(pc.unique(arr)) != len(arr):
            raise ValueError("ids must be unique")
        self._arrow = arr
        self._ids: NDArray[np.str_] = an.strings(arr)
        self._lookup: dict[str, int] | None = None
        # zero-led or padded ids sorted by their stripped form (stripped, ids), built on the first
        # unknown id (``same_but_zeros``)
        self._zeros: tuple[NDArray[np.str_], NDArray[np.str_]] | None = None
        # the ids not in Unicode form NFC sorted by their NFC form (NFC forms, ids), built on
        # the first unknown id (``same_but_zeros``)
        self._forms: tuple[NDArray[np.str_], NDArray[np.str_]] | None = None
        # the ids with a capital letter sorted by their lower case (lower cases, ids), built
        # on the first unknown id without another match (``same_case``)
        self._cases: tuple[NDArray[np.str_], NDArray[np.str_]] | None = None

    @property
    def ids(self) -> NDArray[np.str_]:
        return self._ids

    @property
    def arrow(self) -> pa.Array:
        """The ids as an arrow string array (the one lookups hash; no copy)."""
        return self._arrow

    def __len__(self) -> int:
        return len(self._ids)

    def __contains__(self, external_id: object) -> bool:
        return isinstance(external_id, str) and external_id in self._dict()

    def _dict(self) -> dict[str, int]:
        if self._lookup is None:
            self._lookup = {s: i for i, s in enumerate(self._ids.tolist())}
        return self._lookup

    def index_of(self, external_id: str, error: type[UnknownIdError] = UnknownIdError) -> int:
        """Index of one id; raises ``error`` naming it when unknown."""
        try:
            return self._dict()[external_id]
        except KeyError:
            raise self.unknown(error, [external_id]) from None

    def to_index(
        self,
        external_ids: Iterable[str] | pa.Array,
        strict: bool = True,
        error: type[UnknownIdError] = UnknownIdError,
    ) -> NDArray[np.int64]:
        """Indices of many ids (vectorised). Unknown ids raise in strict mode, else map to -1."""
        if isinstance(external_ids, pa.Array):
            query = external_ids
        elif isinstance(external_ids, np.ndarray) and external_ids.dtype.kind == "U" \
                and external_ids.ndim == 1:
            query = an.from_strings(external_ids, upto_nul=False)  # no str per id
        else:
            query = pa.array([str(x) for x in external_ids], type=pa.string())
        idx = pc.index_in(query.cast(pa.string()), value_set=self._arrow)
        out = np.asarray(an.values(idx.fill_null(an.scalar(-1, idx.type))), dtype=np.int64)
        if strict and (out < 0).any():
            missing = np.asarray(query.to_numpy(zero_copy_only=False), dtype=str)[out < 0]
            raise self.unknown(error, dict.fromkeys(missing.tolist()))
        return out

    def same_but_zeros(self, external_id: str) -> list[str]:
        """The known ids equal to ``external_id`` once leading zeros are stripped from both
        ("0555612" for "555612", and the reverse), and their surrounding spaces ("7176983 ",
        pasted, was told it "matches titles", " u00001" nothing), or a trailing ".0"
        ("2571.0", a spreadsheet's float, for "2571", and "429.0", pandas' float id, for
        "429"), or Excel's text-keeping form ("0041" for ``="0041"``, and the reverse), or
        once both are in Unicode form NFC (``same_form``), other than ``external_id`` itself.
        The stored ids are stripped too: "377" names " 377 ", kept as a log written with ", "
        separators held it."""
        if self._zeros is None:  # sorted arrays: a dict of 2M zero-padded ids took ~4 s, 500 MB
            # the stored ids stripped too: ' 377 ', kept as a padded log wrote it, is '377'
            self._zeros = self._keyed(pc.utf8_ltrim(self._trimmed(), "0"))
        if not external_id.strip():
            return []  # a blank id names none (every id of zeros once stripped)
        near: list[str] = []
        # a spreadsheet's number ("2571.0" for 2571, written back as a float) names its
        # integer's id too: it was told only "unknown"
        whole = _AS_FLOAT.fullmatch(external_id.strip())
        for typed in [external_id.strip()] + ([whole.group(1)] if whole else []):
            stripped = typed.lstrip("0")
            keys, zero_led = self._zeros
            lo = np.searchsorted(keys, stripped, "left")
            hi = np.searchsorted(keys, stripped, "right")
            # numpy's str drops a trailing NUL: "5\x00" searched as "5" named "05"; compared here
            near += [stripped] if stripped in self else []
            near += [s for s in zero_led[lo:hi].tolist()
                     if s.strip().lstrip("0") == stripped and s.strip()]
        asked = external_id.strip()
        if asked.isascii() and asked.isdigit():  # and the reverse: "429" names "429.0"
            near += [s for s in (asked + ".0", (asked.lstrip("0") or "0") + ".0") if s in self]
        near += self._sheet_text(asked)
        near += self.same_form(external_id)
        return [s for s in dict.fromkeys(near) if s != external_id]

    def _sheet_text(self, asked: str) -> list[str]:
        """The known ids ``asked`` (stripped) is in Excel's text-keeping form ``="0041"``:
        the id inside it (and that id's zero-led or stripped forms); and the reverse, the
        known ``="0041"`` that ``0041`` is inside (a log trained with the formulas as ids)."""
        from recommender.io.csvsafe import sheet_text

        inner = sheet_text(asked)
        if inner is not None:
            return ([inner] if inner in self else []) + [
                s for s in self.same_but_zeros(inner) if s != asked]
        wrapped = '="' + asked.replace('"', '""') + '"'
        return [wrapped] if asked and wrapped in self else []

    def same_form(self, external_id: str) -> list[str]:
        """The known ids equal to ``external_id``, surrounding spaces of each aside, once both
        are in Unicode form NFC: ``Amélie`` typed composed (NFC, as most keyboards type it)
        names the id ``Amélie`` stored decomposed (NFD, as macOS file names and some exports
        hold it), and the reverse; the two look alike, and were told only "unknown". Ids are still
        matched byte for byte: this only names the id meant."""
        if self._forms is None:  # vectorised: a dict of every id's NFC form cost a Python loop
            self._forms = self._keyed(pc.utf8_normalize(self._trimmed(), "NFC"))
        key = unicodedata.normalize("NFC", external_id.strip())
        if not key:
            return []
        keys, ids = self._forms
        lo, hi = np.searchsorted(keys, key, "left"), np.searchsorted(keys, key, "right")
        same = [s for s in ids[lo:hi].tolist()
                if unicodedata.normalize("NFC", s.strip()) == key]
        return ([key] if key in self else []) + same

    def same_case(self, external_id: str) -> list[str]:
        """The known ids equal to ``external_id`` but for upper and lower case, surrounding
        spaces of each aside ("u01060" for "U01060", "c004" for "C004", "İrem" for "İREM",
        "οδος" for "ΟΔΟΣ"), a dotless ı read as i ("kış" for "KIŞ"), other than ``external_id``
        itself, both sides keyed alike (``_case_key``). Only a hint: ids are still matched
        byte for byte."""
        if self._cases is None:  # vectorised: only the ids with a capital (or padded) are kept
            self._cases = self._keyed(_case_key(self._arrow))
        # one key for both sides, Arrow's lower case: Python's str.lower writes İ as i and a
        # dot above, so "İREM" was no "İrem" (each "irem" to Arrow) and named none
        key = _case_key(pa.array([external_id], pa.string()))[0].as_py()
        if not key:
            return []
        keys, ids = self._cases
        lo, hi = np.searchsorted(keys, key, "left"), np.searchsorted(keys, key, "right")
        found = ids[lo:hi].tolist()
        same = [s for s, k in zip(found, _case_key(pa.array(found, pa.string())).to_pylist(),
                                  strict=True) if k == key]
        return [s for s in dict.fromkeys(([key] if key in self else []) + same)
                if s != external_id]

    def opt_out_twins(self, external_ids: Sequence[str]
                      ) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """(positions in ``external_ids``, indices of known ids): each known id other than the
        one given that a given id names once a leading U+FEFF (a byte-order mark a file
        concatenated with another kept mid-list) is dropped and both are in Unicode form NFC
        (``joão`` decomposed, NFD, names ``joão`` stored composed, and the reverse), for a
        given id that names no user as written only: an id held byte for byte is that user,
        never also its twin (a different user the model holds in the other form). An
        opt-out leaves out these users too: it fails safe, where an id written to the byte
        would leave the person it meant in a plan. Vectorised; ASCII ids name none."""
        none = (np.zeros(0, np.int64), np.zeros(0, np.int64))
        if not len(external_ids):
            return none
        query = pa.array(list(external_ids), pa.string())
        pos = np.flatnonzero(~np.asarray(
            pc.string_is_ascii(query).to_numpy(zero_copy_only=False), dtype=bool))
        if not len(pos):
            return none
        odd = query.take(pa.array(pos))
        key = pc.utf8_normalize(pc.utf8_ltrim(odd, "\ufeff"), "NFC")
        own = self.to_index(odd, strict=False)
        at = self.to_index(key, strict=False)  # the NFC (or unmarked) form held as it is
        hit = at >= 0
        p_out, i_out = [pos[hit]], [at[hit]]
        if self._forms is None:
            self._forms = self._keyed(pc.utf8_normalize(self._trimmed(), "NFC"))
        keys, held = self._forms
        if len(keys):  # the ids held in another form than NFC, by their NFC form
            k = np.asarray(key.to_numpy(zero_copy_only=False), dtype=str)
            lo, hi = np.searchsorted(keys, k, "left"), np.searchsorted(keys, k, "right")
            n = hi - lo
            rows = np.repeat(np.arange(len(k)), n)
            j = np.arange(int(n.sum())) - np.repeat(np.cumsum(n) - n, n) + np.repeat(lo, n)
            p_out.append(pos[rows])
            i_out.append(self.to_index(held[j].astype(str), strict=False))
        p_all, i_all = np.concatenate(p_out), np.concatenate(i_out)
        own_all = np.full(len(external_ids), -1, np.int64)
        own_all[pos] = own
        keep = (i_all >= 0) & (own_all[p_all] < 0)  # an id held as written names itself
        pairs = np.unique(np.stack([p_all[keep], i_all[keep]]), axis=1)
        return pairs[0].astype(np.int64), pairs[1].astype(np.int64)

    def _trimmed(self) -> pa.Array:
        """The ids stripped of surrounding whitespace (Python's ``str.strip``'s)."""
        return pc.utf8_trim_whitespace(self._arrow)

    def _keyed(self, keys: pa.Array) -> tuple[NDArray[np.str_], NDArray[np.str_]]:
        """(keys, ids) of the ids whose key (one per id) differs from the id, sorted by key,
        equal keys in id order. Only those few become numpy arrays: a fixed-width copy of
        every id's key is as wide as the longest one, for each of them."""
        differs = pc.not_equal(keys, self._arrow)
        odd = np.asarray(differs.to_numpy(zero_copy_only=False), dtype=bool)
        kept = np.asarray(keys.filter(differs).to_numpy(zero_copy_only=False), dtype=str)
        order = np.argsort(kept, kind="stable")
        return kept[order], self._ids[odd][order]

    def did_you_mean(self, external_ids: Iterable[str], named: bool = False) -> str:
        """"; did you mean '0555612'?" for unknown ids that differ from known ones only by
        leading zeros, surrounding spaces or Unicode form, else by upper and lower case
        (``same_case``: "u01060" for "U01060") (the first 5), or "". A known id in another
        Unicode form, which prints as the id typed, says which form each is in.
        ``named``: each as "'7' for '007'", of one id too (an error naming several ids)."""
        pairs = [(u, near) for u in itertools.islice(external_ids, 1000)
                 for near in (self.same_but_zeros(u) or self.same_case(u))][:5]
        if not pairs:
            return ""
        if len({u for u, _ in pairs}) == 1 and not named:  # named: of several ids named
            return ("; did you mean " + " or ".join(repr(n) + form_note(u, n) for u, n in pairs)
                    + "?")
        return "; did you mean " + ", ".join(f"{n!r} for {u!r}{form_note(u, n)}"
                                             for u, n in pairs) + "?"

    def unknown(self, error: type[UnknownIdError], external_ids: Iterable[str]
                ) -> UnknownIdError:
        """``error`` naming ``external_ids``, with ``did_you_mean``'s hint."""
        ids = list(external_ids)
        e = error(ids)
        hint = self.did_you_mean(ids)
        if hint:
            e.args = (f"{e}{hint}",)
        return e

    def to_ids(self, indices: NDArray[np.integer]) -> NDArray[np.str_]:
        return self._ids[np.asarray(indices)]


def opt_out_index(users: IdMap, exclude: Sequence[str]
                  ) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """(each opt-out's user index, -1 where it names no user in any form; every user left
    out): an opt-out names the user it is, and those it is once a leading U+FEFF is dropped
    or in another Unicode form (``IdMap.opt_out_twins``: an opt-out fails safe)."""
    idx = users.to_index(exclude, strict=False) if len(exclude) else np.zeros(0, np.int64)
    pos, twin = users.opt_out_twins(exclude)
    named = idx.copy()
    named[pos[::-1]] = np.where(named[pos[::-1]] >= 0, named[pos[::-1]], twin[::-1])
    out = np.unique(np.concatenate([idx[idx >= 0], twin]))
    return named, out


def opt_out_twin_groups(users: IdMap, exclude: Sequence[str]) -> dict[int, list[str]]:
    """{position in ``exclude``: the users it names only in another Unicode form or behind a
    leading U+FEFF} (``IdMap.opt_out_twins``' pairs grouped by position, in position order):
    such an id names no user as written, so it stands for these users alone. The one grouping
    of ``opt_out_readings`` (HTTP's ``plan_notes``) and ``id_lists.read_opt_outs`` (the
    CLI's)."""
    pos, twin = users.opt_out_twins(exclude)
    out: dict[int, list[str]] = {}
    for i, t in zip(pos.tolist(), users.to_ids(twin).tolist(), strict=True):
        out.setdefault(i, []).append(t)
    return out


def opt_out_readings(users: IdMap, exclude: Sequence[str],
                     groups: dict[int, list[str]] | None = None
                     ) -> list[tuple[str, list[str]]]:
    """(opt-out as given, the users it was read as) for each of ``exclude`` that names users
    only in another Unicode form or behind a leading U+FEFF (``opt_out_twin_groups``, or
    ``groups`` where already grouped), the users ``exclude`` does not name byte for byte
    itself: what ``opt_out_read_note`` says."""
    groups = opt_out_twin_groups(users, exclude) if groups is None else groups
    given = set(exclude)
    said = {i: [t for t in ts if t not in given] for i, ts in groups.items()}
    return [(exclude[i], ts) for i, ts in said.items() if ts]


def opt_out_read_note(readings: Sequence[tuple[str, Sequence[str]]], shown: int = 5) -> str:
    """The note of opt-outs read otherwise (``readings``: (id given, users it was read as)),
    naming both forms, as ``plan --exclude`` prints it and a plan's ``plan_notes`` hold it
    (``kind`` ``opt_out_form``) for ``POST /campaigns/plan``; "" for none."""
    if not readings:
        return ""
    marked = any(u.startswith("\ufeff") for u, _ in readings)
    formed = any(t != u.lstrip("\ufeff") for u, ts in readings for t in ts)
    how = " or ".join(w for w, on in (("in another Unicode form", formed),
                                      ("without a leading U+FEFF (a byte-order mark)", marked))
                      if on)
    why = "; ".join(w for w, on in (("the same letters, written otherwise", formed),
                                    ("a mark two joined files leave mid-list", marked)) if on)
    n, held = len(readings), sum(len(ts) for _, ts in readings)
    said = "; ".join(f"{u!r}{form_named(u)} as " + ", ".join(repr(t) + form_named(t)
                                                              for t in ts)
                     for u, ts in readings[:shown])
    more = f" and {n - shown:,} more" if n > shown else ""
    return (f"{n:,} opt-out id{'s' * (n > 1)} read {how} too ({why}), the user"
            f"{'s' * (held > 1)} the model holds so left out: {said}{more}: an opt-out fails "
            "safe")


def _case_key(ids: pa.Array) -> pa.Array:
    """``ids`` stripped of surrounding whitespace and lower-cased (Arrow's ``utf8_lower``: İ
    is i), a word-final ς as σ and a Turkish dotless ı as i, the stored ids and the one typed
    alike (``IdMap.same_case``): Arrow writes every Σ as σ, where Python's ``str.lower`` wrote
    a word's last as ς, so a stored ``οδος`` was no ``ΟΔΟΣ`` (nor ``ΣΊΣΥΦΟΣ`` a ``σίσυφος``);
    and I as i, so ``KIŞ`` was no ``kış``. A hint only: ids are matched byte for byte."""
    from recommender.io.id_twins import no_spaces_or_case

    return no_spaces_or_case(ids)


def unicode_form(text: str) -> str:
    """Which Unicode normal form ``text`` is in, as an error names it."""
    if unicodedata.is_normalized("NFC", text):
        return "NFC, accents composed"
    if unicodedata.is_normalized("NFD", text):
        return "NFD, accents decomposed"
    return "neither NFC nor NFD"


def form_named(value: str) -> str:
    """" (Unicode form NFD, accents decomposed)" after an id a message prints where the id
    has letters another Unicode form writes otherwise (its twin prints alike: "Amélie"
    composed and decomposed), else "": the form an unknown-id error names (``unicode_form``),
    for the messages that print an id without one (plan notes, ``forget``'s, an erased id's)."""
    if unicodedata.is_normalized("NFC", value) and unicodedata.is_normalized("NFD", value):
        return ""
    return f" (Unicode form {unicode_form(value)})"


def form_note(typed: str, known: str) -> str:
    """How ``known`` differs from ``typed`` when only their Unicode forms do (they print alike),
    else "": " (the same letters in Unicode form NFC, accents composed; the id given is NFD,
    accents decomposed)"."""
    if unicodedata.normalize("NFC", typed.strip()) != unicodedata.normalize("NFC", known.strip()):
        return ""
    if typed.strip() == known.strip():
        return ""  # surrounding spaces alone: repr shows them
    return (f" (the same letters in Unicode form {unicode_form(known)}; "
            f"the id given is {unicode_form(typed)})")


class UsersAndFilms:
    """Mixin for tables indexed by a user and a film ``IdMap`` (interactions, the model)."""

    users: IdMap
    films: IdMap

    @property
    def n_users(self) -> int:
        return len(self.users)

    @property
    def n_films(self) -> int:
        return len(self.films)
