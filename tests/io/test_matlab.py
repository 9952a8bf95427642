"""Generic MATLAB files (rotordx.io.matlab): variables named by the manifest, dotted names into
structs, indices into struct and cell arrays, matrices, the rate, and clear messages.

Files are written with ``scipy.io.savemat`` (the reference writer) and read with ours; the
samples must come back exactly.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.io

from rotordx.exceptions import DataError
from rotordx.io import read_recording
from rotordx.io.matlab import read_matlab

FS = 4096.0
N = 1000


def _x(k: int = 0) -> np.ndarray:
    t = np.arange(N) / FS
    return np.sin(2 * np.pi * (30 + 10 * k) * t) * (1 + k) + 0.01 * k


def _save(path, variables, *, compress=False):
    scipy.io.savemat(path, variables, do_compression=compress)
    return path


@pytest.mark.parametrize("compress", [False, True])
def test_a_dotted_name_reaches_into_structs(tmp_path, compress):
    """The MFPT layout (bearing.gs, bearing.sr, bearing.rate = shaft Hz, bearing.load) and a
    deeper one; the rate comes from the struct holding the channel, never from 'rate'."""
    p = _save(
        tmp_path / "m.mat",
        {
            "bearing": {"gs": _x()[:, None], "sr": 97656.0, "rate": 25.0, "load": 270.0},
            "Data": {"Acc": {"x": _x(1), "y": _x(2)[None, :]}, "Fs": FS},
        },
        compress=compress,
    )
    rec = read_matlab(p, channels=("bearing.gs",))
    assert rec.fs == 97656.0 and rec.channel_names == ("bearing.gs",)
    np.testing.assert_array_equal(rec.signals[0], _x())
    rec = read_matlab(p, channels=("Data.Acc.x", "Data.Acc.y"))
    assert rec.fs == FS
    np.testing.assert_array_equal(rec.signals, np.vstack([_x(1), _x(2)]))


def test_struct_and_cell_array_elements(tmp_path):
    """Y(k) indexes a struct array and c{k} a cell array (1-based, column-major), as in
    Paderborn's original files (name.Y(7).Data)."""
    Y = np.empty((1, 3), dtype=object)
    for k in range(3):
        Y[0, k] = {"Name": f"ch{k}", "Data": _x(k)[:, None]}
    c = np.empty((2, 2), dtype=object)
    c[0, 0], c[1, 0], c[0, 1], c[1, 1] = _x(0), "text", _x(3), _x(1)
    p = _save(tmp_path / "p.mat", {"K001": {"Y": Y}, "c": c})
    rec = read_matlab(p, channels=("K001.Y(3).Data", "c{3}", "c{4}"), rate=FS)
    assert rec.channel_names == ("K001.Y(3).Data", "c{3}", "c{4}")
    np.testing.assert_array_equal(rec.signals, np.vstack([_x(2), _x(3), _x(1)]))


def test_matrices_give_one_channel_per_column_or_row(tmp_path):
    """Time runs along the longer side; x(:,k) / x(k,:) name one column / row."""
    cols = np.column_stack([_x(0), _x(1), _x(2)])
    p = _save(tmp_path / "m.mat", {"acc": cols, "rows": cols.T, "fs": FS})
    rec = read_matlab(p, channels=("acc",))
    assert rec.channel_names == ("acc(:,1)", "acc(:,2)", "acc(:,3)")
    np.testing.assert_array_equal(rec.signals, cols.T)
    rec = read_matlab(p, channels=("rows",))
    assert rec.channel_names == ("rows(1,:)", "rows(2,:)", "rows(3,:)")
    np.testing.assert_array_equal(rec.signals, cols.T)
    rec = read_matlab(p, channels=("acc(:,2)", "rows(3,:)"))
    np.testing.assert_array_equal(rec.signals, np.vstack([_x(1), _x(2)]))


def test_default_channels_are_the_longest_top_level_variables(tmp_path):
    """Without 'channel': every top-level numeric variable of the greatest length, except
    a time or a rate variable; a time variable gives the rate."""
    p = _save(
        tmp_path / "m.mat",
        {"a": _x(0)[:, None], "b": _x(1)[None, :], "t": np.arange(N) / FS, "gain": 3.0},
    )
    rec = read_matlab(p)
    assert rec.channel_names == ("a", "b") and rec.fs == pytest.approx(FS)
    np.testing.assert_array_equal(rec.signals, np.vstack([_x(0), _x(1)]))


def test_a_default_channel_is_read_by_its_name_as_stored(tmp_path):
    """Without 'channel', a top-level variable is taken by its name as stored, even one that
    MATLAB could not write and that a written name would parse as a struct path or an index
    (a corrupt or hand-made file): it was reported as not found, beside itself."""
    from pathlib import Path

    from rotordx.io.matlab import read_matlab_variables

    rec = read_matlab_variables(Path("odd.mat"), {"a.b(1)": _x(), "fs": FS})
    assert rec.channel_names == ("a.b(1)",) and rec.fs == FS
    np.testing.assert_array_equal(rec.signals[0], _x())


