"""Smoothing filters."""

from __future__ import annotations

import numpy as np

from rotordx.exceptions import DataError, ParameterError

__all__ = ["MovingAverageStream", "moving_average"]

#: Outputs computed per pass, so that the intermediate sums stay in the CPU cache.
_BLOCK = 8192


def _check_m(m) -> None:
    if not isinstance(m, int | np.integer) or isinstance(m, bool) or m < 1:
        raise ParameterError(f"moving-average length m must be a positive integer, got {m!r}")


def _take(x: np.ndarray, axis: int, start: int, stop: int) -> np.ndarray:
    """``x[start:stop]`` along ``axis`` (a view)."""
    index = [slice(None)] * x.ndim
    index[axis] = slice(start, stop)
    return x[tuple(index)]


def _window_sums(x: np.ndarray, m: int, out: np.ndarray, axis: int) -> None:
    """``out[j] = x[j] + … + x[j + m - 1]`` along ``axis``, by doubling.

    Sums of 2, 4, 8 … consecutive samples are built from each other, and the
    window is the sum of the power-of-two sums its length is made of (15 =
    8 + 4 + 2 + 1): every output is the same fixed tree of additions of its
    own ``m`` inputs, so it does not depend on how the signal is cut into
    pieces, and no error accumulates along the signal.
    """
    n_out = out.shape[axis]
    powers = [x]  # powers[k][j] = sum of x[j : j + 2**k]
    size = 1
    while 2 * size <= m:
        p = powers[-1]
        n = p.shape[axis] - size
        powers.append(np.add(_take(p, axis, 0, n), _take(p, axis, size, size + n)))
        size *= 2
    parts, offset = [], 0
    for k in range(len(powers) - 1, -1, -1):
        if m & (1 << k):
            parts.append(_take(powers[k], axis, offset, offset + n_out))
            offset += 1 << k
    if len(parts) == 1:
        out[...] = parts[0]
        return
    np.add(parts[0], parts[1], out=out)
    for part in parts[2:]:
        out += part


def _moving_average(x: np.ndarray, m: int, axis: int, out: np.ndarray | None = None) -> np.ndarray:
    """Moving average along ``axis`` of ``x`` (n >= m samples), a cache-sized piece at a time."""
    n_out = x.shape[axis] - m + 1
    if out is None:
        shape = list(x.shape)
        shape[axis] = n_out
        out = np.empty(shape)
    for s in range(0, n_out, _BLOCK):
        e = min(s + _BLOCK, n_out)
        piece = _take(out, axis, s, e)
        _window_sums(_take(x, axis, s, e + m - 1), m, piece, axis)
        piece /= m
    return out


def moving_average(x: np.ndarray, *, m: int = 15, axis: int = 0) -> np.ndarray:
    """Moving average over ``m`` samples, keeping only fully covered outputs.

    Same result as the seed's ``np.convolve(x, np.ones(m), "valid") / m``
    along ``axis`` (to floating-point rounding), for any number of columns at
    once. The output is ``m - 1`` samples shorter than the input; output
    sample ``j`` averages input samples ``j … j + m - 1``.

    Every output is its own ``m`` inputs summed in a fixed order (see
    :class:`MovingAverageStream`), so the error stays at a few ulps however
    long the signal, and a chunked computation gives the same bits.

    Parameters
    ----------
    x : np.ndarray
        Signal(s).
    m : int >= 1
        Window length in samples.
    axis : int
        Time axis.
    """
    _check_m(m)
    x = np.asarray(x, dtype=np.float64)
    n = x.shape[axis]
    if n < m:
        raise DataError(f"signal has {n} samples; the moving average needs at least m={m}")
    return _moving_average(x, int(m), axis % x.ndim)


class MovingAverageStream:
    """:func:`moving_average` fed chunk by chunk along ``axis``.

    ``push`` takes the next samples and returns every output that is
    complete; ``finish`` checks that the signal was long enough. Concatenated,
    the outputs equal ``moving_average(whole, m=m, axis=axis)`` bit for bit,
    while only the last ``m - 1`` samples are carried from chunk to chunk.

    Examples
    --------
    >>> ma = MovingAverageStream(m=3)
    >>> np.concatenate([ma.push(np.arange(4.0)), ma.push(np.arange(4.0, 9.0))])
    array([1., 2., 3., 4., 5., 6., 7.])
    """

    def __init__(self, *, m: int = 15, axis: int = 0) -> None:
        _check_m(m)
        self.m = int(m)
        self.axis = axis
        self._carry: np.ndarray | None = None  # the last m - 1 samples
        self.n_in = 0

    def push(self, x: np.ndarray) -> np.ndarray:
        """Add samples; return the outputs they complete (possibly none)."""
        x = np.asarray(x, dtype=np.float64)
        ax = self.axis % x.ndim
        n = x.shape[ax]
        self.n_in += n
        m, carry = self.m, self._carry
        # windows that start in the carried samples and end in this chunk, then those
        # inside it, written into one output array
        head = None
        if carry is not None and carry.shape[ax] and n:
            head = np.concatenate((carry, _take(x, ax, 0, m - 1)), axis=ax)
        n_head = max(0, head.shape[ax] - m + 1) if head is not None else 0
        n_body = max(0, n - m + 1)
        shape = list(x.shape)
        shape[ax] = n_head + n_body
        out = np.empty(shape)
        if n_head:
            _moving_average(head, m, ax, out=_take(out, ax, 0, n_head))
        if n_body:
            _moving_average(x, m, ax, out=_take(out, ax, n_head, n_head + n_body))
        if carry is not None and n < m - 1:
            both = np.concatenate((carry, x), axis=ax)
            self._carry = _take(both, ax, max(0, both.shape[ax] - (m - 1)), both.shape[ax])
        else:
            self._carry = _take(x, ax, max(0, n - (m - 1)), n).copy()
        return out

    def finish(self) -> None:
        """Check that at least ``m`` samples came in."""
        if self.n_in < self.m:
            raise DataError(
                f"signal has {self.n_in} samples; the moving average needs at least m={self.m}"
            )
