"""The machines of a simulated fleet and the physics of their faults (``docs/simulator.md``).

A :class:`Machine` is drawn from the seed (:func:`draw_machine`): its drive
(2-pole or 4-pole induction motor on 50 or 60 Hz mains, or a variable-speed
drive), its rolling-element bearing, its wireless sensor (rate, units, noise)
and the structure that carries it (a resonance that bearing impacts ring, the
support's stiffness in each direction). :func:`synthesize` then gives one
snapshot of one machine state: three channels (horizontal, vertical, axial)
of acceleration in m/s^2.

Every signal is a sum of

* shaft orders ``k f_r`` and the electrical line at twice the mains
  frequency, written as velocity phasors (mm/s peak) and differentiated
  analytically: ``a(t) = Re(j 2 pi f V e^{j 2 pi f t}) / 1000``;
* impacts, each ringing the structural resonance ``f_n`` (damping ``zeta``)
  as ``A e^{-zeta w_n tau} sin(w_d tau)`` for ``tau >= 0``;
* the non-linear, one-sided motion of a loose support (looseness);
* white sensor noise.

Units: time in s, frequencies in Hz, accelerations in m/s^2, velocities in mm/s.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from rotordx.features.bearing import BearingGeometry, defect_frequencies

__all__ = [
    "CATALOGUE_NAMES",
    "CHANNELS",
    "DIRECTIONS",
    "FLEET_BEARINGS",
    "RATES",
    "G",
    "Machine",
    "bearing_label",
    "draw_machine",
    "synthesize",
]

#: Standard gravity (m/s^2): a signal in g is the acceleration divided by it.
G = 9.80665
#: Column names of the channels in a snapshot file and their measuring directions.
CHANNELS: tuple[str, ...] = ("x", "y", "z")
DIRECTIONS: tuple[str, ...] = ("horizontal", "vertical", "axial")
#: Sample rates of wireless condition-monitoring sensors (Hz).
RATES: tuple[int, ...] = (4096, 5120, 10240, 12800)
#: The drives, machine after machine (M01 is the first).
_KINDS = ("2-pole", "4-pole", "2-pole", "4-pole", "variable")

#: Deep-groove ball bearings of the fleet: balls, ball and pitch diameter (mm), contact angle 0.
#: 6205: the CWRU drive-end SKF 6205-2RS JEM (0.3126 in balls on a 1.537 in pitch, CWRU
#: Bearing Data Center). 6206, 6308, 6310: the ball complements tabulated for these sizes
#: (9 x 3/8 in, 8 x 19/32 in, 8 x 3/4 in) on the ISO 15 mean diameter (bore + OD) / 2.
#: UER204: the LDK UER204 insert bearing of the XJTU-SY run-to-failure data (8 balls of
#: 7.92 mm on 34.55 mm; Wang et al., IEEE Trans. Reliability 69 (2020) 401-412).
FLEET_BEARINGS: tuple[BearingGeometry, ...] = (
    BearingGeometry(9, 7.94, 39.04, 0.0, name="6205"),
    BearingGeometry(9, 9.525, 46.0, 0.0, name="6206"),
    BearingGeometry(8, 15.081, 65.0, 0.0, name="6308"),
    BearingGeometry(8, 19.05, 80.0, 0.0, name="6310"),
    BearingGeometry(8, 7.92, 34.55, 0.0, name="UER204"),
)
#: Bearing names a bearing catalogue knows; any other is written as its geometry.
CATALOGUE_NAMES: frozenset[str] = frozenset({"6205", "6206", "6308", "6310"})


def bearing_label(geometry: BearingGeometry) -> str:
    """The catalogue name of a bearing, or ``balls:d:D:angle`` when a catalogue does not know it.

    >>> bearing_label(FLEET_BEARINGS[0]), bearing_label(FLEET_BEARINGS[-1])
    ('6205', '8:7.92:34.55:0')
    """
    if geometry.name in CATALOGUE_NAMES:
        return geometry.name
    g = geometry
    return f"{g.n_balls}:{g.ball_diameter:g}:{g.pitch_diameter:g}:{g.contact_angle_deg:g}"


@dataclass(frozen=True)
class Machine:
    """One machine of the fleet (all drawn by :func:`draw_machine`).

    Attributes
    ----------
    id : str
        ``M01``, ``M02``…
    kind : str
        ``2-pole`` or ``4-pole`` induction motor on mains, or ``variable``
        (driven through a belt or a frequency converter).
    rpm : float
        Nominal running speed (rev/min).
    mains_hz : float
        Mains frequency (50 or 60 Hz).
    slip : float
        Nominal slip of an induction motor (0 for ``variable``).
    bearing : BearingGeometry
    fs : int
        Sample rate of the sensor (Hz).
    units : str
        ``g`` or ``m/s2``: the unit of the numbers in its files.
    speed_known : bool
        Whether the manifest gives its speed.
    resonance_hz, damping : float
        The structural mode that impacts ring.
    noise : float
        Standard deviation of the sensor's white noise (m/s^2).
    anisotropy : float
        Vertical / horizontal response of the support.
    loose_direction : int
        Channel (0 horizontal, 1 vertical) of a loose support's motion.
    residual_1x, residual_2x, electrical : float
        Healthy velocity amplitudes (mm/s peak, horizontal) at 1x and 2x, and
        of the electrical line at twice the mains frequency.
    impact_rate, impact_level : float
        Random impacts of a healthy bearing: mean rate (1/s) and mean peak (m/s^2).
    """

    id: str
    kind: str
    rpm: float
    mains_hz: float
    slip: float
    bearing: BearingGeometry
    fs: int
    units: str
    speed_known: bool
    resonance_hz: float
    damping: float
    noise: float
    anisotropy: float
    loose_direction: int
    residual_1x: float
    residual_2x: float
    electrical: float
    impact_rate: float
    impact_level: float

    @property
    def bearing_name(self) -> str:
        """What the manifest's ``bearing`` column says (:func:`bearing_label`)."""
        return bearing_label(self.bearing)

    @property
    def poles(self) -> int:
        """Poles of the induction motor (0 for a variable-speed drive)."""
        return {"2-pole": 2, "4-pole": 4}.get(self.kind, 0)


