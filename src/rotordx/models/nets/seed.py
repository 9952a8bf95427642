"""The seed guide's three point-wise models, layer for layer.

Each takes one time instant, the values of the 4 sensors, shape (batch, 4),
and returns logits for the 4 machine states, shape (batch, 4).
"""

from __future__ import annotations

import warnings

import torch
import torch.nn.functional as F
from torch import nn

# The seed's KAMP_CNN uses padding="same" with kernel size 2; torch pads one zero
# on the right and warns on every call that this needs a padded copy. Known, intended.
warnings.filterwarnings(
    "ignore", message="Using padding='same' with even kernel lengths", category=UserWarning
)

__all__ = ["KAMP_CNN", "KAMP_DNN", "KAMP_RNN", "dropout"]


def dropout(x: torch.Tensor, p: float, training: bool) -> torch.Tensor:
    """Inverted dropout, as ``F.dropout``, with the mask drawn by ``torch.rand``.

    Every element is kept with probability ``1 - p`` and scaled by
    ``1 / (1 - p)``, exactly the distribution of ``nn.Dropout``; the mask
    comes from torch's generator (seeded by ``torch.manual_seed``) through
    ``torch.rand``, which on the CPU draws about twice as fast as the
    ``bernoulli_`` that ``F.dropout`` uses. The seed's networks spend a third
    of their training time drawing dropout masks.
    """
    if not training or p == 0.0:
        return x
    if p >= 1.0:
        return x * 0.0
    keep = 1.0 - p
    noise = torch.rand(x.shape, dtype=x.dtype) < keep
    return x * torch.where(noise, 1.0 / keep, 0.0).to(x.dtype)


class _MaxPool1d(nn.MaxPool1d):
    """``nn.MaxPool1d`` that skips the work when it is an identity (kernel 1, stride 1).

    The seed's CNN uses ``MaxPool1d(kernel_size=1, stride=1)``, which returns
    its input unchanged; the layer is kept so the model reads as specified.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if (self.kernel_size, self.stride, self.padding, self.dilation) in (
            (1, 1, 0, 1),
            ((1,), (1,), (0,), (1,)),
        ):
            return x
        return super().forward(x)


class KAMP_DNN(nn.Module):
    """Fully connected 4 → 100 → 100 → 100 → 4, ReLU and Dropout(0.2) after each hidden layer.

    21,104 trainable parameters with the defaults.
    """

    def __init__(
        self, n_inputs: int = 4, n_classes: int = 4, hidden: int = 100, dropout: float = 0.2
    ) -> None:
        super().__init__()
        self.layer1 = nn.Linear(n_inputs, hidden)
        self.layer2 = nn.Linear(hidden, hidden)
        self.layer3 = nn.Linear(hidden, hidden)
        self.layer4 = nn.Linear(hidden, n_classes)
        self.dropout = nn.Dropout(dropout)
        self.relu = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits of shape (batch, n_classes) for ``x`` of shape (batch, n_inputs)."""
        p, training = self.dropout.p, self.training
        for layer in (self.layer1, self.layer2, self.layer3):
            x = dropout(self.relu(layer(x)), p, training)  # self.dropout, with a faster mask
        return self.layer4(x)


