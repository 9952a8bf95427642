"""KAMP reader/writer: round trips and clear errors for malformed files."""

from __future__ import annotations

import numpy as np
import pytest

from rotordx.exceptions import DataError
from rotordx.io import (
    N_SENSORS,
    find_groups,
    load_kamp_group,
    read_kamp_sensor,
    write_kamp_group,
    write_kamp_sensor,
)


def _sensor(n=200, period=0.001):
    t = np.arange(n) * period
    vals = np.column_stack([np.sin(2 * np.pi * 30 * t + k) for k in range(4)])
    return np.column_stack([t, vals])


def test_round_trip_is_exact(tmp_path):
    data = [_sensor(300 + 10 * i, 0.0007 + 1e-5 * i) for i in range(N_SENSORS)]
    write_kamp_group(tmp_path, data, group=3)
    g = load_kamp_group(tmp_path)
    assert g.group == 3
    for s, d in zip(g.sensors, data, strict=True):
        np.testing.assert_array_equal(s.time, d[:, 0])
        np.testing.assert_array_equal(s.values, d[:, 1:])
    assert g.duration == pytest.approx(min(d[-1, 0] for d in data))


def test_written_file_is_headerless_five_columns(tmp_path):
    write_kamp_sensor(tmp_path / "g1_sensor1.csv", _sensor(5))
    lines = (tmp_path / "g1_sensor1.csv").read_text().splitlines()
    assert len(lines) == 5
    assert all(len(line.split(",")) == 5 for line in lines)
    float(lines[0].split(",")[0])  # first line is data, not a header


def _write(tmp_path, text, name="g1_sensor1.csv"):
    p = tmp_path / name
    p.write_text(text)
    return p


GOOD = "0,1,2,3,4\n0.001,1,2,3,4\n0.002,1,2,3,4\n"


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        ("", "file is empty"),
        ("time,normal,type1,type2,type3\n" + GOOD, r"line 1, column 'time'.*'time'.*no header"),
        ("0,1,2,3\n0.001,1,2,3\n", "line 1 has 4 columns; expected 5"),
        (GOOD + "0.003,1,2,3,4,5\n", "line 4 has 6 columns; expected 5"),
        ("0,1,2,3,4\n0.001,1,abc,3,4\n", r"line 2, column 'type1': found 'abc'"),
        ("0,1,2,3,4\n0.001,1,nan,3,4\n", r"line 2, column 'type1'.*finite"),
        ("0,1,2,3,4\n0.001,1,2,inf,4\n", r"line 2, column 'type2'.*finite"),
        ("0,1,2,3,4\n0.001,1,,3,4\n", r"line 2, column 'type1': found ''"),
        ("0,1,2,3,4\n0.002,1,2,3,4\n0.001,1,2,3,4\n", r"line 3: time goes back"),
        ("0,1,2,3,4\n0.001,1,2,3,4\n0.001,1,2,3,4\n", r"line 3: time repeats"),
    ],
)
def test_malformed_sensor_file(tmp_path, text, pattern):
    p = _write(tmp_path, text)
    with pytest.raises(DataError, match=pattern) as info:
        read_kamp_sensor(p)
    assert str(p) in str(info.value)


def test_too_short(tmp_path):
    p = _write(tmp_path, GOOD)
    with pytest.raises(DataError, match=r"covers 0.002 s; expected at least 140 s"):
        read_kamp_sensor(p, min_duration=140)


def test_missing_file(tmp_path):
    with pytest.raises(DataError, match="file not found"):
        read_kamp_sensor(tmp_path / "nope.csv")


def test_group_missing_sensor(tmp_path):
    for s in (1, 2, 4):
        _write(tmp_path, GOOD, f"g1_sensor{s}.csv")
    with pytest.raises(DataError, match=r"group 1 lacks g1_sensor3.csv"):
        load_kamp_group(tmp_path)


def test_empty_folder_and_several_groups(tmp_path):
    with pytest.raises(DataError, match="no KAMP group found"):
        load_kamp_group(tmp_path)
    for g in (1, 2):
        for s in range(1, 5):
            _write(tmp_path, GOOD, f"g{g}_sensor{s}.csv")
    assert find_groups(tmp_path) == [1, 2]
    with pytest.raises(DataError, match=r"holds groups \[1, 2\]"):
        load_kamp_group(tmp_path)
    assert load_kamp_group(tmp_path, group=2).group == 2


def test_not_a_folder(tmp_path):
    with pytest.raises(DataError, match="not a folder"):
        load_kamp_group(tmp_path / "missing")