def draw_machine(index: int, seed: int) -> Machine:
    """Machine ``index`` (0 = ``M01``) of the fleet of ``seed``.

    The drive, the mains frequency, the units and whether the speed is known
    follow the machine's position (so every fleet of five or more machines
    has each kind); everything else is drawn from
    ``SeedSequence(seed, spawn_key=(index,))``, so a machine does not depend
    on how many machines or snapshots the fleet has.
    """
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(index,)))
    kind = _KINDS[index % len(_KINDS)]
    mains = 60.0 if index % 4 == 3 else 50.0
    if kind == "2-pole":
        slip = float(rng.uniform(0.0035, 0.007))
        rpm = 120.0 * mains / 2 * (1.0 - slip)
    elif kind == "4-pole":
        slip = float(rng.uniform(0.007, 0.03))
        rpm = 120.0 * mains / 4 * (1.0 - slip)
    else:
        slip = 0.0
        rpm = float(rng.uniform(900.0, 3600.0))
    fs = int(rng.choice(RATES))
    nyquist = fs / 2.0
    lo, hi = min(2000.0, 0.55 * nyquist), min(5000.0, 0.8 * nyquist)
    return Machine(
        id=f"M{index + 1:02d}",
        kind=kind,
        rpm=rpm,
        mains_hz=mains,
        slip=slip,
        bearing=FLEET_BEARINGS[int(rng.integers(len(FLEET_BEARINGS)))],
        fs=fs,
        units="m/s2" if index % 3 == 2 else "g",
        speed_known=index % 2 == 0,
        resonance_hz=float(rng.uniform(lo, hi)),
        damping=float(rng.uniform(0.02, 0.05)),
        noise=float(rng.uniform(0.02, 0.06)),
        anisotropy=float(rng.uniform(0.7, 1.0)),
        loose_direction=1 if rng.random() < 0.7 else 0,
        residual_1x=float(rng.uniform(0.4, 0.9)),
        residual_2x=float(rng.uniform(0.15, 0.35)),
        electrical=float(rng.uniform(0.15, 0.4)) * (0.5 if kind == "variable" else 1.0),
        impact_rate=float(rng.uniform(20.0, 60.0)),
        impact_level=float(rng.uniform(0.03, 0.1)),
    )


