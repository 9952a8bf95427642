"""Fixtures of the batch tests: the fleet of ``batchdata`` and a 2-worker LocalCluster."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from batchdata import write_batch_fleet


@pytest.fixture(scope="session")
def fleet(tmp_path_factory) -> Path:
    """The fleet's manifest (``batchdata.write_batch_fleet``)."""
    return write_batch_fleet(tmp_path_factory.mktemp("batch_fleet") / "fleet")


@pytest.fixture(scope="session")
def dask_client():
    """A LocalCluster of 2 worker processes (one thread each) shared by the batch tests."""
    from distributed import Client, LocalCluster

    cluster = LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address="127.0.0.1:0",  # not 8787, which another cluster may hold
        scheduler_kwargs={"dashboard": False},
        silence_logs=logging.ERROR,
    )
    client = Client(cluster)
    yield client
    client.close()
    cluster.close()
