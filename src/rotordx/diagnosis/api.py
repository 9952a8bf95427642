"""Diagnose recordings, with or without a trained model: one recording, or everything at a path.

Without a model the physics decides (:mod:`rotordx.diagnosis.physics`):
unbalance, misalignment, looseness, bearing faults at the recording's own
bearing's defect frequencies, ``normal`` or ``inconclusive``, machine-
agnostically. With a model the verdict is the model's (per segment, then
averaged) and the physics, computed independently, says whether it agrees.
Either way the evidence is physical: the running speed (given, from the
source, or estimated from the vibration with electrical lines set aside),
the velocity at each order, impacts, the ISO 20816 severity zone and, for a
known bearing, the envelope spectrum at its defect frequencies.
"""

from __future__ import annotations

import os
from dataclasses import asdict, replace

import numpy as np

from rotordx._progress import work_progress
from rotordx.classes import KAMP_CLASSES, order_classes
from rotordx.data.dataset import load_data, resample_recording
from rotordx.data.kamp_grid import GroupStream
from rotordx.diagnosis.engine import Diagnoser, run_passes
from rotordx.diagnosis.result import Context, Diagnosis
from rotordx.diagnosis.verdict import channel_physics
from rotordx.exceptions import DataError, ParameterError
from rotordx.features.severity import severity_zone
from rotordx.io.kamp_stream import last_time
from rotordx.io.recording import LabeledRecording, Recording
from rotordx.io.sources import (
    CWRU_FOLDER,
    KAMP,
    MANIFEST,
    RECORDING,
    entries_of,
    load_entry,
    open_source,
    read_recording,
)
from rotordx.models.bundle import Bundle

__all__ = [
    "DIAGNOSABLE",
    "baseline_of",
    "baseline_profile",
    "context_of",
    "diagnose",
    "diagnose_path",
    "load_recordings",
    "model_rate",
]

#: Every kind of source ``diagnose`` reads.
DIAGNOSABLE = (KAMP, CWRU_FOLDER, MANIFEST, RECORDING)


def model_rate(bundle: Bundle) -> float:
    """The sample rate, Hz, a model's inputs must have."""
    return float(bundle.input["fs"]) if bundle.protocol == "window" else bundle.preprocess.fs


def _check_rpm(rpm: float | None) -> None:
    if rpm is not None and not (isinstance(rpm, int | float) and 0 < rpm < 1e6):
        raise ParameterError(f"rpm must be a positive number of rev/min, got {rpm!r}")


def context_of(
    r: LabeledRecording,
    *,
    rpm: float | None = None,
    bearing: str | None = None,
    baseline: dict | None = None,
    thresholds: str = "group2_rigid",
) -> Context:
    """What is known of ``r``'s machine: the given ``rpm`` and ``bearing`` win over the source's."""
    _check_rpm(rpm)
    return Context(
        rpm=rpm or r.rpm,
        rpm_source="given" if rpm else r.rpm_source if r.rpm else None,
        bearing=bearing or r.bearing,
        directions=r.directions,
        baseline=baseline,
        label=r.label,
        machine=r.machine,
        thresholds=thresholds,
    )


def diagnose(
    recording: Recording,
    *,
    model: Bundle | None = None,
    context: Context | None = None,
    spectrum: bool = True,
) -> Diagnosis:
    """Diagnose one recording, with a loaded model or (``model=None``) by its physics alone.

    With a model, ``recording`` must have the model's rate (see
    :func:`load_recordings`, which resamples); ``context`` says what is known
    of the machine (speed, bearing, directions, a healthy baseline).
    """
    d = Diagnoser(
        model,
        name=recording.name,
        fs=recording.fs,
        channel_names=recording.channel_names,
        context=context,
        spectrum=spectrum,
        length=recording.signals.shape[1],
    )
    (out,) = run_passes([d], lambda: [[recording.signals]])
    return out


def load_recordings(
    path: str | os.PathLike[str],
    *,
    fs: float | None = None,
    rate: float | None = None,
    column: str | None = None,
    duration: float = 1e9,
) -> list[LabeledRecording]:
    """Recordings to diagnose from a path, with what is known of them.

    A KAMP group folder gives one recording per machine-state column (or
    only ``column``), on its grid; a manifest CSV or a folder of CWRU
    ``.mat`` files gives its recordings (``column`` selects a label); a single
    recording file (:func:`rotordx.io.read_recording`: a CWRU ``.mat`` file's
    drive end and RPM, CSV/Parquet with ``rate`` when it has no time column,
    WAV) itself. With ``fs`` (a model's rate) recordings at another rate are
    resampled (anti-aliased polyphase); without, each keeps its own rate.
    """
    source = open_source(path, accept=DIAGNOSABLE)
    if source.kind == RECORDING:
        r = read_recording(source.path, rate=rate)
        return [replace(r, recording=resample_recording(r.recording, fs or r.recording.fs))]
    if source.kind == KAMP or fs is not None:
        ds = load_data(source.path, fs=fs, duration=duration)
        recs, labels = ds.recordings, ds.classes
    else:  # each recording at its own rate: without a model no common rate is needed
        recs = tuple(load_entry(e, default_rate=rate) for e in entries_of(source))
        labels = order_classes(r.label for r in recs)
    if column is not None and column not in labels:
        raise ParameterError(f"--column must be one of {', '.join(labels)}, got {column!r}")
    return [r for r in recs if column is None or r.label == column]


