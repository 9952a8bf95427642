"""Bearing-physics classifier: defect-frequency evidence + a shallow random forest.

For every channel of a window it computes four numbers that a vibration
analyst would look at (:func:`rotordx.features.defect_scores`): how strongly
BPFO, BPFI and BSF (with their harmonics) stand out in the envelope spectrum,
demodulated in the band a kurtogram of the window chooses, and the log RMS
level. The defect frequencies follow from **each window's own bearing**
(``defect_orders``: ``Split.defect_orders``, from each recording's bearing;
the model's ``geometry`` for windows without one) and the window's shaft
speed: the **known** one where given (``shaft_hz``: the manifest's rpm, the
CWRU file's RPM, ``diagnose --rpm``), else estimated from the window itself.
So one model serves windows of several bearings: what it learns is how
strongly a defect line stands out, whatever its frequency.

Because the scores measure *which* frequency repeats rather than how big a
fault is, a model trained on some fault sizes recognises others: on the CWRU
leave-one-size-out folds it is the only model here that does (docs/data.md).
It needs windows long enough to resolve the defect lines: about 30 shaft
revolutions (1 s at 1800 rpm) is what the CWRU numbers were measured with.

Saved like :class:`~rotordx.models.forest.FeatureForest`: tree arrays plus
JSON (the geometry as numbers), no pickle.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rotordx.exceptions import DataError, ParameterError
from rotordx.features.bearing import BearingGeometry, bearing_geometry
from rotordx.features.bearing_scores import defect_scores
from rotordx.features.orders import estimate_running_speed
from rotordx.models.forest import FeatureForest

__all__ = ["BearingForest"]


class BearingForest(FeatureForest):
    """Envelope defect scores and RMS per channel, then a depth-limited random forest.

    Parameters
    ----------
    fs : float
        Sample rate of the windows, Hz.
    geometry : str or BearingGeometry
        The default bearing, for windows that come without their own defect
        orders: a catalogue name (:data:`~rotordx.features.bearing.BEARINGS`,
        any spelling :func:`~rotordx.features.bearing.bearing_geometry` reads)
        or its geometry.
    n_estimators, max_depth, min_samples_leaf :
        Forest settings. The shallow default depth (4) keeps the forest to a
        few thresholds on the evidence instead of memorising recordings.
    class_weight : str or None
        ``"balanced"`` (default) weighs classes equally whatever their number
        of windows (CWRU's healthy recording is half as long as the others).
    """

    needs_speed = True

    def __init__(
        self,
        *,
        geometry: str | BearingGeometry,
        fs: float = 12000.0,
        n_estimators: int = 300,
        max_depth: int | None = 4,
        min_samples_leaf: int = 1,
        class_weight: str | None = "balanced",
        threads: int = 1,
    ) -> None:
        super().__init__(
            fs=fs,
            n_estimators=n_estimators,
            max_depth=max_depth,
            min_samples_leaf=min_samples_leaf,
            class_weight=class_weight,
            threads=threads,
        )
        self.name = "bearing"
        self.geometry = bearing_geometry(geometry)

    def features(
        self,
        X: np.ndarray,
        shaft_hz: np.ndarray | None = None,
        defect_orders: np.ndarray | None = None,
    ) -> np.ndarray:
        """Per channel: ``score_bpfo, score_bpfi, score_bsf, log_rms`` of windows ``X``.

        ``defect_orders`` ((4,) or one row per window in the order
        :data:`~rotordx.features.bearing.DEFECTS`; NaN rows, or ``None``, take
        the model's geometry) says which bearing each window comes from.
        ``shaft_hz`` (a scalar or one per window, Hz) gives the speed; where
        it is missing or NaN the speed is estimated from the window
        (:func:`rotordx.features.estimate_running_speed`; windows of at least
        ``2 fs / 5`` samples). A known speed is better: the estimate follows
        the strongest harmonic series, which is the shaft on most machines
        but not necessarily on every one.

        Raises
        ------
        ParameterError
            If ``shaft_hz`` or ``defect_orders`` has the wrong shape.
        DataError
            If a speed must be estimated and the windows are too short.
        """
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 3:
            raise DataError(f"windows must have shape (n, n_channels, window), got {X.shape}")
        speed = self._speed(shaft_hz, X)
        scores, names = defect_scores(
            X, fs=self.fs, shaft_hz=speed, geometry=self.geometry, defect_orders=defect_orders
        )
        rms = np.sqrt(np.mean((X - X.mean(axis=-1, keepdims=True)) ** 2, axis=-1))
        log_rms = np.log(np.maximum(rms, 1e-12))[..., None]
        F = np.concatenate([scores, log_rms], axis=-1)  # (n, n_channels, 4)
        n_ch = X.shape[1]
        cols = [*names, "log_rms"]
        all_names = [f"{c}_ch{i}" for i in range(n_ch) for c in cols]
        return self._checked(F.reshape(len(X), -1), all_names)

    def _speed(self, shaft_hz: Any, X: np.ndarray) -> np.ndarray:
        """One shaft speed per window: the given ones, estimated where missing."""
        n = len(X)
        if shaft_hz is None:
            speed = np.full(n, np.nan)
        else:
            try:
                speed = np.array(
                    np.broadcast_to(np.asarray(shaft_hz, dtype=np.float64), (n,)), copy=True
                )
            except ValueError:
                raise ParameterError(
                    f"shaft_hz must be a scalar or one value per window ({n}), "
                    f"got shape {np.shape(shaft_hz)}"
                ) from None
        missing = ~(np.isfinite(speed) & (speed > 0))
        if missing.any():
            try:
                speed[missing] = estimate_running_speed(X[missing], fs=self.fs)
            except DataError as exc:
                raise DataError(
                    f"{int(missing.sum())} of {n} windows have no shaft speed and it cannot be "
                    f"estimated from them ({exc}); give the rpm of every recording "
                    "(manifest column 'rpm', the CWRU file's RPM, or --rpm)"
                ) from exc
        return speed

    def get_state(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """Tree arrays plus the geometry as numbers."""
        arrays, meta = super().get_state()
        g = self.geometry
        meta["geometry"] = {
            "n_balls": int(g.n_balls),
            "ball_diameter": float(g.ball_diameter),
            "pitch_diameter": float(g.pitch_diameter),
            "contact_angle_deg": float(g.contact_angle_deg),
            "name": g.name,
        }
        return arrays, meta

    @classmethod
    def _from_meta(cls, meta: dict[str, Any]) -> BearingForest:
        geometry = BearingGeometry(**meta["geometry"])
        return cls(
            fs=meta["fs"],
            geometry=geometry,
            n_estimators=meta["n_estimators"],
            max_depth=meta["max_depth"],
            min_samples_leaf=meta["min_samples_leaf"],
            class_weight=meta.get("class_weight"),
        )
