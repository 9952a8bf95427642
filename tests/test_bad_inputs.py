"""The bad-input corpus (tests/badinputs.py), through the Python API and the command line.

Every case must raise its rotordx exception with a message naming the file, the line or
column/variable, what was found and what was expected; on the command line the same input
must give exit status 1, a single line ``error: …`` on stderr, no traceback and no output.
The corpus is generated into ``tmp_path``; docs/inputs.md lists what is rejected.
"""

from __future__ import annotations

import importlib.util
import os
import signal
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from badinputs import (
    CASES,
    CWRU_NAME,
    FS,
    N_SAMPLES,
    Case,
    valid_recordings,
    write_csv,
    write_kamp,
    write_mat,
    write_parquet,
    write_window_bundle,
)
from rotordx.cli import app

runner = CliRunner()
IDS = [c.name for c in CASES]


def _build(case: Case, tmp_path: Path) -> dict:
    out = tmp_path / "out"
    out.mkdir()
    return {**case.build(tmp_path), "out": str(out)}


def test_corpus_table_is_well_formed():
    assert len(CASES) >= 50
    assert len(set(IDS)) == len(IDS)
    for c in CASES:
        assert c.fragments, c.name
        assert c.cli and c.cli[0] in ("preprocess", "train", "evaluate"), c.name


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_api_raises_a_clear_error(case, tmp_path):
    paths = _build(case, tmp_path)
    with pytest.raises(case.error) as info:
        case.api(paths)
    msg = str(info.value)
    assert type(info.value) is case.error, msg
    for fragment in case.fragments:
        assert fragment in msg, f"{fragment!r} not in {msg!r}"
    assert "\n" not in msg and "np.float64" not in msg, msg
    assert not (tmp_path / "pwned").exists()  # no pickle payload ran


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_cli_prints_one_error_line(case, tmp_path):
    paths = _build(case, tmp_path)
    result = runner.invoke(app, [a.format(**paths) for a in case.cli])
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for fragment in case.cli_fragments or case.fragments:
        assert fragment in lines[0], f"{fragment!r} not in {lines[0]!r}"
    assert "Traceback" not in result.output
    assert list(Path(paths["out"]).iterdir()) == []  # nothing written
    assert not (tmp_path / "pwned").exists()


def test_valid_inputs_are_accepted(tmp_path):
    """The corpus's starting points are valid: each case fails because of its defect."""
    from rotordx.io import (
        load_entry,
        load_kamp_group,
        read_channels,
        read_cwru,
        read_kamp_sensor,
        read_manifest,
    )

    group = write_kamp(tmp_path / "group")
    assert load_kamp_group(group).sensors[0].values.shape == (600, 4)
    assert read_kamp_sensor(group / "g1_sensor2.csv").time[0] == 0.0
    r = runner.invoke(app, ["preprocess", str(group), str(tmp_path / "pre.parquet")])
    assert r.exit_code == 0, r.output
    rec = read_channels(write_csv(tmp_path / "rec.csv"))
    assert rec.fs == pytest.approx(FS) and rec.signals.shape == (2, N_SAMPLES)
    assert read_channels(write_parquet(tmp_path / "rec.parquet")).channel_names == ("a", "b")
    cw = read_cwru(write_mat(tmp_path / CWRU_NAME), channels=("DE", "FE"))
    assert cw.recording.signals.shape == (2, N_SAMPLES) and cw.rpm == 1797.0
    manifest = valid_recordings(tmp_path / "m")
    entries = read_manifest(manifest)
    assert [load_entry(e).label for e in entries] == ["normal", "fault"]
    run = write_window_bundle(tmp_path / "run")
    r = runner.invoke(app, ["evaluate", str(run), str(manifest), "--json"])
    assert r.exit_code == 0, r.output


def _fuzzer():
    path = Path(__file__).resolve().parents[1] / "scripts" / "fuzz_readers.py"
    spec = importlib.util.spec_from_file_location("fuzz_readers", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(spec.name, module)  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_quick_fuzz_finds_nothing(tmp_path):
    """50 mutated inputs per reader (scripts/fuzz_readers.py; run it longer by hand)."""
    fz = _fuzzer()
    report = fz.fuzz(examples=50, seed=1, out=tmp_path / "findings")
    assert dict(report.tried) == dict.fromkeys(fz.READERS, 50)
    # the mutations reach both outcomes: rejected with a DataError, and accepted
    for reader in fz.READERS:
        assert report.outcomes[reader]["DataError"] > 0, reader
    assert sum(o["accepted"] for o in report.outcomes.values()) > 0
    lines = [f"{f.reader}: {f.kind} at {f.where}: {f.message} ({f.how})" for f in report.findings]
    assert not lines, "\n".join(lines)


def _pool_job(task: dict) -> dict:
    """A job for the worker-pool test: crash, hang, exhaust memory, or answer."""
    if task["what"] == "segv":
        os.kill(os.getpid(), signal.SIGSEGV)
    if task["what"] == "hang":
        time.sleep(60)
    if task["what"] == "memory":
        bytearray(4 * 2**30)
    return {"outcome": f"ok {os.getpid()}"}


def test_worker_pool_turns_crashes_hangs_and_memory_into_answers(tmp_path):
    """What killed the in-process fuzzer (a SIGSEGV in scipy) is an answer of the pool;
    the dead or killed worker is replaced and the next input still runs."""
    fz = _fuzzer()
    whats = ["ok", "segv", "ok", "hang", "memory", "ok"]
    tasks = [{"i": i, "what": w} for i, w in enumerate(whats)]
    with fz.WorkerPool(_pool_job, jobs=2, timeout=2.0, memory_mb=256, logs=tmp_path) as pool:
        answers = {t["i"]: a for t, a in pool.run(tasks)}
    assert sorted(answers) == list(range(len(whats)))
    assert answers[1]["death"][0] == "signal SIGSEGV"
    assert answers[1]["death"][1] == "test_bad_inputs.py:" + str(
        _pool_job.__code__.co_firstlineno + 3
    )  # faulthandler's frame
    assert answers[3]["death"][0] == "hang (over 2 s)"
    assert answers[4]["memory"] is True
    for i in (0, 2, 5):
        assert answers[i]["outcome"].startswith("ok "), answers[i]
