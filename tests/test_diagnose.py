"""Diagnosis: known signals with known answers, and verdicts on simulated recordings."""

from __future__ import annotations

import numpy as np
import pytest

from rotordx.diagnose import diagnose, healthy_baseline, interpret_orders, load_recordings
from rotordx.exceptions import DataError
from rotordx.io import read_channels
from rotordx.models import make_classifier
from rotordx.simulate import TestbedConfig, simulate_class
from rotordx.windows import WindowConfig, window_split

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
    from rotordx.diagnose import order_profile

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
    from rotordx.diagnose import order_profile

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
    from rotordx.diagnose import order_profile

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
    from rotordx.bundle import load_bundle, save_bundle
    from rotordx.io import CLASSES

    signals = np.stack([_sim(c, seconds=40.0) for c in CLASSES])
    wcfg = WindowConfig(window=1024, hop=512)
    tr, va, _ = window_split(signals, config=wcfg, seed=0)
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
    save_bundle(d, classifier=clf, classes=CLASSES, input=spec)
    return load_bundle(d)


@pytest.mark.parametrize("fault", ["normal", "type1", "type2", "type3"])
def test_verdict_at_unseen_speed(feature_bundle, fault):
    from rotordx.io import Recording

    rec = Recording(
        name=fault,
        signals=_sim(fault, rpm=1650.0, seconds=10.0, seed=11),
        fs=FS,
        channel_names=("s1", "s2", "s3", "s4"),
    )
    d = diagnose(feature_bundle, rec)
    assert d.verdict == fault
    assert d.physics_verdict == fault and d.agrees
    assert d.speed_hz * 60 == pytest.approx(1650, rel=0.02)
    assert len(d.segments) == 9
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
    ((res, rpm),) = load_recordings(p, fs=1000.0)
    assert rpm is None
    assert res.fs == 1000.0 and res.signals.shape == (2, 5000)
    spec = np.abs(np.fft.rfft(res.signals[1]))
    assert np.fft.rfftfreq(5000, 1e-3)[spec.argmax()] == pytest.approx(30.0, abs=0.3)


@pytest.mark.parametrize(
    ("name", "text", "kwargs", "pattern"),
    [
        ("a.csv", "1,2\n3,4\n", {}, "give the sample rate with --rate"),
        ("a.csv", "", {}, "file is empty"),
        ("a.xls", "1,2\n", {"rate": 10.0}, "unknown extension '.xls'"),
        ("a.csv", "time,a\n0,1\n0,2\n", {}, "time does not increase"),
        ("a.csv", "a,b\n1,x\n", {"rate": 10.0}, "column 'b'"),
    ],
)
def test_generic_reader_errors(tmp_path, name, text, kwargs, pattern):
    p = tmp_path / name
    p.write_text(text)
    with pytest.raises(DataError, match=pattern):
        read_channels(p, **kwargs)
