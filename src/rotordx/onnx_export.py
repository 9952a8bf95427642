"""Export a trained torch model to ONNX, input standardisation and softmax included.

The graph is written layer by layer from the fitted network (``onnx.helper``;
no tracing, no torch exporter): batch norm is folded into the convolution
before it, dropout is dropped (inference), and the classifier's own input
handling becomes part of the graph. So the ``.onnx`` file takes exactly what
the run's bundle describes and returns class probabilities:

window protocol (``wdcnn``, ``lstm``; a seed model trained with ``--protocol window``)
    raw windows, float32 ``(batch, n_channels, window)`` in the recording's
    units → per-channel standardisation with the training mean and standard
    deviation → network → softmax. A seed model on windows classifies every
    instant and averages the probabilities over the window, as in PyTorch.
seed protocol (``dnn``, ``cnn``, ``rnn``)
    min-max-scaled instants, float32 ``(batch, n_sensors)`` → network →
    softmax. The moving average and min-max scaling stay outside (the
    metadata holds their settings and the scaler, as ``bundle.json`` does).

``features``, ``bearing`` and ``minirocket`` are not exportable: their inputs
to the final classifier are computed outside any network — physics and
bearing defect features by numpy (running-speed search, order tracking,
envelope spectra), MiniRocket's 10,000 dilated-kernel features by numba —
and re-writing those transforms as ONNX operators would be a second
implementation to keep equal to the first.

The file describes itself: ``metadata_props`` hold the format, model name,
protocol, class names and the input specification (JSON), so
:func:`rotordx.onnx_runtime.load_onnx` needs nothing else.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from rotordx import __version__
from rotordx.exceptions import BundleError, ParameterError

__all__ = [
    "DEFAULT_OPSET",
    "EXPORTABLE",
    "MIN_OPSET",
    "ONNX_FORMAT",
    "ONNX_VERSION",
    "export_onnx",
    "to_onnx",
]

#: Registry names of the models that can be exported.
EXPORTABLE: tuple[str, ...] = ("wdcnn", "lstm", "dnn", "cnn", "rnn")
#: Default ONNX opset (ONNX Runtime ≥ 1.12 runs it).
DEFAULT_OPSET = 17
#: Oldest opset written (Softmax over one axis, Squeeze/Unsqueeze axes as inputs).
MIN_OPSET = 13
#: ``metadata_props`` value of ``format`` in every rotordx ONNX file.
ONNX_FORMAT = "rotordx-onnx"
#: Version of the metadata layout.
ONNX_VERSION = 1
INPUT_NAME = "input"
OUTPUT_NAME = "probabilities"
#: Largest |p_onnx - p_torch| :func:`export_onnx` accepts on its check inputs.
CHECK_TOLERANCE = 1e-4

_NOT_EXPORTABLE = {
    "features": (
        "its physics features (running-speed search, order amplitudes, envelope spectra) "
        "are computed in numpy, outside any network, and have no ONNX form"
    ),
    "minirocket": (
        "its 10,000 MiniRocket features are computed by aeon/numba, outside any network, "
        "and have no ONNX form"
    ),
    "bearing": (
        "its defect-frequency scores (envelope spectra at speed-dependent BPFO/BPFI/BSF) "
        "are computed in numpy, outside any network, and have no ONNX form"
    ),
}


def _refuse(name: str) -> ParameterError:
    why = _NOT_EXPORTABLE.get(name, "it is not one of the torch networks")
    return ParameterError(
        f"model {name!r} cannot be exported to ONNX: {why}. Exportable models: "
        f"{', '.join(EXPORTABLE)}; keep using the run folder for {name!r}"
    )


class _Graph:
    """A tiny ONNX graph builder: named constants and single-output nodes."""

    def __init__(self, opset: int, *, conv2d: bool = False) -> None:
        self.opset = opset
        self.conv2d = conv2d  # 1-D layers as 2-D ones of height 1 (see to_onnx)
        self.nodes: list = []
        self.initializers: list = []
        self._count = 0

    def _name(self, prefix: str) -> str:
        self._count += 1
        return f"{prefix}_{self._count}"

    def const(self, array: np.ndarray, prefix: str = "c") -> str:
        from onnx import numpy_helper

        arr = np.asarray(array)
        arr = arr.astype(np.int64 if arr.dtype.kind in "iu" else np.float32)
        name = self._name(prefix)
        self.initializers.append(numpy_helper.from_array(np.ascontiguousarray(arr), name))
        return name

    def op(self, op_type: str, inputs: list[str], n_out: int = 1, **attrs: Any):
        from onnx import helper

        outs = [self._name(op_type.lower()) for _ in range(n_out)]
        self.nodes.append(helper.make_node(op_type, inputs, outs, **attrs))
        return outs[0] if n_out == 1 else outs

    def reduce_mean(self, x: str, axis: int) -> str:
        if self.opset >= 18:  # axes became an input
            return self.op("ReduceMean", [x, self.const([axis])], keepdims=0)
        return self.op("ReduceMean", [x], axes=[axis], keepdims=0)


# -- layers ------------------------------------------------------------------------------------
def _np(t) -> np.ndarray:
    return t.detach().cpu().numpy().astype(np.float64)


def _conv(g: _Graph, x: str, conv, bn=None) -> str:
    """Conv1d, with a following BatchNorm1d (eval statistics) folded into it."""
    if conv.dilation != (1,) or conv.groups != 1 or conv.padding_mode != "zeros":
        raise ParameterError("only plain Conv1d layers (no dilation, groups, padding modes)")
    w = _np(conv.weight)
    b = _np(conv.bias) if conv.bias is not None else np.zeros(w.shape[0])
    if bn is not None:
        scale = _np(bn.weight) / np.sqrt(_np(bn.running_var) + bn.eps)
        w = w * scale[:, None, None]
        b = (b - _np(bn.running_mean)) * scale + _np(bn.bias)
    k = w.shape[2]
    if conv.padding == "same":  # torch pads the odd sample on the right
        left = (k - 1) // 2
        pads = [left, k - 1 - left]
    elif conv.padding == "valid":
        pads = [0, 0]
    else:
        pads = [conv.padding[0], conv.padding[0]]
    if g.conv2d:
        return g.op(
            "Conv",
            [x, g.const(w[:, :, None, :], "w"), g.const(b, "b")],
            kernel_shape=[1, k],
            strides=[1, conv.stride[0]],
            pads=[0, pads[0], 0, pads[1]],
        )
    return g.op(
        "Conv",
        [x, g.const(w, "w"), g.const(b, "b")],
        kernel_shape=[k],
        strides=[conv.stride[0]],
        pads=pads,
    )


def _linear(g: _Graph, x: str, weight, bias) -> str:
    return g.op("Gemm", [x, g.const(_np(weight), "w"), g.const(_np(bias), "b")], transB=1)


def _sequential(g: _Graph, x: str, layers) -> str:
    """Translate an ``nn.Sequential`` of the layer kinds rotordx's networks use."""
    from torch import nn

    layers = list(layers)
    i = 0
    while i < len(layers):
        layer = layers[i]
        if isinstance(layer, nn.Sequential):
            x = _sequential(g, x, layer)
        elif isinstance(layer, nn.Conv1d):
            bn = layers[i + 1] if i + 1 < len(layers) else None
            if isinstance(bn, nn.BatchNorm1d) and bn.track_running_stats:
                x, i = _conv(g, x, layer, bn), i + 1
            else:
                x = _conv(g, x, layer)
        elif isinstance(layer, nn.ReLU):
            x = g.op("Relu", [x])
        elif isinstance(layer, nn.Dropout):
            pass  # identity at inference
        elif isinstance(layer, nn.MaxPool1d):
            k = _one(layer.kernel_size)
            s = _one(layer.stride) if layer.stride is not None else k
            p, d = _one(layer.padding), _one(layer.dilation)
            if d != 1:
                raise ParameterError("MaxPool1d with dilation is not exportable")
            if not (k == 1 and s == 1 and p == 0):  # kernel 1, stride 1: an identity
                two = g.conv2d
                x = g.op(
                    "MaxPool",
                    [x],
                    kernel_shape=[1, k] if two else [k],
                    strides=[1, s] if two else [s],
                    pads=[0, p, 0, p] if two else [p, p],
                    ceil_mode=int(layer.ceil_mode),
                )
        elif isinstance(layer, nn.AdaptiveAvgPool1d) and _one(layer.output_size) == 1:
            x = g.op("GlobalAveragePool", [x])
        elif isinstance(layer, nn.Flatten) and layer.start_dim == 1 and layer.end_dim == -1:
            x = g.op("Flatten", [x], axis=1)
        elif isinstance(layer, nn.Linear):
            x = _linear(g, x, layer.weight, layer.bias)
        else:
            raise ParameterError(f"layer {type(layer).__name__} is not exportable")
        i += 1
    return x


