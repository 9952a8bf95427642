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
    "diagnose_path",
    "healthy_baseline",
    "interpret_orders",
    "load_recordings",
    "order_profile",
    "plot_diagnosis",
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
    #: (frequencies in Hz, mean amplitude (n_channels, n_freqs)) for :func:`plot_diagnosis`
    spectrum: tuple[np.ndarray, np.ndarray] | None = field(default=None, repr=False, compare=False)

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


#: Windows analysed at once (256 windows of 1024 samples
#: and 4 channels: 8 MiB of signal, and the spectra of as many).
WINDOWS_PER_CHUNK = 256
#: Seed-protocol segments classified at once: 16 segments of 1024 instants, 16,384
#: network inputs per call (the networks' activations for 256 segments held ~100 MiB).
SEGMENTS_PER_CHUNK = 16


class _WindowPhysics:
    """The physics of consecutive windows, gathered chunk by chunk.

    Everything but the order amplitudes comes in one pass. The orders are
    read at one speed for the whole recording: the known one, or the median
    of the windows' estimates, which is known only after the last window;
    then :meth:`settle` asks for a second pass over the windows.
    """

    def __init__(self, *, fs: float, speed_hz: float | None = None) -> None:
        self.fs = fs
        self.speed_hz = speed_hz
        self.speeds: list[np.ndarray] = []
        self.orders: list[np.ndarray] = []
        self.vel: list[np.ndarray] = []
        self.kurt: list[np.ndarray] = []
        self.crest: list[np.ndarray] = []

    def first(self, win: np.ndarray) -> None:
        """First pass over windows ``(n_windows, n_channels, window)``."""
        from rotordx.features import crest_factor, estimate_running_speed, kurtosis, velocity_rms

        if self.speed_hz is None:
            self.speeds.append(estimate_running_speed(win, fs=self.fs))
        else:
            self.second(win)
        self.vel.append(velocity_rms(win, fs=self.fs))
        self.kurt.append(kurtosis(win))
        self.crest.append(crest_factor(win))

    def settle(self) -> bool:
        """Fix the speed after the first pass; True when the orders need a second pass."""
        if self.orders or self.speed_hz is not None:
            return False
        self.speed_hz = float(np.median(np.concatenate(self.speeds)))
        return True

    def second(self, win: np.ndarray) -> None:
        """Order amplitudes of windows at the settled speed."""
        from rotordx.features import order_amplitudes

        self.orders.append(
            order_amplitudes(win, fs=self.fs, speed_hz=self.speed_hz, orders=EXPLAIN_ORDERS)
        )

    def profile(self) -> dict:
        """Medians over the windows (see :func:`order_profile`)."""
        return {
            "speed_hz": self.speed_hz,
            "orders": np.nanmedian(np.concatenate(self.orders), axis=0),  # (n_ch, n_orders)
            "vel_rms": np.median(np.concatenate(self.vel), axis=0),
            "kurtosis": np.median(np.concatenate(self.kurt), axis=0),
            "crest": np.median(np.concatenate(self.crest), axis=0),
        }


def order_profile(
    signals: np.ndarray, *, fs: float, window: int, speed_hz: float | None = None
) -> dict:
    """Median physics of non-overlapping windows of ``signals`` (n_channels, n_samples).

    Returns speed (Hz; the median of the windows' estimates unless
    ``speed_hz`` is given), per-channel order amplitudes (m/s²) at that
    speed, velocity RMS (mm/s), kurtosis and crest factor.
    """
    from rotordx.windows import frame

    signals = np.asarray(signals, dtype=np.float64)
    if signals.shape[-1] < window:
        frame(signals, window=window, hop=window)  # raises the usual error
    # window by window in chunks (the tape diagnose reads with): the same numbers as all
    # windows at once, with work arrays (frames, spectra) bounded however long the recording
    phys = _WindowPhysics(fs=fs, speed_hz=speed_hz)
    _Tape([_Frames(window, lambda c: phys.first(_frames_of(c, window)))]).push(signals)
    if phys.settle():
        _Tape([_Frames(window, lambda c: phys.second(_frames_of(c, window)))]).push(signals)
    return phys.profile()


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


