"""Signal processing: resampling, filtering, scaling (numpy only, no torch).

Resampling
----------
    uniform_grid
    interp_linear

Filtering
---------
    moving_average

Scaling
-------
    MinMaxScaling
"""

from rotordx.signal.filters import moving_average
from rotordx.signal.resample import interp_linear, uniform_grid
from rotordx.signal.scaling import MinMaxScaling

__all__ = ["MinMaxScaling", "interp_linear", "moving_average", "uniform_grid"]
