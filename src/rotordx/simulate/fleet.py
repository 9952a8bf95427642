"""A fleet of machines with known faults, recorded as short snapshots (``docs/simulator.md``).

Condition monitoring of a fleet rarely gives long recordings: a wireless
sensor wakes up, records a fraction of a second on three axes and sleeps.
:func:`simulate_fleet` makes such snapshots of several machines
(:mod:`rotordx.simulate.faults`: their drives, bearings, sensors and the
physics of each fault), one machine state per snapshot;
:func:`write_fleet` writes them as CSV or Parquet files with a manifest that
``rotordx train`` and ``rotordx crossval`` read.

Everything is a deterministic function of ``(config, seed)``: machine ``i``
is drawn from ``SeedSequence(seed, spawn_key=(i,))`` and the ``k``-th
snapshot of state ``c`` of that machine from ``SeedSequence(seed,
spawn_key=(i, c, k))`` (``c`` the state's index in
:data:`~rotordx.classes.FLEET_CLASSES`), so adding machines, snapshots or
states never changes the others.

FleetConfig
Snapshot
simulate_fleet, iter_fleet, fleet_machines
write_fleet
"""

from __future__ import annotations

import csv
import io
import math
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rotordx._atomic import atomic_dir
from rotordx.classes import FLEET_CLASSES
from rotordx.exceptions import ParameterError
from rotordx.simulate.faults import CHANNELS, DIRECTIONS, G, Machine, draw_machine, synthesize

__all__ = [
    "BASIC_COLUMNS",
    "FORMATS",
    "MANIFEST_COLUMNS",
    "FleetConfig",
    "Snapshot",
    "fleet_machines",
    "iter_fleet",
    "simulate_fleet",
    "write_fleet",
]

#: Columns of a fleet manifest.
MANIFEST_COLUMNS: tuple[str, ...] = (
    "path",
    "label",
    "rate",
    "channel",
    "rpm",
    "condition",
    "machine",
    "bearing",
    "units",
    "direction",
)
#: The columns every manifest reader of rotordx knows (``manifest_columns="basic"``).
BASIC_COLUMNS: tuple[str, ...] = MANIFEST_COLUMNS[:6]
#: File formats of the snapshots.
FORMATS: tuple[str, ...] = ("csv", "parquet")
#: Decimals written per unit: about 1 micro-g, far below any sensor's noise.
_DECIMALS = {"g": 6, "m/s2": 5}
_MAX_MACHINES = 99
_MAX_SNAPSHOTS = 100_000
_SECONDS = (0.05, 600.0)


@dataclass(frozen=True)
class FleetConfig:
    """What fleet to simulate.

    Parameters
    ----------
    machines : int in [1, 99]
        Number of machines (``M01`` …).
    snapshots : int >= 1
        Snapshots per machine. The states take turns (``classes[j % len(classes)]``
        for snapshot ``j``), so each machine has every state when
        ``snapshots >= len(classes)``.
    seconds : float in [0.05, 600]
        Length of a snapshot (s). Estimating a speed down to 5 Hz from the
        vibration alone needs 0.4 s.
    classes : sequence of str
        Machine states to simulate, a non-empty subset of
        :data:`~rotordx.classes.FLEET_CLASSES` without repeats.
    """

    machines: int = 6
    snapshots: int = 20
    seconds: float = 0.5
    classes: tuple[str, ...] = FLEET_CLASSES

    def __post_init__(self) -> None:
        self._check_int("machines", 1, _MAX_MACHINES)
        self._check_int("snapshots", 1, _MAX_SNAPSHOTS)
        lo, hi = _SECONDS
        x = self.seconds
        if (
            isinstance(x, bool)
            or not isinstance(x, int | float | np.integer | np.floating)
            or not (math.isfinite(x) and lo <= x <= hi)
        ):
            self._fail("seconds", x, f"a number of seconds in [{lo:g}, {hi:g}]")
        object.__setattr__(self, "seconds", float(x))
        classes = self.classes
        what = f"a non-empty list of distinct states among {', '.join(FLEET_CLASSES)}"
        if isinstance(classes, str) or not isinstance(classes, Sequence) or not classes:
            self._fail("classes", classes, what)
        unknown = [c for c in classes if c not in FLEET_CLASSES]
        if unknown or len(set(classes)) != len(classes):
            self._fail("classes", classes, what)
        object.__setattr__(self, "classes", tuple(classes))

    def _fail(self, name: str, value: Any, what: str) -> None:
        raise ParameterError(f"FleetConfig.{name} must be {what}, got {value!r}")

    def _check_int(self, name: str, lo: int, hi: int) -> None:
        value = getattr(self, name)
        if (
            isinstance(value, bool)
            or not isinstance(value, int | np.integer)
            or not (lo <= value <= hi)
        ):
            self._fail(name, value, f"an integer in [{lo}, {hi}]")
        object.__setattr__(self, name, int(value))

    @property
    def total(self) -> int:
        """Snapshots in the fleet."""
        return self.machines * self.snapshots


