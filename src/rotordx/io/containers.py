"""Structure checks of binary containers, run before a native parser sees the file.

``scipy.io.wavfile.read`` and pyarrow trust the sizes written in a file. A WAV data
chunk that claims 4 GiB makes scipy allocate 4 GiB for a 100-byte file; a zero channel
count divides by zero; a fmt chunk cut short raises ``struct.error``. These checks read
only the chunk headers (or the Parquet footer) and raise a
:class:`~rotordx.exceptions.DataError` naming the file unless every size the parser
will trust lies inside the file (``docs/inputs.md``, "Untrusted binary files").

pyarrow can also be made to allocate gigabytes by a small file whose footer lies (a row
group claiming 1.7e10 rows), so :func:`read_parquet_isolated` reads Parquet in a forked
child process with an address-space limit and a timeout.

Functions
---------
    check_wav
    check_parquet
    read_parquet_isolated
"""

from __future__ import annotations

import os
import struct
from pathlib import Path

from rotordx.exceptions import DataError
from rotordx.io import _limits
from rotordx.io.isolated import first_line, run_isolated

__all__ = ["check_parquet", "check_wav", "read_parquet_isolated"]

#: WAV format tags scipy reads: PCM, IEEE float, WAVE_FORMAT_EXTENSIBLE.
_WAV_FORMATS = {1: "PCM", 3: "IEEE float", 0xFFFE: "extensible"}


def _read_at(fh, pos: int, n: int) -> bytes:
    fh.seek(pos)
    return fh.read(n)


def check_wav(path: str | os.PathLike[str]) -> None:
    """Check the RIFF chunk structure of a WAV file, walking it as ``scipy.io.wavfile.read``
    does.

    Checked: the ``RIFF``/``RIFX``/``RF64`` and ``WAVE`` signatures; complete chunk
    headers up to the data; a ``fmt`` chunk of at least 16 bytes (40 for an extensible
    one) inside the file, with a known format tag, a sample rate above 0, at least one
    channel and a frame of whole samples of at least one byte (exactly one for 8-bit or
    narrower samples); a ``data`` chunk after it, inside the file (for RF64 its 64-bit
    size in ``ds64``), of whole frames. So scipy neither divides by zero, nor reads past
    a short chunk, nor allocates more than the file holds, and it walks the chunks at the
    same offsets.

    Raises
    ------
    DataError
        The first violation, with its byte offset.
    """
    path = Path(path)
    prefix = f"{path}: not a readable WAV file"
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            _walk_wav(fh, size, prefix)
    except OSError as exc:
        raise DataError(f"{prefix}: {exc.strerror or exc}") from None


def _walk_wav(fh, size: int, prefix: str) -> None:
    head = _read_at(fh, 0, 12)
    if len(head) < 12:
        raise DataError(f"{prefix}: {size} bytes; expected a 12-byte RIFF header and chunks")
    magic, form = head[:4], head[8:12]
    if magic not in (b"RIFF", b"RIFX", b"RF64"):
        raise DataError(f"{prefix}: starts with {magic!r}; expected 'RIFF', 'RIFX' or 'RF64'")
    if form != b"WAVE":
        raise DataError(f"{prefix}: RIFF form type {form!r}; expected 'WAVE'")
    order = ">" if magic == b"RIFX" else "<"
    rf64_data = 0
    if magic == b"RF64":
        ds64 = _read_at(fh, 12, 28)
        if len(ds64) < 28 or ds64[:4] != b"ds64":
            raise DataError(f"{prefix}: RF64 file without a complete 'ds64' chunk at byte 12")
        ds_size, riff_size, rf64_data = struct.unpack_from("<IQQ", ds64, 4)
        if not 16 <= ds_size <= size - 20:
            raise DataError(
                f"{prefix}: the 'ds64' chunk at byte 12 claims {ds_size} bytes; expected 16 "
                f"to the {size - 20} present"
            )
        end, pos = riff_size + 8, 20 + ds_size
    else:
        end, pos = struct.unpack_from(order + "I", head, 4)[0] + 8, 12
    block = 0  # bytes per frame of the last fmt chunk
    have_data = False
    while pos < min(end, size):
        header = _read_at(fh, pos, 8)
        if len(header) < 8:
            if have_data and len(header) < 4:  # scipy skips an incomplete chunk ID at the end
                break
            raise DataError(
                f"{prefix}: truncated chunk header at byte {pos} ({len(header)} of 8 bytes)"
            )
        cid = header[:4]
        (n,) = struct.unpack_from(order + "I", header, 4)
        left = size - pos - 8
        if cid == b"fmt ":
            block = _check_fmt(fh, pos, n, left, order, prefix)
        elif cid == b"data":
            if not block:
                raise DataError(f"{prefix}: 'data' chunk at byte {pos} before any 'fmt ' chunk")
            if magic == b"RF64":
                n = rf64_data
            if n > left:
                raise DataError(
                    f"{prefix}: truncated: the 'data' chunk at byte {pos} claims {n} bytes, "
                    f"{left} present"
                )
            if n % block:
                raise DataError(
                    f"{prefix}: the 'data' chunk at byte {pos} holds {n} bytes, not a whole "
                    f"number of {block}-byte frames"
                )
            have_data = True
        pos += 8 + n + (n & 1)
    if not have_data:
        raise DataError(
            f"{prefix}: no {'data' if block else 'fmt'!r} chunk within the RIFF size "
            f"({min(end, size)} bytes); expected 'fmt ' and 'data' chunks"
        )


