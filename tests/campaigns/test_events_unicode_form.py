"""``events import --model`` names an event's user id that is a known user's in another
Unicode form (``joão.silva174`` decomposed, NFD, for the model's composed NFC) as such: it
said "but for surrounding spaces or leading zeros ... 'joão.silva174' (did you mean
'joão.silva174'?)", a wrong reason and two strings that print alike."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import run_cli
from unicode_fixtures import nfd, save_unicode_model


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_unicode_model(tmp_path_factory.mktemp("events-forms") / "model")


def test_events_import_names_the_unicode_form(model_dir: Path, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "responses.csv"
    f.write_text("event_id,user_id,film_id,timestamp\n"
                 f"a,{nfd('joão.silva174')},f003,1700000000\nb,müller001,f003,1700000001\n",
                 encoding="utf-8")
    code, _, err = run_cli(capsys, "events", "import", "--store", tmp_path / "s.db", f,
                           "--model", model_dir)
    assert code == 0, err
    line = next(x for x in err.splitlines() if "did you mean" in x)
    assert "Unicode form" in line and "but for surrounding spaces or leading zeros," not in line
    assert (f"{nfd('joão.silva174')!r} (Unicode form NFD, accents decomposed) (did you mean "
            "'joão.silva174' (Unicode form NFC, accents composed)?)") in line, line
    assert "müller001" not in line
