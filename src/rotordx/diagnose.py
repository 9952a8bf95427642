"""Diagnose recordings with a trained model, and explain the verdict in engineering terms.

The verdict comes from the model (per segment, then averaged). The
*evidence* comes from physics, computed independently of the model: the
running speed estimated from the vibration, amplitudes at 0.5x, 1x, 1.5x, 2x
and 3x running speed compared with the healthy baseline stored in the bundle,
impact indicators (kurtosis, crest factor) and the ISO 20816-style severity
zone of the vibration velocity. The report says whether physics and model
agree.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from rotordx.exceptions import DataError, ParameterError
from rotordx.io import Recording, read_channels

__all__ = [
    "EXPLAIN_ORDERS",
    "Diagnosis",
    "Finding",
    "diagnose",
    "healthy_baseline",
    "interpret_orders",
    "load_recordings",
    "order_profile",
]

#: Orders reported and compared with the baseline.
EXPLAIN_ORDERS: tuple[float, ...] = (0.5, 1.0, 1.5, 2.0, 3.0)
#: A fault class is named by the physics when its orders exceed the baseline by this factor.
BASELINE_FACTOR = 2.5
_CLASS_MEANING = {
    "normal": "normal",
    "type1": "unbalance",
    "type2": "mechanical looseness",
    "type3": "unbalance + looseness",
}


def _label(o: float) -> str:
    return f"{o:g}x"


@dataclass(frozen=True)
class Finding:
    """One physical observation: what kind of fault it points to and why."""

    kind: str  # "unbalance", "looseness" or "impacts"
    sensor: str
    statement: str
    strength: float  # how far past the threshold (>= 1 means the rule fired)


@dataclass
class Diagnosis:
    """The verdict on one recording, per segment and overall, with its evidence."""

    source: str
    verdict: str
    meaning: str
    probability: float
    class_probabilities: dict[str, float]
    segments: list[dict]
    speed_hz: float
    sensors: list[dict]
    findings: list[Finding] = field(default_factory=list)
    physics_verdict: str = ""
    agrees: bool = True

    def evidence(self, per_kind: int | None = None) -> list[str]:
        """The findings as sentences, strongest first (at most ``per_kind`` of each kind)."""
        seen: dict[str, int] = {}
        out = []
        for f in self.findings:
            seen[f.kind] = seen.get(f.kind, 0) + 1
            if per_kind is None or seen[f.kind] <= per_kind:
                out.append(f.statement)
        return out

    def to_dict(self) -> dict:
        """Plain-JSON form."""
        return {
            "source": self.source,
            "verdict": self.verdict,
            "meaning": self.meaning,
            "probability": self.probability,
            "class_probabilities": self.class_probabilities,
            "speed_hz": self.speed_hz,
            "rpm": self.speed_hz * 60.0,
            "physics_verdict": self.physics_verdict,
            "physics_agrees": self.agrees,
            "evidence": self.evidence(),
            "summary": self.evidence(per_kind=2),
            "sensors": self.sensors,
            "segments": self.segments,
        }


#: Windows analysed at once by :func:`window_chunks` (256 windows of 1024 samples
#: and 4 channels: 8 MiB of signal, and the spectra of as many).
WINDOWS_PER_CHUNK = 256


def window_chunks(
    signals: np.ndarray, *, window: int, per_chunk: int | None = None
) -> Iterator[np.ndarray]:
    """The non-overlapping windows of ``signals`` (n_channels, n), ``per_chunk`` at a time.

    Concatenated, the chunks are ``frame(signals, window=window, hop=window)``;
    only one chunk of frames exists at a time (default :data:`WINDOWS_PER_CHUNK`).
    """
    from rotordx.windows import frame

    per_chunk = per_chunk or WINDOWS_PER_CHUNK
    n_win = signals.shape[-1] // window
    if n_win < 1:
        frame(signals, window=window, hop=window)  # raises the usual error
    for a in range(0, n_win, per_chunk):
        b = min(n_win, a + per_chunk)
        yield frame(signals[..., a * window : b * window], window=window, hop=window)


def order_profile(
    signals: np.ndarray, *, fs: float, window: int, speed_hz: float | None = None
) -> dict:
    """Median physics of non-overlapping windows of ``signals`` (n_channels, n_samples).

    Returns speed (Hz), per-channel order amplitudes (m/s²), velocity RMS
    (mm/s), kurtosis and crest factor.
    """
    from rotordx.features import (
        crest_factor,
        estimate_running_speed,
        kurtosis,
        order_amplitudes,
        velocity_rms,
    )

    signals = np.asarray(signals, dtype=np.float64)
    # window by window in chunks: the same numbers as all windows at once, with work
    # arrays (frames, spectra) bounded however long the recording
    speeds, vel, kurt, crest = [], [], [], []
    for win in window_chunks(signals, window=window):
        if speed_hz is None:
            speeds.append(estimate_running_speed(win, fs=fs))
        vel.append(velocity_rms(win, fs=fs))
        kurt.append(kurtosis(win))
        crest.append(crest_factor(win))
    if speed_hz is None:
        speed_hz = float(np.median(np.concatenate(speeds)))
    orders = np.concatenate(
        [
            order_amplitudes(win, fs=fs, speed_hz=speed_hz, orders=EXPLAIN_ORDERS)
            for win in window_chunks(signals, window=window)
        ]
    )
    return {
        "speed_hz": speed_hz,
        "orders": np.nanmedian(orders, axis=0),  # (n_channels, n_orders)
        "vel_rms": np.median(np.concatenate(vel), axis=0),
        "kurtosis": np.median(np.concatenate(kurt), axis=0),
        "crest": np.median(np.concatenate(crest), axis=0),
    }


def healthy_baseline(signals: np.ndarray, *, fs: float, window: int) -> dict:
    """The reference a diagnosis compares with: physics of a healthy recording (plain JSON)."""
    p = order_profile(signals, fs=fs, window=window)
    return {
        "speed_hz": p["speed_hz"],
        "orders": {_label(o): p["orders"][:, i].tolist() for i, o in enumerate(EXPLAIN_ORDERS)},
        "vel_rms": p["vel_rms"].tolist(),
        "kurtosis": p["kurtosis"].tolist(),
        "crest": p["crest"].tolist(),
    }


def interpret_orders(
    orders: dict[str, float],
    *,
    sensor: str,
    baseline: dict[str, float] | None = None,
    kurtosis: float | None = None,
    baseline_kurtosis: float | None = None,
) -> list[Finding]:
    """Physical findings for one sensor from its order amplitudes (``{"1x": a, ...}``).

    With a healthy baseline (same keys), a fault shows as orders well above
    it: 1x for unbalance; 0.5x, 1.5x, 2x or 3x for looseness. Without one,
    the shape of the spectrum speaks: a dominant 1x with weak harmonics reads
    as unbalance-like, strong half orders or 2x relative to 1x as
    looseness-like.
    """
    one = max(orders["1x"], 1e-12)
    out: list[Finding] = []
    if baseline:
        r1 = orders["1x"] / max(baseline["1x"], 1e-12)
        # unbalance: a raised 1x that dominates (a raised 1x riding on a large 2x is the
        # looseness non-linearity, not a rotating mass)
        if r1 >= BASELINE_FACTOR and orders["2x"] / one < 0.5:
            out.append(
                Finding(
                    "unbalance",
                    sensor,
                    f"1x at {sensor} is {r1:.1f}x the healthy baseline "
                    f"({orders['1x']:.3g} vs {baseline['1x']:.3g} m/s²), "
                    f"2x/1x = {orders['2x'] / one:.2f} → unbalance",
                    r1 / BASELINE_FACTOR,
                )
            )
        loose = {k: orders[k] / max(baseline[k], 1e-12) for k in ("0.5x", "1.5x", "2x", "3x")}
        fired = {k: v for k, v in loose.items() if v >= BASELINE_FACTOR}
        if len(fired) >= 2:
            parts = ", ".join(f"{k} {v:.1f}x" for k, v in fired.items())
            out.append(
                Finding(
                    "looseness",
                    sensor,
                    f"at {sensor} {parts} the healthy baseline (half orders and "
                    "harmonics) → mechanical looseness",
                    min(fired.values()) / BASELINE_FACTOR,
                )
            )
    else:
        r2, rh = orders["2x"] / one, max(orders["0.5x"], orders["1.5x"]) / one
        if r2 < 0.5 and rh < 0.1:
            out.append(
                Finding(
                    "unbalance",
                    sensor,
                    f"1x dominates at {sensor} (2x/1x = {r2:.2f}, half orders/1x = "
                    f"{rh:.2f}) → unbalance-like",
                    0.5 / max(r2, 1e-3),
                )
            )
        if rh >= 0.1 or r2 >= 0.5:
            out.append(
                Finding(
                    "looseness",
                    sensor,
                    f"at {sensor} half orders/1x = {rh:.2f}, 2x/1x = {r2:.2f} → looseness-like",
                    max(rh / 0.1, r2 / 0.5),
                )
            )
    if (
        kurtosis is not None
        and baseline_kurtosis is not None
        and kurtosis - baseline_kurtosis >= 1.0
    ):
        out.append(
            Finding(
                "impacts",
                sensor,
                f"kurtosis at {sensor} is {kurtosis:.1f} (healthy "
                f"{baseline_kurtosis:.1f}) → impacting",
                kurtosis - baseline_kurtosis,
            )
        )
    return out


def _physics_verdict(findings: list[Finding]) -> str:
    kinds = {f.kind for f in findings}
    unb, loose = "unbalance" in kinds, "looseness" in kinds
    if unb and loose:
        return "type3"
    if unb:
        return "type1"
    if loose:
        return "type2"
    return "normal"


def _is_manifest(path: Path) -> bool:
    if path.suffix.lower() != ".csv":
        return False
    with path.open("r", encoding="utf-8", errors="replace") as fh:
        header = {c.strip().lower() for c in fh.readline().split(",")}
    return {"path", "label"} <= header


def load_recordings(
    path: str | os.PathLike[str],
    *,
    fs: float,
    rate: float | None = None,
    column: str | None = None,
    duration: float = 1e9,
) -> list[tuple[Recording, float | None]]:
    """Recordings to diagnose from a path, at the model's rate ``fs``, with their rpm if known.

    A KAMP group folder gives one recording per machine-state column (or
    only ``column``), on the ``fs`` grid; a manifest CSV or a folder of CWRU
    ``.mat`` files gives its recordings (``column`` selects a label); a single
    CWRU ``.mat`` file its drive-end channel and RPM; any other CSV/Parquet
    file is read with :func:`rotordx.io.read_channels` (``rate`` when it has
    no time column). Recordings at another rate are resampled
    (anti-aliased polyphase).
    """
    from rotordx.datasets import load_data, resample_recording

    path = Path(path)
    if path.is_dir() or _is_manifest(path):
        ds = load_data(path, fs=fs, duration=duration)
        if column is not None and column not in ds.classes:
            raise ParameterError(f"--column must be one of {', '.join(ds.classes)}, got {column!r}")
        return [(r.recording, r.rpm) for r in ds.recordings if column is None or r.label == column]
    if path.suffix.lower() == ".mat":  # one CWRU file: its drive end and its RPM
        from rotordx.io.cwru import read_cwru

        cw = read_cwru(path, rate=rate)
        return [(resample_recording(cw.recording, fs), cw.rpm)]
    return [(resample_recording(read_channels(path, rate=rate), fs), None)]


def diagnose(
    bundle,
    recording: Recording,
    *,
    thresholds: str = "group2_rigid",
    rpm: float | None = None,
    bearing: str | None = None,
) -> Diagnosis:
    """Diagnose one recording with a loaded bundle (window or seed protocol).

    Parameters
    ----------
    rpm : float, optional
        The running speed if known (a manifest's or CWRU file's); otherwise it
        is estimated from the vibration.
    bearing : str, optional
        A bearing geometry preset (``"SKF_6205"``; default the bundle's
        ``input["bearing"]``): adds the envelope-spectrum evidence, which defect
        frequency (BPFO, BPFI, BSF) stands out.
    """
    from rotordx.features import severity_zone

    spec = bundle.input
    classes = bundle.classes
    if bundle.protocol == "window":
        fs, window = float(spec["fs"]), int(spec["window"])
        if recording.signals.shape[0] != int(spec["n_channels"]):
            raise DataError(
                f"{recording.name}: {recording.signals.shape[0]} channels; the model "
                f"expects {spec['n_channels']}"
            )
        shaft = rpm / 60.0 if rpm else None
        if getattr(bundle.classifier, "needs_speed", False) and shaft is None:
            # a bearing model reads defect frequencies: estimate the speed when not given
            prof = order_profile(recording.signals, fs=fs, window=window)
            shaft = float(prof["speed_hz"])
        proba = np.concatenate(  # chunks of segments: bounded work arrays
            [
                bundle.classifier.predict_proba(seg.astype(np.float32), shaft_hz=shaft)
                for seg in window_chunks(recording.signals, window=window)
            ]
        )
    else:
        from rotordx.signal import moving_average

        cfg = bundle.preprocess
        fs, window, m = cfg.fs, 1024, cfg.ma_window
        if recording.signals.shape[1] < m:
            moving_average(recording.signals.T, m=m)  # raises the usual error
        n_seg = (recording.signals.shape[1] - m + 1) // window
        if n_seg < 1:
            raise DataError(f"{recording.name}: shorter than one segment of {window} samples")
        parts = []  # segment by segment in chunks: bounded work arrays
        for a in range(0, n_seg, WINDOWS_PER_CHUNK):
            b = min(n_seg, a + WINDOWS_PER_CHUNK)
            raw = recording.signals[:, a * window : b * window + m - 1]
            X = bundle.scaler.transform(moving_average(raw.T, m=m)).astype(np.float32)
            parts.append(bundle.classifier.predict_proba(X).reshape(b - a, window, -1).mean(axis=1))
        proba = np.concatenate(parts)
    if abs(recording.fs - fs) > 1e-9 * fs:
        raise DataError(f"{recording.name}: sampled at {recording.fs:g} Hz, model expects {fs:g}")
    mean_p = proba.mean(axis=0)
    k = int(mean_p.argmax())
    segments = [
        {
            "start_s": i * window / fs,
            "end_s": (i + 1) * window / fs,
            "label": classes[int(p.argmax())],
            "probability": float(p.max()),
        }
        for i, p in enumerate(proba)
    ]
    speed = rpm / 60.0 if rpm else None
    bearing = bearing or spec.get("bearing")
    prof = order_profile(recording.signals, fs=fs, window=window, speed_hz=speed)
    base = spec.get("baseline")
    zones = severity_zone(prof["vel_rms"], thresholds=thresholds)
    sensors, findings = [], []
    for j, name in enumerate(recording.channel_names):
        orders = {_label(o): float(prof["orders"][j, i]) for i, o in enumerate(EXPLAIN_ORDERS)}
        b = {key: vals[j] for key, vals in base["orders"].items()} if base else None
        fnd = interpret_orders(
            orders,
            sensor=name,
            baseline=b,
            kurtosis=float(prof["kurtosis"][j]),
            baseline_kurtosis=base["kurtosis"][j] if base else None,
        )
        if not bearing:  # the rotor rules; a bearing model reads the envelope instead
            findings += fnd
        sensors.append(
            {
                "name": name,
                "orders": orders,
                "vs_baseline": {key: orders[key] / max(v, 1e-12) for key, v in b.items()}
                if b
                else None,
                "vel_rms_mm_s": float(prof["vel_rms"][j]),
                "zone": str(zones[j]),
                "kurtosis": float(prof["kurtosis"][j]),
                "crest": float(prof["crest"][j]),
            }
        )
    findings.sort(key=lambda f: -f.strength)
    physics = _physics_verdict(findings)
    if bearing:
        finding, fault = _bearing_finding(
            recording, fs=fs, shaft_hz=prof["speed_hz"], bearing=bearing
        )
        findings.insert(0, finding)
        if fault is not None and fault in classes:
            physics = fault  # a bearing model: the envelope names the faulty part
        elif any(c in ("inner_race", "outer_race", "ball") for c in classes):
            physics = "inconclusive"  # no defect frequency stands out
    if not findings:
        findings.append(
            Finding(
                "normal",
                "all sensors",
                f"no order (0.5x–3x) exceeds {BASELINE_FACTOR:g}x the healthy "
                "baseline and no impacts"
                if base
                else "no fault pattern in the order spectrum",
                0.0,
            )
        )
    worst = max(sensors, key=lambda s: s["vel_rms_mm_s"])
    findings.append(
        Finding(
            "severity",
            worst["name"],
            f"velocity RMS {worst['vel_rms_mm_s']:.2f} mm/s at {worst['name']} "
            f"→ zone {worst['zone']} ({thresholds})",
            0.0,
        )
    )
    return Diagnosis(
        source=recording.name,
        verdict=classes[k],
        meaning=_CLASS_MEANING.get(classes[k], classes[k]),
        probability=float(mean_p[k]),
        class_probabilities={c: float(v) for c, v in zip(classes, mean_p, strict=True)},
        segments=segments,
        speed_hz=float(prof["speed_hz"]),
        sensors=sensors,
        findings=findings,
        physics_verdict=physics,
        agrees=physics == classes[k],
    )


def _bearing_finding(
    recording: Recording, *, fs: float, shaft_hz: float, bearing: str
) -> tuple[Finding, str | None]:
    """Envelope evidence on the first channel, and the fault it names (None if none)."""
    from rotordx import features
    from rotordx.features.bearing import bearing_geometry

    geometry = bearing_geometry(bearing)
    d = features.strongest_defect(recording.signals[0], fs=fs, shaft_hz=shaft_hz, geometry=geometry)
    finding = Finding(
        "bearing",
        recording.channel_names[0],
        d["explanation"],
        float(d["snr"]) if d["significant"] else 0.0,
    )
    return finding, (d["fault"] if d["significant"] else None)


def plot_diagnosis(
    path: str | os.PathLike[str],
    recording: Recording,
    diagnosis: Diagnosis,
    *,
    fmax: float | None = None,
) -> Path:
    """Amplitude spectrum per sensor with the running-speed orders marked."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    from rotordx.features import amplitude_spectrum
    from rotordx.plots import save_png

    fs, f0 = recording.fs, diagnosis.speed_hz
    # mean spectrum of 4 s windows over the whole recording: the same span as the speed
    # estimate, so the order marks sit on the peaks even when the speed wanders
    from rotordx.windows import frame

    n = min(recording.signals.shape[1], int(4 * fs))
    freqs, amp = amplitude_spectrum(frame(recording.signals, window=n, hop=n), fs=fs)
    amp = amp.mean(axis=0)
    fmax = fmax or min(fs / 2, 6.5 * f0)
    keep = freqs <= fmax
    k = recording.signals.shape[0]
    fig, axes = plt.subplots(k, 1, figsize=(8, 1.9 * k + 0.8), sharex=True)
    axes = np.atleast_1d(axes)
    for j, ax in enumerate(axes):
        ax.semilogy(freqs[keep], amp[j, keep] + 1e-6, color="tab:blue", linewidth=0.8)
        for o in np.arange(0.5, 6.01, 0.5):  # every half order up to 6x
            if o * f0 <= fmax:
                ax.axvline(
                    o * f0,
                    color="tab:red" if o == int(o) else "tab:orange",
                    linestyle="--",
                    linewidth=0.7,
                    alpha=0.7,
                )
                if j == 0:
                    ax.text(
                        o * f0,
                        1.02,
                        f"{o:g}x",
                        transform=ax.get_xaxis_transform(),
                        ha="center",
                        fontsize=7,
                    )
        s = diagnosis.sensors[j]
        ax.set_ylabel(f"{s['name']}\nm/s²", fontsize=8)
        ax.text(
            0.99,
            0.9,
            f"zone {s['zone']}, {s['vel_rms_mm_s']:.2f} mm/s",
            ha="right",
            va="top",
            transform=ax.transAxes,
            fontsize=8,
        )
        ax.grid(alpha=0.3)
    axes[-1].set_xlabel("frequency (Hz)")
    fig.suptitle(
        f"{diagnosis.source}: {diagnosis.verdict} ({diagnosis.meaning}), "
        f"p = {diagnosis.probability:.2f}, {f0 * 60:.0f} rpm",
        fontsize=9,
    )
    fig.tight_layout()
    path = Path(path)
    return save_png(fig, path, dpi=110)
