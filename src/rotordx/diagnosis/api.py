"""Diagnose recordings with a trained model: one recording, or everything at a path.

The verdict comes from the model (per segment, then averaged). The
*evidence* comes from physics, computed independently of the model: the
running speed estimated from the vibration, amplitudes at 0.5x, 1x, 1.5x, 2x
and 3x running speed compared with the healthy baseline stored in the bundle,
impact indicators (kurtosis, crest factor), the ISO 20816-style severity
zone of the vibration velocity and, for a known bearing, the envelope
spectrum at its defect frequencies. The result says whether physics and
model agree.
"""

from __future__ import annotations

import os
from dataclasses import replace

from rotordx._progress import work_progress
from rotordx.classes import KAMP_CLASSES
from rotordx.data.dataset import load_data, resample_recording
from rotordx.data.kamp_grid import GroupStream
from rotordx.diagnosis.engine import Diagnoser, run_passes
from rotordx.diagnosis.result import Diagnosis
from rotordx.exceptions import ParameterError
from rotordx.io.kamp_stream import last_time
from rotordx.io.recording import LabeledRecording, Recording
from rotordx.io.sources import (
    CWRU_FOLDER,
    KAMP,
    MANIFEST,
    RECORDING,
    open_source,
    read_recording,
)
from rotordx.models.bundle import Bundle

__all__ = ["diagnose", "diagnose_path", "load_recordings", "model_rate"]

#: Every kind of source ``diagnose`` reads.
DIAGNOSABLE = (KAMP, CWRU_FOLDER, MANIFEST, RECORDING)


def model_rate(bundle: Bundle) -> float:
    """The sample rate, Hz, a model's inputs must have."""
    return float(bundle.input["fs"]) if bundle.protocol == "window" else bundle.preprocess.fs


def diagnose(
    bundle: Bundle,
    recording: Recording,
    *,
    thresholds: str = "group2_rigid",
    rpm: float | None = None,
    bearing: str | None = None,
    spectrum: bool = True,
) -> Diagnosis:
    """Diagnose one recording with a loaded bundle (window or seed protocol).

    Parameters
    ----------
    rpm : float, optional
        The running speed if known (a manifest's or CWRU file's); otherwise it
        is estimated from the vibration.
    bearing : str, optional
        A bearing catalogue name (:data:`rotordx.features.BEARINGS`; default the bundle's
        ``input["bearing"]``): adds the envelope-spectrum evidence, which defect
        frequency (BPFO, BPFI, BSF) stands out.
    spectrum : bool
        Keep the mean amplitude spectrum for the diagnosis plot.
    """
    d = Diagnoser(
        bundle,
        name=recording.name,
        fs=recording.fs,
        channel_names=recording.channel_names,
        rpm=rpm,
        thresholds=thresholds,
        bearing=bearing,
        spectrum=spectrum,
    )
    (out,) = run_passes([d], lambda: [[recording.signals]])
    return out


def load_recordings(
    path: str | os.PathLike[str],
    *,
    fs: float,
    rate: float | None = None,
    column: str | None = None,
    duration: float = 1e9,
) -> list[LabeledRecording]:
    """Recordings to diagnose from a path, at the model's rate ``fs``, with their rpm if known.

    A KAMP group folder gives one recording per machine-state column (or
    only ``column``), on the ``fs`` grid; a manifest CSV or a folder of CWRU
    ``.mat`` files gives its recordings (``column`` selects a label); a single
    recording file (:func:`rotordx.io.read_recording`: a CWRU ``.mat`` file's
    drive end and RPM, CSV/Parquet with ``rate`` when it has no time column,
    WAV) itself. Recordings at another rate are resampled (anti-aliased
    polyphase).
    """
    source = open_source(path, accept=DIAGNOSABLE)
    if source.kind == RECORDING:
        r = read_recording(source.path, rate=rate)
        return [replace(r, recording=resample_recording(r.recording, fs))]
    ds = load_data(source.path, fs=fs, duration=duration)
    if column is not None and column not in ds.classes:
        raise ParameterError(f"--column must be one of {', '.join(ds.classes)}, got {column!r}")
    return [r for r in ds.recordings if column is None or r.label == column]


def _check_rpm(rpm: float | None) -> None:
    if rpm is not None and not (isinstance(rpm, int | float) and 0 < rpm < 1e6):
        raise ParameterError(f"rpm must be a positive number of rev/min, got {rpm!r}")


def diagnose_path(
    bundle: Bundle,
    path: str | os.PathLike[str],
    *,
    rate: float | None = None,
    column: str | None = None,
    thresholds: str = "group2_rigid",
    bearing: str | None = None,
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
    then read once.
    """
    _check_rpm(rpm)
    fs = model_rate(bundle)
    opts = {"thresholds": thresholds, "bearing": bearing, "spectrum": spectrum}
    source = open_source(path, accept=DIAGNOSABLE)
    if source.kind != KAMP:
        return [
            diagnose(bundle, r.recording, rpm=rpm or r.rpm, **opts)
            for r in load_recordings(source.path, fs=fs, rate=rate, column=column)
        ]
    path = source.path
    if column is not None and column not in KAMP_CLASSES:
        raise ParameterError(f"--column must be one of {', '.join(KAMP_CLASSES)}, got {column!r}")
    states = [i for i, c in enumerate(KAMP_CLASSES) if column is None or c == column]
    stream = GroupStream(path, fs=fs, duration=1e9)
    names = tuple(f"sensor {i + 1}" for i in range(len(stream.paths)))
    diagnosers = [
        Diagnoser(
            bundle,
            name=f"{path}/g{stream.group}:{KAMP_CLASSES[i]}",
            fs=fs,
            channel_names=names,
            rpm=rpm,
            **opts,
        )
        for i in states
    ]
    end = last_time(stream.paths[0])
    # without a known speed the group is read twice (see Diagnoser)
    total = (1.0 if rpm else 2.0) * end if end and end > 0 else None
    with work_progress(
        f"diagnosing {path.name}/g{stream.group}", total=total, unit="signal s", enabled=progress
    ) as advance:

        def blocks():
            for blk in GroupStream(path, group=stream.group, fs=fs, duration=1e9).blocks():
                yield [blk.values[i].T for i in states]
                advance(blk.values.shape[1] / fs)

        return run_passes(diagnosers, blocks)
