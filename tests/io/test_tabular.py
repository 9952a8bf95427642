"""The generic recording reader (CSV / Parquet with or without a time column): which column
is time, the rate it gives, and clear errors."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from rotordx.exceptions import DataError
from rotordx.io import read_channels
from rotordx.io._time import time_scale

FS = 2000.0
N = 400


def _signals(n: int = N) -> np.ndarray:
    t = np.arange(n) / FS
    return np.vstack([np.sin(2 * np.pi * 50 * t), 0.3 * np.cos(2 * np.pi * 120 * t)])


def _write(path, header: str | None, first: np.ndarray | None, x=None, fmt="{:.9g}"):
    x = _signals(len(first) if first is not None else N) if x is None else x
    cols = ([first] if first is not None else []) + list(x)
    lines = [",".join(fmt.format(v) for v in row) for row in zip(*cols, strict=True)]
    path.write_text("\n".join(([header] if header is not None else []) + lines) + "\n")
    return path


@pytest.mark.parametrize(
    ("name", "text", "kwargs", "pattern"),
    [
        ("a.csv", "1,2\n3,4\n", {}, "give the sample rate with --rate"),
        ("a.csv", "", {}, "file is empty"),
        ("a.xls", "1,2\n", {"rate": 10.0}, "unknown extension '.xls'"),
        ("a.csv", "time,a\n0,1\n0,2\n", {}, "time does not increase"),
        ("a.csv", "a,b\n1,x\n", {"rate": 10.0}, "column 'b'"),
        ("a.csv", "time,Time (s),a\n0,0,1\n1,1,2\n", {}, "are all time columns; expected one"),
        ("a.csv", "time [h],a\n0,1\n1,2\n", {}, r"column 'time \[h\]': time in 'h'"),
    ],
)
def test_generic_reader_errors(tmp_path, name, text, kwargs, pattern):
    p = tmp_path / name
    p.write_text(text)
    with pytest.raises(DataError, match=pattern):
        read_channels(p, **kwargs)


@pytest.mark.parametrize(
    ("name", "scale"),
    [
        ("time", 1.0),
        ("Time", 1.0),
        (" t ", 1.0),
        ("time_s", 1.0),
        ("seconds", 1.0),
        ("timestamp", 1.0),
        ("X-Axis", 1.0),
        ("x_axis", 1.0),
        ("x axis", 1.0),
        ("time [s]", 1.0),
        ("Time (s)", 1.0),
        ("time [ms]", 1e-3),
        ("t_ms", 1e-3),
        ("Time (µs)", 1e-6),
        ("time_us", 1e-6),
        ("Elapsed Time", 1.0),
        ("time [h]", "h"),
        ("x", None),
        ("acc_x", None),
        ("Y-Axis", None),
        ("ts", None),
        ("sec_a", None),
    ],
)
def test_time_names(name, scale):
    assert time_scale(name) == scale


@pytest.mark.parametrize(
    "header", ["time", "t", "X-Axis", "x_axis", "time [s]", "Time (s)", "TIMESTAMP", "seconds"]
)
def test_a_named_time_column_gives_the_rate_and_is_no_channel(tmp_path, header):
    p = _write(tmp_path / "r.csv", f"{header},a,b", np.arange(N) / FS)
    rec = read_channels(p)
    assert rec.fs == pytest.approx(FS, rel=1e-9)
    assert rec.channel_names == ("a", "b")
    np.testing.assert_allclose(rec.signals, _signals(), atol=1e-8)


def test_a_time_column_in_milliseconds(tmp_path):
    p = _write(tmp_path / "r.csv", "Time (ms),a,b", np.arange(N) / FS * 1e3)
    assert read_channels(p).fs == pytest.approx(FS)


def test_headerless_first_column_that_increases_uniformly_is_time(tmp_path):
    p = _write(tmp_path / "r.csv", None, 0.25 + np.arange(N) / FS)
    rec = read_channels(p)
    assert rec.fs == pytest.approx(FS) and rec.channel_names == ("f1", "f2")
    assert read_channels(p, rate=FS).fs == FS  # agrees: the rate given is used
    with pytest.raises(DataError) as info:
        read_channels(p, rate=1000.0)
    msg = str(info.value)
    assert "r.csv: column 'f0': the time axis gives 2000 Hz" in msg
    assert "the rate given says 1000 Hz; expected them to agree within 1%" in msg


def test_a_rate_given_within_one_percent_is_used(tmp_path):
    p = _write(tmp_path / "r.csv", "time,a,b", np.arange(N) / FS)
    assert read_channels(p, rate=FS * 1.009).fs == FS * 1.009
    with pytest.raises(DataError, match="agree within 1%"):
        read_channels(p, rate=FS * 1.011)


def test_headerless_time_in_ms_disagreeing_with_the_rate_says_so(tmp_path):
    p = _write(tmp_path / "r.csv", None, np.arange(N) / FS * 1e3 + 0.5)
    with pytest.raises(DataError, match=r"a time axis in ms\? name the column"):
        read_channels(p, rate=FS)


def test_headerless_signal_first_column_is_a_channel(tmp_path):
    """A vibration signal does not increase at every sample: it stays a channel."""
    p = _write(tmp_path / "r.csv", None, None)
    with pytest.raises(DataError, match="no time column"):
        read_channels(p)
    rec = read_channels(p, rate=FS)
    assert rec.channel_names == ("f0", "f1")
    np.testing.assert_allclose(rec.signals, _signals(), atol=1e-8)


def test_headerless_short_increasing_first_column_is_a_channel(tmp_path):
    """Under 16 rows an increasing first column may be a slow signal: not taken as time."""
    p = _write(tmp_path / "r.csv", None, np.arange(15) / FS + 1.0)
    assert read_channels(p, rate=FS).channel_names == ("f0", "f1", "f2")


def test_a_sample_index_is_dropped(tmp_path):
    """A first column 0, 1, 2 … (headerless, or named index / nothing, as pandas writes
    it) counts samples: dropped, and the rate must come from elsewhere."""
    x = _signals()
    for header in (None, ",a,b", "index,a,b"):
        p = _write(tmp_path / "r.csv", header, np.arange(N, dtype=float), x=x, fmt="{:.12g}")
        rec = read_channels(p, rate=FS)
        assert rec.signals.shape == (2, N) and rec.fs == FS
    p = _write(
        tmp_path / "r.csv", ",time,a", np.arange(N, dtype=float), x=[np.arange(N) / FS, x[0]]
    )
    assert read_channels(p).channel_names == ("a",)


def test_a_jittery_clock_is_accepted_a_gap_is_not(tmp_path):
    """Time stamps that wander by up to 4 sample periods (a real clock, VBL-VA001's, wanders
    by 2.2) are accepted; a missing sample (a step of twice the mean) is refused."""
    i = np.arange(N)
    t = (i + 2.5 * np.sin(2 * np.pi * i / N)) / FS  # wanders 2.5 sample periods
    t[100] += 0.4 / FS  # one late stamp: steps of 1.4 and 0.6 periods
    assert read_channels(_write(tmp_path / "j.csv", "t,a,b", t)).fs == pytest.approx(FS, rel=1e-3)
    gap = np.delete(np.arange(N + 1) / FS, 200)
    with pytest.raises(DataError) as info:
        read_channels(_write(tmp_path / "g.csv", "t,a,b", gap))
    msg = str(info.value)
    assert "g.csv: line 202, column 't': time step 0.001 s, the mean step is" in msg
    assert "expected every step within 50% of the mean (a missing or repeated sample?" in msg
    drift = (i + 6 * np.sin(2 * np.pi * i / N)) / FS  # wanders 6 sample periods
    with pytest.raises(DataError, match=r"sample periods off the uniform grid .* at most 4"):
        read_channels(_write(tmp_path / "d.csv", "t,a,b", drift))
    assert read_channels(tmp_path / "d.csv", rate=FS).fs == FS  # the user's word


def test_iso_timestamps_and_epoch_seconds(tmp_path):
    start = np.datetime64("2024-03-01T12:00:00", "ns")
    stamps = start + (np.arange(N) * 1e9 / FS).astype("timedelta64[ns]")
    iso = [str(s) for s in stamps]
    x = _signals()
    p = tmp_path / "iso.csv"
    p.write_text(
        "timestamp,a,b\n"
        + "\n".join(f"{s},{a:.9g},{b:.9g}" for s, a, b in zip(iso, *x, strict=True))
    )
    rec = read_channels(p)
    assert rec.fs == pytest.approx(FS) and rec.channel_names == ("a", "b")
    q = tmp_path / "iso_headerless.csv"
    q.write_text("\n".join(f"{s}Z,{a:.9g}" for s, a in zip(iso, x[0], strict=True)))
    assert read_channels(q).channel_names == ("f1",)
    e = _write(tmp_path / "epoch.csv", "timestamp,a,b", 1.7e9 + np.arange(N) / FS, fmt="{:.7f}")
    assert read_channels(e).fs == pytest.approx(FS, rel=1e-4)
    ms = _write(tmp_path / "ms.csv", "timestamp,a,b", 1.7e12 + np.arange(N) * 0.5, fmt="{:.3f}")
    with pytest.raises(DataError, match=r"ms\.csv: line 2, column 'timestamp': found 1\.7e\+12; "):
        read_channels(ms)
    pq.write_table(pa.table({"time": pa.array(stamps), "a": x[0]}), tmp_path / "t.parquet")
    assert read_channels(tmp_path / "t.parquet").fs == pytest.approx(FS)


def test_epoch_milliseconds_named_in_ms_are_read(tmp_path):
    p = _write(tmp_path / "r.csv", "timestamp [ms],a,b", 1.7e12 + np.arange(N) * 0.5, fmt="{:.3f}")
    assert read_channels(p).fs == pytest.approx(FS, rel=1e-6)


def test_vbl_sample_reads_with_its_time_column():
    """The VBL-VA001 files: headerless, time in s (a clock that wanders), x, y, z in g."""
    from rotordx.io.datadir import default_data_dir

    root = default_data_dir()
    files = sorted((root / "vbl_va001_sample").glob("*/*.csv")) if root else []
    if not files:
        pytest.skip(f"VBL-VA001 sample not found under {root}")
    for path in files:
        rec = read_channels(path)
        assert rec.channel_names == ("f1", "f2", "f3")
        assert rec.fs == pytest.approx(20000, rel=1e-4)
        assert read_channels(path, rate=20000).fs == 20000


@pytest.mark.parametrize(
    ("rate", "nominal"),
    [
        (19999.39, 20000.0),
        (4095.99, 4096.0),
        (8191.9, 8192.0),
        (16384.4, 16384.0),
        (44100.0, 44100.0),
        (25600.0, 25600.0),
        (1234.5678, 1234.6),
        (3000.003, 3000.0),
    ],
)
def test_rates_from_time_steps_are_rounded_within_0_01_percent(rate, nominal):
    from rotordx.io._time import nominal_rate

    assert nominal_rate(rate) == nominal


def test_default_rate_is_a_fallback_not_a_claim(tmp_path):
    """A manifest-wide --rate serves files without a time column; a file with one keeps its
    own rate. A rate given for the file itself must agree."""
    from rotordx.io import ManifestEntry, load_entry

    timed = _write(tmp_path / "timed.csv", "time,a,b", np.arange(N) / FS)
    bare = _write(tmp_path / "bare.csv", "a,b", None)
    e1 = ManifestEntry(path=timed, label="x", line=2, manifest=tmp_path / "m.csv")
    e2 = ManifestEntry(path=bare, label="x", line=3, manifest=tmp_path / "m.csv")
    assert load_entry(e1, default_rate=1000.0).recording.fs == FS
    assert load_entry(e2, default_rate=1000.0).recording.fs == 1000.0
    e3 = ManifestEntry(path=timed, label="x", rate=1000.0, line=4, manifest=tmp_path / "m.csv")
    with pytest.raises(DataError) as info:
        load_entry(e3)
    assert str(info.value) == (
        f"{tmp_path / 'm.csv'}: line 4: {timed}: column 'time': the time axis gives 2000 Hz, "
        "the rate given says 1000 Hz; expected them to agree within 1%"
    )