def _check_fmt(fh, pos: int, n: int, left: int, order: str, prefix: str) -> int:
    """Bytes per frame of the ``fmt`` chunk at ``pos``, after checking it."""
    where = f"{prefix}: the 'fmt ' chunk at byte {pos}"
    if not 16 <= n <= left:
        raise DataError(f"{where} claims {n} bytes, {left} present; expected 16 to {left}")
    tag, channels, rate, _, block, bits = struct.unpack(order + "HHIIHH", fh.read(16))
    if tag not in _WAV_FORMATS:
        raise DataError(
            f"{where}: format tag {tag:#06x}; expected PCM (1), IEEE float (3) or "
            "extensible (0xfffe)"
        )
    if tag == 0xFFFE and n >= 18:
        (ext,) = struct.unpack(order + "H", fh.read(2))
        if ext < 22 or n < 40:
            raise DataError(
                f"{where}: an extensible format of {n} bytes with a {ext}-byte extension; "
                "expected 40 bytes with a 22-byte extension"
            )
    if rate == 0:
        raise DataError(f"{where}: sample rate 0 Hz; expected a positive rate")
    if channels < 1 or block < channels or block % channels:
        raise DataError(
            f"{where}: {channels} channel(s) in frames of {block} bytes; expected at least 1 "
            "channel and a whole number of bytes per sample"
        )
    if bits <= 8 and block != channels:
        raise DataError(
            f"{where}: {bits}-bit samples in {block // channels}-byte containers; "
            "expected 1 byte per sample"
        )
    return block


def check_parquet(path: str | os.PathLike[str]) -> None:
    """Check the Parquet container: ``PAR1`` at both ends, a footer length inside the file.

    Raises
    ------
    DataError
        Too short, a wrong magic (``PARE``: encrypted footers are not read), or a footer
        length that does not fit between the two magics.
    """
    path = Path(path)
    prefix = f"{path}: not a readable Parquet file"
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            head = fh.read(4)
            tail = _read_at(fh, max(size - 8, 0), 8) if size >= 8 else b""
    except OSError as exc:
        raise DataError(f"{prefix}: {exc.strerror or exc}") from None
    if size < 12:
        raise DataError(
            f"{prefix} (truncated or another format?): {size} bytes; expected 'PAR1', "
            "data, a footer, its length and 'PAR1'"
        )
    if head != b"PAR1":
        raise DataError(
            f"{prefix} (truncated or another format?): starts with {head!r}; expected 'PAR1'"
        )
    if tail[4:] == b"PARE":
        raise DataError(f"{prefix}: an encrypted footer ('PARE'); expected a plain one")
    if tail[4:] != b"PAR1":
        raise DataError(
            f"{prefix} (truncated or another format?): ends with {tail[4:]!r}; expected 'PAR1'"
        )
    (footer,) = struct.unpack_from("<I", tail, 0)
    if footer == 0 or footer > size - 12:
        raise DataError(
            f"{prefix} (truncated or another format?): the footer length {footer} does not "
            f"fit the file ({size} bytes); expected 1 to {size - 12}"
        )


def _parquet_child(path: Path, out) -> None:
    """In the forked child: read ``path`` and write the table to the file ``out`` as an Arrow
    IPC stream."""
    import pyarrow as pa  # lazy: pyarrow takes a fraction of a second to import
    import pyarrow.parquet as pq  # lazy: pyarrow takes a fraction of a second to import

    table = pq.read_table(str(path))  # (a str: a Path goes through pyarrow.dataset)
    with pa.ipc.new_stream(out, table.schema) as writer:
        writer.write_table(table)


def read_parquet_isolated(
    path: str | os.PathLike[str],
    *,
    memory: int | None = None,
    timeout: float | None = None,
):
    """``pyarrow.parquet.read_table(path)`` in a forked child process.

    pyarrow trusts sizes in the Parquet footer: a row group that claims 1.7e10 rows in an
    8 KB file makes it use about 4 GB (found by fuzzing, docs/inputs.md). The child runs
    under ``RLIMIT_AS`` (its address space at the fork plus ``memory`` bytes, default
    :data:`~rotordx.io._limits.MAX_PARQUET_MEMORY`) and is killed after ``timeout``
    seconds (default :data:`~rotordx.io._limits.PARQUET_TIMEOUT`). It writes the table
    as an Arrow IPC stream to an anonymous memory file, which the parent maps (no copy).
    Where ``os.fork`` is missing, the file is read in-process.

    Returns
    -------
    pyarrow.Table

    Raises
    ------
    DataError
        pyarrow refused the file, needed more memory than the limit, crashed (a signal)
        or ran past the timeout; the message names the file.
    """
    import pyarrow as pa  # lazy: pyarrow takes a fraction of a second to import
    import pyarrow.parquet as pq  # lazy: pyarrow takes a fraction of a second to import

    path = Path(path)
    memory = _limits.MAX_PARQUET_MEMORY if memory is None else memory
    timeout = _limits.PARQUET_TIMEOUT if timeout is None else timeout
    prefix = f"{path}: not a readable Parquet file"
    if not hasattr(os, "fork"):
        try:
            return pq.read_table(path)
        except (pa.ArrowException, OSError, ValueError) as exc:
            raise DataError(f"{prefix} (truncated or another format?): {first_line(exc)}") from exc
    data = run_isolated(
        lambda out: _parquet_child(path, out),  # (looked up when called: tests replace it)
        memory=memory,
        timeout=timeout,
        prefix=prefix,
        what="the Parquet reader",
    )
    return pa.ipc.open_stream(pa.py_buffer(data)[1:]).read_all()