@dataclass(frozen=True)
class Snapshot:
    """One short recording of one machine in one state.

    Attributes
    ----------
    machine : Machine
    label : str
        The machine state (:data:`~rotordx.classes.FLEET_CLASSES`).
    index : int
        Its number among this machine's snapshots of this state (0, 1, …).
    signals : np.ndarray [shape=(3, n)]
        Channels ``x``, ``y``, ``z`` (horizontal, vertical, axial) in the
        machine's units (``g`` or ``m/s2``), as written to its file.
    rpm : float
        The true shaft speed (rev/min).
    mains_hz : float
        The true grid frequency (Hz).
    """

    machine: Machine
    label: str
    index: int
    signals: np.ndarray
    rpm: float
    mains_hz: float

    @property
    def fs(self) -> int:
        """Sample rate (Hz)."""
        return self.machine.fs

    @property
    def name(self) -> str:
        """``M01_unbalance_003``."""
        return f"{self.machine.id}_{self.label}_{self.index:03d}"

    def path(self, format: str = "csv") -> str:
        """Where :func:`write_fleet` puts it, relative to the manifest."""
        return f"{self.machine.id}/{self.name}.{format}"

    def acceleration(self) -> np.ndarray:
        """The signals in m/s^2 (whatever the machine's units)."""
        return self.signals * G if self.machine.units == "g" else self.signals.copy()


def _check_seed(seed: Any) -> int:
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ParameterError(f"seed must be a non-negative integer, got {seed!r}")
    return int(seed)


def _check_config(config: Any) -> FleetConfig:
    if config is None:
        return FleetConfig()
    if not isinstance(config, FleetConfig):
        raise ParameterError(f"config must be a FleetConfig, got {type(config).__name__}")
    return config


def fleet_machines(config: FleetConfig | None = None, *, seed: int) -> list[Machine]:
    """The machines of the fleet (:func:`~rotordx.simulate.faults.draw_machine`)."""
    config, seed = _check_config(config), _check_seed(seed)
    return [draw_machine(i, seed) for i in range(config.machines)]


def _snapshot(machine: Machine, index: int, label: str, k: int, *, seconds: float, seed: int):
    code = FLEET_CLASSES.index(label)
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(index, code, k)))
    acc, f_r, mains = synthesize(machine, label, seconds=seconds, rng=rng)
    x = acc / G if machine.units == "g" else acc
    x = np.round(x, _DECIMALS[machine.units]) + 0.0  # + 0.0: no negative zeros in the files
    return Snapshot(machine, label, k, x, 60.0 * f_r, mains)


