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

import base64
import datetime as _dt
import html
import io
import os
import re
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from rotordx.features.severity import SeverityThresholds
from rotordx.windows import WindowConfig

__all__ = [
    "CLASS_NAMES",
    "N_DISTRIBUTIONS",
    "N_IMPORTANCES",
    "SPECTRUM_ORDERS",
    "build_report",
    "class_spectra",
    "describe_feature",
    "write_report",
]

#: Readable names of the KAMP machine states (``rotordx.io.CLASSES``).
CLASS_NAMES: dict[str, str] = {
    "normal": "normal",
    "type1": "unbalance",
    "type2": "looseness",
    "type3": "unbalance + looseness",
}
#: Orders marked in the spectra.
SPECTRUM_ORDERS: tuple[float, ...] = (0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0)
#: Number of features whose per-class distributions are shown.
N_DISTRIBUTIONS = 8
#: Number of features in the importance chart.
N_IMPORTANCES = 15
#: The spectra are shown up to this multiple of the running speed.
SPECTRUM_MAX_ORDER = 6.5

_CLASS_COLORS = ("#2ca02c", "#1f77b4", "#ff7f0e", "#d62728")
_ZONE_COLORS = {"A": "#c8e6c9", "B": "#f0f4c3", "C": "#ffe0b2", "D": "#ffcdd2"}
_DPI = 100

_CSS = """
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #222;
       max-width: 1180px; margin: 0 auto; padding: 1.2em 1.5em 3em; line-height: 1.45; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { font-size: 1.3em; border-bottom: 2px solid #ccd; padding-bottom: 0.15em; margin-top: 2em; }
h3 { font-size: 1.05em; margin-bottom: 0.3em; }
p.lead { color: #555; margin-top: 0; }
p, li { max-width: 60em; }
img { max-width: 100%; height: auto; display: block; margin: 0.8em 0; }
table { border-collapse: collapse; font-size: 0.88em; margin: 0.6em 0 1em; }
th, td { border: 1px solid #ccd; padding: 0.25em 0.55em; text-align: right; }
th { background: #eef0f6; }
td.l, th.l { text-align: left; }
table.info td, table.info th { text-align: left; }
td.hi { background: #fff3cd; font-weight: bold; }
td .r { display: block; font-size: 0.8em; color: #666; font-weight: normal; }
tr.first td { border-top: 2px solid #99a; }
.swatch { display: inline-block; width: 0.8em; height: 0.8em; margin-right: 0.35em;
          vertical-align: -0.05em; border-radius: 2px; }
.big { font-size: 1.25em; font-weight: bold; }
.note { color: #555; font-size: 0.9em; }
nav ol { columns: 2; max-width: 40em; }
.row { display: flex; flex-wrap: wrap; gap: 1.5em; align-items: flex-start; }
.row > div { flex: 1 1 420px; }
footer { margin-top: 3em; color: #777; font-size: 0.85em; }
"""


def _esc(x: object) -> str:
    return html.escape(str(x), quote=True)


def _say(progress: bool, msg: str) -> None:
    if progress:
        print(f"report: {msg}", file=sys.stderr, flush=True)


def _fmt(v: float) -> str:
    """Three significant digits, trailing zeros kept (0.0110, 1.40)."""
    return "–" if not np.isfinite(v) else f"{v:#.3g}".rstrip(".")


def _fmt_ratio(r: float) -> str:
    if not np.isfinite(r):
        return "–"
    return f"{r:.1f}" if r < 10 else f"{r:.0f}"


# ----------------------------------------------------------------------------- figures


def _plt():
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def _fig_png(fig) -> str:
    """Base64 PNG of a matplotlib figure (the figure is closed)."""
    plt = _plt()
    buf = io.BytesIO()
    try:
        fig.savefig(buf, format="png", dpi=_DPI, bbox_inches="tight", metadata={"Software": None})
    finally:
        plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _file_png(path: Path) -> str:
    return base64.b64encode(Path(path).read_bytes()).decode("ascii")


def _img(b64: str, alt: str) -> str:
    return f'<img alt="{_esc(alt)}" src="data:image/png;base64,{b64}">'


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
    from rotordx.features import amplitude_spectrum
    from rotordx.windows import frame

    out = []
    freqs = None
    for s in signals:
        win = frame(np.asarray(s, dtype=np.float64), window=window, hop=window)
        freqs, amp = amplitude_spectrum(win, fs=fs, nfft=pad * window, remove_mean=True)
        out.append(amp.mean(axis=0))
    return freqs, np.stack(out)


