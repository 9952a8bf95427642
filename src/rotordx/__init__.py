"""rotordx: fault diagnosis of rotating machines from vibration.

Rooms, from the bottom up (a room imports only from rooms below it; see
``docs/architecture.md``): :mod:`rotordx.signal` (validation, resampling,
filters, scaling, framing), :mod:`rotordx.io` (what a path is, file formats),
:mod:`rotordx.features` (physics features, bearings, profiles),
:mod:`rotordx.simulate` (the testbed simulator), :mod:`rotordx.data` (data
sets, leak-free splits, the seed's preprocessing, the cache),
:mod:`rotordx.models` (registry, classifiers, training, bundles, ONNX),
:mod:`rotordx.diagnosis` (the diagnosis engine and rules),
:mod:`rotordx.render` (figures, tables, HTML), :mod:`rotordx.workflows`
(train, evaluate, demo, compare, crossval, report) and :mod:`rotordx.cli`.
:mod:`rotordx.classes` names every class. Importing ``rotordx`` does not
import torch.
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
