"""Run a third-party file parser in a forked child process, under memory and time limits.

Some parsers trust the sizes written in a file: pyarrow allocates what a Parquet footer
claims, npTDMS sizes its arrays by the value counts of a TDMS segment's metadata, and any
of them may raise whatever exception a corrupt file leads it to. :func:`run_isolated`
forks; the child runs under ``RLIMIT_AS`` (its address space at the fork plus
``memory`` bytes), writes its result to an anonymous memory file (``memfd``) and exits;
the parent waits at most ``timeout`` seconds (then SIGKILL) and maps the result (no
copy). A crash (a signal), a hang, a ``MemoryError`` or any exception in the child is a
:class:`~rotordx.exceptions.DataError` naming the file (docs/inputs.md, "Untrusted
binary files").

:func:`pack_arrays` / :func:`unpack_arrays` carry numeric arrays and a small JSON
document through the memory file.

Functions
---------
    run_isolated
    pack_arrays, unpack_arrays
"""

from __future__ import annotations

import contextlib
import json
import mmap
import os
import resource
import selectors
import signal
import struct
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from rotordx.exceptions import DataError
from rotordx.io import _limits

__all__ = [
    "first_line",
    "pack_arrays",
    "read_head",
    "run_isolated",
    "run_reader",
    "unpack_arrays",
    "vm_size",
]


def vm_size() -> int:
    """This process's address-space size in bytes (0 where /proc is missing)."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message (at most 200 characters), or its type."""
    text = str(exc).strip()
    return text.splitlines()[0][:200] if text else type(exc).__name__


def _scratch():
    """An anonymous file the child writes to (memory-backed where possible)."""
    if hasattr(os, "memfd_create"):
        return os.fdopen(os.memfd_create("rotordx-reader"), "w+b")
    return tempfile.TemporaryFile()


def _silence() -> None:
    """In the forked child: nothing the parser prints or logs may reach the parent's output
    (a ``--json`` answer, a terminal): standard output and error go to /dev/null."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    os.close(devnull)


def _child(work: Callable[[Any], None], out, memory: int, *, forked: bool = True) -> None:
    """In the forked child: limit the address space, run ``work(out)`` after a ``b"T"``,
    or write ``b"M"`` (out of memory) / ``b"E"`` and the error's first line."""
    try:
        if forked:
            _silence()
        if memory > 0:
            _, hard = resource.getrlimit(resource.RLIMIT_AS)
            limit = vm_size() + memory
            if hard != resource.RLIM_INFINITY:
                limit = min(limit, hard)
            resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
        out.write(b"T")
        work(out)
    except MemoryError as exc:  # (ArrowMemoryError included)
        out.seek(0)
        out.truncate()
        out.write(b"M" + first_line(exc).encode("utf-8", "replace"))
    except BaseException as exc:  # anything a parser raises on a corrupt file
        out.seek(0)
        out.truncate()
        out.write(b"E" + f"{first_line(exc)}".encode("utf-8", "replace"))
    out.flush()


def read_head(path: Path, n: int, prefix: str) -> tuple[int, bytes]:
    """The size of ``path`` and its first ``n`` bytes; a failure to read as a DataError."""
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            return size, fh.read(n)
    except OSError as exc:
        raise DataError(f"{prefix}: {exc.strerror or exc}") from None


def run_reader(
    work: Callable[[Any], None],
    *,
    size: int,
    memory: int | None,
    timeout: float | None,
    prefix: str,
    what: str,
) -> mmap.mmap | bytes:
    """:func:`run_isolated` under the readers' limits for a file of ``size`` bytes.

    ``memory`` defaults to ``MAX_READER_MEMORY`` plus ``READER_MEMORY_PER_BYTE``
    per byte of the file, ``timeout`` to ``READER_TIMEOUT`` (:mod:`rotordx.io._limits`).
    """
    if memory is None:
        memory = _limits.MAX_READER_MEMORY + _limits.READER_MEMORY_PER_BYTE * size
    return run_isolated(
        work,
        memory=memory,
        timeout=_limits.READER_TIMEOUT if timeout is None else timeout,
        prefix=prefix,
        what=what,
    )


