"""Without a cluster: planning and dealing, rows, parts written atomically and once per
identity, the lock, reading an empty folder."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from batchdata import BAD, MACHINES, SNAPSHOTS
from rotordx.batch import COLUMNS, IDENTITY, deal, plan_items, read_results
from rotordx.batch.plan import MAX_TASK_BYTES
from rotordx.batch.schema import Item, error_row, row_of
from rotordx.batch.store import PartWriter, ResultsFolder
from rotordx.diagnosis.api import diagnose
from rotordx.exceptions import DataError, ParameterError
from rotordx.io.recording import Recording

SETTINGS = {"model": "physics", "rate": None, "rpm": None, "bearing": None}


def _item(i: int, size: int = 100) -> Item:
    return Item(f"/data/r{i}.csv", None, size, 10**18 + i, i + 2)


def _row(i: int, error: str = "") -> dict:
    return error_row(_item(i), error or "x", model="physics", seconds=0.1, run=0, worker="w") | {
        "error": error,
        "verdict": None if error else "normal",
    }


def test_plan_lists_every_line_and_keeps_bad_ones(fleet):
    items = plan_items(fleet)
    assert len(items) == MACHINES * SNAPSHOTS + len(BAD)
    assert [it.line for it in items] == list(range(2, len(items) + 2))
    missing = next(it for it in items if it.path.endswith("missing.csv"))
    assert "not found" in missing.error and (missing.size, missing.mtime_ns) == (None, None)
    assert missing.entry.machine == "BAD"  # what the bad line says, kept for its row
    ok = [it for it in items if it.error is None]
    assert all(it.size > 0 and it.mtime_ns > 0 and it.entry is not None for it in ok)
    assert len(ok) == len(items) - 1  # the other bad files exist: their readers say why


def test_plan_refuses_what_is_not_a_list_of_recordings(small_group_dir, tmp_path):
    with pytest.raises(DataError, match="use `rotordx diagnose`"):
        plan_items(small_group_dir)
    with pytest.raises(DataError, match="no such file"):
        plan_items(tmp_path / "nothing.csv")


def test_plan_reads_a_cwru_folder(cwru_like_dir):
    items = plan_items(cwru_like_dir)
    assert items and all(it.error is None and it.entry.label for it in items)


def test_deal_gives_every_item_once_deterministically():
    items = [_item(i, size=10 * i) for i in range(100)]
    tasks = deal(items, workers=2, seed=0)
    flat = [it for t in tasks for it in t]
    assert sorted(flat, key=lambda it: it.line) == items
    assert max(map(len, tasks)) == 7  # ceil(100 / (8 tasks x 2 workers))
    sizes = [sum(it.size for it in t) for t in tasks]
    assert sizes == sorted(sizes, reverse=True)  # largest first
    assert deal(items, workers=2, seed=0) == tasks
    assert deal(items, workers=2, seed=1) != tasks
    big = [_item(i, size=MAX_TASK_BYTES // 2 + 1) for i in range(3)]
    assert [len(t) for t in deal(big, workers=1, per_task=10)] == [1, 1, 1]
    with pytest.raises(ParameterError, match="per_task"):
        deal(items, workers=2, per_task=0)


def test_row_of_a_diagnosis_with_bearing_evidence():
    rng = np.random.default_rng(0)
    t = np.arange(4096) / 4096.0
    x = np.vstack([np.sin(2 * np.pi * 25 * t), np.sin(2 * np.pi * 50 * t)]) + 0.01 * rng.normal(
        size=(2, 4096)
    )
    d = diagnose(Recording("r.csv", x * 9.8, 4096.0, ("x", "y")), spectrum=False)
    bearing = {"defect": "bpfo", "fault": "bearing_outer_race", "score": 12.5,
               "significant": True, "channel": "y"}  # fmt: skip
    d = dataclasses.replace(d, bearing=bearing, confidence=float("nan"))
    row = row_of(d, _item(0), model="physics", seconds=0.5, run=3, worker="h:1")
    assert list(row) == list(COLUMNS)
    assert (row["bearing_defect"], row["bearing_fault"], row["bearing_score"]) == (
        "bpfo",
        "bearing_outer_race",
        12.5,
    )
    assert row["bearing_significant"] is True and row["bearing_channel"] == "y"
    assert row["confidence"] is None  # NaN is a null in the table
    assert row["error"] == "" and row["run"] == 3 and row["seconds"] == 0.5
    worst = next(s for s in d.sensors if s["name"] == row["severity_channel"])
    assert row["order_1x_mm_s"] == worst["velocity_orders_mm_s"]["1x"]
    assert "NaN" not in row["diagnosis"]
    assert math.isclose(row["velocity_rms_mm_s"], d.severity["velocity_rms_mm_s"])


def test_parts_hold_each_identity_once(tmp_path):
    folder = ResultsFolder(tmp_path / "res", settings=SETTINGS, partition_by=None)
    try:
        w = PartWriter(folder, part_rows=4, part_seconds=3600)
        assert len(w.add([_row(i) for i in range(6)])) == 6
        assert w.add([_row(i) for i in range(3, 8)]) == [_row(6), _row(7)]  # 3-5 again: dropped
        w.flush()
    finally:
        folder.close()
    t = read_results(tmp_path / "res")
    assert sorted(t.column("path").to_pylist()) == [f"/data/r{i}.csv" for i in range(8)]
    assert w.duplicates == 3 and w.parts == 2 and w.rows == 8


def test_a_part_is_whole_or_absent(tmp_path, monkeypatch):
    import pyarrow.parquet as pq

    folder = ResultsFolder(tmp_path / "res", settings=SETTINGS, partition_by=None)
    try:
        w = PartWriter(folder, part_rows=100)
        w.add([_row(i) for i in range(5)])

        def broken(table, where, **kw):
            with open(where, "wb") as fh:
                fh.write(b"PAR1 half a part")
            raise OSError("disk full")

        monkeypatch.setattr(pq, "write_table", broken)
        with pytest.raises(OSError, match="disk full"):
            w.flush()
    finally:
        folder.close()
    assert sorted(p.name for p in (tmp_path / "res").iterdir()) == ["_batch.json", "_batch.lock"]
    assert read_results(tmp_path / "res").num_rows == 0


def test_one_batch_at_a_time_and_no_foreign_folder(tmp_path):
    first = ResultsFolder(tmp_path / "res", settings=SETTINGS, partition_by=None)
    try:
        with pytest.raises(ParameterError, match="being written by another batch"):
            ResultsFolder(tmp_path / "res", settings=SETTINGS, partition_by=None, resume=True)
    finally:
        first.close()
    again = ResultsFolder(tmp_path / "res", settings=SETTINGS, partition_by=None, resume=True)
    again.close()
    assert again.run == 1
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine")
    with pytest.raises(ParameterError, match="holds no batch results"):
        ResultsFolder(tmp_path / "other", settings=SETTINGS, partition_by=None, force=True)
    assert (tmp_path / "other" / "notes.txt").read_text() == "mine"


def test_empty_results_have_every_column(tmp_path):
    folder = ResultsFolder(tmp_path / "res", settings=SETTINGS, partition_by="machine")
    folder.close()
    t = read_results(tmp_path / "res")
    assert t.num_rows == 0 and t.column_names == list(COLUMNS)
    assert read_results(tmp_path / "res", columns=IDENTITY).column_names == list(IDENTITY)
    with pytest.raises(ParameterError, match="unknown column"):
        read_results(tmp_path / "res", columns=["nope"])
    with pytest.raises(DataError, match="no such folder"):
        read_results(tmp_path / "absent")


def test_every_column_is_documented():
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "batch.md").read_text(encoding="utf-8")
    for name, (kind, meaning) in COLUMNS.items():
        assert f"| `{name}` | {kind} | {meaning} |" in doc, name
