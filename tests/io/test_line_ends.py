"""Line ends of delimited files (``recommender.io.line_ends``): the kind that ends the records
outside double quotes, and the first line that ends in another kind."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.mark.parametrize(("text", "first", "line", "other"), [
    (b'user_id,film_id\r\n"a\r\nb",f1\r\nu2,"f\r\n2"\r\n', "\r\n", None, None),
    (b'user_id,film_id\r"a\rb",f1\ru2,f2\r', "\r", None, None),
    (b'user_id,film_id\n"a\r\nb",f1\nu2,f2', "\n", None, None),
    (b"user_id,film_id", None, None, None),
    # lines counted as an editor shows them, quoted line breaks and blank lines included
    (b'user_id,film_id\r\n"a\rb",f1\nu2,f2\r\n', "\r\n", 3, "\n"),
    (b'user_id,film_id\r\n\r\n"a""\r\nb",f1\r\nu2,f2\ru3,f3\r\n', "\r\n", 5, "\r"),
    (b'user_id,film_id\n"a\nb",f1\nu2,f2\r\n', "\n", 4, "\r\n"),
])
def test_record_line_ends_across_blocks_and_gzip(tmp_path: Path, text: bytes,
                                                 first: str | None, line: int | None,
                                                 other: str | None) -> None:
    """The line end Spark's multi-line reader is told (a CRLF never split between blocks, the
    quote parity carried), and where a file mixes two kinds outside quotes."""
    import gzip

    from recommender.io.line_ends import LineEnds, first_line_end, record_line_ends

    plain, packed = tmp_path / "x.csv", tmp_path / "x.csv.gz"
    plain.write_bytes(text)
    packed.write_bytes(gzip.compress(text))
    for chunk in (1, 2, 3, 7, 1 << 20):
        assert record_line_ends(plain, chunk) == LineEnds(first, line, other)
        assert record_line_ends(packed, chunk) == LineEnds(first, line, other)
    assert first_line_end(text) == first
