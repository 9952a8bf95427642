"""The torch networks (pure ``nn.Module``s: no I/O, no training). Importing this imports torch.

KAMP_DNN, KAMP_CNN, KAMP_RNN   the seed's point-wise networks
WDCNN, WindowLSTM              networks over windows
count_parameters
"""

from rotordx.models.nets.seed import KAMP_CNN, KAMP_DNN, KAMP_RNN
from rotordx.models.nets.windowed import WDCNN, WindowLSTM

__all__ = ["KAMP_CNN", "KAMP_DNN", "KAMP_RNN", "WDCNN", "WindowLSTM", "count_parameters"]


def count_parameters(model) -> int:
    """Number of trainable parameters of ``model``."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
