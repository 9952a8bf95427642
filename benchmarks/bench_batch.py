"""Fleet batches on Dask: recordings per second of ``run_batch`` on 1 and 2 workers.

Data: a simulated fleet (:func:`rotordx.simulate.fleet.write_fleet`, 6 machines x 90
snapshots of 0.5 s, three axes, CSV: 540 recordings; quick: 2 x 10 of 0.25 s), its manifest
as written (machine, rate, rpm where given, bearing, units, direction). Every method
diagnoses the same recordings by their physics:

* **parse only** (the floor): :func:`rotordx.io.sources.load_entry` on every line, in this
  process — reading the files and nothing else;
* **plain loop**: ``load_entry`` + :func:`rotordx.diagnosis.api.diagnose` (what a worker
  does per recording) one after the other in this process;
* **batch, N workers**: :func:`rotordx.batch.run_batch` on a ``LocalCluster`` of N worker
  processes with one thread each, started once and warmed up (imports) by a first run;
  the time is ``work_seconds``: from the first task submitted to the last row written
  (Parquet parts included), the cluster's start not counted (it is shown once, apart).

The methods take turns in each repeat (parse, loop, 1 worker, 2 workers, again), so that
the load of other work on a shared machine falls on all of them alike; medians.

Threads: one per process for every contender. This process runs parse and loop under
``threadpoolctl.threadpool_limits(1)`` (BLAS/OpenMP) with ``torch.set_num_threads(1)`` if
torch is loaded; the workers are the CLI's own cluster (``rotordx.batch.run._client``: one
thread per worker; Dask's nanny starts each with ``OMP_NUM_THREADS``/``MKL_NUM_THREADS``/
``OPENBLAS_NUM_THREADS`` = 1), checked on every worker and recorded (``data.threads``).

Peak memory: the high-water mark (``VmHWM``) of each worker process of a fresh 2-worker
cluster after a batch of a quarter, half and all of the recordings (quick: half and all);
the largest worker.

Targets (issue 15, 2 cores): 2 workers ≥ 1.7× one worker; one worker within 1.3× of the
plain loop; memory per worker bounded and independent of the number of recordings.
"""

from __future__ import annotations

import contextlib
import csv
import logging
import os
import statistics
import tempfile
import time
from pathlib import Path

from benchmarks._common import Section

TITLE = "Fleet batch on Dask"
COLUMNS = ["method", "workers", "recordings", "median s", "recordings/s", "vs plain loop", "note"]
FULL = (6, 90, 0.5)
QUICK = (2, 10, 0.25)


def _fleet(root: Path, quick: bool) -> Path:
    """The fleet's manifest, as ``rotordx simulate-fleet`` writes it (bearings included)."""
    from rotordx.simulate.fleet import FleetConfig, write_fleet

    machines, snapshots, seconds = QUICK if quick else FULL
    return write_fleet(
        root / "fleet",
        FleetConfig(machines=machines, snapshots=snapshots, seconds=seconds),
        seed=0,
    )


def _cluster(n: int):
    """The cluster ``rotordx batch --workers n`` starts (127.0.0.1, one thread a worker)."""
    from rotordx.batch.run import _client

    t0 = time.perf_counter()
    client, cluster = _client(n, None)
    return cluster, client, time.perf_counter() - t0


def _cpu_s() -> float:
    """CPU seconds (user + system) of this process so far."""
    t = os.times()
    return t.user + t.system


