"""Raw float32 samples: what a sensor sends without a container (the service's uploads and
streams).

The layout is the one of a WAV file without its header: little-endian IEEE float32,
frame by frame (``x0 y0 z0 x1 y1 z1 …`` for channels ``x, y, z``), with the rate and the
channels said beside the bytes (a form field, a stream's JSON header). Nothing in the
bytes can lie about a size: the only checks are whole frames and the values.

Functions
---------
    decode_float32, read_float32, raw_channel_names
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np

from rotordx.exceptions import DataError, ParameterError
from rotordx.io._limits import MAX_ABS_VALUE, first_too_large
from rotordx.io.recording import Recording

__all__ = ["MAX_CHANNELS", "MAX_RATE", "decode_float32", "raw_channel_names", "read_float32"]

#: Most channels of one raw recording.
MAX_CHANNELS = 64
#: Highest sample rate accepted (Hz): above any vibration sensor's.
MAX_RATE = 1e7
#: Bytes per sample.
_ITEM = 4


def raw_channel_names(channels: int | str | tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """Channel names from a count (``3`` → ``ch0, ch1, ch2``), a comma-separated list
    (``"x,y,z"``) or a sequence of names."""
    if isinstance(channels, bool):
        raise ParameterError(f"channels must be a count or names, got {channels!r}")
    if isinstance(channels, int):
        n = channels
        if not 1 <= n <= MAX_CHANNELS:
            raise ParameterError(f"channels must be 1 to {MAX_CHANNELS}, got {n}")
        return tuple(f"ch{i}" for i in range(n))
    if isinstance(channels, str):
        text = channels.strip()
        if text.isdigit():
            return raw_channel_names(int(text))
        names = tuple(c.strip() for c in text.split(","))
    else:
        names = tuple(str(c).strip() for c in channels)
    if not names or any(not c for c in names):
        raise ParameterError(
            f"channels must be a count or comma-separated names like x,y,z, got {channels!r}"
        )
    if len(names) > MAX_CHANNELS:
        raise ParameterError(f"channels: {len(names)} names; at most {MAX_CHANNELS}")
    if len(set(names)) != len(names):
        raise ParameterError(f"channels: a name is repeated in {', '.join(names)}")
    return names


def _check_rate(rate) -> float:
    if isinstance(rate, bool) or not isinstance(rate, int | float | np.integer | np.floating):
        raise ParameterError(f"rate must be a number of Hz, got {rate!r}")
    fs = float(rate)
    if not (math.isfinite(fs) and 0 < fs <= MAX_RATE):
        raise ParameterError(f"rate must be a number of Hz in (0, {MAX_RATE:g}], got {rate!r}")
    return fs


def decode_float32(data: bytes, *, n_channels: int, where: str) -> np.ndarray:
    """``(n_channels, n_frames)`` float64 samples from raw little-endian float32 frames.

    Raises
    ------
    DataError
        Not a whole number of frames, a NaN or infinite sample, or a magnitude
        beyond :data:`~rotordx.io._limits.MAX_ABS_VALUE`; the message says where.
    """
    frame = _ITEM * n_channels
    if len(data) % frame:
        raise DataError(
            f"{where}: {len(data)} bytes is not a whole number of frames of {n_channels} "
            f"float32 channel(s) ({frame} bytes per frame); do the channels say the truth?"
        )
    x = np.frombuffer(data, dtype="<f4").reshape(-1, n_channels).T.astype(np.float64)
    bad = ~np.isfinite(x)
    if bad.any():
        ch, i = (int(v) for v in np.argwhere(bad)[0])
        raise DataError(f"{where}: sample {i} of channel {ch} is {x[ch, i]}; expected a number")
    big = first_too_large(x, MAX_ABS_VALUE)
    if big is not None:
        ch, i = big
        raise DataError(
            f"{where}: sample {i} of channel {ch} is {x[ch, i]:.6g}; "
            f"expected |value| <= {MAX_ABS_VALUE:.0e}"
        )
    return x


def read_float32(
    path: str | os.PathLike[str],
    *,
    rate: float | None,
    channels: int | str | tuple[str, ...] | None,
    name: str | None = None,
) -> Recording:
    """A raw float32 file (see the module docstring) as a :class:`Recording`.

    Parameters
    ----------
    rate : float
        Sample rate in Hz (the bytes do not say it).
    channels : int, str or tuple of str
        Their count or names (see :func:`raw_channel_names`).
    name : str, optional
        The recording's name and the file's in messages (default: the file name).

    Raises
    ------
    ParameterError
        No or a bad ``rate`` or ``channels``.
    DataError
        Bad bytes (see :func:`decode_float32`) or fewer than two samples.
    """
    path = Path(path)
    where = name or path.name
    if rate is None or channels is None:
        raise ParameterError(
            f"{where}: raw float32 samples need the rate and the channels (a count or names)"
        )
    fs = _check_rate(rate)
    names = raw_channel_names(channels)
    x = decode_float32(path.read_bytes(), n_channels=len(names), where=where)
    if x.shape[1] < 2:
        raise DataError(f"{where}: {x.shape[1]} frame(s); at least 2 samples per channel")
    return Recording(name=where, signals=x, fs=fs, channel_names=names)
