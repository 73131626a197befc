"""Arrow columns as numpy arrays (and arrow scalars) without importing pandas on the way.

pyarrow's ``to_numpy``, ``np.asarray`` of an arrow array, ``pa.array`` and ``pa.scalar``
all import pandas where it is installed (pyarrow looks for pandas' types first): about 0.1 to
0.4 s of a log's load, for nothing a log's reader needs. These read the arrow buffers
directly for the types a log's columns have (integers, floats and booleans without nulls,
strings without nulls): the same values, dtypes and widths ``to_numpy(zero_copy_only=False)``
gives (strings as ``np.asarray(..., dtype=str)`` makes them). Any other array (nulls, other
types) goes through ``to_numpy`` as before.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

#: the bytes of text ``strings`` lays out at a time (its temporaries are a few times this)
BLOCK_BYTES = 1 << 22


def _flat(arr: pa.Array | pa.ChunkedArray) -> pa.Array:
    return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr


def _fixed_dtype(t: pa.DataType) -> np.dtype[Any] | None:
    """The numpy dtype of an arrow integer or float type (None: another type)."""
    if pa.types.is_signed_integer(t):
        return np.dtype(f"<i{t.bit_width // 8}")
    if pa.types.is_unsigned_integer(t):
        return np.dtype(f"<u{t.bit_width // 8}")
    if pa.types.is_floating(t):
        return np.dtype(f"<f{t.bit_width // 8}")
    return None


def values(arr: pa.Array | pa.ChunkedArray) -> NDArray[Any]:
    """``arr.to_numpy(zero_copy_only=False)``: an integer or float array without nulls is read
    in place (read-only, as ``to_numpy`` gives it), a boolean one unpacked from its bits."""
    flat = _flat(arr)
    t, n = flat.type, len(flat)
    if flat.null_count == 0:
        dtype = _fixed_dtype(t)
        if dtype is not None:
            if n == 0:
                return np.empty(0, dtype)
            return np.frombuffer(flat.buffers()[1], dtype, count=n,
                                 offset=flat.offset * dtype.itemsize)
        if pa.types.is_boolean(t):
            if n == 0:
                return np.empty(0, bool)
            bits = np.frombuffer(flat.buffers()[1], np.uint8)
            return np.unpackbits(bits, count=flat.offset + n, bitorder="little"
                                 )[flat.offset:].astype(bool)
    return np.asarray(flat.to_numpy(zero_copy_only=False))


def strings(arr: pa.Array | pa.ChunkedArray) -> NDArray[np.str_]:
    """``np.asarray(arr.to_numpy(zero_copy_only=False), dtype=str)`` of a string array: the
    UTF-8 bytes laid out one row each and decoded (ASCII widened in place), the width the
    longest text's characters, as numpy gives it (no text, only empty ones or nulls: through
    ``to_numpy``)."""
    flat = _flat(arr)
    n = len(flat)
    if n == 0 or flat.null_count or not (pa.types.is_string(flat.type)
                                         or pa.types.is_large_string(flat.type)):
        return np.asarray(flat.to_numpy(zero_copy_only=False), dtype=str)
    off_type = np.int64 if pa.types.is_large_string(flat.type) else np.int32
    _, off_buf, data_buf = flat.buffers()
    offsets = np.frombuffer(off_buf, off_type, count=n + 1, offset=flat.offset
                            * np.dtype(off_type).itemsize).astype(np.int64)
    data = np.frombuffer(data_buf, np.uint8) if data_buf is not None and data_buf.size \
        else np.zeros(1, np.uint8)
    lengths = np.diff(offsets)
    if not lengths.any():  # only empty texts: numpy's width for them is its own
        return np.asarray(flat.to_numpy(zero_copy_only=False), dtype=str)
    width = int(lengths.max())
    out = np.empty(n, f"<U{width}")
    cols = np.arange(width)
    step = max(1, BLOCK_BYTES // width)  # rows a block lays out: bounded temporaries
    chars = 0  # the longest text's characters (UTF-8 continuation bytes aside): the width
    for start in range(0, n, step):
        stop = min(start + step, n)
        inside = cols < lengths[start:stop, None]
        at = np.minimum(offsets[start:stop, None] + cols, len(data) - 1)
        grid = np.where(inside, data[at], np.uint8(0))  # rows x width bytes, NUL-padded
        if not (grid >= 0x80).any():  # ASCII: each byte one character
            out[start:stop] = grid.astype(np.uint32).view(f"<U{width}").reshape(-1)
            chars = max(chars, int(lengths[start:stop].max()))
        else:
            out[start:stop] = np.char.decode(grid.view(f"S{width}").reshape(-1), "utf-8")
            follow = ((grid & 0xC0) == 0x80).sum(axis=1)
            chars = max(chars, int((lengths[start:stop] - follow).max()))
    return out if chars == width else out.astype(f"<U{chars}")


def from_strings(values: NDArray[np.str_], upto_nul: bool = True) -> pa.Array:
    """``pa.array(values, pa.string())`` of a numpy string array: its UTF-8 bytes laid end to
    end, each text up to its first NUL (where pyarrow ends a numpy string too); with
    ``upto_nul`` False, each whole text (``pa.array([str(v) for v in values])``: a numpy
    string never ends in NUL, its last nonzero byte ends it)."""
    n = len(values)
    encoded = np.char.encode(np.asarray(values, dtype=str), "utf-8")
    width = encoded.dtype.itemsize
    if n == 0 or width == 0:
        return pa.Array.from_buffers(pa.string(), n, [
            None, pa.py_buffer(np.zeros(n + 1, np.int32)), pa.py_buffer(b"")])
    grid = encoded.view(np.uint8).reshape(n, width)
    if upto_nul:
        nul = grid == 0
        lengths = np.where(nul.any(axis=1), np.argmax(nul, axis=1), width)
    else:
        text = grid != 0
        lengths = np.where(text.any(axis=1), width - np.argmax(text[:, ::-1], axis=1), 0)
    data = grid[np.arange(width) < lengths[:, None]]  # row by row, end to end
    offsets = np.zeros(n + 1, np.int64)
    np.cumsum(lengths, out=offsets[1:])
    big = offsets[-1] > np.iinfo(np.int32).max
    arr = pa.Array.from_buffers(pa.large_string() if big else pa.string(), n, [
        None, pa.py_buffer(offsets if big else offsets.astype(np.int32)), pa.py_buffer(data)])
    return arr.cast(pa.string()) if big else arr


def from_bools(values: NDArray[np.bool_]) -> pa.Array:
    """``pa.array(values)`` of a numpy boolean array (its bits packed, no nulls)."""
    n = len(values)
    bits = np.packbits(np.asarray(values, bool), bitorder="little")
    return pa.Array.from_buffers(pa.bool_(), n, [None, pa.py_buffer(bits)])


def text_cell(text: str) -> pa.Array:
    """``pa.array([text], pa.string())``: a string array of one cell."""
    data = text.encode("utf-8")
    return pa.Array.from_buffers(pa.string(), 1, [
        None, pa.py_buffer(np.array([0, len(data)], np.int32)), pa.py_buffer(data)])


def scalar(value: Any, type: pa.DataType) -> pa.Scalar:
    """``pa.scalar(value, type)`` for a str, a number or None (a null of ``type``)."""
    if value is None:
        return pa.nulls(1, type)[0]
    if isinstance(value, str):
        one = text_cell(value)
        return (one if type == pa.string() else one.cast(type))[0]
    dtype = _fixed_dtype(type)
    if dtype is None:
        raise TypeError(f"no scalar of {type} here")
    return pa.Array.from_buffers(type, 1, [None, pa.py_buffer(np.array([value], dtype))])[0]
