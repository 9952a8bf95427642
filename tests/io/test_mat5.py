"""rotordx.io.mat5: the pure-Python MATLAB v5/v7 reader.

Equal to ``scipy.io.loadmat`` on the real CWRU files and on files ``scipy.io.savemat``
writes (scipy is called here only on such known-good files); a hand-made writer gives
big-endian files, small data elements and the malformed files scipy cannot be trusted
with; truncations and byte flips of valid files give a DataError, never another exception.
"""

from __future__ import annotations

import random
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
import scipy.io
import scipy.sparse

from badinputs import mat5_compressed as compressed
from badinputs import mat5_element as element
from badinputs import mat5_header as header
from badinputs import mat5_matrix as matrix
from rotordx.exceptions import DataError
from rotordx.io import _limits
from rotordx.io.mat5 import parse_mat, read_mat

# -- a minimal MAT-5 writer (either byte order): tests/badinputs.py -------------------------


def doubles(order: str, values, mtype: int = 9, code: str = "f8") -> bytes:
    return element(order, mtype, np.asarray(values, dtype=order + code).tobytes())


def mat_file(order: str, *variables: bytes) -> bytes:
    return header(order) + b"".join(variables)


def column(order: str = "<", name: bytes = b"x", n: int = 5) -> bytes:
    return matrix(order, 6, (n, 1), name, [doubles(order, np.arange(n) * 0.5)])


# -- comparing with scipy ------------------------------------------------------------------


def same(ours, theirs, where: str = "") -> None:
    """``ours`` (read_mat) holds what ``theirs`` (loadmat, mat_dtype=True) holds."""
    if isinstance(ours, dict):
        assert theirs.dtype.names is not None and theirs.size == 1, where
        assert list(ours) == list(theirs.dtype.names), where
        for f in ours:
            same(ours[f], theirs.reshape(-1)[0][f], f"{where}.{f}")
    elif isinstance(ours, str):
        assert theirs.dtype.kind == "U", where
        assert ours == (theirs.reshape(-1)[0] if theirs.size else ""), where
    elif ours.dtype == object:
        assert ours.shape == theirs.shape, where
        if theirs.dtype.names is not None:  # a struct array
            for k in range(ours.size):
                same(ours.reshape(-1)[k], theirs.reshape(-1)[k : k + 1], f"{where}[{k}]")
        else:
            for k in range(ours.size):
                same(ours.reshape(-1)[k], theirs.reshape(-1)[k], f"{where}{{{k}}}")
    else:
        assert ours.dtype == theirs.dtype, (where, ours.dtype, theirs.dtype)
        assert ours.shape == theirs.shape, (where, ours.shape, theirs.shape)
        assert ours.tobytes() == np.ascontiguousarray(theirs).tobytes(), where  # bit-identical


def test_every_cwru_file_equals_scipy(cwru_dir):
    files = sorted(cwru_dir.glob("*.mat"))
    assert len(files) == 31
    for f in files:
        ours = read_mat(f)
        exact = scipy.io.loadmat(f, mat_dtype=True)
        plain = scipy.io.loadmat(f)
        assert list(ours) == [k for k in exact if not k.startswith("__")], f.name
        for k, v in ours.items():
            assert v.flags.writeable and v.dtype.isnative, (f.name, k)
            same(v, exact[k], f"{f.name}:{k}")
            assert np.array_equal(v, plain[k]), (f.name, k)  # values as scipy's default


