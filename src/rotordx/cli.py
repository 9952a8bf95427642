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

from rotordx.exceptions import DataError, ParameterError, RotordxError

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

SEED_SPLIT_DEFAULT = (60_000, 20_000, 20_000)
Seed = Annotated[int, typer.Option(help="Random seed; the same seed gives the same numbers.")]
Force = Annotated[bool, typer.Option("--force", help="Replace an existing output folder.")]
NoCache = Annotated[
    bool,
    typer.Option(
        "--no-cache",
        help="Do not use the cache of preprocessed KAMP groups ($ROTORDX_CACHE, default "
        "~/.cache/rotordx): parse the CSV files again and store nothing.",
    ),
]


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


THREADS_HELP = "Inference threads (ONNX Runtime intra-op; torch for a run folder)."


def _threads(n: int) -> int:
    if n < 1:
        raise ParameterError(f"--threads must be a positive integer, got {n}")
    return n


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
    no_cache: NoCache = False,
) -> None:
    """Resample to one grid, smooth and min-max scale a KAMP group (the seed's steps).

    The files are read chunk by chunk and the output written block by block,
    so memory stays bounded however long the recording.
    """
    from rotordx.preprocess import PreprocessConfig, preprocess_to_parquet

    if out.suffix.lower() != ".parquet":
        raise ParameterError(f"{out}: output must end in .parquet")
    if data_dir.is_file():
        raise DataError(f"{data_dir}: expected a KAMP group folder (g<N>_sensor1.csv …)")
    info = preprocess_to_parquet(
        data_dir,
        out,
        group=group,
        config=PreprocessConfig(fs=fs, duration=duration, ma_window=ma_window),
        cache=not no_cache,
    )
    typer.echo(
        f"{out}: {info['n_classes']} classes x {info['n']} samples x {info['n_sensors']} sensors "
        f"({info['t_first']:.3f}–{info['t_last']:.3f} s)"
    )