@dataclass
class _Scene:
    """What the parts of a snapshot share: its time axis, speed, orders and impacts."""

    machine: Machine
    n: int
    f_r: float  # shaft speed (Hz)
    mains: float  # grid frequency (Hz)
    theta0: float  # shaft angle at t = 0 (rad)
    orders: dict[float, np.ndarray] = field(default_factory=dict)  # order -> (3,) phasors
    extra: np.ndarray | None = None  # (3, n) time-domain parts (m/s^2)

    def add(self, part: np.ndarray) -> None:
        self.extra = part if self.extra is None else self.extra + part


def _phasor(rng: np.random.Generator, amplitude) -> np.ndarray:
    """Phasors of the given magnitudes with uniformly random phases."""
    a = np.asarray(amplitude, dtype=np.float64)
    return a * np.exp(1j * rng.uniform(0.0, 2.0 * np.pi, a.shape))


def _jitter(rng: np.random.Generator, n: int | None = None):
    """Snapshot-to-snapshot variation of an amplitude: a factor in [0.8, 1.2]."""
    return rng.uniform(0.8, 1.2, n)


def _lines(t: np.ndarray, freqs: list[float], phasors: list[np.ndarray]) -> np.ndarray:
    """Acceleration (m/s^2, (3, n)) of velocity lines: phasors in mm/s peak at ``freqs``."""
    out = np.zeros((3, t.size))
    for f, v in zip(freqs, phasors, strict=True):
        w = 2.0 * np.pi * f
        acc = 1j * w * v * 1e-3  # (3,) acceleration phasors
        rot = np.exp(1j * w * t)
        out += (acc[:, None] * rot[None, :]).real
    return out


def _ring(n: int, fs: float, times: np.ndarray, amps: np.ndarray, f_n: float, zeta: float):
    """Sum of decaying sinusoids ``A e^{-s tau} sin(w_d tau)``, ``tau = t - t_j >= 0`` ((n,))."""
    out = np.zeros(n)
    if times.size == 0:
        return out
    w_n = 2.0 * np.pi * f_n
    sigma = zeta * w_n
    w_d = w_n * math.sqrt(1.0 - zeta * zeta)
    length = math.ceil(9.2 / sigma * fs) + 1  # until e^-9.2 = 1e-4 of the peak
    start = np.ceil(times * fs).astype(np.int64)
    idx = start[:, None] + np.arange(length)[None, :]
    tau = idx / fs - times[:, None]
    vals = amps[:, None] * np.exp(-sigma * tau) * np.sin(w_d * tau)
    keep = (idx >= 0) & (idx < n)
    out += np.bincount(idx[keep], weights=vals[keep], minlength=n)
    return out


def _margin(m: Machine) -> float:
    """Time (s) before t = 0 from which impacts still ring into the snapshot."""
    return 9.2 / (m.damping * 2.0 * np.pi * m.resonance_hz)


def _periodic_times(rng, period: float, end: float, slip: float, start: float) -> np.ndarray:
    """Impact times from before ``start`` to ``end``: ``period`` with random ``slip`` jitter."""
    n = math.ceil((end - start) / period) + 2
    steps = period * (1.0 + np.clip(rng.normal(0.0, slip, n), -3 * slip, 3 * slip))
    return start - rng.uniform(0.0, period) + np.cumsum(steps)


def _load_zone(angle: np.ndarray) -> np.ndarray:
    """Stribeck's load distribution of a ball bearing with half its balls loaded: cos^1.5."""
    return np.clip(np.cos(angle), 0.0, None) ** 1.5


def _background(s: _Scene, rng: np.random.Generator) -> None:
    """A healthy machine: residual 1x/2x/3x, the electrical line, a healthy bearing's impacts."""
    m = s.machine
    v1 = m.residual_1x * _jitter(rng)
    one = v1 * np.array([1.0, m.anisotropy * 1j, 0.0]) * np.exp(1j * rng.uniform(0, 2 * np.pi))
    one[2] = _phasor(rng, 0.3 * v1 * _jitter(rng))
    s.orders[1.0] = one
    v2 = m.residual_2x * _jitter(rng, 3) * np.array([1.0, m.anisotropy, 0.5])
    s.orders[2.0] = _phasor(rng, v2)
    s.orders[3.0] = _phasor(rng, 0.3 * m.residual_2x * _jitter(rng, 3) * np.array([1, 1, 0.5]))
    # healthy bearing: impacts at random (Poisson) times, too weak and irregular to form lines
    start = -_margin(m)
    count = rng.poisson(m.impact_rate * (s.n / m.fs - start))
    times = np.sort(rng.uniform(start, s.n / m.fs, count))
    amps = rng.exponential(m.impact_level, count) * rng.choice([-1.0, 1.0], count)
    ring = _ring(s.n, m.fs, times, amps, m.resonance_hz, m.damping)
    s.add(np.array([1.0, 1.0, 0.3])[:, None] * ring[None, :])


