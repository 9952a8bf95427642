"""One contract for every public function of ``rotordx.features`` that takes signals.

A table of (function, call) drives every check, so that a new feature function is
added to the table, not to the tests:

* leading axes are broadcast: a (2, 3, n) input gives, row by row, the numbers of
  each (n,) row alone (functions of whole windows, (channels, n), window by window;
  per-window arguments such as speeds follow their window);
* every argument but the signal is keyword-only, ``fs`` among them;
* NaN or infinite input raises DataError; too short input raises DataError whose
  message gives the sample count;
* the input array is not modified;
* float32 input gives the float64 numbers (to float32 rounding);
* known signals give known answers (a second table): a sine of amplitude A has RMS
  A/√2, crest factor √2, kurtosis 1.5, its amplitude spectrum peaks at A at its
  frequency, its velocity RMS is A/(2πf√2) m/s; the running speed of a harmonic
  series is its fundamental; impacts at a bearing's BPFO score highest at BPFO.
"""

from __future__ import annotations

import inspect
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest
from scipy.special import gamma

import rotordx.features as F
from rotordx.exceptions import DataError
from rotordx.features.bearing import SKF_6205
from support import bearing_signal

FS = 1000.0  # the testbed's rate
N = 4096
BEARING_FS = 12000.0  # CWRU's
BEARING_N = 12000
SHAFT = 29.3  # Hz
BANDS = [(0.0, 100.0), (100.0, 250.0), (250.0, 500.0)]


def _first(result: Any) -> np.ndarray:
    """The numbers of a result: the values of (values, names), the amplitudes of (f, amp)."""
    if isinstance(result, tuple):
        a, b = result
        return np.asarray(a if isinstance(b, list) else b)
    return np.asarray(result)


def _profile_numbers(p: dict) -> np.ndarray:
    keys = ("vel_rms", "kurtosis", "crest")
    return np.concatenate([[p["speed_hz"]], np.ravel(p["orders"]), *(np.ravel(p[k]) for k in keys)])


def _baseline_numbers(b: dict) -> np.ndarray:
    orders = np.concatenate([np.ravel(v) for v in b["orders"].values()])
    rest = [np.ravel(b[k]) for k in ("vel_rms", "kurtosis", "crest")]
    return np.concatenate([[b["speed_hz"]], orders, *rest])


def _defect_numbers(d: dict) -> np.ndarray:
    scores = [d["scores"][k] for k in sorted(d["scores"])]
    return np.array([d["score"], d["snr"], d["frequency_hz"], *scores], dtype=np.float64)


@dataclass(frozen=True)
class Case:
    """One function and how it is called.

    ``kwargs`` are the keyword arguments besides the signal; ``per_window`` those that
    take one value per window (per entry of the first leading axis). ``core`` is the
    number of trailing axes of one unit of input: 1 for a signal ``(n,)``, 2 for a
    window ``(channels, n)``. ``lead``: ``"any"`` (leading axes broadcast),
    ``"one"`` (exactly one leading axis: windows) or ``"none"`` (one unit only).
    """

    name: str
    fn: Callable
    kwargs: dict = field(default_factory=dict)
    per_window: dict = field(default_factory=dict)
    core: int = 1
    lead: str = "any"
    out: Callable[[Any], np.ndarray] = _first
    fs: float = FS
    n: int = N
    short: int = 8

    def __call__(self, x, **over):
        return self.fn(x, **{**self.kwargs, **self.per_window, **over})

    def __str__(self) -> str:
        return self.name


def _time(fn: Callable) -> Case:
    return Case(fn.__name__, fn, short=1)


def _bearing(name: str, fn: Callable, **kw) -> Case:
    kwargs = {"fs": BEARING_FS, "shaft_hz": SHAFT, "geometry": SKF_6205, **kw.pop("kwargs", {})}
    return Case(name, fn, kwargs=kwargs, fs=BEARING_FS, n=BEARING_N, **kw)


SPEEDS = np.array([SHAFT, 31.0])  # one per window of a (2, ...) input

