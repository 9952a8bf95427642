"""``rotordx serve`` under load: a bounded load test, a memory soak, the stream's timing.

    python -m benchmarks.bench_service                 # 60 s at 50 uploads/s, 5-min soak
    python -m benchmarks.bench_service --quick         # seconds; numbers meaningless
    python -m benchmarks.bench_service --rate 30 --seconds 30 --soak 60 --json out.json
    python -m benchmarks.run --only service            # the same, in the suite's tables

One command, and it stops by itself. It starts ``rotordx serve`` (physics only,
``--workers 2``, a fresh SQLite file, default settings otherwise) on a free port
of 127.0.0.1, registers a small fleet, then runs on loopback:

* **load**: ``clients`` concurrent HTTP clients share an open-loop schedule of
  ``rate`` uploads a second for ``seconds`` seconds; each upload is a 1 s
  three-axis snapshot of the simulated fleet (12.8 kHz, raw float32, 154 kB)
  posted to ``/v1/machines/{m}/recordings``. A latency is counted from the
  upload's *scheduled* start to its answer, so a server that falls behind is
  charged for the wait (no coordinated omission). Errors are answers other than
  201 and transport failures.
* **stream under load**: at the same time one WebSocket stream sends 1 s windows
  in real time (a quarter second per message); its latency is from the message
  that completes a window to that window's verdict, against the window's length.
* **soak**: the same load for ``soak`` seconds; the resident memory of the server's
  whole process tree (server, fork server, workers) is sampled every second;
  the growth is from the first sample to the last.
* **stream, idle**: the stream alone, for comparison.

The load generator runs on the same machine as the server (on a 2-core box
they share the cores); the server's CPU time is reported beside the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np

from benchmarks._common import Section

TITLE = "Service (rotordx serve)"
COLUMNS = [
    "phase",
    "clients",
    "target /s",
    "seconds",
    "requests",
    "errors",
    "throughput /s",
    "p50 ms",
    "p99 ms",
    "max ms",
    "server CPU cores",
    "note",
]
#: The issue's targets (on 2 cores).
P99_TARGET_MS = 100.0
RSS_GROWTH_TARGET = 0.05
MACHINES = 5
PAGE = os.sysconf("SC_PAGE_SIZE")
TICKS = os.sysconf("SC_CLK_TCK")


# -- the server ---------------------------------------------------------------------------------


class _Server:
    """``rotordx serve`` in a child process on a free port of 127.0.0.1."""

    def __init__(self, work: Path, workers: int) -> None:
        self.log = work / "server.log"
        exe = Path(sys.executable).with_name("rotordx")
        cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "rotordx.cli"]
        args = ["serve", "--port", "0", "--workers", str(workers), "--db", str(work / "bench.db")]
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(
                [*cmd, *args], stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
            )
        self.url = self._wait(120.0)

    def _wait(self, timeout: float) -> str:
        import httpx

        deadline = time.monotonic() + timeout
        url = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited:\n{self.log.read_text()[-3000:]}")
            if url is None:
                for line in self.log.read_text(errors="replace").splitlines():
                    with contextlib.suppress(ValueError):
                        rec = json.loads(line)
                        if rec.get("event") == "listening":
                            url = rec["url"]
            if url is not None:
                with contextlib.suppress(httpx.HTTPError):
                    if httpx.get(f"{url}/v1/health", timeout=5).status_code == 200:
                        return url
            time.sleep(0.1)
        self.stop()
        raise RuntimeError("the server did not get ready")

    def tree(self) -> list[int]:
        """The server's pid and its descendants' (the fork server, the workers)."""
        parents: dict[int, int] = {}
        for d in os.listdir("/proc"):
            if d.isdigit():
                with contextlib.suppress(OSError, IndexError, ValueError):
                    stat = Path(f"/proc/{d}/stat").read_text()
                    parents[int(d)] = int(stat.rsplit(")", 1)[1].split()[1])
        out, todo = [], [self.proc.pid]
        while todo:
            p = todo.pop()
            out.append(p)
            todo.extend(c for c, pp in parents.items() if pp == p)
        return out

    def rss(self) -> int:
        """Resident bytes of the whole tree."""
        total = 0
        for p in self.tree():
            with contextlib.suppress(OSError, IndexError, ValueError):
                total += int(Path(f"/proc/{p}/statm").read_text().split()[1]) * PAGE
        return total

    def cpu(self) -> float:
        """CPU seconds (user + system) of the tree's live processes so far."""
        total = 0
        for p in self.tree():
            with contextlib.suppress(OSError, IndexError, ValueError):
                f = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
                total += int(f[11]) + int(f[12])
        return total / TICKS

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait(30)


