"""A slate's cinema table naming a cinema in another Unicode form than its users do
(``Cine Ünião 00`` decomposed, NFD, where users name it composed, NFC) is named in the CLI's
note as such: it said "(users name 'Cine Ünião 00')", a string printed as the one refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import run_cli
from unicode_fixtures import nfd, save_unicode_model


def test_the_note_names_the_unicode_form(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    folder = save_unicode_model(tmp_path / "model")
    screens = tmp_path / "scr.csv"
    screens.write_text(f"cinema_id,screens\n{nfd('Cine Ünião 00')},3\nCine Ünião 01,2\n",
                       encoding="utf-8")
    slate = tmp_path / "slate.csv"
    slate.write_text("film_id\nf003\nf004\n")
    monkeypatch.setenv("RECOMMENDER_MIN_CELL", "1")
    code, out, err = run_cli(capsys, "distribution", folder, "--slate", slate,
                             "--screens-per-cinema", screens)
    assert code == 0, err
    note = next(line for line in out.splitlines() if "named by no user" in line)
    assert (f"{nfd('Cine Ünião 00')!r} (users name 'Cine Ünião 00' (the same letters in "
            "Unicode form NFC, accents composed; this one is NFD, accents decomposed))") in note
    assert "Cine Ünião 01" not in note  # the one the users name as the table does
