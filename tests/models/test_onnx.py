"""ONNX export: the same predictions as PyTorch, self-describing files, clear refusals."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import onnx
import pytest

from rotordx.classes import KAMP_CLASSES
from rotordx.data.dataset import Dataset
from rotordx.data.seed import PreprocessConfig
from rotordx.data.splits import Split, WindowConfig, split_dataset
from rotordx.exceptions import BundleError, DataError, ParameterError
from rotordx.models import default_train_config, make_classifier
from rotordx.models.bundle import save_bundle
from rotordx.models.loading import load_model
from rotordx.models.onnx_export import export_onnx, to_onnx
from rotordx.models.onnx_runtime import OnnxClassifier, load_onnx, read_metadata
from rotordx.models.registry import exportable_names
from rotordx.signal import MinMaxScaling
from rotordx.simulate import simulate_class

FS = 1000.0
WINDOW = WindowConfig(window=512, hop=256)


@pytest.fixture(scope="module")
def window_data():
    t = np.arange(12 * int(FS)) / FS
    signals = np.stack([simulate_class(fault=c, times=t, seed=0).T for c in KAMP_CLASSES])
    return split_dataset(Dataset.from_arrays(signals, fs=1000.0), config=WINDOW, seed=0)


@pytest.fixture(scope="module")
def point_data():
    rng = np.random.default_rng(0)

    def points(n):
        y = np.repeat(np.arange(4), n)
        X = rng.uniform(0, 1, (4, 4))[y] + 0.1 * rng.standard_normal((y.size, 4))
        return Split(X.astype(np.float32), y.astype(np.int64))

    return points(60), points(20), points(40)


def _spec(protocol: str, train: Split) -> dict:
    if protocol == "window":
        return {"fs": FS, "window": WINDOW.window, "hop": WINDOW.hop, "n_channels": 4}
    return {
        "preprocess": dataclasses.asdict(PreprocessConfig()),
        "scaler": MinMaxScaling.fit(train.X).to_dict(),
    }


@pytest.fixture(scope="module")
def run_dirs(window_data, point_data, tmp_path_factory):
    """Run folders (bundles) of every exportable model, trained for one epoch."""
    cache: dict[tuple[str, str], object] = {}

    def get(name: str, protocol: str):
        key = (name, protocol)
        if key not in cache:
            tr, va, te = point_data if protocol == "seed" else window_data
            cfg = default_train_config(name, max_epochs=1, patience=1, batch_size=16, threads=1)
            clf = make_classifier(name, protocol=protocol, train_config=cfg)
            clf.fit(tr, va, seed=0)
            d = tmp_path_factory.mktemp(f"{name}_{protocol}")
            save_bundle(d, classifier=clf, classes=KAMP_CLASSES, input=_spec(protocol, tr))
            cache[key] = (d, te)
        return cache[key]

    return get


CASES = [
    ("wdcnn", "window"),
    ("lstm", "window"),
    ("dnn", "seed"),
    ("cnn", "seed"),
    ("rnn", "seed"),
    ("dnn", "window"),  # a seed model on windows: mean of per-instant probabilities
]


@pytest.mark.parametrize(("name", "protocol"), CASES)
def test_onnx_predictions_equal_pytorch(run_dirs, tmp_path, name, protocol):
    run, test = run_dirs(name, protocol)
    info = export_onnx(run, tmp_path / "m.onnx")
    assert info["model"] == name and info["max_abs_diff"] <= 1e-5
    eager = load_model(run)
    onnx_bundle = load_model(tmp_path / "m.onnx", threads=1)
    assert isinstance(onnx_bundle.classifier, OnnxClassifier)
    p_torch = eager.classifier.predict_proba(test.X)
    p_onnx = onnx_bundle.classifier.predict_proba(test.X)
    assert p_onnx.shape == (len(test), 4) and p_onnx.dtype == np.float32
    np.testing.assert_array_equal(p_onnx.argmax(axis=1), p_torch.argmax(axis=1))
    np.testing.assert_allclose(p_onnx, p_torch, rtol=0, atol=1e-5)
    np.testing.assert_array_equal(onnx_bundle.classifier.predict(test.X), p_onnx.argmax(axis=1))


@pytest.mark.parametrize(
    "kwargs", [{"opset": 13}, {"opset": 18}, {"batch": 5}, {"conv2d": False}, {"batch": 1}]
)
def test_opsets_fixed_batch_and_1d_layout(run_dirs, kwargs):
    run, test = run_dirs("wdcnn", "window")
    b = load_model(run)
    model = to_onnx(b.classifier, classes=b.classes, input=b.input, **kwargs)
    clf = OnnxClassifier(model, threads=1)
    assert clf.batch == kwargs.get("batch")
    X = test.X[:13]  # not a multiple of a fixed batch: the last one is padded
    np.testing.assert_allclose(clf.predict_proba(X), b.classifier.predict_proba(X), atol=1e-5)


def test_lstm_and_pointwise_at_opset_18(run_dirs):
    for name, protocol in (("lstm", "window"), ("dnn", "window")):
        run, test = run_dirs(name, protocol)
        b = load_model(run)
        clf = OnnxClassifier(to_onnx(b.classifier, classes=b.classes, input=b.input, opset=18))
        np.testing.assert_allclose(
            clf.predict_proba(test.X), b.classifier.predict_proba(test.X), atol=1e-5
        )


def test_metadata_round_trip(run_dirs, tmp_path):
    run, _ = run_dirs("wdcnn", "window")
    path = tmp_path / "w.onnx"
    export_onnx(run, path)
    eager, exported = load_model(run), load_onnx(path)
    assert exported.model_name == "wdcnn" and exported.protocol == "window"
    assert exported.classes == eager.classes == KAMP_CLASSES
    assert exported.input == eager.input
    # readable without rotordx: plain ONNX metadata and shapes
    model = onnx.load(str(path))
    props = {p.key: p.value for p in model.metadata_props}
    assert props["format"] == "rotordx-onnx" and props["model"] == "wdcnn"
    assert json.loads(props["classes"]) == list(KAMP_CLASSES)
    assert json.loads(props["input"])["fs"] == FS
    dims = [d.dim_param or d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim]
    assert dims == ["batch", 4, WINDOW.window]
    assert read_metadata(model)["classes"] == KAMP_CLASSES


def test_seed_protocol_keeps_scaler_and_preprocessing(run_dirs, tmp_path):
    run, _ = run_dirs("cnn", "seed")
    export_onnx(run, tmp_path / "c.onnx")
    a, b = load_model(run), load_model(tmp_path / "c.onnx")
    assert b.scaler == a.scaler and b.preprocess == a.preprocess


@pytest.fixture(scope="module")
def unexportable_runs(window_data, tmp_path_factory):
    tr, va, _ = window_data
    runs = {}
    for name, params in (
        ("features", {"fs": FS, "n_estimators": 5}),
        ("minirocket", {"n_kernels": 84}),
    ):
        clf = make_classifier(name, **params)
        clf.fit(tr, va, seed=0)
        d = tmp_path_factory.mktemp(name)
        save_bundle(d, classifier=clf, classes=KAMP_CLASSES, input=_spec("window", tr))
        runs[name] = (d, clf)
    return runs


@pytest.mark.parametrize("name", ["features", "minirocket"])
def test_unexportable_models_are_refused(unexportable_runs, tmp_path, name):
    run, clf = unexportable_runs[name]
    out = tmp_path / "x.onnx"
    with pytest.raises(ParameterError, match=rf"model '{name}' cannot be exported to ONNX") as e:
        export_onnx(run, out)
    assert "Exportable models: " + ", ".join(exportable_names()) in str(e.value)
    assert "no ONNX form" in str(e.value)
    assert not out.exists() and not list(tmp_path.iterdir())
    with pytest.raises(ParameterError, match="cannot be exported"):
        to_onnx(clf, classes=KAMP_CLASSES, input=_spec("window", Split(np.zeros(1), np.zeros(1))))


def test_every_registered_model_is_exportable_or_refused_with_a_reason():
    from rotordx.models import MODEL_NAMES

    for name in sorted(set(MODEL_NAMES) - set(exportable_names())):
        with pytest.raises(ParameterError, match=rf"'{name}' cannot be exported.*no ONNX form"):
            to_onnx(
                make_classifier(name, data={"fs": 1000.0, "geometry": "SKF_6205"}),
                classes=KAMP_CLASSES,
                input={},
            )


def test_export_arguments_are_checked(run_dirs, tmp_path):
    run, _ = run_dirs("wdcnn", "window")
    with pytest.raises(ParameterError, match=r"must end in \.onnx"):
        export_onnx(run, tmp_path / "m.txt")
    with pytest.raises(ParameterError, match="--opset must be between 13"):
        export_onnx(run, tmp_path / "m.onnx", opset=11)
    with pytest.raises(ParameterError, match="--batch must be"):
        export_onnx(run, tmp_path / "m.onnx", batch=0)
    assert not list(tmp_path.iterdir())


@pytest.fixture(scope="module")
def good_onnx(run_dirs, tmp_path_factory):
    run, _ = run_dirs("wdcnn", "window")
    path = tmp_path_factory.mktemp("onnx") / "w.onnx"
    export_onnx(run, path)
    return path


def test_bad_files_are_refused_with_a_clear_error(good_onnx, tmp_path):
    data = good_onnx.read_bytes()
    cases = {
        "text.onnx": (b"hello, not a model\n", "not a readable ONNX model"),
        "trunc.onnx": (data[: len(data) // 2], "not a readable ONNX model"),
        "empty.onnx": (b"", "empty file"),
    }
    for name, (content, message) in cases.items():
        (tmp_path / name).write_bytes(content)
        with pytest.raises(BundleError, match=message):
            load_model(tmp_path / name)
    with pytest.raises(BundleError, match="no such file"):
        load_model(tmp_path / "missing.onnx")


def _rewrite(path, out, edit):
    model = onnx.load(str(path))
    edit(model)
    out.write_bytes(model.SerializeToString())
    return out


def test_foreign_or_tampered_onnx_is_refused(good_onnx, tmp_path):
    def no_meta(m):
        del m.metadata_props[:]

    def custom_domain(m):
        m.opset_import.append(onnx.helper.make_opsetid("com.example", 1))

    def external(m):
        t = m.graph.initializer[0]
        t.data_location = onnx.TensorProto.EXTERNAL
        t.external_data.add(key="location", value="../../weights.bin")
        t.ClearField("raw_data")

    def other_version(m):
        for p in m.metadata_props:
            if p.key == "format_version":
                p.value = "99"

    def wrong_classes(m):
        for p in m.metadata_props:
            if p.key == "classes":
                p.value = json.dumps(["a", "b"])

    cases = [
        (no_meta, "not written by `rotordx export`"),
        (custom_domain, "custom operator domains"),
        (external, "external files are not accepted"),
        (other_version, "metadata version '99'"),
        (wrong_classes, r"expected \(batch, 2\)"),
    ]
    for i, (edit, message) in enumerate(cases):
        path = _rewrite(good_onnx, tmp_path / f"t{i}.onnx", edit)
        with pytest.raises(BundleError, match=message):
            load_onnx(path)


def test_onnx_classifier_interface(good_onnx, window_data):
    clf = load_onnx(good_onnx, threads=1).classifier
    with pytest.raises(DataError, match=r"takes \(n, 4, 512\)"):
        clf.predict_proba(np.zeros((2, 4, 256), np.float32))
    tr, va, _ = window_data
    with pytest.raises(ParameterError, match="inference-only"):
        clf.fit(tr, va)
    with pytest.raises(ParameterError, match="no bundle state"):
        clf.get_state()
    with pytest.raises(ParameterError, match="threads must be a positive integer"):
        OnnxClassifier(good_onnx.read_bytes(), threads=0)
    assert clf.predict_proba(np.zeros((0, 4, 512), np.float32)).shape == (0, 4)


# -- command line ---------------------------------------------------------------------------------