def _spectra_figure(
    freqs: np.ndarray,
    amp: np.ndarray,
    *,
    speed_hz: float,
    fs: float,
    labels: Sequence[str],
    sensors: Sequence[str],
) -> str:
    plt = _plt()
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
                f, vals[c], color=_CLASS_COLORS[c % 4], linewidth=0.9, alpha=0.9, label=labels[c]
            )
        if j == 0:
            lines = [handles[c] for c in range(amp.shape[0])]
        lo = max(float(np.percentile(vals, 1)) * 0.5, float(vals.max()) * 1e-5)
        ax.set_ylim(lo, float(vals.max()) * 2.5)
        for o in SPECTRUM_ORDERS:
            if o * speed_hz <= fmax:
                half = o != int(o)
                ax.axvline(
                    o * speed_hz,
                    color="#888" if half else "#444",
                    linestyle=":" if half else "--",
                    linewidth=0.8,
                    alpha=0.8,
                    zorder=0,
                )
                ax.text(
                    o * speed_hz,
                    1.01,
                    f"{o:g}x",
                    transform=ax.get_xaxis_transform(),
                    ha="center",
                    va="bottom",
                    fontsize=8,
                    color="#444",
                )
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
    return _fig_png(fig)


def _distribution_figure(
    values: np.ndarray, y: np.ndarray, names: Sequence[str], labels: Sequence[str]
) -> str:
    """Box plots of ``values[:, i]`` per class, one panel per feature."""
    plt = _plt()
    from matplotlib.ticker import FuncFormatter, NullFormatter

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
            patch.set_facecolor(_CLASS_COLORS[c % 4])
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
    return _fig_png(fig)


# ----------------------------------------------------------------------------- features

