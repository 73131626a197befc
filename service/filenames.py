"""File names of downloads (``Content-Disposition``): ids reduced to a safe alphabet."""

from __future__ import annotations

import re


def safe_filename(text: str, fallback: str) -> str:
    """``text`` with every run of characters outside ``A-Za-z0-9._-`` as one "_", at most 80
    characters, or ``fallback`` when nothing is left: an id holding a quote, a slash or a line
    break cannot end the header's quoted name or name a path."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text)[:80] or fallback