class _Frames:
    """Consecutive frames of ``size`` samples (plus ``extra`` samples of look-ahead).

    Fed by :class:`_Tape`; hands ``handle`` arrays ``(n_channels, k * size +
    extra)`` holding ``k <= per_chunk`` whole frames.
    """

    def __init__(self, size: int, handle, *, extra: int = 0, per_chunk: int | None = None):
        self.size, self.extra, self.handle = size, extra, handle
        self.per_chunk = per_chunk or WINDOWS_PER_CHUNK
        self.next = 0  # sample index where the next frame starts
        self.count = 0  # frames handed out

    def take(self, x: np.ndarray, base: int) -> None:
        end = base + x.shape[1]
        while (k := (end - self.next - self.extra) // self.size) >= 1:
            k = min(k, self.per_chunk)
            a = self.next - base
            self.handle(x[:, a : a + k * self.size + self.extra])
            self.next += k * self.size
            self.count += k


class _Tape:
    """One recording's samples arriving in blocks, cut into frames for several readers.

    Only the samples that a reader still needs are kept between blocks (less
    than one frame each), so memory does not grow with the recording.
    """

    def __init__(self, readers: list[_Frames]) -> None:
        self.readers = readers
        self.rest = np.empty((0, 0))
        self.base = 0  # sample index of rest[:, 0]
        self.total = 0

    def push(self, block: np.ndarray) -> None:
        block = np.asarray(block, dtype=np.float64)
        x = np.concatenate((self.rest, block), axis=1) if self.rest.shape[1] else block
        self.total += block.shape[1]
        for r in self.readers:
            r.take(x, self.base)
        keep = min(r.next for r in self.readers)
        self.rest = np.array(x[:, keep - self.base :])
        self.base = keep


def _frames_of(chunk: np.ndarray, size: int) -> np.ndarray:
    """``(n_channels, k * size)`` as ``(k, n_channels, size)`` (what :func:`frame` returns)."""
    n_ch = chunk.shape[0]
    k = chunk.shape[1] // size
    return np.ascontiguousarray(chunk.reshape(n_ch, k, size).transpose(1, 0, 2))


#: Length of the frames whose mean amplitude spectrum the diagnosis plot shows, in seconds.
PLOT_FRAME_S = 4.0
#: Length of the envelope segments averaged for the bearing evidence, in seconds.
ENVELOPE_SEGMENT_S = 1.0


class _Diagnoser:
    """One recording's diagnosis, built from its samples block by block.

    :meth:`push` takes consecutive ``(n_channels, n)`` blocks. Then
    :meth:`needs_second_pass` says whether the recording must be fed once
    more (:meth:`push_second`): when the running speed is estimated, the
    order amplitudes, and a speed-dependent model's probabilities, need the
    median speed of all windows first. :meth:`result` assembles the
    :class:`Diagnosis`. What is kept grows with the number of windows (a few
    numbers each), never with the samples.
    """

    def __init__(
        self,
        bundle,
        *,
        name: str,
        fs: float,
        channel_names: tuple[str, ...],
        rpm: float | None = None,
        thresholds: str = "group2_rigid",
        bearing: str | None = None,
        spectrum: bool = True,
    ) -> None:
        from rotordx.features.bearing import bearing_geometry, default_envelope_band

        spec = bundle.input
        self.bundle, self.name, self.channel_names = bundle, name, tuple(channel_names)
        self.thresholds = thresholds
        self.rpm = rpm
        shaft = rpm / 60.0 if rpm else None
        n_ch = len(self.channel_names)
        if bundle.protocol == "window":
            self.fs, self.window = float(spec["fs"]), int(spec["window"])
            if n_ch != int(spec["n_channels"]):
                raise DataError(f"{name}: {n_ch} channels; the model expects {spec['n_channels']}")
            # a bearing model reads defect frequencies: it waits for the speed estimate
            self.model_later = bool(getattr(bundle.classifier, "needs_speed", False)) and (
                shaft is None
            )
        else:
            self.fs, self.window = bundle.preprocess.fs, 1024
            self.model_later = False
        if abs(fs - self.fs) > 1e-9 * self.fs:
            raise DataError(f"{name}: sampled at {fs:g} Hz, model expects {self.fs:g}")
        self.bearing = bearing or spec.get("bearing")
        self.geometry = bearing_geometry(self.bearing) if self.bearing else None
        self.phys = _WindowPhysics(fs=self.fs, speed_hz=shaft)
        self.proba: list[np.ndarray] = []
        readers = [_Frames(self.window, self._window_chunk)]
        if bundle.protocol != "window":
            self.m = bundle.preprocess.ma_window
            readers.append(
                _Frames(
                    self.window,
                    self._segment_chunk,
                    extra=self.m - 1,
                    per_chunk=SEGMENTS_PER_CHUNK,
                )
            )
        self.plot = None
        if spectrum:
            self.plot = _Frames(int(PLOT_FRAME_S * self.fs), self._plot_chunk, per_chunk=16)
            self.plot_sum: np.ndarray | float = 0.0
            readers.append(self.plot)
        self.env = None
        if self.geometry is not None:
            self.env = _Frames(round(ENVELOPE_SEGMENT_S * self.fs), self._env_chunk, per_chunk=16)
            self.env_band = default_envelope_band(self.fs)
            self.env_sum: np.ndarray | float = 0.0
            readers.append(self.env)
        self.tape = _Tape(readers)
        self.second: _Tape | None = None

    # -- pass 1 ----------------------------------------------------------------------------

    def push(self, block: np.ndarray) -> None:
        """The next consecutive samples ``(n_channels, n)``."""
        if block.shape[0] != len(self.channel_names):
            raise DataError(
                f"{self.name}: a block of {block.shape[0]} channels, expected "
                f"{len(self.channel_names)}"
            )
        self.tape.push(block)

    def _predict(self, win: np.ndarray) -> None:
        self.proba.append(
            self.bundle.classifier.predict_proba(
                win.astype(np.float32), shaft_hz=self.phys.speed_hz
            )
        )

    def _window_chunk(self, chunk: np.ndarray) -> None:
        win = _frames_of(chunk, self.window)
        self.phys.first(win)
        if self.bundle.protocol == "window" and not self.model_later:
            self._predict(win)

    def _segment_chunk(self, raw: np.ndarray) -> None:
        from rotordx.signal import moving_average

        k = (raw.shape[1] - self.m + 1) // self.window
        X = self.bundle.scaler.transform(moving_average(raw.T, m=self.m)).astype(np.float32)
        p = self.bundle.classifier.predict_proba(X)
        self.proba.append(p.reshape(k, self.window, -1).mean(axis=1))

    def _plot_chunk(self, chunk: np.ndarray) -> None:
        from rotordx.features import amplitude_spectrum

        self.plot_freqs, amp = amplitude_spectrum(_frames_of(chunk, self.plot.size), fs=self.fs)
        self.plot_sum = self.plot_sum + amp.sum(axis=0)

    def _env_chunk(self, chunk: np.ndarray) -> None:
        from rotordx.features import envelope_spectrum

        seg = chunk[0].reshape(-1, self.env.size)
        self.env_freqs, amp = envelope_spectrum(seg, fs=self.fs, band=self.env_band)
        self.env_sum = self.env_sum + amp.reshape(-1, amp.shape[-1]).sum(axis=0)

    # -- pass 2 ----------------------------------------------------------------------------

    def needs_second_pass(self) -> bool:
        """Call once after the first pass: must the samples be pushed once more?"""
        if self.tape.total < self.window + (self.m - 1 if self.bundle.protocol != "window" else 0):
            what = "window" if self.bundle.protocol == "window" else "segment"
            raise DataError(
                f"{self.name}: {self.tape.total} samples, shorter than one {what} of "
                f"{self.window} samples"
                + (f" (plus {self.m - 1} for the moving average)" if what == "segment" else "")
            )
        if not self.phys.settle():
            return False
        self.second = _Tape([_Frames(self.window, self._window_chunk2)])
        return True

    def push_second(self, block: np.ndarray) -> None:
        """Second pass: the same samples again, in the same order."""
        self.second.push(block)

    def _window_chunk2(self, chunk: np.ndarray) -> None:
        win = _frames_of(chunk, self.window)
        self.phys.second(win)
        if self.model_later:
            self._predict(win)

    # -- the verdict -----------------------------------------------------------------------

    def _spectrum(self) -> tuple[np.ndarray, np.ndarray] | None:
        if self.plot is None:
            return None
        if self.plot.count == 0:  # shorter than a plot frame: the whole recording
            self.plot.size = self.tape.total
            self._plot_chunk(self.tape.rest[:, : self.tape.total])
            self.plot.count = 1
        return self.plot_freqs, self.plot_sum / self.plot.count

    def _bearing_finding(self, shaft_hz: float) -> tuple[Finding, str | None]:
        """Envelope evidence on the first channel, and the fault it names (None if none)."""
        from rotordx.features import defect_in_envelope

        if self.env.count == 0:  # at most one segment long: the whole recording at once
            self.env.size = self.tape.total
            self._env_chunk(self.tape.rest[:, : self.tape.total])
            self.env.count = 1
        d = defect_in_envelope(
            self.env_sum / self.env.count,
            df=float(self.env_freqs[1] - self.env_freqs[0]),
            fs=self.fs,
            band=self.env_band,
            shaft_hz=shaft_hz,
            geometry=self.geometry,
        )
        finding = Finding(
            "bearing",
            self.channel_names[0],
            d["explanation"],
            float(d["snr"]) if d["significant"] else 0.0,
        )
        return finding, (d["fault"] if d["significant"] else None)

    def result(self) -> Diagnosis:
        """The diagnosis, after the last pass."""
        from rotordx.features import severity_zone

        classes = self.bundle.classes
        fs, window = self.fs, self.window
        proba = np.concatenate(self.proba)
        mean_p = proba.mean(axis=0)
        k = int(mean_p.argmax())
        labels = proba.argmax(axis=1)
        segments = [
            {
                "start_s": i * window / fs,
                "end_s": (i + 1) * window / fs,
                "label": classes[int(c)],
                "probability": float(p),
            }
            for i, (c, p) in enumerate(zip(labels, proba.max(axis=1), strict=True))
        ]
        prof = self.phys.profile()
        base = self.bundle.input.get("baseline")
        zones = severity_zone(prof["vel_rms"], thresholds=self.thresholds)
        sensors, findings = [], []
        for j, name in enumerate(self.channel_names):
            orders = {_label(o): float(prof["orders"][j, i]) for i, o in enumerate(EXPLAIN_ORDERS)}
            b = {key: vals[j] for key, vals in base["orders"].items()} if base else None
            fnd = interpret_orders(
                orders,
                sensor=name,
                baseline=b,
                kurtosis=float(prof["kurtosis"][j]),
                baseline_kurtosis=base["kurtosis"][j] if base else None,
            )
            if not self.bearing:  # the rotor rules; a bearing model reads the envelope instead
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
        if self.bearing:
            finding, fault = self._bearing_finding(prof["speed_hz"])
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
                f"→ zone {worst['zone']} ({self.thresholds})",
                0.0,
            )
        )
        return Diagnosis(
            source=self.name,
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
            spectrum=self._spectrum(),
        )


