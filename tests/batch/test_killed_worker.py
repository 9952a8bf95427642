"""A worker process killed (SIGKILL) in the middle of a batch: Dask runs its task again and
every recording still has exactly one row."""

from __future__ import annotations

import logging
import os
import signal

from batchdata import BAD, MACHINES, SNAPSHOTS
from rotordx.batch import read_results, run_batch


def test_a_worker_killed_during_the_batch_loses_and_duplicates_nothing(fleet, tmp_path):
    from distributed import Client, LocalCluster

    out = tmp_path / "res"
    killed = {}
    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address="127.0.0.1:0",  # not 8787, which another cluster may hold
            scheduler_kwargs={"dashboard": False},
            silence_logs=logging.CRITICAL,
        ) as cluster,
        Client(cluster) as client,
    ):
        pids = client.run(os.getpid)  # worker address -> pid

        def kill_one(rows):
            if killed:
                return
            busy = {w: keys for w, keys in client.processing().items() if keys and w in pids}
            if busy:  # a worker with a task running (as the scheduler sees it): kill it now
                worker, keys = next(iter(busy.items()))
                os.kill(pids[worker], signal.SIGKILL)
                killed.update(worker=worker, pid=pids[worker], tasks=len(keys))

        s = run_batch(fleet, out, client=client, per_task=6, part_rows=20, on_rows=kill_one)
        assert killed and killed["tasks"] >= 1
        # the nanny replaced the dead process, and the dead one is gone
        assert killed["pid"] not in client.run(os.getpid).values()
    n = MACHINES * SNAPSHOTS + len(BAD)
    t = read_results(out)
    paths = t.column("path").to_pylist()
    assert len(paths) == len(set(paths)) == n
    errors = [e for e in t.column("error").to_pylist() if e]
    assert len(errors) == len(BAD)  # only the bad files failed: no row lost to the kill
    assert s.processed == n and s.duplicates == 0
