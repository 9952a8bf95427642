"""The diagnosis engine: a recording's verdict and evidence, built block by block.

A :class:`Diagnoser` is fed consecutive blocks of one recording, from a file
read whole, a KAMP group read chunk by chunk, a stream or a batch worker:
the same engine for all. What it keeps grows with the number of windows (a
few numbers each), never with the samples. With a model it classifies the
model's windows (or seed segments); without one it reads the physics of
long windows (the whole recording up to :data:`WHOLE_S`, else frames of
:data:`FRAME_S`), fine enough to tell a shaft's 2x from the electrical line at
twice the mains frequency. :func:`run_passes` feeds several diagnosers from
one reader, once or twice (see :class:`Diagnoser`); :mod:`.verdict` turns
what they gathered into a :class:`~rotordx.diagnosis.result.Diagnosis`.
"""

from __future__ import annotations

import numpy as np

from rotordx.data.holdout import padded_window
from rotordx.data.seed import seed_inputs
from rotordx.diagnosis.result import Context, Diagnosis
from rotordx.diagnosis.verdict import assemble
from rotordx.exceptions import DataError
from rotordx.features.bearing import DEFECTS, bearing_geometry, defect_multipliers
from rotordx.features.envelope import BAND_SECONDS, auto_band, envelope_min_width
from rotordx.features.orders import MAINS_HZ
from rotordx.features.profile import WindowPhysics
from rotordx.features.spectral import amplitude_spectrum, envelope_spectrum
from rotordx.signal.framing import Frames, Tape, frames_of

__all__ = [
    "ENVELOPE_SEGMENT_S",
    "FRAME_S",
    "PHYSICS_ORDERS",
    "PLOT_FRAME_S",
    "SEGMENTS_PER_CHUNK",
    "WHOLE_S",
    "Diagnoser",
    "run_passes",
]

#: Seed-protocol segments classified at once: 16 segments of 1024 instants, 16,384
#: network inputs per call (the networks' activations for 256 segments held ~100 MiB).
SEGMENTS_PER_CHUNK = 16
#: Length of the frames whose mean amplitude spectrum the diagnosis plot shows, in seconds.
PLOT_FRAME_S = 4.0
#: Length of the envelope segments averaged for the bearing evidence, in seconds.
ENVELOPE_SEGMENT_S = 1.0
#: Without a model, recordings up to this long are analysed as one window, in seconds.
WHOLE_S = 16.0
#: Without a model, longer recordings are analysed in frames this long, in seconds.
FRAME_S = 8.0
#: Without a model, frames at least this long set electrical lines aside in the speed search.
MAINS_S = 4.0
#: Orders read without a model (velocity spectrum up to 10x).
PHYSICS_ORDERS: tuple[float, ...] = (
    0.5,
    1.0,
    1.5,
    2.0,
    2.5,
    3.0,
    4.0,
    5.0,
    6.0,
    7.0,
    8.0,
    9.0,
    10.0,
)
#: Without a model, the shortest recording analysed, in samples.
MIN_SAMPLES = 256


def physics_window(fs: float, length: int | None) -> int:
    """Samples per physics window without a model: the whole recording, or frames."""
    if length is not None and length <= WHOLE_S * fs:
        return max(int(length), MIN_SAMPLES)
    return int(FRAME_S * fs)


