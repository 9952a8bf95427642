"""Cutting signals into windows: all at once (:func:`frame`) or as the samples arrive.

:func:`frame` cuts an array held in memory. :class:`Tape` takes a recording in
consecutive blocks of any size and hands whole frames to its readers
(:class:`Frames`), keeping between blocks only the samples a reader still
needs (less than one frame each): memory does not grow with the recording,
and every reader sees exactly the frames :func:`frame` would give.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from rotordx.exceptions import DataError, ParameterError

__all__ = ["FRAMES_PER_CHUNK", "Frames", "Tape", "frame", "frames_of"]

#: Frames handed to a reader at once by default (256 windows of 1024 samples and 4
#: channels: 8 MiB of signal, and the spectra of as many).
FRAMES_PER_CHUNK = 256


def _check_length(name: str, v: object) -> None:
    if isinstance(v, bool) or not isinstance(v, int | np.integer) or v < 1:
        raise ParameterError(f"{name} must be a positive integer, got {v!r}")


def frame(x: np.ndarray, *, window: int, hop: int) -> np.ndarray:
    """Cut the last axis of ``x`` into windows.

    Parameters
    ----------
    x : np.ndarray [shape=(..., n_samples)]
    window, hop : int > 0

    Returns
    -------
    np.ndarray [shape=(n_windows, ..., window)]
        A copy; ``n_windows = 1 + (n_samples - window) // hop``.

    Raises
    ------
    DataError
        If the signal is shorter than one window.

    Examples
    --------
    >>> frame(np.arange(10.0), window=4, hop=3)
    array([[0., 1., 2., 3.],
           [3., 4., 5., 6.],
           [6., 7., 8., 9.]])
    """
    _check_length("window", window)
    _check_length("hop", hop)
    n = x.shape[-1]
    if n < window:
        raise DataError(f"signal has {n} samples, shorter than one window of {window}")
    view = np.lib.stride_tricks.sliding_window_view(x, window, axis=-1)[..., ::hop, :]
    return np.ascontiguousarray(np.moveaxis(view, -2, 0))


def frames_of(chunk: np.ndarray, size: int) -> np.ndarray:
    """``(n_channels, k * size)`` as ``(k, n_channels, size)``: what :func:`frame` returns.

    The frames of a :class:`Frames` chunk (without look-ahead), as
    ``frame(chunk, window=size, hop=size)``.
    """
    n_ch = chunk.shape[0]
    k = chunk.shape[1] // size
    return np.ascontiguousarray(chunk.reshape(n_ch, k, size).transpose(1, 0, 2))


class Frames:
    """A reader of consecutive frames of ``size`` samples (plus ``extra`` of look-ahead).

    Fed by a :class:`Tape`; calls ``handle`` with arrays ``(n_channels, k *
    size + extra)`` holding ``k <= per_chunk`` whole frames, in order.
    :attr:`count` is the number of frames handed out so far.
    """

    def __init__(
        self,
        size: int,
        handle: Callable[[np.ndarray], None],
        *,
        extra: int = 0,
        per_chunk: int | None = None,
    ) -> None:
        _check_length("size", size)
        self.size, self.extra, self.handle = size, extra, handle
        self.per_chunk = per_chunk or FRAMES_PER_CHUNK
        self.next = 0  # sample index where the next frame starts
        self.count = 0  # frames handed out

    def take(self, x: np.ndarray, base: int) -> None:
        """Hand out every whole frame of ``x``, whose first sample has index ``base``."""
        end = base + x.shape[1]
        while (k := (end - self.next - self.extra) // self.size) >= 1:
            k = min(k, self.per_chunk)
            a = self.next - base
            self.handle(x[:, a : a + k * self.size + self.extra])
            self.next += k * self.size
            self.count += k


class Tape:
    """One recording's samples arriving in blocks, cut into frames for several readers.

    Only the samples that a reader still needs are kept between blocks (less
    than one frame each), so memory does not grow with the recording.
    :attr:`total` counts the samples pushed; :attr:`rest` holds the kept ones.
    """

    def __init__(self, readers: list[Frames]) -> None:
        self.readers = readers
        self.rest = np.empty((0, 0))
        self.base = 0  # sample index of rest[:, 0]
        self.total = 0

    def push(self, block: np.ndarray) -> None:
        """The next consecutive samples ``(n_channels, n)``."""
        block = np.asarray(block, dtype=np.float64)
        x = np.concatenate((self.rest, block), axis=1) if self.rest.shape[1] else block
        self.total += block.shape[1]
        for r in self.readers:
            r.take(x, self.base)
        keep = min(r.next for r in self.readers)
        self.rest = np.array(x[:, keep - self.base :])
        self.base = keep