def _unbalance(s: _Scene, rng: np.random.Generator) -> None:
    """Mass unbalance: a rotating force at 1x, seen 90 degrees apart horizontally and vertically."""
    m = s.machine
    v = rng.uniform(4.0, 8.0)
    lag = np.deg2rad(90.0 + rng.uniform(-15.0, 15.0))
    phase = np.exp(1j * rng.uniform(0, 2 * np.pi))
    axial = rng.uniform(0.05, 0.15) * v
    s.orders[1.0] = phase * np.array(
        [v, m.anisotropy * v * np.exp(1j * lag), axial * np.exp(1j * rng.uniform(0, 2 * np.pi))]
    )


def _misalignment(s: _Scene, rng: np.random.Generator) -> None:
    """Shaft misalignment: 2x at or above 1x radially, strong axial 1x and 2x."""
    m = s.machine
    v1 = rng.uniform(1.5, 3.0)
    v2 = v1 * rng.uniform(1.0, 1.6)
    radial = np.array([1.0, m.anisotropy, 0.0])
    one = _phasor(rng, v1 * radial)
    two = _phasor(rng, v2 * radial)
    one[2] = _phasor(rng, v1 * rng.uniform(0.6, 1.0))
    two[2] = _phasor(rng, v2 * rng.uniform(0.5, 0.9))
    s.orders[1.0], s.orders[2.0] = one, two
    s.orders[3.0] = _phasor(rng, 0.3 * v1 * _jitter(rng, 3) * np.array([1.0, 1.0, 0.5]))


def _looseness(s: _Scene, rng: np.random.Generator) -> None:
    """A loose support: one-sided, truncated motion repeating every two turns, and impacts.

    Drive ``u = cos(theta + phi) + rho cos(theta / 2 + psi)``: the residual
    unbalance force and a rocking that repeats every second turn. The support
    moves only while ``u > c`` (it lifts off its base), and no further than
    its clearance ``gap``: velocity ``V clip(u - c, 0, gap)``. It hits the
    base when ``u`` falls back through ``c`` and the bolt when ``u`` rises
    through ``c + gap`` (half as hard); each impact rings ``f_n``.
    """
    m = s.machine
    rho, phi, psi = rng.uniform(0.3, 0.6), rng.uniform(0, 2 * np.pi), rng.uniform(0, 2 * np.pi)
    c = rng.uniform(0.15, 0.45) * (1.0 + rho)
    grid = np.linspace(0.0, 4.0 * np.pi, 4096, endpoint=False)  # two turns: the full period
    drive = np.cos(grid + phi) + rho * np.cos(grid / 2 + psi)
    gap = rng.uniform(0.4, 0.7) * (float(drive.max()) - c)
    lift = np.clip(drive - c, 0.0, gap)
    v_peak = rng.uniform(2.5, 5.5) / float(np.std(lift))  # velocity RMS 2.5-5.5 mm/s
    w = 2.0 * np.pi * s.f_r
    pad = math.ceil(_margin(m) * m.fs)
    t = np.arange(-pad, s.n) / m.fs
    theta = s.theta0 + w * t
    u = np.cos(theta + phi) + rho * np.cos(theta / 2 + psi)
    du = v_peak * 1e-3 * -w * (np.sin(theta + phi) + 0.5 * rho * np.sin(theta / 2 + psi))
    moving = (u > c) & (u < c + gap)
    acc = du * moving  # m/s^2: the derivative of the one-sided, clipped velocity
    hard = rng.uniform(1.0, 3.0)
    times, amps = [], []
    for level, weight, falling in ((c, 1.0, True), (c + gap, 0.5, False)):
        above = u > level
        i = np.flatnonzero(above[:-1] & ~above[1:] if falling else ~above[:-1] & above[1:])
        frac = (u[i] - level) / (u[i] - u[i + 1])
        times.append(t[i] + frac / m.fs)
        amps.append(weight * hard * np.abs(du[i]) * _jitter(rng, i.size))
    ring = _ring(s.n, m.fs, np.concatenate(times), np.concatenate(amps), m.resonance_hz, m.damping)
    gains = np.empty(3)
    gains[m.loose_direction] = 1.0
    gains[1 - m.loose_direction] = rng.uniform(0.15, 0.3)
    gains[2] = rng.uniform(0.1, 0.2)
    s.add(gains[:, None] * (acc[pad:] + ring)[None, :])


