"""rotordx.io.containers: WAV and Parquet structure checks before scipy / pyarrow parse."""

from __future__ import annotations

import random
import struct

import numpy as np
import pytest
import scipy.io.wavfile

from rotordx.exceptions import DataError
from rotordx.io import ManifestEntry, load_entry
from rotordx.io.containers import check_parquet, check_wav, read_parquet_isolated


def _wav(tmp_path, data: np.ndarray, name: str = "a.wav", rate: int = 8000):
    p = tmp_path / name
    scipy.io.wavfile.write(p, rate, data)
    return p


def _pcm24(n: int = 300) -> bytes:
    pcm = (np.arange(n, dtype="<i4") * 1000).view(np.uint8).reshape(-1, 4)[:, :3].tobytes()
    fmt = struct.pack("<HHIIHH", 1, 1, 8000, 24000, 3, 24)
    chunks = b"fmt " + struct.pack("<I", 16) + fmt + b"data" + struct.pack("<I", len(pcm))
    return b"RIFF" + struct.pack("<I", 4 + len(chunks) + len(pcm)) + b"WAVE" + chunks + pcm


def _valid_wavs(tmp_path) -> list:
    x = np.sin(np.arange(400) / 7.0)
    paths = [
        _wav(tmp_path, np.round(np.column_stack([x, -x]) * 8000).astype(np.int16), "i16.wav"),
        _wav(tmp_path, np.round(x * 100 + 128).astype(np.uint8), "u8.wav"),
        _wav(tmp_path, x.astype(np.float32), "f32.wav"),
        _wav(tmp_path, np.round(x * 1e8).astype(np.int32), "i32.wav"),
    ]
    p = tmp_path / "i24.wav"
    p.write_bytes(_pcm24())
    return [*paths, p]


def _read(path):
    return load_entry(ManifestEntry(path=path, label="x", line=2)).recording


def test_valid_wavs_pass_and_read_as_before(tmp_path):
    for p in _valid_wavs(tmp_path):
        check_wav(p)
        _read(p)
        data = p.read_bytes() + b"da"  # an incomplete chunk ID at the end: skipped
        p.write_bytes(_patched(data, 4, "<I", len(data) - 8))
        check_wav(p)
        _read(p)
        rec = _read(p)
        rate, data = scipy.io.wavfile.read(p)
        assert rec.fs == rate and rec.signals.shape[1] == data.shape[0], p.name


def _patched(data: bytes, pos: int, fmt: str, value: int) -> bytes:
    b = bytearray(data)
    struct.pack_into(fmt, b, pos, value)
    return bytes(b)


