"""Plausibility bounds on sample values, shared by the readers (see docs/inputs.md).

* :data:`MAX_ACCELERATION`: KAMP and CWRU files hold acceleration (m/s², resp. g
  converted to m/s²). 1e6 m/s² is about 100,000 g, the top of the range of shock
  accelerometers and far beyond any machine-vibration sensor; a larger value is a
  corrupt file (a shifted decimal point, a bit flip, a sentinel such as 9.9e37).
* :data:`MAX_ABS_VALUE`: CSV, Parquet and WAV recordings are in the file's own
  units (m/s², g, raw ADC counts: a 32-bit converter gives up to 2.1e9), so no
  physical bound applies; 1e12 is above any such unit and keeps sums of squares
  over a million samples (1e30) inside float32, the precision the models use.

The ``MAX_MAT_*`` constants bound what :mod:`rotordx.io.mat5` decodes from one MATLAB file
(decompressed bytes, array bytes, cells, nesting, dimensions): an untrusted file cannot make
it allocate more, however its sizes lie (docs/inputs.md, "Untrusted binary files").
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "MAX_ABS_VALUE",
    "MAX_ACCELERATION",
    "MAX_MAT_ARRAY_BYTES",
    "MAX_MAT_CELLS",
    "MAX_MAT_DECOMPRESSED",
    "MAX_MAT_DEPTH",
    "MAX_MAT_NDIM",
    "MAX_PARQUET_MEMORY",
    "MAX_READER_MEMORY",
    "PARQUET_TIMEOUT",
    "READER_MEMORY_PER_BYTE",
    "READER_TIMEOUT",
    "first_too_large",
]

#: Largest accepted |acceleration| in m/s² (KAMP and CWRU files).
MAX_ACCELERATION = 1e6
#: Largest accepted |value| in files of unknown units (CSV, Parquet, WAV).
MAX_ABS_VALUE = 1e12


def first_too_large(x: np.ndarray, limit: float) -> tuple[int, ...] | None:
    """Index of the first element of ``x`` (finite) whose magnitude exceeds ``limit``."""
    bad = np.abs(x) > limit
    if not bad.any():
        return None
    return tuple(int(i) for i in np.argwhere(bad)[0])


# -- MATLAB v5 files (rotordx.io.mat5) ---------------------------------------------------------
#: Most bytes the compressed (v7) variables of one .mat file may decompress to, together.
#: zlib output is requested with this bound (``max_length``), so a zip bomb stops here.
MAX_MAT_DECOMPRESSED = 2 * 2**30
#: Most bytes of one decoded numeric array (its MATLAB class's dtype: integer-valued
#: doubles stored as uint8 grow 8-fold when decoded).
MAX_MAT_ARRAY_BYTES = 2 * 2**30
#: Most elements of one cell or struct array (each becomes a Python object).
MAX_MAT_CELLS = 2**20
#: Deepest nesting of cells and structs.
MAX_MAT_DEPTH = 32
#: Most dimensions of one array.
MAX_MAT_NDIM = 32

# -- Parquet files (rotordx.io.containers.read_parquet_isolated) -------------------------------
#: Most address space (bytes) the child process reading one Parquet file may add: pyarrow
#: allocates what a crafted footer claims (an 8 KB file made it use about 4 GB).
MAX_PARQUET_MEMORY = 2 * 2**30
#: Seconds the child process may take to read one Parquet file.
PARQUET_TIMEOUT = 120.0

# -- TDMS and UFF files (rotordx.io.tdms, rotordx.io.uff: npTDMS and pyuff in a child process) --
#: Address space (bytes) the child process reading one TDMS or UFF file may add, besides
#: :data:`READER_MEMORY_PER_BYTE` per byte of the file: npTDMS sizes its arrays by the value
#: counts a segment's metadata claims, whatever the file holds.
MAX_READER_MEMORY = 2 * 2**30
#: Address space the child may add per byte of the file: pyuff holds an ASCII file's values
#: as Python floats in lists, then arrays (about 5 bytes per byte of file, measured), and
#: values of 1 to 4 bytes in a TDMS file become float64.
READER_MEMORY_PER_BYTE = 8
#: Seconds the child process may take to read one TDMS or UFF file.
READER_TIMEOUT = 120.0
