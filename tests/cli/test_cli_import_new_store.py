"""``events import`` into a store file that is not there creates it (and its folders) and says
so, naming it: it created ``sqlite:///nodir/x.db`` without a word, where every reader refuses
a missing store, so a misspelt path went unseen. The file is its owner's only, whatever the
umask (README: the campaign store's exception to the umask rule)."""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

import pytest
from helpers import run_cli as run


def test_a_new_store_is_said_and_private(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RECOMMENDER_STORE", raising=False)
    events = tmp_path / "e.csv"
    events.write_text(f"user_id,film_id,timestamp\nu1,00003,{int(time.time()) - 60}\n")
    target = tmp_path / "nodir" / "x.db"
    old = os.umask(0o022)
    try:
        code, out, err = run(capsys, "events", "import", "--store", f"sqlite:///{target}",
                             events)
    finally:
        os.umask(old)
    assert code == 0, err
    assert f"note: no campaign store was at {target}: a new one was created there (and its " \
           "folder), readable by its owner only" in err
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    # into the store now there: no such note
    code, out, err = run(capsys, "events", "import", "--store", str(target), events)
    assert code == 0 and "already stored 1" in out and "new one was created" not in err