# -- the data -----------------------------------------------------------------------------------


def _fleet(n_snaps: int):
    from rotordx.simulate.fleet import FleetConfig, iter_fleet

    return list(iter_fleet(FleetConfig(machines=MACHINES, snapshots=n_snaps, seconds=1.0), seed=0))


def _frames(x: np.ndarray) -> bytes:
    return np.ascontiguousarray(x.T, dtype="<f4").tobytes()


def _multipart(snap) -> tuple[bytes, str]:
    """A ready-made multipart body (the client spends no time encoding it per request)."""
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in (("rate", str(snap.fs)), ("channels", "3")):
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        )
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
        f'filename="{snap.name}.f32"\r\nContent-Type: application/octet-stream\r\n\r\n'
    )
    body = "".join(parts).encode() + head.encode() + _frames(snap.signals)
    body += f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def _pct(xs: list[float], q: float) -> float:
    if not xs:
        return float("nan")
    return float(np.percentile(np.asarray(xs), q))


# -- the phases ---------------------------------------------------------------------------------


async def _load(url: str, uploads, *, rate: float, seconds: float, clients: int) -> dict:
    """``clients`` clients, one open-loop schedule of ``rate`` uploads/s for ``seconds`` s."""
    import httpx

    n = round(rate * seconds)
    latencies: list[float] = []
    service: list[float] = []
    statuses: dict[str, int] = {}
    late = 0
    next_slot = 0
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, timeout=30.0, limits=limits) as client:
        t0 = time.perf_counter() + 0.2

        async def one_client() -> None:
            nonlocal next_slot, late
            while next_slot < n:
                k = next_slot
                next_slot += 1
                due = t0 + k / rate
                wait = due - time.perf_counter()
                if wait > 0:
                    await asyncio.sleep(wait)
                elif wait < -0.01:
                    late += 1
                machine, body, ctype = uploads[k % len(uploads)]
                sent = time.perf_counter()
                try:
                    r = await client.post(
                        f"/v1/machines/{machine}/recordings",
                        content=body,
                        headers={"content-type": ctype},
                    )
                    key = str(r.status_code)
                except httpx.HTTPError as exc:
                    key = type(exc).__name__
                done = time.perf_counter()
                statuses[key] = statuses.get(key, 0) + 1
                if key == "201":
                    latencies.append(done - due)
                    service.append(done - sent)

        await asyncio.gather(*(one_client() for _ in range(clients)))
        elapsed = time.perf_counter() - t0
    ok = statuses.get("201", 0)
    return {
        "requests": n,
        "ok": ok,
        "errors": n - ok,
        "statuses": statuses,
        "elapsed": elapsed,
        "throughput": ok / elapsed,
        "late_starts": late,
        "latency_ms": {
            "p50": 1e3 * _pct(latencies, 50),
            "p99": 1e3 * _pct(latencies, 99),
            "max": 1e3 * max(latencies, default=float("nan")),
        },
        "service_ms": {"p50": 1e3 * _pct(service, 50), "p99": 1e3 * _pct(service, 99)},
    }


