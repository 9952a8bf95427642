"""The rows of a batch's results: one per recording, the same columns in every part.

:data:`COLUMNS` names and describes each column (``docs/batch.md`` is written
from it); :func:`result_schema` is its Arrow schema; :func:`row_of` builds
the row of a :class:`~rotordx.diagnosis.result.Diagnosis` and
:func:`error_row` the row of a recording that could not be diagnosed.

A recording is identified by :data:`IDENTITY`: its path, the channels the
manifest selects, its size and modification time. A row is written once per
identity; ``--resume`` skips identities already in the results, and a file
that changed (another size or time) is diagnosed again.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from rotordx.diagnosis.result import Diagnosis

__all__ = [
    "COLUMNS",
    "IDENTITY",
    "ORDERS",
    "PHYSICS",
    "Item",
    "error_row",
    "identity_of",
    "result_schema",
    "row_of",
]

#: ``model`` of a row diagnosed by the physics alone.
PHYSICS = "physics"
#: The orders whose velocity (mm/s RMS, at the worst channel) gets a column of its own.
ORDERS: tuple[str, ...] = ("0.5x", "1x", "2x", "3x")

#: Column -> (Arrow type name, meaning), in file order.
COLUMNS: dict[str, tuple[str, str]] = {
    "path": ("string", "the recording file, absolute"),
    "channel": ("string", "the channels the manifest selects (`x;y`), null: the file's default"),
    "size": ("int64", "file size in bytes when the batch planned it (null: no such file)"),
    "mtime_ns": ("int64", "file modification time, ns since the epoch (null: no such file)"),
    "line": ("int32", "manifest line (1 = header; for a folder of CWRU files, the file's number)"),
    "machine": ("string", "the asset (manifest `machine`); the partition with --partition-by"),
    "label": ("string", "the manifest's label (what the recording is said to be)"),
    "condition": ("string", "the manifest's condition"),
    "verdict": ("string", "the verdict (the model's class with --model, else the physics')"),
    "confidence": ("float64", "the verdict's confidence, 0-1"),
    "faults": ("list<string>", "every fault the physics found"),
    "physics_verdict": ("string", "the physics' own verdict (also with a model)"),
    "rpm": ("float64", "running speed, rev/min"),
    "rpm_source": ("string", "where the speed came from (given, manifest, file, estimated …)"),
    "velocity_rms_mm_s": ("float64", "velocity RMS of the worst channel, mm/s (severity)"),
    "zone": ("string", "its ISO 20816 style zone, A-D"),
    "severity_channel": ("string", "the worst channel"),
    **{
        f"order_{o.replace('.', '_')}_mm_s": (
            "float64",
            f"velocity at {o} of the worst channel, mm/s RMS",
        )
        for o in ORDERS
    },
    "kurtosis": ("float64", "the largest kurtosis of any channel (impacts)"),
    "bearing_defect": ("string", "strongest defect frequency in the envelope: bpfo, bpfi, bsf"),
    "bearing_fault": ("string", "the fault it means (bearing_outer_race …)"),
    "bearing_score": ("float64", "its score (SNR-like; 10 or more is significant)"),
    "bearing_significant": ("bool", "whether it stands out (null: no bearing known)"),
    "bearing_channel": ("string", "the channel it was read on"),
    "model": ("string", "`physics`, or the model's name@ the first 12 hex digits of its SHA-256"),
    "seconds": ("float64", "seconds the worker spent on it (read + diagnose)"),
    "streamed": ("bool", "read block by block (a large CSV file), not whole"),
    "error": ("string", "empty when it worked; else why not, in one line"),
    "diagnosis": ("string", "the full JSON of `rotordx diagnose --json` for it (null on error)"),
    "run": ("int32", "which run of the batch wrote it (0, 1, … with --resume)"),
    "worker": ("string", "host:pid of the process that diagnosed it"),
}
#: The columns that identify a recording.
IDENTITY: tuple[str, ...] = ("path", "channel", "size", "mtime_ns")


@dataclass(frozen=True)
class Item:
    """One recording of a batch, as planned: where it is, what the manifest says of it.

    ``entry`` is the manifest entry to read; for a line that could not be read
    (``error`` says why) only what the line says of ``machine``, ``label``
    and ``condition``.
    """

    path: str
    channel: str | None
    size: int | None
    mtime_ns: int | None
    line: int | None
    entry: Any = None
    error: str | None = None

    @property
    def identity(self) -> tuple:
        """``(path, channel, size, mtime_ns)``."""
        return (self.path, self.channel, self.size, self.mtime_ns)


def identity_of(row: dict) -> tuple:
    """The identity of a row (or of any mapping with the :data:`IDENTITY` columns)."""
    return tuple(row[c] for c in IDENTITY)


def result_schema(*, without: tuple[str, ...] = ()):
    """The Arrow schema of :data:`COLUMNS` (less ``without``, e.g. a partition column)."""
    import pyarrow as pa  # lazy: pyarrow takes a fraction of a second to import

    types = {
        "string": pa.string(),
        "int64": pa.int64(),
        "int32": pa.int32(),
        "float64": pa.float64(),
        "bool": pa.bool_(),
        "list<string>": pa.list_(pa.string()),
    }
    return pa.schema(
        [pa.field(name, types[kind]) for name, (kind, _) in COLUMNS.items() if name not in without]
    )


def _number(x: Any) -> float | None:
    """A finite float, or None (NaN and infinities are nulls in the table)."""
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def _base(item: Item, *, model: str, seconds: float, run: int, worker: str) -> dict:
    e = item.entry
    return {
        "path": item.path,
        "channel": item.channel,
        "size": item.size,
        "mtime_ns": item.mtime_ns,
        "line": item.line,
        "machine": getattr(e, "machine", None),
        "label": getattr(e, "label", None),
        "condition": getattr(e, "condition", None),
        "model": model,
        "seconds": float(seconds),
        "run": run,
        "worker": worker,
    }


def error_row(item: Item, message: str, *, model: str, seconds: float, run: int, worker: str):
    """The row of a recording that could not be diagnosed."""
    row = dict.fromkeys(COLUMNS)
    row.update(_base(item, model=model, seconds=seconds, run=run, worker=worker))
    row["error"] = message.strip().splitlines()[0] if message.strip() else "unknown error"
    return row


def row_of(d: Diagnosis, item: Item, *, model: str, seconds: float, run: int, worker: str):
    """The row of a diagnosed recording (``d.to_dict()`` kept whole in ``diagnosis``)."""
    full = d.to_dict()
    sev = d.severity
    worst = next((s for s in d.sensors if s["name"] == sev.get("channel")), None)
    vel = worst.get("velocity_orders_mm_s", {}) if worst else {}
    kurt = [_number(s.get("kurtosis")) for s in d.sensors]
    kurt = [k for k in kurt if k is not None]
    b = d.bearing or {}
    row = _base(item, model=model, seconds=seconds, run=run, worker=worker)
    row.update(
        {
            "machine": d.machine if d.machine is not None else row["machine"],
            "label": d.label if d.label is not None else row["label"],
            "verdict": d.verdict,
            "confidence": _number(d.confidence),
            "faults": [str(f) for f in d.faults],
            "physics_verdict": (d.physics or {}).get("verdict"),
            "rpm": _number(d.rpm),
            "rpm_source": d.rpm_source,
            "velocity_rms_mm_s": _number(sev.get("velocity_rms_mm_s")),
            "zone": sev.get("zone"),
            "severity_channel": sev.get("channel"),
            **{f"order_{o.replace('.', '_')}_mm_s": _number(vel.get(o)) for o in ORDERS},
            "kurtosis": max(kurt) if kurt else None,
            "bearing_defect": b.get("defect"),
            "bearing_fault": b.get("fault"),
            "bearing_score": _number(b.get("score")),
            "bearing_significant": bool(b["significant"]) if "significant" in b else None,
            "bearing_channel": b.get("channel"),
            "streamed": False,
            "error": "",
            # strict JSON: NaN and infinities as null, as `diagnose --json` parsers expect
            "diagnosis": json.dumps(_strict(full), separators=(",", ":")),
        }
    )
    return {c: row[c] for c in COLUMNS}


def _strict(obj: Any) -> Any:
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: _strict(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_strict(v) for v in obj]
    return obj