def _one(v) -> int:
    return int(v[0]) if isinstance(v, tuple | list) else int(v)


def _lstm(g: _Graph, seq: str, lstm) -> str:
    """A batch-first ``nn.LSTM`` on ``seq`` (steps, batch, features): last hidden state."""
    if lstm.bidirectional or lstm.proj_size or not lstm.bias:
        raise ParameterError("only unidirectional LSTMs with biases are exportable")
    h = lstm.hidden_size
    order = np.concatenate([np.arange(h) + q * h for q in (0, 3, 1, 2)])  # torch ifgo → onnx iofc
    x, last = seq, ""
    for layer in range(lstm.num_layers):
        w = _np(getattr(lstm, f"weight_ih_l{layer}"))[order][None]
        r = _np(getattr(lstm, f"weight_hh_l{layer}"))[order][None]
        bias = np.concatenate(
            [
                _np(getattr(lstm, f"bias_ih_l{layer}"))[order],
                _np(getattr(lstm, f"bias_hh_l{layer}"))[order],
            ]
        )[None]
        y, last = g.op(
            "LSTM",
            [x, g.const(w, "W"), g.const(r, "R"), g.const(bias, "B")],
            n_out=2,
            hidden_size=h,
        )
        x = g.op("Squeeze", [y, g.const([1])])  # (steps, 1, batch, h) → (steps, batch, h)
    return g.op("Squeeze", [last, g.const([0])])  # (1, batch, h) → (batch, h)


