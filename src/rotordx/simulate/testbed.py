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
from typing import Any

import numpy as np

from rotordx.classes import KAMP_CLASSES
from rotordx.exceptions import ParameterError
from rotordx.io.kamp import N_SENSORS
from rotordx.simulate._model import (
    Model,
    angle_at,
    build_model,
    speed_at,
    time_of_angle,
)
from rotordx.simulate.config import TestbedConfig

__all__ = [
    "running_speed",
    "shaft_angle",
    "simulate_class",
    "simulate_testbed",
]

# Internal constants of the numerical method (not physical parameters).

_N_HALF_ORDERS = 20  # half-orders 0.5x, 1x, ..., 10x in the harmonic series
_CHUNK = 32768  # samples evaluated at once (bounds memory)
_JITTER_CLIP = 0.45  # timing jitter is truncated at +-0.45 sample periods


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


def _impact_schedule(
    model: Model, cls: int, t_lo: float, t_hi: float
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
    th_lo, th_hi = angle_at(model, np.array([t_lo - margin, t_hi]))
    cycles = np.arange(math.floor(th_lo / (4.0 * np.pi)) - 1, math.ceil(th_hi / (4.0 * np.pi)) + 1)
    target = (cycles[:, None] * 4.0 * np.pi + angles[None, :]).ravel()
    slope = np.broadcast_to(slopes, (cycles.size, slopes.size)).ravel()
    keep = (target >= th_lo) & (target <= th_hi)
    target, slope = target[keep], slope[keep]
    order = np.argsort(target)
    target, slope = target[order], slope[order]
    t_imp = time_of_angle(model, target)
    # approach velocity (m/s) = omega * |d drive / d phi|; amplitude in m/s^2
    velocity_mm_s = 2.0 * np.pi * speed_at(model, t_imp) * slope * 1e3
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
    model = build_model(config, seed)
    return speed_at(model, _check_times(t, "t"))


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
    model = build_model(config, seed)
    return angle_at(model, _check_times(t, "t"))


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


def _deterministic(model: Model, t: np.ndarray, sensor: int) -> np.ndarray:
    """Noise-free acceleration (m/s^2) of one sensor at times ``t``, all classes: (n, 4)."""
    cfg = model.config
    out = np.empty((t.size, len(KAMP_CLASSES)))
    coeffs = model.coeffs[sensor]
    f_n = cfg.resonance_hz[sensor]
    zeta = cfg.damping_ratio[sensor]
    active = [np.nonzero(coeffs[k])[0] for k in range(_N_HALF_ORDERS)]
    for start in range(0, t.size, _CHUNK):
        tc = t[start : start + _CHUNK]
        oc = out[start : start + tc.size]
        oc[:] = 0.0
        f_r = speed_at(model, tc)
        half = np.exp(0.5j * angle_at(model, tc))  # e^{i theta / 2}
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
    for cls in range(len(KAMP_CLASSES)):
        if t.size == 0:
            break
        t_imp, amp = _impact_schedule(model, cls, float(t.min()), float(t.max()))
        if t_imp.size:
            out[:, cls] += _ring(t, t_imp, amp * model.loose_coupling[sensor], f_n, zeta)
    out += cfg.sensor_offsets[sensor]
    return out


def _noise(model: Model, sensor: int, cls: int, n: int) -> np.ndarray:
    cfg = model.config
    rng = np.random.default_rng(model.noise_seeds[sensor * len(KAMP_CLASSES) + cls])
    return rng.standard_normal(n) * (cfg.noise * cfg.noise_rms)


def _sensor_times(model: Model, sensor: int) -> np.ndarray:
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
        ``time, normal, type1, type2, type3`` (:data:`KAMP_CLASSES`). ``time``
        starts at exactly 0.0, is strictly increasing with the sensor's own
        jittered sample period and ends at or after ``config.seconds``;
        the other columns are accelerations in m/s^2.

    Raises
    ------
    ParameterError
        If ``config`` or ``seed`` is invalid.
    """
    model = build_model(config, seed)
    result = []
    for s in range(N_SENSORS):
        t = _sensor_times(model, s)
        data = np.empty((t.size, 1 + len(KAMP_CLASSES)))
        data[:, 0] = t
        data[:, 1:] = _deterministic(model, t, s)
        for c in range(len(KAMP_CLASSES)):
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
        One of :data:`KAMP_CLASSES`.
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
    if fault not in KAMP_CLASSES:
        raise ParameterError(f"fault must be one of {', '.join(KAMP_CLASSES)}, got {fault!r}")
    cls = KAMP_CLASSES.index(fault)
    model = build_model(config, seed)
    t = _check_times(times, "times")
    out = np.empty((t.size, N_SENSORS))
    for s in range(N_SENSORS):
        out[:, s] = _deterministic(model, t, s)[:, cls] + _noise(model, s, cls, t.size)
    return out