CASES: list[Case] = [
    _time(F.time_features),
    *(
        _time(fn)
        for fn in (
            F.mean,
            F.rms,
            F.peak,
            F.peak_to_peak,
            F.crest_factor,
            F.kurtosis,
            F.skewness,
            F.impulse_factor,
            F.shape_factor,
            F.clearance_factor,
        )
    ),
    Case("amplitude_spectrum", F.amplitude_spectrum, {"fs": FS}),
    Case("amplitude_spectrum nfft", F.amplitude_spectrum, {"fs": FS, "nfft": 2 * N}),
    Case("envelope_spectrum", F.envelope_spectrum, {"fs": FS, "band": (150.0, 400.0)}),
    Case("velocity_rms", F.velocity_rms, {"fs": FS}),
    Case("spectral_centroid", F.spectral_centroid, {"fs": FS}),
    Case("band_power_fraction", F.band_power_fraction, {"fs": FS, "bands": BANDS}),
    Case("order_amplitudes", F.order_amplitudes, {"fs": FS, "speed_hz": SHAFT}),
    Case(
        "order_amplitudes per-window speed",
        F.order_amplitudes,
        {"fs": FS},
        per_window={"speed_hz": SPEEDS},
    ),
    Case(
        "estimate_running_speed per signal",
        F.estimate_running_speed,
        {"fs": FS, "channel_axis": None},
    ),
    Case("estimate_running_speed per window", F.estimate_running_speed, {"fs": FS}, core=2),
    Case("extract_features", F.extract_features, {"fs": FS}, core=2, lead="one"),
    Case(
        "extract_features per-window speed",
        F.extract_features,
        {"fs": FS},
        per_window={"speed_hz": SPEEDS},
        core=2,
        lead="one",
    ),
    _bearing("bearing_envelope_features", F.bearing_envelope_features),
    _bearing(
        "bearing_envelope_features per-window speed",
        F.bearing_envelope_features,
        kwargs={"shaft_hz": None},
        per_window={"shaft_hz": SPEEDS},
    ),
    _bearing("defect_scores", F.defect_scores),
    _bearing("strongest_defect", F.strongest_defect, lead="none", out=_defect_numbers),
    _bearing(
        "strongest_defect auto band",
        F.strongest_defect,
        kwargs={"band": "auto"},
        lead="none",
        out=_defect_numbers,
    ),
    Case(
        "kurtogram",
        F.kurtogram,
        {"fs": BEARING_FS},
        lead="none",
        out=lambda k: np.array([*k.band, k.score[k.level][k.index]]),
        fs=BEARING_FS,
        n=BEARING_N,
    ),
    Case(
        "select_band",
        F.select_band,
        {"fs": BEARING_FS},
        lead="none",
        out=np.array,
        fs=BEARING_FS,
        n=BEARING_N,
    ),
    Case(
        "order_profile",
        F.order_profile,
        {"fs": FS, "window": 1024},
        core=2,
        lead="none",
        out=_profile_numbers,
    ),
    Case(
        "healthy_baseline",
        F.healthy_baseline,
        {"fs": FS, "window": 1024},
        core=2,
        lead="none",
        out=_baseline_numbers,
    ),
]
IDS = [c.name for c in CASES]


def _signals(shape: tuple[int, ...], *, n: int, fs: float, seed: int = 0) -> np.ndarray:
    """Machine-like vibration: a harmonic series with half orders, impacts, noise and offset."""
    rng = np.random.default_rng(seed)
    t = np.arange(n) / fs
    out = np.empty((*shape, n))
    for idx in np.ndindex(*shape):
        amps, phases = rng.uniform(0.2, 1.0, 5), rng.uniform(0, 2 * np.pi, 5)
        x = sum(
            a * np.sin(2 * np.pi * (k + 1) * SHAFT * t + p)
            for k, (a, p) in enumerate(zip(amps, phases, strict=True))
        )
        x = x + 0.2 * np.sin(np.pi * SHAFT * t) + 0.1 * rng.standard_normal(n)
        ring = np.zeros(n)
        ring[:: int(fs / (3.58 * SHAFT))] = 2.0  # impacts near BPFO
        x = x + np.convolve(ring, np.exp(-np.arange(50) / 5.0) * np.sin(np.arange(50)), "same")
        out[idx] = x + rng.uniform(-1.0, 1.0)
    return out


