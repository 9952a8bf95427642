"""Atomic outputs: a run folder or file is either complete or absent, never half written.

Two layers are tested:

* ``rotordx._atomic`` directly (``atomic_file`` / ``atomic_dir``), in-process and in child
  processes that kill themselves *inside* the write (the only window where a temporary
  sibling exists);
* the real ``rotordx train`` console script, killed with SIGKILL / SIGINT while it trains.

Findings these tests pin down (see the module's tests for details):

* ``train_run`` only opens ``atomic_dir`` after fitting, so a ``train`` killed while
  training never even creates the temporary sibling: RUN is absent (or the previous run)
  and nothing else is in the parent folder, for SIGKILL as well as SIGINT.
* A SIGKILL *during* the write leaves a ``.NAME.*.tmp`` sibling behind (nothing can clean
  up after SIGKILL); the destination is still absent or the previous complete content.
* SIGINT (KeyboardInterrupt) during the write removes the temporary sibling; the CLI maps
  it to exit code 130 with "interrupted; no partial output was kept".

Every child is started with SIGINT back at its default disposition
(``support.default_sigint``): a shell that runs the suite as a background job ignores
SIGINT for it, the ignored disposition is inherited, and a Python child would then never
be interrupted. Some children are started while this process ignores SIGINT on purpose,
to show that the interrupts still arrive.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from rotordx._atomic import atomic_dir, atomic_file, write_text_atomic
from rotordx.exceptions import ParameterError
from support import SMALL_SPLIT, popen_interruptible, run_interruptible, sigint_ignored

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

ROTORDX = Path(sys.executable).with_name("rotordx")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _train_cmd(data: Path, out: Path, *, max_epochs: int, force: bool = False) -> list[str]:
    cmd = [
        str(ROTORDX) if ROTORDX.exists() else "rotordx",
        "train",
        str(data),
        "--model",
        "dnn",
        "--out",
        str(out),
        "--split",
        SMALL_SPLIT,
        "--max-epochs",
        str(max_epochs),
        "--patience",
        str(max_epochs),
        "--threads",
        "1",
        "--quiet",
    ]
    return cmd + (["--force"] if force else [])


def _env() -> dict[str, str]:
    return {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def _siblings(path: Path) -> list[str]:
    """Names in ``path``'s parent that belong to ``path`` (itself or a temporary sibling)."""
    return sorted(p.name for p in path.parent.iterdir() if p.name.startswith(f".{path.name}."))


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def _popen(cmd: list[str], log: Path) -> subprocess.Popen:
    with open(log, "w") as fh:  # a file, not a pipe: nobody has to drain it
        return popen_interruptible(cmd, stdout=fh, stderr=subprocess.STDOUT, env=_env())


