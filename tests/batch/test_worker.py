"""What a worker does: large CSV files read block by block with the same rows, and a model
loaded once per worker process whose rows match ``rotordx diagnose --model --json``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from batchdata import read_rows, write_manifest
from rotordx.batch import plan_items, read_results, run_batch
from rotordx.batch import worker as batch_worker
from rotordx.batch.worker import Settings, diagnose_items
from rotordx.cli import app
from rotordx.io import tabular_stream
from rotordx.simulate.fleet import FleetConfig, write_fleet


def test_streamed_rows_are_the_whole_read_rows(fleet, monkeypatch):
    items = [it for it in plan_items(fleet) if it.error is None][:40:4]
    whole = diagnose_items(items, Settings())
    monkeypatch.setattr(batch_worker, "STREAM_BYTES", 0)  # every CSV file block by block
    monkeypatch.setattr(tabular_stream, "BLOCK_BYTES", 8192)  # in many blocks
    streamed = diagnose_items(items, Settings())
    assert [r["streamed"] for r in whole] == [False] * len(items)
    assert [r["streamed"] for r in streamed] == [True] * len(items)
    for a, b in zip(whole, streamed, strict=True):
        for key in ("path", "verdict", "faults", "confidence", "rpm", "rpm_source", "zone"):
            assert a[key] == b[key], key
        # the same samples summed in another order: equal to rounding
        assert b["velocity_rms_mm_s"] == pytest.approx(a["velocity_rms_mm_s"], rel=1e-12)
        assert b["order_1x_mm_s"] == pytest.approx(a["order_1x_mm_s"], rel=1e-12)


@pytest.fixture(scope="module")
def model_run(tmp_path_factory):
    """A `features` forest trained on a small fleet (two machines, 1 s snapshots)."""
    root = tmp_path_factory.mktemp("model")
    manifest = write_fleet(
        root / "fleet",
        FleetConfig(machines=2, snapshots=14, seconds=1.0),
        seed=5,
        manifest_columns="basic",
    )
    r = CliRunner().invoke(
        app,
        ["train", str(manifest), "--model", "features", "--split", "recording", "--out",
         str(root / "run"), "--seed", "1", "--quiet", "--threads", "1"],
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    return manifest, root / "run"


def test_a_model_loaded_once_per_worker_gives_diagnose_rows(model_run, dask_client, tmp_path):
    manifest, run = model_run
    sub = write_manifest(manifest.parent / "some.csv", read_rows(manifest)[::3])
    s = run_batch(sub, tmp_path / "res", model=run, client=dask_client, per_task=1)
    t = read_results(tmp_path / "res").to_pylist()
    assert s.failed == 0 and len(t) == len(read_rows(sub))
    (model_id,) = {r["model"] for r in t}
    assert model_id.startswith("features@") and len(model_id) == len("features@") + 12
    # each worker loaded it once, for all its tasks (one recording each)
    loads = dask_client.run(lambda: dict(batch_worker.LOADS))
    assert [v[str(run.resolve())] for v in loads.values()] == [1] * len(loads)
    r = CliRunner().invoke(
        app, ["diagnose", str(sub), "--model", str(run), "--json", "--no-plots", "--quiet"]
    )
    assert r.exit_code == 0, r.output
    expected = {d["path"]: d for d in json.loads(r.output)["recordings"]}
    for row in t:
        d = expected[row["path"]]
        assert (row["verdict"], row["confidence"]) == (d["verdict"], d["confidence"])
        assert json.loads(row["diagnosis"])["model"] == d["model"]
        assert Path(row["path"]).name in {Path(p).name for p in expected}
