"""Shared fixtures: small simulated KAMP groups written once per session.

The tests mirror the package: ``tests/<room>/`` holds the tests of ``rotordx.<room>``
(``signal``, ``io``, ``features``, ``simulate``, ``data``, ``models``, ``diagnosis``,
``render``, ``workflows``, ``cli``); tests that cut across rooms stay here at the top.
Constants and helpers shared between folders are in ``support.py`` (``from support
import ...``); fixtures are here.
"""

from __future__ import annotations

import os

# Keep torch to one thread in tests: 2-core CI machines, many small models.
os.environ.setdefault("OMP_NUM_THREADS", "1")

import pytest

from rotordx.io import write_kamp_group
from rotordx.simulate import TestbedConfig, simulate_testbed
from support import SMALL_SECONDS, write_cwru_like


@pytest.fixture(scope="session", autouse=True)
def _private_cache(tmp_path_factory):
    """Commands that cache preprocessed groups write to a temporary folder, not ~/.cache."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ROTORDX_CACHE", str(tmp_path_factory.mktemp("rotordx-cache")))
        yield


@pytest.fixture(scope="session")
def small_group_dir(tmp_path_factory):
    """A 12 s simulated KAMP group (g1_sensor1..4.csv)."""
    d = tmp_path_factory.mktemp("kamp_small")
    write_kamp_group(d, simulate_testbed(TestbedConfig(seconds=SMALL_SECONDS), seed=0), group=1)
    return d


@pytest.fixture(scope="session")
def other_group_dir(tmp_path_factory):
    """Another 12 s group with a different seed and speed (for evaluate)."""
    d = tmp_path_factory.mktemp("kamp_other")
    cfg = TestbedConfig(seconds=SMALL_SECONDS, rpm=1750.0)
    write_kamp_group(d, simulate_testbed(cfg, seed=1), group=1)
    return d


@pytest.fixture(scope="session")
def cwru_like_dir(tmp_path_factory):
    """Tiny CWRU-named .mat files (``support.write_cwru_like``): 4 classes, sizes 007/014."""
    return write_cwru_like(tmp_path_factory.mktemp("cwru_like"))


@pytest.fixture(scope="session")
def cwru_dir():
    """The real CWRU folder (``shared/data/cwru`` beside the project, or $ROTORDX_DATA/cwru).

    Tests that use it skip, saying where they looked, when the data is absent.
    """
    from rotordx.io.datadir import DATA_ENV, data_dir_candidates, default_data_dir

    root = default_data_dir()
    if root is None or not (root / "cwru").is_dir():
        where = ", ".join(str(c / "cwru") for c in data_dir_candidates())
        pytest.skip(f"CWRU data not found (looked in {where}); set {DATA_ENV} to the data folder")
    return root / "cwru"
