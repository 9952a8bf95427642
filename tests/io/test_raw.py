"""Raw float32 frames (rotordx.io.raw): the layout, the channel names, every refusal."""

from __future__ import annotations

import numpy as np
import pytest

from rotordx.exceptions import DataError, ParameterError
from rotordx.io.raw import decode_float32, raw_channel_names, read_float32


def test_frames_are_read_channel_by_channel(tmp_path):
    x = np.arange(12, dtype="<f4").reshape(4, 3)  # 4 frames of 3 channels
    p = tmp_path / "a.f32"
    p.write_bytes(x.tobytes())
    rec = read_float32(p, rate=100, channels="x,y,z")
    np.testing.assert_array_equal(rec.signals, x.T.astype(np.float64))
    assert rec.fs == 100.0 and rec.channel_names == ("x", "y", "z") and rec.name == "a.f32"
    assert read_float32(p, rate=100, channels=3, name="up.f32").channel_names == (
        "ch0",
        "ch1",
        "ch2",
    )


@pytest.mark.parametrize(
    ("channels", "names"),
    [(2, ("ch0", "ch1")), ("2", ("ch0", "ch1")), (" a, b ", ("a", "b")), (["u"], ("u",))],
)
def test_channel_names(channels, names):
    assert raw_channel_names(channels) == names


@pytest.mark.parametrize("channels", [0, 65, "a,,b", "a,a", True, "", [""]])
def test_bad_channels(channels):
    with pytest.raises(ParameterError, match="channels"):
        raw_channel_names(channels)


def test_bytes_that_are_not_whole_frames_say_so():
    with pytest.raises(DataError, match=r"up\.f32: 10 bytes is not a whole number of frames"):
        decode_float32(b"\0" * 10, n_channels=2, where="up.f32")


@pytest.mark.parametrize(("value", "fragment"), [(np.nan, "is nan"), (np.inf, "is inf"),
                                                 (3e12, "expected |value| <= 1e+12")])  # fmt: skip
def test_bad_values_are_named_by_sample_and_channel(value, fragment):
    x = np.zeros((5, 2), "<f4")
    x[3, 1] = value
    with pytest.raises(DataError, match="sample 3 of channel 1") as info:
        decode_float32(x.tobytes(), n_channels=2, where="w")
    assert fragment in str(info.value)


def test_rate_channels_and_length_are_required(tmp_path):
    p = tmp_path / "a.raw"
    p.write_bytes(np.zeros(8, "<f4").tobytes())
    with pytest.raises(ParameterError, match="need the rate and the channels"):
        read_float32(p, rate=None, channels=2)
    for rate in (0, -1, float("nan"), 1e9, "100"):
        with pytest.raises(ParameterError, match="rate must be"):
            read_float32(p, rate=rate, channels=2)
    p.write_bytes(np.zeros(2, "<f4").tobytes())
    with pytest.raises(DataError, match="1 frame"):
        read_float32(p, rate=10, channels=2)
