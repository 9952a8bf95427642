"""Physics-based simulator of the KAMP rotor testbed.

The original KAMP recordings are not available, so rotordx generates
signals with the same layout from a small, documented physical model
(see ``docs/simulator.md`` for the equations):

* a shaft turning at a slowly wandering running speed ``f_r(t)``; every
  rotating source is a function of the shaft angle ``theta(t)``, so all
  harmonics stay locked to the speed;
* a healthy machine: residual unbalance (1x), residual misalignment (2x),
  broadband sensor noise and a per-sensor DC offset;
* mass unbalance (``type1``): a rotating centrifugal force ``m e omega^2``
  seen coherently by all sensors through an anisotropic support;
* mechanical looseness (``type2``): a loose support that lifts off its base
  (one-sided, clearance-limited and therefore non-linear), rocks with a
  period of two revolutions and hits the base once per revolution, ringing
  each sensor's structural resonance;
* both faults together (``type3``): the looseness non-linearity is driven by
  the larger unbalance motion, so lift-off and impacts are stronger.

The periodic part is evaluated analytically at every sensor's own jittered
sample times as a sum of half-order harmonics of ``theta(t)``; impacts are
evaluated exactly as a sum of decaying sinusoids started at the impact
times.  Everything is deterministic given the seed; independent random
sub-streams (``numpy.random.SeedSequence.spawn``) are used for the speed
wander, the timing jitter, the healthy machine, the unbalance, the
looseness and the noise of each sensor and class, so changing e.g. the
looseness severity never changes the ``normal`` column.

Units: time in s, accelerations in m/s^2, frequencies in Hz.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from rotordx.exceptions import ParameterError
from rotordx.io.kamp import CLASSES, N_SENSORS

__all__ = [
    "CLASSES",
    "N_SENSORS",
    "TestbedConfig",
    "running_speed",
    "shaft_angle",
    "simulate_class",
    "simulate_testbed",
]


# Internal constants of the numerical method (not physical parameters).
_N_HALF_ORDERS = 20  # half-orders 0.5x, 1x, ..., 10x in the harmonic series
_TAPER_FROM = 10  # looseness harmonics above 5x are faded out towards 10x
_ANGLE_GRID = 4096  # points per two revolutions for the looseness waveform
_CHUNK = 32768  # samples evaluated at once (bounds memory)
_JITTER_CLIP = 0.45  # timing jitter is truncated at +-0.45 sample periods
_WANDER_COMPONENTS = 3  # sinusoids in the speed-wander process
_WANDER_PERIODS = (15.0, 60.0)  # s, range of the wander periods
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


@dataclass(frozen=True)
class _Model:
    """Everything needed to evaluate the signals, derived from config and seed."""

    config: TestbedConfig
    f0: float  # mean running speed (Hz)
    theta0: float  # shaft angle at t = 0 (rad)
    wander_amp: np.ndarray  # (K,) relative amplitudes of the wander sinusoids
    wander_freq: np.ndarray  # (K,) their frequencies (Hz)
    wander_phase: np.ndarray  # (K,) their phases (rad)
    coeffs: np.ndarray  # (sensors, half-orders, classes) complex displacement (m)
    contacts: tuple[tuple[np.ndarray, np.ndarray], ...]  # per class: landing angles, slopes
    loose_coupling: np.ndarray  # (sensors,) gain * direction factor for looseness
    timing_seeds: tuple[np.random.SeedSequence, ...]  # per sensor
    noise_seeds: tuple[np.random.SeedSequence, ...]  # per sensor * class


def _check_seed(seed: Any) -> int:
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ParameterError(f"seed must be a non-negative integer, got {seed!r}")
    return int(seed)


def _resolve(config: TestbedConfig | None) -> TestbedConfig:
    if config is None:
        return TestbedConfig()
    if not isinstance(config, TestbedConfig):
        raise ParameterError(f"config must be a TestbedConfig or None, got {type(config).__name__}")
    return config


def _check_times(t: Any, name: str) -> np.ndarray:
    try:
        arr = np.asarray(t, dtype=np.float64)
    except (TypeError, ValueError):
        raise ParameterError(
            f"{name} must be a 1-D array of finite times in s, got {t!r}"
        ) from None
    if arr.ndim != 1 or not np.all(np.isfinite(arr)):
        raise ParameterError(
            f"{name} must be a 1-D array of finite times in s, got shape {arr.shape}"
        )
    return arr


def _projector(angle_rad: float, anisotropy: float) -> complex:
    """Projection of a forward-whirling displacement phasor onto a direction.

    A phasor ``U`` describes the orbit ``x = Re(U e^{i phi})`` (horizontal),
    ``y = kappa Re(-i U e^{i phi})`` (vertical); a sensor at angle ``a``
    measures ``x cos a + y sin a = Re(U P(a) e^{i phi})``.
    """
    return complex(math.cos(angle_rad), -anisotropy * math.sin(angle_rad))


def _soft_clip(x: np.ndarray, upper: float, width: float) -> np.ndarray:
    """Smooth version of ``clip(x, 0, upper)`` with transition width ``width``."""
    return width * (np.logaddexp(0.0, x / width) - np.logaddexp(0.0, (x - upper) / width))


def _looseness_waveform(
    cfg: TestbedConfig, u_loose: complex, rock_phase: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Looseness displacement over two revolutions and its re-contact points.

    Parameters
    ----------
    cfg
        Configuration.
    u_loose
        Phasor (m) of the unbalance displacement along the loose direction.
    rock_phase
        Phase of the two-revolution rocking (rad).

    Returns
    -------
    coeffs
        Complex half-order coefficients ``L_h``, h = 1..20 (m), of the looseness
        displacement ``l(phi) = sum_h Re(L_h e^{i h phi / 2})`` at severity 1.
    contact_angles
        Shaft angles in [0, 4 pi) at which the support lands on its base.
    contact_slopes
        ``|d drive / d phi|`` at those angles (m/rad).
    """
    n = _ANGLE_GRID
    phi = np.arange(n) * (4.0 * np.pi / n)
    um = 1e-6
    rock = cfg.rocking_um * um * np.cos(0.5 * phi + rock_phase)
    drive = np.real(u_loose * np.exp(1j * phi)) + rock
    lift = cfg.liftoff_compliance * _soft_clip(
        drive - cfg.liftoff_threshold_um * um,
        cfg.clearance_um * um,
        cfg.contact_smoothing_um * um,
    )
    wave = rock + lift
    spec = np.fft.rfft(wave) * (2.0 / n)
    coeffs = spec[1 : _N_HALF_ORDERS + 1].copy()

    # Landing: the drive falls through the threshold (cyclic downward crossing).
    level = drive - cfg.liftoff_threshold_um * um
    nxt = np.roll(level, -1)
    idx = np.nonzero((level >= 0.0) & (nxt < 0.0))[0]
    frac = level[idx] / (level[idx] - nxt[idx])
    dphi = 4.0 * np.pi / n
    angles = (idx + frac) * dphi
    slopes = np.abs(nxt[idx] - level[idx]) / dphi
    return coeffs, angles, slopes