# -- networks ----------------------------------------------------------------------------------
def _network(g: _Graph, x: str, name: str, module) -> str:
    """Logits of registered network ``name`` for ``x``."""
    import torch

    if name == "wdcnn":
        if g.conv2d:
            x = g.op("Unsqueeze", [x, g.const([2])])
        return _sequential(g, _sequential(g, x, module.features), module.head)
    if name == "lstm":
        if g.conv2d:
            x = g.op("Unsqueeze", [x, g.const([2])])
        front = _sequential(g, x, module.front)  # (batch, width, steps)
        if g.conv2d:
            front = g.op("Squeeze", [front, g.const([2])])
        seq = g.op("Transpose", [front], perm=[2, 0, 1])
        return _linear(g, _lstm(g, seq, module.lstm), module.fc.weight, module.fc.bias)
    if name == "dnn":
        for layer in (module.layer1, module.layer2, module.layer3):
            x = g.op("Relu", [_linear(g, x, layer.weight, layer.bias)])
        return _linear(g, x, module.layer4.weight, module.layer4.bias)
    if name == "cnn":
        x = g.op("Unsqueeze", [x, g.const([1])])  # (batch, 1, n_inputs)
        x = _sequential(g, x, [module.conv1, module.conv4, module.final_pool, torch.nn.Flatten()])
        return _linear(g, x, module.linear.weight, module.linear.bias)
    if name == "rnn":  # length-1 sequence from zero state: the forget gate and W_hh vanish
        lstm, h = module.lstm, module.lstm.hidden_size
        for layer in range(lstm.num_layers):
            w = getattr(lstm, f"weight_ih_l{layer}")
            b = getattr(lstm, f"bias_ih_l{layer}") + getattr(lstm, f"bias_hh_l{layer}")
            i, gg, o = (
                _linear(g, x, w[q * h : (q + 1) * h], b[q * h : (q + 1) * h]) for q in (0, 2, 3)
            )
            c = g.op("Mul", [g.op("Sigmoid", [i]), g.op("Tanh", [gg])])
            x = g.op("Mul", [g.op("Sigmoid", [o]), g.op("Tanh", [c])])
        return _linear(g, x, module.fc.weight, module.fc.bias)
    raise _refuse(name)


