"""Checks of the trained log's ids a spreadsheet, a separator or an export damaged, at train."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from recommender.model.model import Model


def odd_log_ids(model: Model) -> None:
    """Warn of the log's ids a spreadsheet or a separator damaged (``padded_ids``,
    ``scientific_ids``): they are kept byte for byte, so nothing else says so."""
    padded_ids(model)
    scientific_ids(model)
    float_ids(model)
    sheet_text_ids(model)
    zero_split_ids(model)
    form_split_ids(model)
    case_split_ids(model)


def form_split_ids(model: Model) -> None:
    """Warn of the log's ids that are another of its ids in another Unicode form (``café``
    decomposed, NFD, ``e`` and U+0301, beside it composed, NFC: two exports merged, one
    from a system that decomposes): kept byte for byte, they are two users (films), one
    history split in two, without a word. Only the ids of non-ASCII bytes are normalised;
    those not in NFC are counted, each shown beside another id of its form (``ascii``
    escapes: the two look alike)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    from recommender.io import arrow_numpy as an

    for kind, known in (("user", model.users), ("film", model.films)):
        wide = np.flatnonzero(~np.asarray(an.values(pc.string_is_ascii(known.arrow)), bool))
        if not len(wide):
            continue
        written = pc.take(known.arrow, pa.array(wide))
        nfc = pc.utf8_normalize(written, "NFC")
        off = np.asarray(pc.not_equal(nfc, written).to_numpy(zero_copy_only=False), bool)
        if not off.any():
            continue
        mask = np.zeros(len(known), bool)
        mask[wide[off]] = True
        found = _twins(kind, known, pa.array(mask), wide[off], pc.filter(nfc, pa.array(off)),
                       ascii)
        if found is None:
            continue
        head, pairs = found
        print(f"{head} in another Unicode form ({pairs}: the same letters, other code "
              "points, as NFC and NFD write an accent): ids are kept byte for byte, so each "
              f"is a {kind} of its own; write the ids in one form (NFC)", file=sys.stderr)


def case_split_ids(model: Model) -> None:
    """Warn of the log's ids that are another of its ids but for letter case
    (``USER00429@MAIL.COM`` beside ``user00429@mail.com``: two exports merged, one of which
    upper-cased its e-mails): kept byte for byte, they are two users (films), one history
    split in two, without a word. The ids with a capital are counted, each shown beside
    another id of its lower case."""
    import numpy as np
    import pyarrow.compute as pc

    from recommender.io.id_twins import lower_case

    for kind, known in (("user", model.users), ("film", model.films)):
        lower = lower_case(known.arrow)
        changed = pc.not_equal(lower, known.arrow)
        # no capital, or no two ids of one lower case (one hash pass): nothing split
        if not pc.any(changed).as_py() or pc.count_distinct(lower).as_py() == len(known):
            continue
        at = np.flatnonzero(np.asarray(changed.to_numpy(zero_copy_only=False), bool))
        found = _twins(kind, known, changed, at, pc.filter(lower, changed), repr)
        if found is None:
            continue
        head, pairs = found
        print(f"{head} but for letter case ({pairs}): ids are kept byte for byte, so each "
              f"is a {kind} of its own, its interactions apart; write the ids in one case "
              "(lower-case e-mails) if that was not meant", file=sys.stderr)


def _twins(kind: str, known: Any, mask: Any, at: Any, forms: Any,
           show: Callable[[str], str]) -> tuple[str, str] | None:
    """Of the ids under ``mask`` (at positions ``at``, their forms ``forms``), those another
    id shares its form with (``_shared``): the warning's head ("warning: N user ids of the
    log are another of its user ids") and the first three, each beside one such id
    (``show``: ``repr``, or ``ascii`` where the two look alike); None when none."""
    import numpy as np

    split = np.flatnonzero(_shared(known.arrow, mask, forms))  # positions in forms
    if not len(split):
        return None
    ids, n = known.ids, len(split)
    beside = [_beside(known.arrow, forms, at, int(k)) for k in split[:3]]
    pairs = ", ".join(f"{show(str(ids[at[k]]))} beside {show(str(ids[j]))}"
                      for k, j in zip(split[:3], beside, strict=True))
    return (f"warning: {n:,} {kind} id{'s' * (n != 1)} of the log {'are' if n != 1 else 'is'} "
            f"another of its {kind} ids"), pairs


