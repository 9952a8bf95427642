"""Data sets of many short recordings: train, cross-validate and evaluate by recording."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from rotordx.cli import app
from rotordx.data.dataset import Dataset, load_data
from rotordx.io.recording import LabeledRecording, Recording
from rotordx.workflows.crossval import cross_validate
from rotordx.workflows.evaluate import evaluate_run
from rotordx.workflows.train import train_run

FS = 4096.0
N = 2048  # 0.5 s snapshots, as wireless condition-monitoring sensors record
CLASSES = {"normal": (1.0, 0.1), "unbalance": (4.0, 0.2), "loose": (1.0, 1.5)}
runner = CliRunner()


def _snapshot(label: str, seed: int, *, n: int = N) -> np.ndarray:
    """Three axes: 1x and 2x of a ~25 Hz shaft with class-specific amplitudes, and noise."""
    rng = np.random.default_rng(seed)
    one, two = CLASSES[label]
    f = 25.0 * (1 + 0.01 * rng.standard_normal())
    t = np.arange(n) / FS
    x = [
        one * np.sin(2 * np.pi * f * t + rng.uniform(0, 6))
        + two * np.sin(4 * np.pi * f * t + rng.uniform(0, 6))
        + 0.2 * rng.standard_normal(n)
        for _ in range(3)
    ]
    return np.stack(x)


@pytest.fixture(scope="module")
def manifest(tmp_path_factory):
    """5 snapshots of each of 3 classes (one shorter than a window), as CSV files."""
    root = tmp_path_factory.mktemp("snapshots")
    lines = ["path,label,rate,condition"]
    k = 0
    for label in CLASSES:
        for j in range(5):
            n = 1500 if (label == "loose" and j == 0) else N  # one short snapshot
            x = _snapshot(label, 100 + k, n=n)
            t = np.arange(n) / FS
            np.savetxt(
                root / f"s{k:02d}.csv",
                np.column_stack([t, x.T]),
                delimiter=",",
                header="time,x,y,z",
                comments="",
            )
            lines.append(f"s{k:02d}.csv,{label},{FS:g},m{j % 3}")
            k += 1
    (root / "manifest.csv").write_text("\n".join(lines) + "\n")
    return root / "manifest.csv"


def test_train_holds_out_whole_recordings_by_default(manifest, tmp_path):
    m = train_run(manifest, model="features", out=tmp_path / "run", progress=False)
    split = m["split"]
    assert split["method"] == "recording"
    assert len(split["test_recordings"]) == 3  # one of each class's five
    assert not set(split["test_recordings"]) & set(split["train_recordings"])
    assert m["window"]["window"] == 2048  # long enough for the speed estimate at 4096 Hz
    assert m["n_samples"] == 3  # one window per held-out snapshot
    assert (tmp_path / "run" / "bundle.json").is_file()
    # the time split is refused with a hint: a snapshot cannot hold three time blocks
    with pytest.raises(Exception, match="hold out whole recordings"):
        train_run(manifest, model="features", out=tmp_path / "t", split_by="time", progress=False)


def test_short_recording_is_one_padded_window(manifest, tmp_path):
    m = train_run(manifest, model="features", out=tmp_path / "run", seed=3, progress=False)
    if "s10.csv" in m["split"]["train_recordings"]:
        assert "padded" in m["split"]["note"] or m["split"]["note"] == ""
    ev = evaluate_run(tmp_path / "run", manifest)
    assert ev["n_samples"] == 15  # every snapshot one window, the short one padded


def test_cli_train_says_which_split(manifest, tmp_path):
    r = runner.invoke(
        app,
        ["train", str(manifest), "--model", "features", "--out", str(tmp_path / "r"), "--quiet"],
    )
    assert r.exit_code == 0, r.output
    assert "split: recording (12 training and 3 test recordings held out whole)" in r.output
    r = runner.invoke(
        app,
        ["train", str(manifest), "--model", "features", "--out", str(tmp_path / "r2"),
         "--split", "60,20,20", "--quiet"],
    )  # fmt: skip
    assert r.exit_code == 1 and "--split must be 'recording' or 'time'" in r.output


def test_crossval_by_recording(manifest, tmp_path):
    r = runner.invoke(
        app,
        ["crossval", str(manifest), "--folds", "recording", "--k", "3", "--models", "features",
         "--out", str(tmp_path / "cv"), "--no-plots", "--quiet"],
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    result = json.loads((tmp_path / "cv" / "crossval.json").read_text())
    assert [f["name"] for f in result["folds"]] == ["fold 1 of 3", "fold 2 of 3", "fold 3 of 3"]
    tested = sorted(t for f in result["folds"] for t in f["test"])
    assert tested == sorted(f"s{k:02d}.csv" for k in range(15))
    assert 0.0 <= result["summary"]["features"]["mean_accuracy"] <= 1.0
    assert len(result["summary"]["features"]["fold_accuracy"]) == 3


def test_crossval_by_machine(manifest):
    ds = load_data(manifest)
    recs = tuple(LabeledRecording(r.recording, r.label, machine=r.condition) for r in ds.recordings)
    by_machine = Dataset(recs, ds.classes, ds.fs, "machines")
    result = cross_validate(by_machine, by="machine", models=("features",), progress=False)
    assert [f["name"] for f in result["folds"]] == [
        "machine m0 held out",
        "machine m1 held out",
        "machine m2 held out",
    ]
    for fold in result["folds"]:
        assert not set(fold["test"]) & set(fold["train"])


def test_torch_model_validates_on_held_out_training_recordings(manifest, tmp_path):
    m = train_run(
        manifest,
        model="wdcnn",
        out=tmp_path / "w",
        progress=False,
        train_config=None,
    )
    assert m["split"]["method"] == "recording"
    assert m["split"]["valid"] > 0 and m["epochs_run"] >= 1


def test_recordings_of_one_class_only_cannot_be_split(tmp_path):
    ds = Dataset(
        tuple(
            LabeledRecording(Recording(f"r{i}", _snapshot("normal", i), FS, ("x", "y", "z")), lab)
            for i, lab in enumerate(["normal", "normal", "loose"])
        ),
        ("normal", "loose"),
        FS,
        "few",
    )
    with pytest.raises(Exception, match="class 'loose' has 1 recording"):
        cross_validate(ds, by="recording", k=2, models=("features",), progress=False)
