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

import os
import struct
from pathlib import Path
from typing import Any

from rotordx.exceptions import DataError
from rotordx.io._mat5_parser import _Parser
from rotordx.io._mat5_types import _HEADER

__all__ = ["parse_mat", "read_mat"]


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
