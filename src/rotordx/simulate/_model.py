"""The simulator's physical model, built once from a config and a seed (private).

Speed wander, harmonic coefficients of every sensor and machine state, the
looseness waveform and the random sub-streams: everything
:mod:`rotordx.simulate.testbed` evaluates at the sensors' sample times.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from rotordx.classes import KAMP_CLASSES
from rotordx.exceptions import ParameterError
from rotordx.io.kamp import N_SENSORS
from rotordx.simulate.config import TestbedConfig

_N_HALF_ORDERS = 20  # half-orders 0.5x, 1x, ..., 10x in the harmonic series
_TAPER_FROM = 10  # looseness harmonics above 5x are faded out towards 10x
_ANGLE_GRID = 4096  # points per two revolutions for the looseness waveform
_WANDER_COMPONENTS = 3  # sinusoids in the speed-wander process
_WANDER_PERIODS = (15.0, 60.0)  # s, range of the wander periods


@dataclass(frozen=True)
class Model:
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


def check_seed(seed: Any) -> int:
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ParameterError(f"seed must be a non-negative integer, got {seed!r}")
    return int(seed)


def resolve(config: TestbedConfig | None) -> TestbedConfig:
    if config is None:
        return TestbedConfig()
    if not isinstance(config, TestbedConfig):
        raise ParameterError(f"config must be a TestbedConfig or None, got {type(config).__name__}")
    return config


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


def build_model(config: TestbedConfig | None, seed: Any) -> Model:
    cfg = resolve(config)
    seed = check_seed(seed)
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

    coeffs = np.zeros((N_SENSORS, _N_HALF_ORDERS, len(KAMP_CLASSES)), dtype=np.complex128)
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
    model = Model(
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
        noise_seeds=tuple(ss_noise.spawn(N_SENSORS * len(KAMP_CLASSES))),
    )
    return model


# ----------------------------------------------------------------------------------
# Running speed and shaft angle
# ----------------------------------------------------------------------------------


def speed_at(model: Model, t: np.ndarray) -> np.ndarray:
    arg = 2.0 * np.pi * np.multiply.outer(t, model.wander_freq) + model.wander_phase
    return model.f0 * (1.0 + np.sin(arg) @ model.wander_amp)


def angle_at(model: Model, t: np.ndarray) -> np.ndarray:
    w = 2.0 * np.pi * model.wander_freq
    arg = np.multiply.outer(t, w) + model.wander_phase
    integral = (np.cos(model.wander_phase) - np.cos(arg)) @ (model.wander_amp / w)
    return model.theta0 + 2.0 * np.pi * model.f0 * (t + integral)


def time_of_angle(model: Model, target: np.ndarray) -> np.ndarray:
    """Invert the (strictly increasing) shaft angle by Newton iterations."""
    t = (target - model.theta0) / (2.0 * np.pi * model.f0)
    for _ in range(8):
        t = t - (angle_at(model, t) - target) / (2.0 * np.pi * speed_at(model, t))
    return t
