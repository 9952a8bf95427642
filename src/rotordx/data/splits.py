"""Splits of labelled windows, and the one leak-free way to cut recordings into them.

Overlapping windows drawn at random into train and test share samples, which
inflates accuracy (documented for the CWRU bearing data). Here every
recording is first cut into contiguous *blocks* (train / validation / test,
or train / validation) separated by gaps of at least one window; windows are
then cut inside each block only, so no sample appears in two splits
(:func:`split_dataset`). :func:`all_windows` scores whole recordings.
:class:`WindowConfig` holds every window, hop, block and gap default.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from rotordx.exceptions import DataError, ParameterError
from rotordx.features.bearing import DEFECTS, bearing_geometry, defect_multipliers
from rotordx.signal.framing import frame

__all__ = [
    "Split",
    "WindowConfig",
    "all_windows",
    "block_bounds",
    "default_window",
    "defect_orders_of",
    "shuffled_split",
    "speeds_of",
    "split_dataset",
]

#: Samples per window by default (1.024 s at 1 kHz: ~30 revolutions at 1800 rpm).
DEFAULT_WINDOW = 1024
#: The hop between training windows, as a fraction of the window.
HOP_FRACTION = 0.25
#: Seconds a window needs for a running-speed estimate down to 5 Hz (two periods).
SPEED_SECONDS = 0.4


def default_window(fs: float) -> int:
    """The window for data at ``fs`` Hz: long enough to estimate the running speed.

    The smallest power of two holding :data:`SPEED_SECONDS`, and at least
    :data:`DEFAULT_WINDOW`: 1024 at 1 kHz (the seed's grid), 8192 at 12 or
    20 kHz, 2048 at 4 kHz, 32768 at 64 kHz.
    """
    return max(DEFAULT_WINDOW, 2 ** math.ceil(math.log2(SPEED_SECONDS * fs)))


@dataclass(frozen=True)
class Split:
    """Arrays of one split: inputs ``X`` float32 and labels ``y`` (n,) int64.

    ``X`` is (n, n_channels, window) for windows, (n, n_features) for the
    seed's point-wise samples. What is known of each row's recording besides
    its samples: ``shaft_hz`` (n,), the shaft speed in Hz (rpm / 60; NaN
    where unknown), and ``defect_orders`` (n, 4), the monitored bearing's
    defect frequencies per Hz of shaft speed in the order
    :data:`rotordx.features.bearing.DEFECTS` (BPFO, BPFI, BSF, FTF; NaN where
    unknown); each is None when no recording had it. Models that read
    bearing defect frequencies need them; the others ignore them.
    """

    X: np.ndarray
    y: np.ndarray
    shaft_hz: np.ndarray | None = None
    defect_orders: np.ndarray | None = None

    def take(self, idx: np.ndarray) -> Split:
        """The rows ``idx``, with what is known of them."""
        speed = None if self.shaft_hz is None else self.shaft_hz[idx]
        orders = None if self.defect_orders is None else self.defect_orders[idx]
        return Split(X=self.X[idx], y=self.y[idx], shaft_hz=speed, defect_orders=orders)

    def __len__(self) -> int:
        return int(self.y.shape[0])

    def shuffled(self, seed: int) -> Split:
        """The rows in an order drawn with ``seed``."""
        return self.take(np.random.default_rng(seed).permutation(len(self)))

    @classmethod
    def concat(cls, splits: list[Split]) -> Split:
        """The rows of ``splits`` one after the other (what is known of a row kept, NaN if not)."""
        if not splits:
            raise ParameterError("no split to concatenate")
        if len(splits) == 1:
            return splits[0]
        X = np.concatenate([s.X for s in splits])
        y = np.concatenate([s.y for s in splits])

        def side(name: str, width: tuple[int, ...]) -> np.ndarray | None:
            if all(getattr(s, name) is None for s in splits):
                return None
            return np.concatenate(
                [
                    getattr(s, name)
                    if getattr(s, name) is not None
                    else np.full((len(s), *width), np.nan)
                    for s in splits
                ]
            )

        return cls(X, y, side("shaft_hz", ()), side("defect_orders", (len(DEFECTS),)))

    @classmethod
    def of_parts(cls, parts: list[tuple], ds) -> Split:
        """A split of ``(windows, labels, recording)`` parts of ``ds``, in order."""
        return _rows(parts, ds)


def _check_int(name: str, v: object, minimum: int) -> None:
    if isinstance(v, bool) or not isinstance(v, int | np.integer) or v < minimum:
        raise ParameterError(
            f"{name} must be an integer of at least {minimum}, got {v!r}"
            if minimum > 1
            else f"{name} must be a positive integer, got {v!r}"
        )


@dataclass(frozen=True)
class WindowConfig:
    """Window length, hop and blocks of the windowed protocol: every default in one place.

    Attributes
    ----------
    window : int >= 16
        Samples per window.
    hop : int >= 1, optional
        Samples between window starts inside a block; default a quarter window.
    fractions : tuple of 2 or 3 floats
        Shares of each recording's time for train / validation (/ test).
    gap : int, optional
        Samples left out between blocks; default one window. At least one
        window, or 0 for blocks that only validate (early stopping, as
        cross-validation does with whole held-out recordings as the test).
    eval_hop : int, optional
        Samples between window starts in the validation and test blocks;
        default ``hop``.
    """

    window: int = DEFAULT_WINDOW
    hop: int | None = None  # None: a quarter window (set in __post_init__)
    fractions: tuple[float, ...] = (0.6, 0.2, 0.2)
    gap: int | None = None
    eval_hop: int | None = None

    def __post_init__(self) -> None:
        _check_int("window", self.window, 1)
        if self.window < 16:
            raise ParameterError(f"window must be at least 16 samples, got {self.window}")
        if self.hop is None:
            object.__setattr__(self, "hop", max(1, int(self.window * HOP_FRACTION)))
        _check_int("hop", self.hop, 1)
        try:
            fr = tuple(float(f) for f in self.fractions)
        except (TypeError, ValueError):
            fr = ()
        if len(fr) not in (2, 3) or min(fr) <= 0 or not math.isclose(sum(fr), 1.0, abs_tol=1e-9):
            raise ParameterError(
                "fractions must be two or three positive shares summing to 1, "
                f"got {self.fractions!r}"
            )
        if self.gap is not None and (
            isinstance(self.gap, bool)
            or not isinstance(self.gap, int | np.integer)
            or (self.gap < self.window and self.gap != 0)
        ):
            raise ParameterError(
                f"gap must be 0 or at least one window ({self.window} samples), got {self.gap!r}"
            )
        if self.eval_hop is not None:
            _check_int("eval_hop", self.eval_hop, 1)
        for name in ("window", "hop", "gap", "eval_hop"):  # numpy integers as plain ints (JSON)
            v = getattr(self, name)
            if v is not None:
                object.__setattr__(self, name, int(v))
        object.__setattr__(self, "fractions", fr)

    @property
    def gap_samples(self) -> int:
        """The gap actually used between blocks."""
        return self.window if self.gap is None else self.gap


def block_bounds(n: int, *, config: WindowConfig) -> list[tuple[int, int]]:
    """Sample ranges ``[start, stop)`` of the blocks of a recording of ``n`` samples.

    The usable length ``n - (blocks - 1) * gap`` is shared by
    ``config.fractions``; each block must hold at least one window.
    """
    gap = config.gap_samples
    usable = n - (len(config.fractions) - 1) * gap
    sizes = [int(usable * f) for f in config.fractions]
    if usable <= 0 or min(sizes) < config.window:
        need = math.ceil(config.window / min(config.fractions)) + (len(sizes) - 1) * gap
        raise DataError(
            f"recording has {n} samples; blocks of {config.fractions} with gaps of {gap} and "
            f"windows of {config.window} need at least {need}"
        )
    bounds, start = [], 0
    for size in sizes:
        bounds.append((start, start + size))
        start += size + gap
    return bounds


def speeds_of(rpm: float | None, n: int) -> np.ndarray:
    """Shaft speed in Hz of ``n`` windows of a recording at ``rpm`` (NaN when unknown)."""
    return np.full(n, rpm / 60.0 if rpm else np.nan, dtype=np.float64)


def defect_orders_of(bearing, n: int) -> np.ndarray:
    """Defect orders (n, 4) of ``n`` windows of a recording on ``bearing`` (NaN when unknown)."""
    if bearing is None:
        return np.full((n, len(DEFECTS)), np.nan)
    mult = defect_multipliers(bearing_geometry(bearing))
    return np.tile(np.array([mult[d] for d in DEFECTS]), (n, 1))


def _rows(parts: list[tuple], ds) -> Split:
    """A split of ``(windows, labels, recording)`` parts, in order, with what is known of them."""
    X = np.concatenate([w for w, _, _ in parts]).astype(np.float32)
    y = np.concatenate([lab for _, lab, _ in parts])
    hz = orders = None
    if any(r.rpm for r in ds.recordings):
        hz = np.concatenate([speeds_of(r.rpm, len(w)) for w, _, r in parts])
    if any(r.bearing for r in ds.recordings):
        orders = np.concatenate([defect_orders_of(r.bearing, len(w)) for w, _, r in parts])
    return Split(X=X, y=y, shaft_hz=hz, defect_orders=orders)


def shuffled_split(parts: list[tuple], ds, *, rng: np.random.Generator) -> Split:
    """One split from ``(windows, labels, recording)`` parts of ``ds``, concatenated, shuffled."""
    split = _rows(parts, ds)
    return split.take(rng.permutation(len(split)))


def split_dataset(ds, *, config: WindowConfig | None = None, seed: int = 0) -> tuple[Split, ...]:
    """Leak-free windows of every recording of ``ds`` (a :class:`~rotordx.data.Dataset`).

    Each recording is cut into contiguous blocks with gaps
    (:func:`block_bounds`); windows are cut inside each block; each split is
    shuffled with one generator seeded by ``seed``, in block order.

    Returns
    -------
    tuple of Split
        One per fraction of ``config``: (train, valid, test) or (train, valid).
    """
    config = config or WindowConfig()
    parts: list[list[tuple]] = [[] for _ in config.fractions]
    for r in ds.recordings:
        sig = r.recording.signals
        try:
            bounds = block_bounds(sig.shape[1], config=config)
        except DataError as exc:
            raise DataError(f"{r.recording.name}: {exc}") from exc
        k = ds.label_index(r.label)
        for i, (a, b) in enumerate(bounds):
            hop = config.hop if i == 0 else (config.eval_hop or config.hop)
            w = frame(sig[:, a:b], window=config.window, hop=hop)
            parts[i].append((w, np.full(len(w), k, dtype=np.int64), r))
    rng = np.random.default_rng(seed)
    return tuple(shuffled_split(p, ds, rng=rng) for p in parts)


def all_windows(ds, *, window: int, hop: int | None = None) -> Split:
    """Every window (non-overlapping by default) of every recording of ``ds``, in order."""
    hop = hop or window
    parts = []
    for r in ds.recordings:
        try:
            w = frame(r.recording.signals, window=window, hop=hop)
        except DataError as exc:
            raise DataError(f"{r.recording.name}: {exc}") from exc
        parts.append((w, np.full(len(w), ds.label_index(r.label), dtype=np.int64), r))
    return _rows(parts, ds)
