"""The Parquet form of a preprocessed KAMP group, and loading the seed protocol's data.

:func:`write_preprocessed` / :func:`read_preprocessed` store a
:class:`~rotordx.data.seed.Preprocessed` group as columns ``time, s1 … sK,
label`` with the scaler, classes and settings in the schema metadata;
:func:`preprocess_to_parquet` writes that form straight from a group folder
in bounded memory; :func:`load_dataset` takes either a group folder or such a
file.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict
from pathlib import Path

import numpy as np

from rotordx._atomic import atomic_file
from rotordx.data.cache import META_KEY, read_entry
from rotordx.data.kamp_grid import GroupStream
from rotordx.data.seed import PreprocessConfig, Preprocessed
from rotordx.data.seed_folder import (
    Smoothing,
    cache_slot,
    preprocess_folder,
    warn_unwritable,
    write_entry,
)
from rotordx.exceptions import DataError
from rotordx.io.sources import KAMP, PREPROCESSED, PREPROCESSED_KEY, open_source
from rotordx.signal.resample import grid_times
from rotordx.signal.scaling import MinMaxScaling

__all__ = ["load_dataset", "preprocess_to_parquet", "read_preprocessed", "write_preprocessed"]


def write_preprocessed(data: Preprocessed, path: str | os.PathLike[str]) -> Path:
    """Write ``data`` as Parquet: columns ``time, s1 … sK, label``, one row per sample.

    Scaler, class names and preprocessing parameters go into the file's
    schema metadata, so :func:`read_preprocessed` restores everything.
    """
    import pyarrow as pa  # lazy: pyarrow takes a fraction of a second to import
    import pyarrow.parquet as pq  # lazy: as above

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
    table = pa.table(cols).replace_schema_metadata({PREPROCESSED_KEY: json.dumps(meta).encode()})
    path = Path(path)
    with atomic_file(path) as tmp:
        pq.write_table(table, tmp)
    return path


def read_preprocessed(path: str | os.PathLike[str]) -> Preprocessed:
    """Read a file written by :func:`write_preprocessed`."""
    import pyarrow as pa  # lazy: pyarrow takes a fraction of a second to import
    import pyarrow.parquet as pq  # lazy: as above

    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: file not found")
    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as exc:
        raise DataError(f"{path}: not a readable Parquet file ({exc})") from exc
    raw_meta = (table.schema.metadata or {}).get(PREPROCESSED_KEY)
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
    import pyarrow as pa  # lazy: pyarrow takes a fraction of a second to import
    import pyarrow.parquet as pq  # lazy: as above

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
        metadata={PREPROCESSED_KEY: _preprocessed_meta(classes, scaler, config)},
    )
    with atomic_file(out) as tmp, pq.ParquetWriter(tmp, schema) as writer:
        for ci, cls in enumerate(classes):
            row = start
            for rg in range(pf.num_row_groups):  # one block in memory at a time
                part = pf.read_row_group(rg, columns=[cls]).column(0).to_numpy()
                block = part.reshape(-1, k)
                m = block.shape[0]
                scaled = np.empty_like(block)
                scaler.transform(block, out=scaled)
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
    import pyarrow as pa  # lazy: pyarrow takes a fraction of a second to import

    config = config or PreprocessConfig()
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    stream = GroupStream(directory, group=group, fs=config.fs, duration=config.duration)
    cached, key, sources = cache_slot(stream, config, cache)
    # named like atomic_file's temporaries: a killed run's folder is removed by the next one
    with tempfile.TemporaryDirectory(
        prefix=f".{out.name}.{os.getpid()}.", suffix=".tmp", dir=out.parent
    ) as tmp:
        entry, status = Path(tmp) / "smoothed.parquet", "off"
        if cached is not None:
            status, _ = read_entry(cached, key=key, sources=sources, load=False)
            if status != "hit":
                try:
                    write_entry(cached, Smoothing(stream, config), key=key, sources=sources)
                except OSError as exc:
                    warn_unwritable(cached, exc)
                    cached = None
            if cached is not None:
                entry = cached
        if not entry.is_file():
            write_entry(entry, Smoothing(stream, config), key=key, sources=sources)
        try:
            info = _entry_to_long(entry, out, config)
        except (pa.ArrowException, OSError, KeyError, ValueError):
            if status != "hit":
                raise
            status = "corrupt"  # failed a checksum while being read: rebuild it
            write_entry(entry, Smoothing(stream, config), key=key, sources=sources)
            info = _entry_to_long(entry, out, config)
    return {**info, "cache": status}


def load_dataset(
    path: str | os.PathLike[str],
    *,
    group: int | None = None,
    config: PreprocessConfig | None = None,
    scaler: MinMaxScaling | None = None,
    cache: bool | str | os.PathLike[str] | None = False,
) -> Preprocessed:
    """The seed protocol's data: a KAMP group folder preprocessed, or a preprocessed file.

    Parameters
    ----------
    path : path-like
        A folder with ``g{N}_sensor{1..4}.csv`` or a ``.parquet`` file from
        ``rotordx preprocess``.
    group : int, optional
        Group number inside a folder holding several.
    config : PreprocessConfig, optional
        Preprocessing to apply (a Parquet file must have been made with it).
    scaler : MinMaxScaling, optional
        Scaling to apply instead of one fitted on this data's normal class.
    cache : bool or path-like
        Folders: keep / take the preprocessed group in the cache
        (:mod:`rotordx.data.cache`; ``True`` for the default folder).
    """
    source = open_source(path, accept=(KAMP, PREPROCESSED))
    if source.kind == KAMP:
        return preprocess_folder(
            source.path, group=group, config=config, scaler=scaler, cache=cache
        )
    data = read_preprocessed(source.path)
    if config is not None and data.config != config:
        raise DataError(
            f"{path}: preprocessed with {asdict(data.config)}, expected {asdict(config)}; "
            "pass the raw data folder instead"
        )
    if scaler is not None and scaler != data.scaler:
        raw = data.scaler.inverse_transform(data.signals)
        data = Preprocessed(
            time=data.time,
            signals=scaler.transform(raw),
            classes=data.classes,
            scaler=scaler,
            config=data.config,
        )
    return data