def _input(case: Case, *, lead: tuple[int, ...] = (2,), seed: int = 0) -> np.ndarray:
    """A batch for ``case``: ``lead`` windows of 3 channels (core 2), or of 3 signals."""
    shape = (*lead, 3) if case.lead != "none" else (3,)
    if case.core == 1 and case.lead == "none":
        shape = ()
    return _signals(shape, n=case.n, fs=case.fs, seed=seed)


def _unit_call(case: Case, x: np.ndarray, window: int):
    """``case`` on one window ``x`` alone, its per-window arguments taken at ``window``."""
    over = {k: v[window] for k, v in case.per_window.items()}
    if case.lead == "one":  # the function takes windows (n_windows, ...) only
        return case.out(case(x[None], **over))[0]
    return case.out(case(x, **over))


# -- the table is complete ------------------------------------------------------------------------


def test_every_feature_function_taking_signals_is_in_the_table():
    takes_signals = {
        name
        for name in F.__all__
        if inspect.isfunction(fn := getattr(F, name))
        and next(iter(inspect.signature(fn).parameters)) in ("x", "signals")
    }
    assert takes_signals == {c.fn.__name__ for c in CASES}


# -- the contract ----------------------------------------------------------------------------------


@pytest.mark.parametrize("case", [c for c in CASES if c.lead != "none"], ids=str)
def test_leading_axes_are_broadcast(case):
    x = _input(case)
    whole = case.out(case(x))
    if case.core == 1:  # (2, 3, n): each (n,) signal alone
        assert whole.shape[:2] == (2, 3)
        for i, j in np.ndindex(2, 3):
            over = {k: v[i] for k, v in case.per_window.items()}
            alone = case.out(case(x[i, j], **over))
            np.testing.assert_allclose(
                whole[i, j], alone, rtol=1e-10, atol=1e-12, err_msg=f"{i},{j}"
            )
    else:  # (2, 3, n): each (3, n) window alone
        assert whole.shape[0] == 2
        for i in range(2):
            np.testing.assert_allclose(
                whole[i], _unit_call(case, x[i], i), rtol=1e-10, atol=1e-12, err_msg=str(i)
            )
    if case.lead == "any" and not case.per_window:  # any number of leading axes
        deeper = case.out(case(x[None]))
        np.testing.assert_allclose(deeper[0], whole, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_arguments_but_the_signal_are_keyword_only(case):
    params = list(inspect.signature(case.fn).parameters.values())
    assert params[0].kind == inspect.Parameter.POSITIONAL_OR_KEYWORD
    assert all(p.kind == inspect.Parameter.KEYWORD_ONLY for p in params[1:]), params
    if "fs" in case.kwargs:
        assert "fs" in {p.name for p in params}
        rest = {k: v for k, v in case.kwargs.items() if k != "fs"}
        with pytest.raises(TypeError):
            case.fn(_input(case), case.fs, **rest, **case.per_window)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf], ids=["nan", "inf", "-inf"])
