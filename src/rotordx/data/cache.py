"""A cache of preprocessed KAMP groups, so a second run skips parsing the CSV text.

Parsing the four CSV files is most of the cost of preprocessing a group
(about 0.25 s of CPU for 140 s of data). The resampled, smoothed signals are
therefore kept as one Parquet file per group and preprocessing setting in a
cache folder:

* ``$ROTORDX_CACHE`` if set, else ``$XDG_CACHE_HOME/rotordx``, else
  ``~/.cache/rotordx``; ``ROTORDX_CACHE=off`` (or ``0``, ``none``, empty)
  disables it, as does ``--no-cache`` on the command line.
* An entry is named by a digest of the group folder's resolved path, the
  group number, the preprocessing parameters and the format version, so
  one group and setting always maps to one file (a rebuilt entry replaces
  the old one; the cache does not grow with edits).
* The entry records the identity of each source file: resolved path, size,
  modification time in nanoseconds, inode, and a BLAKE2b digest of its first
  and last 64 KiB. An entry is used only when all of these still match and
  the recorded parameters equal the requested ones; otherwise it is *stale*
  and rebuilt. Hashing the whole text would catch every edit but costs about
  as much as a cache hit saves; an edit that keeps a file's size and
  modification time to the nanosecond and leaves its first and last 64 KiB
  unchanged goes unnoticed (use ``--no-cache`` for such data).
* Entries are written to a temporary file and renamed into place, with
  Parquet page checksums; they are read with checksum verification. An
  entry that cannot be read, fails a checksum, or lacks a column or the
  expected number of rows is *corrupt* and rebuilt, never used.

What is stored is the signal after resampling and the moving average, *before*
scaling, together with the min-max scaler the seed would fit on it; the
scaling (the seed's, or a saved model's) is applied when the entry is read,
so one entry serves training and evaluation alike.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rotordx._atomic import atomic_file

__all__ = [
    "CACHE_ENV",
    "FORMAT_VERSION",
    "META_KEY",
    "CacheEntry",
    "EntryWriter",
    "config_key",
    "default_cache_dir",
    "entry_path",
    "read_entry",
    "resolve_cache_dir",
    "source_identity",
]

#: Environment variable naming the cache folder (``off`` disables the cache).
CACHE_ENV = "ROTORDX_CACHE"
#: Version of the entry layout; entries of another version are rebuilt.
FORMAT_VERSION = 1
#: Key of the entry metadata in the Parquet footer.
META_KEY = b"rotordx-cache"
_EDGE_BYTES = 64 * 1024
_OFF = {"", "0", "off", "none", "false", "no"}


def default_cache_dir() -> Path | None:
    """The cache folder from the environment, or None when caching is switched off."""
    env = os.environ.get(CACHE_ENV)
    if env is not None:
        return None if env.strip().lower() in _OFF else Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "rotordx"


def resolve_cache_dir(cache: bool | str | os.PathLike[str] | None) -> Path | None:
    """Where to cache: ``True`` → :func:`default_cache_dir`, a path → it, ``False``/None → off."""
    if cache is None or cache is False:
        return None
    if cache is True:
        return default_cache_dir()
    return Path(cache).expanduser()


def _edges_digest(path: Path, size: int) -> str:
    h = hashlib.blake2b(digest_size=16)
    with path.open("rb") as fh:
        h.update(fh.read(_EDGE_BYTES))
        if size > _EDGE_BYTES:
            fh.seek(max(_EDGE_BYTES, size - _EDGE_BYTES))
            h.update(fh.read())
    return h.hexdigest()


def source_identity(paths: Sequence[str | os.PathLike[str]]) -> list[dict[str, Any]]:
    """What identifies the content of each source file without reading all of it."""
    out = []
    for p in paths:
        p = Path(p).resolve()
        st = p.stat()
        out.append(
            {
                "path": str(p),
                "size": st.st_size,
                "mtime_ns": st.st_mtime_ns,
                "inode": st.st_ino,
                "edges_blake2b": _edges_digest(p, st.st_size),
            }
        )
    return out


def entry_path(cache_dir: Path, key: dict[str, Any]) -> Path:
    """The entry file for ``key`` (JSON-able: source folder, group, parameters)."""
    text = json.dumps({**key, "format": FORMAT_VERSION}, sort_keys=True)
    digest = hashlib.sha256(text.encode()).hexdigest()[:32]
    return cache_dir / "preprocessed" / f"{digest}.parquet"


@dataclass(frozen=True)
class CacheEntry:
    """A verified entry: metadata and the smoothed, unscaled signals.

    Attributes
    ----------
    meta : dict
        ``key``, ``sources``, ``classes``, ``n_sensors``, ``start`` (grid
        index of the first row), ``n`` (rows), ``scaler`` and ``extra``.
    columns : list of list of np.ndarray
        Per class, its ``n`` samples of every sensor, time-major, in pieces
        (one per row group): ``np.concatenate(columns[c]).reshape(n, n_sensors)``.
    """

    meta: dict[str, Any]
    columns: list[list[np.ndarray]]


def read_entry(
    path: Path, *, key: dict[str, Any], sources: list[dict[str, Any]], load: bool = True
) -> tuple[str, CacheEntry | None]:
    """Open a cache entry and check it against the expected ``key`` and ``sources``.

    With ``load=False`` only the metadata is checked and the entry's
    ``columns`` are empty: the page checksums are then verified by whoever
    reads the pages.

    Returns
    -------
    status : {"hit", "miss", "stale", "corrupt"}
    entry : CacheEntry or None
        Only for ``"hit"``.
    """
    import pyarrow as pa  # lazy: pyarrow takes a fraction of a second to import
    import pyarrow.parquet as pq  # lazy: pyarrow takes a fraction of a second to import

    if not path.is_file():
        return "miss", None
    try:
        # memory-mapped: the pages are checksummed and converted without a copy into memory
        pf = pq.ParquetFile(path, memory_map=True, page_checksum_verification=True)
        raw = (pf.metadata.metadata or {}).get(META_KEY)
        meta = json.loads(raw) if raw is not None else None
    except (pa.ArrowException, OSError, ValueError):
        return "corrupt", None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT_VERSION:
        return "corrupt" if not isinstance(meta, dict) else "stale", None
    if meta.get("key") != key or meta.get("sources") != sources:
        return "stale", None
    try:
        names = list(meta["classes"])
        n, k = int(meta["n"]), int(meta["n_sensors"])
        if pf.metadata.num_rows != n * k or pf.schema_arrow.names != names:
            return "corrupt", None
        if not load:
            return "hit", CacheEntry(meta=meta, columns=[])
        table = pf.read(use_threads=True)
        columns = [[a.to_numpy() for a in table.column(c).chunks] for c in names]
    except (pa.ArrowException, OSError, KeyError, TypeError, ValueError):
        return "corrupt", None
    for pieces in columns:
        if sum(a.shape[0] for a in pieces) != n * k or any(
            a.dtype != np.float64 or a.shape[0] % k for a in pieces
        ):
            return "corrupt", None
    return "hit", CacheEntry(meta=meta, columns=columns)


class EntryWriter:
    """Write a cache entry block by block; it appears (atomically) on :meth:`close`.

    Use as a context manager; an exception inside discards the entry.

    Parameters
    ----------
    path : Path
        From :func:`entry_path`.
    key, sources : dict, list of dict
        What the entry is for (checked on reading).
    classes : sequence of str
    n_sensors : int
    """

    def __init__(
        self,
        path: Path,
        *,
        key: dict[str, Any],
        sources: list[dict[str, Any]],
        classes: Sequence[str],
        n_sensors: int,
    ) -> None:
        self.path = path
        self.meta: dict[str, Any] = {
            "format": FORMAT_VERSION,
            "key": key,
            "sources": sources,
            "classes": list(classes),
            "n_sensors": int(n_sensors),
        }
        self._names = list(classes)
        self._ctx = None
        self._writer = None
        self.n = 0

    def __enter__(self) -> EntryWriter:
        import pyarrow as pa  # lazy: pyarrow takes a fraction of a second to import
        import pyarrow.parquet as pq  # lazy: pyarrow takes a fraction of a second to import

        self._ctx = atomic_file(self.path)
        tmp = self._ctx.__enter__()
        schema = pa.schema([(n, pa.float64()) for n in self._names])
        self._writer = pq.ParquetWriter(
            tmp,
            schema,
            compression="none",  # vibration noise does not compress; speed matters
            use_dictionary=False,
            write_statistics=False,
            write_page_checksum=True,
        )
        return self

    def write(self, block: np.ndarray) -> None:
        """Append samples: ``block`` (n_classes, n, n_sensors) float64 (one row group)."""
        import pyarrow as pa  # lazy: pyarrow takes a fraction of a second to import

        n_cls, n, k = block.shape
        flat = np.ascontiguousarray(block).reshape(n_cls, n * k)
        self._writer.write_table(
            pa.table(dict(zip(self._names, flat, strict=True))), row_group_size=n * k
        )
        self.n += n

    def finish(self, **meta: Any) -> None:
        """Record the remaining metadata (``start``, ``scaler``, ``extra`` …) before closing."""
        self.meta.update(meta)

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            if exc_type is None:
                self.meta["n"] = self.n
                self._writer.add_key_value_metadata({META_KEY: json.dumps(self.meta)})
            self._writer.close()
        finally:
            self._ctx.__exit__(exc_type, exc, tb)


def config_key(directory: Path, group: int, config) -> dict[str, Any]:
    """The cache key of a group folder and a :class:`~rotordx.data.seed.PreprocessConfig`."""
    return {"directory": str(Path(directory).resolve()), "group": int(group), **asdict(config)}
