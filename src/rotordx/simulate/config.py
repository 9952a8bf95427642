"""Parameters of the simulated KAMP rotor testbed, checked when set."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from rotordx.exceptions import ParameterError
from rotordx.io.kamp import N_SENSORS

__all__ = ["TestbedConfig"]

_MAX_SECONDS = 3600.0
_MAX_RPM = 6000.0


@dataclass(frozen=True)
class TestbedConfig:
    """Parameters of the simulated KAMP rotor testbed.

    All amplitudes are specified as acceleration amplitudes (m/s^2) at
    ``reference_rpm`` for a sensor of gain 1 measuring along the horizontal
    direction, and scale with the square of the running speed.
    Per-sensor parameters are tuples with one entry per sensor (4).

    Parameters
    ----------
    seconds
        Recording duration per sensor (s); the last sample time is >= it.
    rpm
        Mean running speed (rev/min), in (0, 6000].
    rpm_wander
        Relative amplitude of the slow running-speed wander, in [0, 0.2].
    sample_periods
        Nominal sample period of each sensor (s).
    jitter
        Relative standard deviation of the per-sample timing jitter, in
        [0, 0.15] (truncated at +-0.45 periods, so time stays increasing).
    unbalance
        Severity of the added unbalance (``type1``/``type3``), 1 = default.
    looseness
        Severity of the looseness (``type2``/``type3``), 1 = default.
    noise
        Broadband noise level relative to ``noise_rms``.
    reference_rpm
        Running speed at which the amplitude parameters are specified.
    residual_unbalance
        1x amplitude of the healthy machine's residual unbalance (m/s^2).
    residual_misalignment
        2x amplitude of the healthy machine's residual misalignment (m/s^2).
    unbalance_accel
        1x amplitude added by the unbalance fault at severity 1 (m/s^2).
    support_anisotropy
        Vertical/horizontal response ratio of the bearing support (the
        unbalance orbit is an ellipse), in (0, 2].
    loose_direction_deg
        Direction in which the loose support moves (deg; 0 = horizontal,
        90 = vertical).
    loose_cross_coupling
        Fraction of the looseness response seen by a sensor perpendicular to
        the loose direction, in [0, 1].
    liftoff_threshold_um
        Preload deflection: the support lifts off when its drive exceeds it (um).
    liftoff_compliance
        Extra compliance of the lifted support (lift per unit of drive above
        the threshold, dimensionless).
    clearance_um
        Maximum lift of the support (bolt clearance, um).
    rocking_um
        Amplitude of the rocking motion that repeats every two revolutions (um).
    contact_smoothing_um
        Width over which contact is made or lost (um); > 0.
    impact_gain
        Peak acceleration of the impact ringing per unit approach velocity
        ((m/s^2) / (mm/s)).
    noise_rms
        Standard deviation of the white sensor noise at ``noise=1`` (m/s^2).
    bandwidth_hz
        Anti-alias bandwidth of the acquisition: harmonic terms are
        attenuated by a 4th-order Butterworth magnitude above it (Hz).
    sensor_angles_deg
        Measuring direction of each accelerometer (deg).
    sensor_gains
        Gain of each sensor path (dimensionless).
    sensor_offsets
        DC offset of each sensor (m/s^2).
    resonance_hz
        Natural frequency of the structural mode seen by each sensor (Hz).
    damping_ratio
        Damping ratio of that mode, in (0, 1).
    """

    __test__ = False  # not a pytest test class despite its name

    # --- recording -------------------------------------------------------------
    seconds: float = 140.0  # recording duration per sensor (s)
    rpm: float = 1800.0  # mean running speed (rev/min)
    rpm_wander: float = 0.01  # relative amplitude of slow speed wander
    sample_periods: tuple[float, float, float, float] = (0.000736, 0.000760, 0.000714, 0.000761)
    jitter: float = 0.02  # relative std of per-sample timing jitter
    # --- severities ------------------------------------------------------------
    unbalance: float = 1.0  # severity of the added unbalance (type1/type3)
    looseness: float = 1.0  # severity of the looseness (type2/type3)
    noise: float = 1.0  # broadband noise level relative to noise_rms
    # --- machine ---------------------------------------------------------------
    reference_rpm: float = 1800.0  # speed at which amplitudes are specified (rev/min)
    residual_unbalance: float = 0.35  # healthy 1x amplitude at reference speed (m/s^2)
    residual_misalignment: float = 0.08  # healthy 2x amplitude at reference speed (m/s^2)
    unbalance_accel: float = 2.0  # 1x added by unbalance=1 at reference speed (m/s^2)
    support_anisotropy: float = 0.7  # vertical / horizontal support response
    # --- looseness -------------------------------------------------------------
    loose_direction_deg: float = 90.0  # direction of the loose support (deg, 90 = vertical)
    loose_cross_coupling: float = 0.15  # looseness seen perpendicular to its direction
    liftoff_threshold_um: float = 1.0  # preload deflection before lift-off (um)
    liftoff_compliance: float = 3.0  # lift per unit of drive above threshold
    clearance_um: float = 9.0  # maximum lift of the support (um)
    rocking_um: float = 3.5  # two-revolution rocking amplitude (um)
    contact_smoothing_um: float = 0.5  # width of the contact transition (um)
    impact_gain: float = 1.0  # ringing peak per approach velocity ((m/s^2)/(mm/s))
    # --- sensors ---------------------------------------------------------------
    noise_rms: float = 0.15  # white sensor noise std at noise=1 (m/s^2)
    bandwidth_hz: float = 500.0  # anti-alias bandwidth of the acquisition (Hz)
    sensor_angles_deg: tuple[float, float, float, float] = (0.0, 90.0, 0.0, 90.0)
    sensor_gains: tuple[float, float, float, float] = (1.0, 0.85, 1.15, 0.9)
    sensor_offsets: tuple[float, float, float, float] = (0.05, -0.03, 0.08, -0.06)
    resonance_hz: tuple[float, float, float, float] = (240.0, 290.0, 260.0, 330.0)
    damping_ratio: tuple[float, float, float, float] = (0.05, 0.06, 0.04, 0.05)

    def __post_init__(self) -> None:
        s = self._check_scalar
        s("seconds", lo=0.0, hi=_MAX_SECONDS, lo_open=True, what=f"in (0, {_MAX_SECONDS:g}] s")
        s("rpm", lo=0.0, hi=_MAX_RPM, lo_open=True, what=f"in (0, {_MAX_RPM:g}] rev/min")
        s("rpm_wander", lo=0.0, hi=0.2, what="in [0, 0.2]")
        s("jitter", lo=0.0, hi=0.15, what="in [0, 0.15] (relative to the sample period)")
        for name in ("unbalance", "looseness", "noise"):
            s(name, lo=0.0, hi=100.0, what="in [0, 100]")
        s("reference_rpm", lo=0.0, hi=_MAX_RPM, lo_open=True, what=f"in (0, {_MAX_RPM:g}]")
        for name in ("residual_unbalance", "residual_misalignment", "unbalance_accel"):
            s(name, lo=0.0, hi=1000.0, what="in [0, 1000] m/s^2")
        s("support_anisotropy", lo=0.0, hi=2.0, lo_open=True, what="in (0, 2]")
        s("loose_direction_deg", what="a finite angle in degrees")
        s("loose_cross_coupling", lo=0.0, hi=1.0, what="in [0, 1]")
        s("liftoff_threshold_um", lo=-1000.0, hi=1000.0, what="in [-1000, 1000] um")
        s("liftoff_compliance", lo=0.0, hi=100.0, what="in [0, 100]")
        s("clearance_um", lo=0.0, hi=1000.0, lo_open=True, what="in (0, 1000] um")
        s("rocking_um", lo=0.0, hi=1000.0, what="in [0, 1000] um")
        s("contact_smoothing_um", lo=0.0, hi=100.0, lo_open=True, what="in (0, 100] um")
        s("impact_gain", lo=0.0, hi=1000.0, what="in [0, 1000] (m/s^2)/(mm/s)")
        s("noise_rms", lo=0.0, hi=1000.0, what="in [0, 1000] m/s^2")
        s("bandwidth_hz", lo=0.0, hi=1e6, lo_open=True, what="in (0, 1e6] Hz")

        v = self._check_vector
        v("sample_periods", lo=1e-6, hi=0.01, what="4 sample periods in [1e-6, 0.01] s")
        v("sensor_angles_deg", what="4 finite angles in degrees")
        v("sensor_gains", lo=0.0, hi=1000.0, what="4 gains in [0, 1000]")
        v("sensor_offsets", lo=-1000.0, hi=1000.0, what="4 offsets in [-1000, 1000] m/s^2")
        v("resonance_hz", lo=1.0, hi=1e5, what="4 natural frequencies in [1, 1e5] Hz")
        v("damping_ratio", lo=1e-4, hi=0.99, what="4 damping ratios in [1e-4, 0.99]")

    # -- validation helpers ---------------------------------------------------------
    def _fail(self, name: str, value: Any, what: str) -> None:
        raise ParameterError(f"TestbedConfig.{name} must be {what}, got {value!r}")

    def _as_real(self, name: str, value: Any, what: str) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
            self._fail(name, value, what)
        x = float(value)
        if not math.isfinite(x):
            self._fail(name, value, what)
        return x

    def _check_scalar(
        self,
        name: str,
        *,
        lo: float = -math.inf,
        hi: float = math.inf,
        lo_open: bool = False,
        what: str,
    ) -> None:
        value = getattr(self, name)
        x = self._as_real(name, value, what)
        if x < lo or x > hi or (lo_open and x == lo):
            self._fail(name, value, what)
        object.__setattr__(self, name, x)

    def _check_vector(
        self, name: str, *, lo: float = -math.inf, hi: float = math.inf, what: str
    ) -> None:
        value = getattr(self, name)
        if isinstance(value, str | bytes) or not isinstance(value, Sequence | np.ndarray):
            self._fail(name, value, what)
        if len(value) != N_SENSORS:
            self._fail(name, value, what)
        xs = tuple(self._as_real(name, x, what) for x in value)
        if any(x < lo or x > hi for x in xs):
            self._fail(name, value, what)
        object.__setattr__(self, name, xs)


# ----------------------------------------------------------------------------------
# Random draws and derived model quantities
# ----------------------------------------------------------------------------------
