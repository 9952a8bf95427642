"""What a diagnosis worker does with one upload or one window of a stream (no web code).

A job is read by :mod:`rotordx.io` (the file's own reader: CSV, Parquet, WAV,
``.mat``; raw float32 by :func:`rotordx.io.raw.read_float32`), brought to
m/s² with the machine's units, given the machine's channels, directions,
bearing and speed as a :class:`~rotordx.diagnosis.result.Context`, resampled
to the model's rate when there is a model, and diagnosed by
:func:`rotordx.diagnosis.api.diagnose`: the same engine as ``rotordx
diagnose``. The answer is an :class:`Outcome` (strict JSON: NaN as ``null``) or a
:class:`JobError` with the status and one-line message the client gets.

:func:`worker_main` is the loop of a worker process
(:mod:`rotordx.service.workers` starts them).
"""

from __future__ import annotations

import base64
import json
import logging
import math
import os
import re
import signal
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from rotordx import __version__
from rotordx.classes import VERDICTS
from rotordx.data.dataset import resample_recording
from rotordx.diagnosis.api import context_of, diagnose, model_rate
from rotordx.exceptions import ParameterError, RotordxError
from rotordx.features.bearing import BearingGeometry, bearing_geometry, defect_multipliers
from rotordx.io.raw import raw_channel_names, read_float32
from rotordx.io.recording import LabeledRecording, Recording
from rotordx.io.sources import read_recording
from rotordx.models.loading import load_model
from rotordx.signal.units import ACCELERATION, parse_sensitivity, to_acceleration

__all__ = [
    "RAW_EXTENSIONS",
    "FileJob",
    "JobError",
    "MachineMeta",
    "Outcome",
    "SamplesJob",
    "machine_bearing",
    "model_info",
    "run_job",
    "strict",
    "worker_main",
]

#: Lowest sample rate diagnosed (Hz): the velocity band starts at 10 Hz, the orders need more.
MIN_RATE = 100.0
#: File names read as raw little-endian float32 frames (with ``rate`` and ``channels``).
RAW_EXTENSIONS = (".f32", ".raw", ".bin")
#: Most spectrum bins kept for the page (max-pooled beyond).
SPECTRUM_BINS = 2048
#: Channel names a reader makes up (WAV and raw ch0, ch1 …; a CSV without header f0, f1 …).
_UNNAMED = re.compile(r"^(ch|f)\d+$")
log = logging.getLogger("rotordx.service")


@dataclass(frozen=True)
class MachineMeta:
    """What the service knows of a machine, as a worker needs it."""

    name: str
    bearing: str | None = None
    rpm: float | None = None
    channels: tuple[str, ...] | None = None
    directions: tuple[str, ...] | None = None
    units: str | None = None
    sensitivity: str | None = None
    thresholds: str = "group2_rigid"


@dataclass(frozen=True)
class FileJob:
    """An uploaded file: ``path`` is the server's copy, ``filename`` the client's name
    (sanitised; it routes the file to its reader and names it in messages)."""

    path: str
    filename: str
    machine: MachineMeta
    rate: float | None = None
    channels: str | None = None
    rpm: float | None = None
    raw_out: str | None = None


@dataclass(frozen=True)
class SamplesJob:
    """A window of a stream: ``samples`` (n_channels, n) in the machine's units."""

    samples: np.ndarray
    rate: float
    channels: tuple[str, ...]
    name: str
    machine: MachineMeta
    rpm: float | None = None
    raw_out: str | None = None


@dataclass(frozen=True)
class Outcome:
    """A diagnosis and what the store keeps of it."""

    diagnosis: dict
    recording: dict
    spectrum: dict | None
    model: str
    seconds: float


@dataclass(frozen=True)
class JobError:
    """Why a job gave no diagnosis: the HTTP status and one line for the client."""

    status: int
    message: str


