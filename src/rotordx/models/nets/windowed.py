"""Neural networks over multi-sensor windows of shape (batch, n_channels, window)."""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["WDCNN", "WindowLSTM"]


class WDCNN(nn.Module):
    """A wide-first-kernel 1-D CNN (WDCNN-style).

    A wide, strided first convolution (kernel 64, stride 8) acts as a learned
    filter bank and reduces the rate at once; four small-kernel (3) blocks then
    build features; global average pooling makes the head independent of the
    window length. After Zhang et al., "A new deep learning model for fault
    diagnosis with good anti-noise and domain adaptation ability on raw
    vibration signals", Sensors 17(2):425, 2017.
    """

    def __init__(
        self,
        n_channels: int = 4,
        n_classes: int = 4,
        width: int = 16,
        first_kernel: int = 64,
        first_stride: int = 8,
        dropout: float = 0.2,
    ) -> None:
        super().__init__()

        def block(c_in: int, c_out: int, k: int, s: int) -> nn.Sequential:
            return nn.Sequential(
                nn.Conv1d(c_in, c_out, kernel_size=k, stride=s, padding=k // 2),
                nn.BatchNorm1d(c_out),
                nn.ReLU(),
                nn.MaxPool1d(2, ceil_mode=True),
            )

        self.features = nn.Sequential(
            block(n_channels, width, first_kernel, first_stride),
            block(width, 2 * width, 3, 1),
            block(2 * width, 4 * width, 3, 1),
            block(4 * width, 4 * width, 3, 1),
            block(4 * width, 4 * width, 3, 1),
        )
        self.head = nn.Sequential(
            nn.AdaptiveAvgPool1d(1),
            nn.Flatten(),
            nn.Dropout(dropout),
            nn.Linear(4 * width, 64),
            nn.ReLU(),
            nn.Linear(64, n_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits (batch, n_classes) for windows (batch, n_channels, window)."""
        return self.head(self.features(x))


class WindowLSTM(nn.Module):
    """An LSTM over the window, read as a sequence of learned filter outputs.

    A short convolutional front end (``width`` filters of ``kernel`` samples,
    stride ``stride``, batch norm, ReLU, max-pool 2) turns the window
    (batch, n_channels, window) into a sequence of ``window / (2 * stride)``
    steps (64 for 1024 samples); a ``num_layers``-layer LSTM reads it and its
    last hidden state feeds a linear classifier. Feeding the raw samples
    (1024 steps) would be slow on a CPU, and an LSTM on raw 32-sample frames
    did not separate looseness from normal in our runs (75% test accuracy).
    """

    def __init__(
        self,
        n_channels: int = 4,
        n_classes: int = 4,
        width: int = 32,
        kernel: int = 16,
        stride: int = 8,
        hidden: int = 64,
        num_layers: int = 2,
        dropout: float = 0.2,
    ) -> None:
        super().__init__()
        self.front = nn.Sequential(
            nn.Conv1d(n_channels, width, kernel, stride=stride, padding=kernel // 2),
            nn.BatchNorm1d(width),
            nn.ReLU(),
            nn.MaxPool1d(2),
        )
        self.lstm = nn.LSTM(
            input_size=width,
            hidden_size=hidden,
            num_layers=num_layers,
            batch_first=True,
            dropout=dropout if num_layers > 1 else 0.0,
        )
        self.fc = nn.Linear(hidden, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits (batch, n_classes) for windows (batch, n_channels, window)."""
        seq = self.front(x).transpose(1, 2)  # (batch, steps, width)
        out, _ = self.lstm(seq)
        return self.fc(out[:, -1])
