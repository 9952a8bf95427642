"""The physics-feature forest: numpy arrays that predict as scikit-learn does; tampering refused."""

from __future__ import annotations

import numpy as np
import pytest

from rotordx.exceptions import ParameterError
from rotordx.models import classifier_from_state
from rotordx.models.forest import forest_predict_proba, forest_to_arrays
from support import copy_state as _copy_state


def _refused(name: str, arrays: dict, meta: dict, match: str | None = None) -> None:
    with pytest.raises(ParameterError, match=match):
        classifier_from_state(name, arrays, meta)


def _forest_data(seed: int, n_classes: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    n = 150
    X = np.column_stack(
        [
            rng.integers(0, 4, n).astype(np.float64),  # many ties
            np.round(rng.standard_normal(n), 1),  # some ties
            rng.standard_normal(n) * 1e3,  # large values, float32 rounding matters
            rng.uniform(0, 1, n),
            np.full(n, 2.5),  # constant column
        ]
    )
    y = rng.integers(0, n_classes, n)
    # duplicated rows with conflicting labels: impure leaves, fractional shares
    X = np.concatenate([X, X[:30]])
    y = np.concatenate([y, (y[:30] + 1) % n_classes])
    return X, y


@pytest.mark.parametrize(
    "params",
    [
        {"n_estimators": 1},
        {"n_estimators": 7, "max_depth": 1},
        {"n_estimators": 25, "max_depth": 3},
        {"n_estimators": 40},
        {"n_estimators": 10, "min_samples_leaf": 5, "max_features": None},
        {"n_estimators": 10, "bootstrap": False, "max_features": 2},
        {"n_estimators": 10, "class_weight": "balanced"},
    ],
)
@pytest.mark.parametrize("n_classes", [2, 4])
def test_forest_arrays_equal_sklearn(params, n_classes):
    from sklearn.ensemble import RandomForestClassifier

    X, y = _forest_data(n_classes, n_classes)
    rf = RandomForestClassifier(random_state=0, **params).fit(X, y)
    arrays = forest_to_arrays(rf)
    rng = np.random.default_rng(1)
    # training points, new points, and points exactly on split thresholds
    thresholds = rf.estimators_[0].tree_.threshold
    features = rf.estimators_[0].tree_.feature
    on_split = np.tile(X[:1], (int((features >= 0).sum()), 1))
    on_split[np.arange(len(on_split)), features[features >= 0]] = thresholds[features >= 0]
    X_new = np.concatenate([X, X + rng.normal(0, 0.3, X.shape), on_split])
    np.testing.assert_allclose(
        forest_predict_proba(arrays, X_new), rf.predict_proba(X_new), rtol=0, atol=1e-12
    )


def test_forest_arrays_equal_sklearn_bit_exactly():
    from sklearn.ensemble import RandomForestClassifier

    X, y = _forest_data(4, 4)
    rf = RandomForestClassifier(n_estimators=7, max_depth=1, random_state=0).fit(X, y)
    np.testing.assert_array_equal(
        forest_predict_proba(forest_to_arrays(rf), X), rf.predict_proba(X)
    )


def test_forest_arrays_layout():
    from sklearn.ensemble import RandomForestClassifier

    X, y = _forest_data(0, 3)
    rf = RandomForestClassifier(n_estimators=5, max_depth=4, random_state=0).fit(X, y)
    a = forest_to_arrays(rf)
    n = sum(e.tree_.node_count for e in rf.estimators_)
    assert a["left"].shape == a["right"].shape == a["feature"].shape == (n,)
    assert a["value"].shape == (n, 3)
    np.testing.assert_allclose(a["value"].sum(axis=1), 1.0)
    leaf = a["left"] == -1
    np.testing.assert_array_equal(leaf, a["right"] == -1)
    assert (a["left"][~leaf] > np.arange(n)[~leaf]).all()  # children come after parents
    np.testing.assert_array_equal(
        a["roots"], np.cumsum([0] + [e.tree_.node_count for e in rf.estimators_])[:-1]
    )


def test_forest_state_tampering(fitted):
    arrays, meta = _copy_state(*fitted("features")[0].get_state())
    n = arrays["tree.left"].shape[0]
    inner = int(np.flatnonzero(arrays["tree.left"] >= 0)[0])

    bad = _copy_state(arrays, meta)[0]
    bad["tree.left"][inner] = n  # child index out of range
    _refused("features", bad, meta, "inconsistent")

    bad = _copy_state(arrays, meta)[0]
    bad["tree.right"][inner] = -7
    _refused("features", bad, meta, "inconsistent")

    bad = _copy_state(arrays, meta)[0]
    bad["tree.feature"][inner] = len(meta["feature_names"])  # no such feature
    _refused("features", bad, meta, "inconsistent")

    bad = _copy_state(arrays, meta)[0]
    bad["tree.roots"][-1] = n
    _refused("features", bad, meta, "inconsistent")

    bad = _copy_state(arrays, meta)[0]
    bad["tree.threshold"] = bad["tree.threshold"][:-1]  # shapes disagree
    _refused("features", bad, meta, "inconsistent")

    bad = _copy_state(arrays, meta)[0]
    bad["importances"] = bad["importances"][:-1]
    _refused("features", bad, meta, "inconsistent")

    for key in ("tree.value", "tree.roots", "importances"):
        bad = {k: v for k, v in arrays.items() if k != key}
        _refused("features", bad, meta, "invalid forest state")
    for key in ("fs", "feature_names"):
        _refused(
            "features", arrays, {k: v for k, v in meta.items() if k != key}, "invalid forest state"
        )