@pytest.mark.parametrize(
    ("variables", "kwargs", "fragments"),
    [
        (
            {"bearing": {"gs": _x()[:, None], "sr": 97656.0, "rate": 25.0}},
            {"channels": ("bearing.g",)},
            (
                "variable 'bearing.g' not found: no 'g' in 'bearing' (struct: gs, sr, rate)",
                "variables present: bearing (struct: gs, sr, rate)",
            ),
        ),
        (
            {"bearing": {"gs": _x()[:, None], "sr": 97656.0}},
            {},
            ("no numeric variable at the top level", "'channel' (e.g. 'bearing.gs')"),
        ),
        (
            {"bearing": {"gs": _x()[:, None], "sr": 97656.0}},
            {"channels": ("bearing.gs",), "rate": 48000.0},
            ("variable 'bearing.sr' says 97656 Hz, the rate given is 48000 Hz", "within 1%"),
        ),
        (
            {"x": _x()[:, None]},
            {},
            ("no sample rate", "give the rate (the manifest's 'rate', or --rate)"),
        ),
        (
            {"x": _x()[:, None], "fs": "20 kHz"},
            {},
            ("variable 'fs' (a sample-rate name): found text", "one positive number of Hz"),
        ),
        (
            {"x": np.ones((4, 4)), "fs": FS},
            {"channels": ("x",)},
            ("variable 'x' is a square 4x4 matrix", "time along the longer side"),
        ),
        (
            {"x": np.ones((3, 4, 5)), "fs": FS},
            {"channels": ("x",)},
            ("variable 'x' has shape (3, 4, 5); expected a vector or a 2-D matrix",),
        ),
        (
            {"x": _x()[:, None] > 0, "fs": FS},
            {"channels": ("x",)},
            ("variable 'x': found 1000x1 logical; expected real numbers",),
        ),
        (
            {"x": _x()[:, None] * 1j, "fs": FS},
            {"channels": ("x",)},
            ("variable 'x': found 1000x1 complex double; expected real numbers",),
        ),
        (
            {"x": np.r_[_x(), np.nan][:, None], "fs": FS},
            {"channels": ("x",)},
            ("variable 'x', sample 1001: found nan; expected finite values",),
        ),
        (
            {"x": _x()[:, None], "y": _x()[:500], "fs": FS},
            {"channels": ("x", "y")},
            ("the channels differ in length (x 1000, y 500 samples)",),
        ),
        (
            {"S": np.array([[{"a": 1.0}, {"a": 2.0}]], dtype=object)},
            {"channels": ("S.a",)},
            ("'S' is a 1x2 struct array: a, not a struct (index it: 'S(1)')",),
        ),
        (
            {"x": _x()[:, None], "t": np.r_[np.arange(N - 1), N + 5.0] / FS},
            {},
            ("variable 't', sample 1000: time step", "expected every step within 50%"),
        ),
    ],
)
def test_errors_name_the_variable_and_what_was_found(tmp_path, variables, kwargs, fragments):
    p = _save(tmp_path / "bad.mat", variables)
    with pytest.raises(DataError) as info:
        read_matlab(p, **kwargs)
    msg = str(info.value)
    assert msg.startswith(f"{p}: ") and "\n" not in msg, msg
    for fragment in fragments:
        assert fragment in msg, f"{fragment!r} not in {msg!r}"


def test_read_recording_routes_cwru_names_and_layouts_to_the_cwru_reader(tmp_path):
    """CWRU-named files keep their reader (m/s², rpm, label); so does a renamed file laid
    out like one when asked for DE/FE/BA; any other .mat file is generic (values as-is)."""
    de, fe = np.tile(_x(), 2), np.tile(_x(1), 2)  # (read_cwru wants 1024 samples or more)
    cw = {"X105_DE_time": de[:, None], "X105_FE_time": fe[:, None], "X105RPM": 1797.0}
    a = _save(tmp_path / "12k_Drive_End_IR007_0_105.mat", cw)
    r = read_recording(a)
    assert r.label == "inner_race" and r.units == "m/s2" and r.rpm == 1797.0
    b = _save(tmp_path / "renamed.mat", cw)
    r = read_recording(b, rate=12000.0, channels=("fe",))
    assert r.units == "m/s2" and r.recording.channel_names == ("FE",)
    np.testing.assert_allclose(r.recording.signals[0], fe * 9.80665)
    r = read_recording(b, rate=12000.0, channels=("X105_FE_time",))
    assert r.units is None and r.label is None
    np.testing.assert_array_equal(r.recording.signals[0], fe)
    c = _save(tmp_path / "generic.mat", {"acc": _x()[:, None], "fs": FS})
    r = read_recording(c)
    assert r.recording.fs == FS and r.units is None and r.file_units is None