def _build_model(config: TestbedConfig | None, seed: Any) -> _Model:
    cfg = _resolve(config)
    seed = _check_seed(seed)
    ss_speed, ss_timing, ss_healthy, ss_unb, ss_loose, ss_noise = np.random.SeedSequence(
        seed
    ).spawn(6)

    rng = np.random.default_rng(ss_speed)
    theta0 = float(rng.uniform(0.0, 2.0 * np.pi))
    k = _WANDER_COMPONENTS
    amp = rng.uniform(0.5, 1.0, k)
    amp *= cfg.rpm_wander / amp.sum()  # |wander| <= rpm_wander everywhere
    freq = 1.0 / rng.uniform(*_WANDER_PERIODS, k)
    phase = rng.uniform(0.0, 2.0 * np.pi, k)

    rng = np.random.default_rng(ss_healthy)
    ph_res, ph_mis = rng.uniform(0.0, 2.0 * np.pi, 2)
    rng = np.random.default_rng(ss_unb)
    ph_unb = float(rng.uniform(0.0, 2.0 * np.pi))
    rng = np.random.default_rng(ss_loose)
    ph_rock = float(rng.uniform(0.0, 2.0 * np.pi))

    # Displacement phasors (m): acceleration amplitude at the reference speed
    # divided by (order * omega_ref)^2 -- mass-controlled response, so the
    # acceleration grows with the square of the speed.
    w_ref = 2.0 * np.pi * cfg.reference_rpm / 60.0
    u_res = cfg.residual_unbalance / w_ref**2 * np.exp(1j * ph_res)
    u_add = cfg.unbalance * cfg.unbalance_accel / w_ref**2 * np.exp(1j * ph_unb)
    m_res = cfg.residual_misalignment / (2.0 * w_ref) ** 2 * np.exp(1j * ph_mis)

    kappa = cfg.support_anisotropy
    a_loose = math.radians(cfg.loose_direction_deg)
    p_loose = _projector(a_loose, kappa)
    loose2, ang2, slope2 = _looseness_waveform(cfg, u_res * p_loose, ph_rock)
    loose3, ang3, slope3 = _looseness_waveform(cfg, (u_res + u_add) * p_loose, ph_rock)
    h = np.arange(1, _N_HALF_ORDERS + 1)
    taper = np.where(
        h <= _TAPER_FROM,
        1.0,
        0.5 * (1.0 + np.cos(np.pi * (h - _TAPER_FROM) / (_N_HALF_ORDERS - _TAPER_FROM + 1))),
    )
    loose2 = loose2 * taper * cfg.looseness
    loose3 = loose3 * taper * cfg.looseness

    coeffs = np.zeros((N_SENSORS, _N_HALF_ORDERS, len(CLASSES)), dtype=np.complex128)
    coupling = np.empty(N_SENSORS)
    for s in range(N_SENSORS):
        a_s = math.radians(cfg.sensor_angles_deg[s])
        g_s = cfg.sensor_gains[s]
        p_s = g_s * _projector(a_s, kappa)
        rel = a_s - a_loose
        coupling[s] = g_s * (math.cos(rel) + cfg.loose_cross_coupling * abs(math.sin(rel)))
        healthy = np.zeros(_N_HALF_ORDERS, dtype=np.complex128)
        healthy[1] = u_res * p_s  # 1x
        healthy[3] = m_res * p_s  # 2x
        unb = np.zeros(_N_HALF_ORDERS, dtype=np.complex128)
        unb[1] = u_add * p_s
        coeffs[s, :, 0] = healthy
        coeffs[s, :, 1] = healthy + unb
        coeffs[s, :, 2] = healthy + coupling[s] * loose2
        coeffs[s, :, 3] = healthy + unb + coupling[s] * loose3

    impacts = cfg.looseness > 0.0 and cfg.impact_gain > 0.0
    model = _Model(
        config=cfg,
        f0=cfg.rpm / 60.0,
        theta0=theta0,
        wander_amp=amp,
        wander_freq=freq,
        wander_phase=phase,
        coeffs=coeffs,
        contacts=(
            (np.empty(0), np.empty(0)),  # normal: no looseness, no impacts
            (np.empty(0), np.empty(0)),  # type1
            (ang2, slope2) if impacts else (np.empty(0), np.empty(0)),
            (ang3, slope3) if impacts else (np.empty(0), np.empty(0)),
        ),
        loose_coupling=coupling,
        timing_seeds=tuple(ss_timing.spawn(N_SENSORS)),
        noise_seeds=tuple(ss_noise.spawn(N_SENSORS * len(CLASSES))),
    )
    return model


