"""What a Dask worker runs: one task's recordings, read and diagnosed through the Python API.

:func:`diagnose_items` reads each recording with
:func:`rotordx.io.sources.load_entry` (the hardened readers) — or, for a
large CSV file, block by block (:func:`rotordx.io.sources.stream_entry`,
:func:`rotordx.diagnosis.api.diagnose_blocks`) — brings it to
the model's rate when there is a model, and diagnoses it with
:func:`rotordx.diagnosis.api.diagnose` in the context
:func:`~rotordx.diagnosis.api.context_of` gives — what ``rotordx diagnose``
does for a manifest, one recording at a time. Nothing a recording does stops
the task: its error becomes its row.

The model is loaded once per worker process (:func:`cached_model`, keyed by
the model's path and the SHA-256 of its files) with one inference thread.
"""

from __future__ import annotations

import hashlib
import os
import socket
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from rotordx.batch.schema import PHYSICS, Item, error_row, row_of
from rotordx.data.dataset import resample_recording
from rotordx.diagnosis.api import context_of, diagnose, diagnose_blocks, model_rate
from rotordx.exceptions import ParameterError, RotordxError
from rotordx.io.sources import load_entry, stream_entry
from rotordx.models.bundle import Bundle
from rotordx.models.loading import load_model

__all__ = [
    "LOADS",
    "STREAM_BYTES",
    "Settings",
    "cached_model",
    "diagnose_items",
    "model_digest",
    "warm_up",
]

#: Recording files at least this large are read block by block where the format allows
#: (:func:`rotordx.io.sources.stream_entry`); smaller ones whole (the engine holds a recording
#: of up to 16 s whole anyway).
STREAM_BYTES = 8 * 2**20


@dataclass(frozen=True)
class Settings:
    """What every task of a batch shares (sent to the workers with each task).

    ``model`` is the path of a run folder or ``.onnx`` file (None: physics),
    ``digest`` its :func:`model_digest`; ``rate``, ``rpm``, ``bearing`` and
    ``thresholds`` are those of ``rotordx diagnose``.
    """

    model: str | None = None
    digest: str | None = None
    model_id: str = PHYSICS
    rate: float | None = None
    rpm: float | None = None
    bearing: str | None = None
    thresholds: str = "group2_rigid"
    run: int = 0


def model_digest(path: str | os.PathLike[str]) -> str:
    """SHA-256 (hex) of a model: an ``.onnx`` file, or a run folder's bundle files."""
    path = Path(path)
    files = [path] if path.is_file() else sorted(p for p in path.iterdir() if p.is_file())
    files = [p for p in files if path.is_file() or p.name in ("bundle.json", "model.safetensors")]
    h = hashlib.sha256()
    for p in files:
        h.update(p.name.encode() + b"\0")
        with p.open("rb") as fh:
            for block in iter(lambda fh=fh: fh.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()


#: This process's loaded models: (path, digest) -> Bundle.
_MODELS: dict[tuple[str, str], Bundle] = {}
#: How often this process loaded each model path (once, unless the batch changes models).
LOADS: Counter = Counter()


def cached_model(path: str, digest: str) -> Bundle:
    """The model at ``path``, loaded once per process (one inference thread).

    Raises
    ------
    ParameterError
        The files at ``path`` are no longer those the batch started with.
    """
    key = (path, digest)
    if key not in _MODELS:
        now = model_digest(path)
        if now != digest:
            raise ParameterError(
                f"{path}: the model changed after the batch started (SHA-256 {now[:12]}, "
                f"expected {digest[:12]}); rerun the batch"
            )
        _MODELS.clear()  # one model at a time
        _MODELS[key] = load_model(path, threads=1)
        LOADS[path] += 1
    return _MODELS[key]


def _diagnose_one(item: Item, settings: Settings, bundle: Bundle | None):
    """The diagnosis of one recording, and whether it was read block by block."""
    if (item.size or 0) >= STREAM_BYTES:
        st = stream_entry(item.entry, default_rate=settings.rate)
        fs = st.meta.recording.fs if st is not None else None
        if st is not None and (bundle is None or abs(fs - model_rate(bundle)) <= 1e-9 * fs):
            ctx = context_of(
                st.meta, rpm=settings.rpm, bearing=settings.bearing, thresholds=settings.thresholds
            )
            rec = st.meta.recording
            d = diagnose_blocks(
                st.blocks,
                name=rec.name,
                fs=fs,
                channel_names=rec.channel_names,
                length=st.length,
                model=bundle,
                context=ctx,
                spectrum=False,
            )
            return d, True
    r = load_entry(item.entry, default_rate=settings.rate)
    rec = r.recording
    if bundle is not None:
        rec = resample_recording(rec, model_rate(bundle))
    ctx = context_of(r, rpm=settings.rpm, bearing=settings.bearing, thresholds=settings.thresholds)
    return diagnose(rec, model=bundle, context=ctx, spectrum=False), False


def _message(exc: BaseException) -> str:
    if isinstance(exc, RotordxError):
        return str(exc)
    if isinstance(exc, MemoryError):
        return f"out of memory while diagnosing it ({exc or 'MemoryError'})"
    return f"unexpected {type(exc).__name__}: {exc} (a bug in rotordx: please report it)"


def diagnose_items(items: list[Item], settings: Settings) -> list[dict]:
    """The rows of ``items`` (:func:`~rotordx.batch.schema.row_of` or ``error_row``)."""
    worker = f"{socket.gethostname()}:{os.getpid()}"
    common = {"model": settings.model_id, "run": settings.run, "worker": worker}
    rows = []
    bundle = None
    model_error = None
    if settings.model is not None:
        try:
            bundle = cached_model(settings.model, settings.digest or "")
        except Exception as exc:
            model_error = _message(exc)
    for item in items:
        t0 = time.perf_counter()
        if item.error is not None or model_error is not None:
            msg = item.error or model_error
            rows.append(error_row(item, msg, seconds=time.perf_counter() - t0, **common))
            continue
        try:
            d, streamed = _diagnose_one(item, settings, bundle)
        except Exception as exc:  # any recording's failure is its row, never the task's
            rows.append(error_row(item, _message(exc), seconds=time.perf_counter() - t0, **common))
            continue
        row = row_of(d, item, seconds=time.perf_counter() - t0, **common)
        rows.append(row | {"streamed": streamed})
    return rows


def warm_up(settings: Settings) -> int:
    """Load the model (and so the modules a task needs) in this worker process; its pid.

    Run on every worker when a batch starts (``Client.run``), so that the
    first tasks do not each wait for imports; workers that join later load
    the model with their first task.
    """
    if settings.model is not None:
        cached_model(settings.model, settings.digest or "")
    return os.getpid()
