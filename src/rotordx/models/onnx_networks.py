"""The ONNX graphs of the registered torch networks: logits of a fitted module for an input.

Each writer takes a :class:`~rotordx.models.onnx_graph.Graph`, the name of
the input tensor and the fitted ``nn.Module``, and returns the name of the
logits tensor; the registry names a model's writer (``ModelSpec.onnx_graph``).
A writer whose attribute ``conv2d`` is true may be written with 2-D
convolutions of height 1 (ONNX Runtime's fast NCHWc kernels exist for 2-D
only).
"""

from __future__ import annotations

from rotordx.models import onnx_graph as og

__all__ = ["cnn", "dnn", "lstm", "rnn", "wdcnn"]


def wdcnn(g: og.Graph, x: str, module) -> str:
    """WDCNN: convolution blocks, then the head."""
    if g.conv2d:
        x = g.op("Unsqueeze", [x, g.const([2])])
    return og.sequential(g, og.sequential(g, x, module.features), module.head)


wdcnn.conv2d = True  # type: ignore[attr-defined]


def lstm(g: og.Graph, x: str, module) -> str:
    """WindowLSTM: the convolution front end, an LSTM over its steps, a linear layer."""
    if g.conv2d:
        x = g.op("Unsqueeze", [x, g.const([2])])
    front = og.sequential(g, x, module.front)  # (batch, width, steps)
    if g.conv2d:
        front = g.op("Squeeze", [front, g.const([2])])
    seq = g.op("Transpose", [front], perm=[2, 0, 1])
    return og.linear(g, og.lstm(g, seq, module.lstm), module.fc.weight, module.fc.bias)


lstm.conv2d = True  # type: ignore[attr-defined]


def dnn(g: og.Graph, x: str, module) -> str:
    """The seed's KAMP_DNN: four linear layers."""
    for layer in (module.layer1, module.layer2, module.layer3):
        x = g.op("Relu", [og.linear(g, x, layer.weight, layer.bias)])
    return og.linear(g, x, module.layer4.weight, module.layer4.bias)


def cnn(g: og.Graph, x: str, module) -> str:
    """The seed's KAMP_CNN on one instant (a sequence of the sensors)."""
    from torch import nn  # lazy: torch takes about two seconds to import

    x = g.op("Unsqueeze", [x, g.const([1])])  # (batch, 1, n_inputs)
    x = og.sequential(g, x, [module.conv1, module.conv4, module.final_pool, nn.Flatten()])
    return og.linear(g, x, module.linear.weight, module.linear.bias)


def rnn(g: og.Graph, x: str, module) -> str:
    """The seed's KAMP_RNN: a length-1 sequence from zero state (forget gate and W_hh vanish)."""
    cell, h = module.lstm, module.lstm.hidden_size
    for layer in range(cell.num_layers):
        w = getattr(cell, f"weight_ih_l{layer}")
        b = getattr(cell, f"bias_ih_l{layer}") + getattr(cell, f"bias_hh_l{layer}")
        i, gg, o = (
            og.linear(g, x, w[q * h : (q + 1) * h], b[q * h : (q + 1) * h]) for q in (0, 2, 3)
        )
        c = g.op("Mul", [g.op("Sigmoid", [i]), g.op("Tanh", [gg])])
        x = g.op("Mul", [g.op("Sigmoid", [o]), g.op("Tanh", [c])])
    return og.linear(g, x, module.fc.weight, module.fc.bias)
