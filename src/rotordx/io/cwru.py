"""Read the Case Western Reserve University (CWRU) bearing recordings.

The CWRU Bearing Data Center publishes MATLAB v5 ``.mat`` files, one per
test: accelerations in g at the drive end (``XnnnDE_time``), fan end
(``XnnnFE_time``) and base (``XnnnBA_time``), each of shape ``(n, 1)``, and
the shaft speed in rev/min (``XnnnRPM``, shape ``(1, 1)``). The test
conditions are encoded in the file names used by the public mirrors::

    <rate>_<end>_<fault><size>[@<pos>]_<load hp>_<CWRU number>.mat
    12k_Drive_End_IR007_0_105.mat    12k_Drive_End_OR007@6_1_131.mat
    normal_<load hp>_<CWRU number>.mat   (healthy bearing, 48 kHz)

Signals are returned in **m/s²** (g × 9.80665). See ``docs/data.md``.

Functions
---------
    parse_cwru_name
    read_cwru
    find_cwru
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rotordx.exceptions import DataError, ParameterError
from rotordx.io._limits import MAX_ACCELERATION, first_too_large
from rotordx.io.mat5 import read_mat
from rotordx.io.recording import Recording

__all__ = [
    "BEARING",
    "CHANNELS",
    "FAULT_LABELS",
    "NOMINAL_RPM",
    "CwruInfo",
    "CwruRecording",
    "G",
    "find_cwru",
    "parse_cwru_name",
    "read_cwru",
]

#: Standard gravity in m/s² (the CWRU accelerations are in g).
G = 9.80665
#: The bearing whose faults CWRU seeded: the drive-end SKF 6205-2RS JEM (a name of
#: :data:`rotordx.features.bearing.BEARINGS`), whichever accelerometer is read.
BEARING = "SKF_6205"
#: Accelerometer positions of the CWRU rig: drive end, fan end, base.
CHANNELS: tuple[str, ...] = ("DE", "FE", "BA")
#: Approximate shaft speed (rev/min) at each motor load (hp), as published by CWRU.
NOMINAL_RPM: dict[int, float] = {0: 1797.0, 1: 1772.0, 2: 1750.0, 3: 1730.0}
#: Fault code in the file name -> fault-type label.
FAULT_LABELS: dict[str, str] = {
    "normal": "normal",
    "IR": "inner_race",
    "B": "ball",
    "OR": "outer_race",
}

#: Shortest recording :func:`read_cwru` accepts by default (samples).
MIN_SAMPLES = 1024

_FAULT_RE = re.compile(
    r"^(?P<rate>12|48)k_(?P<end>Drive|Fan)_End_(?P<fault>IR|B|OR)(?P<size>\d{3})"
    r"(?:@(?P<pos>3|6|12))?_(?P<load>[0-3])_(?P<num>\d+)$"
)
_NORMAL_RE = re.compile(r"^normal_(?P<load>[0-3])_(?P<num>\d+)$")
_VAR_NUMBER_RE = re.compile(r"^X?(\d+)")
_SUFFIX = {"DE": "DE_time", "FE": "FE_time", "BA": "BA_time"}
_KIND_NAMES = {
    "U": "text",
    "S": "text",
    "O": "cell-array or struct (object)",
    "V": "struct",
    "c": "complex",
    "b": "logical",
}
#: An ``RPM`` variable outside (0, MAX_RPM) is ignored (the nominal speed is used).
MAX_RPM = 1e6


@dataclass(frozen=True)
class CwruInfo:
    """Test conditions encoded in a CWRU file name.

    Attributes
    ----------
    rate_hz : int
        Sample rate, 12000 or 48000 (``normal_*`` files are 48 kHz).
    end : str or None
        Bearing with the fault: ``"DE"`` (drive end), ``"FE"`` (fan end);
        ``None`` for a healthy bearing.
    fault : str
        ``"normal"``, ``"IR"`` (inner race), ``"B"`` (ball), ``"OR"`` (outer race).
    size_mils : int or None
        Fault diameter in mils (thousandths of an inch): 7, 14, 21, 28.
    position : int or None
        Outer-race fault position in clock hours (3, 6 or 12; 6 = centred in
        the load zone); ``None`` for other faults.
    load_hp : int
        Motor load, 0–3 hp.
    number : int
        CWRU file number.
    """

    rate_hz: int
    end: str | None
    fault: str
    size_mils: int | None
    position: int | None
    load_hp: int
    number: int

    @property
    def nominal_rpm(self) -> float:
        """Approximate shaft speed at this load: 1797, 1772, 1750 or 1730 rpm."""
        return NOMINAL_RPM[self.load_hp]

    @property
    def label(self) -> str:
        """Fault type: ``"normal"``, ``"inner_race"``, ``"ball"`` or ``"outer_race"``."""
        return FAULT_LABELS[self.fault]

    @property
    def label_size(self) -> str:
        """Fault type and size, e.g. ``"inner_race_007"``; ``"normal"`` when healthy."""
        if self.size_mils is None:
            return self.label
        return f"{self.label}_{self.size_mils:03d}"


@dataclass(frozen=True)
class CwruRecording:
    """One CWRU file, read.

    Attributes
    ----------
    recording : Recording
        Signals of shape ``(n_channels, n_samples)`` in **m/s²** (the file's
        g values × 9.80665), channel names ``"DE"``, ``"FE"``, ``"BA"``.
    info : CwruInfo or None
        Conditions from the file name (``None`` if the name is not a CWRU
        name and ``rate`` was passed to :func:`read_cwru`).
    rpm : float or None
        Shaft speed: the file's ``RPM`` variable when present, else the
        nominal speed of the load in the name (``None`` if neither exists).
    rpm_from_file : bool
        Whether ``rpm`` was read from the file.
    units : str
        ``"m/s^2"``.
    """

    recording: Recording
    info: CwruInfo | None
    rpm: float | None
    rpm_from_file: bool
    units: str = "m/s^2"


def parse_cwru_name(name: str | os.PathLike[str]) -> CwruInfo:
    """Conditions of a CWRU recording from its file name.

    Parameters
    ----------
    name : str or path-like
        A file name or path; only the last component counts and a ``.mat``
        extension is optional, e.g. ``"12k_Drive_End_OR007@6_1_131.mat"``.

    Returns
    -------
    CwruInfo

    Raises
    ------
    DataError
        If the name does not follow ``<rate>_<end>_<fault><size>[@pos]_<load>_<number>``
        or ``normal_<load>_<number>`` (outer-race faults need ``@3``, ``@6``
        or ``@12``; other faults must not have one).
    """
    stem = Path(os.fspath(name)).name
    if stem.lower().endswith(".mat"):
        stem = stem[:-4]
    expected = (
        "expected <12k|48k>_<Drive|Fan>_End_<IR|B|OR><size, 3 digits>[@<3|6|12>]_<load 0-3>"
        "_<number>[.mat] (e.g. 12k_Drive_End_IR007_0_105.mat) or normal_<load 0-3>_<number>"
    )
    if m := _NORMAL_RE.match(stem):
        return CwruInfo(
            rate_hz=48000,
            end=None,
            fault="normal",
            size_mils=None,
            position=None,
            load_hp=int(m["load"]),
            number=int(m["num"]),
        )
    m = _FAULT_RE.match(stem)
    if m is None:
        raise DataError(f"{name}: not a CWRU file name; {expected}")
    fault = m["fault"]
    pos = int(m["pos"]) if m["pos"] else None
    if fault == "OR" and pos is None:
        raise DataError(f"{name}: an outer-race (OR) fault needs a position @3, @6 or @12")
    if fault != "OR" and pos is not None:
        raise DataError(f"{name}: only outer-race (OR) faults have a position, got @{pos}")
    return CwruInfo(
        rate_hz=int(m["rate"]) * 1000,
        end="DE" if m["end"] == "Drive" else "FE",
        fault=fault,
        size_mils=int(m["size"]),
        position=pos,
        load_hp=int(m["load"]),
        number=int(m["num"]),
    )


def _check_channels(channels: str | Sequence[str]) -> tuple[str, ...]:
    if isinstance(channels, str):
        channels = (channels,)
    try:
        chans = tuple(str(c).upper() for c in channels)
    except TypeError:
        raise ParameterError(
            f"channels must be a sequence of {', '.join(CHANNELS)}, got {channels!r}"
        ) from None
    bad = [c for c in chans if c not in CHANNELS]
    if not chans or bad:
        raise ParameterError(
            f"channels must be a non-empty sequence of {', '.join(CHANNELS)}, got {channels!r}"
        )
    if len(set(chans)) != len(chans):
        raise ParameterError(f"channels must not repeat, got {channels!r}")
    return chans


def _pick_variable(keys: list[str], suffix: str, number: int | None) -> str | None:
    """The variable ending in ``suffix``: the one numbered ``number`` if several, else the first."""
    found = [k for k in keys if k.endswith(suffix)]
    if not found:
        return None
    if len(found) > 1 and number is not None:
        for k in found:
            m = _VAR_NUMBER_RE.match(k)
            if m and int(m.group(1)) == number:
                return k
    return found[0]


def _load_mat(path: Path) -> dict[str, np.ndarray]:
    # Our own MAT-5 reader: scipy.io.loadmat parses in native code that a crafted or
    # corrupt file crashes (SIGSEGV, SIGBUS: issue 16); this one gives a DataError.
    return {k: v for k, v in read_mat(path).items() if not k.startswith("__")}


def read_cwru(
    path: str | os.PathLike[str],
    *,
    channels: str | Sequence[str] = ("DE",),
    rate: float | None = None,
    min_samples: int = MIN_SAMPLES,
) -> CwruRecording:
    """Read one CWRU ``.mat`` file, in m/s².

    Variables are found by their **suffix** (``DE_time``, ``FE_time``,
    ``BA_time``, ``RPM``), never by the file number: files 3001 and 3005
    name theirs ``X056_DE_time`` / ``X048_DE_time``. If several variables
    share a suffix, the one whose number (``X097_…`` -> 97) equals the file's
    CWRU number is used, else the first in the file.

    Parameters
    ----------
    path : path-like
        A ``.mat`` file. Its name gives the sample rate and test conditions
        (:func:`parse_cwru_name`).
    channels : str or sequence of str
        Accelerometers to read, in order: ``"DE"`` (drive end), ``"FE"``
        (fan end), ``"BA"`` (base).
    rate : float, optional
        Sample rate in Hz. Needed only for a file whose name is not a CWRU
        name; for a CWRU name it must agree with the name's rate.
    min_samples : int
        Shortest accepted recording.

    Returns
    -------
    CwruRecording
        ``.recording.signals`` has shape ``(len(channels), n)`` in **m/s²**
        (the file's g × 9.80665); ``.rpm`` is the file's ``RPM`` value when
        present, else the nominal speed of the load in the name.

    Raises
    ------
    DataError
        The file is missing, truncated or not a MATLAB file; a requested
        channel is absent (the message lists those present); a channel
        variable is not numeric or not of shape (n, 1); the channels differ in
        length; a value is NaN or infinite or exceeds
        :data:`~rotordx.io._limits.MAX_ACCELERATION` (1e6 m/s²) in magnitude;
        the recording is shorter than ``min_samples``; or the rate is unknown
        or contradicts the name.
    ParameterError
        Unknown channel name or bad ``rate``.
    """
    chans = _check_channels(channels)
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: file not found (expected a CWRU .mat file)")
    try:
        info: CwruInfo | None = parse_cwru_name(path)
    except DataError as exc:
        if rate is None:
            raise DataError(f"{exc}; for another .mat file pass its sample rate") from None
        info = None
    if rate is not None:
        if isinstance(rate, bool) or not isinstance(rate, int | float | np.integer | np.floating):
            raise ParameterError(f"rate must be a positive number of Hz, got {rate!r}")
        if not (np.isfinite(rate) and rate > 0):
            raise ParameterError(f"rate must be a positive number of Hz, got {rate!r}")
        if info is not None and float(rate) != info.rate_hz:
            raise DataError(
                f"{path}: rate {float(rate):g} Hz contradicts the file name, which says "
                f"{info.rate_hz} Hz"
            )
    fs = float(rate) if rate is not None else float(info.rate_hz)  # type: ignore[union-attr]
    data = _load_mat(path)
    keys = list(data)
    if not keys:
        raise DataError(
            f"{path}: holds no MATLAB variables (truncated?); expected XnnnDE_time, "
            "XnnnFE_time, XnnnBA_time, XnnnRPM"
        )
    number = info.number if info is not None else None
    present = [c for c in CHANNELS if _pick_variable(keys, _SUFFIX[c], number)]
    signals = []
    for c in chans:
        key = _pick_variable(keys, _SUFFIX[c], number)
        if key is None:
            raise DataError(
                f"{path}: no {c} channel (no variable ending in {_SUFFIX[c]!r}); "
                f"channels present: {', '.join(present) or 'none'} "
                f"(variables: {', '.join(keys) or 'none'})"
            )
        raw = np.asarray(data[key])
        if raw.dtype.kind not in "fiu":
            raise DataError(
                f"{path}: variable {key!r}: found {_KIND_NAMES.get(raw.dtype.kind, raw.dtype)} "
                "values, expected numbers (an (n, 1) array of accelerations in g)"
            )
        v = raw.astype(np.float64)
        if v.ndim > 2 or (v.ndim == 2 and min(v.shape) != 1):
            raise DataError(f"{path}: variable {key!r} has shape {v.shape}; expected (n, 1)")
        v = v.reshape(-1)
        if v.size < min_samples:
            raise DataError(
                f"{path}: variable {key!r} has {v.size} samples; expected at least {min_samples}"
            )
        if not np.isfinite(v).all():
            i = int(np.argmax(~np.isfinite(v)))
            raise DataError(
                f"{path}: variable {key!r}, sample {i}: found {float(v[i])!r}; "
                "expected finite values"
            )
        big = first_too_large(v * G, MAX_ACCELERATION)
        if big is not None:
            i = big[0]
            raise DataError(
                f"{path}: variable {key!r}, sample {i}: found {float(v[i]):g} g "
                f"({float(v[i]) * G:g} m/s²); expected an acceleration with "
                f"|x| <= {MAX_ACCELERATION:g} m/s²"
            )
        signals.append(v)
    lengths = {s.size for s in signals}
    if len(lengths) > 1:
        raise DataError(
            f"{path}: channels {', '.join(chans)} differ in length ({sorted(lengths)} samples)"
        )
    rpm: float | None = None
    from_file = False
    rpm_key = _pick_variable(keys, "RPM", number)
    if rpm_key is not None and np.asarray(data[rpm_key]).dtype.kind in "fiu":
        r = np.asarray(data[rpm_key], dtype=np.float64).reshape(-1)
        if r.size >= 1 and np.isfinite(r[0]) and 0 < r[0] < MAX_RPM:
            rpm, from_file = float(r[0]), True
    if rpm is None and info is not None:
        rpm = info.nominal_rpm
    rec = Recording(
        name=str(path),
        signals=np.vstack(signals) * G,
        fs=fs,
        channel_names=chans,
    )
    return CwruRecording(recording=rec, info=info, rpm=rpm, rpm_from_file=from_file)


def find_cwru(directory: str | os.PathLike[str]) -> list[Path]:
    """The ``.mat`` files directly inside ``directory``, sorted by name.

    Raises
    ------
    DataError
        If ``directory`` is not a folder.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise DataError(f"{directory}: not a folder (expected a folder of CWRU .mat files)")
    return sorted(
        (p for p in directory.iterdir() if p.suffix.lower() == ".mat" and p.is_file()),
        key=lambda p: p.name,
    )
