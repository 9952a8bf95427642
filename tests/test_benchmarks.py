"""The benchmark suite's tiny variant: its tables, and the numbers behind them, agree.

No timing is compared with a target (the quick numbers are meaningless), but every
number the tables show is checked against the raw numbers it is computed from: each
row has numbers where it should, every ratio is the ratio of the seconds it is made of,
the Markdown shows exactly the JSON's rows, and a claim in the notes (a target met,
predictions identical) is backed by the recorded values.
"""

from __future__ import annotations

import json
import math
import re
import statistics

import pytest
from benchmarks import run as bench_run
from benchmarks._common import fmt

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
    "batch": [
        "method",
        "workers",
        "recordings",
        "median s",
        "recordings/s",
        "vs plain loop",
        "note",
    ],
}
TITLES = {"preprocess": "Load", "training": "Seed", "windowed": "Windowed"}
TITLES |= {"inference": "Inference", "scaling": "Scaling", "read": "Reading binary"}
TITLES |= {"batch": "Fleet batch"}


@pytest.fixture(scope="module")
def quick_results(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench") / "results.md"
    argv = ["--quick", "--out", str(out)]
    for stage in STAGES:
        argv += ["--only", stage]
    assert bench_run.main(argv) == 0
    return out


@pytest.fixture(scope="module")
def raw(quick_results):
    return json.loads(quick_results.with_suffix(".json").read_text(encoding="utf-8"))


def _section(raw: dict, stage: str) -> dict:
    (section,) = [s for t, s in raw["sections"].items() if t.startswith(TITLES[stage])]
    return section


def _rows(raw: dict, stage: str) -> list[dict]:
    """The rows of a stage as dicts keyed by column."""
    section = _section(raw, stage)
    return [dict(zip(section["columns"], row, strict=True)) for row in section["rows"]]


def _number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _times(text: str) -> float:
    """'3.2×' -> 3.2"""
    assert text.endswith("×"), text
    return float(text[:-1])


def _percent(text: str) -> float:
    """'97.50%' -> 0.975"""
    assert text.endswith("%"), text
    return float(text[:-1]) / 100


def _close_to_shown(shown: float, exact: float, decimals: int) -> bool:
    """``shown`` is ``exact`` rounded to ``decimals`` places."""
    return abs(shown - exact) <= 0.5 * 10**-decimals + 1e-9


# -- the whole run ------------------------------------------------------------------------------


def test_quick_suite_writes_markdown_and_json(quick_results, raw):
    text = quick_results.read_text(encoding="utf-8")
    assert raw["quick"] is True and raw["repeats"] == 1
    assert "| machine | |" in text
    for key, value in raw["machine"].items():
        assert f"| {key} | {value} |" in text
    assert len(raw["sections"]) == len(STAGES)
    for title, section in raw["sections"].items():
        assert f"## {title}" in text
        assert section["rows"], title


def test_markdown_shows_exactly_the_json_rows(quick_results, raw):
    text = quick_results.read_text(encoding="utf-8")
    for title, section in raw["sections"].items():
        body = text.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]
        table = [line for line in body.splitlines() if line.startswith("| ")]
        assert table[0] == "| " + " | ".join(section["columns"]) + " |", title
        expected = ["| " + " | ".join(fmt(c) for c in row) + " |" for row in section["rows"]]
        assert table[1:] == expected, title


@pytest.mark.parametrize("stage", list(STAGES))
def test_stage_table_has_its_columns(raw, stage):
    import importlib

    mod = importlib.import_module(f"benchmarks.bench_{stage}")
    (section,) = [s for t, s in raw["sections"].items() if t.startswith(mod.TITLE)]
    assert section["columns"] == STAGES[stage]
    assert all(len(row) == len(STAGES[stage]) for row in section["rows"])


#: Columns that hold a finite number in every row (or, where named, a '-' placeholder).
NUMERIC = {
    "preprocess": {"median s": ()},
    "training": {"threads": (), "s / epoch": (), "s to best": (), "best epoch": ()},
    "windowed": {"train s": ()},
    "inference": {"threads": (), "batch": (), "windows/s": (), "RTF": ()},
    "scaling": {"signal s": (), "seconds": ()},
    "read": {"median s": ()},
    "batch": {"workers": (), "recordings": (), "median s": (), "recordings/s": ()},
}


