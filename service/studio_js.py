"""The Studio's JavaScript modules as the browser receives them: the same code, comments left out.

The sources in ``service/studio/js`` explain each rule and its reason at length; the browser
needs none of it, so ``recommender serve`` sends each module without its comments
(``stripped``). Only comments go: every string, template literal and regular expression is kept
byte for byte, a line that held only a comment is removed, and a comment that spans lines
inside a line of code becomes a line break (automatic semicolon insertion reads it as one). A
module the scanner cannot read to its end (an unclosed string, template or comment), or
cannot be sure of (a "/" after "}", a line terminator other than LF or CR LF), is sent as
written. acorn, the tokenizer bundled with node, checks this reading of every module
(tests/service/test_studio_js_oracle.py).
"""

from __future__ import annotations

import re

# words after which a "/" starts a regular expression, not a division: acorn's keywords that
# come before an expression ("of" is one only after a value: ``for (x of /a/)`` but ``of / 2``)
_REGEX_AFTER_WORDS = frozenset({
    "return", "typeof", "instanceof", "in", "of", "new", "delete", "void", "throw", "case",
    "default", "extends", "do", "else", "yield", "await"})
# tokens after which a "/" starts a regular expression: punctuators, and the ")" closing the
# condition of an if, for, while or with ("stmt)"); after another ")", a "]", a name, a number,
# a string or "++"/"--" it divides (after "}" it could be either: the scanner declines)
_REGEX_AFTER = frozenset("(,=:[!&|?{;+-*%<>~^/") | {"", "...", "stmt)"}
_STATEMENT_WORDS = frozenset({"if", "for", "while", "with"})
_WORD = re.compile(r"[A-Za-z_$][\w$]*|\d[\w.]*")
_PUNCTUATOR = re.compile(r"\+\+|--|\.\.\.|.", re.DOTALL)
_LINE_END = re.compile(r"[\r\n]")
# line terminators the line logic below does not follow: a lone CR, U+2028, U+2029
_ODD_LINE_END = re.compile("\r(?!\n)|[\u2028\u2029]")


class _UnreadableError(ValueError):
    """The source ends inside a string, template, regular expression or comment, or holds
    what the scanner cannot be sure of."""


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
    depth, last = 0, ""  # last: the token before, or "name" / "stmt)" standing for one
    statement_parens: list[bool] = []  # for each "(" open, whether it follows if/for/while/with
    while i < len(src):
        c = src[i]
        if src.startswith("//", i):
            line_end = _LINE_END.search(src, i)
            end = len(src) if line_end is None else line_end.start()
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
        elif c == "/" and last == "}":
            raise _UnreadableError('a "/" after "}": a division or a regular expression')
        elif c == "/" and (last in _REGEX_AFTER or last in _REGEX_AFTER_WORDS):
            i, last = _regex_end(src, i), "regex"
        elif c.isspace() or c == "\ufeff":
            i += 1
        elif word := _WORD.match(src, i):
            last = ("name" if last in (".", "?.") or (word.group(0) == "of" and (
                last in _REGEX_AFTER or last in _REGEX_AFTER_WORDS)) else
                "for" if last == "for" and word.group(0) == "await" else word.group(0))
            i = word.end()
        else:
            punctuator = _PUNCTUATOR.match(src, i)
            token = punctuator.group(0) if punctuator else c
            i += len(token)
            if token == "(":
                statement_parens.append(last in _STATEMENT_WORDS)
            elif token == ")":
                if statement_parens and statement_parens.pop():
                    token = "stmt)"
            elif token == "{":
                depth += 1
            elif token == "}":
                if in_substitution and depth == 0:
                    return i
                depth -= 1
            last = "?." if last == "?" and token == "." else token
    if in_substitution:
        raise _UnreadableError("unclosed template substitution")
    return i


def comment_spans(src: str) -> list[tuple[int, int]]:
    """Each comment of the module ``src`` as its (start, end) indices, in order; raises
    ValueError where the source ends inside a string, template, regex or comment, or holds
    what the scanner cannot be sure of."""
    if _ODD_LINE_END.search(src):
        raise _UnreadableError("a line terminator other than LF or CR LF")
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
