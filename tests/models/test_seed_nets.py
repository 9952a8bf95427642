"""The seed CNN's collapsed conv1 + BatchNorm and the faster dropout mask vs the literal layers."""

from __future__ import annotations

import copy

import pytest
import torch
from torch import nn

from rotordx.models.nets import KAMP_CNN
from rotordx.models.nets.seed import dropout
from rotordx.models.registry import build_network


def _pair(seed=0):
    torch.manual_seed(seed)
    m = KAMP_CNN()
    m.conv1[4].p = 0.0  # dropout off: both paths deterministic
    return m, copy.deepcopy(m)


def test_cnn_shortcut_equals_the_literal_layers_in_training():
    fast, ref = _pair()
    x, y = torch.rand(512, 4), torch.randint(0, 4, (512,))
    fast.train(), ref.train()
    out_fast, out_ref = fast(x), ref.forward_reference(x)
    torch.testing.assert_close(out_fast, out_ref, rtol=1e-5, atol=1e-5)
    nn.functional.cross_entropy(out_fast, y).backward()
    nn.functional.cross_entropy(out_ref, y).backward()
    for (name, p), q in zip(fast.named_parameters(), ref.parameters(), strict=True):
        # BatchNorm cancels the conv biases: their gradients are rounding noise (~1e-9)
        torch.testing.assert_close(p.grad, q.grad, rtol=1e-3, atol=1e-6, msg=name)
    for bn_fast, bn_ref in ((fast.conv1[1], ref.conv1[1]), (fast.conv4[1], ref.conv4[1])):
        torch.testing.assert_close(bn_fast.running_mean, bn_ref.running_mean)
        torch.testing.assert_close(bn_fast.running_var, bn_ref.running_var)
        assert int(bn_fast.num_batches_tracked) == int(bn_ref.num_batches_tracked) == 1


def test_cnn_shortcut_equals_the_literal_layers_in_eval():
    fast, ref = _pair(1)
    fast.train(), ref.train()
    for _ in range(3):  # move the running statistics away from their start
        x = torch.rand(256, 4) * 3
        fast(x), ref.forward_reference(x)
    fast.eval(), ref.eval()
    x = torch.rand(300, 4)
    torch.testing.assert_close(fast(x), ref.forward_reference(x), rtol=1e-5, atol=1e-6)


def test_cnn_falls_back_to_the_literal_layers_when_changed():
    m = KAMP_CNN()
    m.conv1[0].padding = "valid"
    m.eval()
    x = torch.rand(8, 4)
    assert torch.equal(m(x), m.forward_reference(x))


@pytest.mark.parametrize("p", [0.2, 0.5])
def test_dropout_keeps_the_distribution(p):
    torch.manual_seed(0)
    x = torch.ones(400_000)
    out = dropout(x, p, True)
    kept = out != 0
    assert kept.float().mean().item() == pytest.approx(1 - p, abs=3e-3)
    assert torch.all(out[kept] == 1 / (1 - p))
    assert dropout(x, p, False) is x


def test_dropout_follows_torch_manual_seed():
    x = torch.rand(1000)
    torch.manual_seed(5)
    a = dropout(x, 0.2, True)
    torch.manual_seed(5)
    b = dropout(x, 0.2, True)
    assert torch.equal(a, b)


@pytest.mark.parametrize("name", ["dnn", "cnn", "rnn"])
def test_seed_models_drop_out_only_in_training(name):
    m = build_network(name, seed=0)
    x = torch.rand(64, 4)
    m.eval()
    assert torch.equal(m(x), m(x))
    m.train()
    assert not torch.equal(m(x), m(x))