class Diagnoser:
    """One recording's diagnosis, built from its samples block by block.

    :meth:`push` takes consecutive ``(n_channels, n)`` blocks. Then
    :meth:`needs_second_pass` says whether the recording must be fed once
    more (:meth:`push_second`): when the running speed is estimated, the
    order amplitudes, and a speed-dependent model's probabilities, need the
    median speed of all windows first. :meth:`result` assembles the
    :class:`~rotordx.diagnosis.result.Diagnosis`.

    Parameters
    ----------
    model : Bundle or None
        A loaded model (:func:`rotordx.models.load_model`), or None for the
        physics alone.
    name : str
        The recording, for messages and the result.
    fs : float
        Its sample rate (a model's own rate, when there is a model).
    channel_names : tuple of str
    context : Context
        What is known of the machine.
    spectrum : bool
        Keep the mean amplitude spectrum for the plot.
    length : int, optional
        Samples of the recording, when known: without a model, a recording of
        up to :data:`WHOLE_S` seconds is analysed as one window.
    """

    def __init__(
        self,
        model,
        *,
        name: str,
        fs: float,
        channel_names: tuple[str, ...],
        context: Context | None = None,
        spectrum: bool = True,
        length: int | None = None,
    ) -> None:
        self.model, self.name, self.channel_names = model, name, tuple(channel_names)
        self.context = context or Context()
        ctx = self.context
        shaft = ctx.rpm / 60.0 if ctx.rpm else None
        n_ch = len(self.channel_names)
        if ctx.directions is not None and len(ctx.directions) != n_ch:
            raise DataError(f"{name}: {len(ctx.directions)} channel directions for {n_ch} channels")
        self.model_later = False
        self.seed = model is not None and model.protocol != "window"
        if model is None:
            self.fs = float(fs)
            self.window = physics_window(self.fs, length)
            fmin = max(5.0, 2.0 * self.fs / self.window)
            self.phys = WindowPhysics(
                fs=self.fs,
                speed_hz=shaft,
                orders=PHYSICS_ORDERS,
                tolerance=0.005,
                mains_hz=MAINS_HZ if self.window >= MAINS_S * self.fs else None,
                fmin=fmin,
                fmax=max(fmin * 1.5, 100.0),
            )
        else:
            spec = model.input
            if not self.seed:
                self.fs, self.window = float(spec["fs"]), int(spec["window"])
                if n_ch != int(spec["n_channels"]):
                    raise DataError(
                        f"{name}: {n_ch} channels; the model expects {spec['n_channels']}"
                    )
                # a bearing model reads defect frequencies: it waits for the speed estimate
                needs = bool(getattr(model.classifier, "needs_speed", False))
                self.model_later = needs and shaft is None
            else:
                self.fs, self.window = model.preprocess.fs, 1024
            if abs(fs - self.fs) > 1e-9 * self.fs:
                raise DataError(f"{name}: sampled at {fs:g} Hz, model expects {self.fs:g}")
            self.phys = WindowPhysics(fs=self.fs, speed_hz=shaft)
        self.bearing = ctx.bearing or (model.input.get("bearing") if model is not None else None)
        self.geometry = bearing_geometry(self.bearing) if self.bearing else None
        self.orders = (
            np.array([defect_multipliers(self.geometry)[d] for d in DEFECTS])
            if self.geometry is not None
            else None
        )
        self.proba: list[np.ndarray] = []
        self.win = Frames(self.window, self._window_chunk)
        readers = [self.win]
        if self.seed:
            self.m = model.preprocess.ma_window
            readers.append(
                Frames(
                    self.window, self._segment_chunk, extra=self.m - 1, per_chunk=SEGMENTS_PER_CHUNK
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
            # the band is chosen by a kurtogram of the first BAND_SECONDS (all channels
            # pooled); the segments wait for it in env_wait
            self.env_band: tuple[float, float] | None = None
            self.env_wait: list[np.ndarray] = []
            self.env_sum: np.ndarray | float = 0.0
            readers.append(self.env)
        self.tape = Tape(readers)
        self.second: Tape | None = None
        self.held = False  # the physics read the whole recording from the tape's rest
        self.padded: np.ndarray | None = None  # a recording shorter than the model's window

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
            self.model.classifier.predict_proba(
                win.astype(np.float32), shaft_hz=self.phys.speed_hz, defect_orders=self.orders
            )
        )

    def _window_chunk(self, chunk: np.ndarray) -> None:
        win = frames_of(chunk, self.window)
        self.phys.first(win)
        if self.model is not None and not self.seed and not self.model_later:
            self._predict(win)

    def _segment_chunk(self, raw: np.ndarray) -> None:
        k = (raw.shape[1] - self.m + 1) // self.window
        X = seed_inputs(raw, config=self.model.preprocess, scaler=self.model.scaler)
        p = self.model.classifier.predict_proba(X)
        self.proba.append(p.reshape(k, self.window, -1).mean(axis=1))

    def _plot_chunk(self, chunk: np.ndarray) -> None:
        self.plot_freqs, amp = amplitude_spectrum(frames_of(chunk, self.plot.size), fs=self.fs)
        self.plot_sum = self.plot_sum + amp.sum(axis=0)

    def _env_chunk(self, chunk: np.ndarray) -> None:
        if self.env_band is None:
            self.env_wait.append(chunk)
            if sum(c.shape[1] for c in self.env_wait) >= BAND_SECONDS * self.fs:
                self._choose_band()
            return
        n_ch = chunk.shape[0]
        seg = chunk.reshape(n_ch, -1, self.env.size)  # (channels, segments, samples)
        self.env_freqs, amp = envelope_spectrum(seg, fs=self.fs, band=self.env_band)
        self.env_sum = self.env_sum + amp.sum(axis=1)  # (channels, bins)

    def _choose_band(self) -> None:
        """The demodulation band from the first seconds, then the segments that waited."""
        start = np.concatenate(self.env_wait, axis=1)
        # wide enough for 3 harmonics of every defect with a shaft sideband; at an unknown
        # speed that of a 2-pole motor on 60 Hz mains (the widest a speed makes it)
        shaft = self.phys.speed_hz or 60.0
        width = envelope_min_width(shaft, defect_multipliers(self.geometry))
        self.env_band = auto_band(start[:, : round(BAND_SECONDS * self.fs)], self.fs, width)
        waiting, self.env_wait = self.env_wait, []
        for c in waiting:
            self._env_chunk(c)

    # -- pass 2 ----------------------------------------------------------------------------

    def needs_second_pass(self) -> bool:
        """Call once after the first pass: must the samples be pushed once more?"""
        total = self.tape.total
        if self.model is None:
            if total < MIN_SAMPLES:
                raise DataError(
                    f"{self.name}: {total} samples; at least {MIN_SAMPLES} are needed to "
                    "read its physics"
                )
            if self.win.count == 0:  # shorter than a physics window: the recording at once
                self.window, self.held = total, True
                self.phys.first(self.tape.rest[:, :total][None])
                self.win.count = 1
        elif not self.seed and MIN_SAMPLES <= total < self.window:
            # shorter than the model's window: one window, padded with its mean (as in
            # training); the physics reads the recording at once
            rec = self.tape.rest[:, :total]
            self.padded = padded_window(rec, self.window)
            self.window, self.held = total, True
            self.phys.first(rec[None])
            self.win.count = 1
        elif total < self.window + (self.m - 1 if self.seed else 0):
            what = "segment" if self.seed else "window"
            raise DataError(
                f"{self.name}: {total} samples, shorter than one {what} of "
                f"{self.window} samples"
                + (f" (plus {self.m - 1} for the moving average)" if self.seed else "")
            )
        if not self.phys.settle():
            return False
        if self.held:  # the one window is still held: no second pass needed
            self.phys.second(self.tape.rest[:, :total][None])
            if self.padded is not None:
                self._predict(self.padded)
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

    # -- what was gathered -------------------------------------------------------------------

    def spectrum(self) -> tuple[np.ndarray, np.ndarray] | None:
        """Mean amplitude spectrum (frequencies, (n_channels, n_bins)), or None."""
        if self.plot is None:
            return None
        if self.plot.count == 0:  # shorter than a plot frame: the whole recording
            self.plot.size = self.tape.total
            self._plot_chunk(self.tape.rest[:, : self.tape.total])
            self.plot.count = 1
        return self.plot_freqs, self.plot_sum / self.plot.count

    def envelope(self) -> tuple[np.ndarray, float, tuple[float, float]] | None:
        """Mean envelope spectrum (n_channels, n_bins), its bin width and band, or None."""
        if self.env is None:
            return None
        if self.env.count == 0:  # at most one segment long: the whole recording at once
            self.env.size = self.tape.total
            self._env_chunk(self.tape.rest[:, : self.tape.total])
            self.env.count = 1
        if self.env_band is None:  # shorter than BAND_SECONDS: the band from all of it
            self._choose_band()
        df = float(self.env_freqs[1] - self.env_freqs[0])
        return self.env_sum / self.env.count, df, self.env_band

    def result(self) -> Diagnosis:
        """The diagnosis, after the last pass."""
        return assemble(self)


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
