"""The figures and words of the HTML report: class spectra, feature distributions, feature names."""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from rotordx.render.figures import mark_orders, pyplot

__all__ = [
    "CLASS_COLORS",
    "FEATURE_STEMS",
    "SPECTRUM_MAX_ORDER",
    "SPECTRUM_ORDERS",
    "describe_feature",
    "distribution_figure",
    "spectra_figure",
]

#: Orders marked in the spectra.
SPECTRUM_ORDERS: tuple[float, ...] = (0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0)
#: The spectra are shown up to this multiple of the running speed.
SPECTRUM_MAX_ORDER = 6.5
#: One colour per class (the healthy class green).
CLASS_COLORS = ("#2ca02c", "#1f77b4", "#ff7f0e", "#d62728")


def spectra_figure(
    freqs: np.ndarray,
    amp: np.ndarray,
    *,
    speed_hz: float,
    fs: float,
    labels: Sequence[str],
    sensors: Sequence[str],
):
    """Amplitude spectra per sensor, the classes overlaid, running-speed orders marked."""
    plt = pyplot()
    fmax = min(fs / 2.0, SPECTRUM_MAX_ORDER * speed_hz)
    keep = (freqs > 0) & (freqs <= fmax)
    f = freqs[keep]
    n_ch = amp.shape[1]
    ncols = 2 if n_ch > 1 else 1
    nrows = int(np.ceil(n_ch / ncols))
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(12.5, 3.6 * nrows + 0.6), sharex=True, squeeze=False
    )
    lines = []
    for j in range(nrows * ncols):
        ax = axes.flat[j]
        if j >= n_ch:
            ax.set_visible(False)
            continue
        vals = amp[:, j, keep]
        handles = {}
        for c in reversed(range(amp.shape[0])):  # the healthy baseline drawn on top
            (handles[c],) = ax.semilogy(
                f, vals[c], color=CLASS_COLORS[c % 4], linewidth=0.9, alpha=0.9, label=labels[c]
            )
        if j == 0:
            lines = [handles[c] for c in range(amp.shape[0])]
        lo = max(float(np.percentile(vals, 1)) * 0.5, float(vals.max()) * 1e-5)
        ax.set_ylim(lo, float(vals.max()) * 2.5)
        mark_orders(ax, speed_hz=speed_hz, orders=SPECTRUM_ORDERS, fmax=fmax)
        ax.set_title(sensors[j], fontsize=10, pad=14)
        ax.set_ylabel("amplitude (m/s²)")
        ax.grid(alpha=0.25, which="major")
        ax.set_xlim(0, fmax)
        if j >= n_ch - ncols:
            ax.set_xlabel("frequency (Hz)")
            ax.tick_params(labelbottom=True)
    fig.legend(
        lines, labels, loc="upper center", ncol=len(labels), frameon=False, fontsize=10,
        bbox_to_anchor=(0.5, 1.0),
    )  # fmt: skip
    fig.tight_layout(rect=(0, 0, 1, 0.96))
    return fig


def distribution_figure(
    values: np.ndarray, y: np.ndarray, names: Sequence[str], labels: Sequence[str]
):
    """Box plots of ``values[:, i]`` per class, one panel per feature."""
    plt = pyplot()
    from matplotlib.ticker import FuncFormatter, NullFormatter  # lazy: with matplotlib

    k = len(names)
    ncols = 4 if k > 4 else k
    nrows = int(np.ceil(k / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.2 * ncols, 3.3 * nrows), squeeze=False)
    classes = np.arange(len(labels))
    for i in range(nrows * ncols):
        ax = axes.flat[i]
        if i >= k:
            ax.set_visible(False)
            continue
        groups = [values[y == c, i] for c in classes]
        bp = ax.boxplot(
            groups,
            patch_artist=True,
            widths=0.6,
            showfliers=True,
            flierprops={"marker": ".", "markersize": 2, "alpha": 0.4},
            medianprops={"color": "black"},
        )
        for patch, c in zip(bp["boxes"], classes, strict=True):
            patch.set_facecolor(CLASS_COLORS[c % 4])
            patch.set_alpha(0.75)
        col = values[:, i]
        signed = names[i].endswith(("_skewness", "_mean"))  # may change sign: keep linear
        if not signed and (col > 0).all() and np.percentile(col, 99) > 15 * np.percentile(col, 1):
            ax.set_yscale("log")
            ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
            ax.yaxis.set_minor_formatter(NullFormatter())
        ax.set_xticks(classes + 1, [lab.replace(" + ", "\n+ ") for lab in labels], fontsize=7)
        ax.set_title(f"{names[i]}\n{describe_feature(names[i])}", fontsize=8)
        ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    return fig


FEATURE_STEMS = {
    "mean": "mean (sensor offset, m/s²)",
    "rms": "acceleration RMS (m/s²)",
    "peak": "peak acceleration (m/s²)",
    "p2p": "peak-to-peak acceleration (m/s²)",
    "crest": "crest factor (peak / RMS)",
    "kurtosis": "kurtosis (impulsiveness, 3 = Gaussian)",
    "skewness": "skewness (asymmetry)",
    "impulse": "impulse factor (peak / mean |x|)",
    "shape": "shape factor (RMS / mean |x|)",
    "clearance": "clearance factor (impulsiveness)",
    "vel_rms": "velocity RMS (mm/s)",
    "env_1x": "envelope spectrum at 1x (m/s²)",
    "env_1x_depth": "envelope modulation depth at 1x",
    "centroid_hz": "spectral centroid (Hz)",
    "speed_hz": "estimated running speed (Hz)",
}


def describe_feature(name: str) -> str:
    """A short engineering description of a physics feature column name.

    ``"s2_order_1x"`` → ``"sensor 2: 1x amplitude (m/s²)"``; names that are
    not of :func:`rotordx.features.extract_features`'s form are returned
    unchanged.
    """
    m = re.fullmatch(r"s(\d+)_(.+)", name)
    sensor, stem = (f"sensor {m.group(1)}: ", m.group(2)) if m else ("", name)
    if stem in FEATURE_STEMS:
        return sensor + FEATURE_STEMS[stem]
    if mo := re.fullmatch(r"order_([\d.]+)x", stem):
        return f"{sensor}{mo.group(1)}x amplitude (m/s²)"
    if mo := re.fullmatch(r"ratio_([\d.]+)x_1x", stem):
        return f"{sensor}{mo.group(1)}x / 1x amplitude ratio"
    if mo := re.fullmatch(r"rel_([\d.]+)x", stem):
        return f"{sensor}{mo.group(1)}x amplitude / RMS"
    if mo := re.fullmatch(r"bandfrac_([\d.]+)_([\d.]+)hz", stem):
        return f"{sensor}power share {mo.group(1)}–{mo.group(2)} Hz"
    return name
