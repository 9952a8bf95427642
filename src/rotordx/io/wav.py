"""WAV recordings: each WAV channel is a channel, the rate is the file's."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np

from rotordx.exceptions import DataError
from rotordx.io._limits import MAX_ABS_VALUE, first_too_large
from rotordx.io.containers import check_wav
from rotordx.io.recording import Recording

__all__ = ["read_wav"]


def read_wav(path: str | os.PathLike[str]) -> Recording:
    """Read a WAV file: channels ``ch0``, ``ch1`` …, at the file's sample rate.

    Integer PCM is scaled to [-1, 1] (8-bit unsigned centred on 128), float
    samples are kept as they are; units are whatever the recorder wrote
    (usually uncalibrated).

    Raises
    ------
    DataError
        The file cannot be parsed as WAV, is cut off inside its data, holds
        fewer than two samples, NaN or infinite values, or values beyond
        :data:`~rotordx.io._limits.MAX_ABS_VALUE`.
    """
    import scipy.io.wavfile  # lazy: scipy.io takes a fraction of a second to import

    path = Path(path)
    check_wav(path)  # the sizes scipy would trust (allocate, divide by) are in the file
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", scipy.io.wavfile.WavFileWarning)
            rate, data = scipy.io.wavfile.read(path)
    except (ValueError, OSError, EOFError, TypeError, KeyError, IndexError) as exc:
        raise DataError(f"{path}: not a readable WAV file ({exc})") from None
    for w in caught:  # scipy reads what is there of a cut-off data chunk, and only warns
        if "prematurely" in str(w.message):
            raise DataError(f"{path}: truncated WAV file: {str(w.message).splitlines()[0]}")
    data = np.asarray(data)
    if data.ndim == 0 or data.shape[0] < 2:  # (before the reshape, which fails on no samples)
        n = data.shape[0] if data.ndim else 0
        raise DataError(f"{path}: WAV file holds {n} sample(s)")
    if data.dtype == np.uint8:
        x = (data.astype(np.float64) - 128.0) / 128.0
    elif np.issubdtype(data.dtype, np.integer):
        x = data.astype(np.float64) / float(2 ** (8 * data.dtype.itemsize - 1))
    else:
        x = data.astype(np.float64)
    x = x.reshape(x.shape[0], -1).T  # (n_channels, n_samples)
    if x.shape[1] < 2:
        raise DataError(f"{path}: WAV file holds {x.shape[1]} sample(s)")
    if not np.isfinite(x).all():
        raise DataError(f"{path}: WAV file holds NaN or infinite values")
    big = first_too_large(x, MAX_ABS_VALUE)
    if big is not None:
        ch, i = big
        raise DataError(
            f"{path}: channel ch{ch}, sample {i}: found {float(x[ch, i]):g}; "
            f"expected |x| <= {MAX_ABS_VALUE:g}"
        )
    names = tuple(f"ch{i}" for i in range(x.shape[0]))
    return Recording(name=str(path), signals=x, fs=float(rate), channel_names=names)
