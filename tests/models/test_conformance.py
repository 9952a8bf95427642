"""A conformance suite for every classifier behind the common interface.

Every model of the registry (``rotordx.models.MODEL_NAMES``; window models on tiny
simulated windows, the seed's point-wise models on tiny 4-sensor points) is checked
for the same contract, built only from its own registry entry (``test_params``, and
``test_train`` for a torch network): unfitted use is refused, probabilities are proper,
predict is their argmax, the state is plain arrays + JSON and rebuilds the same model
(directly and through a bundle), fitting is deterministic given the seed and refits on
other data, and an easy data set is learned. Models differ only where their entry says
so (``spec.protocol``, ``spec.network``).

Then a model registered at run time goes through the same machinery: adding a model is
one registry entry plus its own file. Model-specific checks (the forest's arrays,
tampered states) are in test_forest.py, test_rocket.py and test_torch_classifier.py.
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any, ClassVar

import numpy as np
import pytest
from typer.testing import CliRunner

import rotordx.cli
from rotordx.classes import KAMP_CLASSES
from rotordx.cli import app
from rotordx.data.splits import Split
from rotordx.exceptions import ParameterError
from rotordx.models import (
    MODEL_NAMES,
    MODELS,
    SEED,
    WINDOW,
    ModelSpec,
    classifier_from_state,
    get_spec,
    make_classifier,
    model_names,
)
from rotordx.models import registry as model_registry
from rotordx.models.base import Classifier
from rotordx.models.bundle import save_bundle
from rotordx.models.loading import load_model
from rotordx.workflows.train import train_run
from support import copy_state as _copy_state
from support import input_spec as _input_spec
from support import make_test_classifier as _make

# -- the common contract ------------------------------------------------------------------

#: The classifiers of labelled classes (the one-class healthy baseline has its own tests).
CLASSIFIERS = model_names(one_class=False)
all_models = pytest.mark.parametrize("name", CLASSIFIERS)


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
    if get_spec(name).network is not None:  # another seed, other initial weights: all move
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
    if get_spec(name).network is not None:  # and the training itself went down
        losses = info["history"]["train_loss"]
        assert min(losses[1:]) < losses[0], losses


# -- refitting ----------------------------------------------------------------------------


@all_models
def test_refit_on_fewer_classes(name, data):
    train, valid, test = data(name)
    clf = _make(name, quick=True)
    clf.fit(train, valid, seed=0)
    keep, keep_v = train.y < 3, valid.y < 3
    info = clf.fit(Split(train.X[keep], train.y[keep]), Split(valid.X[keep_v], valid.y[keep_v]))
    assert 0.0 <= info["best_valid_accuracy"] <= 1.0
    p = clf.predict_proba(test.X)
    assert p.shape == (len(test), 3)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, atol=1e-5)


@all_models
def test_refit_on_fewer_channels(name, data):
    train, valid, test = data(name)
    clf = _make(name, quick=True)
    clf.fit(train, valid, seed=0)
    two = Split(train.X[:, :2], train.y)
    clf.fit(two, Split(valid.X[:, :2], valid.y), seed=0)
    p = clf.predict_proba(test.X[:, :2])
    assert p.shape == (len(test), len(KAMP_CLASSES))
    arrays, meta = _copy_state(*clf.get_state())
    again = classifier_from_state(name, arrays, meta)
    np.testing.assert_allclose(again.predict_proba(test.X[:, :2]), p, rtol=0, atol=1e-6)


# -- a model added at run time ------------------------------------------------------------


class NearestCentroid(Classifier):
    """A window model in a few lines: the nearest class centroid of per-channel log-RMS.

    Everything the registry needs from a model: ``_fit``, ``_predict_proba``,
    ``get_state`` and ``from_state``.
    """

    STATE_KEYS: ClassVar[tuple[str, ...]] = ("centroids", "scale")

    def __init__(self, temperature: float = 1.0) -> None:
        super().__init__("centroid", WINDOW)
        if not temperature > 0:
            raise ParameterError(f"temperature must be > 0, got {temperature!r}")
        self.temperature = float(temperature)

    @staticmethod
    def _features(X: np.ndarray) -> np.ndarray:
        X = np.asarray(X, dtype=np.float64)
        return np.log(X.std(axis=-1) + 1e-12)  # (n, n_channels)

    def _fit(self, train: Split, valid: Split, *, seed: int, progress: bool) -> dict[str, Any]:
        F = self._features(train.X)
        k = int(train.y.max()) + 1
        self.centroids = np.stack([F[train.y == c].mean(axis=0) for c in range(k)])
        self.scale = F.std(axis=0) + 1e-9
        p = self._predict_proba(valid.X, shaft_hz=None, defect_orders=None)
        return {"best_valid_accuracy": float((p.argmax(axis=1) == valid.y).mean())}

    def _predict_proba(self, X: np.ndarray, *, shaft_hz=None, defect_orders=None) -> np.ndarray:
        F = self._features(X)
        d2 = (((F[:, None, :] - self.centroids[None]) / self.scale) ** 2).sum(axis=-1)
        z = -d2 / self.temperature
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    def get_state(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        self._check_fitted()
        return {"centroids": self.centroids, "scale": self.scale}, {"temperature": self.temperature}

    @classmethod
    def from_state(cls, arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> NearestCentroid:
        missing = [k for k in cls.STATE_KEYS if k not in arrays]
        if missing or "temperature" not in meta:
            raise ParameterError(f"invalid nearest-centroid state (missing {missing})")
        obj = cls(temperature=meta["temperature"])
        obj.centroids = np.asarray(arrays["centroids"], dtype=np.float64)
        obj.scale = np.asarray(arrays["scale"], dtype=np.float64)
        if obj.centroids.ndim != 2 or obj.scale.shape != obj.centroids.shape[1:]:
            raise ParameterError("invalid nearest-centroid state: shapes disagree")
        obj.is_fitted = True
        return obj


@pytest.fixture
def centroid_registered(monkeypatch):
    """The registry with one more entry, ``centroid`` (restored afterwards by monkeypatch).

    The CLI's ``train`` command reads the registry when its module is imported, so that
    module is taken out of ``sys.modules`` to be imported afresh (and put back after).
    """
    assert sys.modules.get(__name__) is not None  # the registry imports the class by name
    spec = ModelSpec(
        "centroid",
        "nearest centroid of per-channel log-RMS (a test model)",
        f"{__name__}:NearestCentroid",
        not_exportable="it is a test model",
        test_params={"temperature": 0.5},
    )
    monkeypatch.setitem(model_registry.MODELS, spec.name, spec)
    monkeypatch.delitem(sys.modules, "rotordx.cli.models", raising=False)
    monkeypatch.setattr(rotordx.cli, "models", getattr(rotordx.cli, "models", None), raising=False)
    return spec


def test_a_model_added_to_the_registry_is_built_trained_loaded_and_listed(
    centroid_registered, small_group_dir, tmp_path
):
    spec = centroid_registered
    # built by the registry, with the entry's own settings
    clf = make_classifier("centroid", data={"fs": 1000.0, "threads": 1}, **spec.test_params)
    assert isinstance(clf, NearestCentroid) and clf.temperature == 0.5
    assert (clf.name, clf.protocol, clf.is_fitted) == ("centroid", WINDOW, False)
    assert "centroid" in model_names(protocol=WINDOW)
    # trained by the train workflow on a KAMP folder, like every window model
    m = train_run(small_group_dir, model="centroid", out=tmp_path / "run", progress=False)
    assert m["model"] == "centroid" and m["protocol"] == WINDOW
    assert m["classes"] == list(KAMP_CLASSES) and m["accuracy"] >= 0.5  # chance: 0.25
    assert (tmp_path / "run" / "confusion_matrix.png").is_file()
    # loaded back from its run folder: the same predictions
    bundle = load_model(tmp_path / "run")
    assert bundle.model_name == "centroid" and isinstance(bundle.classifier, NearestCentroid)
    X = np.random.default_rng(0).standard_normal((5, 4, bundle.input["window"]))
    fresh = classifier_from_state("centroid", *_copy_state(*bundle.classifier.get_state()))
    np.testing.assert_array_equal(bundle.classifier.predict_proba(X), fresh.predict_proba(X))
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["accuracy"] == m["accuracy"]
    # listed by `rotordx train --help` with its summary
    result = CliRunner().invoke(app, ["train", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    text = re.sub(r"[\s│|]+", " ", result.output)
    assert "centroid: nearest centroid of per-channel log-RMS" in text, result.output
    assert re.search(r"Window protocol: [^.]*\bcentroid\b", text), result.output


def test_the_registry_is_restored_after_a_run_time_entry():
    # runs after the test above (in file order): monkeypatch took the entry out again
    assert "centroid" not in MODELS and tuple(MODELS) == MODEL_NAMES
    with pytest.raises(ParameterError, match="unknown model 'centroid'"):
        get_spec("centroid")
