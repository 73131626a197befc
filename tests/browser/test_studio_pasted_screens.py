"""Distribute's pasted ``cinema_id,screens`` lines read a cell's screens by the server's rule
for a screens file (``io.places.whole_count``): "2.0", as pandas writes a float column, is 2
as the CLI and HTTP take it (the Studio refused it, digits alone), while "2.5" is refused in
the Studio's words for any other bad cell. Oracle: ``whole_count`` itself, cell by cell."""

from __future__ import annotations

from typing import Any

from recommender.io.places import MAX_COUNT, whole_count

CELLS = ["2", "2.0", "2.00", "3e0", "0.5e1", "20e-1", "1e9", "2147483647", "2147483647.0",
         "2147483648", "2.5", "1.0000000000000001", "0", "0.0", "00", "+3", "-3", " 3", "3 ",
         "1_0", "\u0663", "\u00b2", "0x10", "1e", ".5", "5.", "1e99999", "1e-99999", "", "x"]


def test_pasted_screens_are_read_as_the_cli_reads_a_screens_file(watched: Any,
                                                                 served_demo: Any) -> None:
    page = watched.page
    page.goto(f"{served_demo.base}/studio/#/distribute")
    page.wait_for_selector("#dslate-cinemas-text")
    got = page.evaluate("async (cells) => { const m = await import("
                        "'/studio/assets/js/distribute.js'); return cells.map((c) => "
                        "m.parseCinemas(`cinema_id,screens\\nc1,${c}\\n`)) }", CELLS)
    for cell, answer in zip(CELLS, got, strict=True):
        want = whole_count(cell.strip(), 1, MAX_COUNT)  # the Studio trims the cell, as csv
        if want is None:
            assert answer == {"error": "line 2: screens must be a whole number from 1 to "
                                       f"2,147,483,647, got \u201c{cell.strip()}\u201d"}, cell
        else:
            assert answer == {"cinemas": [{"cinema_id": "c1", "screens": want}]}, cell
    assert got[CELLS.index("2.0")]["cinemas"][0]["screens"] == 2  # the case: it was refused
    watched.assert_clean()
