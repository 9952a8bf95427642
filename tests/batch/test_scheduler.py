"""``rotordx batch --scheduler``: a separately started ``dask scheduler`` and ``dask worker``
(subprocesses on 127.0.0.1), and a batch stopped by SIGTERM part-way, then resumed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from batchdata import BAD, MACHINES, SNAPSHOTS, read_rows, write_manifest
from rotordx.batch import read_meta, read_results
from rotordx.cli import app

N_ALL = MACHINES * SNAPSHOTS + len(BAD)
#: The child starts with the default disposition of SIGTERM and the signal unblocked, then
#: runs the command line (which installs its own handler before the batch starts).
CLI = (
    "import signal, sys\n"
    "signal.signal(signal.SIGTERM, signal.SIG_DFL)\n"
    "signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})\n"
    "from rotordx.cli import main\n"
    "main()\n"
)


def _wait(what, check, *, timeout=90.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    pytest.fail(f"timed out waiting for {what}")


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)


@pytest.fixture(scope="module")
def scheduler(tmp_path_factory):
    """``tcp://127.0.0.1:PORT`` of a `dask scheduler` with one `dask worker` (1 thread)."""
    d = tmp_path_factory.mktemp("dask")
    info = d / "scheduler.json"
    dask = [sys.executable, "-m", "dask"]
    common = {"cwd": d, "start_new_session": True, "stdout": subprocess.DEVNULL}
    procs = []
    try:
        procs.append(
            subprocess.Popen(
                [*dask, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                 "--scheduler-file", str(info)],
                stderr=(d / "scheduler.log").open("w"), **common,
            )
        )  # fmt: skip
        address = _wait("the scheduler", lambda: info.is_file() and _address(info))
        procs.append(
            subprocess.Popen(
                [*dask, "worker", address, "--host", "127.0.0.1", "--nworkers", "1",
                 "--nthreads", "1", "--no-dashboard"],
                stderr=(d / "worker.log").open("w"), **common,
            )
        )  # fmt: skip
        yield address
    finally:
        for p in reversed(procs):
            _stop(p)


def _address(info: Path) -> str | None:
    try:
        return json.loads(info.read_text())["address"]
    except (ValueError, KeyError):
        return None  # being written


def test_batch_through_a_separately_started_scheduler(fleet, scheduler, tmp_path):
    assert scheduler.startswith("tcp://127.0.0.1:")
    rows = read_rows(fleet)
    good = MACHINES * SNAPSHOTS
    sub = write_manifest(fleet.parent / "sched.csv", rows[0:good:12] + rows[-3:])
    out = tmp_path / "res"
    args = ["batch", str(sub), "--out", str(out), "--scheduler", scheduler, "--quiet"]
    r = CliRunner().invoke(app, [*args, "--json"])
    assert r.exit_code == 0, r.output
    s = json.loads(r.output)
    assert (s["workers"], s["diagnosed"], s["failed"]) == (1, len(rows[0:good:12]), 3)
    t = read_results(out)
    assert sorted(t.column("path").to_pylist()) == sorted(
        str(fleet.parent / r["path"]) for r in read_rows(sub)
    )
    # the worker was the separate process, not this one
    pids = {w.split(":")[1] for w in t.column("worker").to_pylist() if w != "client"}
    assert len(pids) == 1 and str(os.getpid()) not in pids
    # the summary in words, and the same batch again does nothing
    r = CliRunner().invoke(app, [*args, "--resume"])
    assert r.exit_code == 0, r.output
    assert "0 recordings diagnosed now (0 failed)" in r.output
    assert "rows per verdict" in r.output and "failures (3)" in r.output


def test_sigterm_stops_the_batch_and_resume_does_the_rest(fleet, scheduler, tmp_path):
    out = tmp_path / "res"
    args = [str(fleet), "--out", str(out), "--scheduler", scheduler, "--part-rows", "5"]
    child = subprocess.Popen(
        [sys.executable, "-c", CLI, "batch", *args, "--quiet"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        # ready: it has written a part, so its handler is installed and work is under way
        _wait("a first part", lambda: list(out.glob("part-*.parquet")) or child.poll() is not None)
        child.send_signal(signal.SIGTERM)
        _, err = child.communicate(timeout=60)
    finally:
        _stop(child)
    assert child.returncode == 130, err
    assert "interrupted; the rows written so far are kept" in err
    kept = read_results(out)
    assert 0 < kept.num_rows < N_ALL
    assert read_meta(out)["runs"][0]["stopped"] == "interrupted"
    r = CliRunner().invoke(app, ["batch", *args, "--resume", "--quiet", "--json"])
    assert r.exit_code == 0, r.output
    s = json.loads(r.output)
    assert (s["skipped"], s["diagnosed"] + s["failed"]) == (kept.num_rows, N_ALL - kept.num_rows)
    paths = read_results(out).column("path").to_pylist()
    assert len(paths) == len(set(paths)) == N_ALL