# ----------------------------------------------------------------------------------
# Running speed and shaft angle
# ----------------------------------------------------------------------------------


def _speed(model: _Model, t: np.ndarray) -> np.ndarray:
    arg = 2.0 * np.pi * np.multiply.outer(t, model.wander_freq) + model.wander_phase
    return model.f0 * (1.0 + np.sin(arg) @ model.wander_amp)


def _angle(model: _Model, t: np.ndarray) -> np.ndarray:
    w = 2.0 * np.pi * model.wander_freq
    arg = np.multiply.outer(t, w) + model.wander_phase
    integral = (np.cos(model.wander_phase) - np.cos(arg)) @ (model.wander_amp / w)
    return model.theta0 + 2.0 * np.pi * model.f0 * (t + integral)


def _time_of_angle(model: _Model, target: np.ndarray) -> np.ndarray:
    """Invert the (strictly increasing) shaft angle by Newton iterations."""
    t = (target - model.theta0) / (2.0 * np.pi * model.f0)
    for _ in range(8):
        t = t - (_angle(model, t) - target) / (2.0 * np.pi * _speed(model, t))
    return t


def _impact_schedule(
    model: _Model, cls: int, t_lo: float, t_hi: float
) -> tuple[np.ndarray, np.ndarray]:
    """Landing times in ``[t_lo - margin, t_hi]`` and their impact amplitudes (gain 1).

    The margin (ten decay times of the slowest ring) makes the ringing at
    ``t_lo`` independent of where the schedule starts, to within e^-10.
    """
    cfg = model.config
    angles, slopes = model.contacts[cls]
    if angles.size == 0:
        return np.empty(0), np.empty(0)
    # start early enough that the slowest-decaying ring has settled at t_lo
    sigma_min = min(
        2.0 * np.pi * z * f for z, f in zip(cfg.damping_ratio, cfg.resonance_hz, strict=True)
    )
    margin = 10.0 / sigma_min
    th_lo, th_hi = _angle(model, np.array([t_lo - margin, t_hi]))
    cycles = np.arange(math.floor(th_lo / (4.0 * np.pi)) - 1, math.ceil(th_hi / (4.0 * np.pi)) + 1)
    target = (cycles[:, None] * 4.0 * np.pi + angles[None, :]).ravel()
    slope = np.broadcast_to(slopes, (cycles.size, slopes.size)).ravel()
    keep = (target >= th_lo) & (target <= th_hi)
    target, slope = target[keep], slope[keep]
    order = np.argsort(target)
    target, slope = target[order], slope[order]
    t_imp = _time_of_angle(model, target)
    # approach velocity (m/s) = omega * |d drive / d phi|; amplitude in m/s^2
    velocity_mm_s = 2.0 * np.pi * _speed(model, t_imp) * slope * 1e3
    amp = cfg.looseness * cfg.impact_gain * velocity_mm_s
    return t_imp, amp