def baseline_profile(
    paths, *, rate: float | None = None, rpm: float | None = None, thresholds="group2_rigid"
) -> dict:
    """The healthy reference of a machine from recordings of it in good condition.

    Each recording's physics (velocity at each order, velocity RMS, impacts)
    is read as :func:`diagnose` reads it; the baseline is the median over
    the recordings, channel by channel (the recordings need the same
    channels); see :func:`baseline_of`.
    """
    recs = [r for path in paths for r in load_recordings(path, rate=rate)]
    return baseline_of(recs, rpm=rpm, thresholds=thresholds)


def baseline_of(recordings, *, rpm: float | None = None, thresholds: str = "group2_rigid") -> dict:
    """The healthy reference (median channel physics) of loaded recordings of one machine."""
    chans = []
    for r in recordings:
        d = Diagnoser(
            None,
            name=r.recording.name,
            fs=r.recording.fs,
            channel_names=r.recording.channel_names,
            context=context_of(r, rpm=rpm, thresholds=thresholds),
            spectrum=False,
            length=r.recording.signals.shape[1],
        )
        run_passes([d], lambda r=r: [[r.recording.signals]])
        prof = d.phys.profile()
        zones = severity_zone(prof["vel_rms"], thresholds=thresholds)
        chans.append(channel_physics(d, prof, zones))
    if not chans:
        raise DataError("no baseline recording")
    names = [c.name for c in chans[0]]
    if any([c.name for c in cs] != names for cs in chans):
        raise DataError(f"baseline recordings must have the same channels ({', '.join(names)})")
    out = []
    for j, name in enumerate(names):
        per = [cs[j] for cs in chans]
        orders = {k: float(np.nanmedian([c.orders[k] for c in per])) for k in per[0].orders}
        vel = float(np.median([c.vel_rms for c in per]))
        out.append(
            asdict(per[0])
            | {
                "name": name,
                "orders": orders,
                "vel_rms": vel,
                "zone": str(severity_zone(np.array([vel]), thresholds=thresholds)[0]),
                "kurtosis": float(np.median([c.kurtosis for c in per])),
                "crest": float(np.median([c.crest for c in per])),
            }
        )
    return {"channels": out, "recordings": len(chans)}


def diagnose_path(
    path: str | os.PathLike[str],
    *,
    model: Bundle | None = None,
    rate: float | None = None,
    column: str | None = None,
    thresholds: str = "group2_rigid",
    bearing: str | None = None,
    baseline: dict | None = None,
    spectrum: bool = True,
    progress: bool = False,
    rpm: float | None = None,
) -> list[Diagnosis]:
    """Diagnose every recording at ``path`` (what ``rotordx diagnose`` does for one path).

    A KAMP group folder is read **block by block**, twice when the running
    speed must be estimated first: memory stays bounded however long the
    recording (one diagnosis per machine-state column, or only ``column``).
    Other sources (a manifest, CWRU ``.mat`` files, a recording file) are
    read whole by :func:`load_recordings`. ``progress`` shows a bar on
    stderr while a KAMP folder is read.

    ``rpm`` is the running speed of every recording at ``path``, when known
    (a tachometer, the nameplate): it replaces the speed estimated from the
    vibration and a CWRU file's or manifest's own rpm, and a KAMP folder is
    then read once. ``bearing`` (a catalogue name) likewise replaces the
    source's and the model's; ``baseline`` (:func:`baseline_profile`) is a
    healthy reference for the physics.
    """
    _check_rpm(rpm)
    fs = model_rate(model) if model is not None else None
    source = open_source(path, accept=DIAGNOSABLE)
    if source.kind != KAMP:
        out = []
        for r in load_recordings(source.path, fs=fs, rate=rate, column=column):
            ctx = context_of(r, rpm=rpm, bearing=bearing, baseline=baseline, thresholds=thresholds)
            out.append(diagnose(r.recording, model=model, context=ctx, spectrum=spectrum))
        return out
    path = source.path
    if column is not None and column not in KAMP_CLASSES:
        raise ParameterError(f"--column must be one of {', '.join(KAMP_CLASSES)}, got {column!r}")
    states = [i for i, c in enumerate(KAMP_CLASSES) if column is None or c == column]
    grid = fs or 1000.0
    stream = GroupStream(path, fs=grid, duration=1e9)
    names = tuple(f"sensor {i + 1}" for i in range(len(stream.paths)))
    end = last_time(stream.paths[0])
    length = int(end * grid) if end and end > 0 else None
    diagnosers = [
        Diagnoser(
            model,
            name=f"{path}/g{stream.group}:{KAMP_CLASSES[i]}",
            fs=grid,
            channel_names=names,
            context=Context(
                rpm=rpm,
                rpm_source="given" if rpm else None,
                bearing=bearing,
                baseline=baseline,
                label=KAMP_CLASSES[i],
                thresholds=thresholds,
            ),
            spectrum=spectrum,
            length=length,
        )
        for i in states
    ]
    # without a known speed the group is read twice (see Diagnoser)
    total = (1.0 if rpm else 2.0) * end if end and end > 0 else None
    with work_progress(
        f"diagnosing {path.name}/g{stream.group}", total=total, unit="signal s", enabled=progress
    ) as advance:

        def blocks():
            for blk in GroupStream(path, group=stream.group, fs=grid, duration=1e9).blocks():
                yield [blk.values[i].T for i in states]
                advance(blk.values.shape[1] / grid)

        return run_passes(diagnosers, blocks)