class KAMP_CNN(nn.Module):
    """1-D CNN over the 4 sensor values seen as a length-4, 1-channel sequence.

    Conv1d(1→100, k=2, 'same') + BatchNorm + ReLU + MaxPool(1) + Dropout(0.2);
    Conv1d(100→4, k=2, 'same') + BatchNorm + ReLU + MaxPool(1);
    AdaptiveAvgPool1d(1); Linear(4→4). 1,332 trainable parameters.
    (The seed's MaxPool1d(kernel_size=1) is an identity; it is kept for fidelity.)
    """

    def __init__(
        self, n_inputs: int = 4, n_classes: int = 4, channels: int = 100, dropout: float = 0.2
    ) -> None:
        super().__init__()
        self.n_inputs = n_inputs
        self.conv1 = nn.Sequential(
            nn.Conv1d(1, channels, kernel_size=2, stride=1, padding="same"),
            nn.BatchNorm1d(channels),
            nn.ReLU(),
            _MaxPool1d(kernel_size=1, stride=1),
            nn.Dropout(p=dropout),
        )
        self.conv4 = nn.Sequential(
            nn.Conv1d(channels, n_classes, kernel_size=2, stride=1, padding="same"),
            nn.BatchNorm1d(n_classes),
            nn.ReLU(),
            _MaxPool1d(kernel_size=1, stride=1),
        )
        self.final_pool = nn.AdaptiveAvgPool1d(1)
        self.linear = nn.Linear(n_classes, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits of shape (batch, n_classes) for ``x`` of shape (batch, n_inputs).

        The same function of the same parameters as :meth:`forward_reference`
        (the seed's layers, applied literally), computed with far less work:

        * ``conv1`` has one input channel and a kernel of 2, so each of its
          outputs is ``w0 * x[l] + w1 * x[l+1] + b`` (``x[n_inputs] = 0``:
          the right-hand zero of ``padding="same"``). Its BatchNorm statistics
          over the batch and positions are therefore ``w · mean`` and
          ``w · cov · w`` of the 2-vectors ``(x[l], x[l+1])``: conv1 and its
          BatchNorm collapse into one affine map of those pairs, with the
          batch statistics (and the running-statistics update) computed from
          a 2 x 2 covariance instead of a pass over the 100-channel output;
        * the activations are kept channels-last, ``(batch * positions,
          channels)``, so conv4 is one matrix product;
        * the identity max-pools are skipped (see :class:`_MaxPool1d`).

        Outputs and gradients agree with the literal layers to float32
        rounding (tested); the dropout mask is drawn by :func:`dropout`.
        """
        if not self._shortcut_applies():
            return self.forward_reference(x)
        conv1, bn1, drop = self.conv1[0], self.conv1[1], self.conv1[4]
        conv4, bn4 = self.conv4[0], self.conv4[1]
        batch, n = x.shape
        padded = F.pad(x, (0, 1))
        pairs = torch.stack((padded[:, :-1], padded[:, 1:]), dim=2).reshape(batch * n, 2)
        w = conv1.weight.reshape(-1, 2)  # (channels, 2)
        if self.training:
            with torch.no_grad():  # statistics of the data: constants for autograd
                p64 = pairs.double()
                mu64 = p64.mean(0)
                centred = p64 - mu64
                cov = (centred.T @ centred / p64.shape[0]).to(x.dtype)
                mu = mu64.to(x.dtype)
            mean = w @ mu + conv1.bias
            var = ((w @ cov) * w).sum(1).clamp_min(0.0)
            if bn1.track_running_stats:
                with torch.no_grad():
                    m = pairs.shape[0]
                    bn1.running_mean.lerp_(mean.detach(), bn1.momentum)
                    bn1.running_var.lerp_(var.detach() * (m / (m - 1)), bn1.momentum)
                    bn1.num_batches_tracked += 1
        else:
            mean, var = bn1.running_mean, bn1.running_var
        scale = bn1.weight * torch.rsqrt(var + bn1.eps)
        h = torch.addmm((conv1.bias - mean) * scale + bn1.bias, pairs, (w * scale[:, None]).T)
        h = dropout(F.relu(h), drop.p, self.training)  # (batch * n, channels)
        k = conv4.weight.shape[0]
        z = (h @ torch.cat((conv4.weight[:, :, 0], conv4.weight[:, :, 1])).T).reshape(
            batch, n, 2 * k
        )
        out = z[:, :, :k] + F.pad(z[:, 1:, k:], (0, 0, 0, 1)) + conv4.bias  # tap 1 reads l + 1
        out = bn4(out.reshape(batch * n, k))  # (N, C) input: statistics over batch and positions
        return self.linear(F.relu(out).reshape(batch, n, k).mean(1))

    def _shortcut_applies(self) -> bool:
        """Whether the layers are still the seed's (the shortcut assumes their shapes)."""
        conv1, bn1, conv4, bn4 = self.conv1[0], self.conv1[1], self.conv4[0], self.conv4[1]
        return (
            conv1.in_channels == 1
            and conv1.kernel_size == conv4.kernel_size == (2,)
            and conv1.padding == conv4.padding == "same"
            and conv1.stride == conv4.stride == (1,)
            and conv1.dilation == conv4.dilation == (1,)
            and conv1.groups == conv4.groups == 1
            and bn1.affine
            and bn4.affine
            and bn1.momentum is not None
            and (bn1.track_running_stats or self.training)
        )

    def forward_reference(self, x: torch.Tensor) -> torch.Tensor:
        """The seed's literal forward pass through the layers (for verification)."""
        out = self.conv4(self.conv1(x.unsqueeze(1)))  # (batch, n_classes, n_inputs)
        return self.linear(self.final_pool(out).squeeze(-1))


class KAMP_RNN(nn.Module):
    """Two-layer LSTM (hidden 100, dropout 0.2) over a length-1 sequence, then Linear(100→4).

    123,604 trainable parameters.
    """

    def __init__(
        self,
        n_inputs: int = 4,
        n_classes: int = 4,
        hidden: int = 100,
        num_layers: int = 2,
        dropout: float = 0.2,
    ) -> None:
        super().__init__()
        self.hidden = hidden
        self.lstm = nn.LSTM(
            input_size=n_inputs,
            hidden_size=hidden,
            num_layers=num_layers,
            batch_first=True,
            dropout=dropout,
        )
        self.fc = nn.Linear(hidden, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits of shape (batch, n_classes) for ``x`` of shape (batch, n_inputs).

        The sequence has length 1 and the LSTM starts from zero state, so the
        recurrent terms vanish: ``W_hh h0 = 0`` and ``f * c0 = 0``. The cell is
        computed directly from ``self.lstm``'s own parameters without those
        terms (the same outputs and gradients as ``self.lstm(x.unsqueeze(1))``,
        about a third of the arithmetic; see :meth:`forward_reference`). The
        forget gate multiplies ``c0 = 0``, so its rows of the weights are left
        out of the product (their gradient is zero either way).
        """
        h, n = x, self.hidden
        for layer in range(self.lstm.num_layers):
            w = getattr(self.lstm, f"weight_ih_l{layer}")  # rows: input, forget, cell, output
            b = getattr(self.lstm, f"bias_ih_l{layer}") + getattr(self.lstm, f"bias_hh_l{layer}")
            gates = F.linear(h, torch.cat((w[:n], w[2 * n :])), torch.cat((b[:n], b[2 * n :])))
            i, g, o = gates.split(n, dim=1)
            h = torch.sigmoid(o) * torch.tanh(torch.sigmoid(i) * torch.tanh(g))
            if layer < self.lstm.num_layers - 1:
                h = dropout(h, self.lstm.dropout, self.training)
        return self.fc(h)

    def forward_reference(self, x: torch.Tensor) -> torch.Tensor:
        """The seed's literal forward pass through ``nn.LSTM`` (for verification)."""
        out, _ = self.lstm(x.unsqueeze(1))  # (batch, 1, hidden)
        return self.fc(out.reshape(-1, self.hidden))