def _bearing(s: _Scene, rng: np.random.Generator, defect: str) -> None:
    """A local defect: impacts at its defect frequency (1-2 % random slip) ringing ``f_n``.

    Outer race: constant impacts (the defect sits in the load zone). Inner
    race: the defect turns with the shaft through the load zone, so the
    impacts are modulated at 1x. Ball: the defect strikes the outer and the
    inner race once per ball spin each (2 x BSF, the inner contact weaker)
    and turns with the cage through the load zone (modulated at FTF).
    """
    m = s.machine
    freqs = defect_frequencies(s.f_r, m.bearing)
    end = s.n / m.fs
    slip = rng.uniform(0.01, 0.02)
    level = rng.uniform(0.5, 3.0)
    if defect == "outer_race":
        times = _periodic_times(rng, 1.0 / freqs["bpfo"], end, slip, -_margin(m))
        amps = level * _jitter(rng, times.size) ** 0.5
    elif defect == "inner_race":
        times = _periodic_times(rng, 1.0 / freqs["bpfi"], end, slip, -_margin(m))
        zone = _load_zone(s.theta0 + 2 * np.pi * s.f_r * times + rng.uniform(0, 2 * np.pi))
        amps = level * (0.1 + 0.9 * zone)
    else:
        times = _periodic_times(rng, 0.5 / freqs["bsf"], end, slip, -_margin(m))
        cage = 2 * np.pi * freqs["ftf"] * times + rng.uniform(0, 2 * np.pi)
        contact = np.where(np.arange(times.size) % 2 == 0, 1.0, 0.5)
        amps = level * contact * (0.2 + 0.8 * _load_zone(cage))
    ring = _ring(s.n, m.fs, times, amps, m.resonance_hz, m.damping)
    gains = np.array([rng.uniform(0.3, 0.6), 1.0, rng.uniform(0.2, 0.4)])  # load zone below
    s.add(gains[:, None] * ring[None, :])


_FAULTS = {"unbalance": _unbalance, "misalignment": _misalignment, "looseness": _looseness}


def synthesize(
    machine: Machine, label: str, *, seconds: float, rng: np.random.Generator
) -> tuple[np.ndarray, float, float]:
    """One snapshot of ``machine`` in state ``label``.

    Returns
    -------
    signals : np.ndarray [shape=(3, n)]
        Acceleration (m/s^2) in the horizontal, vertical and axial directions,
        ``n = round(seconds * machine.fs)``.
    f_r : float
        The shaft speed of this snapshot (Hz).
    mains : float
        The grid frequency of this snapshot (Hz).
    """
    m = machine
    mains = m.mains_hz * (1.0 + rng.uniform(-0.001, 0.001))  # the grid within +-0.1 %
    if m.poles:  # the slip moves with the load (+-15 %)
        f_r = 2.0 * mains / m.poles * (1.0 - m.slip * rng.uniform(0.85, 1.15))
    else:
        f_r = m.rpm / 60.0 * (1.0 + rng.uniform(-0.005, 0.005))
    scene = _Scene(m, round(seconds * m.fs), f_r, mains, rng.uniform(0.0, 2 * np.pi))
    _background(scene, rng)
    if label.startswith("bearing_"):
        _bearing(scene, rng, label.removeprefix("bearing_"))
    elif label in _FAULTS:
        _FAULTS[label](scene, rng)
    t = np.arange(scene.n) / m.fs
    freqs = [k * f_r for k in scene.orders]
    phasors = [p * np.exp(1j * k * scene.theta0) for k, p in scene.orders.items()]
    line = _phasor(rng, m.electrical * _jitter(rng) * np.array([1.0, 1.0, 0.3]))
    out = _lines(t, [*freqs, 2.0 * mains], [*phasors, line])
    if scene.extra is not None:
        out += scene.extra
    out += rng.normal(0.0, m.noise, out.shape)
    return out, f_r, mains
