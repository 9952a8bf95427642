"""``rotordx simulate-fleet``, and a simulated fleet through ``train`` and ``crossval``."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rotordx.classes import FLEET_CLASSES
from rotordx.cli import app

runner = CliRunner()


def _ok(args):
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result


def _fails(args, message):
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exit_code == 1, result.output
    assert message in result.output
    return result


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_simulate_fleet_writes_and_says_what(tmp_path):
    out = tmp_path / "fleet"
    result = _ok(["simulate-fleet", out, "--machines", 2, "--snapshots", 7, "--seconds", 0.25])
    lines = result.output.splitlines()
    assert lines[0].startswith(f"wrote {out / 'manifest.csv'}: 14 snapshots of 2 machines, 0.25 s")
    assert ", ".join(f"{c} 2" for c in FLEET_CLASSES) in lines[1]
    assert lines[2].lstrip().startswith("M01  2-pole") and "rpm (in the manifest)" in lines[2]
    assert lines[3].lstrip().startswith("M02  4-pole") and "rpm (withheld)" in lines[3]
    rows = _rows(out / "manifest.csv")
    assert len(rows) == 14 and {r["machine"] for r in rows} == {"M01", "M02"}
    assert all((out / r["path"]).is_file() and r["path"].endswith(".csv") for r in rows)
    assert (out / "machines.csv").is_file() and (out / "truth.csv").is_file()
    # the same seed again, replacing the folder: the same bytes
    before = (out / rows[5]["path"]).read_bytes()
    _fails(["simulate-fleet", out, "--machines", 2, "--snapshots", 7], "pass --force")
    _ok(["simulate-fleet", out, "--machines", 2, "--snapshots", 7, "--seconds", 0.25, "--force"])
    assert (out / rows[5]["path"]).read_bytes() == before


def test_simulate_fleet_parquet_basic_manifest_some_states(tmp_path):
    out = tmp_path / "fleet"
    _ok(
        ["simulate-fleet", out, "--machines", 3, "--snapshots", 2, "--seconds", 0.2,
         "--classes", "normal, looseness", "--format", "parquet", "--basic-manifest",
         "--seed", 4]
    )  # fmt: skip
    text = (out / "manifest.csv").read_text(encoding="utf-8")
    assert text.splitlines()[0] == "path,label,rate,channel,rpm,condition"
    rows = _rows(out / "manifest.csv")
    assert [r["label"] for r in rows] == ["normal", "looseness"] * 3
    assert all(r["path"].endswith(".parquet") for r in rows)


@pytest.mark.parametrize(
    "args, message",
    [
        (["--classes", "normal,type1"], "FleetConfig.classes must be"),
        (["--machines", "0"], "FleetConfig.machines must be an integer in [1, 99]"),
        (["--seconds", "0"], "FleetConfig.seconds must be"),
        (["--format", "xlsx"], "format must be one of csv, parquet"),
        (["--seed", "-1"], "seed must be a non-negative integer"),
    ],
)
def test_simulate_fleet_bad_options(tmp_path, args, message):
    _fails(["simulate-fleet", tmp_path / "f", *args], message)
    assert not (tmp_path / "f").exists()


@pytest.fixture(scope="module")
def fleet_manifest(tmp_path_factory):
    """Four machines, two 0.5 s snapshots of every state each, the basic manifest."""
    out = tmp_path_factory.mktemp("fleet") / "fleet"
    _ok(["simulate-fleet", out, "--machines", 4, "--snapshots", 14, "--basic-manifest"])
    return out / "manifest.csv"


def test_train_on_a_fleet_holds_out_whole_recordings(fleet_manifest, tmp_path):
    run = tmp_path / "run"
    result = _ok(
        ["train", fleet_manifest, "--model", "features", "--split", "recording", "--out", run,
         "--seed", 1, "--quiet", "--threads", 1]
    )  # fmt: skip
    assert "split: recording" in result.output
    for name in ("bundle.json", "model.safetensors", "metrics.json", "timing.json"):
        assert (run / name).is_file(), name
    assert (run / "confusion_matrix.png").stat().st_size > 0
    metrics = json.loads((run / "metrics.json").read_text())
    split = metrics["split"]
    assert split["method"] == "recording"
    files = {Path(r["path"]).name: r["label"] for r in _rows(fleet_manifest)}
    train, test = set(split["train_recordings"]), set(split["test_recordings"])
    assert not train & test and train | test == set(files)
    assert {files[f] for f in test} == set(FLEET_CLASSES)  # every state is tested
    assert len(test) == split["test"] == 14  # a fifth of 8 recordings per state, rounded: 2


def test_crossval_holds_out_each_machine(tmp_path):
    # crossval validates inside the training recordings, so they must hold 5 windows
    out = tmp_path / "fleet"
    _ok(["simulate-fleet", out, "--machines", 3, "--snapshots", 7, "--seconds", 3,
         "--basic-manifest"])  # fmt: skip
    cv = tmp_path / "cv"
    _ok(
        ["crossval", out / "manifest.csv", "--folds", "condition", "--models", "features",
         "--window", 2048, "--no-plots", "--out", cv, "--quiet", "--threads", 1]
    )  # fmt: skip
    report = json.loads((cv / "crossval.json").read_text())
    assert report["scheme"] == "condition"
    assert [f["name"] for f in report["folds"]] == [
        "condition=M01",
        "condition=M02",
        "condition=M03",
    ]
    for fold in report["folds"]:
        held = fold["name"].split("=")[1]
        assert all(f.startswith(held) for f in fold["test"]) and len(fold["test"]) == 7
        assert not any(f.startswith(held) for f in fold["train"])
