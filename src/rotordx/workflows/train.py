"""Train one model and write a run folder.

A *run folder* holds everything one training produced:

``bundle.json``, ``model.safetensors``
    The model bundle (:mod:`rotordx.models.bundle`).
``metrics.json``
    Test scores, training history and configuration. Deterministic: the same
    data, settings and seed give the same file on the same machine.
``timing.json``
    Wall-clock seconds (kept apart because they are not deterministic).
``loss_curve.png``, ``confusion_matrix.png`` (``feature_importance.png``)
    Figures.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import json
import os
import platform
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from rotordx import __version__
from rotordx._atomic import atomic_dir, write_text_atomic
from rotordx.classes import NORMAL
from rotordx.data.dataset import Dataset, kamp_signals, load_data, revolutions_to_samples
from rotordx.data.holdout import (
    default_split_method,
    recording_windows,
    recordings_per_class,
    split_recordings,
    train_valid,
)
from rotordx.data.preprocessed import load_dataset
from rotordx.data.seed import SEED_SPLIT, PreprocessConfig, Preprocessed, seed_split
from rotordx.data.splits import WindowConfig, block_bounds, default_window, split_dataset
from rotordx.exceptions import DataError, ParameterError
from rotordx.features.profile import healthy_baseline
from rotordx.io.sources import KAMP, open_source
from rotordx.models.abstention import DEFAULT_TARGET, Calibration, selective_scores
from rotordx.models.bundle import save_bundle
from rotordx.models.metrics import score_predictions
from rotordx.models.registry import (
    SEED,
    check_protocol,
    default_train_config,
    get_spec,
    make_classifier,
)
from rotordx.models.train_config import TrainConfig
from rotordx.render.figures import (
    confusion_matrix_figure,
    feature_importance_figure,
    loss_curve_figure,
    save_png,
)
from rotordx.workflows.abstain import window_calibrator
from rotordx.workflows.baseline import DEFAULT_FALSE_ALARM, train_baseline_run

__all__ = ["data_params", "fit_and_score", "train_run", "window_input_spec"]


def _dump(obj) -> str:
    return json.dumps(obj, indent=2) + "\n"


def _environment(threads: int) -> dict:
    return {
        "rotordx": __version__,
        "torch": _installed("torch"),
        "numpy": np.__version__,
        "python": platform.python_version(),
        "threads": threads,
    }


def _installed(package: str) -> str | None:
    """The installed version of ``package`` (without importing it), or None."""
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def data_params(input_spec: dict, *, threads: int | None = None) -> dict[str, Any]:
    """What the data and run say that models may take (``fs``, ``geometry``, ``threads``)."""
    return {
        "fs": input_spec.get("fs"),
        "geometry": input_spec.get("bearing"),
        "threads": threads,
    }


def fit_and_score(
    classifier, splits, *, classes, seed: int, progress: bool, calibrator=None
) -> tuple[dict, dict]:
    """Fit ``classifier`` on ``splits`` (train, valid, test); return metrics and timing.

    ``calibrator`` (:func:`rotordx.workflows.abstain.window_calibrator`) sets
    the abstention threshold after fitting; the test scores then include the
    coverage and accuracy of the answered windows (``metrics["abstention"]``).
    """
    tr, va, te = splits
    t0 = time.perf_counter()
    info = classifier.fit(tr, va, seed=seed, progress=progress)
    train_seconds = time.perf_counter() - t0
    t0 = time.perf_counter()
    cal = calibrator(classifier) if calibrator is not None else None
    calibration_seconds = time.perf_counter() - t0
    t0 = time.perf_counter()
    proba = classifier.predict_proba_split(te)
    pred = np.asarray(proba).argmax(axis=1)
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
        "split": {"train": len(tr), "valid": len(va) if va is not None else 0, "test": len(te)},
        "seed": seed,
    }
    if isinstance(cal, Calibration):
        metrics["abstention"] = {
            **cal.to_dict(),
            "test": selective_scores(proba, te.y, cal.min_confidence),
        }
    elif cal is not None:
        metrics["abstention"] = {"min_confidence": None, "note": cal}
    if hasattr(classifier, "n_parameters"):
        metrics["n_parameters"] = classifier.n_parameters()
    if hasattr(classifier, "top_features"):
        metrics["top_features"] = classifier.top_features(15)
    timing = {
        "train_seconds": train_seconds,
        "calibration_seconds": calibration_seconds,
        "predict_seconds": predict_seconds,
        "predict_us_per_input": predict_seconds / max(1, len(te)) * 1e6,
    }
    if info.get("epoch_seconds"):
        timing["epoch_seconds"] = info["epoch_seconds"]
        timing["seconds_per_epoch"] = float(np.median(info["epoch_seconds"]))
    return metrics, timing


def _write_run(
    out: Path, *, classifier, classes, input_spec, metrics: dict, timing: dict, force: bool
) -> None:
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
            fig = loss_curve_figure(
                train_loss=hist["train_loss"],
                valid_loss=hist["valid_loss"],
                valid_accuracy=hist["valid_accuracy"],
                best_epoch=metrics.get("best_epoch"),
                title=f"{name}: training history",
            )
            save_png(fig, tmp / "loss_curve.png")
        if metrics.get("top_features"):
            fig = feature_importance_figure(
                items=metrics["top_features"], title=f"{name}: most important features"
            )
            save_png(fig, tmp / "feature_importance.png")
        fig = confusion_matrix_figure(
            matrix=metrics["confusion_matrix"], classes=classes, title=f"{name} on the test split"
        )
        save_png(fig, tmp / "confusion_matrix.png")


def window_input_spec(
    ds: Dataset, wcfg: WindowConfig, *, duration: float, whole: bool = False
) -> dict:
    """What a window model's bundle says about its inputs, and the healthy baseline.

    The baseline is what ``diagnose`` compares order amplitudes with: the
    first normal recording's training block (time split), or the first
    normal recording, whole (``whole``: the recordings are training ones);
    windows too short to estimate the running speed give none.
    """
    spec: dict[str, Any] = {
        "fs": ds.fs,
        "window": wcfg.window,
        "hop": wcfg.hop,
        "n_channels": ds.n_channels,
        "duration": duration,
    }
    if ds.bearing is not None:
        spec["bearing"] = ds.bearing
    normal = [r.recording.signals for r in ds.recordings if r.label == NORMAL]
    if normal:
        train_block = (
            slice(None) if whole else slice(*block_bounds(normal[0].shape[1], config=wcfg)[0])
        )
        with contextlib.suppress(DataError):
            spec["baseline"] = healthy_baseline(
                normal[0][:, train_block], fs=ds.fs, window=wcfg.window
            )
    return spec


def _window_splits(ds, model: str, wcfg: WindowConfig, *, method: str, seed: int, protocol: str):
    """(train, valid, test) windows, what the split was, and the training recordings (or None)."""
    if method == "time":
        try:
            splits = split_dataset(ds, config=wcfg, seed=seed)
        except DataError as exc:
            if recordings_per_class(ds) >= 2:  # the user can hold out recordings instead
                raise DataError(f"{exc}; or hold out whole recordings (--split recording)") from exc
            raise
        return splits, {"method": "time", "fractions": list(wcfg.fractions)}, None
    if method != "recording":
        raise ParameterError(f"split must be 'recording' or 'time', got {method!r}")
    hold = split_recordings(ds, seed=seed)
    early = get_spec(model).early_stopping or protocol != get_spec(model).protocol
    train, valid, note = train_valid(ds, hold.train, config=wcfg, seed=seed, early_stopping=early)
    test, padded = recording_windows(ds, hold.test, window=wcfg.window, hop=wcfg.eval_hop)
    if padded:
        extra = f"{padded} test recording(s) shorter than a window were padded to one window"
        note = f"{note}; {extra}" if note else extra
    info = {
        "method": "recording",
        "train_recordings": [_short(ds.recordings[i]) for i in hold.train],
        "test_recordings": [_short(ds.recordings[i]) for i in hold.test],
        "note": note,
    }
    return (train, valid, test), info, hold.train


def _short(r) -> str:
    return Path(str(r.recording.name)).name


def _seed_setup(data, ds: Preprocessed, split, group) -> tuple[dict, dict]:
    input_spec: dict[str, Any] = {"preprocess": asdict(ds.config), "scaler": ds.scaler.to_dict()}
    if open_source(data).kind == KAMP:  # the healthy reference for `diagnose` needs raw signals
        raw = kamp_signals(data, fs=ds.config.fs, duration=ds.config.duration, group=group)
        input_spec["baseline"] = healthy_baseline(
            raw[0][:, : split[0]], fs=ds.config.fs, window=1024
        )
    setup = {"split": {"per_class": list(split)}, "preprocess": asdict(ds.config)}
    return input_spec, setup


def train_run(
    data: str | os.PathLike[str],
    *,
    model: str,
    out: str | os.PathLike[str],
    train_config: TrainConfig | None = None,
    preprocess: PreprocessConfig | None = None,
    split: tuple[int, int, int] = SEED_SPLIT,
    window: WindowConfig | None = None,
    revolutions: float | None = None,
    hop: int | None = None,
    split_by: str | None = None,
    protocol: str | None = None,
    seed: int | None = None,
    group: int | None = None,
    force: bool = False,
    progress: bool = True,
    dataset: Preprocessed | None = None,
    cache: bool | str | os.PathLike[str] | None = False,
    target_accuracy: float | None = DEFAULT_TARGET,
    false_alarm: float = DEFAULT_FALSE_ALARM,
) -> dict:
    """Train one model and write a run folder.

    A one-class model (``baseline``: one machine's healthy recordings) is
    trained by :func:`rotordx.workflows.baseline.train_baseline_run` (with
    ``window``/``hop``, ``false_alarm``, ``seed``, threads and ``force``).

    Parameters
    ----------
    data : path-like
        Seed models: a KAMP group folder or a preprocessed ``.parquet``.
        Window models: a KAMP group folder, a manifest or a folder of CWRU files.
    model : str
        One of :data:`rotordx.models.MODEL_NAMES`.
    out : path-like
        Run folder to create (atomically; an existing non-empty folder needs ``force``).
    train_config : TrainConfig, optional
        Torch models: epochs, patience, batch size, seed, threads.
    preprocess : PreprocessConfig, optional
        Seed protocol preprocessing.
    split : (int, int, int)
        Seed protocol: per-class train / validation / test sizes.
    window : WindowConfig, optional
        Window protocol: window, hop, block fractions, gap. Default: the
        :func:`~rotordx.data.splits.default_window` of the data's rate (long
        enough to estimate the running speed: 1024 at 1 kHz, 8192 at 12 kHz).
    revolutions : float, optional
        Window protocol: the window length in shaft revolutions instead, at
        the median speed of the recordings (every recording needs an rpm:
        CWRU files, or a manifest's ``rpm`` column).
    hop : int, optional
        Without ``window``: samples between training windows (default a
        quarter window).
    split_by : {"recording", "time"}, optional
        Window protocol: hold out whole recordings (a fifth of each class's
        for the test; validation windows from held-out training recordings)
        or the 60/20/20 time blocks of every recording. Default: recordings
        when every class has at least 3, else time.
    protocol : {"seed", "window"}, optional
        Override the model's protocol: a seed model under ``"window"`` is
        trained on the training windows' instants and classifies a window by
        its mean per-instant probability.
    seed : int, optional
        Split shuffling, initial weights, forests (default ``train_config.seed``).
    dataset : Preprocessed, optional
        Seed protocol: already preprocessed data for ``data`` (used by the demo).
    cache : bool or path-like
        Seed protocol on a folder: keep / take the preprocessed group in the
        cache (:mod:`rotordx.data.cache`).
    target_accuracy : float or None
        Window protocol: calibrate the abstention threshold (the bundle's
        ``input["min_confidence"]``) so that the answered held-out windows
        reach this accuracy (:mod:`rotordx.workflows.abstain`); ``None`` or
        0: never abstain.

    Returns
    -------
    dict
        The content of ``metrics.json`` plus ``"seconds"`` (training time).
    """
    out = Path(out)
    if out.is_dir() and any(out.iterdir()) and not force:
        raise ParameterError(f"{out} already exists and is not empty; pass --force to replace it")
    protocol = check_protocol(model, protocol)
    cfg = train_config or default_train_config(model)
    seed = cfg.seed if seed is None else seed
    if get_spec(model).one_class:
        if revolutions is not None or split_by is not None:
            raise ParameterError(
                f"{model!r} is fitted on every window of the healthy recordings: "
                "--revolutions and --split do not apply"
            )
        return train_baseline_run(
            data,
            out=out,
            window=window.window if window is not None else None,
            hop=(window.hop if window is not None else None) or hop,
            false_alarm=false_alarm,
            seed=seed,
            threads=cfg.threads,
            force=force,
        )
    pre = preprocess or PreprocessConfig()
    if protocol == SEED:
        ds = dataset or load_dataset(data, group=group, config=preprocess, cache=cache)
        try:
            splits = seed_split(ds.signals, sizes=split, seed=seed)
        except DataError as exc:
            raise DataError(f"{data}: {exc}") from exc
        classes = ds.classes
        input_spec, setup = _seed_setup(data, ds, split, group)
    else:
        kamp = open_source(data).kind == KAMP
        ds_w = load_data(data, fs=pre.fs if kamp else None, duration=pre.duration, group=group)
        if window is not None and (revolutions is not None or hop is not None):
            raise ParameterError("give a WindowConfig, or revolutions / hop, not both")
        wcfg = window
        if wcfg is None:
            n = default_window(ds_w.fs)
            if revolutions is not None:
                n = revolutions_to_samples(revolutions, ds_w)
            wcfg = WindowConfig(window=n, hop=hop)
        method = split_by or default_split_method(ds_w)
        splits, split_info, train_ids = _window_splits(
            ds_w, model, wcfg, method=method, seed=seed, protocol=protocol
        )
        classes = ds_w.classes
        input_spec = window_input_spec(
            ds_w.subset(train_ids) if train_ids is not None else ds_w,
            wcfg,
            duration=pre.duration,
            whole=train_ids is not None,
        )
        setup = {
            "window": {**asdict(wcfg), "gap": wcfg.gap_samples},
            "fs": ds_w.fs,
            "recordings": len(ds_w.recordings),
            "split": split_info,
        }

    def make():
        return make_classifier(
            model,
            protocol=protocol,
            train_config=cfg,
            data=data_params(input_spec, threads=cfg.threads),
        )

    classifier = make()
    calibrator = None
    if protocol != SEED and target_accuracy:
        calibrator = window_calibrator(
            ds_w,
            train_ids,
            splits[1],
            make=make,
            config=wcfg,
            target=target_accuracy,
            seed=seed,
        )
    metrics, timing = fit_and_score(
        classifier, splits, classes=classes, seed=seed, progress=progress, calibrator=calibrator
    )
    if metrics.get("abstention", {}).get("min_confidence") is not None:
        input_spec["min_confidence"] = metrics["abstention"]["min_confidence"]
    split_setup = setup.pop("split", {})
    metrics.update(setup)
    metrics["split"].update(split_setup)
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
