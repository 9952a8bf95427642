"""Workflows behind the command line: train a run, re-evaluate it, the demo.

A *run folder* holds everything one training produced:

``bundle.json``, ``model.safetensors``
    The model bundle (:mod:`rotordx.bundle`).
``metrics.json``
    Test scores, training history and configuration. Deterministic: the same
    data, settings and seed give the same file on the same machine.
``timing.json``
    Wall-clock seconds (kept apart because they are not deterministic).
``loss_curve.png``, ``confusion_matrix.png``
    Figures.
"""

from __future__ import annotations

import json
import os
import platform
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np

from rotordx import __version__
from rotordx._atomic import atomic_dir, write_text_atomic
from rotordx.evaluate import score_predictions
from rotordx.exceptions import DataError, ParameterError
from rotordx.io import load_kamp_group
from rotordx.preprocess import (
    PreprocessConfig,
    Preprocessed,
    preprocess_group,
    read_preprocessed,
)
from rotordx.signal import MinMaxScaling
from rotordx.splits import SEED_SPLIT, seed_split

__all__ = ["DEMO_MODELS", "evaluate_run", "load_dataset", "run_demo", "train_run"]

DEMO_MODELS: tuple[str, ...] = ("dnn", "cnn", "rnn")


def _dump(obj) -> str:
    return json.dumps(obj, indent=2) + "\n"


def load_dataset(
    path: str | os.PathLike[str],
    *,
    group: int | None = None,
    config: PreprocessConfig | None = None,
    scaler: MinMaxScaling | None = None,
) -> Preprocessed:
    """Preprocessed signals from a KAMP group folder or a ``rotordx preprocess`` Parquet file.

    Parameters
    ----------
    path : path-like
        A folder with ``g{N}_sensor{1..4}.csv`` or a ``.parquet`` file.
    group : int, optional
        Group number inside a folder holding several.
    config : PreprocessConfig, optional
        Preprocessing to apply (a Parquet file must have been made with it).
    scaler : MinMaxScaling, optional
        Scaling to apply instead of one fitted on this data's normal class.
    """
    path = Path(path)
    if path.is_file() and path.suffix.lower() == ".parquet":
        data = read_preprocessed(path)
        if config is not None and data.config != config:
            raise DataError(
                f"{path}: preprocessed with {asdict(data.config)}, expected {asdict(config)}; "
                "pass the raw data folder instead"
            )
        if scaler is not None and scaler != data.scaler:
            n_cls, n, k = data.signals.shape
            lo, hi = np.asarray(data.scaler.data_min), np.asarray(data.scaler.data_max)
            rng = np.where(hi - lo == 0, 1.0, hi - lo)
            raw = data.signals.reshape(-1, k) * rng + lo
            data = Preprocessed(
                time=data.time,
                signals=scaler.transform(raw).reshape(n_cls, n, k),
                classes=data.classes,
                scaler=scaler,
                config=data.config,
            )
        return data
    if path.is_file():
        raise DataError(
            f"{path}: expected a KAMP group folder or a .parquet file from `rotordx preprocess`"
        )
    return preprocess_group(load_kamp_group(path, group=group), config=config, scaler=scaler)


def _environment(threads: int) -> dict:
    import torch

    return {
        "rotordx": __version__,
        "torch": torch.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
        "threads": threads,
    }


def train_run(
    data: str | os.PathLike[str],
    *,
    model: str,
    out: str | os.PathLike[str],
    train_config=None,
    preprocess: PreprocessConfig | None = None,
    split: tuple[int, int, int] = SEED_SPLIT,
    group: int | None = None,
    force: bool = False,
    progress: bool = True,
    dataset: Preprocessed | None = None,
) -> dict:
    """Train one seed model on a KAMP group and write a run folder.

    Parameters
    ----------
    data : path-like
        KAMP group folder or preprocessed Parquet file.
    model : {"dnn", "cnn", "rnn"}
    out : path-like
        Run folder to create (atomically; an existing non-empty folder needs ``force``).
    train_config : TrainConfig, optional
        Epochs, patience, batch size, seed, threads.
    preprocess : PreprocessConfig, optional
    split : (int, int, int)
        Per-class train / validation / test sizes (the seed's 60k/20k/20k).
    group : int, optional
    force : bool
        Replace an existing run folder.
    progress : bool
        Show a progress bar on stderr.
    dataset : Preprocessed, optional
        Already preprocessed data for ``data`` (skips loading; used by the demo).

    Returns
    -------
    dict
        The content of ``metrics.json`` plus ``"seconds"``.
    """
    from rotordx._progress import epoch_progress
    from rotordx.bundle import save_bundle
    from rotordx.models import build_model, count_parameters
    from rotordx.plots import plot_confusion_matrix, plot_loss_curve
    from rotordx.train import TrainConfig, fit, predict_logits

    cfg = train_config or TrainConfig()
    out = Path(out)
    if out.is_dir() and any(out.iterdir()) and not force:
        raise ParameterError(f"{out} already exists and is not empty; pass --force to replace it")
    ds = dataset if dataset is not None else load_dataset(data, group=group, config=preprocess)
    tr, va, te = seed_split(ds.signals, sizes=split, seed=cfg.seed)
    net = build_model(model, seed=cfg.seed, n_inputs=ds.n_sensors, n_classes=len(ds.classes))
    model_args = {"n_inputs": ds.n_sensors, "n_classes": len(ds.classes)}
    t0 = time.perf_counter()
    with epoch_progress(f"train {model}", total=cfg.max_epochs, enabled=progress) as cb:
        history = fit(net, tr, va, cfg, on_epoch=cb)
    train_seconds = time.perf_counter() - t0
    pred = predict_logits(net, te.X).argmax(1).numpy()
    scores = score_predictions(te.y, pred, classes=ds.classes)
    metrics = {
        "model": model,
        "protocol": "seed",
        **scores.to_dict(),
        "epochs_run": history.epochs_run,
        "best_epoch": history.best_epoch,
        "best_valid_accuracy": history.best_valid_accuracy,
        "stopped_early": history.stopped_early,
        "n_parameters": count_parameters(net),
        "history": {
            "train_loss": history.train_loss,
            "valid_loss": history.valid_loss,
            "valid_accuracy": history.valid_accuracy,
        },
        "split": {"train": len(tr), "valid": len(va), "test": len(te), "per_class": list(split)},
        "train_config": asdict(cfg),
        "preprocess": asdict(ds.config),
        "data": str(data),
        "environment": _environment(cfg.threads),
    }
    timing = {
        "train_seconds": train_seconds,
        "epoch_seconds": history.epoch_seconds,
        "seconds_per_epoch": float(np.median(history.epoch_seconds)),
    }
    with atomic_dir(out, force=force) as tmp:
        save_bundle(
            tmp,
            model=net,
            model_name=model,
            model_args=model_args,
            classes=ds.classes,
            preprocess=ds.config,
            scaler=ds.scaler,
            extra={"protocol": "seed", "seed": cfg.seed},
        )
        write_text_atomic(tmp / "metrics.json", _dump(metrics))
        write_text_atomic(tmp / "timing.json", _dump(timing))
        plot_loss_curve(
            tmp / "loss_curve.png",
            train_loss=history.train_loss,
            valid_loss=history.valid_loss,
            valid_accuracy=history.valid_accuracy,
            best_epoch=history.best_epoch,
            title=f"{model}: training history",
        )
        plot_confusion_matrix(
            tmp / "confusion_matrix.png",
            matrix=scores.confusion_matrix,
            classes=ds.classes,
            title=f"{model} on the test split",
        )
    return {**metrics, "seconds": train_seconds}


