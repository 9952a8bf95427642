"""Model bundles: exact round trip, clear errors, and no code execution on load."""

from __future__ import annotations

import json
import pickle
from dataclasses import asdict

import pytest
import torch

from rotordx.data.seed import PreprocessConfig
from rotordx.exceptions import BundleError
from rotordx.models import make_classifier
from rotordx.models.bundle import save_bundle
from rotordx.models.loading import load_model
from rotordx.models.registry import build_network
from rotordx.signal import MinMaxScaling

CLASSES = ("normal", "type1", "type2", "type3")


def _save(tmp_path, name="cnn"):
    clf = make_classifier(name)
    clf.module = build_network(name, seed=0)
    clf.module.eval()
    clf.is_fitted = True
    scaler = MinMaxScaling((0.0, 1.0, 2.0, 3.0), (1.0, 2.0, 3.0, 4.0))
    spec = {"preprocess": asdict(PreprocessConfig(duration=100.0)), "scaler": scaler.to_dict()}
    save_bundle(tmp_path, classifier=clf, classes=CLASSES, input=spec)
    return clf.module, scaler


@pytest.mark.parametrize("name", ["dnn", "cnn", "rnn"])
def test_round_trip_predictions_identical(tmp_path, name):
    m, scaler = _save(tmp_path, name)
    b = load_model(tmp_path)
    x = torch.rand(50, 4)
    with torch.no_grad():
        assert torch.equal(m(x), b.model(x))
    assert b.classes == CLASSES and b.scaler == scaler
    assert b.preprocess == PreprocessConfig(duration=100.0)
    assert not b.model.training


def test_missing_files(tmp_path):
    _save(tmp_path)
    (tmp_path / "model.safetensors").unlink()
    with pytest.raises(BundleError, match=r"model.safetensors is missing"):
        load_model(tmp_path)
    with pytest.raises(BundleError, match="not a folder"):
        load_model(tmp_path / "nothing")


def test_wrong_json_and_version(tmp_path):
    _save(tmp_path)
    manifest = tmp_path / "bundle.json"
    good = json.loads(manifest.read_text())
    manifest.write_text("{not json")
    with pytest.raises(BundleError, match="not valid JSON"):
        load_model(tmp_path)
    manifest.write_text(json.dumps({**good, "version": 99}))
    with pytest.raises(BundleError, match="bundle version 99"):
        load_model(tmp_path)
    manifest.write_text(json.dumps({**good, "model": {"name": "gpt", "meta": {}}}))
    with pytest.raises(BundleError, match="unknown model 'gpt'"):
        load_model(tmp_path)


def test_weights_of_another_model(tmp_path):
    _save(tmp_path, "cnn")
    manifest = tmp_path / "bundle.json"
    good = json.loads(manifest.read_text())
    manifest.write_text(json.dumps({**good, "model": {**good["model"], "name": "dnn"}}))
    with pytest.raises(BundleError, match="do not fit model 'dnn'"):
        load_model(tmp_path)
    meta = {**good["model"]["meta"], "module_args": {"channels": 50}}
    manifest.write_text(json.dumps({**good, "model": {"name": "cnn", "meta": meta}}))
    with pytest.raises(BundleError, match=r"tensor 'conv1.0.weight' has shape \(100, 1, 2\)"):
        load_model(tmp_path)


class _Payload:
    def __reduce__(self):
        import pathlib

        return (pathlib.Path.touch, (pathlib.Path(self.marker),))


def test_pickle_payload_is_refused_not_run(tmp_path):
    _save(tmp_path)
    marker = tmp_path / "pwned"
    payload = _Payload()
    payload.marker = str(marker)
    (tmp_path / "model.safetensors").write_bytes(pickle.dumps(payload))
    with pytest.raises(BundleError, match="not a readable safetensors file"):
        load_model(tmp_path)
    assert not marker.exists()


def test_truncated_weights(tmp_path):
    _save(tmp_path)
    w = tmp_path / "model.safetensors"
    w.write_bytes(w.read_bytes()[:100])
    with pytest.raises(BundleError, match="not a readable safetensors file"):
        load_model(tmp_path)
