"""Fixtures of the model tests: tiny data sets of both protocols, classifiers fitted once.

Window models train on simulated windows (4 sensors at 1 kHz, 512 samples), the seed's
point-wise models on 4-sensor points; every model with its registry entry's test
settings (``support.make_test_classifier``).
"""

from __future__ import annotations

import numpy as np
import pytest

from rotordx.classes import KAMP_CLASSES
from rotordx.data.dataset import Dataset
from rotordx.data.splits import Split, split_dataset
from rotordx.models import SEED, get_spec
from rotordx.simulate import simulate_class
from support import MODEL_FS, MODEL_WINDOW, make_test_classifier

SECONDS = 16  # per class: 34 train, 10 valid, 10 test windows


@pytest.fixture(scope="session")
def window_data() -> tuple[Split, Split, Split]:
    """Simulated windows of the 4 machine states: 4 sensors at 1 kHz, 512 samples."""
    t = np.arange(SECONDS * int(MODEL_FS)) / MODEL_FS
    signals = np.stack([simulate_class(fault=c, times=t, seed=0).T for c in KAMP_CLASSES])
    return split_dataset(Dataset.from_arrays(signals, fs=MODEL_FS), config=MODEL_WINDOW, seed=0)


def _points(rng: np.random.Generator, per_class: int) -> Split:
    centers = np.array(
        [[0.2, 0.2, 0.8, 0.5], [0.8, 0.2, 0.2, 0.5], [0.2, 0.8, 0.5, 0.2], [0.8, 0.8, 0.5, 0.8]]
    )
    y = np.repeat(np.arange(4), per_class)
    X = centers[y] + 0.07 * rng.standard_normal((y.size, 4))
    order = rng.permutation(y.size)
    return Split(X[order].astype(np.float32), y[order].astype(np.int64))


@pytest.fixture(scope="session")
def point_data() -> tuple[Split, Split, Split]:
    """Min-max-scaled-like 4-sensor points, one well-separated cluster per class."""
    rng = np.random.default_rng(0)
    return _points(rng, 100), _points(rng, 30), _points(rng, 30)


@pytest.fixture(scope="session")
def data(window_data, point_data):
    """The data set of a model's own protocol: ``data(name)`` is (train, valid, test)."""
    return lambda name: point_data if get_spec(name).protocol == SEED else window_data


@pytest.fixture(scope="session")
def fitted(data):
    """``fitted(name)``: the model fitted (seed 0) once per session, and its fit info.

    Tests must not refit or change what they get (they copy a state before tampering).
    """
    cache: dict[str, tuple] = {}

    def get(name: str):
        if name not in cache:
            clf = make_test_classifier(name)
            train, valid, _ = data(name)
            info = clf.fit(train, valid, seed=0)
            cache[name] = (clf, info)
        return cache[name]

    return get