@app.command()
@_handle_errors
def train(
    data: Annotated[
        Path,
        typer.Argument(help="KAMP group folder (or, for seed models, a preprocessed .parquet)."),
    ],
    model: Annotated[
        str,
        typer.Option(
            help="features | wdcnn | lstm | minirocket (windowed "
            "protocol) or dnn | cnn | rnn (seed protocol)."
        ),
    ] = "dnn",
    out: Annotated[Path, typer.Option(help="Run folder to create.")] = Path("runs/model"),
    max_epochs: Annotated[
        int | None,
        typer.Option(help="Upper limit of epochs (torch models; seed 1000, windowed 60)."),
    ] = None,
    patience: Annotated[
        int | None,
        typer.Option(
            help="Stop after this many epochs without a "
            "better validation accuracy (seed 50, "
            "windowed 10)."
        ),
    ] = None,
    batch_size: Annotated[
        int | None, typer.Option(help="Training batch size (seed 5000, windowed 64).")
    ] = None,
    split: Annotated[
        str, typer.Option(help="Seed protocol: per-class train,valid,test samples.")
    ] = "60000,20000,20000",
    window: Annotated[int, typer.Option(help="Windowed protocol: samples per window.")] = 1024,
    revolutions: Annotated[
        float | None,
        typer.Option(
            help="Windowed protocol: window length in shaft revolutions instead, at the "
            "recordings' median speed (needs every rpm: CWRU files or a manifest's rpm column)."
        ),
    ] = None,
    hop: Annotated[
        int | None,
        typer.Option(help="Windowed protocol: samples between windows (default window/4)."),
    ] = None,
    protocol: Annotated[
        str | None,
        typer.Option(
            help="Override the model's protocol: 'window' runs a seed model on the leak-free "
            "windows (mean of its per-instant probabilities)."
        ),
    ] = None,
    threads: Annotated[int, typer.Option(help="Torch threads.")] = DEFAULT_THREADS,
    group: Annotated[int | None, typer.Option(help="Group number if several.")] = None,
    seed: Seed = 0,
    force: Force = False,
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress bar.")] = False,
    no_cache: NoCache = False,
) -> None:
    """Train a model and write a run folder (bundle, metrics, figures)."""
    from rotordx.models import default_train_config, protocol_of
    from rotordx.runs import train_run
    from rotordx.windows import WindowConfig

    protocol = protocol or protocol_of(model)
    if revolutions is not None and protocol != "window":
        raise ParameterError(
            f"--revolutions sets window lengths; {model!r} runs under the seed protocol"
        )
    cfg = default_train_config(
        model,
        max_epochs=max_epochs,
        patience=patience,
        batch_size=batch_size,
        seed=seed,
        threads=threads,
    )
    m = train_run(
        data,
        model=model,
        out=out,
        train_config=cfg,
        split=_parse_split(split) if protocol == "seed" else SEED_SPLIT_DEFAULT,
        window=WindowConfig(window=window, hop=hop or max(1, window // 4))
        if protocol == "window" and revolutions is None
        else None,
        revolutions=revolutions if protocol == "window" else None,
        hop=hop if revolutions is not None else None,
        protocol=protocol,
        group=group,
        force=force,
        progress=not quiet,
        cache=not no_cache,
    )
    epochs = f"  epochs {m['epochs_run']} (best {m['best_epoch']})" if m.get("epochs_run") else ""
    typer.echo(
        f"{model} ({protocol} protocol): test accuracy {m['accuracy'] * 100:.2f}%  "
        f"macro-F1 {m['macro_f1']:.4f}{epochs}  {m['seconds']:.1f} s"
    )
    typer.echo(f"wrote {out}/")


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
        rec = m["per_class_recall"][c]
        t.add_row(c, *map(str, row), "-" if rec is None else f"{rec * 100:.1f}%")
    console.print(t)


@app.command()
@_handle_errors
def evaluate(
    run_dir: Annotated[
        Path,
        typer.Argument(
            help="Run folder from `rotordx train`, or an .onnx file from `rotordx export`."
        ),
    ],
    data: Annotated[Path, typer.Argument(help="KAMP group folder or preprocessed .parquet.")],
    group: Annotated[int | None, typer.Option(help="Group number if several.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    threads: Annotated[int, typer.Option(help=THREADS_HELP)] = DEFAULT_THREADS,
    no_cache: NoCache = False,
) -> None:
    """Score a saved model on all of another data set, with the model's preprocessing."""
    from rotordx.runs import evaluate_run

    m = evaluate_run(run_dir, data, group=group, threads=_threads(threads), cache=not no_cache)
    if as_json:
        typer.echo(json.dumps(m))
    else:
        _print_scores(m)


@app.command()
@_handle_errors
def export(
    run_dir: Annotated[Path, typer.Argument(help="Run folder written by `rotordx train`.")],
    out: Annotated[Path, typer.Argument(help="ONNX file to write (.onnx).")],
    opset: Annotated[int, typer.Option(help="ONNX opset (13 or later).")] = 17,
    batch: Annotated[
        str, typer.Option(help="Batch dimension: 'dynamic' or a fixed size such as 256.")
    ] = "dynamic",
) -> None:
    """Export a run's torch model to ONNX (input standardisation and softmax included)."""
    from rotordx.onnx_export import export_onnx

    if batch == "dynamic":
        size = None
    elif batch.isdigit() and int(batch) > 0:
        size = int(batch)
    else:
        raise ParameterError(f"--batch must be 'dynamic' or a positive integer, got {batch!r}")
    info = export_onnx(run_dir, out, opset=opset, batch=size)
    typer.echo(
        f"wrote {info['path']}: {info['model']} ({info['protocol']} protocol), opset "
        f"{info['opset']}, batch {info['batch']}, {info['bytes'] / 1024:.0f} KiB; ONNX Runtime "
        f"matches PyTorch on {info['checked']} check inputs (max |Δp| {info['max_abs_diff']:.1e})"
    )


@app.command()
@_handle_errors
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
    models: Annotated[str, typer.Option(help="Comma-separated model names.")] = (
        "features,wdcnn,lstm,minirocket,dnn,cnn,rnn"
    ),
    window: Annotated[int, typer.Option(help="Windowed protocol: samples per window.")] = 1024,
    hop: Annotated[int, typer.Option(help="Windowed protocol: samples between windows.")] = 256,
    threads: Annotated[int, typer.Option(help="Torch threads.")] = DEFAULT_THREADS,
    seed: Seed = 0,
    force: Force = False,
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress bars.")] = False,
) -> None:
    """Simulate a testbed, train every model (windowed and the seed's three), print a table."""
    from rich.console import Console
    from rich.table import Table

    from rotordx.models import MODEL_NAMES
    from rotordx.runs import run_demo
    from rotordx.windows import WindowConfig

    epochs = max_epochs or (1000 if full else DEMO_EPOCHS)
    pat = patience or (50 if full else DEMO_PATIENCE)
    cfg = _train_config(max_epochs=epochs, patience=pat, seed=seed, threads=threads)
    names = tuple(m.strip() for m in models.split(",") if m.strip())
    unknown = [m for m in names if m not in MODEL_NAMES]
    if unknown:
        raise ParameterError(f"unknown model(s) {unknown}; expected names from {MODEL_NAMES}")
    rows = run_demo(
        out,
        seconds=seconds,
        rpm=rpm,
        seed=seed,
        train_config=cfg,
        models=names,
        split=_parse_split(split),
        window=WindowConfig(window=window, hop=hop),
        force=force,
        progress=not quiet,
    )
    t = Table(title=f"simulated testbed ({seconds:g} s, {rpm:g} rpm, seed {seed}): test split")
    for col in ("model", "protocol", "test accuracy", "macro-F1", "epochs", "best", "seconds"):
        t.add_column(col, justify="left" if col in ("model", "protocol") else "right")
    for r in rows:
        t.add_row(
            r["model"],
            r["protocol"],
            f"{r['accuracy'] * 100:.2f}%",
            f"{r['macro_f1']:.4f}",
            str(r["epochs_run"] or "-"),
            str(r["best_epoch"] or "-"),
            f"{r['seconds']:.1f}",
        )
    Console().print(t)
    typer.echo(f"try: rotordx diagnose {out}/features {out}/data --no-plots")
    typer.echo(f"runs, figures and summary in {out}/")


@app.command()
@_handle_errors
def compare(
    data: Annotated[
        Path | None, typer.Argument(help="KAMP group folder; omitted: simulate one.")
    ] = None,
    out: Annotated[Path, typer.Option(help="Folder for compare.json/.md/.png.")] = Path(
        "rotordx-compare"
    ),
    models: Annotated[
        str, typer.Option(help="Comma-separated model names.")
    ] = "features,wdcnn,lstm,minirocket,dnn,cnn,rnn",
    shift: Annotated[
        list[str] | None,
        typer.Option(
            help="Also test under a shifted condition "
            "of the simulator: speed, severity, "
            "noise (repeatable)."
        ),
    ] = None,
    window: Annotated[int, typer.Option(help="Samples per window.")] = 1024,
    hop: Annotated[int, typer.Option(help="Samples between training windows.")] = 256,
    seconds: Annotated[float, typer.Option(help="Simulated seconds (no DATA / shift).")] = 140.0,
    rpm: Annotated[float, typer.Option(help="Simulated running speed (no DATA / shift).")] = 1800.0,
    seed_epochs: Annotated[int, typer.Option(help="Epoch limit of the seed models.")] = 15,
    seed_patience: Annotated[int, typer.Option(help="Patience of the seed models.")] = 5,
    split: Annotated[
        str, typer.Option(help="Seed protocol: per-class train,valid,test.")
    ] = "60000,20000,20000",
    threads: Annotated[int, typer.Option(help="Torch threads.")] = DEFAULT_THREADS,
    seed: Seed = 0,
    force: Force = False,
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress bars.")] = False,
) -> None:
    """Train every model on the same splits; table of accuracy, time and size (+ shifts)."""
    from rich.console import Console
    from rich.table import Table

    from rotordx.compare import write_comparison
    from rotordx.windows import WindowConfig

    names = tuple(m.strip() for m in models.split(",") if m.strip())
    result = write_comparison(
        out,
        data=data,
        models=names,
        shifts=tuple(shift or ()),
        window=WindowConfig(window=window, hop=hop),
        seconds=seconds,
        rpm=rpm,
        seed=seed,
        threads=threads,
        seed_epochs=seed_epochs,
        seed_patience=seed_patience,
        seed_split_sizes=_parse_split(split),
        force=force,
        progress=not quiet,
    )
    console = Console()
    t = Table(title=f"models on the same splits ({result['data']})")
    for col in (
        "model",
        "protocol",
        "accuracy",
        "macro-F1",
        "train s",
        "µs / input",
        "input",
        "size",
    ):
        t.add_column(col, justify="left" if col in ("model", "protocol", "input") else "right")
    for r in result["rows"]:
        t.add_row(
            r["model"],
            r["protocol"],
            f"{r['accuracy'] * 100:.2f}%",
            f"{r['macro_f1']:.4f}",
            f"{r['train_seconds']:.1f}",
            f"{r['inference_us']:.1f}",
            r["input"],
            f"{r['model_bytes'] / 1024:.0f} KiB",
        )
    console.print(t)
    if result["shift"]:
        names = [k for k in result["shift"][0] if k in names]
        st = Table(title="trained at the base condition, tested on new recordings")
        st.add_column("condition")
        st.add_column("rpm", justify="right")
        for n in names:
            st.add_column(n, justify="right")
        for r in result["shift"]:
            st.add_row(r["condition"], f"{r['rpm']:.0f}", *(f"{r[n] * 100:.1f}%" for n in names))
        console.print(st)
    typer.echo(
        f"wrote {out}/compare.md, compare.json, compare.png ({result['seconds_total']:.0f} s)"
    )


@app.command()
@_handle_errors
def crossval(
    data: Annotated[Path, typer.Argument(help="CWRU folder or manifest CSV.")],
    folds: Annotated[
        str,
        typer.Option(
            help="Which recordings to hold out: size (leave one fault size out), position "
            "(one outer-race position), load (train at the lowest load), condition (each "
            "value of the manifest's condition column)."
        ),
    ] = "size",
    out: Annotated[Path, typer.Option(help="Folder for crossval.json/.md and figures.")] = Path(
        "rotordx-crossval"
    ),
    models: Annotated[str, typer.Option(help="Comma-separated window models.")] = (
        "bearing,minirocket"
    ),
    window: Annotated[int, typer.Option(help="Samples per window.")] = 12000,
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
    threads: Annotated[int, typer.Option(help="Torch threads.")] = DEFAULT_THREADS,
    seed: Seed = 0,
    plots: Annotated[
        bool, typer.Option(help="Write a confusion matrix per model and fold.")
    ] = True,
    force: Force = False,
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress bars.")] = False,
) -> None:
    """Hold out whole recordings (fault size, position, load, condition); accuracy per fold."""
    from rich.console import Console
    from rich.table import Table

    from rotordx.crossval import write_crossval

    names = tuple(m.strip() for m in models.split(",") if m.strip())
    result = write_crossval(
        out,
        force=force,
        plots=plots,
        data=data,
        by=folds,
        models=names,
        window=window,
        revolutions=revolutions,
        hop=hop,
        fs=rate,
        seed=seed,
        threads=threads,
        progress=not quiet,
    )
    t = Table(
        title=f"{folds} folds, windows of {result['window']} samples: "
        "accuracy on held-out recordings"
    )
    t.add_column("fold")
    for m in names:
        t.add_column(m, justify="right")
    for k, f in enumerate(result["folds"]):
        t.add_row(f["name"], *(f"{result['results'][m][k]['accuracy']:.1%}" for m in names))
    t.add_row("mean", *(f"{result['summary'][m]['mean_accuracy']:.1%}" for m in names))
    Console().print(t)
    typer.echo(f"per-recording table, confusion matrices and JSON in {out}/")


@app.command()
@_handle_errors
def diagnose(
    run_dir: Annotated[
        Path,
        typer.Argument(
            help="Run folder from `rotordx train`, or an .onnx file from `rotordx export`."
        ),
    ],
    recordings: Annotated[
        list[Path],
        typer.Argument(
            help="KAMP group folders (one diagnosis "
            "per state column) or CSV/Parquet "
            "files with one column per channel."
        ),
    ],
    column: Annotated[
        str | None, typer.Option(help="Only this KAMP column (normal, type1, type2, type3).")
    ] = None,
    rate: Annotated[
        float | None,
        typer.Option(help="Sample rate in Hz of CSV/Parquet files without a time column."),
    ] = None,
    plots: Annotated[Path | None, typer.Option(help="Folder for the spectrum plots.")] = Path(
        "rotordx-diagnosis"
    ),
    no_plots: Annotated[bool, typer.Option("--no-plots", help="Do not draw plots.")] = False,
    thresholds: Annotated[
        str,
        typer.Option(
            help="Severity zones: group2_rigid, group2_flexible, group1_rigid, group1_flexible."
        ),
    ] = "group2_rigid",
    bearing: Annotated[
        str | None,
        typer.Option(
            help="Bearing geometry preset (SKF_6205) for envelope evidence; default the model's."
        ),
    ] = None,
    rpm: Annotated[
        float | None,
        typer.Option(
            help="Running speed in rev/min of every recording, when known (tachometer, "
            "nameplate); default: a CWRU file's or manifest's rpm, else estimated from the "
            "vibration."
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    threads: Annotated[int, typer.Option(help=THREADS_HELP)] = DEFAULT_THREADS,
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress bar.")] = False,
) -> None:
    """Diagnose recordings segment by segment, with the physical evidence behind each verdict."""
    from rotordx.bundle import load_bundle
    from rotordx.diagnose import diagnose_path, plot_diagnosis

    bundle = load_bundle(run_dir, threads=_threads(threads))
    draw = plots is not None and not no_plots
    results = []
    for path in recordings:
        for d in diagnose_path(
            bundle,
            path,
            rate=rate,
            column=column,
            thresholds=thresholds,
            bearing=bearing,
            spectrum=draw,
            progress=not quiet,
            rpm=rpm,
        ):
            item = d.to_dict()
            if draw:
                safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in d.source)
                item["plot"] = str(plot_diagnosis(plots / f"{safe.strip('_')}.png", d))
            results.append(item)
    if as_json:
        typer.echo(
            json.dumps({"model": bundle.model_name, "run": str(run_dir), "diagnoses": results})
        )
        return
    from collections import Counter

    for r in results:
        agree = "physics agrees" if r["physics_agrees"] else f"physics reads {r['physics_verdict']}"
        typer.echo(
            f"{r['source']}: {r['verdict']} ({r['meaning']}), p = "
            f"{r['probability']:.2f}, {r['rpm']:.0f} rpm, {agree}"
        )
        counts = Counter(s["label"] for s in r["segments"])
        seg_len = r["segments"][0]["end_s"] - r["segments"][0]["start_s"]
        typer.echo(
            f"  {len(r['segments'])} segments of {seg_len:.2f} s: "
            + ", ".join(f"{k} {v}" for k, v in counts.most_common())
        )
        for line in r["summary"]:
            typer.echo(f"  - {line}")
        if "plot" in r:
            typer.echo(f"  plot: {r['plot']}")


@app.command()
@_handle_errors
def report(
    data: Annotated[Path, typer.Argument(help="KAMP group folder.")],
    out: Annotated[Path, typer.Option(help="HTML file to write.")] = Path("report.html"),
    window: Annotated[int, typer.Option(help="Samples per window.")] = 1024,
    hop: Annotated[
        int | None, typer.Option(help="Samples between windows (default: half a window).")
    ] = None,
    group: Annotated[int | None, typer.Option(help="Group number if several.")] = None,
    thresholds: Annotated[str, typer.Option(help="Severity zones preset.")] = "group2_rigid",
    seed: Seed = 0,
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress messages.")] = False,
) -> None:
    """One self-contained HTML page: spectra with orders, features per class, a physics model."""
    from rotordx.report import write_report
    from rotordx.windows import WindowConfig

    if out.suffix.lower() not in (".html", ".htm"):
        raise ParameterError(f"{out}: the report is HTML; give a file name ending in .html")
    path = write_report(
        data,
        out,
        window=WindowConfig(window=window, hop=hop or window // 2),
        seed=seed,
        group=group,
        thresholds=thresholds,
        progress=not quiet,
    )
    typer.echo(f"wrote {path}")


manifest_app = typer.Typer(
    help="Write manifests (path,label,rate,channel,rpm,condition) for known data sets.",
    no_args_is_help=True,
)
app.add_typer(manifest_app, name="manifest")


@manifest_app.command("cwru")
@_handle_errors
def manifest_cwru(
    directory: Annotated[Path, typer.Argument(help="Folder of CWRU .mat files.")],
    out: Annotated[Path, typer.Option(help="Manifest CSV to write.")] = Path("manifest.csv"),
    labels: Annotated[
        str,
        typer.Option(
            help="type (normal, inner_race, ball, outer_race) or type_size (inner_race_007, …)."
        ),
    ] = "type",
) -> None:
    """A manifest for the CWRU bearing files: label, rate, channel, rpm and load per file."""
    from rotordx.io.manifest import read_manifest, write_cwru_manifest

    if labels not in ("type", "type_size"):
        raise ParameterError(f"--labels must be 'type' or 'type_size', got {labels!r}")
    path = write_cwru_manifest(directory, out, labels=labels)
    entries = read_manifest(path)
    from collections import Counter

    counts = Counter(e.label for e in entries)
    typer.echo(
        f"wrote {path}: {len(entries)} recordings; "
        + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
    )


#: Demo defaults: short enough for a few minutes on 2 cores (see docs/pipeline.md).
DEMO_EPOCHS = 15
DEMO_PATIENCE = 5


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