def running_speed(
    config: TestbedConfig | None = None, *, t: np.ndarray, seed: int = 0
) -> np.ndarray:
    """Return the true running speed of the shaft.

    ``f_r(t) = rpm / 60 * (1 + w(t))`` where ``w`` is a sum of three slow
    sinusoids (periods 15-60 s, random phases) whose amplitudes add up to
    ``rpm_wander``, so ``|w(t)| <= rpm_wander``.

    Parameters
    ----------
    config
        Testbed configuration; ``None`` uses the defaults.
    t
        Times (s), 1-D.
    seed
        Seed of the realisation (same meaning as in :func:`simulate_testbed`).

    Returns
    -------
    numpy.ndarray
        Running speed in Hz at ``t``, float64, same shape as ``t``.
    """
    model = _build_model(config, seed)
    return _speed(model, _check_times(t, "t"))


def shaft_angle(config: TestbedConfig | None = None, *, t: np.ndarray, seed: int = 0) -> np.ndarray:
    """Return the unwrapped shaft angle ``theta(t) = theta0 + 2 pi int_0^t f_r``.

    Parameters
    ----------
    config
        Testbed configuration; ``None`` uses the defaults.
    t
        Times (s), 1-D.
    seed
        Seed of the realisation (same meaning as in :func:`simulate_testbed`).

    Returns
    -------
    numpy.ndarray
        Shaft angle in rad at ``t`` (unwrapped, float64). All rotating
        sources are functions of it: order ``k`` has phase ``k * theta``.
    """
    model = _build_model(config, seed)
    return _angle(model, _check_times(t, "t"))


