"""`rotordx import-batch`: a batch's results become the service's history, each recording once,
and a real server shows them."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

pytest.importorskip("sqlalchemy")

from rotordx.batch import read_results, run_batch
from rotordx.batch.export import history_rows
from rotordx.cli import app
from service_support import Server

N = 60


@pytest.fixture(scope="module")
def results(fleet, dask_client, tmp_path_factory):
    out = tmp_path_factory.mktemp("import") / "results"
    run_batch(fleet, out, client=dask_client, limit=N, part_rows=25)
    return out


def test_history_rows_are_the_diagnoses_that_worked(results):
    t = read_results(results).to_pylist()
    found = history_rows(results)
    ok = [r for r in t if not r["error"]]
    assert len(found.rows) == len(ok) and found.failed == len(t) - len(ok)
    by_path = {r["path"]: r for r in ok}
    for row in found.rows:
        src = by_path[row["recording"]["name"]]
        assert row["machine"] == src["machine"] and row["source"] == "batch"
        assert row["verdict"] == src["verdict"] == json.loads(src["diagnosis"])["verdict"]
        assert row["time"].timestamp() == pytest.approx(src["mtime_ns"] / 1e9, abs=1e-6)


def test_import_twice_stores_each_recording_once_and_the_server_shows_them(results, tmp_path):
    db = tmp_path / "history.db"
    found = history_rows(results)
    runner = CliRunner()
    res = runner.invoke(app, ["import-batch", str(results), "--db", str(db)])
    assert res.exit_code == 0, res.output
    assert f"{len(found.rows)} diagnoses" in res.output and "0 already there" in res.output
    res = runner.invoke(app, ["import-batch", str(results), "--db", str(db)])
    assert res.exit_code == 0, res.output
    assert "0 diagnoses" in res.output and f"{len(found.rows)} already there" in res.output

    by_machine: dict[str, list[dict]] = {}
    for r in found.rows:
        by_machine.setdefault(r["machine"], []).append(r)
    server = Server(tmp_path / "srv", "--db", str(db))
    try:
        with server.client() as c:
            machines = {m["name"]: m for m in c.get("/v1/machines").json()}
            assert set(by_machine) <= set(machines)
            for name, rows in by_machine.items():
                hist = c.get(f"/v1/machines/{name}/history", params={"limit": 1000}).json()
                assert len(hist) == len(rows)
                newest = max(rows, key=lambda r: r["time"])
                assert hist[0]["verdict"] == newest["verdict"]
    finally:
        assert server.stop() == 0


def test_import_errors_are_clear(tmp_path):
    runner = CliRunner()
    res = runner.invoke(
        app, ["import-batch", str(tmp_path / "nothing"), "--db", str(tmp_path / "d.db")]
    )
    assert res.exit_code == 1
    assert "no such folder of batch results" in res.output
    assert not (tmp_path / "d.db").exists()  # nothing is created before the results are read
