"""What a batch run did, and what its results folder now holds."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["FAILED", "BatchSummary", "summarize"]

#: The key of failed recordings in :attr:`BatchSummary.machines`.
FAILED = "failed"


@dataclass
class BatchSummary:
    """A batch run's counts and speed, and the counts of the whole results folder.

    Attributes
    ----------
    out : Path
    run : int
        This run's number in the folder (0 for the first).
    total : int
        Recordings of the input (bad manifest lines included).
    skipped : int
        Already in the results (``--resume``): not diagnosed again.
    diagnosed, failed : int
        Rows this run wrote: with a diagnosis, with an error.
    seconds : float
        Wall time of the run, cluster start included.
    work_seconds : float
        Wall time from the first task submitted to the last row written.
    worker_seconds : float
        Sum of the workers' seconds per recording (read + diagnose).
    workers : int
        Dask workers the run had at its start.
    parts : int
        Parquet parts this run wrote.
    duplicates : int
        Rows that arrived for an identity already written, and were dropped.
    verdicts : dict
        The whole folder: rows per verdict (failed rows under ``"failed"``).
    machines : dict
        The whole folder: per machine (``"-"`` for none), rows per verdict and ``"failed"``.
    failures : list of (path, error)
        The whole folder's rows with an error.
    """

    out: Path
    run: int
    total: int
    skipped: int
    diagnosed: int
    failed: int
    seconds: float
    work_seconds: float
    worker_seconds: float
    workers: int
    parts: int
    duplicates: int
    verdicts: dict[str, int] = field(default_factory=dict)
    machines: dict[str, dict[str, int]] = field(default_factory=dict)
    failures: list[tuple[str, str]] = field(default_factory=list)

    @property
    def processed(self) -> int:
        """Rows written by this run."""
        return self.diagnosed + self.failed

    @property
    def rate(self) -> float:
        """Recordings per second of this run, cluster start not counted (0 with no work)."""
        return self.processed / self.work_seconds if self.processed and self.work_seconds else 0.0

    def to_dict(self) -> dict:
        """Plain JSON."""
        return {
            "out": str(self.out),
            "run": self.run,
            "total": self.total,
            "skipped": self.skipped,
            "diagnosed": self.diagnosed,
            "failed": self.failed,
            "seconds": self.seconds,
            "work_seconds": self.work_seconds,
            "worker_seconds": self.worker_seconds,
            "recordings_per_second": self.rate,
            "workers": self.workers,
            "parts": self.parts,
            "duplicates_dropped": self.duplicates,
            "verdicts": self.verdicts,
            "machines": self.machines,
            "failures": [{"path": p, "error": e} for p, e in self.failures],
        }


def summarize(folder, rows: list[dict], **counts) -> BatchSummary:
    """The summary of a run that wrote ``rows`` into ``folder`` (a ResultsFolder)."""
    verdicts: Counter = Counter()
    machines: dict[str, Counter] = {}
    failures = []
    for r in [*folder.previous, *rows]:
        key = FAILED if r["error"] else (r["verdict"] or "?")
        verdicts[key] += 1
        machines.setdefault(r["machine"] or "-", Counter())[key] += 1
        if r["error"]:
            failures.append((r["path"], r["error"]))
    failed = sum(1 for r in rows if r["error"])
    return BatchSummary(
        out=folder.out,
        run=folder.run,
        diagnosed=len(rows) - failed,
        failed=failed,
        worker_seconds=float(sum(r["seconds"] or 0.0 for r in rows)),
        verdicts=dict(verdicts.most_common()),
        machines={m: dict(c.most_common()) for m, c in sorted(machines.items())},
        failures=sorted(failures),
        **counts,
    )