def _run(diagnosers: list[_Diagnoser], blocks) -> list[Diagnosis]:
    """Feed ``blocks()`` (an iterable of one block per diagnoser) once or twice; the results."""
    for row in blocks():
        for d, block in zip(diagnosers, row, strict=True):
            d.push(block)
    again = [d.needs_second_pass() for d in diagnosers]
    if any(again):
        for row in blocks():
            for d, block, more in zip(diagnosers, row, again, strict=True):
                if more:
                    d.push_second(block)
    return [d.result() for d in diagnosers]


def diagnose(
    bundle,
    recording: Recording,
    *,
    thresholds: str = "group2_rigid",
    rpm: float | None = None,
    bearing: str | None = None,
    spectrum: bool = True,
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
    spectrum : bool
        Keep the mean amplitude spectrum for :func:`plot_diagnosis`.
    """
    d = _Diagnoser(
        bundle,
        name=recording.name,
        fs=recording.fs,
        channel_names=recording.channel_names,
        rpm=rpm,
        thresholds=thresholds,
        bearing=bearing,
        spectrum=spectrum,
    )
    (out,) = _run([d], lambda: [[recording.signals]])
    return out


def diagnose_path(
    bundle,
    path: str | os.PathLike[str],
    *,
    rate: float | None = None,
    column: str | None = None,
    thresholds: str = "group2_rigid",
    bearing: str | None = None,
    spectrum: bool = True,
    progress: bool = False,
    rpm: float | None = None,
) -> list[Diagnosis]:
    """Diagnose every recording at ``path`` (what ``rotordx diagnose`` does for one path).

    A KAMP group folder is read **block by block**, twice when the running
    speed must be estimated first: memory stays bounded however long the
    recording (one diagnosis per machine-state column, or only ``column``).
    Other sources (a manifest, CWRU ``.mat`` files, a CSV/Parquet recording)
    are read whole by :func:`load_recordings`. ``progress`` shows a bar on
    stderr while a KAMP folder is read.

    ``rpm`` is the running speed of every recording at ``path``, when known
    (a tachometer, the nameplate): it replaces the speed estimated from the
    vibration and a CWRU file's or manifest's own rpm, and a KAMP folder is
    then read once.
    """
    if rpm is not None and not (isinstance(rpm, int | float) and 0 < rpm < 1e6):
        raise ParameterError(f"rpm must be a positive number of rev/min, got {rpm!r}")
    from rotordx.io import find_groups

    fs = float(bundle.input["fs"]) if bundle.protocol == "window" else bundle.preprocess.fs
    path = Path(path)
    opts = {"thresholds": thresholds, "bearing": bearing, "spectrum": spectrum}
    if not (path.is_dir() and find_groups(path)):
        return [
            diagnose(bundle, rec, rpm=rpm or own, **opts)
            for rec, own in load_recordings(path, fs=fs, rate=rate, column=column)
        ]
    from rotordx._progress import work_progress
    from rotordx.io import CLASSES
    from rotordx.io.kamp_stream import last_time
    from rotordx.stream import GroupStream

    if column is not None and column not in CLASSES:
        raise ParameterError(f"--column must be one of {', '.join(CLASSES)}, got {column!r}")
    states = [i for i, c in enumerate(CLASSES) if column is None or c == column]
    stream = GroupStream(path, fs=fs, duration=1e9)
    names = tuple(f"sensor {i + 1}" for i in range(len(stream.paths)))
    diagnosers = [
        _Diagnoser(
            bundle,
            name=f"{path}/g{stream.group}:{CLASSES[i]}",
            fs=fs,
            channel_names=names,
            rpm=rpm,
            **opts,
        )
        for i in states
    ]
    end = last_time(stream.paths[0])
    # without a known speed the group is read twice (see _Diagnoser)
    total = (1.0 if rpm else 2.0) * end if end and end > 0 else None
    with work_progress(
        f"diagnosing {path.name}/g{stream.group}", total=total, unit="signal s", enabled=progress
    ) as advance:

        def blocks():
            for blk in GroupStream(path, group=stream.group, fs=fs, duration=1e9).blocks():
                yield [blk.values[i].T for i in states]
                advance(blk.values.shape[1] / fs)

        return _run(diagnosers, blocks)


def plot_diagnosis(
    path: str | os.PathLike[str],
    diagnosis: Diagnosis,
    *,
    fmax: float | None = None,
) -> Path:
    """Mean amplitude spectrum per sensor with the running-speed orders marked.

    The spectrum is the mean over 4 s frames of the whole recording (the span
    of the speed estimate, so the order marks sit on the peaks even when the
    speed wanders), kept by :func:`diagnose` (``spectrum=True``).
    """
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    from rotordx.plots import save_png

    if diagnosis.spectrum is None:
        raise ParameterError(
            f"{diagnosis.source}: diagnosed without spectrum=True; nothing to plot"
        )
    freqs, amp = diagnosis.spectrum
    f0 = diagnosis.speed_hz
    fmax = fmax or min(float(freqs[-1]), 6.5 * f0)
    keep = freqs <= fmax
    k = amp.shape[0]
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
