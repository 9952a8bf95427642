"""Helpers of the service tests (``tests/service/``): a real server, a real PostgreSQL, data.

* :class:`Server` starts ``rotordx serve --port 0`` as a child process (SIGINT and SIGTERM
  at their default handling and unblocked, whatever the test runner's), reads the port
  from its ``listening`` log line and waits until ``/v1/health`` answers;
* :class:`Postgres` starts a throwaway PostgreSQL cluster (Debian's ``postgresql``:
  initdb / pg_ctl as the ``postgres`` user when run as root) on a free port of 127.0.0.1,
  and makes a fresh database per test module;
* :func:`need` skips a test whose system binary is missing, with a clear message — and
  fails it instead under ``CI`` (CI installs PostgreSQL and chromium: there they must run);
* fleet snapshots (:mod:`rotordx.simulate.fleet`) as raw float32 or CSV bytes.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import numpy as np
import pytest

from rotordx.simulate.fleet import FleetConfig, Snapshot, iter_fleet

ROTORDX = str(Path(sys.executable).with_name("rotordx"))
#: Debian's chromium, driven by Playwright (Playwright's own browser download is not used).
CHROMIUM = os.environ.get("ROTORDX_CHROMIUM", "/usr/bin/chromium")
IN_CI = os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def need(ok: bool, what: str) -> None:
    """Skip (fail under CI) when a system dependency is missing."""
    if ok:
        return
    if IN_CI:
        pytest.fail(f"{what} — CI must install it (.ci/run)")
    pytest.skip(f"{what} (apt-get install postgresql chromium); CI runs these tests")


def _child_signals() -> None:
    """In the child before exec: SIGINT/SIGTERM default and unblocked (a test signals it)."""
    signal.pthread_sigmask(signal.SIG_SETMASK, set())
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


class Server:
    """``rotordx serve`` in a child process, on a free port of 127.0.0.1."""

    def __init__(self, workdir: Path, *args: str, timeout: float = 120.0) -> None:
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.log = self.workdir / f"server-{uuid.uuid4().hex[:8]}.log"
        self.args = ["serve", "--port", "0", "--workers", "2", *args]
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(
                [ROTORDX, *self.args],
                cwd=self.workdir,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                preexec_fn=_child_signals,
            )
        self.url = self._wait(timeout)

    def lines(self) -> list[dict]:
        """The JSON log lines so far."""
        out = []
        for line in self.log.read_text(encoding="utf-8", errors="replace").splitlines():
            with contextlib.suppress(ValueError):
                out.append(json.loads(line))
        return out

    def _wait(self, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        url = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited ({self.proc.returncode}):\n{self.text()}")
            if url is None:
                url = next((x["url"] for x in self.lines() if x.get("event") == "listening"), None)
            if url is not None:
                with contextlib.suppress(httpx.HTTPError):
                    if httpx.get(f"{url}/v1/health", timeout=5).status_code == 200:
                        return url
            time.sleep(0.1)
        self.kill()
        raise RuntimeError(f"the server did not get ready in {timeout} s:\n{self.text()}")

    def text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")[-5000:]

    def client(self, **kw) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=60, **kw)

    def stop(self, timeout: float = 60.0) -> int:
        """SIGTERM, then wait (a graceful stop); the exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise

    def kill(self) -> None:
        """SIGKILL (no chance to finish anything)."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(30)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: len(p))
    if found:
        return Path(found[-1]).parent
    which = shutil.which("initdb")
    return Path(which).parent if which else None


class Postgres:
    """A throwaway PostgreSQL cluster (see the module docstring)."""

    def __init__(self) -> None:
        self.bin = _pg_bin()
        need(self.bin is not None, "PostgreSQL is not installed (no initdb)")
        self.root = Path(tempfile.mkdtemp(prefix="rotordx-pg-"))
        self.as_postgres = os.geteuid() == 0  # initdb refuses to run as root
        if self.as_postgres:
            shutil.chown(self.root, "postgres", "postgres")
        self.data = self.root / "data"
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        for _attempt in range(3):
            self.port = _free_port()
            opts = (
                f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
                "-c fsync=off -c full_page_writes=off -c max_connections=200"
            )
            log = str(self.root / "server.log")
            try:
                self._run("pg_ctl", "-D", str(self.data), "-l", log, "-o", opts, "-w", "-t", "60",
                          "start")  # fmt: skip
                break
            except subprocess.CalledProcessError:
                continue
        else:
            raise RuntimeError(f"PostgreSQL did not start: {self.root / 'server.log'}")

    def _run(self, tool: str, *args: str) -> None:
        cmd = [str(self.bin / tool), *args]
        if self.as_postgres:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        subprocess.run(cmd, check=True, capture_output=True, timeout=120, cwd=self.root)

    def database(self, name: str | None = None) -> str:
        """A new empty database; its SQLAlchemy URL."""
        import psycopg

        name = name or f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(
            f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres", autocommit=True
        ) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{name}"

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)


# -- data -----------------------------------------------------------------------------------------


def snapshots(n: int = 7, *, seconds: float = 1.0, seed: int = 0) -> list[Snapshot]:
    """``n`` snapshots of one simulated machine, its states taking turns."""
    return list(iter_fleet(FleetConfig(machines=1, snapshots=n, seconds=seconds), seed=seed))


def f32(snap: Snapshot) -> bytes:
    """The snapshot as raw little-endian float32 frames (x0 y0 z0 x1 …)."""
    return np.ascontiguousarray(snap.signals.T, dtype="<f4").tobytes()


def csv_bytes(snap: Snapshot) -> bytes:
    """The snapshot as CSV ``time,x,y,z``."""
    t = np.arange(snap.signals.shape[1]) / snap.fs
    x, y, z = snap.signals
    rows = [f"{a:.6f},{b:.6g},{c:.6g},{d:.6g}" for a, b, c, d in zip(t, x, y, z, strict=True)]
    return ("time,x,y,z\n" + "\n".join(rows) + "\n").encode()


def machine_body(snap: Snapshot, **over) -> dict:
    """``PUT /v1/machines`` metadata of a snapshot's machine."""
    body = {
        "channels": ["x", "y", "z"],
        "directions": ["horizontal", "vertical", "axial"],
        "units": snap.machine.units,
    }
    return body | over


def upload(client: httpx.Client, machine: str, snap: Snapshot, **form) -> httpx.Response:
    """POST a snapshot as raw float32 (rate and channels in the form)."""
    data = {"rate": str(snap.fs), "channels": "3", **{k: str(v) for k, v in form.items()}}
    return client.post(
        f"/v1/machines/{machine}/recordings", files={"file": (f"{snap.name}.f32", f32(snap))},
        data=data,
    )  # fmt: skip
