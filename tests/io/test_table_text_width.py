"""Terminal tables align cells by the columns a terminal gives them, not by code points, and
show a line break or a direction override inside a cell escaped (a CJK title pushed the
columns after it out of line, an NFD accent pulled them in, and a title holding a line break
cut its row in two)."""

from __future__ import annotations

import unicodedata

from recommender.io.text import table_text

# each cell with the columns a terminal gives it, counted by hand: a CJK character or an emoji
# takes 2, a combining accent 0
CELLS = [("千と千尋", 8), ("🎬 Pop", 6), (unicodedata.normalize("NFD", "Amélie"), 6),
         ("Amélie", 6), ("Ocean's １２", 12), ("abc", 3), ("שלום", 4)]


def _columns(text: str) -> int:
    return sum(0 if unicodedata.combining(c) else 2 if c in "千と尋🎬１２" else 1 for c in text)


def test_the_next_column_starts_at_the_same_terminal_column_on_every_line() -> None:
    assert all(_columns(c) == w for c, w in CELLS)  # the hand counts, checked once more
    lines = table_text(["title", "end"], [[c, "|"] for c, _ in CELLS]).split("\n")
    widest = max(w for _, w in CELLS)
    assert lines[0] == "title".ljust(widest) + "  end"
    assert lines[1] == "-" * widest + "  ---"
    for line, (cell, _) in zip(lines[2:], CELLS, strict=True):
        assert line.startswith(cell)
        assert _columns(line[:line.index("|")]) == widest + 2, line


def test_a_line_break_or_direction_override_in_a_cell_is_shown_escaped() -> None:
    rows = [["x+y", "Line\nbreak"], ["a\tb", "\u202eevil"], ["ok", "Amélie"]]
    lines = table_text(["film_id", "title"], rows).split("\n")
    assert len(lines) == 2 + len(rows)
    assert lines[2].split() == ["x+y", "Line\\nbreak"]
    assert lines[3].split() == ["a\\tb", "\\u202eevil"]
    assert lines[4].split() == ["ok", "Amélie"]
    assert not any(c in "\n\t\u202e" for line in lines for c in line)


def test_a_header_or_a_line_separator_cannot_break_the_table_either() -> None:
    # a header is a users file's column name (audience --with); U+2028 and U+2029 are line
    # breaks to str.splitlines and a pager
    rows = [["a\u2028b", "1"], ["c\u2029d", "2"]]
    text = table_text(["home\ncity", "n\u202e"], rows)
    lines = text.splitlines()
    assert len(lines) == 2 + len(rows), lines
    assert lines[0].split() == ["home\\ncity", "n\\u202e"]
    assert [line.split() for line in lines[2:]] == [["a\\u2028b", "1"], ["c\\u2029d", "2"]]