def strict(obj):
    """``obj`` with NaN and infinities as ``None`` and numpy scalars as Python numbers."""
    if isinstance(obj, float | np.floating):
        v = float(obj)
        return v if math.isfinite(v) else None
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, dict):
        return {str(k): strict(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [strict(v) for v in obj]
    return obj


def machine_bearing(text: str | None) -> BearingGeometry | None:
    """A machine's bearing: a catalogue name or ``balls:d:D[:angle]``.

    Raises
    ------
    ParameterError
        Neither a known name nor a valid geometry.
    """
    if not text:
        return None
    try:
        return bearing_geometry(text)
    except ParameterError:
        if ":" not in text:
            raise
    parts = text.split(":")
    try:
        n, d, pitch = int(parts[0]), float(parts[1]), float(parts[2])
        angle = float(parts[3]) if len(parts) == 4 else 0.0
        if len(parts) not in (3, 4):
            raise ValueError
        return BearingGeometry(n, d, pitch, angle, name=text)
    except (ValueError, IndexError, RotordxError):
        raise ParameterError(
            f"bearing {text!r}: expected a catalogue name or balls:ball_diameter:"
            "pitch_diameter[:contact_angle_deg] (e.g. 9:7.94:39.04:0)"
        ) from None


# -- the worker's state: the model, loaded once per process ------------------------------------

_STATE: dict = {"bundle": None, "model": "physics"}


def _load(model_path: str | None, threads: int) -> None:
    if model_path is None:
        return
    bundle = load_model(model_path, threads=threads)
    _STATE["bundle"] = bundle
    _STATE["model"] = f"{bundle.model_name}:{Path(model_path).name}"


def model_info() -> dict:
    """What ``GET /v1/model`` says of the worker's model."""
    bundle = _STATE["bundle"]
    if bundle is None:
        return {
            "kind": "physics",
            "id": "physics",
            "name": "physics",
            "classes": list(VERDICTS),
            "rate": None,
            "window": None,
            "channels": None,
            "protocol": None,
            "version": __version__,
        }
    spec = bundle.input
    window = int(spec["window"]) if bundle.protocol == "window" else 1024
    channels = spec.get("n_channels", 4) if bundle.protocol == "window" else 4
    return {
        "kind": "model",
        "id": _STATE["model"],
        "name": bundle.model_name,
        "classes": list(bundle.classes),
        "rate": model_rate(bundle),
        "window": window,
        "channels": int(channels),
        "protocol": bundle.protocol,
        "version": __version__,
    }


# -- one job ------------------------------------------------------------------------------------


def _names(text: str | None) -> tuple[str, ...] | None:
    if text is None or not str(text).strip():
        return None
    return raw_channel_names(str(text))


def _read(job: FileJob) -> tuple[LabeledRecording, str]:
    """The upload as a recording (all its channels) and its format."""
    ext = Path(job.filename).suffix.lower()
    if ext in RAW_EXTENSIONS:
        channels = job.channels  # a count gets the machine's names (_named)
        if channels is None and job.machine.channels:
            channels = ",".join(job.machine.channels)
        rec = read_float32(job.path, rate=job.rate, channels=channels, name=job.filename)
        return LabeledRecording(rec), "f32"
    if ext == ".mat":
        wanted = _names(job.channels)
        return read_recording(job.path, rate=job.rate, channels=wanted), "mat"
    return read_recording(job.path, rate=job.rate), ext.lstrip(".") or "?"


def _select(rec: Recording, wanted: tuple[str, ...] | None, why: str) -> Recording:
    if wanted is None or tuple(wanted) == rec.channel_names:
        return rec
    missing = [c for c in wanted if c not in rec.channel_names]
    if missing:
        raise ParameterError(
            f"{rec.name} has no channel {', '.join(repr(c) for c in missing)} ({why}); "
            f"channels present: {', '.join(rec.channel_names)}"
        )
    idx = [rec.channel_names.index(c) for c in wanted]
    return replace(rec, signals=rec.signals[idx], channel_names=tuple(wanted))


def _named(rec: Recording, m: MachineMeta) -> Recording:
    """Unnamed channels (WAV ch0, ch1 …; a CSV without header f0, f1 …) given the machine's
    channel names, in order, when their number matches."""
    if (
        m.channels
        and not set(m.channels) <= set(rec.channel_names)
        and len(m.channels) == len(rec.channel_names)
        and all(_UNNAMED.match(c) for c in rec.channel_names)
    ):
        return replace(rec, channel_names=tuple(m.channels))
    return rec


def _prepare(lr: LabeledRecording, m: MachineMeta, *, rpm: float | None):
    """Channels, units, directions and context of a recording of machine ``m``."""
    rec = lr.recording
    directions = m.directions
    if m.channels:
        rec = _select(rec, m.channels, f"the machine's channels are {', '.join(m.channels)}")
    if directions is not None and len(directions) != rec.signals.shape[0]:
        raise ParameterError(
            f"{rec.name}: {rec.signals.shape[0]} channel(s) ({', '.join(rec.channel_names)}) "
            f"but machine {m.name} has {len(directions)} direction(s); set its channels"
        )
    units = lr.units
    if units is None and m.units is not None and m.units != ACCELERATION:
        sens = parse_sensitivity(m.sensitivity) if m.units == "V" else None
        rec = replace(
            rec,
            signals=to_acceleration(rec.signals, fs=rec.fs, units=m.units, sensitivity=sens),
        )
    units = units or m.units or ACCELERATION
    ctx = context_of(lr, rpm=rpm or m.rpm, thresholds=m.thresholds)
    if rpm is None and m.rpm:
        ctx = replace(ctx, rpm_source="machine")
    geometry = machine_bearing(m.bearing)
    ctx = replace(
        ctx,
        bearing=geometry if geometry is not None else ctx.bearing,
        directions=tuple(directions) if directions else ctx.directions,
        machine=m.name,
    )
    return rec, ctx, units


def _spectrum(d, ctx_bearing) -> dict | None:
    if d.spectrum is None:
        return None
    freqs, amp = d.spectrum
    amp = np.atleast_2d(np.asarray(amp, dtype=np.float64))
    if freqs.size < 2:
        return None
    df = float(freqs[1] - freqs[0])
    shaft = d.speed_hz if d.speed_hz and math.isfinite(d.speed_hz) else 0.0
    top = max(1000.0, 12.0 * shaft)
    geometry = ctx_bearing if isinstance(ctx_bearing, BearingGeometry) else None
    if geometry is not None and shaft:
        top = max(top, 4.0 * max(defect_multipliers(geometry).values()) * shaft)
    n = min(freqs.size, int(top / df) + 1)
    k = max(1, math.ceil(n / SPECTRUM_BINS))
    m = n // k * k if n >= k else n
    pooled = amp[:, :m].reshape(amp.shape[0], -1, k).max(axis=2)
    pooled = np.nan_to_num(pooled, nan=0.0, posinf=0.0, neginf=0.0).astype("<f4")
    return {
        "f0": float(freqs[0]),
        "df": df * k,
        "bins": int(pooled.shape[1]),
        "channels": [s["name"] for s in d.sensors] or [f"ch{i}" for i in range(amp.shape[0])],
        "units": "m/s2 (amplitude)",
        "amplitudes": [base64.b64encode(row.tobytes()).decode("ascii") for row in pooled],
    }


def _write_raw(path: str, rec: Recording, units: str, meta: dict) -> None:
    """The samples as they were received, as a Parquet file ``rotordx diagnose`` reads."""
    import pyarrow as pa  # lazy: pyarrow takes a fraction of a second to import
    import pyarrow.parquet as pq  # lazy: as above

    cols = {"time": np.arange(rec.signals.shape[1]) / rec.fs}
    cols |= {c: rec.signals[i].astype(np.float32) for i, c in enumerate(rec.channel_names)}
    table = pa.table(cols).replace_schema_metadata(
        {b"rotordx-raw": strict_json(meta | {"units": units, "rate": rec.fs}).encode()}
    )
    tmp = f"{path}.{os.getpid()}.tmp"
    try:
        pq.write_table(table, tmp, compression="zstd")
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def strict_json(obj) -> str:
    """Compact strict JSON."""
    return json.dumps(strict(obj), separators=(",", ":"), allow_nan=False)


def run_job(job: FileJob | SamplesJob) -> Outcome | JobError:
    """Read, prepare and diagnose one job (see the module docstring)."""
    t0 = time.perf_counter()
    try:
        if isinstance(job, FileJob):
            lr, fmt = _read(job)
            lr = replace(lr, recording=replace(lr.recording, name=job.filename))
        else:
            rec = Recording(job.name, job.samples.astype(np.float64), job.rate, job.channels)
            lr, fmt = LabeledRecording(rec), "stream"
        lr = replace(lr, recording=_named(lr.recording, job.machine))
        received = lr.recording
        if received.fs < MIN_RATE:
            raise ParameterError(
                f"{received.name}: sampled at {received.fs:g} Hz; the diagnosis needs at least "
                f"{MIN_RATE:g} Hz (orders and bearing frequencies: a few kHz)"
            )
        rec, ctx, units = _prepare(lr, job.machine, rpm=job.rpm)
        bundle = _STATE["bundle"]
        if bundle is not None:
            rec = resample_recording(rec, model_rate(bundle))
        d = diagnose(rec, model=bundle, context=ctx, spectrum=True)
        if job.raw_out is not None:
            _write_raw(
                job.raw_out,
                received,
                lr.units or job.machine.units or ACCELERATION,
                {"machine": job.machine.name, "name": rec.name, "format": fmt},
            )
        return Outcome(
            diagnosis=strict(d.to_dict()),
            recording={
                "name": rec.name,
                "format": fmt,
                "rate": float(received.fs),
                "channels": list(received.channel_names),
                "samples": int(received.signals.shape[1]),
                "units": units,
            },
            spectrum=_spectrum(d, ctx.bearing),
            model=_STATE["model"],
            seconds=time.perf_counter() - t0,
        )
    except RotordxError as exc:
        return JobError(422, _clean(str(exc), job))
    except MemoryError:
        return JobError(413, "the recording needs more memory than the worker has")
    except Exception as exc:  # a bug, not the client's fault: 500, logged with its traceback
        log.exception("diagnosis failed")
        return JobError(500, f"internal error while diagnosing: {type(exc).__name__}")


def _clean(message: str, job) -> str:
    """The message without the server's folders (the client knows its file by its name)."""
    if isinstance(job, FileJob):
        folder = str(Path(job.path).parent)
        message = message.replace(str(job.path), job.filename).replace(folder + "/", "")
    message = message.replace("with --rate", "with the rate field").replace("--rate", "rate")
    return message.splitlines()[0] if message else "bad recording"


# -- the worker process ---------------------------------------------------------------------------


def worker_main(conn, model_path: str | None, threads: int) -> None:
    """The loop of a worker process: load the model, then answer jobs until told to stop.

    SIGINT is ignored (a Ctrl-C in a terminal reaches the whole process group; the
    server stops its workers itself, after the requests in flight); SIGTERM ends it.
    The loop ends on ``None`` or when the server's end of the pipe closes.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})
    try:
        _load(model_path, threads)
        conn.send(("ready", model_info()))
    except RotordxError as exc:
        conn.send(("error", str(exc)))
        return
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        try:
            conn.send(run_job(job))
        except (BrokenPipeError, OSError):
            return