# ----------------------------------------------------------------------------------
# Signal evaluation
# ----------------------------------------------------------------------------------


def _ring(t: np.ndarray, t_imp: np.ndarray, amp: np.ndarray, f_n: float, zeta: float) -> np.ndarray:
    """Sum of zero-mean decaying sinusoids ``A e^{-s tau} cos(w_d tau + g)``, tau = t - t_j.

    Evaluated exactly with a recursive state: with ``p = -s + i w_d``,
    ``S_j = sum_{i <= j} A_i e^{p (t_j - t_i)}`` and the response at ``t`` is
    ``Re(e^{i g} S_j e^{p (t - t_j)})`` for the last impact ``j`` before ``t``.
    """
    out = np.zeros(t.shape)
    if t_imp.size == 0:
        return out
    w_n = 2.0 * np.pi * f_n
    sigma = zeta * w_n
    w_d = w_n * math.sqrt(1.0 - zeta * zeta)
    gamma = math.atan2(sigma, w_d)  # makes the integral of each ring zero
    p = complex(-sigma, w_d)
    decay = np.exp(p * np.diff(t_imp))
    state = np.empty(t_imp.size, dtype=np.complex128)
    acc = 0j
    for j in range(t_imp.size):
        acc = acc * (decay[j - 1] if j else 0.0) + amp[j]
        state[j] = acc
    j = np.searchsorted(t_imp, t, side="right") - 1
    valid = j >= 0
    jj = j[valid]
    out[valid] = np.real(np.exp(1j * gamma) * state[jj] * np.exp(p * (t[valid] - t_imp[jj])))
    return out


def _deterministic(model: _Model, t: np.ndarray, sensor: int) -> np.ndarray:
    """Noise-free acceleration (m/s^2) of one sensor at times ``t``, all classes: (n, 4)."""
    cfg = model.config
    out = np.empty((t.size, len(CLASSES)))
    coeffs = model.coeffs[sensor]
    f_n = cfg.resonance_hz[sensor]
    zeta = cfg.damping_ratio[sensor]
    active = [np.nonzero(coeffs[k])[0] for k in range(_N_HALF_ORDERS)]
    for start in range(0, t.size, _CHUNK):
        tc = t[start : start + _CHUNK]
        oc = out[start : start + tc.size]
        oc[:] = 0.0
        f_r = _speed(model, tc)
        half = np.exp(0.5j * _angle(model, tc))  # e^{i theta / 2}
        power = np.ones(tc.size, dtype=np.complex128)
        for k in range(_N_HALF_ORDERS):
            power *= half  # e^{i h theta / 2}, h = k + 1
            if active[k].size == 0:
                continue
            f = (0.5 * (k + 1)) * f_r  # instantaneous frequency of this order (Hz)
            r = f / f_n
            a = 1.0 - r * r  # path mode: 1 / (a + i b)
            b = (2.0 * zeta) * r
            q = f / cfg.bandwidth_hz
            q *= q
            q *= q
            # displacement -> acceleration, path magnitude, anti-alias magnitude
            mag = -((2.0 * np.pi * f) ** 2) / ((a * a + b * b) * np.sqrt(1.0 + q * q))
            re = mag * (a * power.real + b * power.imag)  # Re/Im of e^{ih theta/2} / (a + ib)
            im = mag * (a * power.imag - b * power.real)
            for c in active[k]:
                oc[:, c] += re * coeffs[k, c].real - im * coeffs[k, c].imag
    for cls in range(len(CLASSES)):
        if t.size == 0:
            break
        t_imp, amp = _impact_schedule(model, cls, float(t.min()), float(t.max()))
        if t_imp.size:
            out[:, cls] += _ring(t, t_imp, amp * model.loose_coupling[sensor], f_n, zeta)
    out += cfg.sensor_offsets[sensor]
    return out


