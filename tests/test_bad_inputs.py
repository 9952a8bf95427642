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
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from badinputs import (
    CASES,
    CRASHERS,
    CWRU_NAME,
    FS,
    N_SAMPLES,
    Case,
    Crasher,
    shared_crashers_dir,
    valid_recordings,
    write_csv,
    write_kamp,
    write_mat,
    write_parquet,
    write_window_bundle,
)
from rotordx.cli import app
from rotordx.exceptions import DataError

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


def test_valid_reader_inputs_are_accepted(tmp_path):
    """The builders of the issue-13 rows, without their defect, load through a manifest."""
    import badinputs as b
    from rotordx.io import load_entry, read_manifest

    pytest.importorskip("nptdms")
    pytest.importorskip("pyuff")
    t = np.arange(N_SAMPLES) / FS
    builds = {
        "timed": b._listed("t.csv", b._timed_csv("X-Axis,a,b", t), rate="1000"),
        "bare": b._listed(
            "h.csv", lambda p: b.write_lines(p, b._timed_csv("", t)(p).read_text().splitlines()[1:])
        ),
        "mat": b._listed("rig.mat", b._generic_mat(b._mfpt), channel="bearing.gs"),
        "tdms": b._listed("r.tdms", b._tdms(lambda: [("Vib", "x", b.signal()[0], b._wf())])),
        "uff": b._listed("r.uff", b._uff(lambda: [{"node": 1, "dir": 3, "data": b.signal()[0]}])),
    }
    for what, build in builds.items():
        root = tmp_path / what
        root.mkdir()
        entries = read_manifest(build(root)["target"])
        rec = load_entry(entries[0])
        assert rec.recording.fs == FS, what
        assert rec.recording.signals.shape[1] == N_SAMPLES, what


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


# -- crashers of native parsers (issue 16): every route, the CLI in a child process ---------


@pytest.fixture(scope="module")
def crasher_run(tmp_path_factory):
    """A window-protocol bundle (classes normal, fault) for the evaluate / diagnose routes."""
    return write_window_bundle(tmp_path_factory.mktemp("crasher") / "run")


def _write_crasher(crasher: Crasher, root: Path) -> tuple[Path, Path]:
    """The crasher under a CWRU name and a manifest listing it (line 2) and a valid CSV."""
    data = crasher.content(root)
    if data is None:
        pytest.skip(f"{crasher.name}: shared crasher file absent from {shared_crashers_dir()}")
    target = root / CWRU_NAME
    target.write_bytes(data)
    write_csv(root / "ok.csv", seed=3)
    manifest = root / "manifest.csv"
    manifest.write_text(f"path,label,rate,channel\n{CWRU_NAME},fault,,DE;FE\nok.csv,normal,1000,\n")
    return target, manifest


def _one_line(msg: str, crasher: Crasher) -> None:
    assert "\n" not in msg and "Traceback" not in msg, msg
    assert CWRU_NAME in msg, msg
    for fragment in crasher.fragments:
        assert fragment in msg, f"{fragment!r} not in {msg!r}"


def test_crashers_table_is_well_formed():
    assert len({c.name for c in CRASHERS}) == len(CRASHERS) >= 10
    assert all(c.fragments and c.scipy for c in CRASHERS)


@pytest.mark.parametrize("crasher", CRASHERS, ids=[c.name for c in CRASHERS])
def test_crasher_is_a_data_error_through_the_api(crasher, tmp_path):
    from rotordx.io import load_entry, read_cwru, read_manifest

    target, manifest = _write_crasher(crasher, tmp_path)
    with pytest.raises(DataError) as info:
        read_cwru(target, channels=("DE", "FE"))
    _one_line(str(info.value), crasher)
    entries = read_manifest(manifest)
    with pytest.raises(DataError) as info:
        [load_entry(e) for e in entries]
    assert str(info.value).startswith(f"{manifest}: line 2: "), info.value
    _one_line(str(info.value), crasher)


CLI = "import sys; from rotordx.cli import main; sys.argv[0] = 'rotordx'; main()"


@pytest.mark.parametrize("route", ["evaluate", "diagnose"])
@pytest.mark.parametrize("crasher", CRASHERS, ids=[c.name for c in CRASHERS])
def test_crasher_exits_1_on_the_command_line(crasher, route, tmp_path, crasher_run):
    """In a child process, so that a signal death shows as a negative exit status."""
    target, manifest = _write_crasher(crasher, tmp_path)
    args = (
        ["evaluate", str(crasher_run), str(manifest), "--json"]
        if route == "evaluate"
        else ["diagnose", str(target), "--model", str(crasher_run), "--no-plots", "--quiet"]
    )
    r = subprocess.run(
        [sys.executable, "-c", CLI, *args], capture_output=True, text=True, timeout=300
    )
    assert r.returncode == 1, f"exit status {r.returncode} (< 0: killed by a signal)\n{r.stderr}"
    assert r.stdout == "" and "Traceback" not in r.stderr, r.stderr
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), r.stderr
    if route == "evaluate":
        assert lines[0].startswith(f"error: {manifest}: line 2: "), lines[0]
    _one_line(lines[0], crasher)
