"""Model commands: ``train``, ``evaluate``, ``export``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from rotordx.cli._common import (
    DEFAULT_THREADS,
    Force,
    NoCache,
    Quiet,
    Seed,
    Threads,
    handle_errors,
    parse_split,
    positive_threads,
)
from rotordx.cli._tables import print_scores
from rotordx.data.seed import SEED_SPLIT
from rotordx.data.splits import WindowConfig
from rotordx.exceptions import ParameterError
from rotordx.models.onnx_export import DEFAULT_OPSET, export_onnx
from rotordx.models.registry import (
    MODELS,
    SEED,
    WINDOW,
    default_train_config,
    get_spec,
    model_names,
)
from rotordx.workflows.evaluate import evaluate_run
from rotordx.workflows.train import train_run

app = typer.Typer()

_MODEL_HELP = "; ".join(f"{name}: {spec.summary}" for name, spec in MODELS.items()) + (
    f". Window protocol: {', '.join(model_names(protocol=WINDOW))}; seed (point-wise) "
    f"protocol: {', '.join(model_names(protocol=SEED))}."
)


@app.command()
@handle_errors
def train(
    data: Annotated[
        Path,
        typer.Argument(
            help="Window models: a KAMP group folder, a manifest CSV or a folder of CWRU .mat "
            "files. Seed models: a KAMP group folder or a .parquet from `rotordx preprocess`."
        ),
    ],
    model: Annotated[str, typer.Option(help=_MODEL_HELP)] = "dnn",
    out: Annotated[Path, typer.Option(help="Run folder to create.")] = Path("runs/model"),
    max_epochs: Annotated[
        int | None,
        typer.Option(help="Upper limit of epochs (torch models; seed 1000, windowed 60)."),
    ] = None,
    patience: Annotated[
        int | None,
        typer.Option(
            help="Stop after this many epochs without a better validation accuracy "
            "(seed 50, windowed 10)."
        ),
    ] = None,
    batch_size: Annotated[
        int | None, typer.Option(help="Training batch size (seed 5000, windowed 64).")
    ] = None,
    split: Annotated[
        str | None,
        typer.Option(
            help="Windowed protocol: 'recording' (hold out whole recordings, a fifth of each "
            "class's, for the test) or 'time' (60/20/20 time blocks of every recording); "
            "default recording when every class has 3 recordings, else time. Seed protocol: "
            "per-class train,valid,test samples (default 60000,20000,20000)."
        ),
    ] = None,
    window: Annotated[
        int | None,
        typer.Option(
            help="Windowed protocol: samples per window (default: long enough to estimate the "
            "running speed, 1024 at 1 kHz, 8192 at 12 kHz)."
        ),
    ] = None,
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
    target_accuracy: Annotated[
        float,
        typer.Option(
            help="Windowed protocol: the model says 'inconclusive' below a confidence "
            "calibrated on held-out windows so that the answered ones reach this accuracy "
            "(0: never abstain).",
            min=0.0,
            max=1.0,
        ),
    ] = 0.95,
    false_alarm: Annotated[
        float,
        typer.Option(
            help="--model baseline: the share of held-out healthy windows allowed above the "
            "departure threshold.",
            min=0.0001,
            max=0.4,
        ),
    ] = 0.01,
    threads: Threads = DEFAULT_THREADS,
    group: Annotated[int | None, typer.Option(help="Group number if several.")] = None,
    seed: Seed = 0,
    force: Force = False,
    quiet: Quiet = False,
    no_cache: NoCache = False,
) -> None:
    """Train a model and write a run folder (bundle, metrics, figures)."""
    protocol = protocol or get_spec(model).protocol
    if revolutions is not None and protocol != WINDOW:
        raise ParameterError(
            f"--revolutions sets window lengths; {model!r} runs under the seed protocol"
        )
    cfg = default_train_config(
        model,
        max_epochs=max_epochs,
        patience=patience,
        batch_size=batch_size,
        seed=seed,
        threads=positive_threads(threads),
    )
    windowed = protocol == WINDOW
    if windowed and split not in (None, "recording", "time"):
        raise ParameterError(
            f"--split must be 'recording' or 'time' for {model!r} (windowed protocol), "
            f"got {split!r}"
        )
    if windowed and window is not None and revolutions is not None:
        raise ParameterError("give --window or --revolutions, not both")
    m = train_run(
        data,
        model=model,
        out=out,
        train_config=cfg,
        split=parse_split(split or "60000,20000,20000") if protocol == SEED else SEED_SPLIT,
        split_by=split if windowed else None,
        window=WindowConfig(window=window, hop=hop) if windowed and window is not None else None,
        revolutions=revolutions if windowed else None,
        hop=hop if windowed and window is None else None,
        protocol=protocol,
        group=group,
        force=force,
        progress=not quiet,
        cache=not no_cache,
        target_accuracy=target_accuracy or None,
        false_alarm=false_alarm,
    )
    if get_spec(model).one_class:
        _print_baseline(m, out)
        return
    epochs = f"  epochs {m['epochs_run']} (best {m['best_epoch']})" if m.get("epochs_run") else ""
    typer.echo(
        f"{model} ({protocol} protocol): test accuracy {m['accuracy'] * 100:.2f}%  "
        f"macro-F1 {m['macro_f1']:.4f}{epochs}  {m['seconds']:.1f} s"
    )
    if windowed:
        sp = m["split"]
        how = (
            f"{len(sp['train_recordings'])} training and {len(sp['test_recordings'])} test "
            "recordings held out whole"
            if sp["method"] == "recording"
            else "60/20/20 time blocks of every recording"
        )
        typer.echo(f"split: {sp['method']} ({how}); windows of {m['window']['window']} samples")
        if sp.get("note"):
            typer.echo(f"note: {sp['note']}")
        ab = m.get("abstention")
        if ab and ab.get("min_confidence") is not None:
            t = ab["test"]
            answered = (
                f"{t['answered_accuracy'] * 100:.2f}%"
                if t["answered_accuracy"] is not None
                else "-"
            )
            typer.echo(
                f"abstention: inconclusive below confidence {ab['min_confidence']:.3f} "
                f"(calibrated on {ab['n_windows']} {ab['source']} windows for "
                f"{ab['target'] * 100:.0f}% answered accuracy"
                + ("" if ab["target_met"] else ", not reached")
                + f"); on the test: {t['coverage'] * 100:.1f}% answered, {answered} of them right"
            )
        elif ab:
            typer.echo(f"abstention: not calibrated ({ab['note']})")
    typer.echo(f"wrote {out}/")


def _print_baseline(m: dict, out: Path) -> None:
    h = m["held_out"]
    machine = f" of {m['machine']}" if m.get("machine") else ""
    typer.echo(
        f"baseline{machine}: {m['recordings']} healthy recording(s), {m['windows']} windows of "
        f"{m['window']['window']} samples, {m['n_features']} physics features  "
        f"{m['seconds']:.1f} s"
    )
    typer.echo(
        f"departure threshold {m['threshold']:.3f} (the {1 - m['false_alarm_target']:.1%} "
        f"quantile of {h['windows']} held-out healthy windows: {h['how']}); "
        f"held-out windows above it: {h['departing_share'] * 100:.1f}%"
    )
    typer.echo(f"wrote {out}/")


@app.command()
@handle_errors
def evaluate(
    run_dir: Annotated[
        Path,
        typer.Argument(
            help="Run folder from `rotordx train`, or an .onnx file from `rotordx export`."
        ),
    ],
    data: Annotated[
        Path,
        typer.Argument(
            help="The data, as for `rotordx train`: for a seed model a KAMP group folder or "
            "preprocessed .parquet, for a window model a KAMP group folder, manifest or CWRU "
            "folder."
        ),
    ],
    group: Annotated[int | None, typer.Option(help="Group number if several.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    threads: Threads = DEFAULT_THREADS,
    no_cache: NoCache = False,
) -> None:
    """Score a saved model on all of another data set, with the model's preprocessing."""
    m = evaluate_run(
        run_dir, data, group=group, threads=positive_threads(threads), cache=not no_cache
    )
    if as_json:
        typer.echo(json.dumps(m))
    else:
        print_scores(m)


@app.command()
@handle_errors
def export(
    run_dir: Annotated[Path, typer.Argument(help="Run folder written by `rotordx train`.")],
    out: Annotated[Path, typer.Argument(help="ONNX file to write (.onnx).")],
    opset: Annotated[int, typer.Option(help="ONNX opset (13 or later).")] = DEFAULT_OPSET,
    batch: Annotated[
        str, typer.Option(help="Batch dimension: 'dynamic' or a fixed size such as 256.")
    ] = "dynamic",
) -> None:
    """Export a run's torch model to ONNX (input standardisation and softmax included)."""
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