@pytest.mark.parametrize("stage", list(STAGES))
def test_every_row_has_its_numbers(raw, stage):
    for row in _rows(raw, stage):
        for column in NUMERIC[stage]:
            assert _number(row[column]), (column, row)
            # durations and counts are never negative; a difference of two timings may be
            # (the quick run's "beyond parsing" on a loaded machine)
            difference = "−" in str(next(iter(row.values())))
            assert difference or row[column] >= 0, (column, row)
        for column, value in row.items():  # no NaN or infinity slips into a table
            assert not (isinstance(value, float) and not math.isfinite(value)), (column, row)


# -- preprocess ---------------------------------------------------------------------------------


def test_preprocess_ratios_are_those_of_the_seconds(raw):
    data = _section(raw, "preprocess")["data"]
    wall, cpu = data["wall"], data["cpu"]
    assert data["max_abs_diff_vs_seed"] <= 1e-9
    assert data["help_imports_torch"] is False
    for key, runs in data["runs"].items():  # medians of the recorded runs
        assert wall[key] == statistics.median(runs), key
    rows = _rows(raw, "preprocess")
    medians = [r["median s"] for r in rows]
    expected = [wall["seed"], wall["pandas"], wall["pyarrow"], wall["rotordx"]]
    expected += [wall["rotordx"] - wall["pyarrow"], wall["first"], wall["hit"]]
    assert medians[:7] == expected
    assert medians[7] == data["help_seconds"]
    for row, key in zip(rows, ["seed", "pandas", "pyarrow", "rotordx"], strict=False):
        assert row["CPU s"] == cpu[key]
        assert _close_to_shown(_times(row["vs seed-style"]), wall["seed"] / wall[key], 1), row
    for row, key in ((rows[5], "first"), (rows[6], "hit")):
        assert _close_to_shown(_times(row["vs seed-style"]), wall["seed"] / wall[key], 1), row
    assert data["cache_speedup"] == wall["first"] / wall["hit"]
    assert f"{data['cache_speedup']:.1f}× faster than the first run" in rows[6]["note"]
    share = (wall["rotordx"] - wall["pyarrow"]) / wall["pyarrow"]
    assert data["beyond_parsing_share"] == pytest.approx(share, rel=1e-12)
    assert rows[4]["note"].startswith(f"{share:.0%} of the parse time")
    assert f"max |Δ| vs seed-style {data['max_abs_diff_vs_seed']:.1e}" == rows[3]["note"]
    assert rows[7]["note"] == "torch not imported"


# -- training -----------------------------------------------------------------------------------


def test_training_numbers_follow_from_the_epochs(raw):
    section = _section(raw, "training")
    data, rows = section["data"], _rows(raw, "training")
    assert len(rows) == 2 * len(data["runs"])
    for row in rows:
        run = data["runs"][f"{row['model']}/{row['threads']}"]
        r = run["seed_style" if row["loop"] == "seed-style" else "rotordx"]
        seconds, accuracy = r["epoch_seconds"], r["valid_accuracy"]
        assert len(seconds) == len(accuracy) == data["epochs"]
        assert row["s / epoch"] == r["s_per_epoch"] == statistics.median(seconds)
        best = accuracy.index(max(accuracy)) + 1  # the first epoch reaching the best
        assert row["best epoch"] == r["best_epoch"] == best
        assert row["s to best"] == r["s_to_best"] == pytest.approx(sum(seconds[:best]))
        assert _close_to_shown(_percent(row["valid acc"]), max(accuracy), 4), row
        assert _close_to_shown(_percent(row["test acc"]), r["test"], 4), row
        assert 0.0 <= r["test"] <= 1.0
        ratio = run["seed_style"]["s_per_epoch"] / run["rotordx"]["s_per_epoch"]
        if row["loop"] == "rotordx":
            assert data["speedup"][f"{row['model']}/{row['threads']}"] == ratio
            assert _close_to_shown(_times(row["speed-up"]), ratio, 1), row
        else:
            assert row["speed-up"] == "1.0×"


# -- windowed -----------------------------------------------------------------------------------


