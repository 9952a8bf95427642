"""UFF type 58 files (rotordx.io.uff): written with pyuff's writer, read with ours in a child
process; records chosen, named by node and direction, rate, units, clear messages."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from rotordx.exceptions import DataError, ParameterError
from rotordx.io import read_recording
from rotordx.io.uff import read_uff

pyuff = pytest.importorskip("pyuff")

FS = 2560.0
N = 800


def _x(k: int = 0, n: int = N) -> np.ndarray:
    t = np.arange(n) / FS
    return np.sin(2 * np.pi * (25 + 10 * k) * t) * (1 + k)


def record(node: int, direction: int, data, *, func: int = 1, unit: str = "g", binary=0, **kw):
    """A pyuff type-58 data set (a time response by default)."""
    fields = {
        "binary": binary,
        "id1": f"response {node}:{direction}",
        "func_type": func,
        "rsp_node": node,
        "rsp_dir": direction,
        "ref_node": 0,
        "ref_dir": 0,
        "ord_data_type": 4,
        "num_pts": len(data),
        "abscissa_spacing": 1,
        "abscissa_min": 0.0,
        "abscissa_inc": 1 / FS,
        "abscissa_spec_data_type": 17,
        "abscissa_axis_units_lab": "s",
        "ordinate_spec_data_type": 12,
        "ordinate_axis_units_lab": unit,
        "orddenom_spec_data_type": 0,
        "z_axis_spec_data_type": 0,
        "data": np.asarray(data),
    }
    fields.update(kw)
    fields["x"] = np.arange(len(data)) * fields["abscissa_inc"]  # (pyuff takes the step from x)
    return pyuff.prepare_58(**fields)


def write_uff(path, records):
    path.unlink(missing_ok=True)
    pyuff.UFF(str(path)).write_sets(records, mode="add")
    return path


@pytest.mark.parametrize("binary", [0, 1])
def test_round_trip(tmp_path, binary):
    """Binary (58b) doubles come back exactly; ASCII as pyuff's own reader reads them (12
    significant digits)."""
    p = write_uff(
        tmp_path / "r.uff",
        [record(1, 3, _x(0), binary=binary), record(12, -1, _x(1), binary=binary)],
    )
    rec, units = read_uff(p)
    assert rec.channel_names == ("1:+Z", "12:-X") and rec.fs == FS and units == ("g", "g")
    theirs = [pyuff.UFF(str(p)).read_sets(i)["data"] for i in (0, 1)]
    np.testing.assert_array_equal(rec.signals, np.vstack(theirs))
    if binary:
        np.testing.assert_array_equal(rec.signals, np.vstack([_x(0), _x(1)]))
    else:
        np.testing.assert_allclose(rec.signals, np.vstack([_x(0), _x(1)]), rtol=1e-10, atol=1e-12)
    rec, _ = read_uff(p, channels=("12:-X",))
    assert rec.channel_names == ("12:-X",)


def test_only_time_responses_are_channels(tmp_path):
    """Other functions (an FRF) and data sets of other types are skipped; a repeated
    node/direction is told apart by its data set number."""
    frf = record(2, 1, _x(2), func=4, abscissa_spec_data_type=18)
    p = write_uff(
        tmp_path / "m.unv", [record(1, 3, _x(0)), frf, record(1, 3, _x(1)), record(5, 0, _x(3))]
    )
    rec, _ = read_uff(p)
    assert rec.channel_names == ("1:+Z (record 1)", "1:+Z (record 3)", "5")
    with pytest.raises(
        DataError, match=r"channel '2:\+X' \(data set 2\) is a FRF; expected a time"
    ):
        read_uff(p, channels=("2:+X",))
    q = write_uff(tmp_path / "frf.uff", [frf])
    with pytest.raises(
        DataError, match=r"1 type-58 data set\(s\), none a time response \(found FRF\)"
    ):
        read_uff(q)


@pytest.mark.parametrize(
    ("records", "kwargs", "fragments"),
    [
        (
            [record(1, 3, _x())],
            {"channels": ("1:+X",)},
            ("no channel '1:+X'; expected '<node>:<direction>', channels present: 1:+Z",),
        ),
        (
            [record(1, 3, _x()), record(2, 3, _x(n=400))],
            {},
            ("the channels differ in length (1:+Z 800, 2:+Z 400 values)",),
        ),
        (
            [record(1, 3, _x()), record(2, 3, _x(), abscissa_inc=1 / 5120)],
            {},
            ("the channels have different rates (1:+Z 2560 Hz, 2:+Z 51", "expected one"),
        ),
        (
            [record(1, 3, _x())],
            {"rate": 25600.0},
            ("gives 2560 Hz, the rate given is 25600 Hz; expected them to agree within 1%",),
        ),
        (
            [record(1, 3, _x() * 1j, ord_data_type=6)],
            {},
            ("channel '1:+Z' (data set 1): ordinate data type 6; expected real values",),
        ),
    ],
)
def test_errors_name_the_channel_and_what_was_found(tmp_path, records, kwargs, fragments):
    p = write_uff(tmp_path / "bad.uff", records)
    with pytest.raises(DataError) as info:
        read_uff(p, **kwargs)
    msg = str(info.value)
    assert msg.startswith(f"{p}: ") and "\n" not in msg, msg
    for fragment in fragments:
        assert fragment in msg, f"{fragment!r} not in {msg!r}"


def test_non_finite_values_are_refused(tmp_path):
    """pyuff writes NaN as 0: the NaN is put into the text by hand."""
    p = write_uff(tmp_path / "nan.uff", [record(1, 3, np.r_[_x(), 0.5])])
    text = p.read_text().replace("   5.00000000000e-01\n", f"{'nan':>20}\n")
    p.write_text(text)
    with pytest.raises(DataError) as info:
        read_uff(p)
    assert str(info.value) == (
        f"{p}: channel '1:+Z' (data set 1), value 801: found nan; expected finite values"
    )


def test_truncated_foreign_and_empty_files(tmp_path):
    p = write_uff(tmp_path / "r.uff", [record(1, 3, _x())])
    text = p.read_bytes()
    (tmp_path / "cut.uff").write_bytes(text[: len(text) // 2])
    with pytest.raises(DataError, match=r"cut\.uff: not a readable UFF file \(truncated\?\)"):
        read_uff(tmp_path / "cut.uff")
    lines = text.decode().splitlines(keepends=True)
    (tmp_path / "short.uff").write_text("".join(lines[:-30] + lines[-1:]))  # rows dropped
    with pytest.raises(DataError, match=r"short\.uff: .*values, its header says 800"):
        read_uff(tmp_path / "short.uff")
    (tmp_path / "x.uff").write_text("time,a\n0,1\n")
    with pytest.raises(DataError, match=r"x\.uff: not a readable UFF file \(another format\?\)"):
        read_uff(tmp_path / "x.uff")
    (tmp_path / "g.uff").write_text("    -1\n   151\nmodel\n    -1\n")
    with pytest.raises(DataError, match=r"no data set of type 58 \(data set types found: 151\)"):
        read_uff(tmp_path / "g.uff")


def test_units_the_file_states_convert(tmp_path):
    p = write_uff(tmp_path / "u.uff", [record(1, 3, _x(), binary=1, unit="g")])
    r = read_recording(p)
    assert r.units == "m/s2" and r.file_units == ("g",)
    np.testing.assert_allclose(r.recording.signals[0], _x() * 9.80665)
    q = write_uff(tmp_path / "n.uff", [record(1, 3, _x(), binary=1, unit="NONE")])
    r = read_recording(q)
    assert r.units is None and r.file_units == ("",)


def test_missing_package_names_the_extra(tmp_path, monkeypatch):
    p = write_uff(tmp_path / "r.uff", [record(1, 3, _x())])
    monkeypatch.setitem(sys.modules, "pyuff", None)
    with pytest.raises(ParameterError, match=r"reading UFF files needs pyuff.*rotordx\[readers\]"):
        read_uff(p)