@pytest.mark.parametrize("case", CASES, ids=str)
def test_non_finite_input_raises_data_error(case, bad):
    x = _input(case)
    x[(0,) * (x.ndim - 1) + (case.n // 2,)] = bad
    with pytest.raises(DataError, match=r"NaN or infinite"):
        case(x)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_too_short_input_raises_data_error_with_the_sample_count(case):
    x = _input(case)[..., : case.short]
    with pytest.raises(DataError) as info:
        case(x)
    assert re.search(rf"\b{case.short} samples?\b", str(info.value)), str(info.value)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", CASES, ids=str)
def test_input_is_not_modified(case, dtype):
    x = _input(case).astype(dtype)
    before = x.copy()
    case(x)
    np.testing.assert_array_equal(x, before)
    assert x.dtype == dtype


@pytest.mark.parametrize("case", CASES, ids=str)
def test_float32_gives_the_float64_numbers(case):
    x = _input(case)
    ref = case.out(case(x))
    got = case.out(case(x.astype(np.float32)))
    assert got.shape == ref.shape
    scale = np.nanmax(np.abs(ref)) if np.isfinite(ref).any() else 1.0
    np.testing.assert_allclose(got, ref, rtol=1e-4, atol=1e-5 * scale)


# -- known signals, known answers ------------------------------------------------------------------

A, F0 = 2.5, 50.0  # amplitude (m/s²) and frequency (Hz) of the test sine (on a bin)


def _sine(a: float = A, f: float = F0, *, fs: float = FS, n: int = 4000, offset: float = 0.0):
    return a * np.sin(2 * np.pi * f * np.arange(n) / fs) + offset  # whole periods


def _harmonics(f0: float, amps: dict[float, float], *, fs: float = FS, n: int = N) -> np.ndarray:
    t = np.arange(n) / fs
    return sum(a * np.sin(2 * np.pi * k * f0 * t + k) for k, a in amps.items())


def _peak_of(result) -> tuple[float, float]:
    freqs, amp = result
    k = int(np.argmax(amp))
    return float(freqs[k]), float(amp[k])


#: E|sin|^(1/2) over a period: Γ(3/4) / (√π Γ(5/4)).
_MEAN_SQRT_SINE = gamma(0.75) / (math.sqrt(math.pi) * gamma(1.25))

KNOWN: list[tuple[str, Callable[[], Any], Any, float]] = [
    # (what, call, expected, relative tolerance)
    ("mean of a sine + 0.7", lambda: F.mean(_sine(offset=0.7)), 0.7, 1e-9),
    ("rms of a sine", lambda: F.rms(_sine(offset=0.7)), A / math.sqrt(2), 1e-9),
    ("peak of a sine", lambda: F.peak(_sine()), A, 1e-9),
    ("peak-to-peak of a sine", lambda: F.peak_to_peak(_sine()), 2 * A, 1e-9),
    ("crest factor of a sine", lambda: F.crest_factor(_sine()), math.sqrt(2), 1e-9),
    ("kurtosis of a sine", lambda: F.kurtosis(_sine()), 1.5, 1e-9),
    (
        "impulse factor of a sine",
        lambda: F.impulse_factor(_sine(fs=1e5, n=100_000)),
        math.pi / 2,
        1e-3,
    ),
    (
        "shape factor of a sine",
        lambda: F.shape_factor(_sine(fs=1e5, n=100_000)),
        math.pi / (2 * math.sqrt(2)),
        1e-3,
    ),
    (
        "clearance factor of a sine",
        lambda: F.clearance_factor(_sine(fs=1e5, n=100_000)),
        1 / _MEAN_SQRT_SINE**2,
        2e-3,
    ),
    (
        "time_features of a sine: rms, crest, kurtosis",
        lambda: F.time_features(_sine())[0][[1, 4, 5]],
        [A / math.sqrt(2), math.sqrt(2), 1.5],
        1e-9,
    ),
    (
        "amplitude spectrum peak of a sine",
        lambda: _peak_of(F.amplitude_spectrum(_sine(), fs=FS)),
        (F0, A),
        1e-3,
    ),
    (
        "velocity RMS of a sine (mm/s)",
        lambda: F.velocity_rms(_sine(10.0, F0), fs=FS),
        10.0 / (2 * math.pi * F0) / math.sqrt(2) * 1000.0,
        0.01,
    ),
    ("spectral centroid of a sine", lambda: F.spectral_centroid(_sine(), fs=FS), F0, 0.01),
    (
        "band power of a sine",
        lambda: F.band_power_fraction(_sine(), fs=FS, bands=BANDS),
        [1.0, 0.0, 0.0],
        1e-3,
    ),
    (
        "envelope spectrum of a 30 Hz AM carrier, depth 0.5",
        lambda: _peak_of(
            F.envelope_spectrum(
                (1 + 0.5 * np.cos(2 * np.pi * 30.0 * np.arange(2000) / FS))
                * np.sin(2 * np.pi * 200.0 * np.arange(2000) / FS),
                fs=FS,
                band=(150.0, 250.0),
            )
        ),
        (30.0, 0.5),
        0.05,
    ),
    (
        "order amplitudes of a harmonic series",
        lambda: F.order_amplitudes(
            _harmonics(SHAFT, {0.5: 0.3, 1: 1.0, 2: 0.6, 3: 0.2}),
            fs=FS,
            speed_hz=SHAFT,
            orders=(0.5, 1, 2, 3),
        ),
        [0.3, 1.0, 0.6, 0.2],
        0.01,
    ),
    (
        "running speed of a harmonic series",
        lambda: F.estimate_running_speed(
            _harmonics(SHAFT, {1: 1.0, 2: 0.5, 3: 0.3, 4: 0.2}), fs=FS
        ),
        SHAFT,
        2e-3,
    ),
    (
        "running speed of 4 channels of a harmonic series",
        lambda: F.estimate_running_speed(
            np.stack([_harmonics(SHAFT, {1: g, 2: 0.5, 3: 0.3}) for g in (1.0, 0.7, 1.3, 0.9)]),
            fs=FS,
        ),
        SHAFT,
        2e-3,
    ),
    (
        "extract_features of a 1x sine: order_1x, rel_1x, vel_rms, speed",
        lambda: _named(
            F.extract_features(_harmonics(SHAFT, {1: A})[None, None], fs=FS, speed_hz=SHAFT),
            ["s1_order_1x", "s1_rel_1x", "s1_vel_rms", "speed_hz"],
        ),
        [A, math.sqrt(2), A / (2 * math.pi * SHAFT) / math.sqrt(2) * 1000.0, SHAFT],
        0.02,
    ),
    (
        "order profile of a 1x sine: speed and 1x",
        lambda: _profile_1x(
            F.order_profile(_harmonics(SHAFT, {1: A, 2: 0.4})[None], fs=FS, window=1024)
        ),
        [SHAFT, A],
        0.01,
    ),
]


def _named(result, names: list[str]) -> np.ndarray:
    values, columns = result
    return np.array([values[0, columns.index(n)] for n in names])


def _profile_1x(p: dict) -> list[float]:
    return [p["speed_hz"], float(p["orders"][0, list(F.EXPLAIN_ORDERS).index(1.0)])]


@pytest.mark.parametrize(("what", "call", "expected", "rel"), KNOWN, ids=[k[0] for k in KNOWN])
def test_known_signals_give_known_answers(what, call, expected, rel):
    got = np.asarray(call(), dtype=np.float64)
    np.testing.assert_allclose(got, expected, rtol=rel, atol=rel * 1e-3, err_msg=what)


@pytest.mark.parametrize("label", ["outer_race", "inner_race", "ball"])
def test_impacts_at_a_defect_frequency_score_highest_there(label):
    defect = {"outer_race": "bpfo", "inner_race": "bpfi", "ball": "bsf"}[label]
    x = bearing_signal(label, rpm=SHAFT * 60, seconds=1.0)
    kw = {"fs": BEARING_FS, "shaft_hz": SHAFT, "geometry": SKF_6205}
    scores, names = F.defect_scores(x, **kw)
    assert names[int(np.argmax(scores))] == f"score_{defect}", dict(zip(names, scores, strict=True))
    found = F.strongest_defect(x, **kw)
    assert found["defect"] == defect and found["fault"] == label
    # a ball strikes both races once per spin: its lines are at 2 BSF, BSF's 2nd harmonic
    env, env_names = F.bearing_envelope_features(x, **kw, band=(1500.0, 4500.0))
    best = env_names[int(np.nanargmax(env))]
    assert best == (f"env_{defect}_1" if label != "ball" else "env_bsf_2"), best
