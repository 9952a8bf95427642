"""A conformance suite for every classifier behind the common interface.

Each registered model (window models on tiny simulated windows, the seed's
point-wise models on tiny 4-sensor points) is checked for the same contract:
unfitted use is refused, probabilities are proper, predict is their argmax,
the state is plain arrays + JSON and rebuilds the same model (directly and
through a bundle), fitting is deterministic given the seed, and an easy
dataset is learned. Then model-specific checks: the numpy forest equals
scikit-learn's, and tampered states are refused.
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from rotordx.classes import KAMP_CLASSES
from rotordx.data.dataset import Dataset
from rotordx.data.seed import PreprocessConfig
from rotordx.data.splits import Split, WindowConfig, split_dataset
from rotordx.exceptions import BundleError, ParameterError
from rotordx.models import (
    MODEL_NAMES,
    MODELS,
    SEED,
    classifier_from_state,
    default_train_config,
    get_spec,
    make_classifier,
    model_names,
)
from rotordx.models.bundle import save_bundle
from rotordx.models.forest import forest_predict_proba, forest_to_arrays
from rotordx.models.loading import load_model
from rotordx.signal import MinMaxScaling
from rotordx.simulate import simulate_class

FS = 1000.0
WINDOW = WindowConfig(window=512, hop=256)  # >= 400 samples at 1 kHz for the speed estimate
SECONDS = 16  # per class: 34 train, 10 valid, 10 test windows
TORCH_MODELS = tuple(n for n, s in MODELS.items() if s.network is not None)
#: What the test data say, for the models that take it (the windows have no speed: the
#: bearing model estimates it per window).
DATA = {"fs": FS, "geometry": "SKF_6205", "threads": 1}


def _make(name: str, *, quick: bool = False):
    """The model with the registry's test settings; ``quick``: torch models train 2 epochs."""
    spec = get_spec(name)
    train = {**spec.test_train, "threads": 1} if spec.network else {}
    if quick and spec.network:
        train.update(max_epochs=2, patience=2)
    return make_classifier(
        name, train_config=default_train_config(name, **train), data=DATA, **spec.test_params
    )


@pytest.fixture(scope="module")
def window_data() -> tuple[Split, Split, Split]:
    """Simulated windows of the 4 machine states: 4 sensors at 1 kHz, 512 samples."""
    t = np.arange(SECONDS * int(FS)) / FS
    signals = np.stack([simulate_class(fault=c, times=t, seed=0).T for c in KAMP_CLASSES])
    return split_dataset(Dataset.from_arrays(signals, fs=1000.0), config=WINDOW, seed=0)


def _points(rng: np.random.Generator, per_class: int) -> Split:
    centers = np.array(
        [[0.2, 0.2, 0.8, 0.5], [0.8, 0.2, 0.2, 0.5], [0.2, 0.8, 0.5, 0.2], [0.8, 0.8, 0.5, 0.8]]
    )
    y = np.repeat(np.arange(4), per_class)
    X = centers[y] + 0.07 * rng.standard_normal((y.size, 4))
    order = rng.permutation(y.size)
    return Split(X[order].astype(np.float32), y[order].astype(np.int64))


@pytest.fixture(scope="module")
def point_data() -> tuple[Split, Split, Split]:
    """Min-max-scaled-like 4-sensor points, one well-separated cluster per class."""
    rng = np.random.default_rng(0)
    return _points(rng, 100), _points(rng, 30), _points(rng, 30)


@pytest.fixture(scope="module")
def data(window_data, point_data):
    """The dataset of a model's protocol."""
    return lambda name: point_data if get_spec(name).protocol == SEED else window_data


@pytest.fixture(scope="module")
def fitted(data):
    """Fitted classifiers (seed 0) and their fit info, each fitted once per module."""
    cache: dict[str, tuple] = {}

    def get(name: str):
        if name not in cache:
            clf = _make(name)
            train, valid, _ = data(name)
            info = clf.fit(train, valid, seed=0)
            cache[name] = (clf, info)
        return cache[name]

    return get


def _input_spec(name: str, train: Split) -> dict:
    if get_spec(name).protocol != SEED:
        return {
            "fs": FS,
            "window": WINDOW.window,
            "hop": WINDOW.hop,
            "n_channels": int(train.X.shape[1]),
        }
    return {
        "preprocess": dataclasses.asdict(PreprocessConfig()),
        "scaler": MinMaxScaling.fit(train.X).to_dict(),
    }