def _beside(ids: Any, forms: Any, at: Any, k: int) -> int:
    """The first id other than ``ids[at[k]]`` whose form is ``forms[k]`` (``forms``: those of
    the ids at ``at``; any other id is its own form)."""
    import numpy as np
    import pyarrow.compute as pc

    form = forms[k]
    same = [*np.flatnonzero(pc.equal(ids, form).to_numpy(zero_copy_only=False)),
            *np.asarray(at)[np.flatnonzero(pc.equal(forms, form).to_numpy(
                zero_copy_only=False))]]
    return int(min(j for j in same if j != at[k]))


def zero_split_ids(model: Model) -> None:
    """Warn of the log's ids that are another of its ids but for leading zeros (``7`` beside
    ``007``: two exports merged, one through a spreadsheet, which drops them): kept byte for
    byte, they are two users (films), one person's history split in two, without a word.
    An id of zeros only is the number 0 (``00000`` beside ``0``: a spreadsheet writes 0)."""
    import numpy as np
    import pyarrow.compute as pc

    from recommender.io import arrow_numpy as an

    for kind, known in (("user", model.users), ("film", model.films)):
        bare = pc.utf8_ltrim(known.arrow, "0")
        # no id is empty: '000' is 0
        bare = pc.if_else(pc.equal(bare, an.scalar("", bare.type)), an.scalar("0", bare.type),
                          bare)
        changed = pc.not_equal(bare, known.arrow)
        # ids of one width never split; else counted before grouped (~4 s at 3M, for none)
        if not pc.any(changed).as_py() or _one_each(known.arrow, bare):
            continue
        split = np.flatnonzero(np.asarray(changed.to_numpy(zero_copy_only=False), bool)
                               & (_group_sizes(bare) > 1))
        if not len(split):
            continue
        ids = known.ids
        # the first three shown, each beside another id of its group
        other = [next(j for j in np.flatnonzero(pc.equal(bare, bare[int(i)]).to_numpy(
            zero_copy_only=False)) if j != i) for i in split[:3]]
        pairs = ", ".join(f"{str(ids[i])!r} beside {str(ids[j])!r}"
                          for i, j in zip(split[:3], other, strict=True))
        print(f"warning: {len(split):,} {kind} id{'s' * (len(split) != 1)} of the log "
              f"{'are' if len(split) != 1 else 'is'} another of its {kind} ids but for "
              f"leading zeros ({pairs}): ids are kept byte for byte, so each is a {kind} "
              "of its own; a spreadsheet drops leading zeros: write the ids one way",
              file=sys.stderr)


def _one_each(ids: Any, bare: Any) -> bool:
    """Whether the forms ``bare`` of the unique ``ids`` are unique (so ids of one length)."""
    import pyarrow.compute as pc

    lengths = pc.min_max(pc.binary_length(ids))
    return bool(lengths["min"] == lengths["max"]) or pc.count_distinct(bare).as_py() == len(bare)


