"""Experiment commands: ``demo``, ``compare``, ``crossval``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from rotordx.cli._common import (
    DEFAULT_THREADS,
    Force,
    Quiet,
    Seed,
    Threads,
    handle_errors,
    parse_names,
    parse_split,
    positive_threads,
)
from rotordx.cli._tables import comparison_tables, crossval_table, demo_table
from rotordx.data.splits import DEFAULT_WINDOW, WindowConfig
from rotordx.models.registry import get_spec
from rotordx.models.train_config import TrainConfig
from rotordx.workflows.compare import COMPARE_MODELS, SHIFTS, write_comparison
from rotordx.workflows.crossval import DEFAULT_K, FOLD_SCHEMES, write_crossval
from rotordx.workflows.demo import DEMO_MODELS, run_demo

app = typer.Typer()

#: Demo defaults: short enough for a few minutes on 2 cores (see docs/pipeline.md).
DEMO_EPOCHS = 15
DEMO_PATIENCE = 5


@app.command()
@handle_errors
def demo(
    out: Annotated[Path, typer.Option(help="Folder for data, runs and summary.")] = Path(
        "rotordx-demo"
    ),
    seconds: Annotated[float, typer.Option(help="Simulated seconds per sensor.")] = 140.0,
    rpm: Annotated[float, typer.Option(help="Running speed in rev/min.")] = 1800.0,
    full: Annotated[
        bool,
        typer.Option("--full", help="Seed models: the seed's 1000 epochs and patience 50."),
    ] = False,
    max_epochs: Annotated[int | None, typer.Option(help="Override the epoch limit.")] = None,
    patience: Annotated[int | None, typer.Option(help="Override the patience.")] = None,
    split: Annotated[
        str, typer.Option(help="Per-class train,valid,test samples.")
    ] = "60000,20000,20000",
    models: Annotated[str, typer.Option(help="Comma-separated model names.")] = ",".join(
        DEMO_MODELS
    ),
    window: Annotated[
        int, typer.Option(help="Windowed protocol: samples per window.")
    ] = DEFAULT_WINDOW,
    hop: Annotated[
        int | None,
        typer.Option(help="Windowed protocol: samples between windows (default window/4)."),
    ] = None,
    threads: Threads = DEFAULT_THREADS,
    seed: Seed = 0,
    force: Force = False,
    quiet: Quiet = False,
) -> None:
    """Simulate a testbed, train every model (windowed and the seed's three), print a table."""
    cfg = TrainConfig(
        max_epochs=max_epochs or (1000 if full else DEMO_EPOCHS),
        patience=patience or (50 if full else DEMO_PATIENCE),
        seed=seed,
        threads=positive_threads(threads),
    )
    names = parse_names(models)
    for name in names:
        get_spec(name)
    rows = run_demo(
        out,
        seconds=seconds,
        rpm=rpm,
        seed=seed,
        train_config=cfg,
        models=names,
        split=parse_split(split),
        window=WindowConfig(window=window, hop=hop),
        force=force,
        progress=not quiet,
    )
    title = f"simulated testbed ({seconds:g} s, {rpm:g} rpm, seed {seed}): test split"
    Console().print(demo_table(rows, title))
    typer.echo(f"try: rotordx diagnose {out}/data --model {out}/features --no-plots")
    typer.echo(f"runs, figures and summary in {out}/")


@app.command()
@handle_errors
def compare(
    data: Annotated[
        Path | None, typer.Argument(help="KAMP group folder; omitted: simulate one.")
    ] = None,
    out: Annotated[Path, typer.Option(help="Folder for compare.json/.md/.png.")] = Path(
        "rotordx-compare"
    ),
    models: Annotated[str, typer.Option(help="Comma-separated model names.")] = ",".join(
        COMPARE_MODELS
    ),
    shift: Annotated[
        list[str] | None,
        typer.Option(
            help="Also test under a shifted condition of the simulator: "
            f"{', '.join(SHIFTS)} (repeatable)."
        ),
    ] = None,
    window: Annotated[int, typer.Option(help="Samples per window.")] = DEFAULT_WINDOW,
    hop: Annotated[
        int | None, typer.Option(help="Samples between training windows (default window/4).")
    ] = None,
    seconds: Annotated[float, typer.Option(help="Simulated seconds (no DATA / shift).")] = 140.0,
    rpm: Annotated[float, typer.Option(help="Simulated running speed (no DATA / shift).")] = 1800.0,
    seed_epochs: Annotated[int, typer.Option(help="Epoch limit of the seed models.")] = 15,
    seed_patience: Annotated[int, typer.Option(help="Patience of the seed models.")] = 5,
    split: Annotated[
        str, typer.Option(help="Seed protocol: per-class train,valid,test.")
    ] = "60000,20000,20000",
    threads: Threads = DEFAULT_THREADS,
    seed: Seed = 0,
    force: Force = False,
    quiet: Quiet = False,
) -> None:
    """Train every model on the same splits; table of accuracy, time and size (+ shifts)."""
    names = parse_names(models)
    result = write_comparison(
        out,
        data=data,
        models=names,
        shifts=tuple(shift or ()),
        window=WindowConfig(window=window, hop=hop),
        seconds=seconds,
        rpm=rpm,
        seed=seed,
        threads=positive_threads(threads),
        seed_epochs=seed_epochs,
        seed_patience=seed_patience,
        seed_split_sizes=parse_split(split),
        force=force,
        progress=not quiet,
    )
    console = Console()
    for table in comparison_tables(result, names):
        console.print(table)
    typer.echo(
        f"wrote {out}/compare.md, compare.json, compare.png ({result['seconds_total']:.0f} s)"
    )


@app.command()
@handle_errors
def crossval(
    data: Annotated[Path, typer.Argument(help="CWRU folder or manifest CSV.")],
    folds: Annotated[
        str,
        typer.Option(
            help="Which recordings to hold out: size (leave one fault size out), position "
            "(one outer-race position), load (train at the lowest load) on CWRU files; "
            "condition (each value of the manifest's condition column), recording (--k "
            "folds of whole recordings, stratified by label), machine (each machine of the "
            f"manifest's machine column). One of {', '.join(FOLD_SCHEMES)}."
        ),
    ] = "size",
    k: Annotated[int, typer.Option(help="Folds of --folds recording.")] = DEFAULT_K,
    out: Annotated[Path, typer.Option(help="Folder for crossval.json/.md and figures.")] = Path(
        "rotordx-crossval"
    ),
    models: Annotated[str, typer.Option(help="Comma-separated window models.")] = (
        "bearing,minirocket"
    ),
    window: Annotated[
        int | None,
        typer.Option(
            help="Samples per window (default: long enough to estimate the running speed, "
            "8192 at 12 kHz)."
        ),
    ] = None,
    revolutions: Annotated[
        float | None,
        typer.Option(help="Window length in shaft revolutions instead (needs every rpm)."),
    ] = None,
    hop: Annotated[
        int | None, typer.Option(help="Samples between training windows (default window/4).")
    ] = None,
    rate: Annotated[
        float | None, typer.Option(help="Common sample rate in Hz (default the lowest).")
    ] = None,
    threads: Threads = DEFAULT_THREADS,
    seed: Seed = 0,
    plots: Annotated[
        bool, typer.Option(help="Write a confusion matrix per model and fold.")
    ] = True,
    bearing: Annotated[
        str | None,
        typer.Option(
            help="Monitored bearing for recordings that do not name one (a catalogue name such "
            "as 6203 or 'SKF 6205', or balls:d:D:angle); the bearing model needs it."
        ),
    ] = None,
    force: Force = False,
    quiet: Quiet = False,
) -> None:
    """Hold out whole recordings (fault size, position, load, condition); accuracy per fold."""
    names = parse_names(models)
    result = write_crossval(
        out,
        force=force,
        plots=plots,
        data=data,
        by=folds,
        k=k,
        models=names,
        window=window,
        revolutions=revolutions,
        hop=hop,
        fs=rate,
        seed=seed,
        threads=positive_threads(threads),
        progress=not quiet,
        bearing=bearing,
    )
    Console().print(crossval_table(result, folds, names))
    typer.echo(f"per-recording table, confusion matrices and JSON in {out}/")
