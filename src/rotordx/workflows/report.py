"""One self-contained HTML report on a KAMP group: vibration features versus fault types.

``write_report(DATA_DIR, "report.html")`` loads the group's four machine
states (normal, unbalance, looseness, unbalance + looseness) as physical
signals, and writes a single HTML file that a browser opens without network
access: every figure is an embedded PNG (``data:image/png;base64``), the CSS
is inline and there is no JavaScript. Sections:

1. header: data source, duration, sensors, running speed per class;
2. averaged amplitude spectra per sensor, the classes overlaid, with the
   running-speed orders 0.5x … 5x marked;
3. a table of order amplitudes, velocity RMS with its ISO 20816-3 style
   severity zone, kurtosis and crest factor, per class and sensor;
4. per-class distributions of the physics features the forest found most
   informative;
5. a physics-feature random forest trained on the leak-free windowed split:
   test accuracy, confusion matrix, top-15 importances;
6. notes on how to read the report.

See ``docs/report.md``.
"""

from __future__ import annotations

import datetime as _dt
import os
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from rotordx._atomic import atomic_file
from rotordx._progress import stage_progress
from rotordx.classes import KAMP_CLASSES, meaning
from rotordx.data.dataset import Dataset, kamp_signals
from rotordx.data.splits import WindowConfig, all_windows, split_dataset
from rotordx.features.profile import order_profile
from rotordx.features.severity import SeverityThresholds, resolve_thresholds, severity_zone
from rotordx.features.spectral import amplitude_spectrum
from rotordx.io.kamp import find_groups
from rotordx.models.metrics import score_predictions
from rotordx.models.registry import make_classifier
from rotordx.render.figures import confusion_matrix_figure, feature_importance_figure, png_base64
from rotordx.render.html import ReportContent, report_html
from rotordx.render.report import distribution_figure, spectra_figure
from rotordx.signal.framing import frame

__all__ = ["N_DISTRIBUTIONS", "N_IMPORTANCES", "build_report", "class_spectra", "write_report"]

#: Number of features whose per-class distributions are shown.
N_DISTRIBUTIONS = 8
#: Number of features in the importance chart.
N_IMPORTANCES = 15
#: Stages shown by the progress display.
_STAGES = ("loading", "order analysis", "training the physics-feature forest", "drawing figures")


def class_spectra(
    signals: np.ndarray, *, fs: float, window: int, pad: int = 4
) -> tuple[np.ndarray, np.ndarray]:
    """Amplitude spectra averaged over the non-overlapping windows of each class.

    Each window's mean-free, Hann-windowed amplitude spectrum
    (:func:`rotordx.features.amplitude_spectrum`, zero padded to ``pad``
    times the window, the padding of the order analysis) is averaged over
    the windows, so a stationary line reads its amplitude and the noise is
    smoothed.

    Parameters
    ----------
    signals : np.ndarray [shape=(n_classes, n_channels, n_samples)]
    fs : float
        Sample rate in Hz.
    window : int
        Window length in samples.

    Returns
    -------
    freqs : np.ndarray [shape=(n_bins,)]
    amp : np.ndarray [shape=(n_classes, n_channels, n_bins)]
    """
    out = []
    freqs = None
    for s in signals:
        win = frame(np.asarray(s, dtype=np.float64), window=window, hop=window)
        freqs, amp = amplitude_spectrum(win, fs=fs, nfft=pad * window, remove_mean=True)
        out.append(amp.mean(axis=0))
    return freqs, np.stack(out)


def build_report(
    data: str | os.PathLike[str],
    *,
    window: WindowConfig | None = None,
    seed: int = 0,
    fs: float = 1000.0,
    duration: float = 140.0,
    group: int | None = None,
    thresholds: str | SeverityThresholds = "group2_rigid",
    progress: bool = False,
) -> tuple[str, dict]:
    """Analyse a KAMP group and return the report's HTML and its key numbers.

    Parameters are those of :func:`write_report`.

    Returns
    -------
    html : str
        The complete, self-contained document.
    summary : dict
        ``accuracy``, ``macro_f1``, ``rpm`` (per class), ``n_windows``
        (train / valid / test), ``top_features`` and ``seconds`` (per stage).
    """
    with stage_progress(f"report on {Path(data).name}", stages=len(_STAGES), enabled=progress) as s:
        return _build(data, window, seed, fs, duration, group, thresholds, s)


