"""Manifests: CWRU round trip, CSV/Parquet/WAV recordings, and strict validation
with errors that name the manifest, the line and the column."""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import scipy.io
import scipy.io.wavfile

from rotordx.exceptions import DataError, ParameterError
from rotordx.io.cwru import G, find_cwru
from rotordx.io.manifest import ManifestEntry, read_manifest, write_cwru_manifest
from rotordx.io.recording import LabeledRecording
from rotordx.io.sources import load_entry

#: A CWRU file name: its channels are DE, FE, BA.
CWRU = "12k_Drive_End_IR007_0_105.mat"

# ---------------------------------------------------------------- CWRU round trip


@pytest.mark.parametrize("through", ["folder", "symlink"])
def test_cwru_round_trip(cwru_dir, tmp_path, through):
    if through == "symlink":  # e.g. ../shared a symbolic link: the manifest holds real paths
        link = tmp_path / "linked-data"
        link.symlink_to(cwru_dir.resolve(), target_is_directory=True)
        cwru_dir = link
    out = tmp_path / "sub" / "cwru.csv"
    assert write_cwru_manifest(cwru_dir, out) == out
    lines = out.read_text().splitlines()
    assert lines[0] == "path,label,rate,channel,rpm,condition"
    assert len(lines) == 32
    # the writer resolves links (of the data and of the output folder) before relating them
    target = (cwru_dir / "normal_0_97.mat").resolve()
    rel = Path(os.path.relpath(target, out.parent.resolve())).as_posix()
    assert ".." in rel and "linked-data" not in rel
    assert f"{rel},normal,48000,DE,1797,0hp" in lines
    assert not list(out.parent.glob(".*.tmp"))  # atomic write leaves nothing behind

    entries = read_manifest(out, labels={"normal", "inner_race", "ball", "outer_race"})
    assert len(entries) == 31
    assert [e.path for e in entries] == [p.resolve() for p in find_cwru(cwru_dir)]
    assert [e.line for e in entries] == list(range(2, 33))
    by_name = {e.path.name: e for e in entries}
    e = by_name["12k_Drive_End_OR007@6_1_131.mat"]
    assert (e.label, e.rate, e.channel, e.rpm, e.condition) == (
        "outer_race",
        12000.0,
        "DE",
        1772.0,
        "1hp",
    )
    rec = load_entry(e)
    assert isinstance(rec, LabeledRecording)
    assert rec.label == "outer_race" and rec.rpm == 1772.0 and rec.condition == "1hp"
    assert rec.recording.fs == 12000.0 and rec.recording.channel_names == ("DE",)
    raw = scipy.io.loadmat(e.path)["X131_DE_time"].ravel()
    np.testing.assert_allclose(rec.recording.signals[0], raw * G)
    n = load_entry(by_name["normal_0_97.mat"])
    assert n.recording.fs == 48000.0 and n.label == "normal"
    ir = load_entry(by_name["12k_Drive_End_IR028_0_3001.mat"])
    assert ir.rpm == 1797.0 and ir.recording.signals.shape == (1, 120801)


def test_cwru_manifest_with_sizes_and_defaults_from_file(cwru_dir, tmp_path):
    out = write_cwru_manifest(cwru_dir, tmp_path / "m.csv", labels="type_size")
    labels = {e.label for e in read_manifest(out)}
    assert labels == {
        "normal",
        *(f"inner_race_{s}" for s in ("007", "014", "021", "028")),
        *(f"ball_{s}" for s in ("007", "014", "021", "028")),
        *(f"outer_race_{s}" for s in ("007", "014", "021")),
    }
    # without rpm/condition/rate columns: speed from the file, condition from the load
    rel = Path(os.path.relpath(cwru_dir / "12k_Drive_End_IR007_3_108.mat", tmp_path))
    (tmp_path / "small.csv").write_text(f"path,label,channel\n{rel.as_posix()},ir,DE;FE\n")
    (entry,) = read_manifest(tmp_path / "small.csv")
    rec = load_entry(entry)
    assert rec.rpm == 1721.0  # the file's RPM, not the nominal 1730
    assert rec.condition == "3hp"
    assert rec.recording.channel_names == ("DE", "FE")
    with pytest.raises(ParameterError, match="labels"):
        write_cwru_manifest(cwru_dir, tmp_path / "x.csv", labels="size")


