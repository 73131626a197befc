"""An opt-out list fails safe: a line that could be read as two users the model holds (as
written, or without the quoting our CSV writers add) leaves out both. Read as one user, a
cell '"q"' cut from a plan (user "q") was user '"q"' when the model held that too, and the
opted-out "q" was planned."""

from __future__ import annotations

from pathlib import Path

from recommender.io.id_lists import read_id_list_as_known, read_opt_outs
from recommender.io.ids import IdMap


def test_every_reading_the_model_holds_is_left_out(tmp_path: Path) -> None:
    ids = IdMap(["q", '"q"', "-1", "'-1", "u1", " u2", "u2", "plain"])
    f = tmp_path / "optouts.txt"
    f.write_text('user_id\n"q"\n"\'-1"\n u2\nu1\nnobody\n"u1"\n', encoding="utf-8")
    # the list reader takes one reading a line
    assert read_id_list_as_known(f, ids) == ['"q"', "-1", " u2", "u1", "nobody"]
    # the opt-outs take every reading the model holds, each once, in file order
    # ('"\'-1"' is user -1 as our plan CSV writes it, and "'-1" with its double quotes undone)
    assert read_opt_outs(f, ids) == ['"q"', "q", "-1", "'-1", " u2", "u2", "u1", "nobody"]


def test_a_line_held_in_one_reading_is_that_user_alone(tmp_path: Path) -> None:
    ids = IdMap(["u00932", "-1"])
    f = tmp_path / "optouts.txt"
    f.write_text('"u00932"\n\'-1\n', encoding="utf-8")
    assert read_opt_outs(f, ids) == ["u00932", "-1"]


def test_a_first_line_spelled_as_a_header_the_model_holds_as_written_is_kept(
        tmp_path: Path) -> None:
    """A first line in another case than a header's (" ID", "USER_ID ") is a header unless
    the model holds it; held as written (its spaces its own), it is that user, as every other
    line is read as written first: " ID" was dropped as a header and the opted-out user
    " ID" stayed planned. The oracle: the same user on a later line is read as written."""
    for written in (" ID", "USER_ID ", " userid "):
        ids = IdMap([written, written.strip() + "x", "7"])
        f = tmp_path / "optouts.txt"
        f.write_text(f"{written}\n7\n", encoding="utf-8")
        later = tmp_path / "later.txt"
        later.write_text(f"7\n{written}\n", encoding="utf-8")
        assert read_opt_outs(f, ids) == [written, "7"] == read_opt_outs(later, ids)[::-1]
        assert read_id_list_as_known(f, ids) == [written, "7"]
    # held by no reading: a header still, as written or stripped
    ids = IdMap(["7"])
    f.write_text(" ID\n7\n", encoding="utf-8")
    assert read_opt_outs(f, ids) == ["7"] == read_id_list_as_known(f, ids)


def test_a_first_line_the_model_holds_is_an_id_though_it_names_an_id_column(
        tmp_path: Path) -> None:
    """b'comma,id\\n1,5\\n' whose both lines are users of the model: read as a CSV export (its
    header naming column ``id``), the list was user "5", and the two opted-out users were
    planned. A first line the model holds is an id (README: id lists), so the file is one id
    per line for every reader; the oracle: the lines as written. An opt-out list leaves out
    the users of the other reading too (the column's cells the model holds)."""
    from recommender.io.id_lists import read_id_list_index, read_seed_lines

    f = tmp_path / "optouts.txt"
    f.write_bytes(b"comma,id\n1,5\n")
    lines = f.read_text(encoding="utf-8").splitlines()
    ids = IdMap(["comma,id", "1,5", "u9"])
    assert read_id_list_as_known(f, ids) == lines
    assert read_id_list_index(f, ids).tolist() == [ids.to_index([x])[0] for x in lines]
    assert [s for _, s in read_seed_lines(f, ids)] == lines
    assert read_opt_outs(f, ids) == lines
    # the model holds the cell "5" too: both readings' users are left out, and said
    told: list[str] = []
    both = IdMap(["comma,id", "1,5", "5"])
    assert read_opt_outs(f, both, told.append) == [*lines, "5"]
    assert any("reads two ways" in t and "'5'" in t for t in told)
    # a header the model does not hold stays a header: its column is read
    assert read_id_list_as_known(f, IdMap(["5", "1,5"])) == ["5"]
    assert read_opt_outs(f, IdMap(["5", "1,5"])) == ["5", "1,5"]  # and the whole line, held
