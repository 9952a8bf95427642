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
from rotordx.datasets import load_data, split_dataset
from rotordx.evaluate import score_predictions
from rotordx.exceptions import ParameterError
from rotordx.io import CLASSES, write_kamp_group
from rotordx.models import SEED_MODELS, WINDOW_MODELS, default_train_config, make_classifier
from rotordx.runs import fit_and_score, is_kamp, load_dataset, load_signals, model_params
from rotordx.splits import SEED_SPLIT, seed_split
from rotordx.windows import WindowConfig, windows_of

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
COMPARE_MODELS: tuple[str, ...] = (
    *(m for m in WINDOW_MODELS if m != "bearing"),
    *SEED_MODELS,
)


def _state_bytes(classifier) -> int:
    arrays, _ = classifier.get_state()
    return int(sum(np.asarray(a).nbytes for a in arrays.values()))


def _inference_us(classifier, X: np.ndarray, speed=None, *, repeats: int = 3) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        classifier.predict_proba(X, shaft_hz=speed)
        times.append(time.perf_counter() - t0)
    return float(np.median(times) / len(X) * 1e6)


def _row(classifier, metrics: dict, timing: dict, test, unit: str) -> dict:
    speed = None if test.shaft_hz is None else test.shaft_hz[:2048]
    return {
        "model": classifier.name,
        "protocol": classifier.protocol,
        "accuracy": metrics["accuracy"],
        "macro_f1": metrics["macro_f1"],
        "train_seconds": timing["train_seconds"],
        "inference_us": _inference_us(classifier, test.X[:2048], speed),
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
    wanted_window = [m for m in models if m in WINDOW_MODELS]
    wanted_seed = [m for m in models if m in SEED_MODELS]
    unknown = [m for m in models if m not in WINDOW_MODELS and m not in SEED_MODELS]
    if unknown:
        raise ParameterError(
            f"unknown model(s) {unknown}; expected names from {WINDOW_MODELS + SEED_MODELS}"
        )
    if wanted_window:
        ds_w = load_data(data)
        splits = split_dataset(ds_w, config=window, seed=seed)
        for name in wanted_window:
            clf = make_classifier(
                name,
                train_config=default_train_config(name, seed=seed, threads=threads),
                **model_params(name, {"fs": ds_w.fs}),
            )
            metrics, timing = fit_and_score(
                clf, splits, classes=ds_w.classes, seed=seed, progress=progress
            )
            unit = f"window {ds_w.n_channels}x{window.window}"
            rows.append(_row(clf, metrics, timing, splits[2], unit))
            fitted[name] = clf
    if wanted_seed and not is_kamp(data):
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
    from rotordx.simulate import simulate_testbed

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
        w = windows_of(load_signals(folder), window=window.window, hop=window.window)
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
            s = score_predictions(w.y, clf.predict(w.X), classes=CLASSES)
            row[name] = s.accuracy
            row[f"{name}_recall"] = s.per_class_recall
        rows.append(row)
    return rows


def _markdown(rows: list[dict], shift_rows: list[dict]) -> str:
    lines = [
        "| model | protocol | test accuracy | macro-F1 | train s | inference µs / input "
        "| input | model size |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['model']} | {r['protocol']} | {r['accuracy'] * 100:.2f}% | "
            f"{r['macro_f1']:.4f} | {r['train_seconds']:.1f} | {r['inference_us']:.1f} | "
            f"{r['input']} | {r['model_bytes'] / 1024:.0f} KiB |"
        )
    if shift_rows:
        names = [k for k in shift_rows[0] if k in WINDOW_MODELS]
        lines += [
            "",
            "| condition | rpm | " + " | ".join(names) + " |",
            "|---|---|" + "---|" * len(names),
        ]
        for r in shift_rows:
            lines.append(
                f"| {r['condition']} | {r['rpm']:.0f} | "
                + " | ".join(f"{r[n] * 100:.1f}%" for n in names)
                + " |"
            )
    return "\n".join(lines) + "\n"


def _figure(path: Path, rows: list[dict], shift_rows: list[dict]) -> None:
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    n_plots = 3 if shift_rows else 2
    fig, axes = plt.subplots(1, n_plots, figsize=(5 * n_plots, 4))
    names = [r["model"] for r in rows]
    colors = ["tab:blue" if r["protocol"] == "window" else "tab:gray" for r in rows]
    axes[0].barh(names[::-1], [r["accuracy"] * 100 for r in rows][::-1], color=colors[::-1])
    axes[0].set_xlabel("test accuracy (%)")
    axes[0].set_xlim(min(50, min(r["accuracy"] * 100 for r in rows) - 5), 100)
    axes[0].set_title("accuracy (blue: windowed, grey: seed)")
    axes[1].barh(names[::-1], [r["train_seconds"] for r in rows][::-1], color=colors[::-1])
    axes[1].set_xscale("log")
    axes[1].set_xlabel("train seconds (log)")
    axes[1].set_title("training time")
    if shift_rows:
        models = [k for k in shift_rows[0] if k in WINDOW_MODELS]
        x = np.arange(len(shift_rows))
        for m in models:
            axes[2].plot(x, [r[m] * 100 for r in shift_rows], marker="o", label=m)
        axes[2].set_xticks(
            x, [r["condition"] for r in shift_rows], rotation=35, ha="right", fontsize=8
        )
        axes[2].set_ylabel("accuracy (%)")
        axes[2].set_title("trained at base, tested under shift")
        axes[2].axhline(95, color="grey", linestyle=":", linewidth=1)
        axes[2].legend(fontsize=8)
    for ax in axes:
        ax.grid(alpha=0.3)
    fig.tight_layout()
    from rotordx.plots import save_png

    save_png(fig, path, dpi=110)


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
    from rotordx.simulate import TestbedConfig, simulate_testbed

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
                win_models = tuple(m for m in models if m in WINDOW_MODELS)
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
        write_text_atomic(tmp / "compare.md", _markdown(rows, shift_rows))
        _figure(tmp / "compare.png", rows, shift_rows)
    return result