def test_write_cwru_manifest_errors(tmp_path):
    with pytest.raises(DataError, match="not a folder"):
        write_cwru_manifest(tmp_path / "absent", tmp_path / "m.csv")
    with pytest.raises(DataError, match=r"no \.mat files"):
        write_cwru_manifest(tmp_path, tmp_path / "m.csv")
    scipy.io.savemat(tmp_path / "rig.mat", {"X_DE_time": np.zeros((10, 1))})
    with pytest.raises(DataError, match=r"rig\.mat: not a CWRU file name"):
        write_cwru_manifest(tmp_path, tmp_path / "m.csv")
    assert not (tmp_path / "m.csv").exists()


# ---------------------------------------------------------------- user recordings


FS = 1000.0


@pytest.fixture
def recordings(tmp_path):
    """A CSV with a time column, a headerless CSV, a Parquet file and two WAVs."""
    d = tmp_path / "data"
    d.mkdir()
    t = np.arange(2000) / FS
    a = np.sin(2 * np.pi * 30 * t)
    b = 0.5 * np.cos(2 * np.pi * 45 * t)
    np.savetxt(
        d / "timed.csv",
        np.column_stack([t, a, b]),
        delimiter=",",
        header="time,acc_x,acc_y",
        comments="",
        fmt="%.17g",
    )
    np.savetxt(d / "bare.csv", np.column_stack([a, b]), delimiter=",")
    pq.write_table(pa.table({"x": a, "y": b, "z": a + b}), d / "table.parquet")
    pcm = np.round(np.column_stack([a, b]) * 16384).astype(np.int16)
    scipy.io.wavfile.write(d / "stereo.wav", 8000, pcm)
    scipy.io.wavfile.write(d / "mono.wav", 4000, a.astype(np.float32))
    return tmp_path, a, b


def test_synthetic_manifest_loads(recordings):
    root, a, b = recordings
    m = root / "manifest.csv"
    m.write_text(
        "path,label,rate,channel,rpm,condition\n"
        "data/timed.csv,normal,,acc_y,1800,run1\n"
        "\n"
        "data/bare.csv,unbalance,1000,,,\n"
        "data/table.parquet,looseness,2000,z;x,1500.5,\n"
        f"{(root / 'data' / 'stereo.wav').as_posix()},normal,,ch1,,mic\n"
        "data/mono.wav,normal,4000,,,\n"
    )
    entries = read_manifest(m, labels=["normal", "unbalance", "looseness"])
    assert [e.line for e in entries] == [2, 4, 5, 6, 7]
    assert entries[0] == ManifestEntry(
        path=(root / "data" / "timed.csv").resolve(),
        label="normal",
        rate=None,
        channel="acc_y",
        rpm=1800.0,
        condition="run1",
        line=2,
        manifest=m,
    )
    recs = [load_entry(e) for e in entries]
    r = recs[0].recording
    assert r.fs == pytest.approx(FS) and r.channel_names == ("acc_y",)
    np.testing.assert_allclose(r.signals[0], b)
    assert (recs[0].rpm, recs[0].condition) == (1800.0, "run1")
    r = recs[1].recording
    assert r.fs == FS and r.signals.shape == (2, 2000)
    assert recs[1].rpm is None and recs[1].condition is None
    r = recs[2].recording
    assert r.fs == 2000.0 and r.channel_names == ("z", "x")
    np.testing.assert_allclose(r.signals, [a + b, a])
    r = recs[3].recording
    assert r.fs == 8000.0 and r.channel_names == ("ch1",)
    np.testing.assert_allclose(r.signals[0], np.round(b * 16384) / 32768)
    assert recs[3].condition == "mic"
    r = recs[4].recording
    assert r.fs == 4000.0 and r.channel_names == ("ch0",)
    np.testing.assert_allclose(r.signals[0], a, atol=1e-6)


