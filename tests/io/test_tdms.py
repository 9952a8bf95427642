"""NI TDMS files (rotordx.io.tdms): written with npTDMS's writer, read with ours in a child
process; channels, rate, units, and clear messages for what cannot be read."""

from __future__ import annotations

import resource
import struct
import sys

import numpy as np
import pytest

from rotordx.exceptions import DataError, ParameterError
from rotordx.io import read_recording
from rotordx.io.tdms import read_tdms

nptdms = pytest.importorskip("nptdms")

FS = 5000.0
N = 1500


def _x(k: int = 0, n: int = N) -> np.ndarray:
    t = np.arange(n) / FS
    return np.sin(2 * np.pi * (40 + 15 * k) * t) * (1 + k)


def write_tdms(path, channels, *, segments: int = 1):
    """``channels``: ``[(group, name, data, properties)]``, the data split into segments."""
    from nptdms import ChannelObject, GroupObject, TdmsWriter

    groups = list(dict.fromkeys(g for g, *_ in channels))  # in order (npTDMS would sort them)
    with TdmsWriter(str(path)) as w:
        for s in range(segments):
            objs = [GroupObject(g) for g in groups] if s == 0 else []
            for group, name, data, props in channels:
                part = np.array_split(np.asarray(data), segments)[s]
                objs.append(ChannelObject(group, name, part, properties=props if s == 0 else {}))
            w.write_segment(objs)
    return path


def _wf(unit: str | None = None, inc: float = 1 / FS) -> dict:
    props = {"wf_increment": inc, "wf_start_offset": 0.0, "wf_xunit_string": "s"}
    if unit is not None:
        props["unit_string"] = unit
    return props


def test_round_trip_exact(tmp_path):
    """float64, float32 and int16 channels over three segments come back exactly; the
    default is every numeric channel of the first group that has one."""
    i16 = (np.round(_x(2) * 1000)).astype(np.int16)
    p = write_tdms(
        tmp_path / "r.tdms",
        [
            ("Info", "note", np.array(["a", "b"]), {}),
            ("Vib", "x", _x(0), _wf("g")),
            ("Vib", "y", _x(1).astype(np.float32), _wf("m/s^2")),
            ("Vib", "z", i16, _wf("")),
            ("Other", "w", _x(3), _wf()),
        ],
        segments=3,
    )
    rec, units = read_tdms(p)
    assert rec.channel_names == ("Vib/x", "Vib/y", "Vib/z") and rec.fs == FS
    assert units == ("g", "m/s^2", "")
    assert rec.signals.dtype == np.float64 and rec.signals.flags.writeable
    np.testing.assert_array_equal(rec.signals[0], _x(0))
    np.testing.assert_array_equal(rec.signals[1], _x(1).astype(np.float32).astype(np.float64))
    np.testing.assert_array_equal(rec.signals[2], i16.astype(np.float64))
    rec, _ = read_tdms(p, channels=("Other/w", "y"))  # group/channel, or a bare unique name
    assert rec.channel_names == ("Other/w", "Vib/y")
    np.testing.assert_array_equal(rec.signals[0], _x(3))


def test_a_time_channel_gives_the_rate_without_wf_increment(tmp_path):
    stamps = np.datetime64("2024-05-01T08:00:00", "us") + (np.arange(N) * 200).astype(
        "timedelta64[us]"
    )
    p = write_tdms(
        tmp_path / "t.tdms",
        [("G", "Time", np.arange(N) / FS, {}), ("G", "acc", _x(), {"unit_string": "g"})],
    )
    rec, _ = read_tdms(p)
    assert rec.channel_names == ("G/acc",) and rec.fs == pytest.approx(FS)
    q = write_tdms(tmp_path / "ts.tdms", [("G", "acc", _x(), {}), ("G", "Timestamp", stamps, {})])
    assert read_tdms(q)[0].fs == pytest.approx(FS)
    r = write_tdms(tmp_path / "none.tdms", [("G", "acc", _x(), {})])
    with pytest.raises(DataError, match=r"no sample rate: channel 'G/acc' has no wf_increment"):
        read_tdms(r)
    assert read_tdms(r, default_rate=1234.0)[0].fs == 1234.0
    assert read_tdms(r, rate=1234.0)[0].fs == 1234.0


