"""The seed's preprocessing of a KAMP group, and its Parquet form.

Steps, exactly as in the seed guide:

1. linear interpolation of every sensor and machine state onto one grid
   ``np.arange(0, 140, 0.001)`` (1 kHz; shorter when the data is shorter);
2. moving average over M = 15 samples, ``'valid'`` mode (14 samples lost);
3. min-max scaling fitted on the *normal* class and applied to every class.
   As in the seed (``scaler.fit(normal_)``), the scaler is fitted on the
   resampled normal signals *before* the moving average.

:func:`preprocess_group` works on a group already in memory.
:func:`preprocess_folder` reads a group folder chunk by chunk
(:class:`rotordx.stream.GroupStream`) and can keep the result in the
:mod:`rotordx.cache`; :func:`preprocess_to_parquet` writes the Parquet form
of a group of any length in bounded memory. All three give the same numbers,
bit for bit.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
import warnings
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from rotordx._atomic import atomic_file
from rotordx.exceptions import DataError, ParameterError
from rotordx.io.kamp import CLASSES, KampGroup
from rotordx.signal import MinMaxScaling, interp_linear, moving_average, uniform_grid
from rotordx.signal.filters import MovingAverageStream
from rotordx.signal.resample import grid_times

__all__ = [
    "PreprocessConfig",
    "Preprocessed",
    "load_preprocessed_folder",
    "preprocess_folder",
    "preprocess_group",
    "preprocess_to_parquet",
    "read_preprocessed",
    "resample_group",
    "write_preprocessed",
]

_META_KEY = b"rotordx"


@dataclass(frozen=True)
class PreprocessConfig:
    """Parameters of the seed preprocessing."""

    fs: float = 1000.0  # grid rate in Hz (the seed's 0.001 s period)
    duration: float = 140.0  # grid end in s; shortened to the data when the data is shorter
    ma_window: int = 15  # moving-average length M in samples

    def __post_init__(self) -> None:
        if not (self.fs > 0 and math.isfinite(self.fs)):
            raise ParameterError(f"fs must be a positive number of Hz, got {self.fs!r}")
        if not (self.duration > 0 and math.isfinite(self.duration)):
            raise ParameterError(f"duration must be positive seconds, got {self.duration!r}")
        if not isinstance(self.ma_window, int) or self.ma_window < 1:
            raise ParameterError(f"ma_window must be a positive integer, got {self.ma_window!r}")


@dataclass(frozen=True)
class Preprocessed:
    """A preprocessed group: one scaled (n, n_sensors) signal per machine state.

    Attributes
    ----------
    time : np.ndarray [shape=(n,)]
        Time of each sample: the grid time of the *last* input sample of its
        moving-average window (a causal, trailing average).
    signals : np.ndarray [shape=(n_classes, n, n_sensors)]
        Scaled signals, ``signals[label]`` for each class.
    classes : tuple of str
        Class names; the label of a class is its index.
    scaler : MinMaxScaling
        The scaling that was applied.
    config : PreprocessConfig
    """

    time: np.ndarray
    signals: np.ndarray
    classes: tuple[str, ...]
    scaler: MinMaxScaling
    config: PreprocessConfig = field(default_factory=PreprocessConfig)

    @property
    def n_sensors(self) -> int:
        """Number of sensors (feature columns)."""
        return int(self.signals.shape[2])

    def samples(self) -> tuple[np.ndarray, np.ndarray]:
        """All samples and labels, class by class: ``X`` (N, n_sensors), ``y`` (N,)."""
        n_cls, n, k = self.signals.shape
        return self.signals.reshape(n_cls * n, k), np.repeat(np.arange(n_cls), n)


def resample_group(
    group: KampGroup, *, fs: float, duration: float
) -> tuple[np.ndarray, np.ndarray]:
    """Interpolate every sensor of ``group`` onto one uniform grid.

    Returns
    -------
    grid : np.ndarray [shape=(n,)]
        ``np.arange(t0, min(duration, group.duration), 1/fs)`` with ``t0 = 0``
        when every sensor starts at or before 0 (the seed's grid).
    values : np.ndarray [shape=(n_classes, n, n_sensors)]
    """
    start = max(float(s.time[0]) for s in group.sensors)
    t0 = 0.0 if start <= 0 else math.ceil(start * fs) / fs
    end = min(duration, group.duration)
    if end - t0 < 2.0 / fs:
        raise DataError(
            f"group {group.group}: sensors overlap only from {t0:g} s to {end:g} s; "
            "too short to resample"
        )
    grid = uniform_grid(fs=fs, duration=end)
    grid = grid[grid >= t0] if t0 > 0 else grid
    grid = grid[grid <= end]
    out = np.empty((len(CLASSES), grid.shape[0], len(group.sensors)))
    for j, s in enumerate(group.sensors):
        try:
            out[:, :, j] = interp_linear(s.time, s.values, grid=grid).T
        except DataError as exc:
            raise DataError(f"{s.path}: {exc}") from exc
    return grid, out


def preprocess_group(
    group: KampGroup,
    *,
    config: PreprocessConfig | None = None,
    scaler: MinMaxScaling | None = None,
) -> Preprocessed:
    """Resample, smooth and scale a KAMP group as the seed does.

    Parameters
    ----------
    group : KampGroup
    config : PreprocessConfig, optional
    scaler : MinMaxScaling, optional
        Apply this scaling (e.g. a saved model's) instead of fitting one on
        the normal class of ``group``.
    """
    config = config or PreprocessConfig()
    grid, raw = resample_group(group, fs=config.fs, duration=config.duration)
    if raw.shape[1] < config.ma_window:
        raise DataError(
            f"group {group.group}: {raw.shape[1]} resampled samples, fewer than the "
            f"moving-average length {config.ma_window}"
        )
    if scaler is None:
        scaler = MinMaxScaling.fit(raw[CLASSES.index("normal")])
    elif scaler.n_features != raw.shape[2]:
        raise DataError(
            f"scaler expects {scaler.n_features} sensors, group {group.group} has {raw.shape[2]}"
        )
    smooth = moving_average(raw, m=config.ma_window, axis=1)
    n_cls, n, k = smooth.shape
    scaled = scaler.transform(smooth.reshape(n_cls * n, k)).reshape(n_cls, n, k)
    return Preprocessed(
        time=grid[config.ma_window - 1 :],
        signals=scaled,
        classes=CLASSES,
        scaler=scaler,
        config=config,
    )


def write_preprocessed(data: Preprocessed, path: str | os.PathLike[str]) -> Path:
    """Write ``data`` as Parquet: columns ``time, s1 … sK, label``, one row per sample.

    Scaler, class names and preprocessing parameters go into the file's
    schema metadata, so :func:`read_preprocessed` restores everything.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    X, y = data.samples()
    n_cls = len(data.classes)
    cols = {"time": np.tile(data.time, n_cls)}
    cols.update({f"s{j + 1}": X[:, j] for j in range(X.shape[1])})
    cols["label"] = y.astype(np.int8)
    meta = {
        "format": "rotordx-preprocessed",
        "version": 1,
        "classes": list(data.classes),
        "scaler": data.scaler.to_dict(),
        "config": asdict(data.config),
    }
    table = pa.table(cols).replace_schema_metadata({_META_KEY: json.dumps(meta).encode()})
    path = Path(path)
    with atomic_file(path) as tmp:
        pq.write_table(table, tmp)
    return path


def read_preprocessed(path: str | os.PathLike[str]) -> Preprocessed:
    """Read a file written by :func:`write_preprocessed`."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: file not found")
    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as exc:
        raise DataError(f"{path}: not a readable Parquet file ({exc})") from exc
    raw_meta = (table.schema.metadata or {}).get(_META_KEY)
    if raw_meta is None:
        raise DataError(
            f"{path}: no rotordx metadata; expected a file written by `rotordx preprocess`"
        )
    try:
        meta = json.loads(raw_meta)
        classes = tuple(meta["classes"])
        scaler = MinMaxScaling.from_dict(meta["scaler"])
        config = PreprocessConfig(**meta["config"])
    except (ValueError, KeyError, TypeError) as exc:
        raise DataError(f"{path}: invalid rotordx metadata ({exc})") from exc
    k = scaler.n_features
    needed = ["time", *(f"s{j + 1}" for j in range(k)), "label"]
    missing = [c for c in needed if c not in table.column_names]
    if missing:
        raise DataError(f"{path}: missing column(s) {', '.join(missing)}")
    n_cls = len(classes)
    label = table.column("label").to_numpy()
    if label.shape[0] % n_cls or not np.array_equal(
        label, np.repeat(np.arange(n_cls), label.shape[0] // n_cls)
    ):
        raise DataError(f"{path}: column 'label' is not {n_cls} equal, ordered class blocks")
    n = label.shape[0] // n_cls
    X = np.column_stack([table.column(f"s{j + 1}").to_numpy() for j in range(k)])
    return Preprocessed(
        time=table.column("time").to_numpy()[:n].copy(),
        signals=X.reshape(n_cls, n, k),
        classes=classes,
        scaler=scaler,
        config=config,
    )


# -- group folders: read chunk by chunk, optionally cached -------------------------------


def _scale_params(scaler: MinMaxScaling) -> tuple[np.ndarray, np.ndarray]:
    """``lo`` and ``rng`` of :meth:`MinMaxScaling.transform` (the same arithmetic, bit for bit)."""
    lo = np.asarray(scaler.data_min, dtype=np.float64)
    rng = np.asarray(scaler.data_max, dtype=np.float64) - lo
    rng[rng == 0.0] = 1.0
    return lo, rng


def _scale_into(src: np.ndarray, dst: np.ndarray, scaler: MinMaxScaling) -> None:
    """``dst = (src - lo) / rng`` per sensor, for (..., n, n_sensors) arrays.

    The same operations as :meth:`MinMaxScaling.transform`, with ``lo`` and
    ``rng`` repeated along whole rows so numpy runs long loops instead of
    one short loop per time step.
    """
    lo, rng = _scale_params(scaler)
    n, k = src.shape[-2:]
    rows = min(n, 8192)
    lo_rows, rng_rows = np.tile(lo, rows), np.tile(rng, rows)
    flat_src = src.reshape(-1, n * k)
    flat_dst = dst.reshape(-1, n * k)
    for s in range(0, n * k, rows * k):
        e = min(s + rows * k, n * k)
        d = flat_dst[:, s:e]
        np.subtract(flat_src[:, s:e], lo_rows[: e - s], out=d)
        d /= rng_rows[: e - s]


def _column_range(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Minimum and maximum of every column of ``x`` (n, k), with long inner loops."""
    n, k = x.shape
    rows = 16 * (n // 16)
    x = np.ascontiguousarray(x)
    wide = x[:rows].reshape(-1, 16 * k)  # 16 time steps per row: columns repeat every k
    lo = wide.min(axis=0, initial=np.inf).reshape(16, k).min(axis=0)
    hi = wide.max(axis=0, initial=-np.inf).reshape(16, k).max(axis=0)
    rest = x[rows:]
    return (
        np.minimum(lo, rest.min(axis=0, initial=np.inf)),
        np.maximum(hi, rest.max(axis=0, initial=-np.inf)),
    )


class _Smoothing:
    """Resampled blocks of a :class:`~rotordx.stream.GroupStream` → smoothed, unscaled blocks.

    Iterating yields (n_classes, n, n_sensors) blocks of the moving average;
    afterwards :attr:`scaler` is the seed's scaler (min-max of the resampled
    normal signals before smoothing) and :attr:`start` the grid index of the
    first smoothed sample's time.
    """

    def __init__(self, stream, config: PreprocessConfig) -> None:
        self.stream = stream
        self.config = config
        self._min: np.ndarray | None = None
        self._max: np.ndarray | None = None

    def __iter__(self) -> Iterator[np.ndarray]:
        m = self.config.ma_window
        ma = MovingAverageStream(m=m, axis=1)
        normal = CLASSES.index("normal")
        for block in self.stream.blocks():
            lo, hi = _column_range(block.values[normal])
            self._min = lo if self._min is None else np.minimum(self._min, lo)
            self._max = hi if self._max is None else np.maximum(self._max, hi)
            out = ma.push(block.values)
            if out.shape[1]:
                yield out
        n_raw = self.stream.stop - self.stream.start
        if n_raw < m:
            raise DataError(
                f"group {self.stream.group}: {n_raw} resampled samples, fewer than the "
                f"moving-average length {m}"
            )

    @property
    def start(self) -> int:
        return self.stream.start + self.config.ma_window - 1

    @property
    def scaler(self) -> MinMaxScaling:
        return MinMaxScaling(tuple(map(float, self._min)), tuple(map(float, self._max)))


def _check_scaler(scaler: MinMaxScaling, n_sensors: int, group: int) -> MinMaxScaling:
    if scaler.n_features != n_sensors:
        raise DataError(
            f"scaler expects {scaler.n_features} sensors, group {group} has {n_sensors}"
        )
    return scaler


def _assemble(
    blocks: list[np.ndarray], *, start: int, scaler: MinMaxScaling, config: PreprocessConfig
) -> Preprocessed:
    """Scale smoothed (n_classes, n, n_sensors) blocks into a :class:`Preprocessed`."""
    n_cls, _, k = blocks[0].shape
    n = sum(b.shape[1] for b in blocks)
    signals = np.empty((n_cls, n, k))
    pos = 0
    for b in blocks:
        _scale_into(b, signals[:, pos : pos + b.shape[1]], scaler)
        pos += b.shape[1]
    return Preprocessed(
        time=grid_times(start, start + n, fs=config.fs),
        signals=signals,
        classes=CLASSES,
        scaler=scaler,
        config=config,
    )


def _from_entry(entry, *, scaler: MinMaxScaling | None, config: PreprocessConfig) -> Preprocessed:
    """A :class:`Preprocessed` from a verified cache entry."""
    meta = entry.meta
    k, n, start = int(meta["n_sensors"]), int(meta["n"]), int(meta["start"])
    classes = tuple(meta["classes"])
    natural = MinMaxScaling.from_dict(meta["scaler"])
    scaler = _check_scaler(scaler or natural, k, int(meta["key"]["group"]))
    signals = np.empty((len(classes), n, k))
    for c, pieces in enumerate(entry.columns):
        pos = 0
        for a in pieces:
            rows = a.shape[0] // k
            _scale_into(a.reshape(rows, k), signals[c, pos : pos + rows], scaler)
            pos += rows
    return Preprocessed(
        time=grid_times(start, start + n, fs=config.fs),
        signals=signals,
        classes=classes,
        scaler=scaler,
        config=config,
    )


def _write_entry(path: Path, smoothing: _Smoothing, *, key, sources, blocks=None) -> None:
    """Store smoothed blocks as a cache entry (or a temporary entry) at ``path``.

    ``blocks`` are the smoothed blocks if already computed; by default they are
    streamed from ``smoothing``, whose scaler and start are recorded after the
    last block.
    """
    from rotordx.cache import EntryWriter

    n_sensors = len(smoothing.stream.paths)
    with EntryWriter(path, key=key, sources=sources, classes=CLASSES, n_sensors=n_sensors) as w:
        for b in smoothing if blocks is None else blocks:
            w.write(b)
        w.finish(start=smoothing.start, scaler=smoothing.scaler.to_dict())


def _warn_unwritable(path: Path, exc: OSError) -> None:
    """A cache that cannot be written only warns (at the caller of the public function)."""
    warnings.warn(f"rotordx: could not write the cache entry {path}: {exc}", stacklevel=3)


def _cache_slot(stream, config: PreprocessConfig, cache) -> tuple[Path | None, dict, list]:
    """Where ``stream``'s group is cached (None: caching off), its key and its sources."""
    from rotordx.cache import config_key, entry_path, resolve_cache_dir, source_identity

    cache_dir = resolve_cache_dir(cache)
    key = config_key(stream.directory, stream.group, config)
    sources = source_identity(stream.paths) if cache_dir is not None else []
    return (entry_path(cache_dir, key) if cache_dir is not None else None), key, sources


def load_preprocessed_folder(
    directory: str | os.PathLike[str],
    *,
    group: int | None = None,
    config: PreprocessConfig | None = None,
    scaler: MinMaxScaling | None = None,
    cache: bool | str | os.PathLike[str] | None = False,
) -> tuple[Preprocessed, str]:
    """:func:`preprocess_folder`, also saying what the cache did.

    Returns
    -------
    data : Preprocessed
    cache_status : {"off", "hit", "miss", "stale", "corrupt"}
        ``stale`` and ``corrupt`` entries were rebuilt (and replaced).
    """
    from rotordx.cache import read_entry, source_identity
    from rotordx.stream import GroupStream

    config = config or PreprocessConfig()
    stream = GroupStream(directory, group=group, fs=config.fs, duration=config.duration)
    path, key, sources = _cache_slot(stream, config, cache)
    status = "off"
    if path is not None:
        status, entry = read_entry(path, key=key, sources=sources)
        if entry is not None:
            return _from_entry(entry, scaler=scaler, config=config), status
    smoothing = _Smoothing(stream, config)
    blocks = list(smoothing)
    natural = smoothing.scaler
    # an entry only for sources that did not change while they were read
    if path is not None and source_identity(stream.paths) == sources:
        try:
            _write_entry(path, smoothing, key=key, sources=sources, blocks=blocks)
        except OSError as exc:
            _warn_unwritable(path, exc)
    scaler = _check_scaler(scaler or natural, blocks[0].shape[2], stream.group)
    return _assemble(blocks, start=smoothing.start, scaler=scaler, config=config), status


def preprocess_folder(
    directory: str | os.PathLike[str],
    *,
    group: int | None = None,
    config: PreprocessConfig | None = None,
    scaler: MinMaxScaling | None = None,
    cache: bool | str | os.PathLike[str] | None = False,
) -> Preprocessed:
    """Read a KAMP group folder and preprocess it as the seed does.

    The same numbers as ``preprocess_group(load_kamp_group(directory))``,
    bit for bit, but the files are parsed chunk by chunk and resampled as
    they are read (the raw text is never held whole), and with ``cache``
    the result is kept in (or taken from) the :mod:`rotordx.cache`.

    Parameters
    ----------
    directory : path-like
        Folder holding ``g{N}_sensor{1..4}.csv``.
    group : int, optional
        Group number if the folder holds several.
    config : PreprocessConfig, optional
    scaler : MinMaxScaling, optional
        Apply this scaling instead of the one fitted on the normal class.
    cache : bool or path-like
        ``True``: the default cache folder (:func:`rotordx.cache.default_cache_dir`);
        a path: that folder; ``False``: no cache.
    """
    return load_preprocessed_folder(
        directory, group=group, config=config, scaler=scaler, cache=cache
    )[0]


def _preprocessed_meta(classes, scaler: MinMaxScaling, config: PreprocessConfig) -> bytes:
    return json.dumps(
        {
            "format": "rotordx-preprocessed",
            "version": 1,
            "classes": list(classes),
            "scaler": scaler.to_dict(),
            "config": asdict(config),
        }
    ).encode()


def _entry_to_long(entry: Path, out: Path, config: PreprocessConfig) -> dict:
    """Scale an entry class by class into the Parquet form of :func:`write_preprocessed`."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from rotordx.cache import META_KEY

    pf = pq.ParquetFile(entry, page_checksum_verification=True)
    meta = json.loads(pf.metadata.metadata[META_KEY])
    k, n, start = int(meta["n_sensors"]), int(meta["n"]), int(meta["start"])
    classes = tuple(meta["classes"])
    scaler = MinMaxScaling.from_dict(meta["scaler"])
    schema = pa.schema(
        [
            ("time", pa.float64()),
            *((f"s{j + 1}", pa.float64()) for j in range(k)),
            ("label", pa.int8()),
        ],
        metadata={_META_KEY: _preprocessed_meta(classes, scaler, config)},
    )
    with atomic_file(out) as tmp, pq.ParquetWriter(tmp, schema) as writer:
        for ci, cls in enumerate(classes):
            row = start
            for rg in range(pf.num_row_groups):  # one block in memory at a time
                part = pf.read_row_group(rg, columns=[cls]).column(0).to_numpy()
                block = part.reshape(-1, k)
                m = block.shape[0]
                scaled = np.empty_like(block)
                _scale_into(block, scaled, scaler)
                arrays = {"time": grid_times(row, row + m, fs=config.fs)}
                arrays.update({f"s{j + 1}": scaled[:, j] for j in range(k)})
                arrays["label"] = np.full(m, ci, dtype=np.int8)
                writer.write_table(pa.table(arrays, schema=schema))
                row += m
    t = grid_times(start, start + n, fs=config.fs)[[0, -1]]
    return {
        "n_classes": len(classes),
        "n": n,
        "n_sensors": k,
        "t_first": float(t[0]),
        "t_last": float(t[1]),
    }


def preprocess_to_parquet(
    directory: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    group: int | None = None,
    config: PreprocessConfig | None = None,
    cache: bool | str | os.PathLike[str] | None = False,
) -> dict:
    """Preprocess a group folder straight into the Parquet form, in bounded memory.

    The file equals ``write_preprocessed(preprocess_folder(directory, ...), out)``
    when read back (:func:`read_preprocessed`); memory stays at a few blocks
    whatever the recording's length. The smoothed signals go first to the
    cache entry (or, without a cache, a temporary file beside ``out``),
    then class by class through the scaler into ``out``.

    Returns
    -------
    dict
        ``n_classes``, ``n`` (samples per class), ``n_sensors``, ``t_first``,
        ``t_last`` (s) and ``cache`` (the cache status).
    """
    import pyarrow as pa

    from rotordx.cache import read_entry
    from rotordx.stream import GroupStream

    config = config or PreprocessConfig()
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    stream = GroupStream(directory, group=group, fs=config.fs, duration=config.duration)
    cached, key, sources = _cache_slot(stream, config, cache)
    # named like atomic_file's temporaries: a killed run's folder is removed by the next one
    with tempfile.TemporaryDirectory(
        prefix=f".{out.name}.{os.getpid()}.", suffix=".tmp", dir=out.parent
    ) as tmp:
        entry, status = Path(tmp) / "smoothed.parquet", "off"
        if cached is not None:
            status, _ = read_entry(cached, key=key, sources=sources, load=False)
            if status != "hit":
                try:
                    _write_entry(cached, _Smoothing(stream, config), key=key, sources=sources)
                except OSError as exc:
                    _warn_unwritable(cached, exc)
                    cached = None
            if cached is not None:
                entry = cached
        if not entry.is_file():
            _write_entry(entry, _Smoothing(stream, config), key=key, sources=sources)
        try:
            info = _entry_to_long(entry, out, config)
        except (pa.ArrowException, OSError, KeyError, ValueError):
            if status != "hit":
                raise
            status = "corrupt"  # failed a checksum while being read: rebuild it
            _write_entry(entry, _Smoothing(stream, config), key=key, sources=sources)
            info = _entry_to_long(entry, out, config)
    return {**info, "cache": status}
