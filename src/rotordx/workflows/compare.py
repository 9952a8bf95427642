"""Every model on the same splits, and what happens when the machine's condition shifts.

:func:`compare_models` trains the windowed models (leak-free blocks) and the
seed's point-wise models (seed protocol) on one recording and tabulates test
accuracy, macro-F1, training time, inference time and model size.
:func:`shift_study` trains the windowed models on a simulated recording and
tests them on fresh recordings of the simulator at another running speed,
fault severity or noise level, to show how far each generalises.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np

from rotordx._atomic import atomic_dir, write_text_atomic
from rotordx.classes import KAMP_CLASSES
from rotordx.data.dataset import load_data
from rotordx.data.preprocessed import load_dataset
from rotordx.data.seed import SEED_SPLIT, seed_split
from rotordx.data.splits import WindowConfig, all_windows, split_dataset
from rotordx.exceptions import ParameterError
from rotordx.io.kamp import write_kamp_group
from rotordx.io.sources import KAMP, open_source
from rotordx.models.metrics import score_predictions
from rotordx.models.registry import (
    MODELS,
    SEED,
    WINDOW,
    check_classifier,
    default_train_config,
    get_spec,
    make_classifier,
    model_names,
)
from rotordx.render.comparison import comparison_figure
from rotordx.render.figures import save_png
from rotordx.render.tables import comparison_markdown
from rotordx.simulate import TestbedConfig, simulate_testbed
from rotordx.workflows.train import fit_and_score

__all__ = ["SHIFTS", "compare_models", "shift_study", "write_comparison"]

#: Shift studies: condition name -> list of (label, TestbedConfig overrides relative to base).
SHIFTS: dict[str, list[tuple[str, dict]]] = {
    "speed": [
        ("rpm x0.8", {"rpm": 0.8}),
        ("rpm x0.9", {"rpm": 0.9}),
        ("rpm x1.1", {"rpm": 1.1}),
        ("rpm x1.2", {"rpm": 1.2}),
    ],
    "severity": [
        ("faults x0.5", {"unbalance": 0.5, "looseness": 0.5}),
        ("faults x2", {"unbalance": 2.0, "looseness": 2.0}),
    ],
    "noise": [("noise x2", {"noise": 2.0}), ("noise x4", {"noise": 4.0})],
}


#: The default line-up: every model that needs no shaft speed (``bearing`` does;
#: add it for recordings with an rpm).
COMPARE_MODELS: tuple[str, ...] = model_names(needs_speed=False, one_class=False)


def _state_bytes(classifier) -> int:
    arrays, _ = classifier.get_state()
    return int(sum(np.asarray(a).nbytes for a in arrays.values()))


def _inference_us(classifier, split, *, repeats: int = 3) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        classifier.predict_split(split)
        times.append(time.perf_counter() - t0)
    return float(np.median(times) / len(split) * 1e6)


def _row(classifier, metrics: dict, timing: dict, test, unit: str) -> dict:
    return {
        "model": classifier.name,
        "protocol": classifier.protocol,
        "accuracy": metrics["accuracy"],
        "macro_f1": metrics["macro_f1"],
        "train_seconds": timing["train_seconds"],
        "inference_us": _inference_us(classifier, test.take(np.arange(min(2048, len(test))))),
        "input": unit,
        "model_bytes": _state_bytes(classifier),
        "epochs_run": metrics.get("epochs_run"),
        "confusion_matrix": metrics["confusion_matrix"],
        "n_test": metrics["n_samples"],
    }


def compare_models(
    data: str | os.PathLike[str],
    *,
    models: tuple[str, ...] = COMPARE_MODELS,
    window: WindowConfig | None = None,
    seed: int = 0,
    threads: int = 1,
    seed_epochs: int = 15,
    seed_patience: int = 5,
    seed_split_sizes: tuple[int, int, int] = SEED_SPLIT,
    progress: bool = True,
) -> tuple[list[dict], dict]:
    """Train every model on the same data and splits.

    Returns
    -------
    rows : list of dict
        Per model: accuracy, macro-F1, train seconds, inference microseconds per
        input, model bytes, confusion matrix...
    fitted : dict
        The fitted window classifiers by name (reused by :func:`shift_study`).
    """
    window = window or WindowConfig()
    rows, fitted = [], {}
    unknown = [m for m in models if m not in MODELS]
    if unknown:
        raise ParameterError(f"unknown model(s) {unknown}; expected names from {tuple(MODELS)}")
    for m in models:
        check_classifier(m, "compare")
    wanted_window = [m for m in models if get_spec(m).protocol == WINDOW]
    wanted_seed = [m for m in models if get_spec(m).protocol == SEED]
    if wanted_window:
        ds_w = load_data(data)
        splits = split_dataset(ds_w, config=window, seed=seed)
        for name in wanted_window:
            clf = make_classifier(
                name,
                train_config=default_train_config(name, seed=seed, threads=threads),
                data={"fs": ds_w.fs, "geometry": ds_w.bearing, "threads": threads},
            )
            metrics, timing = fit_and_score(
                clf, splits, classes=ds_w.classes, seed=seed, progress=progress
            )
            unit = f"window {ds_w.n_channels}x{window.window}"
            rows.append(_row(clf, metrics, timing, splits[2], unit))
            fitted[name] = clf
    if wanted_seed and open_source(data).kind != KAMP:
        raise ParameterError(
            f"{data}: the seed models need a KAMP group; leave dnn, cnn, rnn out of --models"
        )
    if wanted_seed:
        ds = load_dataset(data)
        splits = seed_split(ds.signals, sizes=seed_split_sizes, seed=seed)
        for name in wanted_seed:
            clf = make_classifier(
                name,
                train_config=default_train_config(
                    name, seed=seed, threads=threads, max_epochs=seed_epochs, patience=seed_patience
                ),
            )
            metrics, timing = fit_and_score(
                clf, splits, classes=ds.classes, seed=seed, progress=progress
            )
            rows.append(_row(clf, metrics, timing, splits[2], f"instant {ds.n_sensors}"))
    return rows, fitted


def shift_study(
    fitted: dict,
    *,
    base,
    shifts: tuple[str, ...],
    workdir: Path,
    window: WindowConfig,
    seed: int = 0,
    test_seconds: float = 30.0,
) -> list[dict]:
    """Score fitted window classifiers on simulated recordings under shifted conditions.

    Parameters
    ----------
    fitted : dict
        Window classifiers trained on a recording simulated with ``base``.
    base : TestbedConfig
        The training recording's simulator settings.
    shifts : tuple of str
        Keys of :data:`SHIFTS`.
    workdir : Path
        Where the shifted recordings are written (KAMP CSV, one folder each).
    window : WindowConfig
    seed : int
        The shifted recordings use ``seed + 1000 + i``: new realisations of noise,
        wander and jitter, not the training recording.
    test_seconds : float
        Duration of each shifted recording (non-overlapping windows are scored).
    """
    rows = []
    conditions = [("base (new recording)", {})]
    for key in shifts:
        if key not in SHIFTS:
            raise ParameterError(f"unknown shift {key!r}; expected one of {', '.join(SHIFTS)}")
        conditions += SHIFTS[key]
    for i, (label, factors) in enumerate(conditions):
        cfg = replace(
            base,
            seconds=min(base.seconds, test_seconds),
            **{k: getattr(base, k) * v for k, v in factors.items()},
        )
        folder = workdir / f"shift_{i}"
        write_kamp_group(folder, simulate_testbed(cfg, seed=seed + 1000 + i), group=1)
        w = all_windows(load_data(folder), window=window.window)
        shutil.rmtree(folder)
        row = {
            "condition": label,
            "rpm": cfg.rpm,
            "unbalance": cfg.unbalance,
            "looseness": cfg.looseness,
            "noise": cfg.noise,
            "n_windows": len(w),
        }
        for name, clf in fitted.items():
            s = score_predictions(w.y, clf.predict(w.X), classes=KAMP_CLASSES)
            row[name] = s.accuracy
            row[f"{name}_recall"] = s.per_class_recall
        rows.append(row)
    return rows


def write_comparison(
    out: str | os.PathLike[str],
    *,
    data: str | os.PathLike[str] | None = None,
    models: tuple[str, ...] = COMPARE_MODELS,
    shifts: tuple[str, ...] = (),
    window: WindowConfig | None = None,
    seconds: float = 140.0,
    rpm: float = 1800.0,
    seed: int = 0,
    threads: int = 1,
    seed_epochs: int = 15,
    seed_patience: int = 5,
    seed_split_sizes: tuple[int, int, int] = SEED_SPLIT,
    force: bool = False,
    progress: bool = True,
) -> dict:
    """Run :func:`compare_models` (and :func:`shift_study`) and write the results.

    Without ``data`` a recording is simulated (``seconds``, ``rpm``, ``seed``).
    Writes ``compare.json``, ``compare.md`` and ``compare.png`` into ``out``
    (atomically). Shift studies always train on a simulated recording: the
    given one when ``data`` is omitted, otherwise a fresh one.
    """
    window = window or WindowConfig()
    base = TestbedConfig(seconds=seconds, rpm=rpm)
    t_start = time.perf_counter()
    with atomic_dir(out, force=force) as tmp:
        if data is None:
            data = tmp / "data"
            write_kamp_group(data, simulate_testbed(base, seed=seed), group=1)
            simulated = True
        else:
            simulated = False
        rows, fitted = compare_models(
            data,
            models=models,
            window=window,
            seed=seed,
            threads=threads,
            seed_epochs=seed_epochs,
            seed_patience=seed_patience,
            seed_split_sizes=seed_split_sizes,
            progress=progress,
        )
        shift_rows: list[dict] = []
        if shifts:
            if not simulated:
                base_dir = tmp / "shift_base"
                write_kamp_group(base_dir, simulate_testbed(base, seed=seed), group=1)
                win_models = tuple(m for m in models if get_spec(m).protocol == WINDOW)
                _, fitted = compare_models(
                    base_dir,
                    models=win_models,
                    window=window,
                    seed=seed,
                    threads=threads,
                    progress=progress,
                )
            shift_rows = shift_study(
                fitted, base=base, shifts=shifts, workdir=tmp, window=window, seed=seed
            )
        result = {
            "data": "simulated" if simulated else str(data),
            "simulator": asdict(base) if (simulated or shifts) else None,
            "window": {**asdict(window), "gap": window.gap_samples},
            "seed": seed,
            "rows": rows,
            "shift": shift_rows,
            "seconds_total": time.perf_counter() - t_start,
        }
        write_text_atomic(tmp / "compare.json", json.dumps(result, indent=2) + "\n")
        shift_models = [k for k in shift_rows[0] if k in MODELS] if shift_rows else []
        write_text_atomic(tmp / "compare.md", comparison_markdown(rows, shift_rows, shift_models))
        save_png(comparison_figure(rows, shift_rows, shift_models), tmp / "compare.png", dpi=110)
    return result
