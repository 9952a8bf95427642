"""Datasets from KAMP folders and manifests, and training / diagnosing through a manifest."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from rotordx.cli import app
from rotordx.data.dataset import Dataset, kamp_signals, load_data, resample_recording
from rotordx.data.splits import WindowConfig, all_windows, split_dataset
from rotordx.exceptions import DataError
from rotordx.io import Recording

runner = CliRunner()


def test_kamp_dataset_equals_class_signals(small_group_dir):
    ds = load_data(small_group_dir)
    assert ds.classes == ("normal", "type1", "type2", "type3") and ds.fs == 1000.0
    cfg = WindowConfig(window=512, hop=256)
    a = split_dataset(ds, config=cfg, seed=4)
    b = split_dataset(
        Dataset.from_arrays(kamp_signals(small_group_dir), fs=1000.0), config=cfg, seed=4
    )
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x.X, y.X)
        np.testing.assert_array_equal(x.y, y.y)


def _machine(kind: str, seconds: float, fs: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * fs)) / fs
    f0 = 29.0
    x = 0.3 * np.sin(2 * np.pi * f0 * t) + 0.1 * rng.standard_normal(t.size)
    if kind == "unbalance":
        x += 1.5 * np.sin(2 * np.pi * f0 * t + 0.3)
    if kind == "loose":
        x += 0.5 * np.sin(np.pi * f0 * t) + 0.6 * np.sin(4 * np.pi * f0 * t)
    return np.vstack([x, 0.7 * x + 0.05 * rng.standard_normal(t.size)])


@pytest.fixture(scope="module")
def manifest(tmp_path_factory):
    """Three labels, CSV at 2 kHz and Parquet at 1 kHz, with conditions."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    d = tmp_path_factory.mktemp("manifest")
    lines = ["path,label,rate,condition"]
    for i, kind in enumerate(("normal", "unbalance", "loose")):
        sig = _machine(kind, 20.0, 2000.0, i)
        np.savetxt(d / f"{kind}.csv", sig.T, delimiter=",", header="a,b", comments="")
        lines.append(f"{kind}.csv,{kind},2000,A")
        sig = _machine(kind, 20.0, 1000.0, 10 + i)
        pq.write_table(pa.table({"a": sig[0], "b": sig[1]}), d / f"{kind}.parquet")
        lines.append(f"{kind}.parquet,{kind},1000,B")
    (d / "manifest.csv").write_text("\n".join(lines) + "\n")
    return d / "manifest.csv"


def test_manifest_dataset(manifest):
    ds = load_data(manifest)
    assert ds.classes == ("normal", "loose", "unbalance")
    assert ds.fs == 1000.0  # the lowest rate
    assert all(r.recording.signals.shape == (2, 20000) for r in ds.recordings)
    assert {r.condition for r in ds.recordings} == {"A", "B"}
    w = all_windows(
        ds.subset(i for i, r in enumerate(ds.recordings) if r.condition == "B"), window=1000
    )
    assert len(w) == 3 * 20 and set(w.y.tolist()) == {0, 1, 2}
    with pytest.raises(DataError, match="not among the model's classes"):
        load_data(manifest, classes=("normal", "loose"))


def test_resampling_keeps_a_sine():
    t = np.arange(0, 4, 1 / 12000)
    rec = Recording("x", np.sin(2 * np.pi * 162.0 * t)[None, :], 12000.0, ("DE",))
    out = resample_recording(rec, 1000.0)
    spec = np.abs(np.fft.rfft(out.signals[0]))
    assert out.signals.shape == (1, 4000)
    assert np.fft.rfftfreq(4000, 1e-3)[spec.argmax()] == pytest.approx(162.0, abs=0.3)
    assert out.signals[0, 200:-200].std() * np.sqrt(2) == pytest.approx(1.0, rel=0.02)


def test_train_evaluate_diagnose_through_manifest(manifest, tmp_path):
    run = tmp_path / "run"
    r = runner.invoke(
        app,
        [
            "train",
            str(manifest),
            "--model",
            "wdcnn",
            "--out",
            str(run),
            "--window",
            "512",
            "--hop",
            "256",
            "--max-epochs",
            "8",
            "--threads",
            "1",
            "--quiet",
        ],
    )
    assert r.exit_code == 0, r.output
    m = json.loads((run / "metrics.json").read_text())
    assert m["classes"] == ["normal", "loose", "unbalance"] and m["recordings"] == 6
    assert m["accuracy"] >= 0.9
    r = runner.invoke(app, ["evaluate", str(run), str(manifest), "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["accuracy"] >= 0.9
    r = runner.invoke(
        app, ["diagnose", str(run), str(manifest), "--column", "unbalance", "--no-plots", "--json"]
    )
    assert r.exit_code == 0, r.output
    verdicts = [d["verdict"] for d in json.loads(r.stdout)["diagnoses"]]
    assert verdicts == ["unbalance", "unbalance"]


def test_manifest_cwru_command(cwru_dir, tmp_path):
    out = tmp_path / "m.csv"
    r = runner.invoke(app, ["manifest", "cwru", str(cwru_dir), "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert "31 recordings" in r.output and "normal 1" in r.output
    bad = runner.invoke(app, ["manifest", "cwru", str(cwru_dir), "--labels", "x"])
    assert bad.exit_code == 1 and "--labels" in bad.output


@pytest.fixture(scope="module")
def cwru_subset(cwru_dir, tmp_path_factory):
    """A manifest of four CWRU files (one per fault type), or a skip without the data."""
    d = tmp_path_factory.mktemp("cwru")
    files = {
        "normal_0_97.mat": "normal",
        "12k_Drive_End_IR007_0_105.mat": "inner_race",
        "12k_Drive_End_B007_0_118.mat": "ball",
        "12k_Drive_End_OR007@6_0_130.mat": "outer_race",
    }
    lines = ["path,label"] + [f"{cwru_dir / f},{lab}" for f, lab in files.items()]
    (d / "m.csv").write_text("\n".join(lines) + "\n")
    return d / "m.csv"


def test_cwru_train_and_diagnose_cites_defect_frequency(cwru_subset, tmp_path):
    run = tmp_path / "run"
    r = runner.invoke(
        app,
        [
            "train",
            str(cwru_subset),
            "--model",
            "wdcnn",
            "--out",
            str(run),
            "--window",
            "2048",
            "--hop",
            "1024",
            "--max-epochs",
            "6",
            "--threads",
            "1",
            "--quiet",
        ],
    )
    assert r.exit_code == 0, r.output
    m = json.loads((run / "metrics.json").read_text())
    assert m["fs"] == 12000.0  # the 48 kHz normal recording was brought down to 12 kHz
    assert json.loads((run / "bundle.json").read_text())["input"]["bearing"] == "SKF_6205"
    r = runner.invoke(
        app,
        ["diagnose", str(run), str(cwru_subset), "--column", "inner_race", "--no-plots", "--json"],
    )
    assert r.exit_code == 0, r.output
    (d,) = json.loads(r.stdout)["diagnoses"]
    assert d["physics_verdict"] == "inner_race"
    assert any("BPFI" in e and "inner race" in e for e in d["evidence"])
