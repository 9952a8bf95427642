"""Torch classifiers: states and bundles whose weights do not fit the network are refused."""

from __future__ import annotations

import numpy as np
import pytest

from rotordx.classes import KAMP_CLASSES
from rotordx.exceptions import BundleError, ParameterError
from rotordx.models import classifier_from_state
from rotordx.models.bundle import save_bundle
from rotordx.models.loading import load_model
from support import copy_state as _copy_state
from support import input_spec as _input_spec


def _refused(name: str, arrays: dict, meta: dict, match: str | None = None) -> None:
    with pytest.raises(ParameterError, match=match):
        classifier_from_state(name, arrays, meta)


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