def _savemat_vars() -> dict:
    rng = np.random.default_rng(0)
    cell = np.empty((2, 1), dtype=object)
    cell[0, 0], cell[1, 0] = rng.standard_normal((3, 2)), "text"
    structs = np.empty((1, 2), dtype=[("a", object), ("b", object)])
    structs[0, 0] = (np.array([[1.0]]), "one")
    structs[0, 1] = (np.array([[2.0, 3.0]]), "two")
    return {
        "col": rng.standard_normal((1000, 1)),
        "row": rng.standard_normal((1, 1000)),
        "matrix": rng.standard_normal((7, 3)),
        "cube": np.arange(24.0).reshape(2, 3, 4),
        "single": rng.standard_normal((4, 1)).astype(np.float32),
        **{t: np.array([[1, 2, 3]], dtype=t) for t in ("int8", "uint8", "int16", "uint16")},
        **{t: np.array([[5], [7]], dtype=t) for t in ("int32", "uint32", "int64", "uint64")},
        "intish": np.array([[1.0, 2.0, 250.0]]),
        "flag": np.array([[True, False, True]]),
        "text": "hello",
        "empty_text": "",
        "rows": np.array(["ab", "cd", "ef"]),
        "empty": np.zeros((0, 3)),
        "scalar": 3.5,
        "nested": {"a": np.arange(3.0), "b": "x", "c": {"d": np.int16(4), "e": [1.0, 2.0]}},
        "structs": structs,
        "cell": cell,
    }


@pytest.mark.parametrize("compress", [False, True], ids=["v5", "v7-compressed"])
def test_savemat_files_equal_scipy(tmp_path, compress):
    p = tmp_path / "vars.mat"
    scipy.io.savemat(p, _savemat_vars(), do_compression=compress)
    ours = read_mat(p)
    theirs = scipy.io.loadmat(p, mat_dtype=True)
    assert list(ours) == [k for k in theirs if not k.startswith("__")]
    for k, v in ours.items():
        same(v, theirs[k], k)
    assert ours["col"].shape == (1000, 1) and ours["row"].shape == (1, 1000)
    assert ours["text"] == "hello" and ours["empty_text"] == ""
    assert list(ours["rows"]) == ["ab", "cd", "ef"]
    assert ours["flag"].dtype == bool  # scipy's default gives uint8
    assert ours["nested"]["c"]["d"].dtype == np.int16
    assert ours["structs"].shape == (1, 2) and ours["structs"][0, 1]["b"] == "two"
    assert ours["cell"][1, 0] == "text"


@pytest.mark.parametrize("compress", [False, True])
def test_complex_keeps_the_imaginary_part(tmp_path, compress):
    p = tmp_path / "z.mat"
    z = np.array([[1 + 2j], [3 - 4j]])
    scipy.io.savemat(p, {"z": z, "zs": z.astype(np.complex64)}, do_compression=compress)
    ours = read_mat(p)
    theirs = scipy.io.loadmat(p)  # (mat_dtype=True drops the imaginary part)
    assert ours["z"].dtype == np.complex128 and np.array_equal(ours["z"], theirs["z"])
    assert ours["zs"].dtype == np.complex64 and np.array_equal(ours["zs"], theirs["zs"])


@pytest.mark.parametrize("order", ["<", ">"], ids=["little-endian", "big-endian"])
def test_both_byte_orders_and_small_elements(tmp_path, order):
    struct_body = [
        element(order, 5, struct.pack(order + "i", 8), small=True),
        element(order, 1, b"gs".ljust(8, b"\0") + b"n".ljust(8, b"\0")),
        matrix(order, 6, (1, 1), b"", [doubles(order, [4.5])]),
        matrix(
            order,
            4,
            (1, 3),
            b"",
            [element(order, 4, "abc".encode("utf-16-be" if order == ">" else "utf-16-le"))],
        ),
    ]
    data = mat_file(
        order,
        column(order, b"X1_DE_time", 6),
        matrix(
            order,
            10,
            (1, 2),
            b"i",
            [element(order, 3, struct.pack(order + "2h", -3, 9), small=True)],
            small_name=True,
        ),
        compressed(order, matrix(order, 2, (1, 1), b"bearing", struct_body)),
        matrix(order, 9, (1, 2), b"L", [element(order, 2, b"\1\0", small=True)], flags=0x200),
    )
    out = parse_mat(data, "hand.mat")
    assert out["X1_DE_time"].dtype == np.float64 and out["X1_DE_time"].dtype.isnative
    assert np.array_equal(out["X1_DE_time"][:, 0], np.arange(6) * 0.5)
    assert out["i"].dtype == np.int16 and out["i"].tolist() == [[-3, 9]]
    assert out["bearing"]["gs"].tolist() == [[4.5]] and out["bearing"]["n"] == "abc"
    assert out["L"].dtype == bool and out["L"].tolist() == [[True, False]]
    if order == "<":  # scipy agrees on the little-endian variant
        p = tmp_path / "hand.mat"
        p.write_bytes(data)
        theirs = scipy.io.loadmat(p, mat_dtype=True)
        for k in ("X1_DE_time", "i", "L"):
            same(out[k], theirs[k], k)


