"""The ``rotordx`` command: a thin layer over the Python API.

Every command catches :class:`~rotordx.exceptions.RotordxError`, prints one
line ``error: …`` on stderr and exits with status 1. Torch is imported only
by the commands that need a model.
"""

from __future__ import annotations

import functools
import json
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from rotordx.exceptions import ParameterError, RotordxError

app = typer.Typer(
    name="rotordx",
    help="Fault diagnosis of rotating machines from vibration (KAMP rotor testbed pipeline).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

DEFAULT_THREADS = (
    max(1, len(os.sched_getaffinity(0)))
    if hasattr(os, "sched_getaffinity")
    else max(1, os.cpu_count() or 1)
)

Seed = Annotated[int, typer.Option(help="Random seed; the same seed gives the same numbers.")]
Force = Annotated[bool, typer.Option("--force", help="Replace an existing output folder.")]


def _err(msg: str) -> None:
    typer.echo(f"error: {msg}", err=True)


def _handle_errors(func):
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except RotordxError as exc:
            _err(str(exc))
            raise typer.Exit(1) from None
        except KeyboardInterrupt:
            _err("interrupted; no partial output was kept")
            raise typer.Exit(130) from None

    return wrapper


def _parse_split(text: str) -> tuple[int, int, int]:
    try:
        parts = tuple(int(p) for p in text.split(","))
    except ValueError:
        parts = ()
    if len(parts) != 3 or min(parts) <= 0:
        raise ParameterError(
            f"--split must be three positive integers like 60000,20000,20000; got {text!r}"
        )
    return parts  # type: ignore[return-value]


def _train_config(**kw):
    from rotordx.train import TrainConfig

    return TrainConfig(**kw)


@app.command()
@_handle_errors
def simulate(
    out_dir: Annotated[Path, typer.Argument(help="Folder to write g<N>_sensor1..4.csv into.")],
    seconds: Annotated[float, typer.Option(help="Duration per sensor in seconds.")] = 140.0,
    rpm: Annotated[float, typer.Option(help="Mean running speed in rev/min.")] = 1800.0,
    seed: Seed = 0,
    group: Annotated[int, typer.Option(help="Group number in the file names.")] = 1,
    unbalance: Annotated[float, typer.Option(help="Unbalance severity (1 = default).")] = 1.0,
    looseness: Annotated[float, typer.Option(help="Looseness severity (1 = default).")] = 1.0,
    noise: Annotated[float, typer.Option(help="Broadband noise level (1 = default).")] = 1.0,
    rpm_wander: Annotated[float, typer.Option(help="Relative slow speed wander.")] = 0.01,
) -> None:
    """Simulate the 4-sensor rotor testbed and write a KAMP group (CSV)."""
    from rotordx.io import write_kamp_group
    from rotordx.simulate import TestbedConfig, simulate_testbed

    config = TestbedConfig(
        seconds=seconds,
        rpm=rpm,
        unbalance=unbalance,
        looseness=looseness,
        noise=noise,
        rpm_wander=rpm_wander,
    )
    paths = write_kamp_group(out_dir, simulate_testbed(config, seed=seed), group=group)
    for p in paths:
        typer.echo(str(p))


@app.command()
@_handle_errors
def preprocess(
    data_dir: Annotated[Path, typer.Argument(help="KAMP group folder.")],
    out: Annotated[Path, typer.Argument(help="Parquet file to write.")],
    group: Annotated[
        int | None, typer.Option(help="Group number if the folder has several.")
    ] = None,
    fs: Annotated[float, typer.Option(help="Grid rate in Hz.")] = 1000.0,
    duration: Annotated[float, typer.Option(help="Grid end in seconds (max).")] = 140.0,
    ma_window: Annotated[int, typer.Option(help="Moving-average length M.")] = 15,
) -> None:
    """Resample to one grid, smooth and min-max scale a KAMP group (the seed's steps)."""
    from rotordx.preprocess import PreprocessConfig, write_preprocessed
    from rotordx.runs import load_dataset

    if out.suffix.lower() != ".parquet":
        raise ParameterError(f"{out}: output must end in .parquet")
    ds = load_dataset(
        data_dir,
        group=group,
        config=PreprocessConfig(fs=fs, duration=duration, ma_window=ma_window),
    )
    write_preprocessed(ds, out)
    n_cls, n, k = ds.signals.shape
    typer.echo(
        f"{out}: {n_cls} classes x {n} samples x {k} sensors ({ds.time[0]:.3f}–{ds.time[-1]:.3f} s)"
    )


@app.command()
@_handle_errors
def train(
    data: Annotated[Path, typer.Argument(help="KAMP group folder or preprocessed .parquet.")],
    model: Annotated[str, typer.Option(help="dnn | cnn | rnn (the seed's models).")] = "dnn",
    out: Annotated[Path, typer.Option(help="Run folder to create.")] = Path("runs/model"),
    max_epochs: Annotated[int, typer.Option(help="Upper limit of epochs.")] = 1000,
    patience: Annotated[
        int, typer.Option(help="Stop after this many epochs without a better validation accuracy.")
    ] = 50,
    batch_size: Annotated[int, typer.Option(help="Training batch size.")] = 5000,
    split: Annotated[
        str, typer.Option(help="Per-class train,valid,test samples.")
    ] = "60000,20000,20000",
    threads: Annotated[int, typer.Option(help="Torch threads.")] = DEFAULT_THREADS,
    group: Annotated[int | None, typer.Option(help="Group number if several.")] = None,
    seed: Seed = 0,
    force: Force = False,
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress bar.")] = False,
) -> None:
    """Train a seed model (seed protocol) and write a run folder."""
    from rotordx.runs import train_run

    cfg = _train_config(
        max_epochs=max_epochs, patience=patience, batch_size=batch_size, seed=seed, threads=threads
    )
    m = train_run(
        data,
        model=model,
        out=out,
        train_config=cfg,
        split=_parse_split(split),
        group=group,
        force=force,
        progress=not quiet,
    )
    typer.echo(
        f"{model}: test accuracy {m['accuracy'] * 100:.2f}%  macro-F1 "
        f"{m['macro_f1']:.4f}  epochs {m['epochs_run']} (best {m['best_epoch']})  "
        f"{m['seconds']:.1f} s"
    )
    typer.echo(
        f"wrote {out}/ (model.safetensors, bundle.json, metrics.json, "
        "loss_curve.png, confusion_matrix.png)"
    )


def _print_scores(m: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    console.print(
        f"[bold]{m['model']}[/] on {m['data']}: accuracy "
        f"{m['accuracy'] * 100:.2f}%  macro-F1 {m['macro_f1']:.4f}  "
        f"({m['n_samples']} samples)"
    )
    t = Table(title="confusion matrix (rows: true class, columns: predicted)")
    t.add_column("true \\ pred")
    for c in m["classes"]:
        t.add_column(c, justify="right")
    t.add_column("recall", justify="right")
    for c, row in zip(m["classes"], m["confusion_matrix"], strict=True):
        t.add_row(c, *map(str, row), f"{m['per_class_recall'][c] * 100:.1f}%")
    console.print(t)


@app.command()
@_handle_errors
def evaluate(
    run_dir: Annotated[Path, typer.Argument(help="Run folder written by `rotordx train`.")],
    data: Annotated[Path, typer.Argument(help="KAMP group folder or preprocessed .parquet.")],
    group: Annotated[int | None, typer.Option(help="Group number if several.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Score a saved model on all of another data set, with the model's preprocessing."""
    from rotordx.runs import evaluate_run

    m = evaluate_run(run_dir, data, group=group)
    if as_json:
        typer.echo(json.dumps(m))
    else:
        _print_scores(m)


@app.command()
@_handle_errors
def demo(
    out: Annotated[Path, typer.Option(help="Folder for data, runs and summary.")] = Path(
        "rotordx-demo"
    ),
    seconds: Annotated[float, typer.Option(help="Simulated seconds per sensor.")] = 140.0,
    rpm: Annotated[float, typer.Option(help="Running speed in rev/min.")] = 1800.0,
    full: Annotated[
        bool, typer.Option("--full", help="The seed's setting: up to 1000 epochs, patience 50.")
    ] = False,
    max_epochs: Annotated[int | None, typer.Option(help="Override the epoch limit.")] = None,
    patience: Annotated[int | None, typer.Option(help="Override the patience.")] = None,
    split: Annotated[
        str, typer.Option(help="Per-class train,valid,test samples.")
    ] = "60000,20000,20000",
    threads: Annotated[int, typer.Option(help="Torch threads.")] = DEFAULT_THREADS,
    seed: Seed = 0,
    force: Force = False,
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress bars.")] = False,
) -> None:
    """Simulate a testbed, train the seed's DNN, CNN and LSTM, and print a table."""
    from rich.console import Console
    from rich.table import Table

    from rotordx.runs import run_demo

    epochs = max_epochs or (1000 if full else DEMO_EPOCHS)
    pat = patience or (50 if full else DEMO_PATIENCE)
    cfg = _train_config(max_epochs=epochs, patience=pat, seed=seed, threads=threads)
    rows = run_demo(
        out,
        seconds=seconds,
        rpm=rpm,
        seed=seed,
        train_config=cfg,
        split=_parse_split(split),
        force=force,
        progress=not quiet,
    )
    t = Table(
        title=f"seed protocol on the simulated testbed ({seconds:g} s, {rpm:g} rpm, seed {seed})"
    )
    for col in ("model", "test accuracy", "macro-F1", "epochs", "best epoch", "seconds"):
        t.add_column(col, justify="left" if col == "model" else "right")
    for r in rows:
        t.add_row(
            r["model"],
            f"{r['accuracy'] * 100:.2f}%",
            f"{r['macro_f1']:.4f}",
            str(r["epochs_run"]),
            str(r["best_epoch"]),
            f"{r['seconds']:.1f}",
        )
    Console().print(t)
    typer.echo(f"runs, figures and summary in {out}/")


#: Demo defaults: short enough for a few minutes on 2 cores (see docs/pipeline.md).
DEMO_EPOCHS = 15
DEMO_PATIENCE = 5


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
