"""Min-max scaling with parameters that can be saved as plain numbers."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rotordx.exceptions import DataError, ParameterError

__all__ = ["MinMaxScaling"]


@dataclass(frozen=True)
class MinMaxScaling:
    """Per-column min-max scaling, ``(x - data_min) / (data_max - data_min)``.

    Matches scikit-learn's ``MinMaxScaler()`` with the default range (0, 1),
    including its rule for constant columns (a zero range scales by 1), but
    keeps its parameters as two lists that go into a JSON bundle.

    Examples
    --------
    >>> s = MinMaxScaling.fit(np.array([[0.0, 10.0], [2.0, 30.0]]))
    >>> s.transform(np.array([[1.0, 20.0]]))
    array([[0.5, 0.5]])
    """

    data_min: tuple[float, ...]
    data_max: tuple[float, ...]

    @classmethod
    def fit(cls, x: np.ndarray) -> MinMaxScaling:
        """Fit on ``x`` of shape (n_samples, n_features)."""
        x = np.asarray(x, dtype=np.float64)
        if x.ndim != 2 or x.shape[0] == 0:
            raise DataError(f"need a non-empty 2-D array to fit the scaler, got shape {x.shape}")
        if not np.isfinite(x).all():
            raise DataError("cannot fit the scaler on data with NaN or infinite values")
        return cls(tuple(map(float, x.min(axis=0))), tuple(map(float, x.max(axis=0))))

    @property
    def n_features(self) -> int:
        """Number of columns the scaler was fitted on."""
        return len(self.data_min)

    def _params(self) -> tuple[np.ndarray, np.ndarray]:
        """``lo`` and ``rng`` (a zero range scales by 1)."""
        lo = np.asarray(self.data_min, dtype=np.float64)
        rng = np.asarray(self.data_max, dtype=np.float64) - lo
        rng[rng == 0.0] = 1.0
        return lo, rng

    def _check(self, x: np.ndarray) -> None:
        if x.ndim < 2 or x.shape[-1] != self.n_features:
            raise ParameterError(
                f"scaler was fitted on {self.n_features} columns, got data of shape {x.shape}"
            )

    def transform(self, x: np.ndarray, *, out: np.ndarray | None = None) -> np.ndarray:
        """Scale ``x`` of shape (..., n_samples, n_features): ``(x - data_min) / range``.

        ``out`` (the same shape, float64) receives the result without a
        temporary array; the numbers are the same, bit for bit. Long arrays
        are processed in slabs of whole rows, so numpy runs long loops
        instead of one short loop per time step.
        """
        x = np.asarray(x, dtype=np.float64)
        self._check(x)
        if out is None:
            out = np.empty_like(x)
        elif out.shape != x.shape:
            raise ParameterError(f"out has shape {out.shape}, expected {x.shape}")
        lo, rng = self._params()
        n, k = x.shape[-2:]
        rows = max(1, min(n, 8192))
        lo_rows, rng_rows = np.tile(lo, rows), np.tile(rng, rows)
        flat_src = x.reshape(-1, n * k)
        flat_dst = out.reshape(-1, n * k)
        for s in range(0, n * k, rows * k):
            e = min(s + rows * k, n * k)
            d = flat_dst[:, s:e]
            np.subtract(flat_src[:, s:e], lo_rows[: e - s], out=d)
            d /= rng_rows[: e - s]
        if not np.may_share_memory(flat_dst, out):  # ``out`` was not viewable as rows: copy back
            out[...] = flat_dst.reshape(out.shape)
        return out

    def inverse_transform(self, x: np.ndarray) -> np.ndarray:
        """Undo :meth:`transform`: ``x * range + data_min``, for (..., n_features) arrays."""
        x = np.asarray(x, dtype=np.float64)
        self._check(x)
        lo, rng = self._params()
        return x * rng + lo

    def to_dict(self) -> dict[str, list[float]]:
        """Plain-JSON form."""
        return {"data_min": list(self.data_min), "data_max": list(self.data_max)}

    @classmethod
    def from_dict(cls, d: dict) -> MinMaxScaling:
        """Inverse of :meth:`to_dict`, validating lengths and values."""
        try:
            lo = tuple(float(v) for v in d["data_min"])
            hi = tuple(float(v) for v in d["data_max"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ParameterError(f"invalid scaler parameters {d!r}: {exc}") from exc
        if len(lo) != len(hi) or not lo or not all(np.isfinite(lo + hi)):
            raise ParameterError(f"invalid scaler parameters {d!r}")
        return cls(lo, hi)