def to_onnx(
    classifier,
    *,
    classes: tuple[str, ...],
    input: dict,
    extra: dict | None = None,
    opset: int = DEFAULT_OPSET,
    batch: int | None = None,
    conv2d: bool = True,
):
    """The ONNX model (``onnx.ModelProto``) of a fitted torch classifier.

    Parameters
    ----------
    classifier : TorchClassifier
        A fitted ``wdcnn``, ``lstm``, ``dnn``, ``cnn`` or ``rnn``.
    classes, input, extra :
        What the bundle stores; written to ``metadata_props``.
    opset : int
        ONNX opset, at least :data:`MIN_OPSET`.
    batch : int, optional
        A fixed batch size; ``None`` makes the batch dimension dynamic.
    conv2d : bool
        Write the window networks' 1-D convolutions and poolings as 2-D ones
        of height 1 (the same numbers): ONNX Runtime's blocked NCHWc
        convolution kernels exist for 2-D only, which makes ``wdcnn`` about
        twice as fast on one core (docs/performance.md).

    Raises
    ------
    ParameterError
        For a model that cannot be exported (``features``, ``minirocket``),
        an unfitted classifier or an unsupported opset or batch.
    """
    import onnx
    from onnx import TensorProto, helper

    name = getattr(classifier, "name", type(classifier).__name__)
    if name not in EXPORTABLE or not hasattr(classifier, "module"):
        raise _refuse(name)
    classifier._check_fitted()
    max_opset = onnx.defs.onnx_opset_version()
    if not MIN_OPSET <= int(opset) <= max_opset:
        raise ParameterError(f"--opset must be between {MIN_OPSET} and {max_opset}, got {opset}")
    if batch is not None and int(batch) < 1:
        raise ParameterError(f"--batch must be 'dynamic' or a positive integer, got {batch}")
    module = classifier.module.eval()
    g = _Graph(int(opset), conv2d=conv2d and name in ("wdcnn", "lstm"))
    protocol = classifier.protocol
    n_classes = len(classes)
    bdim: int | str = int(batch) if batch is not None else "batch"
    if protocol == "window":
        n_ch, win = int(input["n_channels"]), int(input["window"])
        shape: list[int | str] = [bdim, n_ch, win]
        doc = f"raw windows (batch, {n_ch} channels, {win} samples at {input['fs']:g} Hz), float32"
    else:
        n_ch = int(np.asarray(input["scaler"]["data_min"]).size)
        shape = [bdim, n_ch]
        doc = f"min-max-scaled instants (batch, {n_ch} sensors), float32"
    x = INPUT_NAME
    if protocol == "window" and classifier.pointwise:
        x = g.op("Transpose", [x], perm=[0, 2, 1])  # (batch, window, channels)
        x = g.op("Sub", [x, g.const(classifier.mean)])
        x = g.op("Div", [x, g.const(classifier.std)])
        x = g.op("Reshape", [x, g.const([-1, n_ch])])
        p = g.op("Softmax", [_network(g, x, name, module)], axis=1)
        p = g.op("Reshape", [p, g.const([-1, win, n_classes])])
        out = g.reduce_mean(p, 1)
    else:
        if classifier.standardize:
            bshape = (1, -1, 1) if protocol == "window" else (1, -1)
            x = g.op("Sub", [x, g.const(classifier.mean.reshape(bshape))])
            x = g.op("Div", [x, g.const(classifier.std.reshape(bshape))])
        out = g.op("Softmax", [_network(g, x, name, module)], axis=1)
    g.nodes.append(helper.make_node("Identity", [out], [OUTPUT_NAME]))
    graph = helper.make_graph(
        g.nodes,
        f"rotordx_{name}",
        [helper.make_tensor_value_info(INPUT_NAME, TensorProto.FLOAT, shape, doc_string=doc)],
        [
            helper.make_tensor_value_info(
                OUTPUT_NAME,
                TensorProto.FLOAT,
                [bdim, n_classes],
                doc_string=f"class probabilities in the order {', '.join(classes)}",
            )
        ],
        initializer=g.initializers,
    )
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", int(opset))],
        producer_name="rotordx",
        producer_version=__version__,
        doc_string=f"rotordx {name} ({protocol} protocol): {doc} → class probabilities",
    )
    # the oldest IR version that knows the opset: older runtimes refuse newer IR versions
    model.ir_version = helper.find_min_ir_version_for(list(model.opset_import))
    meta = {
        "format": ONNX_FORMAT,
        "format_version": str(ONNX_VERSION),
        "rotordx_version": __version__,
        "model": name,
        "protocol": protocol,
        "classes": json.dumps(list(classes)),
        "input": json.dumps(input),
        "extra": json.dumps(extra or {}),
    }
    helper.set_model_props(model, meta)
    onnx.checker.check_model(model, full_check=True)
    return model


