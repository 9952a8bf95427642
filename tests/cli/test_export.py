"""``rotordx export`` and the exported model through ``evaluate`` and ``diagnose``."""

from __future__ import annotations

import json
import subprocess
import sys

import onnx
import pytest
from typer.testing import CliRunner

from rotordx.cli import app
from support import SMALL_SPLIT

runner = CliRunner()


def _ok(args):
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture(scope="module")
def cli_runs(small_group_dir, tmp_path_factory):
    root = tmp_path_factory.mktemp("cli_onnx")
    win = ["--window", "512", "--hop", "256", "--max-epochs", "1", "--threads", "1", "--quiet"]
    _ok(["train", small_group_dir, "--model", "wdcnn", "--out", root / "wdcnn", *win])
    _ok(["train", small_group_dir, "--model", "features", "--out", root / "features", *win])
    seed = ["--max-epochs", "1", "--split", SMALL_SPLIT, "--threads", "1", "--quiet"]
    _ok(["train", small_group_dir, "--model", "dnn", "--out", root / "dnn", *seed])
    return root


@pytest.mark.parametrize("model", ["wdcnn", "dnn"])
def test_cli_export_evaluate_diagnose(cli_runs, other_group_dir, tmp_path, model):
    run, path = cli_runs / model, tmp_path / f"{model}.onnx"
    out = _ok(["export", run, path]).output
    assert f"wrote {path}" in out and "ONNX Runtime matches PyTorch" in out
    ev = [["evaluate", m, other_group_dir, "--json", "--threads", "1"] for m in (run, path)]
    a, b = (json.loads(_ok(args).stdout) for args in ev)
    assert a["confusion_matrix"] == b["confusion_matrix"] and a["model"] == b["model"] == model
    assert b["run"] == str(path)
    dg = [
        ["diagnose", other_group_dir, "--model", m, "--json", "--no-plots", "--threads", "1"]
        for m in (run, path)
    ]
    a, b = (json.loads(_ok(args).stdout)["recordings"] for args in dg)
    assert [d["verdict"] for d in a] == [d["verdict"] for d in b]
    for x, y in zip(a, b, strict=True):
        sx, sy = x["model"]["segments"], y["model"]["segments"]
        assert [s["label"] for s in sx] == [s["label"] for s in sy]
        assert x["confidence"] == pytest.approx(y["confidence"], abs=1e-5)


def test_cli_export_options_and_errors(cli_runs, tmp_path):
    _ok(["export", cli_runs / "wdcnn", tmp_path / "b.onnx", "--batch", "8", "--opset", "13"])
    model = onnx.load(str(tmp_path / "b.onnx"))
    assert model.opset_import[0].version == 13
    assert model.graph.input[0].type.tensor_type.shape.dim[0].dim_value == 8
    for args, message in [
        (["export", cli_runs / "features", tmp_path / "f.onnx"], "cannot be exported to ONNX"),
        (["export", cli_runs / "wdcnn", tmp_path / "f.onnx", "--batch", "x"], "--batch must be"),
        (["export", tmp_path / "nope", tmp_path / "f.onnx"], "not a folder"),
        (["evaluate", tmp_path / "nope.onnx", cli_runs], "no such file"),
        (["evaluate", cli_runs / "wdcnn", cli_runs, "--threads", "0"], "--threads must be"),
    ]:
        result = runner.invoke(app, [str(a) for a in args])
        assert result.exit_code == 1, result.output
        assert "error:" in result.output and message in result.output
        assert "Traceback" not in result.output
    assert not (tmp_path / "f.onnx").exists()


def test_help_imports_neither_torch_nor_onnx():
    code = (
        "import sys; from rotordx.cli import app; from typer.testing import CliRunner; "
        "r = CliRunner().invoke(app, ['--help']); assert r.exit_code == 0; "
        "r = CliRunner().invoke(app, ['export', '--help']); assert r.exit_code == 0; "
        "print(sorted(m for m in ('torch', 'onnx', 'onnxruntime') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_onnx_diagnosis_does_not_import_torch(cli_runs, other_group_dir, tmp_path):
    """Deployment: an exported model diagnoses with ONNX Runtime alone (torch is ~2 s to import)."""
    path = tmp_path / "wdcnn.onnx"
    _ok(["export", cli_runs / "wdcnn", path])
    code = (
        "import sys\n"
        "from rotordx.models import load_model\n"
        "from rotordx.diagnosis import diagnose_path\n"
        f"b = load_model({str(path)!r}, threads=1)\n"
        f"d = diagnose_path({str(other_group_dir)!r}, model=b, spectrum=False)\n"
        "print(len(d), d[0].verdict in b.classes, 'torch' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split()[-3:] == ["4", "True", "False"]
