"""The physics profile of a recording: medians over its windows, and a healthy baseline.

A profile is what rotordx knows of a machine state without a model: the
running speed, the amplitudes at 0.5x, 1x, 1.5x, 2x and 3x of it, velocity
RMS, kurtosis and crest factor, each the median over non-overlapping windows.
:class:`WindowPhysics` gathers it chunk by chunk (the diagnosis engine feeds
it while a recording streams in); :func:`order_profile` runs it on an array;
:func:`healthy_baseline` stores a healthy recording's profile as plain JSON,
the reference a diagnosis compares orders with.
"""

from __future__ import annotations

import numpy as np

from rotordx.features.orders import estimate_running_speed, order_amplitudes
from rotordx.features.spectral import velocity_rms
from rotordx.features.time import crest_factor, kurtosis
from rotordx.signal.framing import Frames, Tape, frame, frames_of

__all__ = [
    "EXPLAIN_ORDERS",
    "WindowPhysics",
    "healthy_baseline",
    "order_label",
    "order_profile",
]

#: Orders reported and compared with the baseline.
EXPLAIN_ORDERS: tuple[float, ...] = (0.5, 1.0, 1.5, 2.0, 3.0)


def order_label(order: float) -> str:
    """``"1x"``, ``"0.5x"`` …"""
    return f"{order:g}x"


class WindowPhysics:
    """The physics of consecutive windows, gathered chunk by chunk.

    Everything but the order amplitudes comes in one pass (:meth:`first`).
    The orders are read at one speed for the whole recording: the known one,
    or the median of the windows' estimates, which is known only after the
    last window; then :meth:`settle` asks for a second pass (:meth:`second`).
    ``orders`` and ``tolerance`` are those of
    :func:`~rotordx.features.order_amplitudes`; ``mains_hz``, ``fmin`` and
    ``fmax`` those of :func:`~rotordx.features.estimate_running_speed`.
    """

    def __init__(
        self,
        *,
        fs: float,
        speed_hz: float | None = None,
        orders: tuple[float, ...] = EXPLAIN_ORDERS,
        tolerance: float = 0.02,
        mains_hz: tuple[float, ...] | None = None,
        fmin: float = 5.0,
        fmax: float = 100.0,
    ) -> None:
        self.fs = fs
        self.speed_hz = speed_hz
        self.order_list = tuple(orders)
        self.tolerance = tolerance
        self.mains_hz = mains_hz
        self.fmin, self.fmax = fmin, min(fmax, 0.45 * fs)
        self.speeds: list[np.ndarray] = []
        self.orders: list[np.ndarray] = []
        self.vel: list[np.ndarray] = []
        self.kurt: list[np.ndarray] = []
        self.crest: list[np.ndarray] = []

    def first(self, win: np.ndarray) -> None:
        """First pass over windows ``(n_windows, n_channels, window)``."""
        if self.speed_hz is None:
            self.speeds.append(
                estimate_running_speed(
                    win, fs=self.fs, fmin=self.fmin, fmax=self.fmax, mains_hz=self.mains_hz
                )
            )
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
        self.orders.append(
            order_amplitudes(
                win,
                fs=self.fs,
                speed_hz=self.speed_hz,
                orders=self.order_list,
                tolerance=self.tolerance,
            )
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
    ``speed_hz`` is given), per-channel order amplitudes (signal units) at
    that speed, velocity RMS (mm/s), kurtosis and crest factor.
    """
    signals = np.asarray(signals, dtype=np.float64)
    if signals.shape[-1] < window:
        frame(signals, window=window, hop=window)  # raises the usual error
    # window by window in chunks (the tape the diagnosis reads with): the same numbers as
    # all windows at once, with work arrays (frames, spectra) bounded however long the input
    phys = WindowPhysics(fs=fs, speed_hz=speed_hz)
    Tape([Frames(window, lambda c: phys.first(frames_of(c, window)))]).push(signals)
    if phys.settle():
        Tape([Frames(window, lambda c: phys.second(frames_of(c, window)))]).push(signals)
    return phys.profile()


def healthy_baseline(signals: np.ndarray, *, fs: float, window: int) -> dict:
    """The reference a diagnosis compares with: physics of a healthy recording (plain JSON)."""
    p = order_profile(signals, fs=fs, window=window)
    return {
        "speed_hz": p["speed_hz"],
        "orders": {
            order_label(o): p["orders"][:, i].tolist() for i, o in enumerate(EXPLAIN_ORDERS)
        },
        "vel_rms": p["vel_rms"].tolist(),
        "kurtosis": p["kurtosis"].tolist(),
        "crest": p["crest"].tolist(),
    }
