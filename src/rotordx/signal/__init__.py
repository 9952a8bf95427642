"""Signal processing on numpy arrays: validation, resampling, filtering, scaling, framing.

No file formats and no torch here; time is on the last axis unless a
function says otherwise, and the sample rate is always the keyword ``fs``.

Validation
----------
    as_signal, check_fs, check_positive, check_band

Resampling
----------
    uniform_grid, grid_times, interp_linear, change_rate

Filtering
---------
    moving_average, MovingAverageStream

Scaling
-------
    MinMaxScaling

Framing
-------
    frame, frames_of, Frames, Tape
"""

from rotordx.signal.filters import MovingAverageStream, moving_average
from rotordx.signal.framing import Frames, Tape, frame, frames_of
from rotordx.signal.resample import change_rate, grid_times, interp_linear, uniform_grid
from rotordx.signal.scaling import MinMaxScaling
from rotordx.signal.validate import as_signal, check_band, check_fs, check_positive

__all__ = [
    "Frames",
    "MinMaxScaling",
    "MovingAverageStream",
    "Tape",
    "as_signal",
    "change_rate",
    "check_band",
    "check_fs",
    "check_positive",
    "frame",
    "frames_of",
    "grid_times",
    "interp_linear",
    "moving_average",
    "uniform_grid",
]
