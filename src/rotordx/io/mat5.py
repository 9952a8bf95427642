"""Read MATLAB Level-5 ``.mat`` files (v5, v6 and v7) in Python, without a native parser.

``scipy.io.loadmat`` parses MAT-5 in compiled code that trusts the sizes and type codes
in the file: a few changed bytes kill the process with SIGSEGV or SIGBUS (issue 16,
``docs/inputs.md``). This reader checks every size against the bytes that are there
before it reads or allocates anything, so any input gives either the variables or a
:class:`~rotordx.exceptions.DataError` whose one-line message names the file.

What is read
------------
The 128-byte header (version 0x0100, endian indicator ``IM`` or ``MI``: both byte
orders), then the variables: ``miMATRIX`` elements, plain or inside ``miCOMPRESSED``
(zlib, MATLAB v7) elements, with tags in the full and the small (4-byte) format.

===============================  ===============================================
MATLAB class                     Python value
===============================  ===============================================
double, single, int8 … uint64    ``np.ndarray`` of the *class's* dtype (float64,
                                 float32, int8 … uint64), native byte order,
                                 shape = the MATLAB dimensions (at least 2-D,
                                 Fortran order), writable: a ``(n, 1)`` column
                                 stays ``(n, 1)``. Data stored in a smaller type
                                 (MATLAB writes integer-valued doubles as
                                 ``miUINT8`` …) is converted to the class, like
                                 ``scipy.io.loadmat(..., mat_dtype=True)``.
complex numeric                  complex128 (complex64 for single), imaginary
                                 part kept
logical                          ``bool`` array (scipy's default gives uint8)
char, one row (``1 x n``)        ``str`` (``''`` when empty)
char, several rows / N-D         ``np.ndarray`` of ``str`` over all but the last
                                 dimension (each row a string), like scipy's
                                 ``chars_as_strings``
struct ``1 x 1``                 ``dict`` field -> value (nested structs are
                                 nested dicts), fields in file order
struct array of another size     ``np.ndarray`` of dicts (dtype object), the
                                 MATLAB dimensions
cell array                       ``np.ndarray`` (dtype object) of values, the
                                 MATLAB dimensions
empty element in a cell/struct   ``np.empty((0, 0))`` (float64), like scipy
===============================  ===============================================

Sparse arrays, objects (classdef and old-style), function handles and other opaque
classes are refused (``unsupported MATLAB class … in variable …``); so are MATLAB v4
files and v7.3 files (HDF5: save with ``save(..., '-v7')``).

Limits (``rotordx.io._limits``): at most :data:`~rotordx.io._limits.MAX_MAT_DECOMPRESSED`
bytes decompressed per file (zlib output is bounded with ``max_length``, so a zip bomb
stops there), :data:`~rotordx.io._limits.MAX_MAT_ARRAY_BYTES` per decoded array,
:data:`~rotordx.io._limits.MAX_MAT_CELLS` elements per cell or struct array, nesting depth
:data:`~rotordx.io._limits.MAX_MAT_DEPTH`, :data:`~rotordx.io._limits.MAX_MAT_NDIM`
dimensions.

Functions
---------
    read_mat
    parse_mat
"""

from __future__ import annotations

import math
import os
import struct
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from rotordx.exceptions import DataError
from rotordx.io import _limits

__all__ = ["parse_mat", "read_mat"]

# Data types of the element tags (miINT8 …).
_MI_NAMES = {
    1: "int8",
    2: "uint8",
    3: "int16",
    4: "uint16",
    5: "int32",
    6: "uint32",
    7: "single",
    9: "double",
    12: "int64",
    13: "uint64",
    14: "matrix",
    15: "compressed",
    16: "utf8",
    17: "utf16",
    18: "utf32",
}
_MI_NUMERIC = {1: "i1", 2: "u1", 3: "i2", 4: "u2", 5: "i4", 6: "u4", 7: "f4", 9: "f8"}
_MI_NUMERIC.update({12: "i8", 13: "u8"})
_MI_INT8, _MI_UINT8, _MI_UINT16, _MI_INT32, _MI_UINT32 = 1, 2, 4, 5, 6
_MI_MATRIX, _MI_COMPRESSED, _MI_UTF8, _MI_UTF16, _MI_UTF32 = 14, 15, 16, 17, 18