@pytest.fixture(autouse=True)
def _sigint_handler_unchanged():
    """No test leaves this process with another SIGINT handler (e.g. SIGINT ignored)."""
    before = signal.getsignal(signal.SIGINT)
    yield
    assert signal.getsignal(signal.SIGINT) == before


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a running process (all its threads), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@pytest.fixture(scope="module")
def runs(small_group_dir, tmp_path_factory):
    """Real ``rotordx train`` processes: one complete run, four killed while training.

    A short calibration run (2 epochs; complete, it becomes the "previous run" and is
    checked by the last test) starts together with two long runs (200 epochs of about
    0.15 s CPU each) into fresh folders. The calibration run's CPU time covers startup,
    data loading, 2 epochs, plotting and writing, so a long run that has used one CPU
    second more is certainly in its epoch loop, whatever the machine's load (CPU time,
    not wall time, is compared). Each long run gets its signal (SIGKILL or SIGINT) as soon
    as it has crossed that mark. When the calibration run is done, two more long runs
    start with ``--force`` over copies of it and are treated alike; the SIGINT one of them
    is started while this process ignores SIGINT.
    """
    if not Path(f"/proc/{os.getpid()}/stat").exists():
        pytest.skip("needs /proc to see when training has started")
    base = tmp_path_factory.mktemp("kills")
    complete = base / "complete" / "run"
    complete.parent.mkdir()
    sig_of = {"SIGKILL": signal.SIGKILL, "SIGINT": signal.SIGINT}
    dest = {(v, n): base / f"{v}-{n}" / "RUN" for v in ("fresh", "previous") for n in sig_of}
    for d in dest.values():
        d.parent.mkdir()
    procs: dict = {}
    before = {}
    try:
        calib = _popen(_train_cmd(small_group_dir, complete, max_epochs=2), base / "calib.log")
        for n in sig_of:
            procs["fresh", n] = _popen(
                _train_cmd(small_group_dir, dest["fresh", n], max_epochs=200),
                base / f"fresh-{n}.log",
            )
        _, status, usage = os.wait4(calib.pid, 0)
        calib.returncode = os.waitstatus_to_exitcode(status)
        assert calib.returncode == 0, (base / "calib.log").read_text()
        mark = usage.ru_utime + usage.ru_stime + 1.0
        for n in sig_of:
            shutil.copytree(complete, dest["previous", n])
            before[n] = _snapshot(dest["previous", n])
            # the SIGINT run over a previous one starts while this process ignores SIGINT
            # (as under a shell's background job): it must be interrupted all the same
            with sigint_ignored() if n == "SIGINT" else contextlib.nullcontext():
                procs["previous", n] = _popen(
                    _train_cmd(small_group_dir, dest["previous", n], max_epochs=200, force=True),
                    base / f"previous-{n}.log",
                )
        pending = dict(procs)
        deadline = time.monotonic() + 150
        while pending:
            assert time.monotonic() < deadline, "train runs did not reach their epoch loop"
            for key, p in list(pending.items()):
                assert p.poll() is None, f"{key}: train ended before it could be interrupted"
                if _cpu_seconds(p.pid) >= mark:
                    p.send_signal(sig_of[key[1]])
                    del pending[key]
            time.sleep(0.1)
        results = {}
        for key, p in procs.items():
            p.wait(timeout=60)
            log = (base / f"{key[0]}-{key[1]}.log").read_text()
            results[key] = (p.returncode, log)
    finally:
        for p in procs.values():
            if p.poll() is None:
                p.kill()
                p.wait()
    return {"complete": complete, "dest": dest, "results": results, "before": before}


# -- the real CLI, killed while training ----------------------------------------------------


@pytest.mark.parametrize("variant", ["fresh", "previous"])
def test_train_sigkill_leaves_no_half_run(runs, variant):
    rc, out = runs["results"][variant, "SIGKILL"]
    run = runs["dest"][variant, "SIGKILL"]
    assert rc == -signal.SIGKILL and "wrote" not in out
    if variant == "fresh":
        assert not run.exists()
    else:  # the previous complete run (replaced only with --force) is byte for byte unchanged
        before = runs["before"]["SIGKILL"]
        assert _snapshot(run) == before
        assert (run / "metrics.json").read_bytes() == before["metrics.json"]
    # After SIGKILL a `.RUN.*.tmp` sibling *may* legitimately remain (no clean-up is
    # possible); anything left beside RUN must be such a temporary.
    for name in _siblings(run):
        assert name.startswith(".RUN.") and name.endswith(".tmp"), name
    # Observed: train_run opens atomic_dir only after fitting, so a run killed while
    # training has not created any temporary at all.
    expected = [] if variant == "fresh" else ["RUN"]
    assert sorted(p.name for p in run.parent.iterdir()) == expected