def run_isolated(
    work: Callable[[Any], None],
    *,
    memory: int,
    timeout: float,
    prefix: str,
    what: str,
) -> mmap.mmap | bytes:
    """Run ``work(out)`` in a forked child; return what it wrote to the binary file ``out``.

    Parameters
    ----------
    work : callable
        Writes its result to ``out``; may raise anything.
    memory : int
        Bytes of address space the child may add to what it holds at the fork (0: no limit).
    timeout : float
        Seconds before the child is killed.
    prefix : str
        Start of every message, e.g. ``"rec.tdms: not a readable TDMS file"``.
    what : str
        The parser in messages, e.g. ``"the TDMS reader"``.

    Returns
    -------
    mmap.mmap or bytes
        The bytes ``work`` wrote (a read-only map of them; bytes where ``os.fork`` is
        missing, and ``work`` then runs in this process).

    Raises
    ------
    DataError
        ``work`` raised (its message's first line), needed more memory than the limit,
        was killed by a signal or ran past ``timeout``.
    """
    if not hasattr(os, "fork"):  # no isolation: run it here, and still refuse errors
        with _scratch() as out:
            _child(work, out, 0, forked=False)
            out.seek(0)
            data = out.read()
        return _result(data, memory=memory, prefix=prefix)
    with _scratch() as out:
        done_r, done_w = os.pipe()  # EOF on done_r once the child has exited
        pid = os.fork()
        if pid == 0:  # the child: never returns
            try:
                os.close(done_r)
                _child(work, out, memory)
            finally:
                os._exit(0)
        os.close(done_w)
        try:
            with selectors.DefaultSelector() as sel:
                sel.register(done_r, selectors.EVENT_READ)
                finished = bool(sel.select(timeout))
        finally:
            os.close(done_r)
            if not finished:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            _, status = os.waitpid(pid, 0)
        if not finished:
            raise DataError(f"{prefix}: reading it took longer than {timeout:g} s")
        size = os.fstat(out.fileno()).st_size
        if os.WIFSIGNALED(status) or size == 0:
            how = (
                f"killed by signal {signal.Signals(os.WTERMSIG(status)).name}"
                if os.WIFSIGNALED(status)
                else f"exit status {os.WEXITSTATUS(status)}"
            )
            raise DataError(f"{prefix}: {what} crashed ({how})")
        data = mmap.mmap(out.fileno(), size, prot=mmap.PROT_READ)
    return _result(data, memory=memory, prefix=prefix)


def _result(data, *, memory: int, prefix: str):
    kind = data[:1]
    if kind == b"T":
        return data
    reason = data[1:].decode("utf-8", "replace")
    if isinstance(data, mmap.mmap):
        data.close()
    if kind == b"M":
        raise DataError(
            f"{prefix}: reading it needs more than {memory} bytes of memory "
            f"(corrupt or crafted sizes?): {reason}"
        )
    raise DataError(f"{prefix} (truncated or another format?): {reason}")


# -- arrays through the memory file -------------------------------------------------------------

_DTYPES = ("float64", "float32", "int64", "int32", "int16", "int8", "uint8", "uint16", "uint32")


def pack_arrays(out, meta: dict, arrays: list[np.ndarray]) -> None:
    """Write ``meta`` (JSON) and ``arrays`` (1-D, numeric) to the binary file ``out``."""
    arrays = [np.ascontiguousarray(a) for a in arrays]
    doc = dict(meta)
    doc["_arrays"] = [[str(a.dtype), int(a.size)] for a in arrays]
    text = json.dumps(doc, allow_nan=False).encode("utf-8")
    out.write(struct.pack("<Q", len(text)) + text + bytes(-len(text) % 8))
    for a in arrays:
        if str(a.dtype) not in _DTYPES or a.ndim != 1:
            raise TypeError(f"cannot pack an array of {a.dtype} and shape {a.shape}")
        out.write(a.tobytes())
        out.write(bytes(-a.nbytes % 8))


def unpack_arrays(data, start: int = 1) -> tuple[dict, list[np.ndarray]]:
    """``(meta, arrays)`` written by :func:`pack_arrays` from byte ``start`` of ``data`` on
    (arrays are read-only views of ``data``)."""
    (n,) = struct.unpack_from("<Q", data, start)
    pos = start + 8
    meta = json.loads(bytes(data[pos : pos + n]).decode("utf-8"))
    pos += n + (-n % 8)
    arrays = []
    for dtype, size in meta.pop("_arrays"):
        dt = np.dtype(dtype)
        if dtype not in _DTYPES or pos + size * dt.itemsize > len(data):
            raise ValueError("the packed arrays do not fit")  # (never from our own child)
        arrays.append(np.frombuffer(data, dtype=dt, count=size, offset=pos))
        pos += size * dt.itemsize + (-(size * dt.itemsize) % 8)
    return meta, arrays