def _group_sizes(values: Any) -> Any:
    """For each of ``values`` (an arrow string array, chunked or not), how many of them are
    equal to it (numpy): a dictionary encoding's codes counted (value counts looked each value
    up again, twice the time: ~4 s at 3M ids)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(values, pa.ChunkedArray):  # one dictionary for all
        values = values.combine_chunks()
    codes = np.asarray(pc.dictionary_encode(values).indices.to_numpy(zero_copy_only=False))
    return np.bincount(codes, minlength=1)[codes]


def scientific_ids(model: Model) -> None:
    """Warn of the log's ids written as numbers in scientific notation (``1.23457E+11``, or
    ``1,23457E+11`` with a decimal comma, as a European spreadsheet writes it), as a
    spreadsheet shows a long numeric id and saves it to CSV: its last digits are lost, and
    ids that differed only there became one, so their histories were merged, without a
    word."""
    import pyarrow.compute as pc

    for kind, known in (("user", model.users), ("film", model.films)):
        if not pc.any(pc.match_substring(known.arrow, "E+", ignore_case=True)).as_py():
            continue  # (a plain search first: the regular expression costs more)
        odd = pc.match_substring_regex(known.arrow, r"^[0-9]([.,][0-9]+)?[Ee]\+[0-9]+$")
        n = int(pc.sum(odd).as_py() or 0)
        if n:
            shown = ", ".join(repr(str(i)) for i in known.ids[odd.to_numpy(
                zero_copy_only=False)][:3])
            what = "ids of the log are numbers" if n != 1 else "id of the log is a number"
            print(f"warning: {n:,} {kind} {what} in scientific notation ({shown}), as a "
                  "spreadsheet saves a long numeric id: its last digits are lost, and ids that "
                  "differed only there are one; export the id column as text", file=sys.stderr)


def float_ids(model: Model) -> None:
    """Warn of the log's ids that are whole numbers written as floats (``429.0``), as pandas
    writes an integer id column that held a missing value (the column became float): kept
    byte for byte, ``429`` finds none of them (the unknown-id hint names ``429.0``), and
    ``429.0`` beside ``429`` (two exports merged) split one history in two, without a word."""
    import numpy as np
    import pyarrow.compute as pc

    for kind, known in (("user", model.users), ("film", model.films)):
        if not pc.any(pc.match_substring(known.arrow, ".0")).as_py():
            continue  # (a plain search first: the regular expression costs more)
        mask = pc.match_substring_regex(known.arrow, r"^[0-9]+\.0+$")
        n = int(pc.sum(mask).as_py() or 0)
        if not n:
            continue
        at = np.flatnonzero(np.asarray(mask.to_numpy(zero_copy_only=False), bool))
        shown = ", ".join(repr(str(i)) for i in known.ids[at[:3]])
        forms = pc.replace_substring_regex(pc.filter(known.arrow, mask), r"\.0+$", "")
        twins = int(_shared(known.arrow, mask, forms).sum())
        # the example said to name no one: one whose form is no id of the log ('7.0' beside
        # '7' was said to leave '7' naming no user); where every form is one, said so
        rest = pc.filter(known.arrow, pc.invert(mask))
        is_id = np.asarray(pc.is_in(forms, value_set=pc.filter(rest, pc.is_in(
            rest, value_set=forms))).to_numpy(zero_copy_only=False), bool)
        pick = int(np.argmin(is_id))  # the first without an id of its form, else the first
        example, form = str(known.ids[at[pick]]), str(known.ids[at[pick]]).partition(".")[0]
        names = f"is another {kind}'s" if is_id[pick] else f"names no {kind}"
        every = f" (every {kind} id of the log is)" if n == len(known) else ""
        split = (f"; {twins:,} {'is' if twins == 1 else 'are'} another {kind} of the log but "
                 f"for the '.0': each such {kind}'s interactions are split in two"
                 if twins else "")
        print(f"warning: {n:,} {kind} id{'s' * (n != 1)} of the log "
              f"{'are whole numbers' if n != 1 else 'is a whole number'} written as "
              f"{'floats' if n != 1 else 'a float'} ({shown}){every}, as pandas writes an "
              f"integer id column that held a missing value: ids are kept byte for byte, so "
              f"{example!r} is the id and {form!r} {names}{split}; export the id "
              "column as integers or text (pandas: astype('Int64') before to_csv)",
              file=sys.stderr)


def sheet_text_ids(model: Model) -> None:
    """Warn of the log's ids written in Excel's text-keeping form ``="0041"`` (a formula whose
    value is the text, which keeps the leading zeros in a spreadsheet; a CSV holds it with
    its quotes doubled): kept byte for byte, ``="0041"`` is the id, ``0041`` finds nothing (the
    unknown-id hint names the form), and ``="0041"`` beside ``0041`` (two exports merged)
    split one history in two, without a word."""
    import numpy as np
    import pyarrow.compute as pc

    from recommender.io.csvsafe import sheet_text_column

    for kind, known in (("user", model.users), ("film", model.films)):
        if not pc.any(pc.starts_with(known.arrow, '="')).as_py():
            continue  # (a plain search first: the regular expression costs more)
        inner = sheet_text_column(known.arrow)
        mask = pc.not_equal(inner, known.arrow)
        n = int(pc.sum(mask).as_py() or 0)
        if not n:
            continue
        at = np.flatnonzero(np.asarray(mask.to_numpy(zero_copy_only=False), bool))
        forms = pc.filter(inner, mask)
        shown = ", ".join(f"{str(known.ids[i])!r} for {str(forms[k])!r}"
                          for k, i in enumerate(at[:3]))
        twins = int(_shared(known.arrow, mask, forms).sum())
        split = (f"; {twins:,} {'is' if twins == 1 else 'are'} another {kind} of the log but "
                 f"for the form: each such {kind}'s interactions are split in two"
                 if twins else "")
        print(f"warning: {n:,} {kind} id{'s' * (n != 1)} of the log {'are' if n != 1 else 'is'}"
              f" written in a spreadsheet's text-keeping form =\"...\" ({shown}), a formula "
              f"Excel keeps leading zeros by (a CSV cell \"=\"\"0041\"\"\"): ids are kept byte "
              f"for byte, so the formula is the id, not the id inside it{split};"
              " export the id column as plain text (the ids alone), or take the =\"\" off",
              file=sys.stderr)


def padded_ids(model: Model) -> None:
    """Warn of the log's ids with surrounding whitespace (``u1, f1``: a ', ' separator, a
    padded export): kept byte for byte, so ``' f1'`` is a film of its own, ``'f1'`` finds
    nothing, and ``'u1 '`` beside ``'u1'`` split one person's history in two, without a
    word."""
    import numpy as np
    import pyarrow.compute as pc

    for kind, known in (("user", model.users), ("film", model.films)):
        stripped = pc.utf8_trim_whitespace(known.arrow)
        padded_mask = pc.not_equal(stripped, known.arrow)
        if not pc.any(padded_mask).as_py():
            continue
        padded = np.flatnonzero(padded_mask.to_numpy(zero_copy_only=False))
        # few padded ids are looked up alone (grouping every id took 3.6-9.5 s at 3M)
        twins = int(_shared(known.arrow, padded_mask,
                            pc.filter(stripped, padded_mask)).sum())
        ids = known.ids
        shown = ", ".join(repr(str(ids[i])) for i in padded[:3])
        split = (f"; {twins:,} {'is' if twins == 1 else 'are'} another {kind} of the log but "
                 f"for the whitespace: each such {kind}'s interactions are split in two"
                 if twins else "")
        print(f"warning: {len(padded):,} {kind} id{'s' * (len(padded) != 1)} of the log "
              f"begin{'s' * (len(padded) == 1)} or end{'s' * (len(padded) == 1)} with "
              f"whitespace ({shown}): ids are kept byte for byte, so the model knows "
              f"{'them' if len(padded) != 1 else 'it'} as written{split}; strip the log's ids "
              "(a ', ' separator?) if that was not meant", file=sys.stderr)


def _shared(ids: Any, mask: Any, forms: Any) -> Any:
    """For each of the ``ids`` under ``mask`` (arrow arrays), whether another id has its form
    (``forms``: theirs, in order): an id outside ``mask`` equal to it (such an id is its own
    form, and none under ``mask`` may equal a form) or another masked id of the same form.
    Few forms are hashed and the other ids probed against them (a tenth of a second at 3M
    ids); many are grouped with the rest (``_group_sizes``)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    rest = pc.filter(ids, pc.invert(mask))
    if len(forms) * 8 > len(ids):  # (a large IdMap's arrow array is chunked)
        parts = [c for a in (rest, forms) for c in getattr(a, "chunks", [a])]
        return _group_sizes(pa.chunked_array(parts, pa.string()))[len(rest):] > 1
    hit = pc.filter(rest, pc.is_in(rest, value_set=forms))  # the rest's ids that are forms
    return np.asarray(pc.is_in(forms, value_set=hit).to_numpy(zero_copy_only=False),
                      bool) | (_group_sizes(forms) > 1)
