"""A batch's results folder: Parquet parts written atomically, read back as one table.

Layout::

    RESULTS/
      _batch.json                       what made the results (settings, runs)
      _batch.lock                       held while a batch writes (one at a time)
      part-r000-00000.parquet           rows of run 0, in the order they came
      machine=M01/part-r001-00003.parquet   (with partition_by="machine", Hive style)

Each part is written to a hidden temporary file (``.part-….tmp``), flushed to
disk and renamed into place: a reader (pandas, pyarrow.dataset, DuckDB,
Dask) sees whole parts or none, also while a batch runs; names starting with
``.`` or ``_`` are skipped by all of them. :class:`PartWriter` writes each
identity once (:data:`~rotordx.batch.schema.IDENTITY`) however often a row
for it arrives. :func:`read_results` reads a folder back as one Arrow table.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import time
import urllib.parse
from collections.abc import Iterable
from pathlib import Path

from rotordx._atomic import atomic_file, write_text_atomic
from rotordx.batch.schema import COLUMNS, IDENTITY, identity_of, result_schema
from rotordx.exceptions import DataError, ParameterError

__all__ = [
    "FORMAT",
    "META",
    "NULL_PARTITION",
    "PARTITIONS",
    "PartWriter",
    "ResultsFolder",
    "read_meta",
    "read_results",
]

FORMAT = "rotordx-batch"
VERSION = 1
META = "_batch.json"
LOCK = "_batch.lock"
#: The columns a batch may be partitioned by.
PARTITIONS = ("machine",)
#: The folder name of rows without a machine (pyarrow's and Hive's default).
NULL_PARTITION = "__HIVE_DEFAULT_PARTITION__"


def read_meta(out: str | os.PathLike[str]) -> dict | None:
    """The ``_batch.json`` of a results folder, or None where there is none."""
    path = Path(out) / META
    if not path.is_file():
        return None
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise DataError(f"{path}: not a {FORMAT} description")
    return meta


def _partitioning(partition_by: str | None):
    import pyarrow as pa  # lazy: pyarrow takes a fraction of a second to import
    import pyarrow.dataset as pads  # lazy: as above

    if partition_by is None:
        return None
    return pads.partitioning(pa.schema([(partition_by, pa.string())]), flavor="hive")


def _parts(out: Path) -> list[Path]:
    return sorted(
        p
        for p in out.rglob("part-*.parquet")
        if not any(s.startswith((".", "_")) for s in p.relative_to(out).parts)
    )


def read_results(out: str | os.PathLike[str], *, columns: Iterable[str] | None = None):
    """The rows of a batch's results folder as one ``pyarrow.Table``.

    Safe while a batch writes to it (parts appear whole). With partitioned
    results the ``machine`` column is read from the folder names. A folder
    without parts gives an empty table with every column.

    >>> t = read_results("results/")                     # doctest: +SKIP
    >>> df = t.to_pandas()                               # doctest: +SKIP
    >>> df[df.error != ""][["path", "error"]]             # doctest: +SKIP

    Raises
    ------
    DataError
        ``out`` is not a folder, or holds a part that is not readable.
    """
    import pyarrow as pa  # lazy: pyarrow takes a fraction of a second to import
    import pyarrow.dataset as pads  # lazy: as above

    out = Path(out)
    if not out.is_dir():
        raise DataError(f"{out}: no such folder of batch results")
    meta = read_meta(out) or {}
    partition_by = meta.get("partition_by")
    schema = result_schema()
    cols = list(columns) if columns is not None else list(COLUMNS)
    unknown = [c for c in cols if c not in COLUMNS]
    if unknown:
        raise ParameterError(f"unknown column(s) {', '.join(unknown)}; see rotordx.batch.COLUMNS")
    files = [str(p) for p in _parts(out)]
    if not files:
        return schema.empty_table().select(cols)
    try:
        dataset = pads.dataset(
            files,
            schema=schema,
            format="parquet",
            partitioning=_partitioning(partition_by),
            partition_base_dir=str(out),
        )
        return dataset.to_table(columns=cols)
    except (pa.ArrowException, OSError) as exc:
        raise DataError(f"{out}: a part is not readable ({exc})") from exc


class ResultsFolder:
    """A results folder opened by one batch run: locked, described, its rows known.

    Parameters
    ----------
    out : path-like
    settings : dict
        What decides the rows (model, rate, rpm, bearing, thresholds): a
        resumed batch must have the same.
    partition_by : str or None
    resume : bool
        Keep the rows there and add what is missing.
    force : bool
        Start over: remove the rows of an earlier batch.
    retry_failed : bool
        With ``resume``: remove the rows with an error, so they are tried again.
    """

    def __init__(
        self,
        out: str | os.PathLike[str],
        *,
        settings: dict,
        partition_by: str | None,
        resume: bool = False,
        force: bool = False,
        retry_failed: bool = False,
        input: str = "",
    ) -> None:
        if partition_by is not None and partition_by not in PARTITIONS:
            raise ParameterError(
                f"--partition-by must be one of {', '.join(PARTITIONS)}, got {partition_by!r}"
            )
        if resume and force:
            raise ParameterError("--resume keeps the results and --force removes them: pick one")
        self.out = Path(out)
        if self.out.exists() and not self.out.is_dir():
            raise ParameterError(f"{self.out} exists and is not a folder")
        meta = read_meta(self.out) if self.out.is_dir() else None
        if meta is None and self.out.is_dir() and any(p.name != LOCK for p in self.out.iterdir()):
            raise ParameterError(
                f"{self.out} is not empty and holds no batch results ({META}); choose a new "
                "or empty folder"
            )
        self.out.mkdir(parents=True, exist_ok=True)
        self._lock = self._acquire()
        try:
            if meta is not None and not resume and not force:
                raise ParameterError(
                    f"{self.out} already holds batch results: pass --resume to diagnose only "
                    "what is missing, or --force to start over"
                )
            if meta is not None and force:
                self._clear()
                meta = None
            if meta is not None:
                self._check(meta, settings, partition_by)
            self.partition_by = partition_by
            self.meta = meta or {
                "format": FORMAT,
                "version": VERSION,
                "settings": settings,
                "partition_by": partition_by,
                "columns": list(COLUMNS),
                "runs": [],
            }
            self.run = len(self.meta["runs"])
            self.meta["runs"].append(
                {"run": self.run, "input": input, "started": time.time(), "finished": None}
            )
            write_text_atomic(self.out / META, json.dumps(self.meta, indent=2) + "\n")
            self.previous = read_results(
                self.out, columns=[*IDENTITY, "machine", "verdict", "error"]
            ).to_pylist()
            self.done = {identity_of(r) for r in self.previous}
            if retry_failed:
                self.drop({identity_of(r) for r in self.previous if r["error"]})
        except BaseException:
            self.close()
            raise

    def _acquire(self):
        fh = (self.out / LOCK).open("a+")
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            fh.seek(0)
            who = fh.read().strip() or "?"
            fh.close()
            raise ParameterError(
                f"{self.out} is being written by another batch (pid {who}); wait for it to end"
            ) from None
        fh.seek(0)
        fh.truncate()
        fh.write(str(os.getpid()))
        fh.flush()
        return fh

    def _clear(self) -> None:
        for p in self.out.iterdir():
            if p.name == LOCK:
                continue
            if p.is_dir() and not p.is_symlink():
                shutil.rmtree(p)
            else:
                p.unlink()

    def _check(self, meta: dict, settings: dict, partition_by: str | None) -> None:
        old = meta.get("settings", {})
        diff = [k for k in sorted(set(old) | set(settings)) if old.get(k) != settings.get(k)]
        if diff:
            said = ", ".join(f"{k} {old.get(k)!r} (now {settings.get(k)!r})" for k in diff)
            raise ParameterError(
                f"{self.out} holds results made with {said}: resume with the same options, or "
                "write to another folder"
            )
        if meta.get("partition_by") != partition_by:
            raise ParameterError(
                f"{self.out} is partitioned by {meta.get('partition_by') or 'nothing'}; resume "
                "with the same --partition-by"
            )

    def drop(self, identities: set[tuple]) -> int:
        """Remove the rows of ``identities``, rewriting (atomically) the parts that hold them.

        Used for rows to diagnose again: ``--retry-failed``, and files changed
        since their row was written (the old row would contradict the new).
        Returns the rows removed.
        """
        import pyarrow as pa  # lazy: pyarrow takes a fraction of a second to import
        import pyarrow.parquet as pq  # lazy: as above

        if not identities:
            return 0
        removed = 0
        for part in _parts(self.out):
            table = pq.read_table(part, schema=pq.read_schema(part))
            keys = table.select(list(IDENTITY)).to_pylist()
            keep = [identity_of(k) not in identities for k in keys]
            if all(keep):
                continue
            removed += keep.count(False)
            kept = table.filter(pa.array(keep))
            if kept.num_rows == 0:
                part.unlink()
                continue
            with atomic_file(part) as tmp:
                pq.write_table(kept, tmp, compression="zstd")
        self.previous = [r for r in self.previous if identity_of(r) not in identities]
        self.done -= identities
        return removed

    def finish(self, **counts) -> None:
        """Record the end of this run (its counts) in ``_batch.json``."""
        self.meta["runs"][-1].update(finished=time.time(), **counts)
        write_text_atomic(self.out / META, json.dumps(self.meta, indent=2) + "\n")

    def close(self) -> None:
        """Release the lock."""
        with contextlib.suppress(OSError):
            fcntl.flock(self._lock, fcntl.LOCK_UN)
            self._lock.close()


class PartWriter:
    """Buffers rows and writes them as parts; each identity once.

    A part is written when ``part_rows`` rows wait (per partition) or the
    oldest waiting row is ``part_seconds`` old, and by :meth:`flush`.
    """

    def __init__(
        self,
        folder: ResultsFolder,
        *,
        part_rows: int = 1000,
        part_seconds: float = 10.0,
    ) -> None:
        if not isinstance(part_rows, int) or part_rows < 1:
            raise ParameterError(f"part_rows must be a positive integer, got {part_rows!r}")
        self.folder = folder
        self.part_rows, self.part_seconds = part_rows, float(part_seconds)
        self.seen: set[tuple] = set(folder.done)
        self.waiting: dict[str | None, list[dict]] = {}
        self.since: float | None = None
        self.parts = 0
        self.rows = 0
        self.duplicates = 0
        by = folder.partition_by
        self.schema = result_schema(without=(by,) if by else ())

    def add(self, rows: Iterable[dict]) -> list[dict]:
        """Take rows; those of identities not written yet are kept (and returned)."""
        fresh = []
        for row in rows:
            key = identity_of(row)
            if key in self.seen:
                self.duplicates += 1
                continue
            self.seen.add(key)
            fresh.append(row)
            part = row.get(self.folder.partition_by) if self.folder.partition_by else None
            self.waiting.setdefault(part, []).append(row)
        if fresh and self.since is None:
            self.since = time.monotonic()
        full = [k for k, v in self.waiting.items() if len(v) >= self.part_rows]
        for k in full:
            self._write(k, self.waiting.pop(k))
        if self.since is not None and time.monotonic() - self.since >= self.part_seconds:
            self.flush()
        return fresh

    def flush(self) -> None:
        """Write every waiting row."""
        for k in list(self.waiting):
            self._write(k, self.waiting.pop(k))
        self.since = None

    def _write(self, part: str | None, rows: list[dict]) -> None:
        import pyarrow as pa  # lazy: pyarrow takes a fraction of a second to import
        import pyarrow.parquet as pq  # lazy: as above

        if not rows:
            return
        folder = self.folder.out
        by = self.folder.partition_by
        if by:
            value = NULL_PARTITION if part is None else urllib.parse.quote(str(part), safe="")
            folder = folder / f"{by}={value}"
        table = pa.Table.from_pylist(rows, schema=self.schema)
        path = folder / f"part-r{self.folder.run:03d}-{self.parts:05d}.parquet"
        with atomic_file(path) as tmp:
            pq.write_table(table, tmp, compression="zstd")
            with tmp.open("rb") as fh:
                os.fsync(fh.fileno())
        self.parts += 1
        self.rows += len(rows)