def _copy_state(arrays: dict, meta: dict) -> tuple[dict, dict]:
    """Independent copies, the metadata through JSON (as in a bundle)."""
    return {k: np.array(v, copy=True) for k, v in arrays.items()}, json.loads(json.dumps(meta))


# -- the common contract ------------------------------------------------------------------

all_models = pytest.mark.parametrize("name", MODEL_NAMES)


def test_registry_names_and_protocols():
    assert tuple(MODELS) == MODEL_NAMES
    assert [s.name for s in MODELS.values()] == list(MODEL_NAMES)
    window, seed = model_names(protocol="window"), model_names(protocol=SEED)
    assert window and seed and not set(window) & set(seed)
    assert sorted(window + seed) == sorted(MODEL_NAMES)
    for spec in MODELS.values():  # a model is exportable exactly when it is a torch network
        assert spec.exportable == (spec.network is not None), spec.name
        assert spec.exportable or spec.not_exportable, spec.name


@all_models
def test_new_classifier_is_unfitted(name, data):
    clf = _make(name)
    assert clf.name == name
    assert clf.protocol == get_spec(name).protocol
    assert clf.is_fitted is False
    X = data(name)[2].X[:3]
    with pytest.raises(ParameterError, match="not fitted"):
        clf.predict_proba(X)
    with pytest.raises(ParameterError, match="not fitted"):
        clf.predict(X)
    with pytest.raises(ParameterError, match="not fitted"):
        clf.get_state()


@all_models
def test_fit_info(name, fitted):
    clf, info = fitted(name)
    assert clf.is_fitted
    assert isinstance(info, dict)
    assert 0.0 <= info["best_valid_accuracy"] <= 1.0
    json.dumps(info)  # goes into a run's metrics file


@all_models
def test_predict_proba_is_a_distribution(name, fitted, data):
    clf, _ = fitted(name)
    X = data(name)[2].X
    p = clf.predict_proba(X)
    assert isinstance(p, np.ndarray) and p.dtype.kind == "f"
    assert p.shape == (len(X), len(KAMP_CLASSES))
    assert np.isfinite(p).all()
    assert (p >= 0).all() and (p <= 1).all()
    np.testing.assert_allclose(p.sum(axis=1), 1.0, atol=1e-5)
    pred = clf.predict(X)
    np.testing.assert_array_equal(pred, p.argmax(axis=1))
    assert pred.shape == (len(X),) and pred.dtype.kind in "iu"


@all_models
def test_predict_proba_is_row_independent_and_pure(name, fitted, data):
    clf, _ = fitted(name)
    X = data(name)[2].X
    X_before = X.copy()
    full = clf.predict_proba(X)
    np.testing.assert_array_equal(X, X_before)  # input not modified
    np.testing.assert_allclose(clf.predict_proba(X[:1]), full[:1], rtol=0, atol=1e-6)
    np.testing.assert_allclose(clf.predict_proba(X[3:7]), full[3:7], rtol=0, atol=1e-6)
    np.testing.assert_array_equal(clf.predict_proba(X), full)  # repeatable


@all_models
def test_state_is_plain_arrays_and_json(name, fitted):
    clf, _ = fitted(name)
    arrays, meta = clf.get_state()
    assert arrays and isinstance(arrays, dict)
    for key, value in arrays.items():
        assert isinstance(key, str)
        assert isinstance(value, np.ndarray), key
        assert value.dtype.kind in "biuf", (key, value.dtype)  # no objects, no strings
    assert isinstance(meta, dict)
    assert json.loads(json.dumps(meta)) == meta  # JSON-serialisable, losslessly


@all_models
def test_state_round_trip(name, fitted, data):
    clf, _ = fitted(name)
    X = data(name)[2].X
    arrays, meta = _copy_state(*clf.get_state())
    clone = classifier_from_state(name, arrays, meta)
    assert clone.is_fitted and clone.name == name and clone.protocol == clf.protocol
    np.testing.assert_array_equal(clone.predict_proba(X), clf.predict_proba(X))
    np.testing.assert_array_equal(clone.predict(X), clf.predict(X))
    # the rebuilt classifier's own state rebuilds it again
    again = classifier_from_state(name, *_copy_state(*clone.get_state()))
    np.testing.assert_allclose(again.predict_proba(X), clf.predict_proba(X), rtol=0, atol=1e-6)