# Array classes (mxDOUBLE_CLASS …).
_CELL, _STRUCT, _OBJECT, _CHAR, _SPARSE = 1, 2, 3, 4, 5
_CLASS_DTYPES = {6: "f8", 7: "f4", 8: "i1", 9: "u1", 10: "i2", 11: "u2"}
_CLASS_DTYPES.update({12: "i4", 13: "u4", 14: "i8", 15: "u8"})
_CLASS_NAMES = {
    1: "cell",
    2: "struct",
    3: "object",
    4: "char",
    5: "sparse",
    6: "double",
    7: "single",
    8: "int8",
    9: "uint8",
    10: "int16",
    11: "uint16",
    12: "int32",
    13: "uint32",
    14: "int64",
    15: "uint64",
    16: "function handle",
    17: "opaque (classdef object, string, table…)",
}
_COMPLEX_FLAG, _LOGICAL_FLAG = 0x800, 0x200
_HEADER = 128
_SUPPORTED = "a numeric, logical, char, cell or struct array"
#: Bound on the product of the non-zero dimensions: numpy refuses shapes whose size times
#: item size overflows int64, even for an empty array such as 0 x 2^31 x 2^31.
_MAX_SPAN = 2**56


def _mi(code: int) -> str:
    return f"{_MI_NAMES.get(code, 'unknown')} (type {code})"