@pytest.mark.parametrize(
    ("edit", "fragment"),
    [
        (
            lambda d: _patched(d, 40, "<I", 0xFFFFFFF0),
            "the 'data' chunk at byte 36 claims 4294967280",
        ),
        (lambda d: _patched(d, 16, "<I", 0xFFFFFFF0), "the 'fmt ' chunk at byte 12 claims"),
        (lambda d: _patched(d, 16, "<I", 12), "the 'fmt ' chunk at byte 12 claims 12 bytes"),
        (lambda d: _patched(d, 22, "<H", 0), "0 channel(s)"),
        (lambda d: _patched(d, 32, "<H", 0), "frames of 0 bytes"),
        (lambda d: _patched(d, 32, "<H", 3), "frames of 3 bytes"),
        (lambda d: _patched(d, 24, "<I", 0), "sample rate 0 Hz"),
        (lambda d: _patched(d, 20, "<H", 2), "format tag 0x0002"),
        (lambda d: _patched(d, 40, "<I", 3), "not a whole number of 4-byte frames"),
        (lambda d: d[:30], "claims 16 bytes, 10 present"),
        (lambda d: d[:8], "8 bytes; expected a 12-byte RIFF header"),
        (lambda d: b"RIFX" + d[4:], "'fmt ' chunk at byte 12 claims 268435456 bytes"),
        (lambda d: b"JUNK" + d[4:], "starts with b'JUNK'"),
        (lambda d: d[:8] + b"WAVX" + d[12:], "RIFF form type b'WAVX'"),
        (lambda d: d[:12] + d[36:] + d[12:36], "'data' chunk at byte 12 before any 'fmt ' chunk"),
        (lambda d: _patched(d, 4, "<I", 20), "no 'data' chunk within the RIFF size"),
        (lambda d: d[:36], "no 'data' chunk"),
        (  # a stray chunk header after the data, within the RIFF size (found by the fuzzer)
            lambda d: _patched(d + b"data\x01\x02", 4, "<I", len(d) - 2),
            "truncated chunk header at byte 844 (6 of 8 bytes)",
        ),
        (
            lambda d: _patched(d + b"LIST", 4, "<I", len(d) - 4),
            "truncated chunk header at byte 844 (4 of 8 bytes)",
        ),
        (
            lambda d: (
                b"RF64"
                + b"\xff" * 4
                + b"WAVE"
                + b"ds64"
                + struct.pack("<IQQQI", 28, 99, 2**40, 0, 0)
                + d[12:]
            ),
            "claims 1099511627776 bytes",
        ),
    ],
)
def test_lying_wav_chunks_are_data_errors(tmp_path, edit, fragment):
    stereo = np.zeros((200, 2), dtype=np.int16)
    good = _wav(tmp_path, stereo, "good.wav").read_bytes()
    p = tmp_path / "bad.wav"
    p.write_bytes(edit(good))
    with pytest.raises(DataError) as info:
        check_wav(p)
    assert "bad.wav: not a readable WAV file" in str(info.value)
    assert fragment in str(info.value), str(info.value)
    with pytest.raises(DataError, match=r"line 2: .*bad\.wav: not a readable WAV file"):
        _read(p)


def test_wav_truncations_and_mutations_are_data_errors(tmp_path):
    """Every truncation and 1,500 random edits of valid WAV files: a recording or a
    DataError through load_entry, nothing else (scipy alone raises ZeroDivisionError,
    struct.error, MemoryError on some of them)."""
    rng = random.Random(5)
    seeds = [p.read_bytes() for p in _valid_wavs(tmp_path)]
    p = tmp_path / "m.wav"
    cases = [s[:k] for s in seeds[:2] for k in range(0, 80)]
    for _ in range(1500):
        b = bytearray(rng.choice(seeds))
        for _ in range(rng.randint(1, 3)):
            i = rng.randrange(min(len(b), 64))
            b[i] = rng.choice((0, 0xFF, rng.randrange(256)))
        cases.append(bytes(b))
    outcomes = {"read": 0, "refused": 0}
    for data in cases:
        p.write_bytes(data)
        try:
            _read(p)
            outcomes["read"] += 1
        except DataError as exc:
            assert "m.wav" in str(exc) and "\n" not in str(exc)
            outcomes["refused"] += 1
    assert outcomes["read"] > 0 and outcomes["refused"] > 0, outcomes


