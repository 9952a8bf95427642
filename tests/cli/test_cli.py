"""End-to-end runs of the ``rotordx`` command on small simulated data."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from rotordx.cli import app
from support import SMALL_SPLIT

runner = CliRunner()

FAST = ["--max-epochs", "3", "--patience", "3", "--split", SMALL_SPLIT, "--threads", "1"]


def _ok(args):
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return result


def test_simulate_writes_kamp_files(tmp_path):
    _ok(["simulate", str(tmp_path), "--seconds", "2", "--group", "7", "--seed", "5"])
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == [f"g7_sensor{i}.csv" for i in range(1, 5)]
    periods = []
    for i in range(1, 5):
        data = np.loadtxt(tmp_path / f"g7_sensor{i}.csv", delimiter=",")
        assert data.shape[1] == 5
        assert data[0, 0] == 0.0 and data[-1, 0] >= 2.0
        periods.append(np.median(np.diff(data[:, 0])))
    np.testing.assert_allclose(periods, [0.000736, 0.000760, 0.000714, 0.000761], rtol=0.01)


@pytest.fixture(scope="module")
def trained_run(small_group_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "dnn"
    result = _ok(
        [
            "train",
            str(small_group_dir),
            "--model",
            "dnn",
            "--out",
            str(out),
            "--seed",
            "1",
            "--quiet",
            *FAST,
        ]
    )
    assert "test accuracy" in result.output
    return out


def test_train_writes_run_folder(trained_run):
    names = {p.name for p in trained_run.iterdir()}
    assert {
        "model.safetensors",
        "bundle.json",
        "metrics.json",
        "timing.json",
        "loss_curve.png",
        "confusion_matrix.png",
    } <= names
    assert not any(n.endswith(".pkl") or n.endswith(".pt") for n in names)
    m = json.loads((trained_run / "metrics.json").read_text())
    assert m["model"] == "dnn"
    assert m["classes"] == ["normal", "type1", "type2", "type3"]
    cm = np.array(m["confusion_matrix"])
    assert cm.shape == (4, 4) and (cm.sum(axis=1) == 1000).all()
    assert m["accuracy"] == pytest.approx(np.trace(cm) / cm.sum())
    assert 1 <= m["best_epoch"] <= m["epochs_run"] <= 3
    assert len(m["history"]["train_loss"]) == m["epochs_run"]
    assert len(m["history"]["valid_accuracy"]) == m["epochs_run"]
    for png in ("loss_curve.png", "confusion_matrix.png"):
        assert (trained_run / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_same_seed_same_metrics(small_group_dir, trained_run, tmp_path):
    out = tmp_path / "again"
    _ok(
        [
            "train",
            str(small_group_dir),
            "--model",
            "dnn",
            "--out",
            str(out),
            "--seed",
            "1",
            "--quiet",
            *FAST,
        ]
    )
    assert (out / "metrics.json").read_text().replace(str(out), "") == (
        trained_run / "metrics.json"
    ).read_text().replace(str(trained_run), "")


def test_existing_run_needs_force(small_group_dir, trained_run):
    before = (trained_run / "metrics.json").read_text()
    result = runner.invoke(
        app, ["train", str(small_group_dir), "--out", str(trained_run), "--quiet", *FAST]
    )
    assert result.exit_code == 1
    assert "already exists" in result.output and "--force" in result.output
    assert (trained_run / "metrics.json").read_text() == before


def test_evaluate_json(trained_run, other_group_dir):
    result = _ok(["evaluate", str(trained_run), str(other_group_dir), "--json"])
    m = json.loads(result.stdout)
    assert m["model"] == "dnn"
    assert m["n_samples"] % 4 == 0 and m["n_samples"] // 4 >= 11_986  # whole recording
    assert np.array(m["confusion_matrix"]).sum() == m["n_samples"]
    assert 0.0 <= m["accuracy"] <= 1.0
    table = _ok(["evaluate", str(trained_run), str(other_group_dir)])
    assert "confusion matrix" in table.output and "normal" in table.output


def test_evaluate_on_parquet_matches_folder(trained_run, other_group_dir, tmp_path):
    pq = tmp_path / "other.parquet"
    _ok(["preprocess", str(other_group_dir), str(pq)])
    a = json.loads(_ok(["evaluate", str(trained_run), str(other_group_dir), "--json"]).stdout)
    b = json.loads(_ok(["evaluate", str(trained_run), str(pq), "--json"]).stdout)
    assert a["confusion_matrix"] == b["confusion_matrix"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["train", "{missing}", "--out", "{tmp}/r"], "no such file or folder"),
        (["train", "{empty}", "--out", "{tmp}/r"], "no KAMP group found"),
        (
            ["train", "{data}", "--model", "svm", "--out", "{tmp}/r", "--split", "3000,1000,1000"],
            "unknown model 'svm'",
        ),
        (["train", "{data}", "--out", "{tmp}/r"], "the split 60000/20000/20000 needs 100000"),
        (["train", "{data}", "--out", "{tmp}/r", "--split", "1,2"], "--split must be three"),
        (["evaluate", "{tmp}", "{data}"], "bundle.json is missing"),
        (["preprocess", "{data}", "{tmp}/x.csv"], "must end in .parquet"),
        (["simulate", "{tmp}/s", "--rpm", "-5"], "rpm"),
    ],
)
def test_errors_are_one_line_and_nonzero(args, message, small_group_dir, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    fmt = {
        "missing": str(tmp_path / "missing"),
        "empty": str(empty),
        "tmp": str(tmp_path),
        "data": str(small_group_dir),
    }
    result = runner.invoke(app, [a.format(**fmt) for a in args])
    assert result.exit_code == 1, result.output
    assert "error:" in result.output and message in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "r").exists()


def test_help_does_not_import_torch():
    code = (
        "import sys; from rotordx.cli import app; from typer.testing import CliRunner; "
        "r = CliRunner().invoke(app, ['--help']); assert r.exit_code == 0; "
        "print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.fixture(scope="module")
def feature_run(small_group_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "features"
    result = _ok(
        [
            "train",
            str(small_group_dir),
            "--model",
            "features",
            "--out",
            str(out),
            "--window",
            "512",
            "--hop",
            "256",
            "--quiet",
        ]
    )
    assert "window protocol" in result.output
    return out


def test_train_windowed_writes_run_folder(feature_run):
    m = json.loads((feature_run / "metrics.json").read_text())
    assert m["protocol"] == "window" and m["model"] == "features"
    assert m["window"]["window"] == 512 and m["window"]["gap"] >= 512
    assert m["accuracy"] >= 0.9
    assert len(m["top_features"]) == 15
    assert (feature_run / "feature_importance.png").is_file()
    assert (feature_run / "confusion_matrix.png").is_file()
    bundle = json.loads((feature_run / "bundle.json").read_text())
    assert bundle["protocol"] == "window" and "baseline" in bundle["input"]


def test_evaluate_windowed(feature_run, other_group_dir):
    m = json.loads(_ok(["evaluate", str(feature_run), str(other_group_dir), "--json"]).stdout)
    assert m["protocol"] == "window" and m["accuracy"] >= 0.9


def test_diagnose_kamp_folder(feature_run, other_group_dir, tmp_path):
    result = _ok(
        [
            "diagnose",
            str(other_group_dir),
            "--model",
            str(feature_run),
            "--json",
            "--plots",
            str(tmp_path / "plots"),
        ]
    )
    out = json.loads(result.stdout)
    verdicts = {d["path"].rsplit(":", 1)[1]: d["verdict"] for d in out["recordings"]}
    assert verdicts == {c: c for c in ("normal", "type1", "type2", "type3")}
    assert [d["label"] for d in out["recordings"]] == ["normal", "type1", "type2", "type3"]
    for d in out["recordings"]:
        assert d["evidence"] and (tmp_path / "plots").is_dir()
        assert Path(d["plot"]).read_bytes()[:4] == b"\x89PNG"
    text = _ok(
        ["diagnose", str(other_group_dir), "--model", str(feature_run), "--column", "type1",
         "--no-plots"]
    ).output  # fmt: skip
    assert "type1 (unbalance)" in text and "healthy baseline" in text and "zone" in text


def test_report_command(small_group_dir, tmp_path):
    out = tmp_path / "r.html"
    result = _ok(["report", str(small_group_dir), "--out", str(out), "--window", "512", "--quiet"])
    assert "wrote" in result.output
    assert out.read_text().startswith("<!DOCTYPE html>")
    bad = runner.invoke(app, ["report", str(small_group_dir), "--out", str(tmp_path / "r.pdf")])
    assert bad.exit_code == 1 and "ending in .html" in bad.output


def test_manifest_cwru_command(cwru_dir, tmp_path):
    out = tmp_path / "m.csv"
    r = runner.invoke(app, ["manifest", "cwru", str(cwru_dir), "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert "31 recordings" in r.output and "normal 1" in r.output
    bad = runner.invoke(app, ["manifest", "cwru", str(cwru_dir), "--labels", "x"])
    assert bad.exit_code == 1 and "--labels" in bad.output