@pytest.mark.parametrize("variant", ["fresh", "previous"])
def test_train_sigint_exits_nonzero_and_leaves_nothing(runs, variant):
    rc, err = runs["results"][variant, "SIGINT"]
    run = runs["dest"][variant, "SIGINT"]
    assert rc != 0, err
    # the CLI maps KeyboardInterrupt to 130 with a one-line message, no traceback
    assert rc == 130, (rc, err)
    assert "interrupted" in err and "Traceback" not in err
    assert "wrote" not in err
    if variant == "fresh":
        assert not run.exists()
    else:
        assert _snapshot(run) == runs["before"]["SIGINT"]
    # SIGINT can always clean up: no temporary sibling is left
    expected = [] if variant == "fresh" else ["RUN"]
    assert sorted(p.name for p in run.parent.iterdir()) == expected


# -- killed *inside* the atomic write (child processes) --------------------------------------

_CHILD = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    from rotordx._atomic import atomic_dir, atomic_file

    kind, target, sig = sys.argv[1], Path(sys.argv[2]), getattr(signal, sys.argv[3])
    data = b"N" * 100_000
    if kind == "file":
        with atomic_file(target) as tmp:
            with open(tmp, "wb") as fh:
                fh.write(data[: len(data) // 2])
                fh.flush()
                os.kill(os.getpid(), sig)
                fh.write(data[len(data) // 2 :])
    else:
        with atomic_dir(target, force=True) as tmp:
            (tmp / "bundle.json").write_bytes(b"{}")
            with open(tmp / "model.safetensors", "wb") as fh:
                fh.write(data[: len(data) // 2])
                fh.flush()
                os.kill(os.getpid(), sig)
                fh.write(data[len(data) // 2 :])
    print("finished")
    """
)


def _child(tmp_path: Path, kind: str, target: Path, sig: str) -> subprocess.CompletedProcess:
    script = tmp_path / "child.py"
    script.write_text(_CHILD)
    return run_interruptible(
        [sys.executable, str(script), kind, str(target), sig],
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("previous", [None, b"old complete content\n"])
def test_atomic_file_sigkill_mid_write(tmp_path, previous):
    target = tmp_path / "out" / "data.parquet"
    target.parent.mkdir()
    if previous is not None:
        target.write_bytes(previous)
    proc = _child(tmp_path, "file", target, "SIGKILL")
    assert proc.returncode == -signal.SIGKILL and "finished" not in proc.stdout
    if previous is None:
        assert not target.exists()
    else:
        assert target.read_bytes() == previous
    # the half-written temporary stays behind (SIGKILL cannot be handled), but under a
    # hidden temporary name, never under the target's name
    leftovers = _siblings(target)
    assert len(leftovers) == 1 and leftovers[0].endswith(".tmp")
    assert (target.parent / leftovers[0]).stat().st_size == 50_000


@pytest.mark.parametrize("previous", [False, True])
def test_atomic_dir_sigkill_mid_write(tmp_path, previous):
    target = tmp_path / "out" / "RUN"
    target.mkdir(parents=True)
    if previous:
        (target / "metrics.json").write_text('{"accuracy": 1.0}')
    before = _snapshot(target)
    proc = _child(tmp_path, "dir", target, "SIGKILL")
    assert proc.returncode == -signal.SIGKILL
    assert _snapshot(target) == before  # empty folder stays empty, previous run unchanged
    leftovers = _siblings(target)
    assert len(leftovers) == 1 and leftovers[0].endswith(".tmp")


@pytest.mark.parametrize("parent", ["default", "ignores SIGINT"])
@pytest.mark.parametrize("kind", ["file", "dir"])
def test_sigint_mid_write_cleans_up(tmp_path, kind, parent):
    target = tmp_path / "out" / ("data.parquet" if kind == "file" else "RUN")
    target.parent.mkdir()
    if kind == "file":
        target.write_bytes(b"previous")
    else:
        target.mkdir()
        (target / "metrics.json").write_text("previous")
    before = target.read_bytes() if kind == "file" else _snapshot(target)
    with sigint_ignored() if parent == "ignores SIGINT" else contextlib.nullcontext():
        proc = _child(tmp_path, kind, target, "SIGINT")
    assert proc.returncode != 0 and "KeyboardInterrupt" in proc.stderr
    assert "finished" not in proc.stdout
    assert (target.read_bytes() if kind == "file" else _snapshot(target)) == before
    assert _siblings(target) == []


def test_children_get_sigint_back_when_this_process_ignores_it():
    """What the helpers are for: an ignored SIGINT is inherited, unless reset for the child."""
    code = "import signal; print(signal.getsignal(signal.SIGINT) == signal.SIG_IGN)"
    before = signal.getsignal(signal.SIGINT)
    with sigint_ignored():
        assert signal.getsignal(signal.SIGINT) == signal.SIG_IGN
        plain = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        reset = run_interruptible([sys.executable, "-c", code], capture_output=True, text=True)
    assert signal.getsignal(signal.SIGINT) == before  # restored on leaving the block
    assert plain.stdout.strip() == "True"  # a plain child would ignore the test's SIGINT
    assert reset.stdout.strip() == "False"  # ours gets Python's KeyboardInterrupt handler
    with pytest.raises(RuntimeError), sigint_ignored():
        raise RuntimeError  # restored however the block ends
    assert signal.getsignal(signal.SIGINT) == before


# -- atomic_dir / atomic_file unit tests -----------------------------------------------------


def test_atomic_dir_exception_keeps_previous_and_removes_temp(tmp_path):
    target = tmp_path / "run"
    target.mkdir()
    (target / "metrics.json").write_text("old")
    with pytest.raises(RuntimeError, match="boom"), atomic_dir(target, force=True) as tmp:
        (tmp / "metrics.json").write_text("new")
        (tmp / "extra.txt").write_text("x")
        raise RuntimeError("boom")
    assert _snapshot(target) == {"metrics.json": b"old"}
    assert _siblings(target) == []


def test_atomic_dir_exception_on_fresh_path_leaves_nothing(tmp_path):
    target = tmp_path / "sub" / "run"
    with pytest.raises(KeyboardInterrupt), atomic_dir(target) as tmp:
        (tmp / "a").write_text("a")
        raise KeyboardInterrupt
    assert not target.exists()
    assert list(target.parent.iterdir()) == []


def test_atomic_dir_without_force_refuses_non_empty(tmp_path):
    target = tmp_path / "run"
    target.mkdir()
    (target / "metrics.json").write_text("old")
    entered = False
    with pytest.raises(ParameterError, match="--force"), atomic_dir(target):
        entered = True
    assert not entered
    assert _snapshot(target) == {"metrics.json": b"old"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_atomic_dir_refuses_a_file(tmp_path):
    target = tmp_path / "run"
    target.write_text("file")
    with pytest.raises(ParameterError, match="not a folder"), atomic_dir(target, force=True):
        pass
    assert target.read_text() == "file"


def test_atomic_dir_empty_folder_needs_no_force(tmp_path):
    target = tmp_path / "run"
    target.mkdir()
    with atomic_dir(target) as tmp:
        (tmp / "a.txt").write_text("a")
    assert _snapshot(target) == {"a.txt": b"a"}


def test_atomic_dir_force_replaces_completely(tmp_path):
    target = tmp_path / "run"
    (target / "nested").mkdir(parents=True)
    (target / "old.txt").write_text("old")
    (target / "nested" / "deep.txt").write_text("deep")
    (target / "metrics.json").write_text("old metrics")
    with atomic_dir(target, force=True) as tmp:
        assert tmp.parent == target.parent and tmp != target
        (tmp / "metrics.json").write_text("new metrics")
        # the previous content is intact until the body has finished
        assert (target / "old.txt").read_text() == "old"
    assert _snapshot(target) == {"metrics.json": b"new metrics"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]  # no .old-* or .tmp left


def test_atomic_file_success_and_failure(tmp_path):
    target = tmp_path / "deep" / "x.txt"
    write_text_atomic(target, "héllo")
    assert target.read_text(encoding="utf-8") == "héllo"
    with pytest.raises(ValueError), atomic_file(target) as tmp:
        tmp.write_text("half")
        raise ValueError
    assert target.read_text(encoding="utf-8") == "héllo"
    assert _siblings(target) == []


def test_atomic_outputs_have_ordinary_permissions(tmp_path):
    old = os.umask(0o022)
    try:
        plain_file = tmp_path / "plain.txt"
        plain_file.write_text("x")
        plain_dir = tmp_path / "plain_dir"
        plain_dir.mkdir()
        write_text_atomic(tmp_path / "atomic.txt", "x")
        with atomic_dir(tmp_path / "atomic_dir") as tmp:
            (tmp / "a").write_text("a")
    finally:
        os.umask(old)
    mode = lambda p: stat.S_IMODE(p.stat().st_mode)  # noqa: E731
    assert mode(tmp_path / "atomic.txt") == mode(plain_file)  # 0o644
    assert mode(tmp_path / "atomic_dir") == mode(plain_dir)  # 0o755


# -- a completed run folder is complete -------------------------------------------------------


def test_completed_run_files_are_complete(runs):
    from safetensors.numpy import load_file

    from rotordx.models.loading import load_model

    run = runs["complete"]
    names = {p.name for p in run.iterdir()}
    assert {
        "bundle.json",
        "model.safetensors",
        "metrics.json",
        "timing.json",
        "confusion_matrix.png",
        "loss_curve.png",
    } <= names
    assert not [n for n in names if n.startswith(".")]  # no temporaries inside
    assert not [p.name for p in run.parent.iterdir() if p.name != "run"]
    manifest = json.loads((run / "bundle.json").read_text(encoding="utf-8"))
    assert manifest["model"]["name"] == "dnn"
    metrics = json.loads((run / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["model_bytes"] == (run / "model.safetensors").stat().st_size
    json.loads((run / "timing.json").read_text(encoding="utf-8"))
    assert load_file(run / "model.safetensors")  # non-empty, parses
    bundle = load_model(run)
    assert bundle is not None
    for png in run.glob("*.png"):
        data = png.read_bytes()
        assert data.startswith(PNG_SIGNATURE), png.name
        assert data.endswith(b"IEND\xaeB`\x82"), png.name  # ends with the IEND chunk


def _dead_pid() -> int:
    """The pid of a process that has exited."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_stale_temporaries_of_dead_processes_are_removed(tmp_path):
    from rotordx._atomic import atomic_dir, write_text_atomic

    dead = _dead_pid()
    stale_file = tmp_path / f".out.txt.{dead}.abc123.tmp"
    stale_file.write_text("half")
    stale_dir = tmp_path / f".run.{dead}.xyz789.tmp"
    stale_dir.mkdir()
    (stale_dir / "metrics.json").write_text("{")
    live = tmp_path / f".out.txt.{os.getpid()}.live00.tmp"  # a running writer's: kept
    live.write_text("in progress")
    write_text_atomic(tmp_path / "out.txt", "done")
    with atomic_dir(tmp_path / "run") as d:
        (d / "metrics.json").write_text("{}")
    assert not stale_file.exists() and not stale_dir.exists()
    assert live.exists()
    assert (tmp_path / "out.txt").read_text() == "done"
    assert (tmp_path / "run" / "metrics.json").read_text() == "{}"


def test_folder_moved_aside_by_a_killed_process_is_restored(tmp_path):
    from rotordx._atomic import atomic_dir

    dead = _dead_pid()
    aside = tmp_path / f".run.old-{dead}"
    aside.mkdir()
    (aside / "metrics.json").write_text('{"previous": true}')
    # the killed process had moved the old run aside but not yet moved the new one in
    with pytest.raises(RuntimeError), atomic_dir(tmp_path / "run", force=True):
        raise RuntimeError("this write fails too")
    assert (tmp_path / "run" / "metrics.json").read_text() == '{"previous": true}'
    assert not aside.exists()
