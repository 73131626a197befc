"""The Studio's JavaScript modules as the browser receives them: the same code, comments left out.

The sources in ``service/studio/js`` explain each rule and its reason at length; the browser
needs none of it, so ``recommender serve`` sends each module without its comments
(``stripped``). Only comments go: every string, template literal and regular expression is kept
byte for byte, a line that held only a comment is removed, and a comment that spans lines
inside a line of code becomes a line break (automatic semicolon insertion reads it as one). A
module the scanner cannot read to its end (an unclosed string, template or comment) is sent
as written.
"""

from __future__ import annotations

import re

# words after which a "/" starts a regular expression, not a division
_REGEX_AFTER_WORDS = frozenset({
    "return", "typeof", "instanceof", "in", "of", "new", "delete", "void", "throw", "case",
    "do", "else", "yield", "await"})
# punctuators after which a "/" starts a regular expression (after ")", "]", "}", a name or
# a number it divides)
_REGEX_AFTER = frozenset("(,=:[!&|?{};+-*%<>~^")
_WORD = re.compile(r"[A-Za-z_$][\w$]*|\d[\w.]*")


class _UnreadableError(ValueError):
    """The source ends inside a string, template, regular expression or comment."""


def _string_end(src: str, i: int) -> int:
    """The index after the string literal whose quote is at ``i``."""
    quote, j = src[i], i + 1
    while j < len(src) and src[j] != quote:
        j += 2 if src[j] == "\\" else 1
    if j >= len(src):
        raise _UnreadableError("unclosed string")
    return j + 1


def _regex_end(src: str, i: int) -> int:
    """The index after the regular expression literal (and its flags) starting at ``i``."""
    j, in_class = i + 1, False
    while j < len(src) and src[j] != "\n":
        c = src[j]
        if c == "\\":
            j += 2
            continue
        if c == "[":
            in_class = True
        elif c == "]":
            in_class = False
        elif c == "/" and not in_class:
            j += 1
            while j < len(src) and (src[j].isalpha()):
                j += 1
            return j
        j += 1
    raise _UnreadableError("unclosed regular expression")


def _template_end(src: str, i: int, spans: list[tuple[int, int]]) -> int:
    """The index after the template literal whose text starts at ``i`` (after its backtick)."""
    while i < len(src):
        c = src[i]
        if c == "\\":
            i += 2
        elif c == "`":
            return i + 1
        elif src.startswith("${", i):
            i = _code(src, i + 2, spans, in_substitution=True)
        else:
            i += 1
    raise _UnreadableError("unclosed template literal")


def _code(src: str, i: int, spans: list[tuple[int, int]], in_substitution: bool) -> int:
    """Scan code from ``i``, noting each comment's (start, end) in ``spans``; returns the index
    after the ``}`` closing a template substitution, or the source's end."""
    depth, last = 0, ""
    while i < len(src):
        c = src[i]
        if src.startswith("//", i):
            end = src.find("\n", i)
            end = len(src) if end < 0 else end
            spans.append((i, end))
            i = end
        elif src.startswith("/*", i):
            end = src.find("*/", i + 2)
            if end < 0:
                raise _UnreadableError("unclosed comment")
            spans.append((i, end + 2))
            i = end + 2
        elif c in "\"'":
            i, last = _string_end(src, i), "string"
        elif c == "`":
            i, last = _template_end(src, i + 1, spans), "string"
        elif c == "/" and (last == "" or last in _REGEX_AFTER_WORDS
                           or (len(last) == 1 and last in _REGEX_AFTER)):
            i, last = _regex_end(src, i), "regex"
        elif c.isspace():
            i += 1
        elif word := _WORD.match(src, i):
            last = word.group(0)
            i = word.end()
        else:
            if c == "{":
                depth += 1
            elif c == "}":
                if in_substitution and depth == 0:
                    return i + 1
                depth -= 1
            last = c
            i += 1
    if in_substitution:
        raise _UnreadableError("unclosed template substitution")
    return i


def comment_spans(src: str) -> list[tuple[int, int]]:
    """Each comment of the module ``src`` as its (start, end) indices, in order; raises
    ValueError where the source ends inside a string, template, regex or comment."""
    spans: list[tuple[int, int]] = []
    _code(src, 0, spans, in_substitution=False)
    return spans


def stripped(src: str) -> str:
    """The module ``src`` without its comments (``src`` itself where it cannot be read)."""
    try:
        spans = comment_spans(src)
    except _UnreadableError:
        return src
    out: list[str] = []
    kept = 0  # the index up to which src is copied or dropped
    for start, end in spans:
        line_start = src.rfind("\n", 0, start) + 1
        line_end = src.find("\n", end)
        line_end = len(src) if line_end < 0 else line_end
        alone_before = src[line_start:start].strip() == ""
        alone_after = src[end:line_end].strip() == ""
        if alone_before and alone_after:  # the comment's lines go whole
            out.append(src[kept:line_start])
            kept = min(line_end + 1, len(src))
        elif alone_after:  # after code: the comment and the blanks before it go
            out.append(src[kept:start].rstrip(" \t"))
            kept = end
        else:  # code follows on its line: a line break where the comment held one
            out.append(src[kept:start])
            out.append("\n" if "\n" in src[start:end] else " ")
            kept = end
    out.append(src[kept:])
    return "".join(out)