@all_models
def test_bundle_round_trip(name, fitted, data, tmp_path):
    clf, _ = fitted(name)
    train, _, test = data(name)
    spec = _input_spec(name, train)
    save_bundle(
        tmp_path / "run",
        classifier=clf,
        classes=tuple(KAMP_CLASSES),
        input=spec,
        extra={"note": "test"},
    )
    bundle = load_model(tmp_path / "run")
    assert bundle.model_name == name
    assert bundle.protocol == get_spec(name).protocol
    assert bundle.classes == tuple(KAMP_CLASSES)
    assert bundle.input == spec
    assert bundle.extra == {"note": "test"}
    np.testing.assert_array_equal(
        bundle.classifier.predict_proba(test.X), clf.predict_proba(test.X)
    )


@all_models
def test_fit_is_deterministic(name, data):
    train, valid, test = data(name)
    a, b = _make(name, quick=True), _make(name, quick=True)
    a.fit(train, valid, seed=3)
    b.fit(train, valid, seed=3)
    np.testing.assert_array_equal(a.predict_proba(test.X), b.predict_proba(test.X))
    sa, sb = a.get_state()[0], b.get_state()[0]
    assert sa.keys() == sb.keys()
    for key in sa:
        np.testing.assert_array_equal(sa[key], sb[key], err_msg=key)


@all_models
def test_seed_changes_the_model(name, data):
    train, valid, _ = data(name)
    a, b = _make(name, quick=True), _make(name, quick=True)
    a.fit(train, valid, seed=0)
    b.fit(train, valid, seed=1)
    sa, sb = a.get_state()[0], b.get_state()[0]
    differ = [k for k in sa if sa[k].shape != sb[k].shape or not np.array_equal(sa[k], sb[k])]
    assert differ
    if name in TORCH_MODELS:  # another seed, other initial weights: every weight moves
        weights = [k for k in sa if k.startswith("module.") and k.endswith("weight")]
        assert weights and set(weights) <= set(differ)


@all_models
def test_learns_easy_data(name, fitted, data):
    # The tiny sets are easy (simulated windows with clearly different fault signatures;
    # well-separated point clusters). The exact accuracy of a 10-epoch torch training
    # depends on the CPU's floating-point details (the LSTM scored 1.0 on AMD EPYC and
    # 0.75 on Intel Xeon), so the test asks only for learning far above chance (0.25).
    clf, info = fitted(name)
    test = data(name)[2]
    accuracy = float((clf.predict(test.X) == test.y).mean())
    assert accuracy >= 0.5, f"{name}: test accuracy {accuracy:.3f}"
    if name in TORCH_MODELS:  # and the training itself went down
        losses = info["history"]["train_loss"]
        assert min(losses[1:]) < losses[0], losses


# -- refitting ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["features", "minirocket"])
def test_refit_on_other_data(name, window_data):
    train, valid, test = window_data
    clf = _make(name)
    clf.fit(train, valid, seed=0)
    keep = train.y < 3
    three = Split(train.X[keep], train.y[keep])
    keep_v = valid.y < 3
    clf.fit(three, Split(valid.X[keep_v], valid.y[keep_v]), seed=0)
    assert clf.predict_proba(test.X).shape == (len(test), 3)


@pytest.mark.parametrize("name", ["wdcnn", "lstm"])
def test_torch_refit_on_other_shape(name, window_data):
    train, valid, test = window_data
    clf = _make(name, quick=True)
    clf.fit(train, valid, seed=0)
    two = Split(train.X[:, :2], train.y)
    clf.fit(two, Split(valid.X[:, :2], valid.y), seed=0)
    assert clf.predict_proba(test.X[:, :2]).shape == (len(test), 4)


# -- the numpy forest equals scikit-learn's ---------------------------------------------


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


# -- tampered states are refused ----------------------------------------------------------


def _refused(name: str, arrays: dict, meta: dict, match: str | None = None) -> None:
    with pytest.raises(ParameterError, match=match):
        classifier_from_state(name, arrays, meta)


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


