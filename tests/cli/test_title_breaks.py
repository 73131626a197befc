"""A catalog title holding a line break (``Jumanji\\n(1995)``, a quoted CSV cell spanning
lines) is warned of at train, naming the catalog's line, where it was accepted without a
word: the title is kept byte for byte, and a table shows it escaped on one line.

Oracle: the catalog written here, its lines counted in the text as written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from helpers import run_cli

from recommender.model import artifact

TITLES = ["Heat", "Jumanji\n(1995)", "Toy Story", "Se7en\r\nDirector's cut", "Fargo", "Babe"]


def _train(tmp_path: Path, capsys: Any, titles: list[str]) -> tuple[Path, str, str]:
    log = tmp_path / "log.csv"
    log.write_text("user_id,film_id\n" + "".join(f"u{u},f{(u + k) % 6}\n" for u in range(30)
                                                  for k in range(3)), encoding="utf-8")
    text = "film_id,title,year,genres\n" + "".join(
        f'f{i},"{t}",1995,Drama\n' for i, t in enumerate(titles))
    films = tmp_path / "films.csv"
    films.write_bytes(text.encode())
    code, _, err = run_cli(capsys, "train", "--data", log, "--films", films, "--out",
                           tmp_path / "m", "--no-tune", "--factors", 4, "--iterations", 2)
    assert code == 0, err
    return films, text, str(err)


def test_a_title_with_a_line_break_is_warned_of_naming_its_line(tmp_path: Path,
                                                               capsys: Any) -> None:
    films, text, err = _train(tmp_path, capsys, TITLES)
    line = text[:text.index('f1,"')].count("\n") + 1  # lines as an editor counts them
    assert line == 3
    assert (f"warning: {films}, line {line}: the title of film 'f1', 'Jumanji\\n(1995)', holds "
            "a line break or another control character (a quoted CSV cell spanning lines), as "
            "1 other title of the catalog does: kept byte for byte") in err
    model = artifact.load(tmp_path / "m")
    assert model.catalog.titles[model.film_index("f1")] == "Jumanji\n(1995)"
    code, out, _ = run_cli(capsys, "search", tmp_path / "m", "jumanji")
    assert code == 0
    row = [r for r in out.splitlines() if r.startswith("f1 ")]
    assert len(row) == 1 and "Jumanji\\n(1995)" in row[0]


def test_clean_titles_say_nothing(tmp_path: Path, capsys: Any) -> None:
    _, _, err = _train(tmp_path, capsys, ["Heat", "Jumanji (1995)", "A", "B", "C", "D"])
    assert "line break" not in err
