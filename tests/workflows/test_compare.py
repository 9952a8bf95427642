"""Model comparison (``rotordx compare``): every model on the same splits, and shifted data."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from rotordx.cli import app
from support import SMALL_SPLIT

runner = CliRunner()


def _ok(args):
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return result


def test_compare_reduced(small_group_dir, tmp_path):
    out = tmp_path / "cmp"
    result = _ok(
        [
            "compare",
            str(small_group_dir),
            "--out",
            str(out),
            "--window",
            "512",
            "--hop",
            "256",
            "--models",
            "features,wdcnn,minirocket,dnn",
            "--split",
            SMALL_SPLIT,
            "--seed-epochs",
            "2",
            "--seed-patience",
            "2",
            "--threads",
            "1",
            "--quiet",
        ]
    )
    res = json.loads((out / "compare.json").read_text())
    assert [r["model"] for r in res["rows"]] == ["features", "wdcnn", "minirocket", "dnn"]
    for r in res["rows"]:
        assert 0 <= r["accuracy"] <= 1 and r["train_seconds"] > 0 and r["model_bytes"] > 0
        assert r["inference_us"] > 0
    assert (out / "compare.md").read_text().startswith("| model |")
    assert (out / "compare.png").read_bytes()[:4] == b"\x89PNG"
    assert "models on the same splits" in result.output


def test_compare_shift_on_simulated_data(tmp_path):
    out = tmp_path / "shift"
    _ok(
        [
            "compare",
            "--out",
            str(out),
            "--seconds",
            "12",
            "--window",
            "512",
            "--hop",
            "256",
            "--models",
            "features",
            "--shift",
            "speed",
            "--threads",
            "1",
            "--quiet",
        ]
    )
    res = json.loads((out / "compare.json").read_text())
    conditions = [r["condition"] for r in res["shift"]]
    assert conditions == ["base (new recording)", "rpm x0.8", "rpm x0.9", "rpm x1.1", "rpm x1.2"]
    assert all(0 <= r["features"] <= 1 for r in res["shift"])
    assert not any(p.name.startswith("shift_") for p in out.iterdir())