def test_minirocket_state_tampering(fitted):
    arrays, meta = _copy_state(*fitted("minirocket")[0].get_state())
    classifier_from_state("minirocket", *_copy_state(arrays, meta))  # untouched: accepted

    bad = _copy_state(arrays, meta)[0]
    bad["rocket.dilations"] = bad["rocket.dilations"] + 1
    _refused("minirocket", bad, meta, "dilations")

    bad = _copy_state(arrays, meta)[0]
    bad["rocket.dilations"] = bad["rocket.dilations"][:-1]
    _refused("minirocket", bad, meta, "dilations")

    bad = _copy_state(arrays, meta)[0]
    bad["rocket.channel_indices"] = bad["rocket.channel_indices"][::-1].copy()
    _refused("minirocket", bad, meta, "channel_indices")

    bad = _copy_state(arrays, meta)[0]
    bad["rocket.biases"] = bad["rocket.biases"][:-1]
    _refused("minirocket", bad, meta, "biases")

    bad = _copy_state(arrays, meta)[0]
    bad["coef"] = bad["coef"][:, :-1]
    _refused("minirocket", bad, meta, "ridge weights")

    bad = _copy_state(arrays, meta)[0]
    bad["scale"] = bad["scale"][:-1]
    _refused("minirocket", bad, meta, "ridge weights")

    # the state claims another seed: its structure is not the one that seed gives
    _refused("minirocket", arrays, {**meta, "seed": meta["seed"] + 1})
    _refused("minirocket", arrays, {**meta, "n_timepoints": meta["n_timepoints"] * 2})

    for key in ("rocket.dilations", "scale", "coef", "intercept"):
        _refused(
            "minirocket",
            {k: v for k, v in arrays.items() if k != key},
            meta,
            "invalid MiniRocket state",
        )
    for key in ("seed", "n_kernels", "n_channels"):
        _refused(
            "minirocket",
            arrays,
            {k: v for k, v in meta.items() if k != key},
            "invalid MiniRocket state",
        )


@pytest.mark.parametrize("name", ["wdcnn", "dnn"])
def test_torch_state_tampering(name, fitted):
    arrays, meta = _copy_state(*fitted(name)[0].get_state())
    weight = next(k for k in arrays if k.startswith("module.") and k.endswith("weight"))

    bad = _copy_state(arrays, meta)[0]
    bad[weight] = np.concatenate([bad[weight], bad[weight]])  # wrong shape
    _refused(name, bad, meta, "shape")

    bad = _copy_state(arrays, meta)[0]
    bad[weight] = bad[weight].reshape(-1)  # right size, wrong shape
    _refused(name, bad, meta, "shape")

    _refused(name, {k: v for k, v in arrays.items() if k != weight}, meta, "missing")
    _refused(name, {**arrays, "module.extra.weight": np.zeros(3, np.float32)}, meta, "unexpected")
    _refused(
        name, arrays, {k: v for k, v in meta.items() if k != "module_args"}, "invalid metadata"
    )
    _refused(
        name,
        arrays,
        {**meta, "module_args": {**meta["module_args"], "bogus": 1}},
        "invalid arguments",
    )
    # another architecture than the weights were trained for
    _refused(name, arrays, {**meta, "module_args": {**meta["module_args"], "n_classes": 3}})
    if meta["standardize"]:
        _refused(name, {k: v for k, v in arrays.items() if k != "norm.std"}, meta, "normalisation")


def test_torch_state_with_wrong_normalisation_shape_is_refused(fitted):
    arrays, meta = _copy_state(*fitted("wdcnn")[0].get_state())
    arrays["norm.mean"] = arrays["norm.mean"][:1]
    arrays["norm.std"] = arrays["norm.std"][:1]
    _refused("wdcnn", arrays, meta)


def test_tampered_bundle_is_refused(fitted, window_data, tmp_path):
    from safetensors.numpy import save_file

    clf, _ = fitted("wdcnn")
    save_bundle(
        tmp_path,
        classifier=clf,
        classes=tuple(KAMP_CLASSES),
        input=_input_spec("wdcnn", window_data[0]),
    )
    arrays, _ = _copy_state(*clf.get_state())
    weight = next(k for k in arrays if k.endswith("weight"))
    arrays[weight] = arrays[weight][:1].copy()
    save_file(arrays, str(tmp_path / "model.safetensors"))
    with pytest.raises(BundleError, match="shape"):
        load_model(tmp_path)
