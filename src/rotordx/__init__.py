"""rotordx: fault diagnosis of rotating machines from vibration.

Rooms: :mod:`rotordx.io` (file formats), :mod:`rotordx.signal` (resampling,
filtering, scaling), :mod:`rotordx.simulate` (rotor-testbed simulator),
:mod:`rotordx.preprocess` (the seed pipeline), :mod:`rotordx.splits`,
:mod:`rotordx.models`, :mod:`rotordx.train`, :mod:`rotordx.evaluate`,
:mod:`rotordx.bundle`, :mod:`rotordx.runs` (train/evaluate/demo workflows) and
:mod:`rotordx.cli`. Importing ``rotordx`` does not import torch.
"""

from rotordx.exceptions import BundleError, DataError, ParameterError, RotordxError

__version__ = "0.1.0"

__all__ = ["BundleError", "DataError", "ParameterError", "RotordxError", "__version__"]