# -- refused files -------------------------------------------------------------------------


def _fails(data: bytes, *fragments: str) -> str:
    with pytest.raises(DataError) as info:
        parse_mat(data, "bad.mat")
    msg = str(info.value)
    assert msg.startswith("bad.mat: ") and "\n" not in msg, msg
    for f in fragments:
        assert f in msg, f"{f!r} not in {msg!r}"
    return msg


def test_not_mat5_files(tmp_path):
    _fails(b"", "not a readable MATLAB v5 .mat file", "truncated", "0 bytes")
    _fails(b"time,a,b\n0,1,2\n" * 20, "are b',b'; expected the endian indicator 'IM' or 'MI'")
    _fails(bytearray(b"time,a,b\n0,1,2\n" * 20), "are b',b'; expected the endian indicator")
    _fails(header(version=0x0200), "a MATLAB v7.3 (HDF5) .mat file", "expected MATLAB v5/v7")
    _fails(header(version=0x0101), "version 0x0101")
    p = tmp_path / "v4.mat"
    scipy.io.savemat(p, {"x": np.ones((3, 1))}, format="4")
    _fails(p.read_bytes(), "MATLAB v4 file or another format", "save(..., '-v7')")


def test_unsupported_classes_are_named(tmp_path):
    p = tmp_path / "sparse.mat"
    scipy.io.savemat(p, {"S": scipy.sparse.eye(3).tocsc()})
    _fails(p.read_bytes(), "variable 1 'S'", "unsupported MATLAB class sparse")
    for cls, what in ((3, "object"), (16, "function handle"), (17, "opaque")):
        data = mat_file("<", matrix("<", cls, (1, 1), b"h", []))
        _fails(data, "variable 1 'h'", f"unsupported MATLAB class {what}")
    _fails(mat_file("<", matrix("<", 99, (1, 1), b"q", [])), "unknown MATLAB class number 99")


