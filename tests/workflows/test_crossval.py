"""Cross-recording evaluation (``rotordx crossval``): folds hold out whole recordings.

On tiny CWRU-named files (``support.write_cwru_like``) and, skipped when absent, on the
real CWRU data (checked per file).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from rotordx.cli import app
from rotordx.data.dataset import load_data
from rotordx.exceptions import DataError, ParameterError
from rotordx.workflows.crossval import cross_validate, make_folds


def test_folds_hold_out_whole_recordings(cwru_like_dir):
    ds = load_data(cwru_like_dir)
    names = [Path(r.recording.name).name for r in ds.recordings]
    folds = make_folds(ds, "size")
    assert [f.name for f in folds] == ["size 007 held out", "size 014 held out"]
    for f in folds:
        assert not set(f.train) & set(f.test)
        held = f.name.split()[1]
        assert all(held in names[i] for i in f.test)
        assert all(held not in names[i] for i in f.train)
        assert any(names[i].startswith("normal") for i in f.train)
        assert all("_0_" in names[i] or names[i].startswith("normal") for i in f.train + f.test)
    load = make_folds(ds, "load")
    assert [f.name for f in load] == ["0hp->1hp"]
    assert all("_1_" in names[i] for i in load[0].test)
    with pytest.raises(DataError, match="two positions"):
        make_folds(ds, "position")
    cond = make_folds(ds, "condition")  # a CWRU file's condition is its load
    assert [f.name for f in cond] == ["condition=0hp", "condition=1hp"]
    assert cond[1].test == load[0].test
    with pytest.raises(ParameterError, match="unknown fold scheme"):
        make_folds(ds, "colour")


def test_cross_validate_bearing_model_on_unseen_sizes(cwru_like_dir):
    r = cross_validate(cwru_like_dir, by="size", models=("bearing",), window=6000, progress=False)
    assert r["summary"]["bearing"]["mean_accuracy"] >= 0.9
    fold = r["results"]["bearing"][0]
    assert fold["fold"] == "size 007 held out"
    assert sum(rec["windows"] for rec in fold["recordings"]) == fold["n_samples"]
    assert np.asarray(fold["confusion_matrix"]).sum() == fold["n_samples"]
    assert {rec["label"] for rec in fold["recordings"]} == {"ball", "inner_race", "outer_race"}


def test_crossval_cli_writes_tables_and_figures(cwru_like_dir, tmp_path):
    out = tmp_path / "cv"
    res = CliRunner().invoke(
        app,
        [
            "crossval",
            str(cwru_like_dir),
            "--folds",
            "load",
            "--models",
            "bearing",
            "--window",
            "6000",
            "--out",
            str(out),
            "--quiet",
        ],
    )
    assert res.exit_code == 0, res.output
    assert "0hp->1hp" in res.output
    md = (out / "crossval.md").read_text()
    assert "| 0hp->1hp |" in md
    assert (out / "confusion_bearing_fold1.png").stat().st_size > 1000
    data = json.loads((out / "crossval.json").read_text())
    assert data["summary"]["bearing"]["mean_accuracy"] >= 0.9
    res = CliRunner().invoke(
        app, ["crossval", str(cwru_like_dir), "--models", "dnn", "--out", str(tmp_path / "x")]
    )
    assert res.exit_code == 1
    assert "seed model" in res.output


def test_cwru_leave_one_size_out_per_file(cwru_dir):
    r = cross_validate(cwru_dir, by="size", models=("bearing",), window=12000, progress=False)
    acc = {
        rec["recording"]: rec["accuracy"]
        for fold in r["results"]["bearing"]
        for rec in fold["recordings"]
    }
    assert len(acc) == 13
    # every held-out race file with a defect line is recognised. OR014@6 shows no
    # outer-race line in any channel; IR014 has its BPFI line, but weaker (per 1 s
    # window) than the 007/021 files it is compared with and at a lower RMS: the shallow
    # forest calls 7 of its 10 windows ball (docs/data.md, cross-recording evaluation)
    for name, a in acc.items():
        if "OR014" in name or "IR014" in name:
            continue
        assert a >= (0.9 if "_B0" not in name else 0.8), (name, a)
    assert r["summary"]["bearing"]["mean_accuracy"] >= 0.75
