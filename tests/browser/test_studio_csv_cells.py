"""The Studio's CSV cells (files.js ``csvCell``: the lookalike and allocation downloads) are
written as the server writes them (``csvsafe``), a quote after a ``;``, tab, CR or LF that a
formula sign follows included: ``x;=1+1`` was written as it came, quoted only where it held a
comma, a quote or a line break, and a spreadsheet splitting on ``;`` (Excel in German, French,
Spanish, Italian or Dutch settings) read ``=1+1`` as a cell of its own. A seed list cut from
such a file is read as the ids it came from (``originalCell``).

Oracles: Python's ``csv`` module reading the line the Studio writes with ``;`` and tabs as
delimiters, and ``security_fixtures.csv_rule`` (the rule written out character by character)
with ``csv`` quoting it as the server's writers do.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from security_fixtures import SEPARATOR_USERS, csv_rule

from recommender.io.csvsafe import csv_writer, sheet_unquoted

FORMULA = ("=", "+", "-", "@", "\uff1d", "\uff0b", "\uff0d", "\uff20")
CELLS = [*SEPARATOR_USERS, "\x00=5", "a;\"\"=1", "=x", "plain", "a,b", "p\tq", "'q", "-1"]


def test_the_studio_writes_our_cells_as_the_server_does(watched: Any, served_demo: Any) -> None:
    page = watched.page
    page.goto(f"{served_demo.base}/studio/#/build")
    page.wait_for_selector("#seed-ids")
    line = page.evaluate("async (cells) => cells.map((await import("
                         "'/studio/assets/js/files.js')).csvCell).join(',')", CELLS)
    for delimiter in (";", "\t"):
        for row in csv.reader(io.StringIO(line + "\n", newline=""), delimiter=delimiter):
            for cell in row:
                assert not cell.lstrip("\t\r\x00").startswith(FORMULA), (delimiter, cell)
    server = io.StringIO()
    csv_writer(server).writerow([csv_rule(c) for c in CELLS])
    assert line + "\n" == server.getvalue()
    back = page.evaluate("async (cells) => { const m = await import('/studio/assets/js/files.js');"
                         " return cells.map((c) => m.originalCell(m.csvCells(m.csvCell(c))[0]))"
                         " }", [c for c in CELLS if "\n" not in c and "\r" not in c])
    assert back == [c for c in CELLS if "\n" not in c and "\r" not in c]
    # a seed list cut from such a download: its cells as written, then (where the model holds
    # none as written) the ids they came from, as the CLI reads them (csvsafe.sheet_unquoted)
    got = page.evaluate("async (t) => { const m = await import('/studio/assets/js/seed_list.js');"
                        " return m.parseIds(t).map((c) => [c, m.otherReadings(c)]) }",
                        "user_id,rank\n\"x;'=1+1\",1\n\"f;''g\",2\n'-1,3\n")
    assert got == [[c, [sheet_unquoted(c)]] for c in ("x;'=1+1", "f;''g", "'-1")]
    assert [sheet_unquoted(c) for c, _ in got] == ["x;=1+1", "f;'g", "-1"]
    watched.assert_clean()
