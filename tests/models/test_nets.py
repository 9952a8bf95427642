"""The seed's models, checked against the specification layer by layer."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from rotordx.exceptions import ParameterError
from rotordx.models.nets import KAMP_CNN, KAMP_DNN, KAMP_RNN, count_parameters
from rotordx.models.registry import SEED, build_network, model_names

# Counted from the specification by hand:
# DNN: (4*100+100) + 2*(100*100+100) + (100*4+4)
# CNN: conv(1*100*2+100) + bn(2*100) + conv(100*4*2+4) + bn(2*4) + linear(4*4+4)
# RNN: lstm1 4*100*(4+100)+2*4*100, lstm2 4*100*(100+100)+2*4*100, fc 100*4+4
EXPECTED = {"dnn": 21_104, "cnn": 1_332, "rnn": 123_604}


@pytest.mark.parametrize("name", model_names(protocol=SEED))
def test_parameter_count_and_shapes(name):
    m = build_network(name)
    assert count_parameters(m) == EXPECTED[name]
    m.eval()
    out = m(torch.rand(7, 4))
    assert out.shape == (7, 4)


def test_dnn_structure():
    m = KAMP_DNN()
    dims = [(lay.in_features, lay.out_features) for lay in (m.layer1, m.layer2, m.layer3, m.layer4)]
    assert dims == [(4, 100), (100, 100), (100, 100), (100, 4)]
    assert m.dropout.p == 0.2


def test_cnn_structure():
    m = KAMP_CNN()
    conv1, bn1, _, pool1, drop = m.conv1
    assert (conv1.in_channels, conv1.out_channels, conv1.kernel_size) == (1, 100, (2,))
    assert conv1.padding == "same" and isinstance(bn1, nn.BatchNorm1d) and drop.p == 0.2
    assert pool1.kernel_size == 1
    conv4 = m.conv4[0]
    assert (conv4.in_channels, conv4.out_channels, conv4.kernel_size) == (100, 4, (2,))
    assert isinstance(m.final_pool, nn.AdaptiveAvgPool1d)
    assert (m.linear.in_features, m.linear.out_features) == (4, 4)


def test_rnn_structure():
    m = KAMP_RNN()
    lstm = m.lstm
    assert (lstm.input_size, lstm.hidden_size, lstm.num_layers) == (4, 100, 2)
    assert lstm.batch_first and lstm.dropout == 0.2
    assert (m.fc.in_features, m.fc.out_features) == (100, 4)


def test_dropout_active_only_in_training():
    torch.manual_seed(0)
    m = KAMP_DNN()
    x = torch.rand(64, 4)
    m.eval()
    assert torch.equal(m(x), m(x))
    m.train()
    assert not torch.equal(m(x), m(x))


def test_unknown_model():
    with pytest.raises(ParameterError, match="unknown model 'svm'; expected one of features, "):
        build_network("svm")
    with pytest.raises(ParameterError, match="'features' is not a torch network"):
        build_network("features")


def test_rnn_direct_cell_equals_nn_lstm():
    """The length-1 shortcut gives nn.LSTM's outputs and gradients."""
    torch.manual_seed(0)
    m = KAMP_RNN()
    m.eval()  # dropout off, so both paths are deterministic
    x = torch.rand(64, 4)
    y = torch.randint(0, 4, (64,))
    grads = []
    for f in (m.forward, m.forward_reference):
        m.zero_grad()
        out = f(x)
        nn.functional.cross_entropy(out, y).backward()
        # W_hh multiplies the zero initial state: its gradient is zero (reference) or
        # absent (shortcut); Adam leaves a parameter without gradient untouched either way.
        grads.append(
            {
                k: torch.zeros_like(p) if p.grad is None else p.grad.clone()
                for k, p in m.named_parameters()
            }
        )
    torch.testing.assert_close(m(x), m.forward_reference(x), rtol=1e-5, atol=1e-6)
    for k in grads[0]:
        torch.testing.assert_close(grads[0][k], grads[1][k], rtol=1e-4, atol=1e-6)


def test_cnn_identity_pool_is_exact():
    pool = KAMP_CNN().conv1[3]
    x = torch.rand(3, 100, 4)
    assert torch.equal(pool(x), nn.MaxPool1d(kernel_size=1, stride=1)(x))


def test_numba_uses_workqueue_layer_beside_torch():
    """MiniRocket's numba threads must not use OpenMP next to torch's pool.

    With numba's OpenMP layer, a torch epoch after MiniRocket in the same
    process was 50x slower (spinning OpenMP threads); see rotordx/__init__.py.
    """
    import subprocess
    import sys

    code = (
        "import rotordx, numpy as np, numba;"
        "from rotordx.models import make_classifier;"
        "from rotordx.data.splits import Split;"
        "X = np.random.default_rng(0).standard_normal((8, 2, 256)).astype('float32');"
        "y = np.arange(8) % 2;"
        "make_classifier('minirocket', n_kernels=200).fit(Split(X, y), Split(X, y));"
        "print(numba.threading_layer())"
    )
    env = {k: v for k, v in __import__("os").environ.items() if k != "NUMBA_THREADING_LAYER"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    assert out.stdout.strip().splitlines()[-1] == "workqueue"