def _build(
    data, window, seed, fs, duration, group, thresholds, stage: Callable
) -> tuple[str, dict]:
    window = window or WindowConfig()
    th = resolve_thresholds(thresholds)
    seconds: dict[str, float] = {}
    t_all = t0 = time.perf_counter()
    data = Path(data)

    stage(_STAGES[0])
    signals = kamp_signals(data, fs=fs, duration=duration, group=group)
    if group is None:
        group = find_groups(data)[0]
    n_cls, n_ch, n = signals.shape
    labels = [meaning(c) for c in KAMP_CLASSES[:n_cls]]
    sensors = [f"sensor {j + 1}" for j in range(n_ch)]
    ds = Dataset.from_arrays(signals, fs=fs, classes=KAMP_CLASSES[:n_cls], source=str(data))
    seconds["load"] = time.perf_counter() - t0

    # physics per class (non-overlapping windows, medians)
    t0 = time.perf_counter()
    stage(_STAGES[1])
    profiles = [order_profile(signals[c], fs=fs, window=window.window) for c in range(n_cls)]
    speeds = np.array([p["speed_hz"] for p in profiles])
    speed = float(np.median(speeds))
    zones = [severity_zone(p["vel_rms"], thresholds=th) for p in profiles]
    freqs, amp = class_spectra(signals, fs=fs, window=window.window)
    seconds["physics"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    stage(_STAGES[2])
    tr, va, te = split_dataset(ds, config=window, seed=seed)
    clf = make_classifier("features", data={"fs": fs})
    clf.fit(tr, va, seed=seed)
    scores = score_predictions(te.y, clf.predict(te.X), classes=labels)
    top = clf.top_features(N_IMPORTANCES)
    seconds["model"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    stage(_STAGES[3])
    ranked = clf.top_features(len(clf.feature_names))
    dist_names = [name for name, _ in ranked[:N_DISTRIBUTIONS]]
    allw = all_windows(ds, window=window.window)
    F = clf.features(allw.X)
    cols = [clf.feature_names.index(name) for name in dist_names]
    content = ReportContent(
        data=data,
        group=group,
        fs=fs,
        n=n,
        labels=labels,
        sensors=sensors,
        speeds=speeds,
        window=window,
        seed=seed,
        generated=_dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z").strip(),
        profiles=profiles,
        zones=zones,
        thresholds=th,
        scores=scores,
        top=top,
        n_estimators=clf.n_estimators,
        n_features=len(clf.feature_names),
        n_split=(len(tr), len(va), len(te)),
        n_all_windows=len(allw),
        dist_names=dist_names,
        fig_spectra=png_base64(
            spectra_figure(freqs, amp, speed_hz=speed, fs=fs, labels=labels, sensors=sensors)
        ),
        fig_dist=png_base64(distribution_figure(F[:, cols], allw.y, dist_names, labels)),
        fig_cm=png_base64(
            confusion_matrix_figure(
                matrix=scores.confusion_matrix,
                classes=labels,
                title="physics-feature forest, test split",
            ),
            dpi=120,
        ),
        fig_fi=png_base64(
            feature_importance_figure(items=top, title=f"top {len(top)} feature importances"),
            dpi=120,
        ),
    )
    doc = report_html(content)
    seconds["figures"] = time.perf_counter() - t0
    seconds["total"] = time.perf_counter() - t_all
    summary = {
        "accuracy": scores.accuracy,
        "macro_f1": scores.macro_f1,
        "rpm": {lab: float(s * 60) for lab, s in zip(labels, speeds, strict=True)},
        "n_windows": {"train": len(tr), "valid": len(va), "test": len(te)},
        "top_features": top,
        "seconds": seconds,
    }
    return doc, summary


def write_report(
    data: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    window: WindowConfig | None = None,
    seed: int = 0,
    fs: float = 1000.0,
    duration: float = 140.0,
    group: int | None = None,
    thresholds: str | SeverityThresholds = "group2_rigid",
    progress: bool = False,
) -> Path:
    """Write the self-contained HTML report on a KAMP group.

    Parameters
    ----------
    data : path-like
        KAMP group folder (``g{N}_sensor1.csv`` …).
    out : path-like
        The HTML file to write (atomically: a temporary sibling renamed into
        place; an existing file is replaced).
    window : WindowConfig, optional
        Window length and hop of the windowed protocol (default 1024 / 256).
        The window must hold at least 400 samples at 1 kHz (two periods of
        5 Hz) for the running-speed estimate.
    seed : int
        Split shuffling and forest seed.
    fs : float
        Sample rate the sensors are resampled to (Hz).
    duration : float
        Seconds of each recording to use (at most).
    group : int, optional
        Group number when the folder holds several.
    thresholds : str or SeverityThresholds
        Severity-zone boundaries (see :data:`rotordx.features.SEVERITY_PRESETS`).
    progress : bool
        Show the stages in a progress display on stderr.

    Returns
    -------
    Path
        ``out``.

    Raises
    ------
    DataError
        Missing or malformed data, or recordings too short for the windows.
    ParameterError
        Bad window settings, thresholds or sample rate.
    """
    doc, _ = build_report(
        data,
        window=window,
        seed=seed,
        fs=fs,
        duration=duration,
        group=group,
        thresholds=thresholds,
        progress=progress,
    )
    out = Path(out)
    with atomic_file(out) as tmp:
        tmp.write_text(doc, encoding="utf-8")
    return out
