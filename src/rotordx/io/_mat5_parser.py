"""The MAT-5 element parser behind :func:`rotordx.io.mat5.parse_mat`: every size, type
code and dimension is checked against the bytes present before anything is read or
allocated."""

from __future__ import annotations

import math
import struct
import zlib
from typing import Any

import numpy as np

from rotordx.exceptions import DataError
from rotordx.io import _limits
from rotordx.io._mat5_types import (
    _CELL,
    _CHAR,
    _CLASS_DTYPES,
    _CLASS_NAMES,
    _COMPLEX_FLAG,
    _HEADER,
    _LOGICAL_FLAG,
    _MAX_SPAN,
    _MI_COMPRESSED,
    _MI_INT8,
    _MI_INT32,
    _MI_MATRIX,
    _MI_NAMES,
    _MI_NUMERIC,
    _MI_UINT8,
    _MI_UINT16,
    _MI_UINT32,
    _MI_UTF8,
    _MI_UTF16,
    _MI_UTF32,
    _STRUCT,
    _SUPPORTED,
    _mi,
)


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