class _Parser:
    """State of one parse: the file's name and byte order, the decompression budget."""

    def __init__(self, source: str, order: str) -> None:
        self.source = source
        self.order = order
        self.budget = _limits.MAX_MAT_DECOMPRESSED
        self.where = ""  # "variable 2 'X105_DE_time'", for messages
        self.region = ""  # "" (the file) or " of its decompressed data"

    # -- errors ------------------------------------------------------------------------------

    def fail(self, what: str) -> DataError:
        where = f"{self.where}: " if self.where else ""
        return DataError(f"{self.source}: not a readable MATLAB v5 .mat file: {where}{what}")

    def at(self, pos: int) -> str:
        return f"at byte {pos}{self.region}"

    # -- tags --------------------------------------------------------------------------------

    def tag(self, buf: bytes, pos: int, end: int, what: str) -> tuple[int, int, int, int]:
        """``(type, nbytes, data start, next element)`` of the element tag at ``pos``.

        Checks that the tag and its data lie inside ``[pos, end)``.
        """
        if end - pos < 8:
            raise self.fail(
                f"truncated: the {what} tag {self.at(pos)} needs 8 bytes, {max(end - pos, 0)} left"
            )
        (word,) = struct.unpack_from(self.order + "I", buf, pos)
        if word >> 16:  # small data element: size and type in 4 bytes, data in the next 4
            n, mtype = word >> 16, word & 0xFFFF
            if n > 4:
                raise self.fail(
                    f"the {what} {self.at(pos)} is a small data element of {n} bytes; "
                    "expected at most 4"
                )
            return mtype, n, pos + 4, pos + 8
        (n,) = struct.unpack_from(self.order + "I", buf, pos + 4)
        start = pos + 8
        if n > end - start:
            raise self.fail(
                f"truncated or corrupt: the {what} {self.at(pos)} claims {n} bytes, "
                f"{end - start} left in its enclosing element"
            )
        return word, n, start, min(start + n + (-n % 8), end)

    # -- the file ----------------------------------------------------------------------------

    def variables(self, data: bytes) -> dict[str, Any]:
        out: dict[str, Any] = {}
        pos, end, index = _HEADER, len(data), 0
        while pos < end:
            index += 1
            self.where, self.region = f"variable {index}", ""
            if end - pos < 8:
                raise self.fail(f"truncated: {end - pos} stray bytes at byte {pos}")
            mtype, n = struct.unpack_from(self.order + "II", data, pos)
            start = pos + 8
            if n > end - start:
                raise self.fail(
                    f"truncated: the element at byte {pos} claims {n} bytes, "
                    f"the file has {end - start} left"
                )
            if mtype == _MI_COMPRESSED:
                body = self.inflate(memoryview(data)[start : start + n], pos)
                self.region = f" of the data decompressed from byte {pos}"
                name, value = self.top_matrix(body, 0, len(body))
            elif mtype == _MI_MATRIX:
                name, value = self.top_matrix(data, pos, start + n)
            else:
                raise self.fail(
                    f"the element at byte {pos} is of type {_mi(mtype)}; expected a "
                    "matrix (14) or compressed (15) element"
                )
            out[name] = value
            pos = start + n
        return out

    def top_matrix(self, buf: bytes, pos: int, end: int) -> tuple[str, Any]:
        mtype, n, start, _ = self.tag(buf, pos, end, "variable")
        if mtype != _MI_MATRIX:
            raise self.fail(f"the variable {self.at(pos)} is of type {_mi(mtype)}; expected matrix")
        if n == 0:
            raise self.fail(f"the variable {self.at(pos)} is an empty element (no name)")
        return self.matrix(buf, start, start + n, depth=0)

    def inflate(self, comp: memoryview, pos: int) -> bytes:
        """The ``miMATRIX`` element (tag included) of a compressed element, decompressed.

        Output is bounded: by the size the inner tag gives, and by the file's remaining
        decompression budget.
        """
        d = zlib.decompressobj()

        def more(tail, limit: int) -> bytes:
            try:
                return d.decompress(tail, limit)
            except zlib.error as exc:
                raise self.fail(
                    f"error decompressing the compressed element at byte {pos}: {exc}"
                ) from None

        head = more(comp, 8)
        while len(head) < 8 and d.unconsumed_tail:
            head += more(d.unconsumed_tail, 8 - len(head))
        if len(head) < 8:
            raise self.fail(
                f"error decompressing the compressed element at byte {pos}: it holds "
                f"{len(head)} bytes; expected a matrix element"
            )
        mtype, n = struct.unpack_from(self.order + "II", head)
        if mtype != _MI_MATRIX:
            raise self.fail(
                f"the compressed element at byte {pos} holds an element of type {_mi(mtype)}; "
                "expected matrix"
            )
        total = 8 + n
        if total > self.budget:
            raise self.fail(
                f"the compressed element at byte {pos} would decompress to {total} bytes; "
                f"the limit is {_limits.MAX_MAT_DECOMPRESSED} bytes per file"
            )
        chunks, got = [head], 8
        while got < total:
            chunk = more(d.unconsumed_tail, min(total - got, 1 << 24))
            if not chunk:
                break
            chunks.append(chunk)
            got += len(chunk)
        if got < total:
            raise self.fail(
                f"error decompressing the compressed element at byte {pos}: truncated or "
                f"corrupt zlib stream ({got} of the {total} bytes its matrix tag gives)"
            )
        extra = more(d.unconsumed_tail, 1)
        if extra:
            raise self.fail(
                f"error decompressing the compressed element at byte {pos}: it decompresses "
                f"to more than the {total} bytes its matrix tag gives"
            )
        if not d.eof:
            raise self.fail(
                f"error decompressing the compressed element at byte {pos}: the zlib stream "
                "is cut short (no end of stream and checksum)"
            )
        self.budget -= total
        return bytearray().join(chunks)

    # -- arrays ------------------------------------------------------------------------------

    def matrix(self, buf: bytes, pos: int, end: int, *, depth: int) -> tuple[str, Any]:
        """Name and value of the ``miMATRIX`` data in ``buf[pos:end]``."""
        if depth > _limits.MAX_MAT_DEPTH:
            raise self.fail(
                f"cells or structs nested deeper than {_limits.MAX_MAT_DEPTH} levels {self.at(pos)}"
            )
        if pos == end:  # an empty element in a cell or struct
            return "", np.empty((0, 0))
        at = pos
        mtype, n, start, pos = self.tag(buf, pos, end, "array flags")
        if mtype != _MI_UINT32 or n != 8:
            raise self.fail(
                f"array flags {self.at(at)}: found {_mi(mtype)} of {n} bytes; "
                "expected uint32 of 8 bytes"
            )
        (flags,) = struct.unpack_from(self.order + "I", buf, start)
        cls = flags & 0xFF
        at = pos
        mtype, n, start, pos = self.tag(buf, pos, end, "dimensions")
        if mtype != _MI_INT32 or n % 4 or not 8 <= n <= 4 * _limits.MAX_MAT_NDIM:
            raise self.fail(
                f"dimensions {self.at(at)}: found {_mi(mtype)} of {n} bytes; expected "
                f"2 to {_limits.MAX_MAT_NDIM} int32 values"
            )
        dims = struct.unpack_from(f"{self.order}{n // 4}i", buf, start)
        if min(dims) < 0:
            raise self.fail(f"dimensions {self.at(at)}: found {dims}; expected sizes >= 0")
        at = pos
        mtype, n, start, pos = self.tag(buf, pos, end, "array name")
        if mtype not in (_MI_INT8, _MI_UINT8):
            raise self.fail(f"array name {self.at(at)}: found {_mi(mtype)}; expected int8 text")
        name = bytes(buf[start : start + n]).decode("latin-1")
        if depth == 0:
            shown = repr(name) if len(name) <= 64 else f"{name[:60]!r}…"
            self.where = f"{self.where} {shown}"
        count = math.prod(dims)
        shape = "x".join(map(str, dims))
        span = math.prod(max(d, 1) for d in dims)
        if span >= _MAX_SPAN:  # numpy cannot even make an empty array of that shape
            raise self.fail(
                f"dimensions {shape}: the non-zero ones multiply to {span}; expected less "
                "than 2**56"
            )
        if cls in _CLASS_DTYPES:
            return name, self.numeric(buf, pos, end, cls, flags, dims, count, shape)
        if cls == _CHAR:
            return name, self.char(buf, pos, end, dims, count, shape)
        if cls == _CELL:
            return name, self.cell(buf, pos, end, dims, count, depth)
        if cls == _STRUCT:
            return name, self.struct(buf, pos, end, dims, count, depth)
        kind = _CLASS_NAMES.get(cls)
        if kind is None:
            raise self.fail(
                f"unknown MATLAB class number {cls} {self.at(pos)}; expected {_SUPPORTED}"
            )
        raise self.fail(f"unsupported MATLAB class {kind} ({cls}); expected {_SUPPORTED}")

    def numeric_data(
        self, buf: bytes, pos: int, end: int, count: int, shape: str, what: str
    ) -> tuple[np.ndarray, int]:
        at = pos
        mtype, n, start, pos = self.tag(buf, pos, end, what)
        code = _MI_NUMERIC.get(mtype)
        if code is None:
            raise self.fail(f"{what} {self.at(at)}: found {_mi(mtype)}; expected numbers")
        dtype = np.dtype(code).newbyteorder(self.order)
        if n != count * dtype.itemsize:
            raise self.fail(
                f"{what} {self.at(at)}: {n} bytes of {_MI_NAMES[mtype]}; the dimensions "
                f"{shape} need {count} values ({count * dtype.itemsize} bytes)"
            )
        return np.frombuffer(buf, dtype=dtype, count=count, offset=start), pos

    def numeric(
        self,
        buf: bytes,
        pos: int,
        end: int,
        cls: int,
        flags: int,
        dims: tuple[int, ...],
        count: int,
        shape: str,
    ) -> np.ndarray:
        target = np.dtype(_CLASS_DTYPES[cls])
        if flags & _COMPLEX_FLAG:
            target = np.dtype(np.complex64 if target == np.float32 else np.complex128)
        elif flags & _LOGICAL_FLAG:
            target = np.dtype(bool)
        if count * target.itemsize > _limits.MAX_MAT_ARRAY_BYTES:
            raise self.fail(
                f"{_CLASS_NAMES[cls]} array of {shape} would take {count * target.itemsize} "
                f"bytes; the limit is {_limits.MAX_MAT_ARRAY_BYTES}"
            )
        real, pos = self.numeric_data(buf, pos, end, count, shape, "real part")
        if target.kind == "c":
            imag, pos = self.numeric_data(buf, pos, end, count, shape, "imaginary part")
            out = np.empty(count, dtype=target)
            out.real = real
            out.imag = imag
        else:
            # a view of the file's bytes when they already are the class's native dtype
            out = real.astype(target, copy=False)
            if not out.flags.writeable:  # (parse_mat was given bytes, not a bytearray)
                out = out.copy()
        return out.reshape(dims, order="F")

    def char(
        self, buf: bytes, pos: int, end: int, dims: tuple[int, ...], count: int, shape: str
    ) -> str | np.ndarray:
        at = pos
        mtype, n, start, pos = self.tag(buf, pos, end, "characters")
        if mtype not in (_MI_UINT16, _MI_INT8, _MI_UINT8, _MI_UTF8, _MI_UTF16, _MI_UTF32):
            raise self.fail(
                f"characters {self.at(at)}: found {_mi(mtype)}; "
                "expected uint16, utf8, utf16 or utf32 text"
            )
        raw = bytes(buf[start : start + n])
        big = self.order == ">"
        try:
            if mtype == _MI_UINT16:  # UTF-16 code units, one per character
                text = "".join(map(chr, np.frombuffer(raw, dtype=self.order + "u2").tolist()))
            elif mtype in (_MI_INT8, _MI_UINT8):
                text = raw.decode("latin-1")
            elif mtype == _MI_UTF8:
                text = raw.decode("utf-8")
            elif mtype == _MI_UTF16:
                text = raw.decode("utf-16-be" if big else "utf-16-le")
            else:
                text = raw.decode("utf-32-be" if big else "utf-32-le")
        except ValueError as exc:  # UnicodeDecodeError, odd number of uint16 bytes
            raise self.fail(
                f"characters {self.at(at)}: not {_MI_NAMES[mtype]} text ({exc})"
            ) from None
        if len(text) != count:
            raise self.fail(
                f"characters {self.at(at)}: {len(text)} characters; the dimensions "
                f"{shape} need {count}"
            )
        if len(dims) == 2 and dims[0] <= 1:
            return text
        if count == 0:
            return np.zeros(dims[:-1], dtype="U1")
        chars = np.array([text]).view("U1").reshape(dims, order="F")
        rows = np.ascontiguousarray(chars).view(f"U{dims[-1]}")
        return rows.reshape(dims[:-1])

    def elements(self, count: int, children: int, pos: int, end: int, what: str) -> None:
        """Check a cell or struct array of ``count`` elements, ``children`` matrix elements
        in all, before anything is allocated for it (each child takes 8 bytes or more)."""
        if count > _limits.MAX_MAT_CELLS:
            raise self.fail(
                f"{what} of {count} elements {self.at(pos)}; the limit is {_limits.MAX_MAT_CELLS}"
            )
        if children * 8 > end - pos:
            raise self.fail(
                f"truncated or corrupt: {what} of {count} elements {self.at(pos)} needs at "
                f"least {children * 8} bytes, {end - pos} left"
            )

    def child(self, buf: bytes, pos: int, end: int, depth: int, what: str) -> tuple[Any, int]:
        at = pos
        mtype, n, start, pos = self.tag(buf, pos, end, what)
        if mtype != _MI_MATRIX:
            raise self.fail(f"{what} {self.at(at)}: found {_mi(mtype)}; expected matrix")
        return self.matrix(buf, start, start + n, depth=depth + 1)[1], pos

    def cell(
        self, buf: bytes, pos: int, end: int, dims: tuple[int, ...], count: int, depth: int
    ) -> np.ndarray:
        self.elements(count, count, pos, end, "cell array")
        out = np.empty(count, dtype=object)
        for i in range(count):
            out[i], pos = self.child(buf, pos, end, depth, f"cell {i + 1}")
        return out.reshape(dims, order="F")

    def struct(
        self, buf: bytes, pos: int, end: int, dims: tuple[int, ...], count: int, depth: int
    ) -> dict[str, Any] | np.ndarray:
        at = pos
        mtype, n, start, pos = self.tag(buf, pos, end, "field name length")
        if mtype != _MI_INT32 or n != 4:
            raise self.fail(
                f"field name length {self.at(at)}: found {_mi(mtype)} of {n} bytes; "
                "expected one int32"
            )
        (width,) = struct.unpack_from(self.order + "i", buf, start)
        at = pos
        mtype, n, start, pos = self.tag(buf, pos, end, "field names")
        if width <= 0 or mtype != _MI_INT8 or n % width:
            raise self.fail(
                f"field names {self.at(at)}: {n} bytes of {_mi(mtype)} in names of "
                f"{width} bytes; expected int8 names, a whole number of them"
            )
        raw = bytes(buf[start : start + n])
        names = [
            raw[i : i + width].split(b"\0", 1)[0].decode("latin-1") for i in range(0, n, width)
        ]
        if len(set(names)) != len(names):
            dup = next(f for k, f in enumerate(names) if f in names[:k])
            raise self.fail(f"field names {self.at(at)}: field {dup!r} repeated")
        self.elements(count, count * len(names), pos, end, "struct array")
        records = []
        for i in range(count):
            rec = {}
            for f in names:
                rec[f], pos = self.child(buf, pos, end, depth, f"field {f!r} of element {i + 1}")
            records.append(rec)
        if count == 1:
            return records[0]
        out = np.empty(count, dtype=object)
        for i, rec in enumerate(records):
            out[i] = rec
        return out.reshape(dims, order="F")