def test_windowed_stage_compares_with_minirocket_on_the_same_windows(raw):
    section = _section(raw, "windowed")
    rows = _rows(raw, "windowed")
    models = [row["model"] for row in rows]
    assert "minirocket" in models and len(models) >= 2
    by_data: dict[str, dict[str, dict]] = {}
    for row in rows:
        by_data.setdefault(row["data"], {})[row["model"]] = row
    for name, models_ in by_data.items():
        base = section["data"][f"{name}/minirocket"]["train_seconds"]
        for model, row in models_.items():
            value = section["data"][f"{name}/{model}"]
            assert 0.0 <= value["accuracy"] <= 1.0 and value["train_seconds"] > 0, row
            assert row["train s"] == value["train_seconds"]
            assert _close_to_shown(_percent(row["test accuracy"]), value["accuracy"], 4), row
            if model == "minirocket":
                assert row["train time vs MiniRocket"] == "baseline"
            else:
                shown = _times(row["train time vs MiniRocket"])
                assert _close_to_shown(shown, value["train_seconds"] / base, 2), row
    # the simulated faults are strong: both models learn the quick testbed (docs/diagnosis.md)
    for key, value in section["data"].items():
        if key.startswith("testbed"):
            assert value["accuracy"] >= 0.9, key


# -- inference ----------------------------------------------------------------------------------

WINDOW_SECONDS = {"testbed 1 kHz": 1024 / 1000.0, "CWRU 12 kHz DE": 2048 / 12000.0}


def test_inference_rtf_and_ratios_follow_from_the_throughput(raw):
    rows = _rows(raw, "inference")
    data = _section(raw, "inference")["data"]
    eager = {
        (r["data"], r["model"], r["threads"], r["batch"]): r["windows/s"]
        for r in rows
        if r["runtime"] == "PyTorch eager"
    }
    for row in rows:
        assert row["windows/s"] > 0, row
        assert row["RTF"] == pytest.approx(row["windows/s"] * WINDOW_SECONDS[row["data"]]), row
        key = (row["data"], row["model"], row["threads"], row["batch"])
        if row["runtime"] == "PyTorch eager":
            assert row["vs eager"] == "1.00×" and row["max |Δp|"] == "–", row
        elif row["runtime"] == "ONNX Runtime":
            assert _close_to_shown(_times(row["vs eager"]), row["windows/s"] / eager[key], 2)
            part = data["testbed" if row["data"].startswith("testbed") else "cwru"]
            assert row["max |Δp|"] == f"{part[row['model']]['max_abs_diff']:.1e}", row
        elif row["runtime"].startswith("ONNX Runtime, "):  # the export's layout, measured
            label = row["runtime"].removeprefix("ONNX Runtime, ")
            assert row["windows/s"] == data["testbed"]["wdcnn_conv1d"][label], row
        else:  # the numpy / numba models, timed for reference
            part = data["testbed" if row["data"].startswith("testbed") else "cwru"]
            assert row["windows/s"] == part[row["model"]][str(row["threads"])], row
            assert row["vs eager"] == row["max |Δp|"] == "–", row
    # the raw rows are the table's rows
    for part, name in (("testbed", "wdcnn"), ("testbed", "lstm"), ("cwru", "wdcnn")):
        if data.get(part) is None:
            continue
        label = "testbed 1 kHz" if part == "testbed" else "CWRU 12 kHz DE"
        table = [
            (r["runtime"], r["threads"], r["batch"], r["windows/s"])
            for r in rows
            if r["data"] == label
            and r["model"] == name
            and r["runtime"] in ("PyTorch eager", "ONNX Runtime")
        ]
        recorded = [
            (r["runtime"], r["threads"], r["batch"], r["windows_per_s"])
            for r in data[part][name]["rows"]
        ]
        assert table == recorded, (part, name)


def test_inference_claims_are_backed_by_the_recorded_values(quick_results, raw):
    text = quick_results.read_text(encoding="utf-8")
    data = _section(raw, "inference")["data"]
    parts = [("testbed", n, f"{n}: predicted classes") for n in ("wdcnn", "lstm")]
    if data.get("cwru") is not None:
        parts.append(("cwru", "wdcnn", "CWRU wdcnn predicted classes"))
    for part, name, phrase in parts:
        r = data[part][name]
        word = "identical" if r["argmax_identical"] else "DIFFER"
        assert re.search(
            re.escape(f"{phrase} {word}")
            + r".*?"
            + re.escape(f"max |Δp| = {r['max_abs_diff']:.1e}"),
            text,
        ), (part, name)
        # what the export promises: the same classes, probabilities within 1e-5
        assert r["argmax_identical"] is True, (part, name)
        assert 0.0 <= r["max_abs_diff"] <= 1e-5, (part, name)
    # the one-core target is computed from the best ONNX Runtime row on one thread
    target = data["target"]
    best = max(
        row["windows_per_s"]
        for row in data["testbed"][target["model"]]["rows"]
        if row["runtime"] == "ONNX Runtime" and row["threads"] == 1
    )
    assert target["rtf_1_thread"] == pytest.approx(best * WINDOW_SECONDS["testbed 1 kHz"])
    assert target["met"] == (target["rtf_1_thread"] >= 10_000)
    verdict = "met" if target["met"] else "missed"
    assert re.search(rf"RTF ≥ 10,000 — {verdict}", text)
    if data.get("cwru_target"):
        ct = data["cwru_target"]
        assert ct["met"] == (ct["wdcnn_ort_2"] >= 10 * ct["minirocket_2"])
        assert ct["minirocket_2"] == data["cwru"]["minirocket"]["2"]