@pytest.mark.parametrize(
    ("variable", "fragments"),
    [
        (  # the shared crashers' defect: a data element of type 0 / 2057
            matrix("<", 6, (1, 1), b"X", [element("<", 0, bytes(8))]),
            ("variable 1 'X'", "real part", "unknown (type 0); expected numbers"),
        ),
        (
            matrix("<", 6, (1, 1), b"X", [struct.pack("<II", 2057, 8) + bytes(8)]),
            ("unknown (type 2057)",),
        ),
        (  # dimensions that need more bytes than there are
            matrix("<", 6, (1000, 1), b"X", [doubles("<", [1.0])]),
            ("real part", "8 bytes of double; the dimensions 1000x1 need 1000 values"),
        ),
        (  # ... and more than the limit
            matrix("<", 6, (2**20, 2**20), b"X", [doubles("<", [1.0])]),
            ("double array of 1048576x1048576 would take", "the limit is 2147483648"),
        ),
        (matrix("<", 6, (-1, 1), b"X", []), ("expected sizes >= 0",)),
        (  # empty, but numpy cannot make that shape (found by the fuzzer)
            matrix("<", 1, (2**31 - 1, 3, 2**31 - 1, 0), b"c", []),
            ("dimensions 2147483647x3x2147483647x0: the non-zero ones multiply to",),
        ),
        (matrix("<", 6, (1,) * 40, b"X", []), ("expected 2 to 32 int32 values",)),
        (  # a data element larger than its matrix
            matrix("<", 6, (3, 1), b"X", [struct.pack("<II", 9, 2**31) + bytes(24)]),
            ("truncated or corrupt", "claims 2147483648 bytes"),
        ),
        (
            matrix("<", 6, (1, 1), b"X", [struct.pack("<I", (9 << 16) | 9) + bytes(4)]),
            ("small data element of 9 bytes",),
        ),
        (
            matrix("<", 4, (1, 5), b"s", [element("<", 4, "ab".encode("utf-16-le"))]),
            ("2 characters", "need 5"),
        ),
        (matrix("<", 4, (1, 1), b"s", [element("<", 9, bytes(8))]), ("expected uint16, utf8",)),
        (matrix("<", 4, (1, 2), b"s", [element("<", 16, b"\xff\xfe")]), ("not utf8 text",)),
        (  # a cell array of 2^31 - 1 elements in a few bytes
            matrix("<", 1, (1, 2**31 - 1), b"c", []),
            ("cell array of 2147483647 elements", "the limit is 1048576"),
        ),
        (matrix("<", 1, (1, 3), b"c", []), ("needs at least 24 bytes, 0 left",)),
        (
            matrix(
                "<",
                2,
                (1, 1),
                b"s",
                [element("<", 5, struct.pack("<i", 0), small=True), element("<", 1, b"")],
            ),
            ("field names", "in names of 0 bytes"),
        ),
        (
            matrix(
                "<",
                2,
                (1, 1),
                b"s",
                [
                    element("<", 5, struct.pack("<i", 4), small=True),
                    element("<", 1, b"ab\0\0ab\0\0"),
                ],
            ),
            ("field 'ab' repeated",),
        ),
        (matrix("<", 6, (1, 1), b"X", [doubles("<", [1.0])])[:-4], ("truncated",)),
    ],
    ids=lambda v: v[-1][:40] if isinstance(v, tuple) else "",
)
def test_malformed_elements(variable, fragments):
    _fails(mat_file("<", variable), "not a readable MATLAB v5 .mat file", *fragments)


def test_nesting_is_bounded():
    inner = matrix("<", 6, (1, 1), b"", [doubles("<", [1.0])])
    for _ in range(_limits.MAX_MAT_DEPTH + 2):
        inner = matrix("<", 1, (1, 1), b"", [inner])
    _fails(mat_file("<", inner), "nested deeper than 32 levels")
    ok = matrix("<", 6, (1, 1), b"", [doubles("<", [1.0])])
    for _ in range(5):
        ok = matrix("<", 1, (1, 1), b"c", [ok])
    assert parse_mat(mat_file("<", ok))["c"][0, 0][0, 0][0, 0][0, 0][0, 0].tolist() == [[1.0]]


def test_compressed_elements_are_bounded(monkeypatch):
    """A zip bomb stops at the limit; a tag that lies about the size stops at the stream's
    end; a corrupt checksum is an error."""
    big = matrix("<", 6, (2**20, 1), b"X", [doubles("<", np.zeros(2**20))])  # 8 MiB of zeros
    data = mat_file("<", compressed("<", big))
    assert len(data) < 20_000
    assert parse_mat(data)["X"].shape == (2**20, 1)
    monkeypatch.setattr(_limits, "MAX_MAT_DECOMPRESSED", 2**20)
    _fails(data, f"would decompress to {len(big)} bytes", "the limit is 1048576 bytes per file")
    monkeypatch.undo()
    lying = struct.pack("<II", 14, 2**31 - 16) + bytes(1000)
    _fails(mat_file("<", compressed("<", lying)), "error decompressing", "1008 of the 2147483640")
    _fails(mat_file("<", compressed("<", b"\0" * 4)), "holds 4 bytes; expected a matrix")
    good = compressed("<", column())
    corrupt = good[:-4] + bytes(b ^ 0xFF for b in good[-4:])
    _fails(mat_file("<", corrupt), "error decompressing", "incorrect data check")
    cut = zlib.compress(column())[:-6]
    _fails(mat_file("<", struct.pack("<II", 15, len(cut)) + cut), "error decompressing")
    _fails(mat_file("<", compressed("<", column() + b"junk")), "decompresses to more than")
    _fails(mat_file("<", struct.pack("<II", 15, 0)), "holds 0 bytes")


