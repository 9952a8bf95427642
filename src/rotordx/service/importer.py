"""Diagnoses computed elsewhere (a fleet batch), stored through the same code as uploads.

:func:`insert_diagnoses` takes rows of ``Diagnosis.to_dict()`` fields with a
machine and a time (what ``rotordx``'s batch writes to Parquet) and stores them
in one transaction; :func:`insert_diagnosis` one row.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy import select

from rotordx.exceptions import ParameterError
from rotordx.service.db import Database, MachineRow, RecordingRow, utcnow
from rotordx.service.jobs import strict
from rotordx.service.schemas import MACHINE_PATTERN
from rotordx.service.store import add_diagnosis, ensure_machine

__all__ = ["ImportResult", "import_diagnoses", "insert_diagnoses", "insert_diagnosis"]


_RECORDING_KEYS = ("name", "format", "rate", "channels", "samples", "bytes", "units")
_NESTED = ("severity", "physics", "model", "sensors", "faults", "evidence", "summary")


def _as_time(value, what: str) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return dt.datetime.fromtimestamp(float(value), dt.UTC)
    if isinstance(value, str):
        try:
            return _as_time(dt.datetime.fromisoformat(value), what)
        except ValueError:
            pass
    raise ParameterError(f"{what}: time must be an ISO 8601 time or Unix seconds, got {value!r}")


def _row(row: Mapping, what: str) -> tuple[str, dt.datetime, dict, dict, str, str]:
    row = dict(row)
    machine = row.pop("machine", None)
    if not isinstance(machine, str) or not machine:
        raise ParameterError(f"{what}: no machine")
    if not re.match(MACHINE_PATTERN, machine):
        raise ParameterError(
            f"{what}: machine {machine!r}: letters, digits, '.', '_', '-' (1 to 64) expected"
        )
    time = _as_time(row.pop("time", None), what)
    recording = dict(row.pop("recording", None) or {})
    for k in _RECORDING_KEYS:
        if f"recording_{k}" in row:
            recording[k] = row.pop(f"recording_{k}")
    model_id = row.pop("model_id", None)
    source = str(row.pop("source", None) or "import")
    for k in _NESTED:  # a Parquet column may hold the nested JSON as text
        if isinstance(row.get(k), str) and k != "model":
            try:
                row[k] = json.loads(row[k])
            except ValueError:
                raise ParameterError(f"{what}: column {k!r} is not JSON") from None
    if isinstance(row.get("model"), str):
        row["model"] = json.loads(row["model"]) if row["model"].startswith("{") else None
    if not isinstance(row.get("verdict"), str) or not row["verdict"]:
        raise ParameterError(f"{what}: no verdict")
    result = strict(row)
    if model_id is None:
        model_id = "physics" if not result.get("model") else "model"
    return machine, time, result, recording, str(model_id), source


@dataclass(frozen=True)
class ImportResult:
    """What :func:`import_diagnoses` stored: the new diagnoses' ids, and rows already there."""

    ids: list[int]
    already: int


def _key(machine: str, name: str, time: dt.datetime) -> tuple[str, str, str]:
    return machine, name, time.astimezone(dt.UTC).isoformat(timespec="microseconds")


def import_diagnoses(db: Database, rows: Iterable[Mapping]) -> ImportResult:
    """Store diagnoses computed elsewhere once: rows already stored are skipped.

    A row is already stored when a recording of the same machine, with the same
    name, measurement time and source (``source``, default ``"import"``) is in
    the database — so importing the same batch results twice, or again after
    ``rotordx batch --resume`` added rows, stores each recording once. Otherwise
    as :func:`insert_diagnoses` (one transaction; a bad row stores nothing).
    """
    parsed = [_row(r, f"row {i + 1}") for i, r in enumerate(rows)]
    names = {p[0] for p in parsed}
    sources = {p[5] for p in parsed}
    stored: set[tuple[str, str, str]] = set()
    if parsed:
        with db.read() as s:
            q = (
                select(MachineRow.name, RecordingRow.name, RecordingRow.time)
                .join(MachineRow, MachineRow.id == RecordingRow.machine_id)
                .where(MachineRow.name.in_(names), RecordingRow.source.in_(sources))
            )
            stored = {_key(m, n, t) for m, n, t in s.execute(q)}
    new, seen = [], set(stored)
    for p in parsed:
        machine, time, result, recording = p[:4]
        name = str(recording.get("name") or result.get("path") or "")[:255]
        key = _key(machine, name, time)
        if key in seen:
            continue
        seen.add(key)
        new.append(p)
    return ImportResult(_insert_parsed(db, new) if new else [], len(parsed) - len(new))


def insert_diagnoses(db: Database, rows: Iterable[Mapping]) -> list[int]:
    """Store diagnoses computed elsewhere, all in one transaction (all or none).

    Each row is ``Diagnosis.to_dict()``'s fields (``verdict`` at least; ``severity``,
    ``sensors``, ``physics``, ``faults`` … as objects or JSON text) with:

    * ``machine`` — the machine's name (created with default metadata if unknown);
    * ``time`` — the measurement time: an aware or UTC ``datetime``, ISO 8601 text,
      or Unix seconds;
    * optional ``recording`` (a dict) or ``recording_<key>`` columns, keys
      ``name, format, rate, channels, samples, bytes, units``;
    * optional ``model_id`` (default ``"physics"``, or ``"model"`` when the row
      has a model's view) and ``source`` (default ``"import"``).

    Returns the ids of the new diagnoses, in order. A bad row raises
    :class:`~rotordx.exceptions.ParameterError` naming it, and nothing is stored.
    """
    return _insert_parsed(db, [_row(r, f"row {i + 1}") for i, r in enumerate(rows)])


def _insert_parsed(db: Database, parsed: list[tuple]) -> list[int]:
    """Store rows already checked by :func:`_row`, in one transaction; their ids."""
    ids = []
    received = utcnow()
    with db.write() as s:
        machines: dict[str, MachineRow] = {}
        for machine, time, result, recording, model_id, source in parsed:
            if machine not in machines:
                machines[machine] = ensure_machine(s, machine)
            d, _ = add_diagnosis(
                s,
                machines[machine],
                result=result,
                recording=recording,
                model=model_id,
                time=time,
                received=received,
                source=source,
                raw_rel=None,
                spectrum=None,
            )
            ids.append(d.id)
    return ids


def insert_diagnosis(db: Database, row: Mapping) -> int:
    """Store one diagnosis computed elsewhere (see :func:`insert_diagnoses`); its id."""
    return insert_diagnoses(db, [row])[0]
