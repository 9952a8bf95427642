"""Training, evaluating and diagnosing through a manifest of recordings (CSV, Parquet, .mat)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from rotordx.cli import app
from support import write_machine_manifest

runner = CliRunner()


@pytest.fixture(scope="module")
def manifest(tmp_path_factory):
    """Three labels, CSV at 2 kHz and Parquet at 1 kHz, with conditions."""
    return write_machine_manifest(tmp_path_factory.mktemp("manifest"))


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
        app,
        ["diagnose", str(manifest), "--model", str(run), "--column", "unbalance", "--no-plots",
         "--json"],
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)["recordings"]
    assert [d["verdict"] for d in out] == ["unbalance", "unbalance"]
    assert [d["label"] for d in out] == ["unbalance", "unbalance"]


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
        ["diagnose", str(cwru_subset), "--model", str(run), "--column", "inner_race",
         "--no-plots", "--json"],
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    (d,) = json.loads(r.stdout)["recordings"]
    assert d["model"]["physics_verdict"] == "inner_race" and d["rpm_source"] == "file"
    assert any("BPFI" in e and "inner race" in e for e in d["evidence"])