def evaluate_run(
    run_dir: str | os.PathLike[str],
    data: str | os.PathLike[str],
    *,
    group: int | None = None,
) -> dict:
    """Score a saved run's model on every sample of another data set.

    The data goes through the bundle's own preprocessing (grid rate,
    moving average) and the bundle's scaler, not one fitted on the new data.
    """
    from rotordx.bundle import load_bundle
    from rotordx.train import predict_logits

    bundle = load_bundle(run_dir)
    ds = load_dataset(data, group=group, config=bundle.preprocess, scaler=bundle.scaler)
    if ds.classes != bundle.classes:
        raise DataError(f"{data}: classes {ds.classes} differ from the model's {bundle.classes}")
    X, y = ds.samples()
    pred = predict_logits(bundle.model, X.astype(np.float32)).argmax(1).numpy()
    scores = score_predictions(y, pred, classes=bundle.classes)
    return {"model": bundle.model_name, "run": str(run_dir), "data": str(data), **scores.to_dict()}


def run_demo(
    out: str | os.PathLike[str],
    *,
    seconds: float = 140.0,
    rpm: float = 1800.0,
    seed: int = 0,
    train_config=None,
    models: tuple[str, ...] = DEMO_MODELS,
    split: tuple[int, int, int] = SEED_SPLIT,
    force: bool = False,
    progress: bool = True,
) -> list[dict]:
    """Simulate a testbed, preprocess it, train every seed model; write a summary.

    Writes ``OUT/data/g1_sensor{1..4}.csv``, ``OUT/preprocessed.parquet``, one
    run folder per model (``OUT/dnn`` …) and ``OUT/summary.json`` /
    ``OUT/summary.md``.

    Returns
    -------
    list of dict
        One row per model: model, accuracy, macro_f1, epochs_run, best_epoch, seconds.
    """
    from rotordx.io import write_kamp_group
    from rotordx.preprocess import write_preprocessed
    from rotordx.simulate import TestbedConfig, simulate_testbed
    from rotordx.train import TrainConfig

    cfg = train_config or TrainConfig()
    out = Path(out)
    if out.is_dir() and any(out.iterdir()) and not force:
        raise ParameterError(f"{out} already exists and is not empty; pass --force to replace it")
    data_dir = out / "data"
    write_kamp_group(
        data_dir, simulate_testbed(TestbedConfig(seconds=seconds, rpm=rpm), seed=seed), group=1
    )
    ds = load_dataset(data_dir)
    write_preprocessed(ds, out / "preprocessed.parquet")
    rows = []
    for name in models:
        m = train_run(
            data_dir,
            model=name,
            out=out / name,
            train_config=cfg,
            split=split,
            force=True,
            progress=progress,
            dataset=ds,
        )
        rows.append(
            {
                "model": name,
                "accuracy": m["accuracy"],
                "macro_f1": m["macro_f1"],
                "epochs_run": m["epochs_run"],
                "best_epoch": m["best_epoch"],
                "seconds": m["seconds"],
            }
        )
    summary = {
        "seconds": seconds,
        "rpm": rpm,
        "seed": seed,
        "train_config": asdict(cfg),
        "rows": rows,
    }
    write_text_atomic(out / "summary.json", _dump(summary))
    lines = [
        "| model | test accuracy | macro-F1 | epochs | best epoch | seconds |",
        "|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {r['model']} | {r['accuracy'] * 100:.2f}% | {r['macro_f1']:.4f} | "
        f"{r['epochs_run']} | {r['best_epoch']} | {r['seconds']:.1f} |"
        for r in rows
    ]
    write_text_atomic(out / "summary.md", "\n".join(lines) + "\n")
    return rows
