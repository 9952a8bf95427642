"""The HTML report page: a self-contained document (CSS inline, figures embedded as PNG)."""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rotordx import __version__
from rotordx.data.splits import WindowConfig
from rotordx.diagnosis.rules import BASELINE_FACTOR
from rotordx.features.profile import EXPLAIN_ORDERS
from rotordx.features.severity import SEVERITY_PRESETS, ZONE_DESCRIPTIONS, SeverityThresholds
from rotordx.models.metrics import Scores
from rotordx.render.report import CLASS_COLORS, describe_feature

__all__ = ["ReportContent", "report_html"]

_ZONE_COLORS = {"A": "#c8e6c9", "B": "#f0f4c3", "C": "#ffe0b2", "D": "#ffcdd2"}


@dataclass(frozen=True)
class ReportContent:
    """Everything the report page shows (filled by :mod:`rotordx.workflows.report`).

    Figures are base64 PNG strings; ``profiles`` and ``zones`` are per class
    (:func:`rotordx.features.order_profile`, :func:`rotordx.features.severity_zone`).
    """

    data: Path
    group: int
    fs: float
    n: int  # samples per class
    labels: Sequence[str]
    sensors: Sequence[str]
    speeds: np.ndarray  # running speed per class, Hz
    window: WindowConfig
    seed: int
    generated: str  # when, as text
    profiles: Sequence[dict]
    zones: Sequence[np.ndarray]
    thresholds: SeverityThresholds
    scores: Scores
    top: Sequence[tuple[str, float]]  # feature importances, most important first
    n_estimators: int
    n_features: int
    n_split: tuple[int, int, int]  # train / valid / test windows
    n_all_windows: int
    dist_names: Sequence[str]
    fig_spectra: str
    fig_dist: str
    fig_cm: str
    fig_fi: str


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


def _fmt(v: float) -> str:
    """Three significant digits, trailing zeros kept (0.0110, 1.40)."""
    return "–" if not np.isfinite(v) else f"{v:#.3g}".rstrip(".")


def _fmt_ratio(r: float) -> str:
    if not np.isfinite(r):
        return "–"
    return f"{r:.1f}" if r < 10 else f"{r:.0f}"


def _img(b64: str, alt: str) -> str:
    return f'<img alt="{_esc(alt)}" src="data:image/png;base64,{b64}">'


def _swatch(c: int) -> str:
    return f'<span class="swatch" style="background:{CLASS_COLORS[c % 4]}"></span>'


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


def report_html(c: ReportContent) -> str:
    """The complete, self-contained HTML document."""
    data, group, fs, n, seed = c.data, c.group, c.fs, c.n, c.seed
    labels, sensors, speeds, window = c.labels, c.sensors, c.speeds, c.window
    profiles, zones, th, scores, top = c.profiles, c.zones, c.thresholds, c.scores, c.top
    n_estimators, n_features, now = c.n_estimators, c.n_features, c.generated
    fig_spectra, fig_dist, fig_cm, fig_fi = c.fig_spectra, c.fig_dist, c.fig_cm, c.fig_fi
    dist_names, n_ch, n_cls = c.dist_names, len(sensors), len(labels)
    speed = float(np.median(speeds))
    tr, va, te = c.n_split
    n_windows = c.n_all_windows
    acc = scores.accuracy * 100
    rpm_cells = ", ".join(
        f"{_swatch(c)}{_esc(lab)} <b>{s * 60:.0f} rpm</b> ({s:.2f} Hz)"
        for c, (lab, s) in enumerate(zip(labels, speeds, strict=True))
    )
    spread = float(speeds.max() / speeds.min() - 1.0) if speeds.min() > 0 else float("inf")
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
every non-overlapping {window.window}-sample window ({n_windows} windows, {n_windows // n_cls}
per class). Boxes span the middle half of the windows, the line is the median, whiskers reach
the furthest windows within 1.5 box heights, dots are windows beyond them. A feature separates
two classes where their boxes do not overlap. Feature names are
<code>s&lt;sensor&gt;_&lt;quantity&gt;</code>; the title's second line says what the quantity
is. Axes with a wide range are logarithmic.</p>
{_img(fig_dist, "box plots of the most informative physics features per class")}
</section>

<section id="model">
<h2>4. Physics-feature model</h2>
<p>A random forest ({n_estimators} trees) on {n_features} physics features per
window (time statistics, order amplitudes and ratios, velocity RMS, envelope and band-power
features of each sensor, and the running speed). It is trained and tested on the leak-free
windowed split: each class's recording is cut into contiguous train / validation / test blocks
({" / ".join(f"{f * 100:.0f} %" for f in window.fractions)} of the time) separated by gaps of
{window.gap_samples} samples, and windows are cut inside each block only, so no sample is in
two splits. Windows: {tr} train, {va} validation, {te} test.</p>
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
    return doc
