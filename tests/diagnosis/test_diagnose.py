"""Diagnosis: known signals with known answers, and verdicts on simulated recordings."""

from __future__ import annotations

import numpy as np
import pytest

from rotordx.classes import KAMP_CLASSES
from rotordx.data.dataset import Dataset
from rotordx.data.splits import WindowConfig, split_dataset
from rotordx.diagnosis.api import context_of, diagnose, load_recordings
from rotordx.diagnosis.result import Context
from rotordx.diagnosis.rules import interpret_orders
from rotordx.exceptions import DataError, ParameterError
from rotordx.features.bearing import SKF_6205
from rotordx.features.profile import healthy_baseline
from rotordx.io import read_channels
from rotordx.models import make_classifier
from rotordx.simulate import TestbedConfig, simulate_class

FS = 1000.0


def _sim(fault, *, rpm=1800.0, seconds=12.0, seed=0):
    t = np.arange(int(seconds * FS)) / FS
    return simulate_class(
        TestbedConfig(seconds=seconds + 1, rpm=rpm), fault=fault, times=t, seed=seed
    ).T  # (4, n)


def test_pure_1x_sine_reads_as_unbalance_like():
    f0 = 30.0
    t = np.arange(8192) / FS
    x = 2.0 * np.sin(2 * np.pi * f0 * t)[None, :]
    from rotordx.features.profile import order_profile

    prof = order_profile(x, fs=FS, window=1024, speed_hz=f0)
    orders = {
        f"{o:g}x": float(a) for o, a in zip((0.5, 1, 1.5, 2, 3), prof["orders"][0], strict=True)
    }
    assert orders["1x"] == pytest.approx(2.0, rel=0.02)
    kinds = {f.kind for f in interpret_orders(orders, sensor="s1")}
    assert kinds == {"unbalance"}


def test_half_orders_read_as_looseness_like():
    t = np.arange(8192) / FS
    f0 = 25.0
    x = (
        np.sin(2 * np.pi * f0 * t)
        + 0.4 * np.sin(2 * np.pi * 0.5 * f0 * t)
        + 0.6 * np.sin(2 * np.pi * 2 * f0 * t)
    )[None, :]
    from rotordx.features.profile import order_profile

    prof = order_profile(x, fs=FS, window=1024, speed_hz=f0)
    orders = {
        f"{o:g}x": float(a) for o, a in zip((0.5, 1, 1.5, 2, 3), prof["orders"][0], strict=True)
    }
    assert "looseness" in {f.kind for f in interpret_orders(orders, sensor="s1")}


def test_baseline_rules_on_simulated_machines():
    base = healthy_baseline(_sim("normal"), fs=FS, window=1024)
    expected = {
        "normal": set(),
        "type1": {"unbalance"},
        "type2": {"looseness"},
        "type3": {"unbalance", "looseness"},
    }
    from rotordx.features.profile import order_profile

    for fault, kinds in expected.items():
        prof = order_profile(_sim(fault, rpm=1650.0, seed=3), fs=FS, window=1024)
        found = set()
        for j in range(4):
            orders = {
                k: float(prof["orders"][j, i])
                for i, k in enumerate(("0.5x", "1x", "1.5x", "2x", "3x"))
            }
            b = {k: v[j] for k, v in base["orders"].items()}
            found |= {f.kind for f in interpret_orders(orders, sensor=f"s{j + 1}", baseline=b)}
        assert found == kinds, fault


@pytest.fixture(scope="module")
def feature_bundle(tmp_path_factory):
    """A features model trained at 1800 rpm, loaded back from its bundle."""
    from rotordx.classes import KAMP_CLASSES
    from rotordx.models.bundle import save_bundle
    from rotordx.models.loading import load_model

    signals = np.stack([_sim(c, seconds=40.0) for c in KAMP_CLASSES])
    wcfg = WindowConfig(window=1024, hop=512)
    tr, va, _ = split_dataset(Dataset.from_arrays(signals, fs=1000.0), config=wcfg, seed=0)
    clf = make_classifier("features", fs=FS, n_estimators=60)
    clf.fit(tr, va, seed=0)
    spec = {
        "fs": FS,
        "window": 1024,
        "hop": 512,
        "n_channels": 4,
        "baseline": healthy_baseline(signals[0][:, :20000], fs=FS, window=1024),
    }
    d = tmp_path_factory.mktemp("bundle")
    save_bundle(d, classifier=clf, classes=KAMP_CLASSES, input=spec)
    return load_model(d)


