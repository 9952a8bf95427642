"""Fleet-scale batches: ``batch``."""

from __future__ import annotations

import contextlib
import json
import signal
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from rotordx.batch import BatchSummary, run_batch
from rotordx.batch.store import PARTITIONS
from rotordx.cli._common import Force, Quiet, Seed, err, handle_errors
from rotordx.features.bearing import BEARINGS
from rotordx.features.severity import SEVERITY_PRESETS

app = typer.Typer()

#: Failures listed by the summary (all are in the results' `error` column).
SHOWN_FAILURES = 20


@contextlib.contextmanager
def _sigterm_interrupts():
    """SIGTERM (a cluster's time limit, `kill`) stops the batch as Ctrl-C does."""

    def raise_interrupt(signum, frame):
        raise KeyboardInterrupt

    try:
        old = signal.signal(signal.SIGTERM, raise_interrupt)
    except ValueError:  # not the main thread: leave SIGTERM alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)


def summary_tables(s: BatchSummary) -> list[Table]:
    """Rows per verdict, per machine, the failures."""
    verdicts = Table(title=f"{s.out}: rows per verdict")
    verdicts.add_column("verdict")
    verdicts.add_column("rows", justify="right")
    for v, n in s.verdicts.items():
        verdicts.add_row(v, f"{n:,}")
    names = list(s.verdicts)
    machines = Table(title="rows per machine")
    machines.add_column("machine")
    for v in names:
        machines.add_column(v, justify="right")
    for m, counts in s.machines.items():
        machines.add_row(m, *(f"{counts.get(v, 0):,}" for v in names))
    tables = [verdicts, machines]
    if s.failures:
        more = len(s.failures) - SHOWN_FAILURES
        fail = Table(
            title=f"failures ({len(s.failures):,}"
            + (f"; the first {SHOWN_FAILURES} shown, all in the `error` column" if more > 0 else "")
            + ")"
        )
        fail.add_column("path", overflow="fold")
        fail.add_column("error", overflow="fold")
        for path, error in s.failures[:SHOWN_FAILURES]:
            fail.add_row(path, error)
        tables.append(fail)
    return tables


@app.command()
@handle_errors
def batch(
    input: Annotated[
        Path,
        typer.Argument(
            help="A manifest (path,label,…, as everywhere) or a folder of CWRU .mat files."
        ),
    ],
    out: Annotated[
        Path,
        typer.Option(help="Results folder: Parquet parts, one row per recording (docs/batch.md)."),
    ],
    model: Annotated[
        Path | None,
        typer.Option(help="A run folder or .onnx file; without one the physics alone decides."),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(help="Worker processes of a local Dask cluster, one thread each (default 2)."),
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option(
            help="Address of a running Dask scheduler (tcp://host:8786) to use instead of a "
            "local cluster; its workers need rotordx and the files at the same paths."
        ),
    ] = None,
    resume: Annotated[
        bool,
        typer.Option(
            "--resume",
            help="Keep the rows in OUT and diagnose only the recordings not there (by path, "
            "size and modification time).",
        ),
    ] = False,
    retry_failed: Annotated[
        bool,
        typer.Option("--retry-failed", help="With --resume: try the rows with an error again."),
    ] = False,
    partition_by: Annotated[
        str | None,
        typer.Option(help=f"Partition the parts ({', '.join(PARTITIONS)}): OUT/machine=M01/…"),
    ] = None,
    rate: Annotated[
        float | None,
        typer.Option(help="Sample rate in Hz of CSV/Parquet files without a time column."),
    ] = None,
    rpm: Annotated[
        float | None,
        typer.Option(help="Running speed in rev/min of every recording, when known."),
    ] = None,
    bearing: Annotated[
        str | None,
        typer.Option(
            help=f"The monitored bearing ({', '.join(BEARINGS)}); default the manifest's."
        ),
    ] = None,
    thresholds: Annotated[
        str, typer.Option(help=f"Severity zones: {', '.join(SEVERITY_PRESETS)}.")
    ] = "group2_rigid",
    limit: Annotated[
        int | None,
        typer.Option(help="Diagnose at most this many recordings now (--resume goes on)."),
    ] = None,
    part_rows: Annotated[
        int, typer.Option(help="Rows per Parquet part (a part is also written every 10 s).")
    ] = 1000,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the summary as one JSON object.")
    ] = False,
    seed: Seed = 0,
    force: Force = False,
    quiet: Quiet = False,
) -> None:
    """Diagnose every recording of a manifest on Dask; one Parquet row each, resumable."""
    try:
        with _sigterm_interrupts():
            s = run_batch(
                input,
                out,
                model=model,
                workers=workers,
                scheduler=scheduler,
                resume=resume,
                force=force,
                retry_failed=retry_failed,
                partition_by=partition_by,
                rate=rate,
                rpm=rpm,
                bearing=bearing,
                thresholds=thresholds,
                seed=seed,
                limit=limit,
                part_rows=part_rows,
                progress=not quiet,
            )
    except KeyboardInterrupt:
        err(f"interrupted; the rows written so far are kept in {out}: rerun with --resume")
        raise typer.Exit(130) from None
    if as_json:
        typer.echo(json.dumps(s.to_dict()))
        return
    console = Console()
    for t in summary_tables(s):
        console.print(t)
    typer.echo(
        f"{s.processed:,} recordings diagnosed now ({s.failed:,} failed), {s.skipped:,} already "
        f"in {out}; {s.rate:,.1f} recordings/s on {s.workers} worker(s) "
        f"({s.seconds:.1f} s in all, cluster start included); {s.parts} part(s) written"
    )
