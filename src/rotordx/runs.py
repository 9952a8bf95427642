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

import contextlib
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
from rotordx.preprocess import (
    PreprocessConfig,
    Preprocessed,
    preprocess_folder,
    read_preprocessed,
)
from rotordx.signal import MinMaxScaling
from rotordx.splits import SEED_SPLIT, seed_split

__all__ = [
    "DEMO_MODELS",
    "evaluate_run",
    "fit_and_score",
    "is_kamp",
    "load_dataset",
    "load_signals",
    "model_params",
    "run_demo",
    "train_run",
]

DEMO_MODELS: tuple[str, ...] = ("features", "wdcnn", "lstm", "minirocket", "dnn", "cnn", "rnn")


def _dump(obj) -> str:
    return json.dumps(obj, indent=2) + "\n"


def load_dataset(
    path: str | os.PathLike[str],
    *,
    group: int | None = None,
    config: PreprocessConfig | None = None,
    scaler: MinMaxScaling | None = None,
    cache: bool | str | os.PathLike[str] | None = False,
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
    cache : bool or path-like
        Folders: keep / take the preprocessed group in the cache
        (:mod:`rotordx.cache`; ``True`` for the default folder).
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
    return preprocess_folder(path, group=group, config=config, scaler=scaler, cache=cache)


def is_kamp(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is a folder holding a KAMP group."""
    from rotordx.io import find_groups

    path = Path(path)
    return path.is_dir() and bool(find_groups(path))


def load_signals(
    path: str | os.PathLike[str],
    *,
    fs: float = 1000.0,
    duration: float = 140.0,
    group: int | None = None,
) -> np.ndarray:
    """A KAMP group's resampled signals in physical units, class by class.

    The seed's linear interpolation onto the ``fs`` grid, without its moving
    average and min-max scaling (the window models do their own scaling, and
    the physics features need m/s²).

    Returns
    -------
    np.ndarray [shape=(n_classes, n_sensors, n_samples)]
    """
    from rotordx.datasets import load_data

    path = Path(path)
    if not is_kamp(path):
        raise DataError(
            f"{path}: expected a KAMP group folder (g<N>_sensor1.csv …); a preprocessed "
            "Parquet file has the seed's smoothing and scaling baked in"
        )
    ds = load_data(path, fs=fs, duration=duration, group=group)
    return np.stack([r.recording.signals for r in ds.recordings])


def _environment(threads: int) -> dict:
    import torch

    return {
        "rotordx": __version__,
        "torch": torch.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
        "threads": threads,
    }


def _write_run(
    out: Path, *, classifier, classes, input_spec, metrics: dict, timing: dict, force: bool
) -> None:
    from rotordx.bundle import save_bundle
    from rotordx.plots import plot_confusion_matrix, plot_feature_importance, plot_loss_curve

    name = metrics["model"]
    with atomic_dir(out, force=force) as tmp:
        save_bundle(
            tmp,
            classifier=classifier,
            classes=classes,
            input=input_spec,
            extra={"protocol": metrics["protocol"], "seed": metrics["seed"]},
        )
        metrics["model_bytes"] = (tmp / "model.safetensors").stat().st_size
        write_text_atomic(tmp / "metrics.json", _dump(metrics))
        write_text_atomic(tmp / "timing.json", _dump(timing))
        hist = metrics.get("history")
        if hist:
            plot_loss_curve(
                tmp / "loss_curve.png",
                train_loss=hist["train_loss"],
                valid_loss=hist["valid_loss"],
                valid_accuracy=hist["valid_accuracy"],
                best_epoch=metrics.get("best_epoch"),
                title=f"{name}: training history",
            )
        if metrics.get("top_features"):
            plot_feature_importance(
                tmp / "feature_importance.png",
                items=metrics["top_features"],
                title=f"{name}: most important features",
            )
        plot_confusion_matrix(
            tmp / "confusion_matrix.png",
            matrix=metrics["confusion_matrix"],
            classes=classes,
            title=f"{name} on the test split",
        )


def model_params(model: str, input_spec: dict) -> dict:
    """Constructor arguments that depend on the data: the rate, the bearing."""
    if model == "features":
        return {"fs": input_spec.get("fs", 1000.0)}
    if model == "bearing":
        return {"fs": input_spec["fs"], "geometry": input_spec.get("bearing", "SKF_6205")}
    return {}


def fit_and_score(classifier, splits, *, classes, seed: int, progress: bool) -> tuple[dict, dict]:
    """Fit ``classifier`` on ``splits`` (train, valid, test); return metrics and timing."""
    tr, va, te = splits
    t0 = time.perf_counter()
    info = classifier.fit(tr, va, seed=seed, progress=progress)
    train_seconds = time.perf_counter() - t0
    t0 = time.perf_counter()
    pred = classifier.predict(te.X, shaft_hz=te.shaft_hz)
    predict_seconds = time.perf_counter() - t0
    scores = score_predictions(te.y, pred, classes=classes)
    metrics = {
        "model": classifier.name,
        "protocol": classifier.protocol,
        **scores.to_dict(),
        "epochs_run": info.get("epochs_run"),
        "best_epoch": info.get("best_epoch"),
        "best_valid_accuracy": info.get("best_valid_accuracy"),
        "stopped_early": info.get("stopped_early"),
        "history": info.get("history"),
        "split": {"train": len(tr), "valid": len(va), "test": len(te)},
        "seed": seed,
    }
    if hasattr(classifier, "n_parameters"):
        metrics["n_parameters"] = classifier.n_parameters()
    if hasattr(classifier, "top_features"):
        metrics["top_features"] = classifier.top_features(15)
    timing = {
        "train_seconds": train_seconds,
        "predict_seconds": predict_seconds,
        "predict_us_per_input": predict_seconds / max(1, len(te)) * 1e6,
    }
    if info.get("epoch_seconds"):
        timing["epoch_seconds"] = info["epoch_seconds"]
        timing["seconds_per_epoch"] = float(np.median(info["epoch_seconds"]))
    return metrics, timing


def train_run(
    data: str | os.PathLike[str],
    *,
    model: str,
    out: str | os.PathLike[str],
    train_config=None,
    preprocess: PreprocessConfig | None = None,
    split: tuple[int, int, int] = SEED_SPLIT,
    window=None,
    revolutions: float | None = None,
    hop: int | None = None,
    protocol: str | None = None,
    seed: int | None = None,
    group: int | None = None,
    force: bool = False,
    progress: bool = True,
    dataset: Preprocessed | None = None,
    cache: bool | str | os.PathLike[str] | None = False,
) -> dict:
    """Train one model on a KAMP group and write a run folder.

    Parameters
    ----------
    data : path-like
        KAMP group folder (any model) or preprocessed Parquet file (seed models).
    model : str
        One of :data:`rotordx.models.MODEL_NAMES`. ``dnn``, ``cnn`` and ``rnn``
        use the seed protocol, the others the leak-free windowed protocol.
    out : path-like
        Run folder to create (atomically; an existing non-empty folder needs ``force``).
    train_config : TrainConfig, optional
        Torch models: epochs, patience, batch size, seed, threads.
    preprocess : PreprocessConfig, optional
        Seed protocol preprocessing.
    split : (int, int, int)
        Seed protocol: per-class train / validation / test sizes.
    window : WindowConfig, optional
        Window protocol: window, hop, block fractions, gap.
    revolutions : float, optional
        Window protocol: the window length in shaft revolutions instead, at
        the median speed of the recordings (every recording needs an rpm:
        CWRU files, or a manifest's ``rpm`` column). Replaces ``window.window``
        and ``window.hop``; the gap stays one window.
    hop : int, optional
        With ``revolutions``: samples between training windows (default a
        quarter window).
    protocol : {"seed", "window"}, optional
        Override the model's protocol: a seed model under ``"window"`` is
        trained on the training windows' instants and classifies a window by
        its mean per-instant probability.
    seed : int, optional
        Split shuffling, initial weights, forests (default ``train_config.seed``).
    group : int, optional
    force : bool
        Replace an existing run folder.
    progress : bool
        Show a progress bar on stderr.
    dataset : Preprocessed, optional
        Seed protocol: already preprocessed data for ``data`` (used by the demo).
    cache : bool or path-like
        Seed protocol on a folder: keep / take the preprocessed group in the
        cache (:mod:`rotordx.cache`).

    Returns
    -------
    dict
        The content of ``metrics.json`` plus ``"seconds"`` (training time).
    """
    from rotordx.datasets import load_data, revolutions_to_samples, split_dataset
    from rotordx.diagnose import healthy_baseline
    from rotordx.models import check_protocol, default_train_config, make_classifier
    from rotordx.windows import WindowConfig, block_bounds

    out = Path(out)
    if out.is_dir() and any(out.iterdir()) and not force:
        raise ParameterError(f"{out} already exists and is not empty; pass --force to replace it")
    protocol = check_protocol(model, protocol)
    cfg = train_config or default_train_config(model)
    seed = cfg.seed if seed is None else seed
    if protocol == "seed":
        ds = dataset
        if ds is None:
            ds = load_dataset(data, group=group, config=preprocess, cache=cache)
        try:
            splits = seed_split(ds.signals, sizes=split, seed=seed)
        except DataError as exc:
            raise DataError(f"{data}: {exc}") from exc
        classes = ds.classes
        input_spec = {"preprocess": asdict(ds.config), "scaler": ds.scaler.to_dict()}
        if Path(data).is_dir():  # the healthy reference for `diagnose` needs raw signals
            raw = load_signals(data, fs=ds.config.fs, duration=ds.config.duration, group=group)
            n_train = split[0]
            input_spec["baseline"] = healthy_baseline(
                raw[0][:, :n_train], fs=ds.config.fs, window=1024
            )
        setup = {"split": {"per_class": list(split)}, "preprocess": asdict(ds.config)}
    else:
        wcfg = window or WindowConfig()
        pre = preprocess or PreprocessConfig()
        ds_w = load_data(
            data, fs=pre.fs if is_kamp(data) else None, duration=pre.duration, group=group
        )
        if revolutions is not None:
            n = revolutions_to_samples(revolutions, ds_w)
            wcfg = WindowConfig(window=n, hop=hop or max(1, n // 4), fractions=wcfg.fractions)
        elif hop is not None:
            raise ParameterError("hop is for windows in revolutions; set window.hop instead")
        splits = split_dataset(ds_w, config=wcfg, seed=seed)
        classes = ds_w.classes
        fs = ds_w.fs
        input_spec = {
            "fs": fs,
            "window": wcfg.window,
            "hop": wcfg.hop,
            "n_channels": ds_w.n_channels,
            "duration": pre.duration,
        }
        if model == "bearing" or all(
            str(r.recording.name).lower().endswith(".mat") for r in ds_w.recordings
        ):
            input_spec["bearing"] = "SKF_6205"  # the CWRU drive-end bearing
        normal = [r.recording.signals for r in ds_w.recordings if r.label == "normal"]
        if normal:  # the healthy reference for `diagnose`: the first normal training block
            train_block = slice(*block_bounds(normal[0].shape[1], config=wcfg)[0])
            # windows too short to estimate the running speed give no baseline
            with contextlib.suppress(DataError):
                input_spec["baseline"] = healthy_baseline(
                    normal[0][:, train_block], fs=fs, window=wcfg.window
                )
        setup = {
            "window": {**asdict(wcfg), "gap": wcfg.gap_samples},
            "fs": fs,
            "recordings": len(ds_w.recordings),
        }
    classifier = make_classifier(
        model,
        protocol=protocol,
        train_config=cfg,
        **model_params(model, input_spec),
    )
    metrics, timing = fit_and_score(
        classifier, splits, classes=classes, seed=seed, progress=progress
    )
    metrics.update(setup)
    metrics["split"].update(setup.get("split", {}))
    metrics["train_config"] = asdict(cfg) if hasattr(classifier, "train_config") else None
    metrics["data"] = str(data)
    metrics["environment"] = _environment(cfg.threads)
    _write_run(
        out,
        classifier=classifier,
        classes=classes,
        input_spec=input_spec,
        metrics=metrics,
        timing=timing,
        force=force,
    )
    return {**metrics, "seconds": timing["train_seconds"]}


def evaluate_run(
    run_dir: str | os.PathLike[str],
    data: str | os.PathLike[str],
    *,
    group: int | None = None,
    threads: int | None = None,
    cache: bool | str | os.PathLike[str] | None = False,
) -> dict:
    """Score a saved run's model on every sample (or window) of another data set.

    The data goes through the bundle's own preprocessing: for seed models the
    grid rate, moving average and the bundle's scaler (not one fitted on the
    new data); for window models the sample rate and window length.
    ``run_dir`` may also be an ``.onnx`` file from ``rotordx export``;
    ``threads`` are the inference threads (see :func:`rotordx.bundle.load_bundle`).
    """
    from rotordx.bundle import load_bundle

    bundle = load_bundle(run_dir, threads=threads)
    if bundle.protocol == "seed":
        ds = load_dataset(
            data, group=group, config=bundle.preprocess, scaler=bundle.scaler, cache=cache
        )
        if ds.classes != bundle.classes:
            raise DataError(
                f"{data}: classes {ds.classes} differ from the model's {bundle.classes}"
            )
        X, y = ds.samples()
        X, speed = X.astype(np.float32), None
    else:
        from rotordx.datasets import all_windows, load_data

        spec = bundle.input
        ds_w = load_data(
            data,
            fs=float(spec["fs"]),
            duration=float(spec.get("duration", 140.0)),
            group=group,
            classes=bundle.classes,
        )
        if ds_w.n_channels != int(spec["n_channels"]):
            raise DataError(
                f"{data}: {ds_w.n_channels} channels; the model expects {spec['n_channels']}"
            )
        w = all_windows(ds_w, window=int(spec["window"]))
        X, y, speed = w.X, w.y, w.shaft_hz
    pred = bundle.classifier.predict(X, shaft_hz=speed)
    scores = score_predictions(y, pred, classes=bundle.classes)
    return {
        "model": bundle.model_name,
        "protocol": bundle.protocol,
        "run": str(run_dir),
        "data": str(data),
        **scores.to_dict(),
    }


def run_demo(
    out: str | os.PathLike[str],
    *,
    seconds: float = 140.0,
    rpm: float = 1800.0,
    seed: int = 0,
    train_config=None,
    models: tuple[str, ...] = DEMO_MODELS,
    split: tuple[int, int, int] = SEED_SPLIT,
    window=None,
    force: bool = False,
    progress: bool = True,
) -> list[dict]:
    """Simulate a testbed, preprocess it, train every model; write a summary.

    Writes ``OUT/data/g1_sensor{1..4}.csv``, ``OUT/preprocessed.parquet``, one
    run folder per model (``OUT/dnn`` …) and ``OUT/summary.json`` /
    ``OUT/summary.md``.

    Parameters
    ----------
    train_config : TrainConfig, optional
        Settings of the seed models (the windowed networks keep their defaults,
        with the same seed and threads).

    Returns
    -------
    list of dict
        One row per model: model, protocol, accuracy, macro_f1, epochs_run,
        best_epoch, seconds.
    """
    from rotordx.io import write_kamp_group
    from rotordx.models import default_train_config, protocol_of
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
        seed_model = protocol_of(name) == "seed"
        m = train_run(
            data_dir,
            model=name,
            out=out / name,
            train_config=cfg
            if seed_model
            else default_train_config(name, seed=cfg.seed, threads=cfg.threads),
            split=split,
            window=window,
            force=True,
            progress=progress,
            dataset=ds if seed_model else None,
        )
        rows.append(
            {
                "model": name,
                "protocol": m["protocol"],
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
        "| model | protocol | test accuracy | macro-F1 | epochs | best epoch | seconds |",
        "|---|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {r['model']} | {r['protocol']} | {r['accuracy'] * 100:.2f}% | {r['macro_f1']:.4f} | "
        f"{r['epochs_run'] or '-'} | {r['best_epoch'] or '-'} | {r['seconds']:.1f} |"
        for r in rows
    ]
    write_text_atomic(out / "summary.md", "\n".join(lines) + "\n")
    return rows