_STEMS = {
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
    if stem in _STEMS:
        return sensor + _STEMS[stem]
    if mo := re.fullmatch(r"order_([\d.]+)x", stem):
        return f"{sensor}{mo.group(1)}x amplitude (m/s²)"
    if mo := re.fullmatch(r"ratio_([\d.]+)x_1x", stem):
        return f"{sensor}{mo.group(1)}x / 1x amplitude ratio"
    if mo := re.fullmatch(r"rel_([\d.]+)x", stem):
        return f"{sensor}{mo.group(1)}x amplitude / RMS"
    if mo := re.fullmatch(r"bandfrac_([\d.]+)_([\d.]+)hz", stem):
        return f"{sensor}power share {mo.group(1)}–{mo.group(2)} Hz"
    return name


# ----------------------------------------------------------------------------- HTML parts


def _swatch(c: int) -> str:
    return f'<span class="swatch" style="background:{_CLASS_COLORS[c % 4]}"></span>'


def _order_table(
    labels: Sequence[str],
    sensors: Sequence[str],
    profiles: Sequence[dict],
    zones: Sequence[np.ndarray],
    orders: Sequence[float],
    factor: float,
) -> str:
    head = "".join(f"<th>{o:g}x</th>" for o in orders)
    rows = [
        "<table>",
        '<tr><th class="l" rowspan="2">class</th><th class="l" rowspan="2">sensor</th>'
        f'<th colspan="{len(orders)}">order amplitude (m/s², median over windows)</th>'
        '<th rowspan="2">velocity RMS<br>(mm/s)</th><th rowspan="2">zone</th>'
        '<th rowspan="2">kurtosis</th><th rowspan="2">crest<br>factor</th></tr>',
        f"<tr>{head}</tr>",
    ]
    base = profiles[0]
    for c, (lab, p, z) in enumerate(zip(labels, profiles, zones, strict=True)):
        for j, sensor in enumerate(sensors):
            cells = []
            if j == 0:
                cells.append(f'<td class="l" rowspan="{len(sensors)}">{_swatch(c)}{_esc(lab)}</td>')
            cells.append(f'<td class="l">{_esc(sensor)}</td>')
            for i in range(len(orders)):
                v = float(p["orders"][j, i])
                if c == 0:
                    cells.append(f"<td>{_fmt(v)}</td>")
                    continue
                b = float(base["orders"][j, i])
                r = v / b if b > 0 and np.isfinite(v) else float("nan")
                cls = ' class="hi"' if np.isfinite(r) and r >= factor else ""
                cells.append(f'<td{cls}>{_fmt(v)}<span class="r">×{_fmt_ratio(r)}</span></td>')
            zone = str(z[j])
            kurt, crest = float(p["kurtosis"][j]), float(p["crest"][j])
            kcls = ' class="hi"' if c > 0 and kurt - float(base["kurtosis"][j]) >= 1.0 else ""
            cells += [
                f"<td>{float(p['vel_rms'][j]):.2f}</td>",
                f'<td style="background:{_ZONE_COLORS.get(zone, "#fff")};text-align:center">'
                f"{_esc(zone)}</td>",
                f"<td{kcls}>{kurt:.2f}</td>",
                f"<td>{crest:.2f}</td>",
            ]
            tr = '<tr class="first">' if j == 0 else "<tr>"
            rows.append(tr + "".join(cells) + "</tr>")
    rows.append("</table>")
    return "\n".join(rows)


def _importance_table(items: Sequence[tuple[str, float]]) -> str:
    rows = [
        '<table><tr><th>#</th><th class="l">feature</th><th class="l">meaning</th>'
        "<th>importance</th></tr>"
    ]
    for i, (name, v) in enumerate(items, start=1):
        rows.append(
            f'<tr><td>{i}</td><td class="l"><code>{_esc(name)}</code></td>'
            f'<td class="l">{_esc(describe_feature(name))}</td><td>{v:.4f}</td></tr>'
        )
    rows.append("</table>")
    return "\n".join(rows)


def _info_table(items: Sequence[tuple[str, str]]) -> str:
    rows = [f"<tr><th>{_esc(k)}</th><td>{v}</td></tr>" for k, v in items]
    return '<table class="info">' + "".join(rows) + "</table>"


# ----------------------------------------------------------------------------- report


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
    from rotordx import __version__
    from rotordx.diagnose import BASELINE_FACTOR, EXPLAIN_ORDERS, order_profile
    from rotordx.evaluate import score_predictions
    from rotordx.features import SEVERITY_PRESETS, ZONE_DESCRIPTIONS, severity_zone
    from rotordx.features.severity import _resolve
    from rotordx.io import CLASSES, find_groups
    from rotordx.models import make_classifier
    from rotordx.plots import plot_confusion_matrix, plot_feature_importance
    from rotordx.runs import load_signals
    from rotordx.windows import window_split, windows_of

    window = window or WindowConfig()
    th = _resolve(thresholds)
    seconds: dict[str, float] = {}
    t_all = t0 = time.perf_counter()
    data = Path(data)

    # -- signals
    _say(progress, f"loading {data}")
    signals = load_signals(data, fs=fs, duration=duration, group=group)
    if group is None:
        group = find_groups(data)[0]
    n_cls, n_ch, n = signals.shape
    labels = [CLASS_NAMES.get(c, c) for c in CLASSES[:n_cls]]
    sensors = [f"sensor {j + 1}" for j in range(n_ch)]
    seconds["load"] = time.perf_counter() - t0

    # -- physics per class (non-overlapping windows, medians)
    t0 = time.perf_counter()
    _say(progress, "order analysis")
    profiles = [order_profile(signals[c], fs=fs, window=window.window) for c in range(n_cls)]
    speeds = np.array([p["speed_hz"] for p in profiles])
    speed = float(np.median(speeds))
    zones = [severity_zone(p["vel_rms"], thresholds=th) for p in profiles]
    freqs, amp = class_spectra(signals, fs=fs, window=window.window)
    seconds["physics"] = time.perf_counter() - t0

    # -- model
    t0 = time.perf_counter()
    _say(progress, "training the physics-feature forest")
    tr, va, te = window_split(signals, config=window, seed=seed)
    clf = make_classifier("features", fs=fs)
    clf.fit(tr, va, seed=seed)
    pred = clf.predict(te.X)
    scores = score_predictions(te.y, pred, classes=labels)
    top = clf.top_features(N_IMPORTANCES)
    seconds["model"] = time.perf_counter() - t0

    # -- figures
    t0 = time.perf_counter()
    _say(progress, "drawing figures")
    fig_spectra = _spectra_figure(freqs, amp, speed_hz=speed, fs=fs, labels=labels, sensors=sensors)
    ranked = clf.top_features(len(clf.feature_names))
    dist_names = [name for name, _ in ranked[:N_DISTRIBUTIONS]]
    allw = windows_of(signals, window=window.window, hop=window.window)
    F = clf.features(allw.X)
    cols = [clf.feature_names.index(name) for name in dist_names]
    fig_dist = _distribution_figure(F[:, cols], allw.y, dist_names, labels)
    with tempfile.TemporaryDirectory(prefix="rotordx-report-") as tmp:
        cm_path = plot_confusion_matrix(
            Path(tmp) / "cm.png",
            matrix=scores.confusion_matrix,
            classes=labels,
            title="physics-feature forest, test split",
        )
        fi_path = plot_feature_importance(
            Path(tmp) / "fi.png", items=top, title=f"top {len(top)} feature importances"
        )
        fig_cm, fig_fi = _file_png(cm_path), _file_png(fi_path)
    seconds["figures"] = time.perf_counter() - t0

    # -- HTML
    acc = scores.accuracy * 100
    rpm_cells = ", ".join(
        f"{_swatch(c)}{_esc(lab)} <b>{s * 60:.0f} rpm</b> ({s:.2f} Hz)"
        for c, (lab, s) in enumerate(zip(labels, speeds, strict=True))
    )
    spread = float(speeds.max() / speeds.min() - 1.0) if speeds.min() > 0 else float("inf")
    now = _dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z").strip()
    info = _info_table(
        [
            ("data", f"<code>{_esc(data.resolve())}</code>, group {group}"),
            ("duration", f"{n / fs:.1f} s per class, resampled to {fs:g} Hz"),
            ("sensors", f"{n_ch} accelerometers ({_esc(', '.join(sensors))})"),
            ("classes", ", ".join(f"{_swatch(c)}{_esc(lab)}" for c, lab in enumerate(labels))),
            ("running speed", rpm_cells),
            (
                "analysis windows",
                f"{window.window} samples ({window.window / fs:.3g} s, about "
                f"{window.window / fs * speed:.0f} revolutions), hop {window.hop} for the model",
            ),
            ("seed", _esc(seed)),
            ("generated", f"{_esc(now)} by rotordx {_esc(__version__)}"),
        ]
    )
    speed_note = (
        f" The classes' speeds differ by {spread * 100:.1f} %, so a class's lines sit "
        "slightly off the markers."
        if spread > 0.01
        else ""
    )
    zone_rows = "".join(
        f'<tr><td style="background:{_ZONE_COLORS[z]};text-align:center">{z}</td>'
        f'<td class="l">{rng}</td><td class="l">{_esc(ZONE_DESCRIPTIONS[z])}</td></tr>'
        for z, rng in (
            ("A", f"&lt; {th.ab:g}"),
            ("B", f"{th.ab:g} – {th.bc:g}"),
            ("C", f"{th.bc:g} – {th.cd:g}"),
            ("D", f"≥ {th.cd:g}"),
        )
    )
    preset = next((k for k, v in SEVERITY_PRESETS.items() if v == th), "custom")
    recall = scores.per_class_recall
    recall_txt = ", ".join(
        f"{_esc(lab)} " + ("–" if recall[lab] is None else f"{recall[lab] * 100:.1f} %")
        for lab in labels
    )
    title = f"Vibration fault report: {data.name or data}"

    body = f"""
<header>
<h1>{_esc(title)}</h1>
<p class="lead">How the vibration of a rotor testbed changes between its machine states, and
how well physics features alone tell the states apart.</p>
{info}
</header>
<nav><ol>
<li><a href="#spectra">Amplitude spectra</a></li>
<li><a href="#orders">Order amplitudes and severity</a></li>
<li><a href="#distributions">Feature distributions</a></li>
<li><a href="#model">Physics-feature model</a></li>
<li><a href="#reading">How to read this report</a></li>
</ol></nav>

<section id="spectra">
<h2>1. Amplitude spectra per sensor</h2>
<p>Acceleration amplitude spectra of each sensor, the four machine states overlaid. Each curve
is the mean of the Hann-windowed amplitude spectra of the non-overlapping
{window.window}-sample windows of the whole recording, so a steady line reads its amplitude in
m/s² and the noise floor is smoothed. The dashed markers are the integer orders (1x, 2x, … of
the running speed, {speed * 60:.0f} rpm = {speed:.2f} Hz, median over the classes), the dotted
ones the half orders (0.5x, 1.5x, 2.5x). The amplitude axis is logarithmic: a line one decade
higher is ten times stronger.{speed_note}</p>
{_img(fig_spectra, "amplitude spectra per sensor, classes overlaid, running-speed orders marked")}
</section>

<section id="orders">
<h2>2. Order amplitudes and vibration severity</h2>
<p>Amplitude at each order of the running speed, taken as the (interpolated) peak of the
spectrum within ±2 % of the order frequency in every {window.window}-sample window, median over
the windows. Below each fault-class value, <span class="note">×r</span> is its ratio to the
normal machine on the same sensor; cells at least {BASELINE_FACTOR:g} times normal are
highlighted, as is a kurtosis at least 1 above normal. Velocity RMS is the vibration velocity
(integrated from acceleration in the frequency domain, 10 Hz to {min(1000.0, fs / 2):g} Hz); the
zone follows ISO 20816-3 ({_esc(th.name)}, see section 5). Kurtosis (3 for Gaussian noise,
1.5 for a pure sine) and crest factor (peak / RMS) measure impulsiveness.</p>
{_order_table(labels, sensors, profiles, zones, EXPLAIN_ORDERS, BASELINE_FACTOR)}
</section>

<section id="distributions">
<h2>3. Feature distributions per class</h2>
<p>The {len(dist_names)} physics features the forest of section 4 relied on most, computed on
every non-overlapping {window.window}-sample window ({len(allw)} windows, {len(allw) // n_cls}
per class). Boxes span the middle half of the windows, the line is the median, whiskers reach
the furthest windows within 1.5 box heights, dots are windows beyond them. A feature separates
two classes where their boxes do not overlap. Feature names are
<code>s&lt;sensor&gt;_&lt;quantity&gt;</code>; the title's second line says what the quantity
is. Axes with a wide range are logarithmic.</p>
{_img(fig_dist, "box plots of the most informative physics features per class")}
</section>

<section id="model">
<h2>4. Physics-feature model</h2>
<p>A random forest ({clf.n_estimators} trees) on {len(clf.feature_names)} physics features per
window (time statistics, order amplitudes and ratios, velocity RMS, envelope and band-power
features of each sensor, and the running speed). It is trained and tested on the leak-free
windowed split: each class's recording is cut into contiguous train / validation / test blocks
({" / ".join(f"{f * 100:.0f} %" for f in window.fractions)} of the time) separated by gaps of
{window.gap_samples} samples, and windows are cut inside each block only, so no sample is in
two splits. Windows: {len(tr)} train, {len(va)} validation, {len(te)} test.</p>
<p class="big">Test accuracy {acc:.2f} % &nbsp; (macro-F1 {scores.macro_f1:.3f},
{scores.n_samples} test windows)</p>
<p>Recall per class: {recall_txt}. The confusion matrix counts test windows by true class (rows)
and predicted class (columns); off-diagonal cells are confusions.</p>
<div class="row">
<div>{_img(fig_cm, "confusion matrix of the physics-feature forest on the test split")}</div>
<div>{_img(fig_fi, "top feature importances of the forest")}</div>
</div>
<p>Importance is the forest's mean decrease in impurity: how much the feature's splits purify
the classes, summed over the trees. Correlated features (the same quantity on several sensors,
an order amplitude and its ratio to 1x) share importance, so the ranking is a guide to which
physics matters, not a strict order.</p>
{_importance_table(top)}
</section>

<section id="reading">
<h2>5. How to read this report</h2>
<ul>
<li><b>Unbalance</b> (a mass off the shaft axis) is a rotating force at the shaft speed: it
raises the <b>1x</b> line on every sensor, with little change to harmonics or half orders.
Velocity RMS, dominated by low frequencies, grows with it.</li>
<li><b>Mechanical looseness</b> (a loose foot or bearing support) makes the response
non-linear: <b>half orders</b> (0.5x, 1.5x, 2.5x) from motion that repeats every two
revolutions, integer <b>harmonics</b> (2x, 3x, …) from clipped, one-sided motion, and
<b>impacts</b> when the support lands, which raise <b>kurtosis</b> and crest factor and spread
energy to high frequencies. It shows most on sensors along the loose direction.</li>
<li><b>Unbalance + looseness</b> shows both: a strong 1x that drives a loose support harder,
so harmonics and impacts grow too.</li>
<li><b>Severity zones</b> (ISO 20816-3, broadband velocity RMS; preset
<code>{_esc(preset)}</code>: {_esc(th.name)}; a value on a boundary belongs to the higher zone):
<table><tr><th>zone</th><th class="l">velocity RMS (mm/s)</th><th class="l">meaning</th></tr>
{zone_rows}</table>
The boundaries depend on machine group, foundation and measuring point: check the standard
and any machine-specific agreement before acting on a zone.</li>
<li>The model's accuracy says how separable the states are <i>in this recording</i>: a model
trained on one machine and speed need not transfer to another.</li>
</ul>
</section>
<footer>rotordx {_esc(__version__)} · generated {_esc(now)} · self-contained file: figures are
embedded PNG images, no network access needed.</footer>
"""
    doc = (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_esc(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        f"{body}\n</body>\n</html>\n"
    )
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
        Window length and hop of the windowed protocol (default 1024 / 512).
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
        Print the stages on stderr.

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
    from rotordx._atomic import atomic_file

    doc, summary = build_report(
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
    _say(
        progress,
        f"wrote {out} (test accuracy {summary['accuracy'] * 100:.2f} %, "
        f"{summary['seconds']['total']:.1f} s)",
    )
    return out