def test_default_rate_applies_to_bare_csv(recordings):
    root, _, _ = recordings
    m = root / "m.csv"
    m.write_text("path,label\ndata/bare.csv,normal\n")
    (entry,) = read_manifest(m)
    with pytest.raises(DataError, match=r"m\.csv: line 2: .*sample rate"):
        load_entry(entry)
    assert load_entry(entry, default_rate=500.0).recording.fs == 500.0


def test_load_errors_name_the_line(recordings):
    root, _, _ = recordings
    m = root / "m.csv"
    m.write_text(
        "path,label,rate,channel\n"
        "data/timed.csv,a,,acc_z\n"
        "data/stereo.wav,a,44100,\n"
        "data/stereo.wav,a,,ch2\n"
    )
    e1, e2, e3 = read_manifest(m)
    with pytest.raises(DataError, match=r"line 2, column 'channel'.*no channel 'acc_z'.*acc_x"):
        load_entry(e1)
    with pytest.raises(DataError, match=r"line 3, column 'rate'.*44100.*8000 Hz"):
        load_entry(e2)
    with pytest.raises(DataError, match=r"line 4, column 'channel'.*'ch2'.*ch0, ch1"):
        load_entry(e3)
    (root / "data" / "fake.wav").write_text("not a wav")
    m.write_text("path,label\ndata/fake.wav,a\n")
    with pytest.raises(DataError, match=r"line 2: .*fake\.wav: not a readable WAV"):
        load_entry(read_manifest(m)[0])
    (root / "data" / "fake.mat").write_text("not a mat")
    m.write_text("path,label,rate\ndata/fake.mat,a,100\n")
    with pytest.raises(DataError, match=r"line 2: .*fake\.mat: not a readable MATLAB"):
        load_entry(read_manifest(m)[0])


# ---------------------------------------------------------------- validation


def _check(tmp_path, text, pattern, **kwargs):
    """``text`` as manifest.csv must raise a DataError matching ``pattern``, naming the file."""
    data = tmp_path / "data"
    data.mkdir(exist_ok=True)
    for name in ("a.csv", "b.parquet", "c.wav", "d.mat", "e.txt", CWRU):
        (data / name).write_text("x")
    m = tmp_path / "manifest.csv"
    m.write_text(text)
    with pytest.raises(DataError) as info:
        read_manifest(m, **kwargs)
    msg = str(info.value)
    assert str(m) in msg
    assert re.search(pattern, msg), msg
    return msg


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        ("", r"manifest is empty"),
        ("\n\n", r"manifest is empty"),
        ("path,label\n", r"header but no entries"),
        ("file,label\ndata/a.csv,x\n", r"line 1: missing column\(s\) path"),
        ("path\ndata/a.csv\n", r"line 1: missing column\(s\) label"),
        ("path,label,rmp\ndata/a.csv,x,3\n", r"line 1, column 'rmp': unknown column"),
        ("path,label,label\ndata/a.csv,x,y\n", r"line 1: column\(s\) label repeated"),
        ("path,label\ndata/a.csv,x,extra\n", r"line 2: 3 cells; expected 2"),
        ("path,label\n,x\n", r"line 2, column 'path': empty"),
        ("path,label\ndata/a.csv,\n", r"line 2, column 'label': empty"),
        (
            "path,label\ndata/a.csv,x\n\ndata/missing.csv,x\n",
            r"line 4, column 'path': file "
            r"'data/missing.csv' not found \(resolved to .*data/missing\.csv\)",
        ),
        (
            "path,label\ndata/e.txt,x\n",
            r"line 2, column 'path': 'data/e.txt' has unsupported "
            r"extension '.txt'; expected one of .mat, .csv, .parquet, .wav",
        ),
        (
            "path,label,rate\ndata/a.csv,x,-5\n",
            r"line 2, column 'rate': found '-5', expected a "
            r"positive number",
        ),
        ("path,label,rate\ndata/a.csv,x,0\n", r"line 2, column 'rate'"),
        ("path,label,rate\ndata/a.csv,x,fast\n", r"line 2, column 'rate': found 'fast'"),
        ("path,label,rate\ndata/a.csv,x,nan\n", r"line 2, column 'rate'"),
        ("path,label,rpm\ndata/a.csv,x,1e400\n", r"line 2, column 'rpm'"),
        ("path,label,rpm\ndata/a.csv,x,-1800\n", r"line 2, column 'rpm': found '-1800'"),
        (
            f"path,label,channel\ndata/{CWRU},x,XY\n",
            r"line 2, column 'channel': XY is not a "
            r"\.mat channel; expected DE, FE, BA",
        ),
        ("path,label,channel\ndata/a.csv,x,a;;b\n", r"line 2, column 'channel': .*empty"),
        ("path,label,channel\ndata/a.csv,x,a;a\n", r"line 2, column 'channel': .*repeats"),
        (
            "path,label\ndata/a.csv,x\ndata/../data/a.csv,y\n",
            r"line 3, column 'path': "
            r"'data/../data/a.csv' \(channel default\) is already listed on line 2",
        ),
        (
            f"path,label,channel\ndata/{CWRU},x,de\ndata/{CWRU},x,DE\n",
            r"line 3, column 'path'.*"
            r"already listed on line 2",
        ),
    ],
)
def test_manifest_errors(tmp_path, text, pattern):
    _check(tmp_path, text, pattern)


