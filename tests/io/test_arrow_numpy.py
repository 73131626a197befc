"""``arrow_numpy`` gives what pyarrow's own conversions give: the same values, dtype and
string width (``to_numpy``, ``np.asarray(..., dtype=str)``, ``pa.array``, ``pa.scalar``)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from recommender.io import arrow_numpy as an

TEXTS = [["a", "bb", "ccc"], ["é", "ab", "日本語x"], ["x"], ["", "", ""], ["", "ab"],
         ["a\x00", "b"], ["a\x00b", "é\x00"], ["  12 ", "x\n", "\t"]]


def _same(got: np.ndarray, want: np.ndarray) -> None:
    assert got.dtype == want.dtype
    assert got.shape == want.shape
    assert got.tobytes() == want.tobytes()


def _parts(arr: pa.Array) -> list[pa.Array | pa.ChunkedArray]:
    """The array, slices of it (an offset into its buffers) and two chunks of it."""
    return [arr, arr.slice(1), arr.slice(1, max(0, len(arr) - 2)), arr.slice(0, 0),
            pa.chunked_array([arr, arr.slice(1)])]


def _np_str(arr: pa.Array | pa.ChunkedArray) -> np.ndarray:
    flat = arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr
    return np.asarray(flat.to_numpy(zero_copy_only=False), dtype=str)


@pytest.mark.parametrize("texts", TEXTS)
@pytest.mark.parametrize("kind", [pa.string(), pa.large_string()])
def test_strings_as_numpy_makes_them(texts: list[str], kind: pa.DataType) -> None:
    for part in _parts(pa.array(texts, kind)):
        _same(an.strings(part), _np_str(part))


def test_strings_in_blocks_as_in_one(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(0)
    texts = [str(x) + ("é" if x % 7 == 0 else "") for x in rng.integers(0, 10**9, 3000)]
    arr = pa.array(texts)
    monkeypatch.setattr(an, "BLOCK_BYTES", 64)  # a few rows a block
    for part in _parts(arr):
        _same(an.strings(part), _np_str(part))


def test_strings_with_nulls_as_numpy_makes_them() -> None:
    arr = pa.array(["a", None, "ccc"])
    _same(an.strings(arr), _np_str(arr))


@pytest.mark.parametrize("kind", [pa.int8(), pa.int16(), pa.int32(), pa.int64(), pa.uint8(),
                                  pa.uint32(), pa.float32(), pa.float64(), pa.bool_()])
def test_values_as_to_numpy_gives_them(kind: pa.DataType) -> None:
    rng = np.random.default_rng(1)
    arr = pa.array(rng.integers(0, 100, 37), pa.int64()).cast(kind)
    for part in _parts(arr):
        flat = part.combine_chunks() if isinstance(part, pa.ChunkedArray) else part
        _same(an.values(part), np.asarray(flat.to_numpy(zero_copy_only=False)))


def test_values_with_nulls_as_to_numpy_gives_them() -> None:
    arr = pa.array([1, None, 3], pa.int32())
    _same(an.values(arr), arr.to_numpy(zero_copy_only=False))  # float64, NaN for the null


@pytest.mark.parametrize("texts", TEXTS + [[]])
def test_from_strings_as_pa_array_makes_them(texts: list[str]) -> None:
    values = np.array(texts, dtype=str)
    got = an.from_strings(values)
    got.validate(full=True)
    assert got.equals(pa.array(values, pa.string()))


@pytest.mark.parametrize(("value", "kind"), [("0", pa.string()), ("é", pa.string()),
                                            (None, pa.string()), (0, pa.int32()),
                                            (3.4e38, pa.float64()), ("-1", pa.large_string())])
def test_scalar_as_pa_scalar_makes_it(value: object, kind: pa.DataType) -> None:
    got = an.scalar(value, kind)
    assert got.type == kind
    assert got.equals(pa.scalar(value, kind))


def test_text_cell_as_pa_array_makes_it() -> None:
    assert an.text_cell("ü1").equals(pa.array(["ü1"], pa.string()))


@pytest.mark.parametrize("texts", TEXTS + [["\x00a", "b\x00\x00c"], []])
def test_whole_strings_as_a_list_of_str_makes_them(texts: list[str]) -> None:
    values = np.array(texts, dtype=str)
    got = an.from_strings(values, upto_nul=False)
    got.validate(full=True)
    assert got.equals(pa.array([str(v) for v in values], pa.string()))


@pytest.mark.parametrize("n", [0, 1, 7, 8, 9, 100])
def test_from_bools_as_pa_array_makes_them(n: int) -> None:
    values = np.random.default_rng(n).random(n) < 0.5
    got = an.from_bools(values)
    got.validate(full=True)
    assert got.equals(pa.array(values))