@pytest.mark.parametrize(
    ("channels", "kwargs", "fragments"),
    [
        (
            [("G", "a", _x(), _wf())],
            {"channels": ("G/b",)},
            ("no channel 'G/b'; expected 'group/channel', channels present: G/a",),
        ),
        (
            [("G", "a", _x(), _wf()), ("H", "a", _x(), _wf())],
            {"channels": ("a",)},
            ("channel 'a' is 'G/a', 'H/a'; write 'group/channel'",),
        ),
        (
            [("G", "s", np.array(["x", "y"]), {}), ("G", "a", _x(), _wf())],
            {"channels": ("G/s",)},
            ("channel 'G/s' holds string values; expected numbers",),
        ),
        (
            [("G", "a", _x(), _wf()), ("G", "b", _x()[:100], _wf())],
            {},
            ("the channels differ in length (G/a 1500, G/b 100 values)",),
        ),
        (
            [("G", "a", _x(), _wf()), ("G", "b", _x(), _wf(inc=1e-3))],
            {},
            ("the channels have different wf_increment", "expected one rate"),
        ),
        (
            [("G", "a", _x(), {"wf_increment": 0.5, "wf_xunit_string": "Hz"})],
            {},
            ("channel 'G/a': its x axis is in 'Hz' (wf_xunit_string); expected time in s",),
        ),
        (
            [("G", "a", _x(), _wf())],
            {"rate": 48000.0},
            ("wf_increment 0.0002 s gives 5000 Hz, the rate given is 48000 Hz", "within 1%"),
        ),
        (
            [("G", "a", np.r_[_x(), np.inf], _wf())],
            {},
            ("channel 'G/a', value 1501: found inf; expected finite values",),
        ),
        (
            [("G", "s", np.array(["x", "y"]), {})],
            {},
            ("no channel of numbers in any group; channels present: G/s",),
        ),
    ],
)
def test_errors_name_the_channel_and_what_was_found(tmp_path, channels, kwargs, fragments):
    p = write_tdms(tmp_path / "bad.tdms", channels)
    with pytest.raises(DataError) as info:
        read_tdms(p, **kwargs)
    msg = str(info.value)
    assert msg.startswith(f"{p}: ") and "\n" not in msg, msg
    for fragment in fragments:
        assert fragment in msg, f"{fragment!r} not in {msg!r}"


def test_truncated_or_foreign_files_are_refused(tmp_path):
    p = write_tdms(tmp_path / "r.tdms", [("G", "a", _x(), _wf())])
    data = p.read_bytes()
    (tmp_path / "cut.tdms").write_bytes(data[: len(data) - 100])
    with pytest.raises(DataError) as info:
        read_tdms(tmp_path / "cut.tdms")
    assert "cut.tdms: not a readable TDMS file (truncated or corrupt?): npTDMS: Last segment" in (
        str(info.value)
    )
    (tmp_path / "x.tdms").write_bytes(b"PK\x03\x04zip")
    with pytest.raises(DataError, match=r"x\.tdms: .*starts with b'PK\\x03\\x04'; expected 'TDSm'"):
        read_tdms(tmp_path / "x.tdms")


def test_lying_value_count_is_a_data_error_in_the_child(tmp_path):
    """npTDMS sizes its arrays by the value count of the raw data index: 2^40 doubles claimed
    in a 100-byte segment would be 8 TiB; in the child, under the limit, a DataError."""
    p = write_tdms(tmp_path / "lie.tdms", [("G", "a", _x(n=4), _wf())])
    data = bytearray(p.read_bytes())
    path = b"/'G'/'a'"
    at = data.index(path) + len(path)
    (length, dtype, dim) = struct.unpack_from("<III", data, at)
    assert (length, dtype, dim) == (20, 10, 1)  # raw data index of a double channel
    struct.pack_into("<Q", data, at + 12, 2**40)
    p.write_bytes(bytes(data))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(DataError) as info:
        read_tdms(p, memory=256 * 2**20)
    msg = str(info.value)
    assert msg.startswith(f"{p}: not a readable TDMS file") and "\n" not in msg, msg
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 100 * 1024  # KiB


def test_units_the_file_states_convert_unless_the_manifest_says(tmp_path):
    p = write_tdms(
        tmp_path / "u.tdms",
        [("G", "x", _x(0), _wf("g")), ("G", "y", _x(1), _wf("m/s^2")), ("H", "v", _x(2), _wf("V"))],
    )
    r = read_recording(p)
    assert r.units == "m/s2" and r.file_units == ("g", "m/s^2")
    np.testing.assert_allclose(r.recording.signals, np.vstack([_x(0) * 9.80665, _x(1)]))
    r = read_recording(p, units="m/s2")  # the manifest's word wins
    assert r.units == "m/s2"
    np.testing.assert_array_equal(r.recording.signals, np.vstack([_x(0), _x(1)]))
    r = read_recording(p, channels=("H/v",))  # volts without a sensitivity: as they are
    assert r.units is None and r.file_units == ("V",)
    np.testing.assert_array_equal(r.recording.signals[0], _x(2))


def test_missing_package_names_the_extra(tmp_path, monkeypatch):
    p = write_tdms(tmp_path / "r.tdms", [("G", "a", _x(), _wf())])
    monkeypatch.setitem(sys.modules, "nptdms", None)
    with pytest.raises(ParameterError) as info:
        read_tdms(p)
    assert str(info.value) == (
        "reading TDMS files needs nptdms, which is not installed: "
        "pip install 'rotordx[readers]' (or 'rotordx[all]')"
    )