# -- scaling ------------------------------------------------------------------------------------


def test_scaling_costs_follow_from_the_seconds(raw):
    section = _section(raw, "scaling")
    data, rows = section["data"], _rows(raw, "scaling")
    base = data["base_seconds"]
    assert len(rows) == 3 * len(data["results"])
    for row in rows:
        k = int(row["length"].rstrip("×"))
        by_k = data["results"][row["task"]]
        seconds = by_k[str(k)][0]
        assert row["signal s"] == base * k and row["seconds"] == seconds > 0, row
        per_second_1x = by_k["1"][0] / base
        cost = float(row["cost / signal s vs 1×"])
        assert _close_to_shown(cost, seconds / (base * k) / per_second_1x, 2), row
        if k == 1:
            assert row["cost / signal s vs 1×"] == "1.00"
        # quick: timed in this process, memory not measured (and said so)
        assert row["peak RSS MiB"] == "-" and row["above imports MiB"] == "-", row
    for task, by_k in data["results"].items():
        assert data["cost_ratio_16x"][task] == pytest.approx(by_k["16"][0] / (16 * by_k["1"][0]))


# -- read ---------------------------------------------------------------------------------------


def test_read_stage_compares_with_the_native_readers(raw):
    data = _section(raw, "read")["data"]
    mats = [v for v in data.values() if "files" in v]
    assert len(mats) == 2  # plain and compressed (v7)
    for v in mats:
        assert v["identical"] is True  # read_mat's arrays are loadmat's, byte for byte
        assert v["scipy_s"] > 0 and v["read_mat_s"] > 0
    assert data["wav"]["checked_s"] > 0 and data["parquet"]["arrow_s"] > 0


# -- batch --------------------------------------------------------------------------------------


def test_batch_rates_and_claims_follow_from_the_seconds(quick_results, raw):
    text = quick_results.read_text(encoding="utf-8")
    data = _section(raw, "batch")["data"]
    rows = _rows(raw, "batch")
    keys = ["parse", "loop", "batch1", "batch2"]
    assert [r["method"] for r in rows] == ["parse only (floor)", "plain loop over diagnose",
                                           "batch", "batch"]  # fmt: skip
    n = data["recordings"]
    for row, key in zip(rows, keys, strict=True):
        seconds = data["seconds"][key]
        assert seconds == statistics.median(data["runs"][key]) > 0, key
        assert row["median s"] == seconds and row["recordings"] == n
        assert row["recordings/s"] == pytest.approx(n / seconds)
        shown = _times(row["vs plain loop"])
        assert _close_to_shown(shown, data["seconds"]["loop"] / seconds, 2), row
    t = data["targets"]
    assert t["speedup_2_vs_1"] == data["seconds"]["batch1"] / data["seconds"]["batch2"]
    assert t["speedup_met"] == (t["speedup_2_vs_1"] >= 1.7)
    assert t["overhead_1_vs_loop"] == data["seconds"]["batch1"] / data["seconds"]["loop"]
    assert t["overhead_met"] == (t["overhead_1_vs_loop"] <= 1.3)
    rss = data["rss_mib"]
    assert len(rss) >= 2 and all(v > 0 for v in rss.values())
    counts = sorted(rss, key=int)
    assert t["rss_growth"] == rss[counts[-1]] / rss[counts[0]]
    word = {True: "met", False: "missed"}
    assert f"{t['speedup_2_vs_1']:.2f}× (target ≥ 1.7×) — {word[t['speedup_met']]}" in text
    assert f"{t['overhead_1_vs_loop']:.2f}× the time (target ≤ 1.3×) — " in text
    assert f"≤ 1.25×) — {word[t['rss_met']]}" in text