def iter_fleet(config: FleetConfig | None = None, *, seed: int) -> Iterator[Snapshot]:
    """The snapshots of :func:`simulate_fleet` one at a time (memory of one snapshot)."""
    config, seed = _check_config(config), _check_seed(seed)
    n_cls = len(config.classes)
    for i, machine in enumerate(fleet_machines(config, seed=seed)):
        for j in range(config.snapshots):
            label = config.classes[j % n_cls]
            yield _snapshot(machine, i, label, j // n_cls, seconds=config.seconds, seed=seed)


def simulate_fleet(config: FleetConfig | None = None, *, seed: int) -> list[Snapshot]:
    """Simulate a fleet: ``config.snapshots`` snapshots of each of ``config.machines`` machines.

    Parameters
    ----------
    config : FleetConfig, optional
        Default: 6 machines, 20 snapshots each, 0.5 s, all seven states.
    seed : int >= 0
        The same seed gives the same snapshots, bit for bit.

    Returns
    -------
    list of Snapshot
        Machine by machine; within a machine the states take turns.

    Raises
    ------
    ParameterError
        A bad ``config`` or ``seed``.
    """
    return list(iter_fleet(config, seed=seed))


# ----------------------------------------------------------------------------------
# Files
# ----------------------------------------------------------------------------------


def _write_csv(path: Path, snap: Snapshot) -> None:
    import pyarrow as pa  # lazy: pyarrow takes a fraction of a second to import
    from pyarrow import csv as pacsv  # lazy: pyarrow takes a fraction of a second to import

    table = pa.table({"time": np.arange(snap.signals.shape[1]) / snap.fs, **_columns(snap)})
    with path.open("wb") as fh:
        fh.write(("time," + ",".join(CHANNELS) + "\n").encode())
        pacsv.write_csv(table, fh, write_options=pacsv.WriteOptions(include_header=False))


def _write_parquet(path: Path, snap: Snapshot) -> None:
    import pyarrow as pa  # lazy: pyarrow takes a fraction of a second to import
    import pyarrow.parquet as pq  # lazy: pyarrow takes a fraction of a second to import

    table = pa.table({"time": np.arange(snap.signals.shape[1]) / snap.fs, **_columns(snap)})
    pq.write_table(table, path)


def _columns(snap: Snapshot) -> dict[str, np.ndarray]:
    return {c: snap.signals[i] for i, c in enumerate(CHANNELS)}


def _manifest_row(snap: Snapshot, format: str) -> list[str]:
    m = snap.machine
    rpm = f"{snap.rpm:.1f}" if m.speed_known else ""
    return [
        snap.path(format),
        snap.label,
        str(m.fs),
        ";".join(CHANNELS),
        rpm,
        m.id,
        m.id,
        m.bearing_name,
        m.units,
        ";".join(DIRECTIONS),
    ]


def _csv_text(header: Sequence[str], rows: list[list[str]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()


def _machines_rows(machines: list[Machine]) -> list[list[str]]:
    rows = []
    for m in machines:
        g = m.bearing
        rows.append(
            [m.id, m.kind, f"{m.rpm:.1f}", f"{m.mains_hz:g}", str(m.fs), m.units,
             "yes" if m.speed_known else "no", m.bearing_name, str(g.n_balls),
             f"{g.ball_diameter:g}", f"{g.pitch_diameter:g}", f"{m.resonance_hz:.0f}"]
        )  # fmt: skip
    return rows


_MACHINE_COLUMNS = (
    "machine",
    "kind",
    "rpm",
    "mains_hz",
    "rate",
    "units",
    "speed_known",
    "bearing",
    "balls",
    "ball_diameter_mm",
    "pitch_diameter_mm",
    "resonance_hz",
)


def write_fleet(
    out_dir: str | os.PathLike[str],
    config: FleetConfig | None = None,
    *,
    seed: int,
    format: str = "csv",
    force: bool = False,
    manifest_columns: str = "full",
) -> Path:
    """Simulate a fleet and write it, atomically, to ``out_dir``.

    Written: one file per snapshot, ``<machine>/<machine>_<state>_<k>.csv``
    (or ``.parquet``) with the columns ``time,x,y,z`` (time in s from 0; the
    channels in the machine's units); ``manifest.csv``
    (:data:`MANIFEST_COLUMNS`, or only :data:`BASIC_COLUMNS` with
    ``manifest_columns="basic"``: the columns today's manifest reader takes);
    ``machines.csv`` (each machine's drive, sensor and bearing) and
    ``truth.csv`` (``path,rpm,mains_hz``: every snapshot's true speed and grid
    frequency, also where the manifest leaves the speed out).

    Parameters
    ----------
    out_dir : path-like
        The folder to create.
    config : FleetConfig, optional
    seed : int >= 0
    format : {"csv", "parquet"}
    force : bool
        Replace an existing non-empty ``out_dir``.
    manifest_columns : {"full", "basic"}

    Returns
    -------
    Path
        ``out_dir / "manifest.csv"``.

    Raises
    ------
    ParameterError
        A bad argument, or ``out_dir`` exists, is not empty and ``force`` is false.
    """
    config, seed = _check_config(config), _check_seed(seed)
    if format not in FORMATS:
        raise ParameterError(f"format must be one of {', '.join(FORMATS)}, got {format!r}")
    if manifest_columns not in ("full", "basic"):
        raise ParameterError(
            f"manifest_columns must be 'full' or 'basic', got {manifest_columns!r}"
        )
    writer = _write_csv if format == "csv" else _write_parquet
    width = len(MANIFEST_COLUMNS if manifest_columns == "full" else BASIC_COLUMNS)
    machines = fleet_machines(config, seed=seed)
    out_dir = Path(out_dir)
    rows: list[list[str]] = []
    truth: list[list[str]] = []
    with atomic_dir(out_dir, force=force) as tmp:
        for m in machines:
            (tmp / m.id).mkdir()
        for snap in iter_fleet(config, seed=seed):
            writer(tmp / snap.path(format), snap)
            rows.append(_manifest_row(snap, format)[:width])
            truth.append([snap.path(format), f"{snap.rpm:.3f}", f"{snap.mains_hz:.4f}"])
        (tmp / "manifest.csv").write_text(
            _csv_text(MANIFEST_COLUMNS[:width], rows), encoding="utf-8"
        )
        (tmp / "machines.csv").write_text(
            _csv_text(_MACHINE_COLUMNS, _machines_rows(machines)), encoding="utf-8"
        )
        (tmp / "truth.csv").write_text(
            _csv_text(("path", "rpm", "mains_hz"), truth), encoding="utf-8"
        )
    return out_dir / "manifest.csv"
