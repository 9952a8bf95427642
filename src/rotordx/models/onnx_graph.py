"""A small ONNX graph writer and the torch layers rotordx's networks are made of.

:class:`Graph` collects named constants and nodes; :func:`sequential`,
:func:`conv`, :func:`linear` and :func:`lstm` write the layers of a fitted
``nn.Module`` (batch norm folded into the convolution before it, dropout
dropped). The networks' own graphs are in :mod:`rotordx.models.onnx_networks`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rotordx.exceptions import ParameterError

__all__ = ["Graph", "conv", "linear", "lstm", "one", "sequential", "to_numpy"]


class Graph:
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
        from onnx import numpy_helper  # lazy: onnx is needed only to export

        arr = np.asarray(array)
        arr = arr.astype(np.int64 if arr.dtype.kind in "iu" else np.float32)
        name = self._name(prefix)
        self.initializers.append(numpy_helper.from_array(np.ascontiguousarray(arr), name))
        return name

    def op(self, op_type: str, inputs: list[str], n_out: int = 1, **attrs: Any):
        from onnx import helper  # lazy: onnx is needed only to export

        outs = [self._name(op_type.lower()) for _ in range(n_out)]
        self.nodes.append(helper.make_node(op_type, inputs, outs, **attrs))
        return outs[0] if n_out == 1 else outs

    def reduce_mean(self, x: str, axis: int) -> str:
        if self.opset >= 18:  # axes became an input
            return self.op("ReduceMean", [x, self.const([axis])], keepdims=0)
        return self.op("ReduceMean", [x], axes=[axis], keepdims=0)


# -- layers ----------------------------------------------------------------------------------
def to_numpy(t) -> np.ndarray:
    return t.detach().cpu().numpy().astype(np.float64)


def conv(g: Graph, x: str, conv, bn=None) -> str:
    """Conv1d, with a following BatchNorm1d (eval statistics) folded into it."""
    if conv.dilation != (1,) or conv.groups != 1 or conv.padding_mode != "zeros":
        raise ParameterError("only plain Conv1d layers (no dilation, groups, padding modes)")
    w = to_numpy(conv.weight)
    b = to_numpy(conv.bias) if conv.bias is not None else np.zeros(w.shape[0])
    if bn is not None:
        scale = to_numpy(bn.weight) / np.sqrt(to_numpy(bn.running_var) + bn.eps)
        w = w * scale[:, None, None]
        b = (b - to_numpy(bn.running_mean)) * scale + to_numpy(bn.bias)
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


def linear(g: Graph, x: str, weight, bias) -> str:
    return g.op("Gemm", [x, g.const(to_numpy(weight), "w"), g.const(to_numpy(bias), "b")], transB=1)


def sequential(g: Graph, x: str, layers) -> str:
    """Translate an ``nn.Sequential`` of the layer kinds rotordx's networks use."""
    from torch import nn  # lazy: torch takes about two seconds to import

    layers = list(layers)
    i = 0
    while i < len(layers):
        layer = layers[i]
        if isinstance(layer, nn.Sequential):
            x = sequential(g, x, layer)
        elif isinstance(layer, nn.Conv1d):
            bn = layers[i + 1] if i + 1 < len(layers) else None
            if isinstance(bn, nn.BatchNorm1d) and bn.track_running_stats:
                x, i = conv(g, x, layer, bn), i + 1
            else:
                x = conv(g, x, layer)
        elif isinstance(layer, nn.ReLU):
            x = g.op("Relu", [x])
        elif isinstance(layer, nn.Dropout):
            pass  # identity at inference
        elif isinstance(layer, nn.MaxPool1d):
            k = one(layer.kernel_size)
            s = one(layer.stride) if layer.stride is not None else k
            p, d = one(layer.padding), one(layer.dilation)
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
        elif isinstance(layer, nn.AdaptiveAvgPool1d) and one(layer.output_size) == 1:
            x = g.op("GlobalAveragePool", [x])
        elif isinstance(layer, nn.Flatten) and layer.start_dim == 1 and layer.end_dim == -1:
            x = g.op("Flatten", [x], axis=1)
        elif isinstance(layer, nn.Linear):
            x = linear(g, x, layer.weight, layer.bias)
        else:
            raise ParameterError(f"layer {type(layer).__name__} is not exportable")
        i += 1
    return x


def one(v) -> int:
    return int(v[0]) if isinstance(v, tuple | list) else int(v)


def lstm(g: Graph, seq: str, lstm) -> str:
    """A batch-first ``nn.LSTM`` on ``seq`` (steps, batch, features): last hidden state."""
    if lstm.bidirectional or lstm.proj_size or not lstm.bias:
        raise ParameterError("only unidirectional LSTMs with biases are exportable")
    h = lstm.hidden_size
    order = np.concatenate([np.arange(h) + q * h for q in (0, 3, 1, 2)])  # torch ifgo → onnx iofc
    x, last = seq, ""
    for layer in range(lstm.num_layers):
        w = to_numpy(getattr(lstm, f"weight_ih_l{layer}"))[order][None]
        r = to_numpy(getattr(lstm, f"weight_hh_l{layer}"))[order][None]
        bias = np.concatenate(
            [
                to_numpy(getattr(lstm, f"bias_ih_l{layer}"))[order],
                to_numpy(getattr(lstm, f"bias_hh_l{layer}"))[order],
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
