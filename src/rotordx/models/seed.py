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

__all__ = ["KAMP_CNN", "KAMP_DNN", "KAMP_RNN"]


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
        for layer in (self.layer1, self.layer2, self.layer3):
            x = self.dropout(self.relu(layer(x)))
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
        """Logits of shape (batch, n_classes) for ``x`` of shape (batch, n_inputs)."""
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
        about half the arithmetic; see :meth:`forward_reference`).
        """
        h = x
        for layer in range(self.lstm.num_layers):
            gates = F.linear(
                h,
                getattr(self.lstm, f"weight_ih_l{layer}"),
                getattr(self.lstm, f"bias_ih_l{layer}") + getattr(self.lstm, f"bias_hh_l{layer}"),
            )
            i, _, g, o = gates.chunk(4, dim=1)  # input, forget (unused: c0 = 0), cell, output
            h = torch.sigmoid(o) * torch.tanh(torch.sigmoid(i) * torch.tanh(g))
            if layer < self.lstm.num_layers - 1:
                h = F.dropout(h, self.lstm.dropout, self.training)
        return self.fc(h)

    def forward_reference(self, x: torch.Tensor) -> torch.Tensor:
        """The seed's literal forward pass through ``nn.LSTM`` (for verification)."""
        out, _ = self.lstm(x.unsqueeze(1))  # (batch, 1, hidden)
        return self.fc(out.reshape(-1, self.hidden))
