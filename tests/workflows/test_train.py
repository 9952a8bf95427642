"""Training runs (``rotordx train``): the same seed gives the same metrics file."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from rotordx.cli import app

runner = CliRunner()


def _ok(args):
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return result


@pytest.mark.parametrize("model", ["features", "wdcnn", "minirocket"])
def test_windowed_same_seed_same_metrics(small_group_dir, tmp_path, model):
    texts = []
    for name in ("a", "b"):
        out = tmp_path / name
        _ok(
            [
                "train",
                str(small_group_dir),
                "--model",
                model,
                "--out",
                str(out),
                "--window",
                "512",
                "--seed",
                "3",
                "--max-epochs",
                "3",
                "--threads",
                "1",
                "--quiet",
            ]
        )
        texts.append((out / "metrics.json").read_text().replace(str(out), ""))
    assert texts[0] == texts[1]
