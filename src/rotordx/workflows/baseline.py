"""Train a machine's healthy baseline (``rotordx train DATA --model baseline``).

The data are recordings of one machine in good condition (every label
``normal``). The workflow

1. cuts every recording into windows (a recording shorter than a window is
   one window, padded);
2. scores healthy windows the model did not see: with two or more
   recordings, each recording is scored by a baseline fitted on the others
   (at most :data:`MAX_FOLDS` folds of whole recordings); with one, its last
   :data:`HELD_FRACTION` is scored by a baseline of the rest;
3. sets the departure threshold at the ``1 - false_alarm`` quantile of those
   held-out scores (with fewer than ``1 / false_alarm`` of them, the larger
   of their maximum and a log-normal fit's quantile: :func:`_threshold`), and
   fits the final baseline on every window;
4. keeps the machine's healthy physics (velocity at each order, velocity RMS,
   impact statistics: the median over its recordings), so that ``rotordx
   diagnose`` names a departure with the physics rules judged against it.

The run folder holds the bundle, ``metrics.json`` (windows, threshold,
held-out scores, per-recording departure), ``timing.json`` and
``departure_scores.png``.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict
from pathlib import Path
from statistics import NormalDist

import numpy as np

from rotordx._atomic import atomic_dir, write_text_atomic
from rotordx.classes import NORMAL
from rotordx.data.dataset import Dataset, load_data
from rotordx.data.holdout import recording_windows
from rotordx.data.splits import Split, WindowConfig, default_window
from rotordx.diagnosis.api import baseline_of
from rotordx.exceptions import DataError, ParameterError
from rotordx.models.baseline import BASELINE_CLASSES
from rotordx.models.bundle import save_bundle
from rotordx.models.registry import make_classifier
from rotordx.render.figures import departure_scores_figure, save_png

__all__ = ["DEFAULT_FALSE_ALARM", "HELD_FRACTION", "MAX_FOLDS", "train_baseline_run"]

#: The share of healthy windows allowed to depart (the threshold's quantile).
DEFAULT_FALSE_ALARM = 0.01
#: Folds of whole recordings for the held-out scores.
MAX_FOLDS = 5
#: With a single recording: the share at its end scored by a baseline of the rest.
HELD_FRACTION = 0.3


def _check_healthy(ds: Dataset) -> None:
    bad = [r for r in ds.recordings if r.label != NORMAL]
    if bad:
        names = ", ".join(f"{Path(str(r.recording.name)).name} ({r.label})" for r in bad[:3])
        raise DataError(
            f"{ds.source}: a baseline is trained on healthy recordings only (label "
            f"'{NORMAL}'); {len(bad)} are not: {names}{' …' if len(bad) > 3 else ''}"
        )
    machines = sorted({r.machine for r in ds.recordings if r.machine})
    if len(machines) > 1:
        raise DataError(
            f"{ds.source}: a baseline describes one machine; the recordings come from "
            f"{len(machines)} ({', '.join(machines[:4])}{' …' if len(machines) > 4 else ''}); "
            "train one baseline per machine"
        )


def _held_out_scores(
    ds: Dataset, wcfg: WindowConfig, make, *, seed: int
) -> tuple[np.ndarray, list[dict], str]:
    """Departure scores of healthy windows no fitted baseline saw; per-recording medians."""
    n = len(ds.recordings)
    per_rec: list[dict] = []
    if n == 1:
        windows, _ = recording_windows(ds, [0], window=wcfg.window, hop=wcfg.hop)
        cut = round(len(windows) * (1 - HELD_FRACTION))
        if cut < 2 or cut >= len(windows):
            raise DataError(
                f"{ds.source}: one recording of {len(windows)} windows of {wcfg.window} "
                "samples; a baseline needs at least 2 to fit and 1 to check — give more "
                "or longer healthy recordings, or a shorter --window"
            )
        model = make()
        model.fit(windows.take(np.arange(cut)), seed=seed)
        scores = model.scores(windows.X[cut:], _speed(windows, slice(cut, None)))
        per_rec.append(_rec_row(ds, 0, scores))
        return scores, per_rec, f"the last {HELD_FRACTION:.0%} of the only recording"
    rng = np.random.default_rng(seed)
    order = rng.permutation(n)
    k = min(MAX_FOLDS, n)
    folds = [order[i::k] for i in range(k)]
    out = []
    for held in folds:
        rest = [i for i in range(n) if i not in set(held.tolist())]
        train, _ = recording_windows(ds, rest, window=wcfg.window, hop=wcfg.hop)
        model = make()
        model.fit(train, seed=seed)
        for i in sorted(held.tolist()):
            windows, _ = recording_windows(ds, [i], window=wcfg.window)
            s = model.scores(windows.X, windows.shaft_hz)
            out.append(s)
            per_rec.append(_rec_row(ds, i, s))
    per_rec.sort(key=lambda r: r["index"])
    return np.concatenate(out), per_rec, f"{k} folds of whole recordings"


def _speed(split: Split, rows: slice) -> np.ndarray | None:
    return None if split.shaft_hz is None else split.shaft_hz[rows]


def _rec_row(ds: Dataset, i: int, scores: np.ndarray) -> dict:
    return {
        "index": i,
        "recording": Path(str(ds.recordings[i].recording.name)).name,
        "windows": len(scores),
        "median_score": float(np.median(scores)),
        "max_score": float(np.max(scores)),
    }


def _threshold(scores: np.ndarray, false_alarm: float) -> float:
    """The ``1 - false_alarm`` quantile of held-out healthy scores.

    With at least ``1 / false_alarm`` scores, their empirical quantile. With
    fewer, the empirical quantile is their maximum, which a new healthy
    window exceeds with probability 1 / (n + 1) — 17 % for five recordings;
    the threshold is then the larger of that maximum and the quantile of a
    log-normal fitted to the scores (their log mean and standard deviation).
    """
    scores = np.asarray(scores, dtype=np.float64)
    if len(scores) * false_alarm >= 1:
        return float(np.quantile(scores, 1.0 - false_alarm, method="higher"))
    logs = np.log(np.maximum(scores, 1e-12))
    spread = float(np.std(logs, ddof=1)) if len(logs) > 1 else 0.0
    fitted = float(np.exp(logs.mean() + NormalDist().inv_cdf(1.0 - false_alarm) * spread))
    return max(float(np.max(scores)), fitted)


def train_baseline_run(
    data: str | os.PathLike[str],
    *,
    out: str | os.PathLike[str],
    window: int | None = None,
    hop: int | None = None,
    false_alarm: float = DEFAULT_FALSE_ALARM,
    seed: int = 0,
    threads: int | None = None,
    force: bool = False,
) -> dict:
    """Train a healthy baseline of one machine and write a run folder.

    Parameters
    ----------
    data : path-like
        A manifest (every label ``normal``, one machine) or a folder of
        CWRU files of the healthy condition.
    window, hop : int, optional
        Window length (default :func:`~rotordx.data.splits.default_window`
        of the rate) and the hop of the training windows (default a quarter
        window).
    false_alarm : float
        The share of held-out healthy windows allowed above the threshold.

    Returns
    -------
    dict
        The content of ``metrics.json`` plus ``"seconds"``.
    """
    out = Path(out)
    if out.is_dir() and any(out.iterdir()) and not force:
        raise ParameterError(f"{out} already exists and is not empty; pass --force to replace it")
    if not 0 < false_alarm < 0.5:
        raise ParameterError(f"false_alarm must be in (0, 0.5), got {false_alarm!r}")
    t0 = time.perf_counter()
    ds = load_data(data)
    _check_healthy(ds)
    n = window or default_window(ds.fs)
    wcfg = WindowConfig(window=n, hop=hop)
    input_spec: dict = {
        "fs": ds.fs,
        "window": wcfg.window,
        "hop": wcfg.hop,
        "n_channels": ds.n_channels,
    }
    if ds.bearing is not None:
        input_spec["bearing"] = ds.bearing

    def make():
        return make_classifier("baseline", data={"fs": ds.fs, "threads": threads})

    held, per_rec, how = _held_out_scores(ds, wcfg, make, seed=seed)
    threshold = _threshold(held, false_alarm)
    final = make()
    windows, padded = recording_windows(
        ds, range(len(ds.recordings)), window=wcfg.window, hop=wcfg.hop
    )
    info = final.fit(windows, seed=seed)
    final.set_threshold(threshold)
    input_spec["physics_baseline"] = baseline_of(ds.recordings)
    input_spec["machine"] = next((r.machine for r in ds.recordings if r.machine), None)
    fit_scores = info["train_scores"]
    metrics = {
        "model": "baseline",
        "protocol": "window",
        "classes": list(BASELINE_CLASSES),
        "data": str(data),
        "machine": input_spec["machine"],
        "recordings": len(ds.recordings),
        "windows": len(windows),
        "padded_recordings": padded,
        "n_features": info["n_features"],
        "window": {**asdict(wcfg), "gap": wcfg.gap_samples},
        "fs": ds.fs,
        "seed": seed,
        "threshold": threshold,
        "false_alarm_target": false_alarm,
        "held_out": {
            "how": how,
            "windows": len(held),
            "median_score": float(np.median(held)),
            "departing_share": float(np.mean(held > threshold)),
            "recordings": per_rec,
        },
        "training_windows_median_score": float(np.median(fit_scores)),
        "top_spread_features": [
            (name, float(s))
            for name, s in sorted(
                zip(
                    final.feature_names,
                    final.spread / np.maximum(np.abs(final.center), 1e-12),
                    strict=True,
                ),
                key=lambda t: -t[1],
            )[:10]
        ],
    }
    seconds = time.perf_counter() - t0
    with atomic_dir(out, force=force) as tmp:
        save_bundle(
            tmp,
            classifier=final,
            classes=BASELINE_CLASSES,
            input=input_spec,
            extra={"protocol": "window", "seed": seed},
        )
        metrics["model_bytes"] = (tmp / "model.safetensors").stat().st_size
        write_text_atomic(tmp / "metrics.json", json.dumps(metrics, indent=2) + "\n")
        write_text_atomic(
            tmp / "timing.json", json.dumps({"train_seconds": seconds}, indent=2) + "\n"
        )
        save_png(
            departure_scores_figure(
                held=held,
                fitted=fit_scores,
                threshold=threshold,
                title="baseline: departure scores",
            ),
            tmp / "departure_scores.png",
        )
    return {**metrics, "seconds": seconds}