def test_channels_of_other_mat_files_name_variables(tmp_path):
    """Only a CWRU-named .mat file has the channels DE/FE/BA; another names variables, as
    written (MATLAB names are case-sensitive)."""
    (tmp_path / "d.mat").write_text("x")
    m = tmp_path / "manifest.csv"
    m.write_text('path,label,channel\nd.mat,x,"bearing.gs;Data.Acc(:,2)"\nd.mat,y,de\nd.mat,z,DE\n')
    assert [e.channels for e in read_manifest(m)] == [
        ("bearing.gs", "Data.Acc(:,2)"),
        ("de",),
        ("DE",),
    ]


def test_unknown_label(tmp_path):
    msg = _check(
        tmp_path,
        "path,label\ndata/a.csv,normal\ndata/b.parquet,misalign\n",
        r"line 3, column 'label': unknown label 'misalign'",
        labels=("normal", "unbalance"),
    )
    assert "expected one of normal, unbalance" in msg


def test_missing_manifest(tmp_path):
    with pytest.raises(DataError, match="manifest not found"):
        read_manifest(tmp_path / "nope.csv")


def test_same_file_with_different_channels_is_allowed(tmp_path):
    (tmp_path / CWRU).write_text("x")
    m = tmp_path / "m.csv"
    m.write_text(f"path,label,channel\n{CWRU},x,DE\n{CWRU},x,fe\n")
    e1, e2 = read_manifest(m)
    assert (e1.channel, e2.channel, e2.channels) == ("DE", "FE", ("FE",))


def test_header_is_case_and_space_insensitive_and_bom_tolerated(tmp_path):
    (tmp_path / "a.csv").write_text("1,2\n3,4\n")
    m = tmp_path / "m.csv"
    m.write_bytes("\ufeffPath, Label ,Rate\na.csv, x ,10\n".encode())
    (e,) = read_manifest(m)
    assert (e.label, e.rate) == ("x", 10.0)


# ---------------------------------------------------------------- machine metadata

META = "path,label,rate,channel,machine,bearing,units,sensitivity,direction\n"


def _csv(tmp_path, name="r.csv", columns=("x", "y", "z"), n=64):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, len(columns)))
    np.savetxt(tmp_path / name, x, delimiter=",", header=",".join(columns), comments="")
    return x


