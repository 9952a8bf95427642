"""rotordx: fault diagnosis of rotating machines from vibration.

Rooms: :mod:`rotordx.io` (file formats), :mod:`rotordx.signal` (resampling,
filtering, scaling), :mod:`rotordx.simulate` (rotor-testbed simulator),
:mod:`rotordx.preprocess` (the seed pipeline), :mod:`rotordx.splits`,
:mod:`rotordx.models`, :mod:`rotordx.train`, :mod:`rotordx.evaluate`,
:mod:`rotordx.bundle`, :mod:`rotordx.runs` (train/evaluate/demo workflows) and
:mod:`rotordx.cli`. Importing ``rotordx`` does not import torch.
"""

import os as _os

# aeon's MiniRocket runs on numba. With numba's default OpenMP threading layer, its
# idle OpenMP threads spin next to torch's own OpenMP pool: a torch epoch run after
# MiniRocket in the same process was 50x slower (1.0 s -> 51 s per epoch, measured).
# numba's own "workqueue" layer does not interfere. Only a default: users may override.
_os.environ.setdefault("NUMBA_THREADING_LAYER", "workqueue")

from rotordx.exceptions import BundleError, DataError, ParameterError, RotordxError

__version__ = "0.1.0"

__all__ = ["BundleError", "DataError", "ParameterError", "RotordxError", "__version__"]