@pytest.mark.parametrize("fault", ["normal", "type1", "type2", "type3"])
def test_verdict_at_unseen_speed(feature_bundle, fault):
    from rotordx.io import Recording

    rec = Recording(
        name=fault,
        signals=_sim(fault, rpm=1650.0, seconds=10.0, seed=11),
        fs=FS,
        channel_names=("s1", "s2", "s3", "s4"),
    )
    d = diagnose(rec, model=feature_bundle)
    assert d.verdict == fault
    assert d.model["physics_verdict"] == fault and d.model["physics_agrees"]
    assert d.speed_hz * 60 == pytest.approx(1650, rel=0.02)
    assert d.rpm_source == "estimated"
    assert len(d.model["segments"]) == 9
    assert all(s["zone"] in "ABCD" for s in d.sensors)
    out = d.to_dict()
    assert out["evidence"] and out["summary"]
    if fault in ("type1", "type3"):
        assert any("1x" in e and "healthy baseline" in e for e in out["evidence"])


def test_generic_csv_with_time_column_and_resampling(tmp_path):
    t = np.arange(0, 5, 1 / 2000.0)
    x = np.sin(2 * np.pi * 30 * t)
    p = tmp_path / "rec.csv"
    np.savetxt(p, np.column_stack([t, x, 2 * x]), delimiter=",", header="time,a,b", comments="")
    rec = read_channels(p)
    assert rec.fs == pytest.approx(2000.0) and rec.channel_names == ("a", "b")
    (lab,) = load_recordings(p, fs=1000.0)
    res = lab.recording
    assert lab.rpm is None and lab.label is None
    assert res.fs == 1000.0 and res.signals.shape == (2, 5000)
    spec = np.abs(np.fft.rfft(res.signals[1]))
    assert np.fft.rfftfreq(5000, 1e-3)[spec.argmax()] == pytest.approx(30.0, abs=0.3)


# -- block-by-block diagnosis (bounded memory) -------------------------------------------


@pytest.fixture(scope="module")
def seed_bundle(small_group_dir, tmp_path_factory):
    """A one-epoch dnn (seed protocol) run, loaded back."""
    from typer.testing import CliRunner

    from rotordx.cli import app
    from rotordx.models.loading import load_model
    from support import SMALL_SPLIT

    out = tmp_path_factory.mktemp("seed_run") / "dnn"
    args = ["train", str(small_group_dir), "--model", "dnn", "--out", str(out)]
    args += ["--max-epochs", "1", "--split", SMALL_SPLIT, "--threads", "1", "--quiet"]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    return load_model(out, threads=1)


def _streamed(bundle, rec, sizes, **kw):
    """Diagnose ``rec`` fed in blocks of the given sizes (cycled), counting the passes."""
    from rotordx.diagnosis.engine import Diagnoser, run_passes

    ctx = Context(rpm=kw.get("rpm"), bearing=kw.get("bearing"))
    d = Diagnoser(
        bundle,
        name=rec.name,
        fs=rec.fs,
        channel_names=rec.channel_names,
        context=ctx,
        length=None if bundle is not None else rec.signals.shape[1],
    )
    passes = []

    def blocks():
        passes.append(1)
        a, i, n = 0, 0, rec.signals.shape[1]
        while a < n:
            b = min(n, a + sizes[i % len(sizes)])
            yield [rec.signals[:, a:b]]
            a, i = b, i + 1

    (out,) = run_passes([d], blocks)
    return out, len(passes)


