"""Log ids a spreadsheet damaged are warned of at train (kept byte for byte, nothing said
so): ids saved in scientific notation ('1.23457E+11' for 123456789012: users whose ids
differed in the lost digits were trained as one), and one id with and without leading zeros
('00007' beside '7': one history split in two). Oracle: the ids planted, and clean logs that
say nothing of them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from helpers import run_cli


def _train(tmp_path: Path, capsys: Any, users: list[str]) -> str:
    rows = [f"{u},f{(i + k) % 12}" for i, u in enumerate(users) for k in range(4)]
    log = tmp_path / "log.csv"
    log.write_text("user_id,film_id\n" + "\n".join(rows) + "\n", encoding="utf-8")
    code, _, err = run_cli(capsys, "train", "--data", log, "--out", tmp_path / "m",
                           "--no-tune", "--factors", 4, "--iterations", 2)
    assert code == 0, err
    return str(err)


def test_ids_in_scientific_notation_are_named(tmp_path: Path, capsys: Any) -> None:
    users = [f"u{u:02d}" for u in range(30)] + ["1.23457E+11", "9.8765E+12", "4E+15"]
    err = _train(tmp_path, capsys, users)
    assert ("warning: 3 user ids of the log are numbers in scientific notation "
            "('1.23457E+11', '9.8765E+12', '4E+15'), as a spreadsheet saves a long numeric id: "
            "its last digits are lost") in err


def test_ids_in_scientific_notation_with_a_decimal_comma_are_named(tmp_path: Path,
                                                                   capsys: Any) -> None:
    # a European spreadsheet's CSV (';'-separated) writes 123456789012 as 1,23457E+11
    users = [f"u{u:02d}" for u in range(30)] + ["1,23457E+11", "9,8765E+12", "1,5E+",
                                                 "1,,2E+3", ",5E+2", "12,34E+5"]  # not those
    rows = [f"{u};f{(i + k) % 12}" for i, u in enumerate(users) for k in range(4)]
    log = tmp_path / "log.csv"
    log.write_text("user_id;film_id\n" + "\n".join(rows) + "\n", encoding="utf-8")
    code, _, err = run_cli(capsys, "train", "--data", log, "--out", tmp_path / "m",
                           "--no-tune", "--factors", 4, "--iterations", 2)
    assert code == 0, err
    assert ("warning: 2 user ids of the log are numbers in scientific notation "
            "('1,23457E+11', '9,8765E+12'), as a spreadsheet saves a long numeric id") in err


def test_ids_that_only_hold_an_e_say_nothing(tmp_path: Path, capsys: Any) -> None:
    users = [f"u{u:02d}" for u in range(30)] + ["1E5A", "E+11", "1.5e-3", "12345"]
    assert "scientific notation" not in _train(tmp_path, capsys, users)


def test_ids_split_by_leading_zeros_are_named(tmp_path: Path, capsys: Any) -> None:
    users = [f"{u:05d}" for u in range(30)] + ["7", "12", "012"]
    err = _train(tmp_path, capsys, users)
    assert ("warning: 3 user ids of the log are another of its user ids but for leading "
            "zeros ('00007' beside '7', '00012' beside '12', '012' beside '00012'): ids are "
            "kept byte for byte, so each is a user of its own") in err


def test_ids_padded_one_way_say_nothing(tmp_path: Path, capsys: Any) -> None:
    # an id of zeros of its own width ('0') is no split while no other id is zeros only
    users = [f"{u:05d}" for u in range(1, 30)] + ["0", "100"]
    assert "leading zeros (" not in _train(tmp_path, capsys, users)


def test_ids_of_zeros_only_split_by_leading_zeros_are_named(tmp_path: Path,
                                                            capsys: Any) -> None:
    # '00000' and '0' are the number 0, as a spreadsheet writes it: one history split in
    # three (the zeros-only ids were passed over as having "no digits left")
    users = [f"{u:05d}" for u in range(30)] + ["0", "00", "100"]
    err = _train(tmp_path, capsys, users)
    assert ("warning: 2 user ids of the log are another of its user ids but for leading "
            "zeros ('00000' beside '0', '00' beside '00000'): ids are kept byte for byte, so "
            "each is a user of its own") in err


def test_ids_written_as_floats_are_named_and_found(tmp_path: Path, capsys: Any) -> None:
    # pandas writes an integer id column that held a NaN as floats: '429.0'; '7.0' beside
    # '7' is one history split in two. Oracle: the ids planted.
    users = [f"{u}.0" for u in range(420, 450)] + ["7", "7.0", "1.5", "2.0e0", "x.0"]
    err = _train(tmp_path, capsys, users)
    assert ("warning: 31 user ids of the log are whole numbers written as floats ('420.0', "
            "'421.0', '422.0'), as pandas writes an integer id column that held a missing "
            "value: ids are kept byte for byte, so '420.0' is the id and '420' names no user; "
            "1 is another user of the log but for the '.0'") in err
    code, _, said = run_cli(capsys, "recommend", tmp_path / "m", "--user", "429")
    assert code == 2 and "unknown user_id '429'; did you mean '429.0'?" in said, said
    code, _, said = run_cli(capsys, "recommend", tmp_path / "m", "--user", "429.0")
    assert code == 0, said


def test_a_float_id_beside_its_integer_twin_is_not_said_to_name_no_one(
        tmp_path: Path, capsys: Any) -> None:
    # '7.0' first, beside '7': the warning said "'7' names no user" of it. Oracle: the ids
    # planted: '429.0' has no twin, so it is the example said to name no one
    users = ["7.0"] + [str(u) for u in range(30)] + ["429.0"]
    err = _train(tmp_path, capsys, users)
    assert "('7.0', '429.0')" in err
    assert "so '429.0' is the id and '429' names no user; 1 is another user" in err
    assert "'7' names no user" not in err
    # every float beside its twin: said so of the first
    (tmp_path / "twins").mkdir()
    err = _train(tmp_path / "twins", capsys, ["3.0", "5.0"] + [str(u) for u in range(30)])
    assert "so '3.0' is the id and '3' is another user's; 2 are another user" in err
    assert "names no user" not in err


def test_every_id_a_float_says_so_and_integers_say_nothing(tmp_path: Path,
                                                           capsys: Any) -> None:
    err = _train(tmp_path, capsys, [f"{u}.0" for u in range(30)])
    assert "30 user ids of the log are whole numbers written as floats" in err
    assert "(every user id of the log is)" in err
    assert "written as float" not in _train(tmp_path, capsys, [str(u) for u in range(30)])


def test_ids_split_by_letter_case_are_named(tmp_path: Path, capsys: Any) -> None:
    # two exports merged, one upper-casing e-mails: one person is two users. Oracle: the
    # ids planted ('Bob' has no twin; 'ANN' and 'Ann' are both 'ann''s)
    users = ([f"user{u:05d}@mail.com" for u in range(30)]
             + ["USER00007@MAIL.COM", "User00012@Mail.com", "Bob", "ann", "ANN", "Ann"])
    err = _train(tmp_path, capsys, users)
    assert ("warning: 4 user ids of the log are another of its user ids but for letter case "
            "('USER00007@MAIL.COM' beside 'user00007@mail.com', 'User00012@Mail.com' beside "
            "'user00012@mail.com', 'ANN' beside 'ann'): ids are kept byte for byte, so each "
            "is a user of its own") in err


def test_ids_of_one_case_each_say_nothing(tmp_path: Path, capsys: Any) -> None:
    users = [f"U{u:02d}" for u in range(30)] + ["u99", "Bob"]
    assert "letter case (" not in _train(tmp_path, capsys, users)


def test_ids_split_by_greek_and_turkish_case_are_named(tmp_path: Path, capsys: Any) -> None:
    # Python's str.lower writes a word's last Σ as ς and I as i (not Turkish ı), so a plain
    # lower case kept 'ΟΔΟΣ' from 'οδος' and 'KIŞ' from 'kış'. Oracle: the ids planted and
    # str.casefold with ı read as i ('λόγος' has no twin)
    users = [f"u{u:02d}" for u in range(30)] + ["οδος", "ΟΔΟΣ", "kış", "KIŞ", "λόγος"]
    fold = {u: u.casefold().replace("ı", "i") for u in users}
    twins = [u for u in users if sum(fold[v] == fold[u] for v in users) > 1]
    assert sorted(twins) == sorted(["οδος", "ΟΔΟΣ", "kış", "KIŞ"])
    err = _train(tmp_path, capsys, users)
    assert "but for letter case (" in err
    assert "'ΟΔΟΣ' beside 'οδος'" in err or "'οδος' beside 'ΟΔΟΣ'" in err
    assert "'KIŞ' beside 'kış'" in err or "'kış' beside 'KIŞ'" in err
    assert "λόγος" not in err
