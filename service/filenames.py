"""File names of downloads (``Content-Disposition``): ids reduced to a safe alphabet."""

from __future__ import annotations

import hashlib
import itertools
import re
import unicodedata
import urllib.parse
from collections.abc import Callable, Sequence


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


def id_tag(text: str) -> str:
    """A short hash of ``text``'s UTF-8 bytes (SHA-256's first 8 hex digits), which a file
    name carries after an id its safe form changed: films ``🍿`` and ``🎬`` were both
    ``audience__.csv``, and ``Amélie`` composed and decomposed (two ids) one name."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:8]


def attachment(parts: Sequence[str], fallback: str, ext: str = "csv", most: int = 160,
               ids: Sequence[int] = ()) -> str:
    """The ``Content-Disposition`` of a download named by ``parts`` (the empty ones left out)
    joined by "_", each made safe, cut at ``most`` characters: ``filename`` in ASCII, and where
    an id holds other letters, ``filename*`` (RFC 6266, RFC 8187) with them, which browsers
    prefer: films ``ß`` and ``עברית`` were both saved as ``audience__.csv``. ``ids``: the
    indices of the parts that are ids; one that a name's safe form changes (a symbol, a
    character outside the name's alphabet, another Unicode form, a cut) is followed by
    ``-`` and its ``id_tag``, so that distinct ids name distinct files."""
    def named(safe: Callable[[str, str], str]) -> str:
        words = [safe(p, fallback) + (f"-{id_tag(p)}" if i in ids and safe(p, fallback) != p
                                      else "") for i, p in enumerate(parts) if p]
        return "_".join(words)[:most]

    ascii_name = named(safe_filename)
    header = f'attachment; filename="{ascii_name}.{ext}"'
    name = named(unicode_filename)
    if name != ascii_name:
        header += f"; filename*=UTF-8''{urllib.parse.quote(f'{name}.{ext}', safe='')}"
    return header
