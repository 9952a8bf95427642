"""The type codes of MAT-5 files: element data types (miINT8 …) and array classes
(mxDOUBLE_CLASS …), with their numpy dtypes and names for messages
(:mod:`rotordx.io.mat5`)."""

from __future__ import annotations

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