def test_duplicate_names_keep_the_last():
    a = matrix("<", 6, (1, 1), b"x", [doubles("<", [1.0])])
    b = matrix("<", 6, (1, 1), b"x", [doubles("<", [2.0])])
    assert parse_mat(mat_file("<", a, b))["x"].tolist() == [[2.0]]


def test_read_mat_reports_a_missing_file(tmp_path):
    with pytest.raises(DataError, match=r"nope\.mat: cannot read the \.mat file"):
        read_mat(tmp_path / "nope.mat")


def _valid_files(tmp_path: Path) -> list[bytes]:
    out = []
    variables = _savemat_vars()
    small = {k: variables[k] for k in ("matrix", "int16", "text", "nested", "cell", "flag")}
    for compress in (False, True):
        p = tmp_path / f"v{compress}.mat"
        scipy.io.savemat(p, small, do_compression=compress)
        out.append(p.read_bytes())
    return out


def test_every_truncation_is_a_data_error(tmp_path):
    for data in _valid_files(tmp_path):
        for k in range(len(data)):
            try:
                parse_mat(data[:k], "cut.mat")
            except DataError as exc:
                assert str(exc).startswith("cut.mat: "), exc


def test_byte_flips_give_variables_or_a_data_error(tmp_path):
    """3,000 files with 1 to 4 random bytes changed: never an exception but DataError."""
    rng = random.Random(16)
    files = _valid_files(tmp_path)
    outcomes = {"ok": 0, "error": 0}
    for _ in range(3000):
        data = bytearray(rng.choice(files))
        for _ in range(rng.randint(1, 4)):
            data[rng.randrange(128, len(data))] = rng.randrange(256)
        try:
            parse_mat(bytes(data), "flip.mat")
            outcomes["ok"] += 1
        except DataError:
            outcomes["error"] += 1
    assert outcomes["ok"] > 0 and outcomes["error"] > 0, outcomes


def test_every_class_dims_and_data_type_gives_a_value_or_a_data_error():
    """Classes 0-19 x empty and small dimensions x data types x byte counts x flags."""
    shapes = [(0, 0), (1, 0), (0, 1), (2, 0, 3), (2, 3, 0), (1, 1), (2, 2), (1, 2, 3)]
    shapes += [(0, 2**31 - 1, 2**31 - 1), (2**28, 2**28, 0)]
    outcomes = {"value": 0, "error": 0}
    for cls in range(20):
        for dims in shapes:
            n = int(np.prod(dims))
            for mtype in (1, 2, 4, 5, 9, 14, 16, 17, 18):
                for nbytes in {0, n, 2 * n, 4 * n, 8 * n}:
                    data = element("<", mtype, bytes(nbytes))
                    for parts in ([data], [], [data, data]):
                        for flags in (0, 0x800, 0x200):
                            m = matrix("<", cls, dims, b"v", parts, flags=flags)
                            try:
                                parse_mat(header() + m, "x.mat")
                                outcomes["value"] += 1
                            except DataError:
                                outcomes["error"] += 1
    assert outcomes["value"] > 1000 and outcomes["error"] > 1000, outcomes