async def _stream(url: str, snap, machine: str, *, windows: int, window: float) -> dict:
    """One stream in real time: per window, the seconds from its last message to its verdict."""
    from websockets.asyncio.client import connect

    x = np.tile(snap.signals, int(np.ceil(windows * window)) + 1)
    per_window = round(window * snap.fs)
    step = per_window // 4
    ws_url = url.replace("http://", "ws://") + f"/v1/machines/{machine}/stream"
    header = {"rate": snap.fs, "channels": 3, "window": window, "store": True}
    completed: dict[int, float] = {}
    answered: dict[int, float] = {}
    kinds: dict[str, int] = {}
    async with connect(ws_url, max_size=2**24) as ws:
        await ws.send(json.dumps(header))
        ready = json.loads(await ws.recv())
        assert ready["type"] == "ready", ready

        async def reader() -> None:
            while len(answered) < windows:
                msg = json.loads(await ws.recv())
                kinds[msg["type"]] = kinds.get(msg["type"], 0) + 1
                if msg["type"] in ("verdict", "error"):
                    answered[msg["window"]] = time.perf_counter()

        task = asyncio.create_task(reader())
        t0 = time.perf_counter()
        for j, i in enumerate(range(0, windows * per_window, step)):
            due = t0 + (j + 1) * step / snap.fs  # a message leaves when its samples exist
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            await ws.send(_frames(x[:, i : i + step]))
            if (i + step) % per_window == 0:
                completed[(i + step) // per_window - 1] = time.perf_counter()
        await asyncio.wait_for(task, timeout=60)
        await ws.send(json.dumps({"type": "end"}))
        with contextlib.suppress(Exception):
            await asyncio.wait_for(ws.recv(), 10)
    lat = [answered[k] - completed[k] for k in sorted(completed)]
    return {
        "windows": windows,
        "window_s": window,
        "latency_ms": [1e3 * v for v in lat],
        "p50_ms": 1e3 * statistics.median(lat),
        "p99_ms": 1e3 * _pct(lat, 99),
        "max_ms": 1e3 * max(lat),
        "verdicts": kinds.get("verdict", 0),
        "errors": kinds.get("error", 0),
        "before_next_window": all(v < window for v in lat),
    }


async def _soak(server: _Server, url, uploads, *, rate, seconds, clients) -> dict:
    samples: list[tuple[float, int]] = []
    stop = asyncio.Event()

    async def sampler() -> None:
        t0 = time.perf_counter()
        while not stop.is_set():
            samples.append((time.perf_counter() - t0, server.rss()))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 1.0)
        samples.append((time.perf_counter() - t0, server.rss()))

    task = asyncio.create_task(sampler())
    out = await _load(url, uploads, rate=rate, seconds=seconds, clients=clients)
    stop.set()
    await task
    start, end = samples[0][1], samples[-1][1]
    out["rss"] = {
        "start_mib": start / 2**20,
        "end_mib": end / 2**20,
        "max_mib": max(s for _, s in samples) / 2**20,
        "growth": (end - start) / start,
        "series_mib": [[round(t, 1), round(s / 2**20, 1)] for t, s in samples],
    }
    return out


def measure(
    *,
    rate: float,
    seconds: float,
    soak: float,
    clients: int,
    windows: int,
    workers: int = 2,
) -> dict:
    """Every phase against one fresh server; the raw numbers."""
    import httpx

    fleet = _fleet(8)
    work = Path(tempfile.mkdtemp(prefix="rotordx-bench-service-"))
    server = _Server(work, workers)
    try:
        with httpx.Client(base_url=server.url, timeout=60) as c:
            for s in {s.machine.id: s for s in fleet}.values():
                body = {
                    "channels": ["x", "y", "z"],
                    "directions": ["horizontal", "vertical", "axial"],
                    "units": s.machine.units,
                }
                r = c.put(f"/v1/machines/{s.machine.id}", json=body)
                r.raise_for_status()
        uploads = [(s.machine.id, *_multipart(s)) for s in fleet]
        stream_snap = fleet[0]
        result: dict = {"rate": rate, "clients": clients, "workers": workers}
        result["cores"], result["loadavg_before"] = os.cpu_count(), os.getloadavg()

        async def loaded() -> None:
            # warm-up: a few uploads (the workers' first diagnoses import and compile)
            await _load(server.url, uploads, rate=10, seconds=1, clients=4)
            cpu0, t0, me0 = server.cpu(), time.perf_counter(), time.process_time()
            load, stream = await asyncio.gather(
                _load(server.url, uploads, rate=rate, seconds=seconds, clients=clients),
                _stream(
                    server.url,
                    stream_snap,
                    stream_snap.machine.id,
                    windows=max(2, int(seconds) - 2),
                    window=1.0,
                ),
            )
            load["cpu_cores"] = (server.cpu() - cpu0) / (time.perf_counter() - t0)
            load["client_cpu_cores"] = (time.process_time() - me0) / (time.perf_counter() - t0)
            load["loadavg_after"] = os.getloadavg()
            result["load"], result["stream_loaded"] = load, stream
            cpu0, t0, me0 = server.cpu(), time.perf_counter(), time.process_time()
            sk = await _soak(server, server.url, uploads, rate=rate, seconds=soak, clients=clients)
            sk["cpu_cores"] = (server.cpu() - cpu0) / (time.perf_counter() - t0)
            sk["client_cpu_cores"] = (time.process_time() - me0) / (time.perf_counter() - t0)
            sk["loadavg_after"] = os.getloadavg()
            result["soak"] = sk
            result["stream_idle"] = await _stream(
                server.url, stream_snap, stream_snap.machine.id, windows=windows, window=1.0
            )

        asyncio.run(loaded())
        with httpx.Client(base_url=server.url, timeout=60) as c:
            result["stored"] = sum(m["diagnoses"] for m in c.get("/v1/machines").json())
    finally:
        result_code = server.stop()
        shutil.rmtree(work, ignore_errors=True)
    result["exit_status"] = result_code
    return result