def _assert_same(a, b):
    x, y = a.to_dict(), b.to_dict()
    assert x["verdict"] == y["verdict"] and x["physics"] == y["physics"]
    if x["model"] is not None:
        mx, my = x["model"], y["model"]
        assert mx["physics_verdict"] == my["physics_verdict"]
        assert [s["label"] for s in mx["segments"]] == [s["label"] for s in my["segments"]]
        for s, t in zip(mx["segments"], my["segments"], strict=True):
            assert s["start_s"] == t["start_s"]
            assert s["probability"] == pytest.approx(t["probability"], abs=1e-6)
        for c, p in mx["class_probabilities"].items():
            assert p == pytest.approx(my["class_probabilities"][c], abs=1e-6)
    assert a.speed_hz == pytest.approx(b.speed_hz, rel=1e-12)
    for s, t in zip(x["sensors"], y["sensors"], strict=True):
        for key in ("vel_rms_mm_s", "kurtosis", "crest"):
            assert s[key] == pytest.approx(t[key], rel=1e-12)
        for o, v in s["orders"].items():
            assert v == pytest.approx(t["orders"][o], rel=1e-12)
    assert x["evidence"] == y["evidence"]
    if a.spectrum is not None:
        assert np.array_equal(a.spectrum[0], b.spectrum[0])
        np.testing.assert_allclose(a.spectrum[1], b.spectrum[1], rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize(
    ("which", "rpm", "bearing"),
    [
        ("window", None, None),
        ("window", 1650.0, None),
        ("window", None, "SKF_6205"),
        ("seed", None, None),
        ("seed", 1650.0, "SKF_6205"),
    ],
)
def test_block_by_block_equals_whole(feature_bundle, seed_bundle, which, rpm, bearing):
    from rotordx.io import Recording

    bundle = feature_bundle if which == "window" else seed_bundle
    rec = Recording(
        name="r",
        signals=_sim("type3", rpm=1650.0, seconds=9.5, seed=5),
        fs=FS,
        channel_names=("s1", "s2", "s3", "s4"),
    )
    whole = diagnose(rec, model=bundle, context=Context(rpm=rpm, bearing=bearing))
    # the whole-array physics, computed independently of the block engine
    from rotordx.features import (
        amplitude_spectrum,
        estimate_running_speed,
        order_amplitudes,
        strongest_defect,
    )
    from rotordx.features.profile import EXPLAIN_ORDERS, order_profile
    from rotordx.signal.framing import frame

    wins = frame(rec.signals, window=1024, hop=1024)
    speed = rpm / 60 if rpm else float(np.median(estimate_running_speed(wins, fs=FS)))
    orders = np.nanmedian(
        order_amplitudes(wins, fs=FS, speed_hz=speed, orders=EXPLAIN_ORDERS), axis=0
    )
    assert whole.speed_hz == speed
    np.testing.assert_array_equal([list(s["orders"].values()) for s in whole.sensors], orders)
    prof = order_profile(rec.signals, fs=FS, window=1024, speed_hz=rpm / 60 if rpm else None)
    assert prof["speed_hz"] == speed
    np.testing.assert_array_equal(prof["orders"], orders)
    freqs, amp = amplitude_spectrum(frame(rec.signals, window=4000, hop=4000), fs=FS)
    assert np.array_equal(whole.spectrum[0], freqs)
    np.testing.assert_allclose(whole.spectrum[1], amp.mean(axis=0), rtol=1e-12)
    if bearing:
        # the band: a kurtogram of the first 2 s of every channel, wide enough for 3 harmonics
        from rotordx.features.bearing import defect_multipliers
        from rotordx.features.envelope import auto_band, envelope_min_width

        width = envelope_min_width(rpm / 60 if rpm else 60.0, defect_multipliers(SKF_6205))
        band = auto_band(rec.signals[:, : 2 * int(FS)], FS, width)
        assert whole.findings[0].kind == "bearing"
        ref = strongest_defect(
            rec.signals[0], fs=FS, shaft_hz=whole.speed_hz, geometry=SKF_6205, band=band
        )
        assert whole.findings[0].statement == ref["explanation"]
    for sizes in ([1], [333, 1024, 7, 5000], [4096]):
        if sizes == [1] and which == "seed":
            sizes = [97]  # one sample at a time is slow through the seed model
        out, passes = _streamed(bundle, rec, sizes, rpm=rpm, bearing=bearing)
        _assert_same(out, whole)
        assert passes == (1 if rpm else 2)  # the orders wait for the median speed


def test_short_recordings_are_rejected_clearly(feature_bundle, seed_bundle):
    from rotordx.io import Recording

    sig = _sim("normal", seconds=3.0)
    rec = Recording(name="tiny", signals=sig[:, :200], fs=FS, channel_names=("a", "b", "c", "d"))
    with pytest.raises(DataError, match=r"tiny: 200 samples, shorter than one window of 1024"):
        diagnose(rec, model=feature_bundle)
    # shorter than the window but long enough for its physics: one window padded with its
    # mean (as in training), the same answer as that padded window given whole
    rec = Recording(name="snap", signals=sig[:, :1000], fs=FS, channel_names=("a", "b", "c", "d"))
    d = diagnose(rec, model=feature_bundle, spectrum=False)
    assert len(d.model["segments"]) == 1
    assert d.model["segments"][0]["end_s"] == pytest.approx(1000 / FS)
    pad = np.repeat(sig[:, :1000].mean(axis=1, keepdims=True), 24, axis=1)
    p = feature_bundle.classifier.predict_proba(
        np.concatenate([sig[:, :1000], pad], axis=1)[None].astype(np.float32)
    )[0]
    assert d.model["class_probabilities"] == pytest.approx(
        dict(zip(feature_bundle.classes, p.tolist(), strict=True))
    )
    rec = Recording(name="tiny", signals=sig[:, :1030], fs=FS, channel_names=("a", "b", "c", "d"))
    with pytest.raises(DataError, match=r"shorter than one segment of 1024 samples \(plus 14"):
        diagnose(rec, model=seed_bundle)
    # a recording shorter than one plot frame (4 s) plots its whole length
    rec = Recording(name="short", signals=sig[:, :2500], fs=FS, channel_names=("a", "b", "c", "d"))
    d = diagnose(rec, model=feature_bundle, context=Context(bearing="SKF_6205"))
    assert d.spectrum[1].shape[0] == 4 and len(d.model["segments"]) == 2


def test_diagnose_path_streams_a_kamp_folder(seed_bundle, small_group_dir, tmp_path):
    from rotordx.diagnosis.api import diagnose_path
    from rotordx.render.diagnosis import diagnosis_figure
    from rotordx.render.figures import save_png

    streamed = diagnose_path(small_group_dir, model=seed_bundle)
    recs = load_recordings(small_group_dir, fs=FS)
    whole = [diagnose(r.recording, model=seed_bundle, context=context_of(r)) for r in recs]
    assert [d.path for d in streamed] == [d.path for d in whole]
    assert [d.label for d in streamed] == list(KAMP_CLASSES)
    for a, b in zip(streamed, whole, strict=True):
        _assert_same(a, b)
    (one,) = diagnose_path(small_group_dir, model=seed_bundle, column="type1", spectrum=False)
    _assert_same(one, whole[1])
    assert one.spectrum is None
    with pytest.raises(ParameterError, match="without spectrum=True"):
        diagnosis_figure(one)
    png = save_png(diagnosis_figure(streamed[1]), tmp_path / "x.png")
    assert png.stat().st_size > 10_000


def test_known_rpm_reads_a_kamp_folder_once(seed_bundle, small_group_dir, monkeypatch):
    from rotordx.data.kamp_grid import GroupStream
    from rotordx.diagnosis.api import diagnose_path

    reads = []
    blocks = GroupStream.blocks

    def counted(self):
        reads.append(1)
        return blocks(self)

    monkeypatch.setattr(GroupStream, "blocks", counted)
    streamed = diagnose_path(small_group_dir, model=seed_bundle, rpm=1790.0, spectrum=False)
    assert len(reads) == 1  # no speed to estimate: one pass
    recs = load_recordings(small_group_dir, fs=FS)
    for d, r in zip(streamed, recs, strict=True):
        assert d.speed_hz == pytest.approx(1790.0 / 60)
        ctx = Context(rpm=1790.0, rpm_source="given")
        _assert_same(d, diagnose(r.recording, model=seed_bundle, context=ctx, spectrum=False))
        assert d.rpm_source == "given"
    reads.clear()
    diagnose_path(small_group_dir, model=seed_bundle, column="normal", spectrum=False)
    assert len(reads) == 2
    with pytest.raises(ParameterError, match="rpm must be a positive number"):
        diagnose_path(small_group_dir, model=seed_bundle, rpm=-5.0)