def test_machine_bearing_units_direction_are_read_and_applied(tmp_path):
    x = _csv(tmp_path)
    m = tmp_path / "m.csv"
    m.write_text(META + "r.csv,normal,1000,x;z,P-101,9:7.94:39.04:0,g,,h;A\n")
    (e,) = read_manifest(m)
    assert (e.machine, e.bearing, e.units, e.sensitivity) == ("P-101", "9:7.94:39.04:0", "g", None)
    assert e.directions == ("horizontal", "axial")
    r = load_entry(e)
    assert (r.machine, r.bearing, r.directions, r.units) == (
        "P-101",
        "9:7.94:39.04:0",
        ("horizontal", "axial"),
        "m/s2",
    )
    # g converted to m/s², channel by channel
    np.testing.assert_allclose(r.recording.signals, x[:, [0, 2]].T * 9.80665)


def test_volts_with_a_sensitivity(tmp_path):
    x = _csv(tmp_path, columns=("v",))
    m = tmp_path / "m.csv"
    m.write_text(META + "r.csv,normal,1000,,,,V,50 mV/g,vertical\n")
    r = load_entry(read_manifest(m)[0])
    np.testing.assert_allclose(r.recording.signals[0], x[:, 0] * 1000 / 50 * 9.80665)
    assert r.directions == ("vertical",)


def test_without_units_the_values_stay_as_they_are(tmp_path):
    x = _csv(tmp_path)
    m = tmp_path / "m.csv"
    m.write_text("path,label,rate\nr.csv,normal,1000\n")
    r = load_entry(read_manifest(m)[0])
    assert r.units is None and r.machine is None and r.directions is None
    np.testing.assert_array_equal(r.recording.signals, x.T)


@pytest.mark.parametrize(
    ("row", "pattern"),
    [
        ("r.csv,normal,1000,,,,furlongs,,", r"line 2, column 'units': unknown units 'furlongs'"),
        ("r.csv,normal,1000,,,,V,,", r"line 2, column 'sensitivity': empty; units 'V' need"),
        ("r.csv,normal,1000,,,,g,100,", r"line 2, column 'sensitivity': '100' is only used"),
        ("r.csv,normal,1000,,,,V,-3,", r"line 2, column 'sensitivity': .*positive"),
        ("r.csv,normal,1000,,,,,,up", r"line 2, column 'direction': 'up'; expected horizontal"),
        ("r.csv,normal,1000,x;y,,,,,h", r"line 2, column 'direction': 1 direction\(s\) for 2"),
        ("r.csv,normal,1000,,,2:5:4:0,,,", r"line 2, column 'bearing': '2:5:4:0'; expected"),
        ("r.csv,normal,1000,,,9:a:39:0,,,", r"line 2, column 'bearing'"),
        ("r.csv,normal,1000,,,9:8:39:95,,,", r"line 2, column 'bearing'"),
    ],
)
def test_metadata_errors_name_line_and_column(tmp_path, row, pattern):
    _csv(tmp_path)
    m = tmp_path / "m.csv"
    m.write_text(META + row + "\n")
    with pytest.raises(DataError, match=pattern):
        read_manifest(m)


def test_direction_count_is_checked_against_the_file(tmp_path):
    _csv(tmp_path)  # three columns
    m = tmp_path / "m.csv"
    m.write_text(META + "r.csv,normal,1000,,,,,,h;v\n")
    with pytest.raises(DataError, match=r"line 2, column 'direction': 2 direction\(s\) for the 3"):
        load_entry(read_manifest(m)[0])


def test_units_on_a_cwru_file_are_refused(cwru_dir, tmp_path):
    f = next(iter(find_cwru(cwru_dir)))
    m = tmp_path / "m.csv"
    m.write_text(f"path,label,units\n{f},normal,g\n")
    with pytest.raises(DataError, match="read in m/s2 already"):
        load_entry(read_manifest(m)[0])
