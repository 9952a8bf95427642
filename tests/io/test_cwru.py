"""CWRU bearing files: name parsing, reading in m/s², quirks and clear errors.

Tests marked by the ``cwru_dir`` fixture read the real files in
``../shared/data/cwru`` (or ``$ROTORDX_DATA/cwru``) and skip when absent;
the others build small ``.mat`` files with :func:`scipy.io.savemat`.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pytest
import scipy.io

from rotordx.exceptions import DataError, ParameterError
from rotordx.io.cwru import NOMINAL_RPM, CwruInfo, G, find_cwru, parse_cwru_name, read_cwru
from rotordx.io.datadir import DATA_ENV, default_data_dir

IR007 = "12k_Drive_End_IR007_0_105.mat"
IR028 = "12k_Drive_End_IR028_0_3001.mat"
B028 = "12k_Drive_End_B028_0_3005.mat"
NORMAL = "normal_0_97.mat"

# ---------------------------------------------------------------- name parsing


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (NORMAL, CwruInfo(48000, None, "normal", None, None, 0, 97)),
        (IR007, CwruInfo(12000, "DE", "IR", 7, None, 0, 105)),
        ("12k_Drive_End_OR007@6_1_131.mat", CwruInfo(12000, "DE", "OR", 7, 6, 1, 131)),
        ("12k_Drive_End_OR021@12_0_258", CwruInfo(12000, "DE", "OR", 21, 12, 0, 258)),
        ("12k_Drive_End_OR007@3_3_147.mat", CwruInfo(12000, "DE", "OR", 7, 3, 3, 147)),
        (IR028, CwruInfo(12000, "DE", "IR", 28, None, 0, 3001)),
        (B028, CwruInfo(12000, "DE", "B", 28, None, 0, 3005)),
        ("48k_Fan_End_B014_2_999.mat", CwruInfo(48000, "FE", "B", 14, None, 2, 999)),
        (
            Path("/some/dir") / "normal_3_100.mat",
            CwruInfo(48000, None, "normal", None, None, 3, 100),
        ),
    ],
)
def test_parse_edge_names(name, expected):
    assert parse_cwru_name(name) == expected


def test_derived_labels_and_speeds():
    info = parse_cwru_name("12k_Drive_End_OR007@6_1_131.mat")
    assert (info.label, info.label_size, info.nominal_rpm) == ("outer_race", "outer_race_007", 1772)
    info = parse_cwru_name(IR007)
    assert (info.label, info.label_size, info.nominal_rpm) == ("inner_race", "inner_race_007", 1797)
    assert parse_cwru_name(B028).label_size == "ball_028"
    info = parse_cwru_name(NORMAL)
    assert (info.label, info.label_size, info.nominal_rpm) == ("normal", "normal", 1797)
    assert NOMINAL_RPM == {0: 1797, 1: 1772, 2: 1750, 3: 1730}
    assert parse_cwru_name("12k_Drive_End_B007_3_121").nominal_rpm == 1730
    assert parse_cwru_name("12k_Drive_End_B007_2_120").nominal_rpm == 1750


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("foo.mat", "not a CWRU file name"),
        ("", "not a CWRU file name"),
        ("12k_Drive_End_IR007_4_105.mat", "not a CWRU file name"),  # load 4
        ("24k_Drive_End_IR007_0_105.mat", "not a CWRU file name"),  # rate
        ("12k_Drive_End_IR7_0_105.mat", "not a CWRU file name"),  # size digits
        ("12k_Drive_End_XX007_0_105.mat", "not a CWRU file name"),  # fault
        ("12k_Drive_End_OR007@5_0_130.mat", "not a CWRU file name"),  # position
        ("normal_0.mat", "not a CWRU file name"),
        ("12k_Drive_End_IR007_0_105.csv", "not a CWRU file name"),
        ("12k_Drive_End_OR007_0_130.mat", "needs a position"),
        ("12k_Drive_End_IR007@6_0_105.mat", "only outer-race"),
    ],
)
def test_bad_names_raise(name, why):
    with pytest.raises(DataError, match=why):
        parse_cwru_name(name)


def test_every_file_in_the_folder_parses(cwru_dir):
    files = find_cwru(cwru_dir)
    assert len(files) == 31
    assert [f.name for f in files] == sorted(f.name for f in files)
    codes = {"IR": "inner_race", "B": "ball", "OR": "outer_race"}
    for f in files:
        info = parse_cwru_name(f)
        assert info.number == int(f.stem.rsplit("_", 1)[1])
        assert info.load_hp == int(f.stem.rsplit("_", 2)[1])
        if f.name.startswith("normal"):
            assert (info.rate_hz, info.label, info.end) == (48000, "normal", None)
            continue
        assert (info.rate_hz, info.end) == (12000, "DE")
        code = re.search(r"_End_(IR|B|OR)\d{3}", f.name).group(1)
        assert info.label == codes[code], f.name
        assert (info.position is not None) == (info.fault == "OR"), f.name
    labels = [parse_cwru_name(f).label for f in files]
    assert {lab: labels.count(lab) for lab in set(labels)} == {
        "normal": 1,
        "inner_race": 7,
        "ball": 7,
        "outer_race": 16,
    }


# ---------------------------------------------------------------- real files


def test_read_ir007_all_channels_in_m_per_s2(cwru_dir):
    path = cwru_dir / IR007
    r = read_cwru(path, channels=("DE", "FE", "BA"))
    rec = r.recording
    assert rec.channel_names == ("DE", "FE", "BA")
    assert rec.fs == 12000.0
    assert rec.signals.shape == (3, 121265)
    assert r.rpm == 1797.0 and r.rpm_from_file
    assert r.units == "m/s^2"
    assert r.info == parse_cwru_name(IR007)
    assert np.isfinite(rec.signals).all()
    raw = scipy.io.loadmat(path)
    np.testing.assert_allclose(rec.signals[0], raw["X105_DE_time"].ravel() * 9.80665)
    np.testing.assert_allclose(rec.signals[2], raw["X105_BA_time"].ravel() * G)
    # m/s², not g: the drive-end std is 0.29 g = 2.86 m/s²
    std = rec.signals.std(axis=1)
    assert 2.0 < std[0] < 4.0
    assert 0.1 < std[2] < 3.0
    assert rec.duration == pytest.approx(121265 / 12000)


@pytest.mark.parametrize("name", [IR028, B028])
def test_3001_3005_have_only_de_and_no_rpm(cwru_dir, name):
    r = read_cwru(cwru_dir / name)
    assert r.recording.channel_names == ("DE",)
    assert r.recording.signals.shape == (1, 120801)
    assert not r.rpm_from_file
    assert r.rpm == 1797.0  # nominal speed at 0 hp
    assert np.isfinite(r.recording.signals).all()
    for ch in ("FE", "BA"):
        with pytest.raises(DataError, match=r"no " + ch + r" channel.*channels present: DE"):
            read_cwru(cwru_dir / name, channels=("DE", ch))


def test_normal_is_48k_with_de_and_fe(cwru_dir):
    r = read_cwru(cwru_dir / NORMAL, channels=["DE", "FE"])
    assert r.recording.fs == 48000.0
    assert r.recording.signals.shape == (2, 243938)
    assert r.rpm == 1796.0 and r.rpm_from_file
    assert 0.3 < r.recording.signals[0].std() < 1.5  # 0.073 g
    with pytest.raises(DataError, match=r"no BA channel.*channels present: DE, FE"):
        read_cwru(cwru_dir / NORMAL, channels="BA")


def test_every_file_reads_finite_drive_end(cwru_dir):
    for f in find_cwru(cwru_dir):
        r = read_cwru(f)
        x = r.recording.signals
        assert x.shape[0] == 1 and x.shape[1] > 100_000
        assert np.isfinite(x).all()
        assert 0.3 < x.std() < 30.0, f.name  # m/s²: 0.03–3 g
        assert abs(r.rpm - r.info.nominal_rpm) < 15, f.name


@pytest.mark.parametrize("keep", [0, 10, 100, 128, 1000, 0.5, -1])
def test_truncated_mat_raises(cwru_dir, tmp_path, keep):
    data = (cwru_dir / IR007).read_bytes()
    n = int(len(data) * keep) if isinstance(keep, float) else keep % len(data)
    bad = tmp_path / IR007
    bad.write_bytes(data[:n])
    with pytest.raises(
        DataError, match=r"12k_Drive_End_IR007_0_105\.mat: .*(not a readable|no MAT)"
    ):
        read_cwru(bad, channels=("DE", "FE", "BA"))


def test_intact_copy_reads(cwru_dir, tmp_path):
    shutil.copy(cwru_dir / IR007, tmp_path / IR007)
    assert read_cwru(tmp_path / IR007).recording.signals.shape == (1, 121265)


# ---------------------------------------------------------------- synthetic files


def _save(path: Path, **variables) -> Path:
    scipy.io.savemat(path, variables)
    return path


def test_non_matlab_file_raises(tmp_path):
    p = tmp_path / IR007
    p.write_text("time,acc\n0,1\n")
    with pytest.raises(DataError, match=r"IR007_0_105\.mat: not a readable MATLAB"):
        read_cwru(p)
    p.write_bytes(b"")
    with pytest.raises(DataError, match="not a readable MATLAB"):
        read_cwru(p)


def test_missing_file_raises(tmp_path):
    with pytest.raises(DataError, match="file not found"):
        read_cwru(tmp_path / IR007)
    with pytest.raises(DataError, match="not a folder"):
        find_cwru(tmp_path / "nope")


def test_suffix_lookup_prefers_the_files_number(tmp_path):
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(2, 2000, 1))
    p = _save(
        tmp_path / "12k_Drive_End_B007_1_119.mat",
        X118_DE_time=a,
        X119_DE_time=b,
        X119RPM=np.array([[1770]]),
        extra=np.ones((3, 3)),
    )
    r = read_cwru(p)
    np.testing.assert_allclose(r.recording.signals[0], b.ravel() * G)
    assert r.rpm == 1770.0 and r.rpm_from_file
    # no variable numbered like the file: the first one
    p = _save(tmp_path / "12k_Drive_End_B007_1_555.mat", X118_DE_time=a, X119_DE_time=b)
    r = read_cwru(p)
    np.testing.assert_allclose(r.recording.signals[0], a.ravel() * G)
    assert r.rpm == 1772.0 and not r.rpm_from_file


def test_non_finite_short_and_ragged_raise(tmp_path):
    x = np.zeros((4000, 1))
    x[1234] = np.nan
    p = _save(tmp_path / IR007, X105_DE_time=x)
    with pytest.raises(DataError, match=r"X105_DE_time.*sample 1234.*finite"):
        read_cwru(p)
    p = _save(tmp_path / IR007, X105_DE_time=np.zeros((100, 1)))
    with pytest.raises(DataError, match=r"100 samples; expected at least 1024"):
        read_cwru(p)
    assert read_cwru(p, min_samples=50).recording.signals.shape == (1, 100)
    p = _save(tmp_path / IR007, X105_DE_time=np.zeros((2000, 1)), X105_FE_time=np.zeros((1999, 1)))
    with pytest.raises(DataError, match="differ in length"):
        read_cwru(p, channels=("DE", "FE"))
    p = _save(tmp_path / IR007, X105_DE_time=np.zeros((2000, 3)))
    with pytest.raises(DataError, match=r"shape \(2000, 3\)"):
        read_cwru(p)


def test_other_mat_names_need_a_rate(tmp_path):
    x = np.sin(np.arange(5000.0))[:, None]
    p = _save(tmp_path / "my_rig.mat", A_DE_time=x, A_RPM=np.array([[1500.0]]))
    with pytest.raises(DataError, match=r"not a CWRU file name.*sample rate"):
        read_cwru(p)
    r = read_cwru(p, rate=25600)
    assert r.info is None and r.recording.fs == 25600.0 and r.rpm == 1500.0
    q = _save(tmp_path / IR007, X105_DE_time=x)
    with pytest.raises(DataError, match="contradicts the file name"):
        read_cwru(q, rate=48000)
    assert read_cwru(q, rate=12000).recording.fs == 12000.0


@pytest.mark.parametrize("channels", [("XX",), (), ("DE", "DE"), "de_time", 5])
def test_bad_channel_arguments(tmp_path, channels):
    p = _save(tmp_path / IR007, X105_DE_time=np.zeros((2000, 1)))
    with pytest.raises(ParameterError, match="channels"):
        read_cwru(p, channels=channels)


def test_lowercase_channel_names_are_accepted(tmp_path):
    p = _save(tmp_path / IR007, X105_DE_time=np.zeros((2000, 1)))
    assert read_cwru(p, channels="de").recording.channel_names == ("DE",)


def test_default_data_dir_honours_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv(DATA_ENV, str(tmp_path))
    assert default_data_dir() == tmp_path
    monkeypatch.setenv(DATA_ENV, str(tmp_path / "absent"))
    assert default_data_dir() is None


def test_find_cwru_lists_only_mat_files(tmp_path):
    for n in ("b.mat", "a.mat", "c.csv"):
        (tmp_path / n).write_text("x")
    (tmp_path / "d.mat").mkdir()
    assert [p.name for p in find_cwru(tmp_path)] == ["a.mat", "b.mat"]
