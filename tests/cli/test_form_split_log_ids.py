"""A log holding one id in two Unicode forms ('café' composed, NFC, beside it decomposed,
NFD: 'e' and U+0301) is warned of at train: kept byte for byte, they are two users (films),
one history split in two, and nothing said so (a users or films file's ids in another form
were warned of, the log's own were not). Only the ids of non-ASCII bytes are normalised.
Oracle: the ids planted, and twins found by brute force with ``unicodedata``."""

from __future__ import annotations

import random
import re
import unicodedata
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pyarrow.compute as pc
import pytest
from helpers import run_cli

from recommender.cli import log_ids
from recommender.io.ids import IdMap
from recommender.model.model import Model


def _nfc(s: str) -> str:
    return unicodedata.normalize("NFC", s)


def _nfd(s: str) -> str:
    return unicodedata.normalize("NFD", s)


def _brute(ids: list[str]) -> int:
    """How many ids are not in NFC and share their NFC form with another id."""
    return sum(1 for a in ids if a != _nfc(a) and any(b != a and _nfc(b) == _nfc(a)
                                                      for b in ids))


def _model(users: list[str], films: list[str] | None = None) -> Model:
    return cast(Model, SimpleNamespace(users=IdMap(users), films=IdMap(films or ["f1"])))


def test_ids_in_two_unicode_forms_are_named(tmp_path: Path, capsys: Any) -> None:
    users = [f"Jos{_nfc('é')}{u:02d}" for u in range(30)] + [_nfd("José07"), _nfd("José12")]
    films = [f"f{f}" for f in range(11)] + [_nfc("Amélie")]
    rows = [f"{u},{films[(i + k) % 12]}" for i, u in enumerate(users) for k in range(4)]
    rows.append(f"u99,{_nfd('Amélie')}")
    log = tmp_path / "log.csv"
    log.write_text("user_id,film_id\n" + "\n".join(rows) + "\n", encoding="utf-8")
    code, _, err = run_cli(capsys, "train", "--data", log, "--out", tmp_path / "m",
                           "--no-tune", "--factors", 4, "--iterations", 2)
    assert code == 0, err
    assert ("warning: 2 user ids of the log are another of its user ids in another Unicode "
            "form ('Jose\\u030107' beside 'Jos\\xe907', 'Jose\\u030112' beside 'Jos\\xe912': "
            "the same letters, other code points, as NFC and NFD write an accent): ids are "
            "kept byte for byte, so each is a user of its own; write the ids in one form "
            "(NFC)") in err
    assert ("warning: 1 film id of the log is another of its film ids in another Unicode "
            "form ('Ame\\u0301lie' beside 'Am\\xe9lie'") in err


def test_one_form_throughout_says_nothing(capsys: Any) -> None:
    # decomposed throughout, or composed: no id has a twin ('Kelvin' sign K alone too)
    for users in ([_nfd(f"José{u}") for u in range(9)], [_nfc(f"José{u}") for u in range(9)],
                  ["\u212a1", "K2", _nfd("é")]):
        log_ids.form_split_ids(_model(users))
        assert capsys.readouterr().err == ""


@pytest.mark.parametrize("odd_share", [0.05, 0.5])
def test_twins_are_counted_as_brute_force_counts(odd_share: float, capsys: Any) -> None:
    rng = random.Random(11)
    letters = ["a", "K", _nfc("é"), _nfd("é"), "\u212a", _nfc("ñ"), _nfd("ñ")]
    for _ in range(40):
        core = ["".join(rng.choice(letters[:3] if rng.random() > odd_share else letters)
                        for _ in range(rng.randint(1, 3))) for _ in range(rng.randint(3, 60))]
        users = list(dict.fromkeys(core))
        n = _brute(users)
        log_ids.form_split_ids(_model(users))
        err = capsys.readouterr().err
        said = re.match(r"warning: (\d+) user ids? of the log", err)
        assert (int(said[1]) if said else 0) == n, (users, err)


def test_only_ids_of_non_ascii_bytes_are_normalised(monkeypatch: Any, capsys: Any) -> None:
    users = [f"u{u}" for u in range(5000)] + [_nfc("é1"), _nfd("é1"), "\u212a1"]
    normalised: list[int] = []
    real = pc.utf8_normalize

    def counted(values: Any, *args: Any, **kwargs: Any) -> Any:
        normalised.append(len(values))
        return real(values, *args, **kwargs)

    monkeypatch.setattr(pc, "utf8_normalize", counted)
    log_ids.form_split_ids(_model(users))
    assert "warning: 1 user id of the log is another" in capsys.readouterr().err
    assert normalised == [3]