def _check_inputs(classifier, input: dict, rng: np.random.Generator, n: int) -> np.ndarray:
    """Deterministic check inputs in the range the model was trained on."""
    if classifier.protocol == "window":
        shape = (n, int(input["n_channels"]), int(input["window"]))
        X = rng.standard_normal(shape)
        if classifier.standardize:
            X = X * classifier.std[None, :, None] + classifier.mean[None, :, None]
        return X.astype(np.float32)
    n_ch = np.asarray(input["scaler"]["data_min"]).size
    return rng.uniform(0.0, 1.0, (n, n_ch)).astype(np.float32)


def export_onnx(
    run_dir: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    opset: int = DEFAULT_OPSET,
    batch: int | None = None,
    check: int = 16,
) -> dict:
    """Export the model of a run folder to ``out`` (``.onnx``), written atomically.

    Before writing, ``check`` seeded inputs in the training range go through
    both PyTorch and ONNX Runtime; the file is written only if every
    probability agrees within :data:`CHECK_TOLERANCE` and the predicted
    classes are identical.

    Returns
    -------
    dict
        ``path``, ``model``, ``protocol``, ``opset``, ``batch``, ``bytes``,
        ``checked`` (inputs compared) and ``max_abs_diff``.
    """
    from rotordx._atomic import atomic_file
    from rotordx.bundle import load_bundle
    from rotordx.onnx_runtime import OnnxClassifier

    out = Path(out)
    if out.suffix.lower() != ".onnx":
        raise ParameterError(f"{out}: the output must end in .onnx")
    if Path(run_dir).is_file():
        raise ParameterError(f"{run_dir}: expected a run folder from `rotordx train`")
    bundle = load_bundle(run_dir)
    if bundle.model_name not in EXPORTABLE:
        raise _refuse(bundle.model_name)
    model = to_onnx(
        bundle.classifier,
        classes=bundle.classes,
        input=bundle.input,
        extra=bundle.extra,
        opset=opset,
        batch=batch,
    )
    data = model.SerializeToString()
    max_diff = 0.0
    if check:
        X = _check_inputs(bundle.classifier, bundle.input, np.random.default_rng(0), int(check))
        p_torch = bundle.classifier.predict_proba(X)
        p_onnx = OnnxClassifier(model, threads=1).predict_proba(X)
        max_diff = float(np.abs(p_torch - p_onnx).max())
        same = np.array_equal(p_torch.argmax(axis=1), p_onnx.argmax(axis=1))
        if not (max_diff <= CHECK_TOLERANCE and same):
            raise BundleError(
                f"{run_dir}: the ONNX graph disagrees with PyTorch (max |Δp| = {max_diff:.2e}, "
                f"same classes: {same}); nothing was written"
            )
    with atomic_file(out) as tmp:
        tmp.write_bytes(data)
    return {
        "path": str(out),
        "model": bundle.model_name,
        "protocol": bundle.protocol,
        "opset": int(opset),
        "batch": "dynamic" if batch is None else int(batch),
        "bytes": len(data),
        "checked": int(check),
        "max_abs_diff": max_diff,
    }