def _parquet(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    p = tmp_path / "ok.parquet"
    pq.write_table(pa.table({"a": np.arange(50.0), "b": np.ones(50)}), p)
    return p.read_bytes()


@pytest.mark.parametrize(
    ("edit", "fragment"),
    [
        (lambda d: d[:8], "8 bytes; expected 'PAR1'"),
        (lambda d: b"XXXX" + d[4:], "starts with b'XXXX'"),
        (lambda d: d[:-4] + b"PARE", "an encrypted footer"),
        (lambda d: d[:-1], "ends with"),
        (lambda d: d[:-8] + struct.pack("<I", 0) + b"PAR1", "the footer length 0 does not fit"),
        (lambda d: d[:-8] + struct.pack("<I", 2**31) + b"PAR1", "footer length 2147483648"),
    ],
)
def test_parquet_container_errors(tmp_path, edit, fragment):
    from rotordx.io import read_channels

    p = tmp_path / "bad.parquet"
    p.write_bytes(edit(_parquet(tmp_path)))
    with pytest.raises(DataError) as info:
        check_parquet(p)
    assert "bad.parquet: not a readable Parquet file" in str(info.value)
    assert fragment in str(info.value), str(info.value)
    with pytest.raises(DataError, match=r"bad\.parquet: not a readable Parquet file"):
        read_channels(p, rate=100.0)


def test_valid_parquet_passes(tmp_path):
    p = tmp_path / "ok.parquet"
    p.write_bytes(_parquet(tmp_path))
    assert check_parquet(p) is None  # no error
    table = read_parquet_isolated(p)  # and the forked reader gives the table back intact
    assert table.column_names == ["a", "b"]
    np.testing.assert_array_equal(table.column("a").to_numpy(), np.arange(50.0))


def _zigzag_varint(v: int) -> bytes:
    z, out = (v << 1) ^ (v >> 63), bytearray()
    while True:
        byte, z = z & 0x7F, z >> 7
        out.append(byte | (0x80 if z else 0))
        if not z:
            return bytes(out)


def _lying_row_group(tmp_path, rows: int = 2**34):
    """A valid Parquet file whose row group claims ``rows`` rows (its footer edited; the
    kind of file the fuzzer found pyarrow allocating gigabytes for)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    p = tmp_path / "lying.parquet"
    pq.write_table(pa.table({"a": np.arange(300.0), "b": np.ones(300)}), p)
    data = p.read_bytes()
    n = struct.unpack_from("<I", data, len(data) - 8)[0]
    footer = data[-8 - n : -8]
    # RowGroup fields 2 (total_byte_size) and 3 (num_rows), compact protocol: header 0x16
    # (i64, field delta 1), zigzag varint
    size = _zigzag_varint(pq.ParquetFile(p).metadata.row_group(0).total_byte_size)
    old = b"\x16" + size + b"\x16" + _zigzag_varint(300)
    assert footer.count(old) == 1
    footer = footer.replace(old, b"\x16" + size + b"\x16" + _zigzag_varint(rows))
    p.write_bytes(data[: -8 - n] + footer + struct.pack("<I", len(footer)) + b"PAR1")
    return p


def test_parquet_is_read_in_a_child_process(tmp_path):
    import pyarrow.parquet as pq

    from rotordx.io.containers import read_parquet_isolated

    p = tmp_path / "ok.parquet"
    p.write_bytes(_parquet(tmp_path))
    assert read_parquet_isolated(p).equals(pq.read_table(p))


def test_parquet_memory_blowup_is_a_data_error(tmp_path):
    """pyarrow sizes its buffers by the claimed row count: in the child, under the memory
    limit, that is a DataError (in this process it would take gigabytes)."""
    import resource

    from rotordx.io import read_channels
    from rotordx.io.containers import read_parquet_isolated

    p = _lying_row_group(tmp_path)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(DataError) as info:
        read_parquet_isolated(p, memory=512 * 2**20)
    assert "lying.parquet: not a readable Parquet file" in str(info.value)
    assert "\n" not in str(info.value)
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 200 * 1024  # KiB
    with pytest.raises(DataError, match=r"lying\.parquet: not a readable Parquet file"):
        read_channels(p, rate=100.0)


def test_parquet_child_crash_and_timeout_are_data_errors(tmp_path, monkeypatch):
    import os
    import signal

    from rotordx.io import containers

    p = tmp_path / "ok.parquet"
    p.write_bytes(_parquet(tmp_path))
    with pytest.raises(DataError, match=r"ok\.parquet: .*reading it took longer than 0\.001 s"):
        containers.read_parquet_isolated(p, timeout=0.001)
    monkeypatch.setattr(
        containers, "_parquet_child", lambda *a: os.kill(os.getpid(), signal.SIGSEGV)
    )
    with pytest.raises(DataError, match=r"the Parquet reader crashed \(killed by signal SIGSEGV\)"):
        containers.read_parquet_isolated(p)