# -- the table ----------------------------------------------------------------------------------


def section(res: dict, *, quick: bool) -> Section:
    s = Section(TITLE, COLUMNS)
    clients, rate = res["clients"], res["rate"]
    for name, key in (("load", "load"), ("soak", "soak")):
        p = res[key]
        lat = p["latency_ms"]
        note = (
            f"late starts {p['late_starts']}; client CPU {p['client_cpu_cores']:.2f} cores; "
            f"load average after {p['loadavg_after'][0]:.1f}"
        )
        if key == "soak":
            r = p["rss"]
            note = (
                f"RSS {r['start_mib']:.0f} → {r['end_mib']:.0f} MiB "
                f"({100 * r['growth']:+.1f}%, max {r['max_mib']:.0f}); " + note
            )
        s.add(
            name,
            clients,
            float(rate),
            round(p["elapsed"], 1),
            p["requests"],
            p["errors"],
            p["throughput"],
            lat["p50"],
            lat["p99"],
            lat["max"],
            p["cpu_cores"],
            note,
        )
    for name, key in (("stream under load", "stream_loaded"), ("stream idle", "stream_idle")):
        st = res[key]
        verdict = "yes" if st["before_next_window"] else "NO"
        s.add(
            name,
            1,
            1.0 / st["window_s"],
            float(st["windows"] * st["window_s"]),
            st["windows"],
            st["windows"] - st["verdicts"],
            st["verdicts"] / (st["windows"] * st["window_s"]),
            st["p50_ms"],
            st["p99_ms"],
            st["max_ms"],
            "-",
            f"window {st['window_s']:g} s; every window answered before the next: {verdict}",
        )
    load, soak = res["load"], res["soak"]
    met = []
    for what, ok in (
        (f"p99 < {P99_TARGET_MS:g} ms at {rate:g} uploads/s", load["latency_ms"]["p99"] < 100),
        ("zero errors", load["errors"] == 0 and soak["errors"] == 0),
        (f"RSS growth < {100 * RSS_GROWTH_TARGET:g}%", soak["rss"]["growth"] < RSS_GROWTH_TARGET),
        ("stream keeps up", res["stream_loaded"]["before_next_window"]),
    ):
        met.append(f"{what}: {'met' if ok else 'MISSED'}")
    s.notes.append(
        f"Targets (issue 14, 2 cores): {'; '.join(met)}. The load generator shares the machine "
        "with the server; latency is counted from each upload's scheduled start."
        + f" Load average (1 min) before the run: {res['loadavg_before'][0]:.1f} on "
        f"{res['cores']} cores (other work on the machine competes for them)."
        + (" Quick run: numbers not meaningful." if quick else "")
    )
    s.notes.append(
        f"{res['stored']} diagnoses stored; the server stopped with status {res['exit_status']}."
    )
    s.data = res
    return s


QUICK = {"rate": 10.0, "seconds": 3.0, "soak": 4.0, "clients": 4, "windows": 2}
FULL = {"rate": 50.0, "seconds": 60.0, "soak": 300.0, "clients": 16, "windows": 15}


def run(quick: bool, repeats: int) -> Section:
    """The suite's stage: one pass (a load test is its own repetition)."""
    del repeats
    return section(measure(**(QUICK if quick else FULL)), quick=quick)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--quick", action="store_true", help="seconds, for a smoke test")
    p.add_argument("--rate", type=float, help="uploads per second (default 50)")
    p.add_argument("--seconds", type=float, help="load phase length (default 60)")
    p.add_argument("--soak", type=float, help="soak length in seconds (default 300)")
    p.add_argument("--clients", type=int, help="concurrent clients (default 16)")
    p.add_argument("--windows", type=int, help="idle stream windows (default 15)")
    p.add_argument("--json", type=Path, help="write the raw numbers here")
    args = p.parse_args(argv)
    kw = dict(QUICK if args.quick else FULL)
    for k in kw:
        if getattr(args, k) is not None:
            kw[k] = getattr(args, k)
    res = measure(**kw)
    sec = section(res, quick=args.quick)
    print(sec.markdown())
    if args.json is not None:
        args.json.write_text(json.dumps(res, indent=2, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
