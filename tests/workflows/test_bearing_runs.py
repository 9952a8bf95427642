"""Training and diagnosing with the bearing model on CWRU-like files, windows in revolutions."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from rotordx.cli import app
from rotordx.models.loading import load_model


def test_train_and_diagnose_with_the_bearing_model(cwru_like_dir, tmp_path):
    run = tmp_path / "run"
    res = CliRunner().invoke(
        app,
        [
            "train",
            str(cwru_like_dir),
            "--model",
            "bearing",
            "--window",
            "6000",
            "--hop",
            "1500",
            "--out",
            str(run),
            "--quiet",
        ],
    )
    assert res.exit_code == 0, res.output
    bundle = load_model(run)
    assert bundle.model_name == "bearing"
    assert bundle.input["bearing"] == "SKF_6205"
    res = CliRunner().invoke(
        app,
        [
            "diagnose",
            str(cwru_like_dir / "12k_Drive_End_IR014_0_104.mat"),
            "--model",
            str(run),
            "--no-plots",
        ],
    )
    assert res.exit_code == 0, res.output
    assert "inner" in res.output.lower()
    # a known speed (a tachometer's) replaces the file's own
    mat = str(cwru_like_dir / "12k_Drive_End_IR014_0_104.mat")
    res = CliRunner().invoke(
        app,
        ["diagnose", mat, "--model", str(run), "--rpm", "1700", "--json", "--quiet", "--no-plots"],
    )
    assert res.exit_code == 0, res.output
    (d,) = json.loads(res.stdout)["recordings"]
    assert d["rpm"] == pytest.approx(1700.0) and d["rpm_source"] == "given"
    res = CliRunner().invoke(
        app, ["diagnose", mat, "--model", str(run), "--rpm", "0", "--no-plots"]
    )
    assert res.exit_code == 1 and "rpm must be a positive number" in res.output


def test_train_with_windows_in_revolutions(cwru_like_dir, tmp_path):
    run = tmp_path / "rev"
    args = ["train", str(cwru_like_dir), "--model", "bearing", "--revolutions", "12"]
    res = CliRunner().invoke(app, [*args, "--out", str(run), "--quiet"])
    assert res.exit_code == 0, res.output
    # 12 turns at the median speed (most files run at 1797 rpm), at the common 12 kHz
    spec = load_model(run).input
    assert spec["window"] == round(12 * 60 / 1797.0 * 12000) == 4808
    assert spec["hop"] == 4808 // 4
    res = CliRunner().invoke(app, [*args, "--hop", "1000", "--out", str(run), "--force"])
    assert res.exit_code == 0, res.output
    assert load_model(run).input["hop"] == 1000
    res = CliRunner().invoke(
        app, ["train", str(cwru_like_dir), "--model", "dnn", "--revolutions", "5"]
    )
    assert res.exit_code == 1 and "seed protocol" in res.output
