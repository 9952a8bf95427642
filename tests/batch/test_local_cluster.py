"""A fleet through ``run_batch`` on a real 2-worker LocalCluster: rows, bad files, reading back,
equality with ``rotordx diagnose --json``, resume, partitions, reading while it runs."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from batchdata import BAD, MACHINES, SNAPSHOTS, read_rows, write_manifest
from rotordx.batch import COLUMNS, read_meta, read_results, run_batch
from rotordx.cli import app

N_GOOD = MACHINES * SNAPSHOTS
N_ALL = N_GOOD + len(BAD)


@pytest.fixture(scope="module")
def results(fleet, dask_client, tmp_path_factory):
    out = tmp_path_factory.mktemp("batch") / "results"
    summary = run_batch(fleet, out, client=dask_client, part_rows=40, part_seconds=3600)
    return out, summary


def _by_name(table) -> dict[str, dict]:
    return {Path(r["path"]).name: r for r in table.to_pylist()}


def test_every_recording_once_and_bad_files_are_rows(results):
    out, s = results
    t = read_results(out)
    assert t.column_names == list(COLUMNS)
    paths = t.column("path").to_pylist()
    assert len(paths) == len(set(paths)) == N_ALL
    rows = _by_name(t)
    for name, expected in BAD.items():
        assert expected in rows[name]["error"], rows[name]["error"]
        assert "unexpected" not in rows[name]["error"]
        assert rows[name]["verdict"] is None and rows[name]["diagnosis"] is None
    good = [r for n, r in rows.items() if n not in BAD]
    assert all(r["error"] == "" and r["verdict"] and r["diagnosis"] for r in good)
    assert all(r["model"] == "physics" and r["run"] == 0 and r["seconds"] > 0 for r in good)
    # every good row has its severity, orders and, the bearing known, its bearing evidence
    assert all(r["velocity_rms_mm_s"] > 0 and r["zone"] in "ABCD" for r in good)
    assert all(r["order_1x_mm_s"] is not None and r["kurtosis"] > 0 for r in good)
    assert all(r["bearing_defect"] in ("bpfo", "bpfi", "bsf") for r in good)
    assert all(r["bearing_significant"] in (True, False) and r["bearing_score"] >= 0 for r in good)
    # the summary agrees with the table
    assert (s.total, s.skipped, s.diagnosed, s.failed) == (N_ALL, 0, N_GOOD, len(BAD))
    assert s.verdicts["failed"] == len(BAD) and sum(s.verdicts.values()) == N_ALL
    assert set(s.machines) == {f"M{i + 1:02d}" for i in range(MACHINES)} | {"BAD"}
    assert sorted(Path(p).name for p, _ in s.failures) == sorted(BAD)
    assert s.parts == len(list(out.glob("part-r000-*.parquet"))) >= 2
    assert s.duplicates == 0 and s.rate > 0
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]


def test_results_read_with_pandas_pyarrow_duckdb(results):
    import duckdb
    import pandas as pd
    import pyarrow.dataset as pads

    out, _ = results
    df = pd.read_parquet(out)
    assert len(df) == N_ALL and (df.error != "").sum() == len(BAD)
    assert pads.dataset(out, format="parquet").count_rows() == N_ALL
    con = duckdb.connect()
    per_verdict = dict(
        con.execute(
            f"SELECT verdict, count(*) FROM read_parquet('{out}/*.parquet') "
            "WHERE error = '' GROUP BY verdict"
        ).fetchall()
    )
    assert sum(per_verdict.values()) == N_GOOD
    assert per_verdict == df[df.error == ""].verdict.value_counts().to_dict()


def _same(a, b, where=""):
    """Equal JSON values, floats to 1e-12 relative, NaN (diagnose --json) as null (batch)."""
    if isinstance(a, float) and math.isnan(a):
        assert b is None, where
    elif isinstance(a, float):
        assert b == pytest.approx(a, rel=1e-12, abs=1e-300), where
    elif isinstance(a, dict):
        assert set(a) == set(b), where
        for k in a:
            _same(a[k], b[k], f"{where}.{k}")
    elif isinstance(a, list):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _same(x, y, f"{where}[{i}]")
    else:
        assert a == b, where


def test_rows_equal_diagnose_json(results, fleet, tmp_path):
    out, _ = results
    rows = read_rows(fleet)
    picked = rows[0:N_GOOD:41]  # every machine, several states, a speed given or not
    sub = write_manifest(fleet.parent / "equality.csv", picked)
    r = CliRunner().invoke(app, ["diagnose", str(sub), "--json", "--no-plots", "--quiet"])
    assert r.exit_code == 0, r.output
    expected = json.loads(r.output)["recordings"]
    table = {row["path"]: row for row in read_results(out).to_pylist()}
    assert len(expected) == len(picked) >= 5
    for d in expected:
        row = table[d["path"]]
        _same(d, json.loads(row["diagnosis"]), d["path"])
        assert row["verdict"] == d["verdict"] and row["faults"] == d["faults"]
        assert row["confidence"] == d["confidence"] and row["rpm"] == d["rpm"]
        assert row["rpm_source"] == d["rpm_source"] and row["machine"] == d["machine"]
        assert row["velocity_rms_mm_s"] == d["severity"]["velocity_rms_mm_s"]
        assert row["zone"] == d["severity"]["zone"]
        worst = next(s for s in d["sensors"] if s["name"] == d["severity"]["channel"])
        assert row["order_1x_mm_s"] == worst["velocity_orders_mm_s"]["1x"]
        assert row["physics_verdict"] == d["physics"]["verdict"]


def test_resume_after_a_stopped_run_does_only_the_rest(fleet, dask_client, tmp_path):
    out = tmp_path / "res"
    first = run_batch(fleet, out, client=dask_client, limit=100, part_rows=30)
    assert first.processed == 100 and read_results(out).num_rows == 100
    with pytest.raises(Exception, match="pass --resume"):
        run_batch(fleet, out, client=dask_client)
    second = run_batch(fleet, out, client=dask_client, resume=True, part_rows=30)
    assert (second.run, second.skipped, second.processed) == (1, 100, N_ALL - 100)
    t = read_results(out)
    assert t.num_rows == N_ALL and len(set(t.column("path").to_pylist())) == N_ALL
    assert sorted(set(t.column("run").to_pylist())) == [0, 1]
    # a rerun without changes does no work (and starts no cluster)
    third = run_batch(fleet, out, resume=True)
    assert (third.skipped, third.processed, third.parts, third.workers) == (N_ALL, 0, 0, 0)
    # a file that changed is diagnosed again, and its old row goes
    changed = fleet.parent / read_rows(fleet)[7]["path"]
    st = changed.stat()
    os.utime(changed, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    fourth = run_batch(fleet, out, client=dask_client, resume=True)
    assert (fourth.skipped, fourth.processed) == (N_ALL - 1, 1)
    t = read_results(out).to_pylist()
    mine = [r for r in t if r["path"] == str(changed)]
    assert len(t) == N_ALL and len(mine) == 1 and mine[0]["mtime_ns"] == st.st_mtime_ns + 10**9
    # --retry-failed: the failed rows are tried again (and fail again), still once each
    fifth = run_batch(fleet, out, client=dask_client, retry_failed=True)
    assert (fifth.processed, fifth.failed) == (len(BAD), len(BAD))
    t = read_results(out)
    assert t.num_rows == N_ALL and len(set(t.column("path").to_pylist())) == N_ALL
    assert [r["run"] for r in read_meta(out)["runs"]] == [0, 1, 2, 3, 4]
    # the settings that decide the rows must stay the same
    with pytest.raises(Exception, match="rpm None"):
        run_batch(fleet, out, client=dask_client, resume=True, rpm=1500.0)


def test_partition_by_machine(fleet, dask_client, tmp_path):
    import duckdb
    import pandas as pd
    import pyarrow.parquet as pq

    rows = read_rows(fleet)
    sub = write_manifest(fleet.parent / "three.csv", rows[0:N_GOOD:20] + rows[-2:])
    out = tmp_path / "parts"
    s = run_batch(sub, out, client=dask_client, partition_by="machine", part_rows=5)
    machines = {r["machine"] for r in read_rows(sub)}
    assert {p.name for p in out.iterdir() if p.is_dir()} == {f"machine={m}" for m in machines}
    part = next(out.glob("machine=M01/part-*.parquet"))
    assert "machine" not in pq.read_schema(part).names  # the folder says it
    t = read_results(out)
    assert t.num_rows == len(read_rows(sub)) == s.processed
    by_path = {r["path"]: r["machine"] for r in t.to_pylist()}
    assert by_path == {str(fleet.parent / r["path"]): r["machine"] for r in read_rows(sub)}
    df = pd.read_parquet(out)
    assert sorted(df.machine.astype(str).unique()) == sorted(machines)
    n = duckdb.connect().execute(
        f"SELECT count(*) FROM read_parquet('{out}/*/*.parquet', hive_partitioning=true) "
        "WHERE machine = 'M01'"
    )
    assert n.fetchone()[0] == sum(1 for r in read_rows(sub) if r["machine"] == "M01")


def test_results_readable_while_the_batch_runs(fleet, dask_client, tmp_path):
    import duckdb

    out = tmp_path / "live"
    seen = []

    def on_rows(new):
        t = read_results(out)  # whole parts only, never a half-written one
        n = 0
        if list(out.glob("*.parquet")):  # (DuckDB refuses a pattern that matches nothing)
            n = duckdb.connect().execute(f"SELECT count(*) FROM '{out}/*.parquet'").fetchone()[0]
        seen.append((t.num_rows, n))

    run_batch(fleet, out, client=dask_client, limit=120, part_rows=10, per_task=5,
              on_rows=on_rows)  # fmt: skip
    assert len(seen) >= 10
    assert all(a == b for a, b in seen)
    assert any(0 < a < 120 for a, _ in seen)  # parts appeared while it ran
    assert [a for a, _ in seen] == sorted(a for a, _ in seen)