def _machine_busy_s() -> float:
    """CPU seconds every process of the machine has used so far (all cores, not idle)."""
    with open("/proc/stat") as fh:
        ticks = [int(v) for v in fh.readline().split()[1:]]
    idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0)  # idle + iowait
    return (sum(ticks[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def _threads() -> dict:
    """This process's thread settings: BLAS/OpenMP pools, torch (if loaded), the env."""
    import sys

    from threadpoolctl import threadpool_info

    pools = {p["internal_api"]: p["num_threads"] for p in threadpool_info()}
    torch = sys.modules.get("torch")
    env = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")
    return {
        "pools": pools,
        "torch": torch.get_num_threads() if torch is not None else None,
        "env": {k: os.environ.get(k) for k in env},
    }


@contextlib.contextmanager
def _one_thread():
    """BLAS/OpenMP pools and torch (if loaded) at one thread in this process."""
    import sys

    from threadpoolctl import threadpool_limits

    torch = sys.modules.get("torch")
    before = torch.get_num_threads() if torch is not None else None
    with threadpool_limits(limits=1):
        if torch is not None:
            torch.set_num_threads(1)
        try:
            yield
        finally:
            if torch is not None:
                torch.set_num_threads(before)


def _peak_kib() -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def _subset(manifest: Path, n: int) -> Path:
    with manifest.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    out = manifest.with_name(f"first{n}.csv")
    with out.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows[:n])
    return out


def _most_threads(settings: list[dict]) -> int:
    """The largest thread pool (BLAS/OpenMP or torch) over the processes of a contender."""
    sizes = [1]
    for t in settings:
        sizes += list(t["pools"].values())
        sizes += [t["torch"]] if t["torch"] is not None else []
    return max(sizes)


def _thread_note(threads: dict) -> str:
    names = {"loop": "parse and loop", "batch1": "1 worker", "batch2": "2 workers"}
    return ", ".join(
        f"{names[k]} at most {_most_threads(v)} (BLAS/OpenMP/torch)" for k, v in threads.items()
    )


def run(quick: bool, repeats: int) -> Section:
    from rotordx.batch import run_batch
    from rotordx.diagnosis.api import context_of, diagnose
    from rotordx.io.sources import entries_of, load_entry, open_source

    section = Section(title=TITLE if not quick else f"{TITLE} (quick)", columns=list(COLUMNS))
    data: dict = {"runs": {}, "seconds": {}, "rss_mib": {}, "cluster_start_s": {}}
    data["threads"] = {}
    with tempfile.TemporaryDirectory(prefix="rotordx-bench-batch-") as tmp:
        tmp = Path(tmp)
        manifest = _fleet(tmp, quick)
        entries = entries_of(open_source(manifest))
        n = len(entries)
        data["recordings"] = n

        def parse():
            for e in entries:
                load_entry(e)

        def loop():
            for e in entries:
                r = load_entry(e)
                diagnose(r.recording, context=context_of(r), spectrum=False)

        clusters = {}
        quiet = logging.getLogger("distributed")
        level = quiet.level
        quiet.setLevel(logging.ERROR)  # the in-process scheduler's INFO lines
        try:
            for workers in (1, 2):
                cluster, client, started = _cluster(workers)
                clusters[workers] = (cluster, client)
                data["cluster_start_s"][str(workers)] = started
                run_batch(manifest, tmp / f"warm{workers}", client=client)  # worker imports
                data["threads"][f"batch{workers}"] = list(client.run(_threads).values())
            with _one_thread():
                parse()
                loop()  # first-call costs in this process
                data["threads"]["loop"] = [_threads()]
            keys = ("parse", "loop", "batch1", "batch2")
            runs: dict[str, list[float]] = {k: [] for k in keys}
            worker_s: dict[str, list[float]] = {"batch1": [], "batch2": []}
            # CPU seconds per run: this process (for a batch: client, in-process scheduler,
            # Parquet writer), the workers, and every other process on the machine
            cpu: dict[str, dict[str, list[float]]] = {
                k: {"this": [], "workers": [], "others": [], "wall": []} for k in keys
            }

            def account(key, wall, this0, machine0, workers_cpu=0.0):
                this = _cpu_s() - this0
                c = cpu[key]
                c["wall"].append(wall)
                c["this"].append(this)
                c["workers"].append(workers_cpu)
                c["others"].append(max(0.0, _machine_busy_s() - machine0 - this - workers_cpu))

            # interleaved: the load of other work on the machine falls on every method alike
            for i in range(max(1, repeats)):
                for key, fn in (("parse", parse), ("loop", loop)):
                    with _one_thread():
                        this0, machine0 = _cpu_s(), _machine_busy_s()
                        t0 = time.perf_counter()
                        fn()
                        runs[key].append(time.perf_counter() - t0)
                        account(key, runs[key][-1], this0, machine0)
                for workers in (1, 2):
                    client = clusters[workers][1]
                    out = tmp / f"out{workers}-{i}"
                    w0 = sum(client.run(_cpu_s).values())
                    this0, machine0 = _cpu_s(), _machine_busy_s()
                    t0 = time.perf_counter()
                    s = run_batch(manifest, out, client=client, part_rows=200)
                    wall = time.perf_counter() - t0
                    w = sum(client.run(_cpu_s).values()) - w0
                    account(f"batch{workers}", wall, this0, machine0, w)
                    assert s.processed == n and s.failed == 0, s.failures[:3]
                    runs[f"batch{workers}"].append(s.work_seconds)
                    worker_s[f"batch{workers}"].append(s.worker_seconds)
        finally:
            for cluster, client in clusters.values():
                client.close()
                cluster.close()
            quiet.setLevel(level)
        data["runs"] = runs
        data["seconds"] = {k: statistics.median(v) for k, v in runs.items()}
        data["worker_seconds"] = {k: statistics.median(v) for k, v in worker_s.items()}
        data["cpu_s"] = {k: {w: statistics.median(v) for w, v in c.items()} for k, c in cpu.items()}
        # memory per worker against the number of recordings: fresh clusters
        for count in (n // 2, n) if quick else (n // 4, n // 2, n):
            cluster, client, _ = _cluster(2)
            try:
                run_batch(_subset(manifest, count), tmp / f"rss{count}", client=client)
                peaks = client.run(_peak_kib)
            finally:
                client.close()
                cluster.close()
            data["rss_mib"][str(count)] = max(peaks.values()) / 1024.0
    sec = data["seconds"]
    plain = sec["loop"]
    rows = [
        ("parse only (floor)", 1, "parse", "load_entry only, this process"),
        ("plain loop over diagnose", 1, "loop", "load_entry + diagnose, this process"),
        ("batch", 1, "batch1", f"cluster start {data['cluster_start_s']['1']:.1f} s not counted"),
        ("batch", 2, "batch2", f"cluster start {data['cluster_start_s']['2']:.1f} s not counted"),
    ]
    for method, workers, key, note in rows:
        section.add(method, workers, n, sec[key], n / sec[key], f"{plain / sec[key]:.2f}×", note)
    speedup = sec["batch1"] / sec["batch2"]
    overhead = sec["batch1"] / plain
    rss = data["rss_mib"]
    counts = sorted(rss, key=int)
    growth = rss[counts[-1]] / rss[counts[0]]
    data["targets"] = {
        "speedup_2_vs_1": speedup,
        "speedup_met": speedup >= 1.7,
        "overhead_1_vs_loop": overhead,
        "overhead_met": overhead <= 1.3,
        "rss_growth": growth,
        "rss_met": growth <= 1.25,
    }
    word = {True: "met", False: "missed"}
    section.notes += [
        f"- 2 workers vs 1 worker: {speedup:.2f}× (target ≥ 1.7×) — {word[speedup >= 1.7]}",
        f"- 1 worker vs the plain loop: {overhead:.2f}× the time (target ≤ 1.3×) — "
        f"{word[overhead <= 1.3]}",
        "- peak RSS of the largest worker: "
        + ", ".join(f"{rss[c]:.0f} MiB after {c} recordings" for c in counts)
        + f" ({growth:.2f}× from {counts[0]} to {counts[-1]}; target: bounded, ≤ 1.25×) — "
        + word[growth <= 1.25],
        "- the workers' own seconds per run (read + diagnose, summed over recordings): "
        f"{data['worker_seconds']['batch1']:.2f} s on 1 worker, "
        f"{data['worker_seconds']['batch2']:.2f} s on 2 (median)",
        "- CPU seconds per run (median; wall = the whole run_batch call, planning and "
        "summary included): "
        + "; ".join(
            f"{label}: wall {c['wall']:.2f}, this process {c['this']:.2f}, workers "
            f"{c['workers']:.2f}, the rest of the machine (nannies, other users) {c['others']:.2f}"
            for label, c in (
                ("loop", data["cpu_s"]["loop"]),
                ("1 worker", data["cpu_s"]["batch1"]),
                ("2 workers", data["cpu_s"]["batch2"]),
            )
        ),
        f"- threads per process: {_thread_note(data['threads'])}",
        f"- machine load while measuring: {os.getloadavg()[0]:.2f} (1-minute average)",
    ]
    section.data = data
    return section