def _noise(model: _Model, sensor: int, cls: int, n: int) -> np.ndarray:
    cfg = model.config
    rng = np.random.default_rng(model.noise_seeds[sensor * len(CLASSES) + cls])
    return rng.standard_normal(n) * (cfg.noise * cfg.noise_rms)


def _sensor_times(model: _Model, sensor: int) -> np.ndarray:
    cfg = model.config
    period = cfg.sample_periods[sensor]
    n = math.ceil(cfg.seconds / period) + 2
    t = np.arange(n) * period
    if cfg.jitter > 0.0:
        rng = np.random.default_rng(model.timing_seeds[sensor])
        jit = rng.standard_normal(n) * (cfg.jitter * period)
        np.clip(jit, -_JITTER_CLIP * period, _JITTER_CLIP * period, out=jit)
        jit[0] = 0.0
        t += jit
    return t


def simulate_testbed(config: TestbedConfig | None = None, *, seed: int = 0) -> list[np.ndarray]:
    """Simulate one recording group of the KAMP testbed.

    Parameters
    ----------
    config
        Testbed configuration; ``None`` uses the defaults (140 s at 1800 rpm).
    seed
        Non-negative integer; the output is a deterministic function of
        ``(config, seed)``.

    Returns
    -------
    list of numpy.ndarray
        One float64 array per sensor (4), shape ``(n_i, 5)`` with columns
        ``time, normal, type1, type2, type3`` (:data:`CLASSES`). ``time``
        starts at exactly 0.0, is strictly increasing with the sensor's own
        jittered sample period and ends at or after ``config.seconds``;
        the other columns are accelerations in m/s^2.

    Raises
    ------
    ParameterError
        If ``config`` or ``seed`` is invalid.
    """
    model = _build_model(config, seed)
    result = []
    for s in range(N_SENSORS):
        t = _sensor_times(model, s)
        data = np.empty((t.size, 1 + len(CLASSES)))
        data[:, 0] = t
        data[:, 1:] = _deterministic(model, t, s)
        for c in range(len(CLASSES)):
            data[:, 1 + c] += _noise(model, s, c, t.size)
        result.append(data)
    return result


def simulate_class(
    config: TestbedConfig | None = None,
    *,
    fault: str,
    times: np.ndarray,
    seed: int = 0,
) -> np.ndarray:
    """Simulate one class on all sensors at given (common) times.

    This is the lower-level entry point, e.g. to evaluate the model on a
    uniform grid. With ``times`` equal to a sensor's time column of
    :func:`simulate_testbed` (same config and seed), that sensor's column
    reproduces the testbed's values, noise included.

    Parameters
    ----------
    config
        Testbed configuration; ``None`` uses the defaults. ``seconds``,
        ``sample_periods`` and ``jitter`` are not used.
    fault
        One of :data:`CLASSES`.
    times
        Sample times (s), 1-D, shared by all sensors.
    seed
        Seed of the realisation.

    Returns
    -------
    numpy.ndarray
        Float64 array of shape ``(len(times), 4)``: acceleration (m/s^2) of
        sensors 1-4, including each sensor's white noise (drawn at these
        times) and offset.

    Raises
    ------
    ParameterError
        If ``fault`` is not a class name, or another argument is invalid.
    """
    if fault not in CLASSES:
        raise ParameterError(f"fault must be one of {', '.join(CLASSES)}, got {fault!r}")
    cls = CLASSES.index(fault)
    model = _build_model(config, seed)
    t = _check_times(times, "times")
    out = np.empty((t.size, N_SENSORS))
    for s in range(N_SENSORS):
        out[:, s] = _deterministic(model, t, s)[:, cls] + _noise(model, s, cls, t.size)
    return out
