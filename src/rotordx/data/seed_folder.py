"""The seed's preprocessing of a KAMP group folder, chunk by chunk, with the cache.

The four sensor files are parsed and resampled block by block
(:class:`~rotordx.data.kamp_grid.GroupStream`), smoothed as they come
(:class:`Smoothing`), and the smoothed, unscaled signals can be kept in the
:mod:`rotordx.data.cache`. The numbers equal
``preprocess_group(load_kamp_group(directory))`` bit for bit.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from rotordx.classes import KAMP_CLASSES, NORMAL
from rotordx.data.cache import (
    EntryWriter,
    config_key,
    entry_path,
    read_entry,
    resolve_cache_dir,
    source_identity,
)
from rotordx.data.kamp_grid import GroupStream
from rotordx.data.seed import PreprocessConfig, Preprocessed
from rotordx.exceptions import DataError
from rotordx.signal.filters import MovingAverageStream
from rotordx.signal.resample import grid_times
from rotordx.signal.scaling import MinMaxScaling

__all__ = ["Smoothing", "load_preprocessed_folder", "preprocess_folder"]


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


class Smoothing:
    """Resampled blocks of a :class:`~rotordx.data.kamp_grid.GroupStream` → smoothed blocks.

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
        normal = KAMP_CLASSES.index(NORMAL)
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
        scaler.transform(b, out=signals[:, pos : pos + b.shape[1]])
        pos += b.shape[1]
    return Preprocessed(
        time=grid_times(start, start + n, fs=config.fs),
        signals=signals,
        classes=KAMP_CLASSES,
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
            scaler.transform(a.reshape(rows, k), out=signals[c, pos : pos + rows])
            pos += rows
    return Preprocessed(
        time=grid_times(start, start + n, fs=config.fs),
        signals=signals,
        classes=classes,
        scaler=scaler,
        config=config,
    )


def write_entry(path: Path, smoothing: Smoothing, *, key, sources, blocks=None) -> None:
    """Store smoothed blocks as a cache entry (or a temporary entry) at ``path``.

    ``blocks`` are the smoothed blocks if already computed; by default they are
    streamed from ``smoothing``, whose scaler and start are recorded after the
    last block.
    """
    n_sensors = len(smoothing.stream.paths)
    with EntryWriter(
        path, key=key, sources=sources, classes=KAMP_CLASSES, n_sensors=n_sensors
    ) as w:
        for b in smoothing if blocks is None else blocks:
            w.write(b)
        w.finish(start=smoothing.start, scaler=smoothing.scaler.to_dict())


def warn_unwritable(path: Path, exc: OSError) -> None:
    """A cache that cannot be written only warns (at the caller of the public function)."""
    warnings.warn(f"rotordx: could not write the cache entry {path}: {exc}", stacklevel=3)


def cache_slot(stream, config: PreprocessConfig, cache) -> tuple[Path | None, dict, list]:
    """Where ``stream``'s group is cached (None: caching off), its key and its sources."""
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
    config = config or PreprocessConfig()
    stream = GroupStream(directory, group=group, fs=config.fs, duration=config.duration)
    path, key, sources = cache_slot(stream, config, cache)
    status = "off"
    if path is not None:
        status, entry = read_entry(path, key=key, sources=sources)
        if entry is not None:
            return _from_entry(entry, scaler=scaler, config=config), status
    smoothing = Smoothing(stream, config)
    blocks = list(smoothing)
    natural = smoothing.scaler
    # an entry only for sources that did not change while they were read
    if path is not None and source_identity(stream.paths) == sources:
        try:
            write_entry(path, smoothing, key=key, sources=sources, blocks=blocks)
        except OSError as exc:
            warn_unwritable(path, exc)
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
    the result is kept in (or taken from) the :mod:`rotordx.data.cache`.

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
        ``True``: the default cache folder (:func:`rotordx.data.cache.default_cache_dir`);
        a path: that folder; ``False``: no cache.
    """
    return load_preprocessed_folder(
        directory, group=group, config=config, scaler=scaler, cache=cache
    )[0]
