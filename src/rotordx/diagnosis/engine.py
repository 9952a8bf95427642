"""The diagnosis engine: a recording's verdict and evidence, built block by block.

A :class:`Diagnoser` is fed consecutive blocks of one recording, from a file
read whole, a KAMP group read chunk by chunk, a stream or a batch worker:
the same engine for all. What it keeps grows with the number of windows (a
few numbers each), never with the samples. :func:`run_passes` feeds several
diagnosers from one reader, once or twice (see :class:`Diagnoser`).
"""

from __future__ import annotations

import numpy as np

from rotordx.classes import BEARING_FAULTS, meaning
from rotordx.data.seed import seed_inputs
from rotordx.diagnosis.result import Diagnosis, Finding
from rotordx.diagnosis.rules import BASELINE_FACTOR, interpret_orders, physics_verdict
from rotordx.exceptions import DataError
from rotordx.features.bearing import DEFECTS, bearing_geometry, defect_multipliers
from rotordx.features.envelope import default_envelope_band, defect_in_envelope
from rotordx.features.profile import EXPLAIN_ORDERS, WindowPhysics, order_label
from rotordx.features.severity import severity_zone
from rotordx.features.spectral import amplitude_spectrum, envelope_spectrum
from rotordx.signal.framing import Frames, Tape, frames_of

__all__ = ["ENVELOPE_SEGMENT_S", "PLOT_FRAME_S", "SEGMENTS_PER_CHUNK", "Diagnoser", "run_passes"]

#: Seed-protocol segments classified at once: 16 segments of 1024 instants, 16,384
#: network inputs per call (the networks' activations for 256 segments held ~100 MiB).
SEGMENTS_PER_CHUNK = 16

#: Length of the frames whose mean amplitude spectrum the diagnosis plot shows, in seconds.
PLOT_FRAME_S = 4.0
#: Length of the envelope segments averaged for the bearing evidence, in seconds.
ENVELOPE_SEGMENT_S = 1.0


class Diagnoser:
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
        self.orders = (
            np.array([defect_multipliers(self.geometry)[d] for d in DEFECTS])
            if self.geometry is not None
            else None
        )
        self.phys = WindowPhysics(fs=self.fs, speed_hz=shaft)
        self.proba: list[np.ndarray] = []
        readers = [Frames(self.window, self._window_chunk)]
        if bundle.protocol != "window":
            self.m = bundle.preprocess.ma_window
            readers.append(
                Frames(
                    self.window,
                    self._segment_chunk,
                    extra=self.m - 1,
                    per_chunk=SEGMENTS_PER_CHUNK,
                )
            )
        self.plot = None
        if spectrum:
            self.plot = Frames(int(PLOT_FRAME_S * self.fs), self._plot_chunk, per_chunk=16)
            self.plot_sum: np.ndarray | float = 0.0
            readers.append(self.plot)
        self.env = None
        if self.geometry is not None:
            self.env = Frames(round(ENVELOPE_SEGMENT_S * self.fs), self._env_chunk, per_chunk=16)
            self.env_band = default_envelope_band(self.fs)
            self.env_sum: np.ndarray | float = 0.0
            readers.append(self.env)
        self.tape = Tape(readers)
        self.second: Tape | None = None

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
                win.astype(np.float32), shaft_hz=self.phys.speed_hz, defect_orders=self.orders
            )
        )

    def _window_chunk(self, chunk: np.ndarray) -> None:
        win = frames_of(chunk, self.window)
        self.phys.first(win)
        if self.bundle.protocol == "window" and not self.model_later:
            self._predict(win)

    def _segment_chunk(self, raw: np.ndarray) -> None:
        k = (raw.shape[1] - self.m + 1) // self.window
        X = seed_inputs(raw, config=self.bundle.preprocess, scaler=self.bundle.scaler)
        p = self.bundle.classifier.predict_proba(X)
        self.proba.append(p.reshape(k, self.window, -1).mean(axis=1))

    def _plot_chunk(self, chunk: np.ndarray) -> None:
        self.plot_freqs, amp = amplitude_spectrum(frames_of(chunk, self.plot.size), fs=self.fs)
        self.plot_sum = self.plot_sum + amp.sum(axis=0)

    def _env_chunk(self, chunk: np.ndarray) -> None:
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
        self.second = Tape([Frames(self.window, self._window_chunk2)])
        return True

    def push_second(self, block: np.ndarray) -> None:
        """Second pass: the same samples again, in the same order."""
        self.second.push(block)

    def _window_chunk2(self, chunk: np.ndarray) -> None:
        win = frames_of(chunk, self.window)
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
            orders = {
                order_label(o): float(prof["orders"][j, i]) for i, o in enumerate(EXPLAIN_ORDERS)
            }
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
        physics = physics_verdict(findings)
        if self.bearing:
            finding, fault = self._bearing_finding(prof["speed_hz"])
            findings.insert(0, finding)
            if fault is not None and fault in classes:
                physics = fault  # a bearing model: the envelope names the faulty part
            elif any(c in BEARING_FAULTS for c in classes):
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
            meaning=meaning(classes[k]),
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


def run_passes(diagnosers: list[Diagnoser], blocks) -> list[Diagnosis]:
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
