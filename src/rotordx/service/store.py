"""The store: machines, one transaction per diagnosis, history.

Every diagnosis is stored by one transaction that inserts its recording row
and its diagnosis row and updates its machine (latest diagnosis, count, the
latest spectrum): either all of it is in the database or none of it. Its raw
samples, when kept, are moved into place after the commit
(:mod:`rotordx.service.rawfiles`). Diagnoses computed elsewhere go through the
same :func:`add_diagnosis` (:mod:`rotordx.service.importer`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from rotordx.exceptions import ParameterError
from rotordx.features.bearing import DEFECTS, defect_multipliers
from rotordx.features.severity import resolve_thresholds
from rotordx.service.db import (
    Database,
    DiagnosisRow,
    MachineRow,
    RecordingRow,
    SpectrumRow,
    utcnow,
)
from rotordx.service.jobs import MachineMeta, Outcome, machine_bearing
from rotordx.service.rawfiles import RawStore

__all__ = [
    "MACHINE_FIELDS",
    "Stored",
    "add_diagnosis",
    "count_diagnoses",
    "ensure_machine",
    "get_machine",
    "history",
    "list_machines",
    "machine_detail",
    "machine_meta",
    "orders_of",
    "put_machine",
    "store_outcome",
    "summary",
]
#: The metadata of a machine (``PUT /v1/machines/{machine}``).
MACHINE_FIELDS = (
    "bearing",
    "rpm",
    "channels",
    "directions",
    "units",
    "sensitivity",
    "thresholds",
    "description",
)
#: Orders marked on the page's spectrum.
MARKED_ORDERS = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10)


# -- machines -------------------------------------------------------------------------------------


def machine_meta(m: MachineRow) -> MachineMeta:
    """What a worker needs of a machine."""
    return MachineMeta(
        name=m.name,
        bearing=m.bearing,
        rpm=m.rpm,
        channels=tuple(m.channels) if m.channels else None,
        directions=tuple(m.directions) if m.directions else None,
        units=m.units,
        sensitivity=m.sensitivity,
        thresholds=m.thresholds,
    )


def _machine_dict(m: MachineRow, latest: dict | None) -> dict:
    return {
        "name": m.name,
        **{f: getattr(m, f) for f in MACHINE_FIELDS},
        "created": m.created,
        "updated": m.updated,
        "diagnoses": m.n_diagnoses,
        "latest": latest,
    }


def get_machine(db: Database, name: str) -> MachineRow | None:
    """The machine called ``name`` (detached), or None."""
    with db.read() as s:
        return s.scalar(select(MachineRow).where(MachineRow.name == name))


def put_machine(db: Database, name: str, fields: Mapping[str, Any]) -> tuple[dict, bool]:
    """Create or replace the metadata of machine ``name``; (the machine, created?)."""
    values = {f: fields.get(f) for f in MACHINE_FIELDS}
    values["thresholds"] = values["thresholds"] or "group2_rigid"
    for attempt in range(2):
        try:
            with db.write() as s:
                m = s.scalar(select(MachineRow).where(MachineRow.name == name).with_for_update())
                created = m is None
                now = utcnow()
                if created:
                    m = MachineRow(name=name, created=now, n_diagnoses=0)
                    s.add(m)
                for k, v in values.items():
                    setattr(m, k, v)
                m.updated = now
                s.flush()
                out = _machine_dict(m, _latest(s, [m]).get(m.id))
            return out, created
        except IntegrityError:  # created by another request at the same time: update it
            if attempt:
                raise
    raise AssertionError("unreachable")


def ensure_machine(s: Session, name: str) -> MachineRow:
    m = s.scalar(select(MachineRow).where(MachineRow.name == name).with_for_update())
    if m is None:
        now = utcnow()
        m = MachineRow(name=name, thresholds="group2_rigid", created=now, updated=now)
        m.n_diagnoses = 0
        s.add(m)
        s.flush()
    return m


def _latest(s: Session, machines: list[MachineRow]) -> dict[int, dict]:
    ids = [m.latest_id for m in machines if m.latest_id is not None]
    if not ids:
        return {}
    rows = s.execute(
        select(DiagnosisRow, RecordingRow)
        .join(RecordingRow, RecordingRow.id == DiagnosisRow.recording_id)
        .where(DiagnosisRow.id.in_(ids))
    ).all()
    return {d.machine_id: summary(d, r) for d, r in rows}


def list_machines(db: Database) -> list[dict]:
    """Every machine with its latest diagnosis, by name."""
    with db.read() as s:
        machines = list(s.scalars(select(MachineRow).order_by(MachineRow.name)))
        latest = _latest(s, machines)
    return [_machine_dict(m, latest.get(m.id)) for m in machines]


def _marks(m: MachineRow, rpm: float | None) -> dict:
    shaft = rpm / 60.0 if rpm else None
    out: dict = {"shaft_hz": shaft, "orders": [], "bearing": {}}
    if shaft:
        out["orders"] = [{"label": f"{k}x", "hz": k * shaft} for k in MARKED_ORDERS]
        try:
            geometry = machine_bearing(m.bearing)
        except ParameterError:  # a catalogue name this version does not know
            geometry = None
        if geometry is not None:
            mult = defect_multipliers(geometry)
            out["bearing"] = {d.upper(): mult[d] * shaft for d in DEFECTS}
    return out


def machine_detail(db: Database, name: str) -> dict | None:
    """A machine, its latest diagnosis in full, its latest spectrum and what to mark on it."""
    with db.read() as s:
        m = s.scalar(select(MachineRow).where(MachineRow.name == name))
        if m is None:
            return None
        latest = _latest(s, [m]).get(m.id)
        full = s.get(DiagnosisRow, m.latest_id) if m.latest_id is not None else None
        spec = s.get(SpectrumRow, m.id)
    t = resolve_thresholds(m.thresholds)
    out = _machine_dict(m, latest)
    out["diagnosis"] = full.result if full is not None else None
    out["spectrum"] = (
        spec.data | {"diagnosis_id": spec.diagnosis_id, "time": spec.time}
        if spec is not None
        else None
    )
    rpm = spec.data.get("rpm") if spec is not None else (full.rpm if full is not None else None)
    out["marks"] = _marks(m, rpm)
    out["zones"] = {"ab": t.ab, "bc": t.bc, "cd": t.cd, "name": t.name}
    return out


# -- diagnoses ------------------------------------------------------------------------------------


def orders_of(result: Mapping) -> dict[str, float]:
    """Velocity (mm/s) at each order, the largest over the sensors."""
    out: dict[str, float] = {}
    for sensor in result.get("sensors") or []:
        for k, v in (sensor.get("velocity_orders_mm_s") or {}).items():
            if isinstance(v, int | float) and v == v:
                out[k] = max(out.get(k, 0.0), float(v))
    return out


def summary(d: DiagnosisRow, r: RecordingRow) -> dict:
    """A stored diagnosis as a history item (the trend plots' numbers)."""
    return {
        "id": d.id,
        "time": d.time,
        "received": r.received,
        "verdict": d.verdict,
        "confidence": d.confidence,
        "faults": d.faults,
        "severity": {"velocity_rms_mm_s": d.severity_mm_s, "zone": d.zone},
        "rpm": d.rpm,
        "rpm_source": d.rpm_source,
        "orders": d.orders,
        "model": d.model,
        "source": r.source,
        "recording": {
            "name": r.name,
            "format": r.format,
            "rate": r.rate,
            "channels": r.channels,
            "samples": r.samples,
            "bytes": r.bytes,
            "units": r.units,
            "raw": r.raw_path is not None,
        },
    }


def _number(x) -> float | None:
    return float(x) if isinstance(x, int | float) and not isinstance(x, bool) and x == x else None


def add_diagnosis(
    s: Session,
    m: MachineRow,
    *,
    result: dict,
    recording: Mapping,
    model: str,
    time: dt.datetime,
    received: dt.datetime,
    source: str,
    raw_rel: str | None,
    spectrum: dict | None,
) -> tuple[DiagnosisRow, RecordingRow]:
    """Insert one recording and its diagnosis and update the machine (in ``s``'s transaction)."""
    r = RecordingRow(
        machine_id=m.id,
        time=time,
        received=received,
        source=source,
        name=str(recording.get("name") or result.get("path") or "")[:255],
        format=str(recording.get("format") or "?")[:16],
        rate=_number(recording.get("rate")),
        channels=recording.get("channels"),
        samples=recording.get("samples"),
        bytes=recording.get("bytes"),
        units=recording.get("units"),
        raw_path=raw_rel,
    )
    s.add(r)
    s.flush()
    severity = result.get("severity") or {}
    orders = orders_of(result)
    d = DiagnosisRow(
        recording_id=r.id,
        machine_id=m.id,
        time=time,
        verdict=str(result["verdict"])[:64],
        confidence=_number(result.get("confidence")),
        faults=list(result.get("faults") or []),
        severity_mm_s=_number(severity.get("velocity_rms_mm_s")),
        zone=severity.get("zone"),
        rpm=_number(result.get("rpm")),
        rpm_source=result.get("rpm_source"),
        order_1x=orders.get("1x"),
        order_2x=orders.get("2x"),
        orders=orders,
        model=model[:200],
        result=result,
    )
    s.add(d)
    s.flush()
    m.n_diagnoses = (m.n_diagnoses or 0) + 1
    if m.latest_time is None or time >= m.latest_time:
        m.latest_id, m.latest_time = d.id, time
        if spectrum is not None:
            data = spectrum | {"rpm": d.rpm}
            spec = s.get(SpectrumRow, m.id)
            if spec is None:
                s.add(SpectrumRow(machine_id=m.id, diagnosis_id=d.id, time=time, data=data))
            else:
                spec.diagnosis_id, spec.time, spec.data = d.id, time, data
    return d, r


@dataclass(frozen=True)
class Stored:
    """What the store says of a diagnosis it kept."""

    id: int
    time: dt.datetime
    received: dt.datetime
    summary: dict


def store_outcome(
    db: Database,
    machine: str,
    outcome: Outcome,
    *,
    time: dt.datetime | None,
    source: str,
    size: int | None,
    raw: RawStore | None = None,
    raw_file: tuple[Path, str] | None = None,
) -> Stored:
    """Store a worker's diagnosis of a recording of ``machine`` (one transaction, then the
    raw file into place)."""
    received = utcnow()
    time = time or received
    rel = raw_file[1] if raw_file is not None else None
    try:
        with db.write() as s:
            m = ensure_machine(s, machine)
            d, r = add_diagnosis(
                s,
                m,
                result=outcome.diagnosis,
                recording=outcome.recording | {"bytes": size},
                model=outcome.model,
                time=time,
                received=received,
                source=source,
                raw_rel=rel,
                spectrum=outcome.spectrum,
            )
            out = Stored(d.id, time, received, summary(d, r))
    except BaseException:
        if raw is not None and raw_file is not None:
            raw.discard(raw_file[0])
        raise
    if raw is not None and raw_file is not None:
        raw.commit(*raw_file)
    return out


def history(
    db: Database,
    name: str,
    *,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    limit: int = 100,
    full: bool = False,
) -> list[dict] | None:
    """The diagnoses of machine ``name`` newest first (``since <= time < until``); None for an
    unknown machine. ``full`` adds each whole diagnosis (``"diagnosis"``)."""
    with db.read() as s:
        mid = s.scalar(select(MachineRow.id).where(MachineRow.name == name))
        if mid is None:
            return None
        q = (
            select(DiagnosisRow, RecordingRow)
            .join(RecordingRow, RecordingRow.id == DiagnosisRow.recording_id)
            .where(DiagnosisRow.machine_id == mid)
        )
        if since is not None:
            q = q.where(DiagnosisRow.time >= since)
        if until is not None:
            q = q.where(DiagnosisRow.time < until)
        rows = s.execute(
            q.order_by(DiagnosisRow.time.desc(), DiagnosisRow.id.desc()).limit(limit)
        ).all()
    out = []
    for d, r in rows:
        item = summary(d, r)
        if full:
            item["diagnosis"] = d.result
        out.append(item)
    return out


def count_diagnoses(db: Database) -> int:
    """Diagnoses stored in all."""
    with db.read() as s:
        return int(s.scalar(select(func.count(DiagnosisRow.id))) or 0)
