"""The benchmark suite's tiny variant runs and produces its tables (no timing is checked)."""

from __future__ import annotations

import json

import pytest
from benchmarks import run as bench_run

STAGES = {
    "preprocess": ["step", "median s", "CPU s", "vs seed-style", "peak RSS MiB", "note"],
    "training": [
        "model",
        "threads",
        "loop",
        "s / epoch",
        "speed-up",
        "s to best",
        "best epoch",
        "valid acc",
        "test acc",
    ],
    "windowed": ["data", "model", "test accuracy", "train s", "train time vs MiniRocket", "note"],
    "inference": [
        "data",
        "model",
        "runtime",
        "threads",
        "batch",
        "windows/s",
        "RTF",
        "vs eager",
        "max |Δp|",
    ],
    "read": ["data", "reader", "median s", "MB/s", "vs native", "note"],
    "scaling": [
        "task",
        "length",
        "signal s",
        "seconds",
        "cost / signal s vs 1×",
        "peak RSS MiB",
        "above imports MiB",
    ],
}


@pytest.fixture(scope="module")
def quick_results(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench") / "results.md"
    argv = ["--quick", "--out", str(out)]
    for stage in STAGES:
        argv += ["--only", stage]
    assert bench_run.main(argv) == 0
    return out


def test_quick_suite_writes_markdown_and_json(quick_results):
    text = quick_results.read_text()
    raw = json.loads(quick_results.with_suffix(".json").read_text())
    assert raw["quick"] is True
    assert "| machine | |" in text
    assert len(raw["sections"]) == len(STAGES)
    for title, section in raw["sections"].items():
        assert f"## {title}" in text
        assert section["rows"], title


@pytest.mark.parametrize("stage", list(STAGES))
def test_stage_table_has_its_columns(quick_results, stage):
    import importlib

    mod = importlib.import_module(f"benchmarks.bench_{stage}")
    raw = json.loads(quick_results.with_suffix(".json").read_text())
    (section,) = [s for t, s in raw["sections"].items() if t.startswith(mod.TITLE)]
    assert section["columns"] == STAGES[stage]
    assert all(len(row) == len(STAGES[stage]) for row in section["rows"])


def test_windowed_stage_compares_with_minirocket_on_the_same_windows(quick_results):
    raw = json.loads(quick_results.with_suffix(".json").read_text())
    (section,) = [s for t, s in raw["sections"].items() if t.startswith("Windowed")]
    models = [row[1] for row in section["rows"]]
    assert "minirocket" in models and len(models) >= 2
    for key, value in section["data"].items():
        assert 0.0 <= value["accuracy"] <= 1.0, key
        assert value["train_seconds"] > 0, key


def test_preprocess_stage_checks_the_arrays(quick_results):
    raw = json.loads(quick_results.with_suffix(".json").read_text())
    (data,) = [s["data"] for t, s in raw["sections"].items() if t.startswith("Load")]
    assert data["max_abs_diff_vs_seed"] <= 1e-9
    assert data["help_imports_torch"] is False


def test_read_stage_compares_with_the_native_readers(quick_results):
    raw = json.loads(quick_results.with_suffix(".json").read_text())
    (section,) = [s for t, s in raw["sections"].items() if t.startswith("Reading binary")]
    mats = [v for v in section["data"].values() if "files" in v]
    assert len(mats) == 2  # plain and compressed (v7)
    for v in mats:
        assert v["identical"] is True  # read_mat's arrays are loadmat's, byte for byte
        assert v["scipy_s"] > 0 and v["read_mat_s"] > 0
    assert section["data"]["wav"]["checked_s"] > 0 and section["data"]["parquet"]["arrow_s"] > 0
