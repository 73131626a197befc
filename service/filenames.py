"""File names of downloads (``Content-Disposition``): ids reduced to a safe alphabet."""

from __future__ import annotations

import itertools
import re
import unicodedata
import urllib.parse
from collections.abc import Sequence


def safe_filename(text: str, fallback: str) -> str:
    """``text`` with every run of characters outside ``A-Za-z0-9._-`` as one "_", at most 80
    characters, or ``fallback`` when nothing is left: an id holding a quote, a slash or a line
    break cannot end the header's quoted name or name a path."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text)[:80] or fallback


def _kept(c: str) -> bool:
    """Whether a file name keeps ``c``: a letter, a digit or a mark of any script, "_", "."
    or "-" (the Studio's ``namePart``: ``[\\p{L}\\p{N}\\p{M}_.-]``)."""
    return c.isalnum() or c in "_.-" or unicodedata.category(c).startswith("M")


def unicode_filename(text: str, fallback: str) -> str:
    """``text`` as ``safe_filename`` makes it, but keeping letters, digits and marks of any
    script (the text in Unicode form NFC first: an accent stored decomposed is kept, composed;
    a vowel sign no form composes is kept as it is: ``हिन्दी`` was ``ह_न_द_``)."""
    text = unicodedata.normalize("NFC", text)
    kept = "".join("".join(run) if keep else "_" for keep, run in itertools.groupby(text, _kept))
    return kept[:80] or fallback


def attachment(parts: Sequence[str], fallback: str, ext: str = "csv", most: int = 160) -> str:
    """The ``Content-Disposition`` of a download named by ``parts`` (the empty ones left out)
    joined by "_", each made safe, cut at ``most`` characters: ``filename`` in ASCII, and where
    an id holds other letters, ``filename*`` (RFC 6266, RFC 8187) with them, which browsers
    prefer: films ``ß`` and ``עברית`` were both saved as ``audience__.csv``."""
    ascii_name = "_".join(safe_filename(p, fallback) for p in parts if p)[:most]
    header = f'attachment; filename="{ascii_name}.{ext}"'
    name = "_".join(unicode_filename(p, fallback) for p in parts if p)[:most]
    if name != ascii_name:
        header += f"; filename*=UTF-8''{urllib.parse.quote(f'{name}.{ext}', safe='')}"
    return header