def parse_mat(data: bytes | bytearray, source: str = "<bytes>") -> dict[str, Any]:
    """The variables of a MAT-5 file held in ``data``.

    Parameters
    ----------
    data : bytes or bytearray
        The whole file. Arrays stored in their class's native dtype are views of a
        ``bytearray`` (no copy); from ``bytes`` they are copies.
    source : str
        Name of the file, for messages.

    Returns
    -------
    dict
        Variable name -> value, in file order (see the module docstring for the values).

    Raises
    ------
    DataError
        Not a MATLAB v5/v7 file (v4, v7.3/HDF5, another format), truncated or corrupt
        (a size, type code or dimension inconsistent with the bytes present, a corrupt
        compressed element), an unsupported class, or beyond a limit of
        :mod:`rotordx.io._limits`.
    """
    prefix = f"{source}: not a readable MATLAB v5 .mat file"
    if len(data) >= 4 and 0 in data[:4]:
        raise DataError(
            f"{prefix}: a zero among the first 4 bytes (a MATLAB v4 file or another format); "
            "expected MATLAB v5/v7 (save it with save(..., '-v7'))"
        )
    if len(data) < _HEADER:
        raise DataError(
            f"{prefix}: truncated or another format: {len(data)} bytes; expected a "
            f"{_HEADER}-byte header and variables"
        )
    indicator = bytes(data[126:128])
    if indicator not in (b"IM", b"MI"):
        raise DataError(
            f"{prefix}: bytes 126-127 are {indicator!r}; expected the endian indicator "
            "'IM' or 'MI' (another format?)"
        )
    order = "<" if indicator == b"IM" else ">"
    (version,) = struct.unpack_from(order + "H", data, 124)
    if version == 0x0200:
        raise DataError(
            f"{source}: a MATLAB v7.3 (HDF5) .mat file; expected MATLAB v5/v7 "
            "(save it with save(..., '-v7'))"
        )
    if version != 0x0100:
        raise DataError(f"{prefix}: version {version:#06x}; expected 0x0100 (MATLAB v5/v7)")
    return _Parser(source, order).variables(data)


def read_mat(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The variables of a MATLAB v5/v7 ``.mat`` file.

    A pure-Python reader (no native parser sees the file): a corrupt or crafted file
    gives a :class:`~rotordx.exceptions.DataError`, never a crash, a hang or an
    unbounded allocation. Values as in the module docstring: numeric arrays in their
    MATLAB class's dtype and the MATLAB dimensions (a ``(n, 1)`` column stays
    ``(n, 1)``), char rows as ``str``, structs as dicts, cells as object arrays.

    Parameters
    ----------
    path : path-like

    Returns
    -------
    dict
        Variable name -> value, in file order; no ``__header__`` entries.

    Raises
    ------
    DataError
        The file is missing or unreadable, or :func:`parse_mat` refuses it.
    """
    path = Path(path)
    try:
        with path.open("rb", buffering=0) as fh:
            data = bytearray(os.fstat(fh.fileno()).st_size)
            got = fh.readinto(data)
    except OSError as exc:
        raise DataError(f"{path}: cannot read the .mat file ({exc.strerror or exc})") from None
    del data[got:]  # (the file shrank while being read)
    return parse_mat(data, str(path))
