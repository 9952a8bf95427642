"""Builders of small valid inputs and of the bad-input corpus (``tests/test_bad_inputs.py``).

Everything is generated into a temporary folder at test time; no data file is committed.
Each :class:`Case` is one row of the corpus: how to build the bad input, which Python
call and which ``rotordx`` command line read it, the rotordx exception expected and the
fragments its message must contain (the file, the line or column/variable, what was found
and what was expected).
"""

from __future__ import annotations

import os
import pickle
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rotordx.exceptions import BundleError, DataError, RotordxError

#: Samples per KAMP sensor in the corpus: 0.6 s at ~1 kHz, enough for `rotordx preprocess`.
KAMP_ROWS = 600
#: Rate and length of the CSV / Parquet / .mat recordings of the corpus.
FS = 1000.0
N_SAMPLES = 4000


# -- valid inputs -----------------------------------------------------------------------------


def kamp_array(sensor: int, n: int = KAMP_ROWS) -> np.ndarray:
    """A valid KAMP sensor array (n, 5): uneven clock near 1 kHz, four sine-like states."""
    rng = np.random.default_rng(sensor)
    period = 0.001 + 1e-5 * sensor
    t = np.arange(n) * period + rng.uniform(0, 1e-5, n)
    t[0] = 0.0
    t = np.maximum.accumulate(t)
    vals = [np.sin(2 * np.pi * 30 * t + k) * (1 + k) for k in range(4)]
    return np.column_stack([t, *vals])


def kamp_lines(data: np.ndarray) -> list[str]:
    """The lines of a headerless KAMP CSV for ``data``."""
    return [",".join(f"{v:.9g}" for v in row) for row in data]


def write_lines(path: Path, lines: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(("\n".join(lines) + "\n").encode("utf-8", "surrogateescape"))
    return path


def write_kamp(directory: Path, *, group: int = 1, n: int = KAMP_ROWS) -> Path:
    """A valid KAMP group ``g{group}_sensor1..4.csv`` in ``directory``."""
    for s in range(1, 5):
        write_lines(directory / f"g{group}_sensor{s}.csv", kamp_lines(kamp_array(s, n)))
    return directory


def edit_kamp(directory: Path, sensor: int, edit: Callable[[list[str]], list[str]]) -> Path:
    """Rewrite sensor ``sensor`` of group 1 through ``edit`` (a function of its lines)."""
    p = directory / f"g1_sensor{sensor}.csv"
    write_lines(p, edit(p.read_text().splitlines()))
    return p


def set_cell(lines: list[str], line: int, column: int, text: str) -> list[str]:
    """``lines`` with the cell at 1-based ``line``, 0-based ``column`` replaced by ``text``."""
    cells = lines[line - 1].split(",")
    cells[column] = text
    return [*lines[: line - 1], ",".join(cells), *lines[line:]]


def signal(n: int = N_SAMPLES, *, seed: int = 0, channels: int = 2) -> np.ndarray:
    """(channels, n) vibration-like samples at :data:`FS`."""
    rng = np.random.default_rng(seed)
    t = np.arange(n) / FS
    x = np.sin(2 * np.pi * 29 * t) + 0.1 * rng.standard_normal(n)
    return np.vstack([x * (1 + 0.5 * c) for c in range(channels)])


def write_csv(path: Path, *, n: int = N_SAMPLES, seed: int = 0, time: bool = True) -> Path:
    """A CSV with a header ``time,a,b`` (or ``a,b``), one row per sample."""
    sig = signal(n, seed=seed)
    cols = [np.arange(n) / FS] if time else []
    data = np.column_stack([*cols, *sig])
    header = ("time," if time else "") + "a,b"
    return write_lines(path, [header, *(",".join(f"{v:.9g}" for v in row) for row in data)])


def write_parquet(path: Path, columns: dict | None = None, *, n: int = N_SAMPLES) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    if columns is None:
        sig = signal(n)
        columns = {"time": np.arange(n) / FS, "a": sig[0], "b": sig[1]}
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table(columns), path)
    return path


#: A CWRU file name: 12 kHz, drive-end inner-race fault, 0 hp, number 105.
CWRU_NAME = "12k_Drive_End_IR007_0_105.mat"


def write_mat(path: Path, variables: dict | None = None, *, n: int = N_SAMPLES) -> Path:
    """A CWRU-style .mat file (``X105_DE_time``, ``X105_FE_time`` in g, ``X105RPM``)."""
    import scipy.io

    if variables is None:
        sig = signal(n) / 9.80665
        variables = {
            "X105_DE_time": sig[0][:, None],
            "X105_FE_time": sig[1][:, None],
            "X105RPM": np.array([[1797.0]]),
        }
    path.parent.mkdir(parents=True, exist_ok=True)
    scipy.io.savemat(path, variables)
    return path


def write_manifest(path: Path, rows: list[str], header: str = "path,label,rate") -> Path:
    return write_lines(path, [header, *rows])


def valid_recordings(root: Path) -> Path:
    """Two labelled CSV recordings and their manifest ``manifest.csv`` (4 s at 1 kHz each)."""
    write_csv(root / "normal.csv", seed=0)
    write_csv(root / "fault.csv", seed=1)
    return write_manifest(root / "manifest.csv", ["normal.csv,normal,", "fault.csv,fault,"])


class _Payload:
    """A pickle that, if ever unpickled, creates ``marker``."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self):
        import pathlib

        return (pathlib.Path.touch, (pathlib.Path(self.marker),))


def write_seed_bundle(run: Path) -> Path:
    """A valid (untrained) seed-protocol bundle, as tests/test_bundle.py writes one."""
    from dataclasses import asdict

    from rotordx.data.seed import PreprocessConfig
    from rotordx.models import make_classifier
    from rotordx.models.bundle import save_bundle
    from rotordx.models.registry import build_network
    from rotordx.signal import MinMaxScaling

    clf = make_classifier("dnn")
    clf.module = build_network("dnn", seed=0)
    clf.module.eval()
    clf.is_fitted = True
    scaler = MinMaxScaling((0.0,) * 4, (1.0,) * 4)
    spec = {"preprocess": asdict(PreprocessConfig()), "scaler": scaler.to_dict()}
    save_bundle(run, classifier=clf, classes=("normal", "type1", "type2", "type3"), input=spec)
    return run


def write_window_bundle(run: Path) -> Path:
    """A valid (untrained) window-protocol bundle for :func:`valid_recordings`' classes."""
    from rotordx.models import make_classifier
    from rotordx.models.bundle import save_bundle
    from rotordx.models.registry import build_network

    args = {"n_channels": 2, "n_classes": 2}
    clf = make_classifier("wdcnn", **args)
    clf.module = build_network("wdcnn", seed=0, **args)
    clf.module.eval()
    clf.mean, clf.std = np.zeros(2, np.float32), np.ones(2, np.float32)
    clf.is_fitted = True
    spec = {"fs": FS, "window": 512, "hop": 256, "n_channels": 2, "duration": 140.0}
    save_bundle(run, classifier=clf, classes=("normal", "fault"), input=spec)
    return run


# -- the corpus -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One bad input.

    ``build(root)`` writes it under ``root`` and returns a dict of paths (``str``); the keys
    fill the ``{placeholders}`` of ``cli``. ``api(paths)`` is the Python call that
    must raise ``error``; both routes' messages must contain every fragment (``cli_fragments``
    when the command line reaches the input through another check).
    """

    name: str
    build: Callable[[Path], dict]
    api: Callable[[dict], object]
    cli: tuple[str, ...]
    error: type[RotordxError]
    fragments: tuple[str, ...]
    cli_fragments: tuple[str, ...] | None = None


def _api(name: str, **kw) -> Callable[[dict], object]:
    """A call of a rotordx reader on ``paths['target']``."""

    def call(paths: dict):
        if name == "read_kamp_sensor":
            from rotordx.io import read_kamp_sensor

            return read_kamp_sensor(paths["target"], **kw)
        if name == "load_kamp_group":
            from rotordx.io import load_kamp_group

            return load_kamp_group(paths["target"], **kw)
        if name == "read_channels":
            from rotordx.io import read_channels

            return read_channels(paths["target"], **kw)
        if name == "read_cwru":
            from rotordx.io import read_cwru

            return read_cwru(paths["target"], **kw)
        if name == "read_recording":
            from rotordx.io import read_recording

            return read_recording(paths["target"], **kw)
        if name == "read_manifest":
            from rotordx.io import read_manifest

            return read_manifest(paths["target"], **kw)
        if name == "load_entries":
            from rotordx.io import load_entry, read_manifest

            return [load_entry(e) for e in read_manifest(paths["target"], **kw)]
        if name == "load_data":
            from rotordx.data.dataset import load_data

            return load_data(paths["target"], **kw)
        if name == "split":
            from rotordx.data.dataset import load_data
            from rotordx.data.splits import WindowConfig, split_dataset

            return split_dataset(load_data(paths["target"]), config=WindowConfig(**kw))
        if name == "load_model":
            from rotordx.models.loading import load_model

            return load_model(paths["target"])
        raise AssertionError(name)

    call.__name__ = name
    return call


# Command lines. `preprocess` reads a KAMP group without torch; `train --model features`
# reads any data source (manifest, folder) before it trains anything.
PREPROCESS = ("preprocess", "{data}", "{out}/pre.parquet")
#: Windows of 512 samples: recordings of :data:`N_SAMPLES` hold train/valid/test blocks of them.
WINDOW = ("--window", "512", "--hop", "256")
TRAIN_QUIET = (
    *("train", "{data}", "--model", "features", "--out", "{out}/run"),
    *("--threads", "1", "--quiet", *WINDOW),
)


def _kamp(edit_sensor: int | None = None, edit=None, *, remove: int | None = None):
    def build(root: Path) -> dict:
        d = write_kamp(root / "group")
        target = d / f"g1_sensor{edit_sensor or 1}.csv"
        if edit is not None:
            target = edit_kamp(d, edit_sensor, edit)
        if remove is not None:
            (d / f"g1_sensor{remove}.csv").unlink()
        return {"data": str(d), "target": str(target), "dir": str(d)}

    return build


def _group_target(build):
    def wrapped(root: Path) -> dict:
        p = build(root)
        return {**p, "target": p["dir"]}

    return wrapped


def _empty_sensor(root: Path) -> dict:
    d = write_kamp(root / "group")
    (d / "g1_sensor3.csv").write_bytes(b"")
    return {"data": str(d), "target": str(d / "g1_sensor3.csv"), "dir": str(d)}


def _header_row(lines):
    return ["time,normal,type1,type2,type3", *lines]


def _shorter_sensor(root: Path) -> dict:
    d = write_kamp(root / "group")
    write_lines(d / "g1_sensor2.csv", kamp_lines(kamp_array(2, n=200)))
    return {"data": str(d), "target": str(d), "dir": str(d)}


def _empty_folder(root: Path) -> dict:
    d = root / "empty"
    d.mkdir()
    return {"data": str(d), "target": str(d)}


def _csv(edit: Callable[[list[str]], list[str]] | None = None, *, name="rec.csv", **kw):
    """A CSV recording edited by ``edit`` and a manifest listing it (rate 1000 Hz)."""

    def build(root: Path) -> dict:
        p = write_csv(root / name, **kw)
        if edit is not None:
            write_lines(p, edit(p.read_text().splitlines()))
        m = write_manifest(root / "manifest.csv", [f"{name},normal,1000", "ok.csv,fault,1000"])
        write_csv(root / "ok.csv", seed=3)
        return {"data": str(m), "target": str(p), "manifest": str(m)}

    return build


def _raw(name: str, content: bytes | Callable[[Path], bytes], *, rate: str = "1000"):
    """A file ``name`` with raw ``content`` (or content derived from a valid file) + manifest."""

    def build(root: Path) -> dict:
        p = root / name
        if callable(content):
            p.write_bytes(content(root))
        else:
            p.write_bytes(content)
        write_csv(root / "ok.csv", seed=3)
        m = write_manifest(root / "manifest.csv", [f"{name},normal,{rate}", "ok.csv,fault,1000"])
        return {"data": str(m), "target": str(p), "manifest": str(m)}

    return build


def _parquet(columns_of: Callable[[], dict]):
    def build(root: Path) -> dict:
        p = write_parquet(root / "rec.parquet", columns_of())
        write_csv(root / "ok.csv", seed=3)
        m = write_manifest(root / "manifest.csv", ["rec.parquet,normal,1000", "ok.csv,fault,1000"])
        return {"data": str(m), "target": str(p), "manifest": str(m)}

    return build


def _truncated(writer: Callable[[Path], Path], keep: float) -> Callable[[Path], bytes]:
    def content(root: Path) -> bytes:
        data = writer(root / "valid" / "file").read_bytes()
        return data[: int(len(data) * keep)]

    return content


def _mat(variables_of: Callable[[], dict] | None = None, *, name: str = CWRU_NAME):
    """A .mat file (CWRU name: read by folder) with the given variables."""

    def build(root: Path) -> dict:
        d = root / "cwru"
        p = write_mat(d / name, None if variables_of is None else variables_of())
        write_mat(d / "normal_0_97.mat", _normal_vars())
        return {"data": str(d), "target": str(p)}

    return build


def _normal_vars() -> dict:
    sig = signal(4 * N_SAMPLES, seed=5) / 9.80665
    return {"X097_DE_time": sig[0][:, None], "X097_FE_time": sig[1][:, None]}


#: The 128-byte header of a MATLAB v7.3 file (HDF5 follows; scipy cannot read it).
MAT73_HEADER = (
    (
        b"MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: Mon Jan  1 00:00:00 2024 HDF5 schema"
    ).ljust(116, b" ")
    + bytes(8)
    + b"\x00\x02IM"
)


def _corrupt_compressed_mat(root: Path) -> bytes:
    """A compressed (v7) .mat file whose last zlib stream has a wrong checksum."""
    import scipy.io

    p = root / "valid.mat"
    scipy.io.savemat(p, _mat_vars()(), do_compression=True)
    data = bytearray(p.read_bytes())
    data[-4:] = bytes(b ^ 0xFF for b in data[-4:])  # the last variable's zlib checksum
    return bytes(data)


def _mat_raw(content: bytes | Callable[[Path], bytes]):
    def build(root: Path) -> dict:
        d = root / "cwru"
        d.mkdir()
        p = d / CWRU_NAME
        p.write_bytes(content(root) if callable(content) else content)
        write_mat(d / "normal_0_97.mat", _normal_vars())
        return {"data": str(d), "target": str(p)}

    return build


def _mat_vars(**overrides) -> Callable[[], dict]:
    def variables() -> dict:
        sig = signal() / 9.80665
        v = {
            "X105_DE_time": sig[0][:, None],
            "X105_FE_time": sig[1][:, None],
            "X105RPM": np.array([[1797.0]]),
        }
        v.update(overrides)
        return {k: val for k, val in v.items() if val is not None}

    return variables


def _with(arr: np.ndarray, i: int, value: float) -> np.ndarray:
    arr = arr.copy()
    arr.reshape(-1)[i] = value
    return arr


def _manifest(rows: list[str], header: str = "path,label,rate", *, run: bool = False):
    """A manifest over two valid CSV recordings (and, with ``run``, a window bundle)."""

    def build(root: Path) -> dict:
        write_csv(root / "normal.csv", seed=0)
        write_csv(root / "fault.csv", seed=1)
        m = write_manifest(root / "manifest.csv", rows, header)
        paths = {"data": str(m), "target": str(m)}
        return {**paths, "run": str(write_window_bundle(root / "run"))} if run else paths

    return build


def _empty_manifest(root: Path) -> dict:
    m = root / "manifest.csv"
    m.write_bytes(b"")
    return {"data": str(m), "target": str(m)}


def _pickle_as_run(root: Path) -> dict:
    p = root / "model.pkl"
    p.write_bytes(pickle.dumps(_Payload(root / "pwned")))
    write_kamp(root / "group")
    return {"run": str(p), "target": str(p), "data": str(root / "group")}


def _pickle_in_bundle(root: Path) -> dict:
    run = write_seed_bundle(root / "run")
    (run / "model.safetensors").write_bytes(pickle.dumps(_Payload(root / "pwned")))
    write_kamp(root / "group")
    return {"run": str(run), "target": str(run), "data": str(root / "group")}


def _torch_pickle_in_bundle(root: Path) -> dict:
    import torch

    run = write_seed_bundle(root / "run")
    torch.save({"w": torch.zeros(3)}, run / "model.safetensors")
    write_kamp(root / "group")
    return {"run": str(run), "target": str(run), "data": str(root / "group")}


EVALUATE = ("evaluate", "{run}", "{data}")

#: Acceleration bound of KAMP and CWRU files (m/s²); see docs/inputs.md.
BOUND = "1e+06 m/s²"

CASES: tuple[Case, ...] = (
    # -- KAMP sensor files and groups (headerless CSV, 5 columns) --------------------------
    Case(
        "kamp_empty_file",
        _empty_sensor,
        _api("read_kamp_sensor"),
        PREPROCESS,
        DataError,
        ("g1_sensor3.csv", "file is empty", "expected 5 numeric columns"),
    ),
    Case(
        "kamp_header_row",
        _kamp(1, _header_row),
        _api("read_kamp_sensor"),
        PREPROCESS,
        DataError,
        ("g1_sensor1.csv", "line 1, column 'time'", "found 'time'", "expected a number", "header"),
    ),
    Case(
        "kamp_four_columns",
        _kamp(2, lambda ls: [*ls[:4], ls[4].rsplit(",", 1)[0], *ls[5:]]),
        _api("read_kamp_sensor"),
        PREPROCESS,
        DataError,
        ("g1_sensor2.csv", "line 5 has 4 columns", "expected 5"),
    ),
    Case(
        "kamp_six_columns",
        _kamp(4, lambda ls: [*ls[:6], ls[6] + ",1.0", *ls[7:]]),
        _api("read_kamp_sensor"),
        PREPROCESS,
        DataError,
        ("g1_sensor4.csv", "line 7 has 6 columns", "expected 5"),
    ),
    Case(
        "kamp_six_columns_everywhere",
        _kamp(1, lambda ls: [line + ",0" for line in ls]),
        _api("read_kamp_sensor"),
        PREPROCESS,
        DataError,
        ("g1_sensor1.csv", "line 1 has 6 columns", "expected 5"),
    ),
    Case(
        "kamp_text_in_column",
        _kamp(3, lambda ls: set_cell(ls, 10, 3, "abc")),
        _api("read_kamp_sensor"),
        PREPROCESS,
        DataError,
        ("g1_sensor3.csv", "line 10, column 'type2'", "found 'abc'", "expected a number"),
    ),
    Case(
        "kamp_nan",
        _kamp(1, lambda ls: set_cell(ls, 12, 1, "nan")),
        _api("read_kamp_sensor"),
        PREPROCESS,
        DataError,
        ("g1_sensor1.csv", "line 12, column 'normal'", "found nan", "expected a finite number"),
    ),
    Case(
        "kamp_inf",
        _kamp(2, lambda ls: set_cell(ls, 3, 4, "-inf")),
        _api("read_kamp_sensor"),
        PREPROCESS,
        DataError,
        ("g1_sensor2.csv", "line 3, column 'type3'", "found -inf", "expected a finite number"),
    ),
    Case(
        "kamp_time_repeated",
        _kamp(1, lambda ls: set_cell(ls, 20, 0, ls[18].split(",")[0])),
        _api("read_kamp_sensor"),
        PREPROCESS,
        DataError,
        ("g1_sensor1.csv", "line 20", "time repeats 0.0", "expected strictly increasing time"),
    ),
    Case(
        "kamp_time_backwards",
        _kamp(4, lambda ls: set_cell(ls, 30, 0, "0.001")),
        _api("read_kamp_sensor"),
        PREPROCESS,
        DataError,
        ("g1_sensor4.csv", "line 30", "time goes back to 0.001", "expected strictly increasing"),
    ),
    Case(
        "kamp_absurd_magnitude",
        _kamp(3, lambda ls: set_cell(ls, 40, 2, "3.5e7")),
        _api("read_kamp_sensor"),
        PREPROCESS,
        DataError,
        ("g1_sensor3.csv", "line 40, column 'type1'", "found 3.5e+07", f"|x| <= {BOUND}"),
    ),
    Case(
        "kamp_shorter_than_requested",
        _group_target(_kamp()),
        _api("load_kamp_group", min_duration=5.0),
        ("train", "{data}", "--model", "dnn", "--out", "{out}/run", "--split", "3000,1000,1000"),
        DataError,
        ("g1_sensor1.csv", "recording covers 0.6", "expected at least 5 s"),
        cli_fragments=("group: each class has 5", "the split 3000/1000/1000 needs 5000"),
    ),
    Case(
        "kamp_sensors_of_different_durations",
        _shorter_sensor,
        _api("load_kamp_group"),
        PREPROCESS,
        DataError,
        ("g1_sensor2.csv", "covers 0.203 s", "g1_sensor4.csv 0.623 s", "expected every sensor"),
    ),
    Case(
        "kamp_missing_sensor_file",
        _group_target(_kamp(remove=3)),
        _api("load_kamp_group"),
        PREPROCESS,
        DataError,
        ("group 1 lacks g1_sensor3.csv",),
    ),
    Case(
        "kamp_empty_data_folder",
        _empty_folder,
        _api("load_kamp_group"),
        PREPROCESS,
        DataError,
        ("empty", "no KAMP group found", "expected files g<N>_sensor1.csv"),
    ),
    Case(
        "empty_data_folder_any_source",
        _empty_folder,
        _api("load_data"),
        TRAIN_QUIET,
        DataError,
        ("empty", "neither a KAMP group", "nor CWRU .mat files"),
    ),
    # -- CSV / Parquet recordings (read_channels), through a manifest on the command line -----
    Case(
        "csv_empty_file",
        _raw("rec.csv", b""),
        _api("read_channels", rate=FS),
        TRAIN_QUIET,
        DataError,
        ("rec.csv", "file is empty", "expected one column per channel"),
    ),
    Case(
        "csv_header_only",
        _raw("rec.csv", b"time,a,b\n"),
        _api("read_channels", rate=FS),
        TRAIN_QUIET,
        DataError,
        ("rec.csv", "0 data rows", "expected at least 2 samples"),
    ),
    Case(
        "csv_text_in_column",
        _csv(lambda ls: set_cell(ls, 6, 2, "oops")),
        _api("read_channels"),
        TRAIN_QUIET,
        DataError,
        ("rec.csv", "line 6, column 'b'", "found 'oops'", "expected a number"),
    ),
    Case(
        "csv_ragged_line",
        _csv(lambda ls: set_cell(ls, 9, 2, "1,2")),
        _api("read_channels"),
        TRAIN_QUIET,
        DataError,
        ("rec.csv", "line 9 has 4 cells", "expected 3"),
    ),
    Case(
        "csv_nan",
        _csv(lambda ls: set_cell(ls, 5, 0, "nan")),
        _api("read_channels"),
        TRAIN_QUIET,
        DataError,
        ("rec.csv", "line 5, column 'time'", "found nan", "expected a finite number"),
    ),
    Case(
        "csv_inf_in_channel",
        _csv(lambda ls: set_cell(ls, 7, 1, "inf"), time=False, name="bare.csv"),
        _api("read_channels", rate=FS),
        TRAIN_QUIET,
        DataError,
        ("bare.csv", "line 7, column 'b'", "found inf", "expected a finite number"),
    ),
    Case(
        "csv_time_repeated",
        _csv(lambda ls: set_cell(ls, 11, 0, ls[9].split(",")[0])),
        _api("read_channels"),
        TRAIN_QUIET,
        DataError,
        ("rec.csv", "line 11, column 'time'", "found 0.008 again", "expected strictly increasing"),
    ),
    Case(
        "csv_time_backwards",
        _csv(lambda ls: set_cell(ls, 21, 0, "0.002")),
        _api("read_channels"),
        TRAIN_QUIET,
        DataError,
        ("rec.csv", "line 21, column 'time'", "found 0.002 after 0.018", "strictly increasing"),
    ),
    Case(
        "csv_absurd_magnitude",
        _csv(lambda ls: set_cell(ls, 8, 1, "2e15")),
        _api("read_channels"),
        TRAIN_QUIET,
        DataError,
        ("rec.csv", "line 8, column 'a'", "found 2e+15", "|x| <= 1e+12"),
    ),
    Case(
        "csv_duplicate_column",
        _csv(lambda ls: ["time,a,a", *ls[1:]]),
        _api("read_channels"),
        TRAIN_QUIET,
        DataError,
        ("rec.csv", "line 1", "column 'a' repeated", "expected distinct"),
    ),
    Case(
        "csv_header_not_utf8",
        _csv(lambda ls: ["time,\udcff,b", *ls[1:]]),
        _api("read_channels"),
        TRAIN_QUIET,
        DataError,
        ("rec.csv", "line 1, column names: found b'\\xff'", "not UTF-8", "expected readable"),
    ),
    Case(
        "csv_no_rate",
        _raw("bare.csv", lambda r: write_csv(r / "v.csv", time=False).read_bytes(), rate=""),
        _api("read_channels"),
        TRAIN_QUIET,
        DataError,
        ("bare.csv", "no time column", "sample rate"),
    ),
    Case(
        "unknown_extension",
        _raw("rec.xlsx", b"PK\x03\x04 not really a spreadsheet"),
        _api("read_channels", rate=FS),
        TRAIN_QUIET,
        DataError,
        ("rec.xlsx", "'.xlsx'", "expected"),
    ),
    Case(
        "unknown_data_path_extension",
        lambda root: {
            "data": str(write_lines(root / "data.txt", ["1,2", "3,4"])),
            "target": str(root / "data.txt"),
        },
        _api("load_data"),
        TRAIN_QUIET,
        DataError,
        ("data.txt", "expected a KAMP group folder", "manifest .csv"),
    ),
    Case(
        "parquet_truncated",
        _raw("rec.parquet", _truncated(lambda p: write_parquet(p.with_suffix(".parquet")), 0.6)),
        _api("read_channels"),
        TRAIN_QUIET,
        DataError,
        ("rec.parquet", "not a readable Parquet file", "truncated"),
    ),
    Case(
        "parquet_not_parquet",
        _raw("rec.parquet", b"time,a,b\n0,1,2\n"),
        _api("read_channels"),
        TRAIN_QUIET,
        DataError,
        ("rec.parquet", "not a readable Parquet file"),
    ),
    Case(
        "parquet_text_column",
        _parquet(lambda: {"a": np.zeros(100), "b": ["x"] * 100}),
        _api("read_channels", rate=FS),
        TRAIN_QUIET,
        DataError,
        ("rec.parquet", "row 1, column 'b'", "found 'x'", "expected a number"),
    ),
    Case(
        "parquet_nan",
        _parquet(lambda: {"a": _with(np.zeros(100), 41, np.nan), "b": np.ones(100)}),
        _api("read_channels", rate=FS),
        TRAIN_QUIET,
        DataError,
        ("rec.parquet", "row 42, column 'a'", "found nan", "expected a finite number"),
    ),
    Case(
        "parquet_no_rows",
        _parquet(lambda: {"a": np.zeros(0), "b": np.zeros(0)}),
        _api("read_channels", rate=FS),
        TRAIN_QUIET,
        DataError,
        ("rec.parquet", "0 data rows", "expected at least 2 samples"),
    ),
    # -- .mat files (CWRU layout) -------------------------------------------------------------
    Case(
        "mat_truncated",
        _mat_raw(_truncated(lambda p: write_mat(p.with_suffix(".mat")), 0.5)),
        _api("read_cwru"),
        TRAIN_QUIET,
        DataError,
        (CWRU_NAME, "not a readable MATLAB v5 .mat file", "truncated"),
    ),
    Case(
        "mat_not_matlab",
        _mat_raw(b"time,a,b\n0,1,2\n" * 20),
        _api("read_cwru"),
        TRAIN_QUIET,
        DataError,
        (CWRU_NAME, "not a readable MATLAB v5 .mat file"),
    ),
    Case(
        "mat_empty_file",
        _mat_raw(b""),
        _api("read_cwru"),
        TRAIN_QUIET,
        DataError,
        (CWRU_NAME, "not a readable MATLAB v5 .mat file"),
    ),
    Case(
        "mat_v73_hdf5",
        _mat_raw(MAT73_HEADER + b"\x89HDF\r\n\x1a\n" + bytes(200)),
        _api("read_cwru"),
        TRAIN_QUIET,
        DataError,
        (CWRU_NAME, "MATLAB v7.3 (HDF5)", "expected MATLAB v5/v7"),
    ),
    Case(
        "mat_corrupt_compressed_variable",
        _mat_raw(_corrupt_compressed_mat),
        _api("read_cwru"),
        TRAIN_QUIET,
        DataError,
        (CWRU_NAME, "not a readable MATLAB v5 .mat file", "decompressing"),
    ),
    Case(
        "mat_without_expected_variables",
        _mat(lambda: {"vibration": signal()[0][:, None], "speed": np.array([[1797.0]])}),
        _api("read_cwru"),
        TRAIN_QUIET,
        DataError,
        (CWRU_NAME, "no DE channel", "'DE_time'", "variables: vibration, speed"),
    ),
    Case(
        "mat_nan",
        _mat(_mat_vars(X105_DE_time=_with(signal()[0][:, None], 17, np.nan))),
        _api("read_cwru"),
        TRAIN_QUIET,
        DataError,
        (CWRU_NAME, "variable 'X105_DE_time', sample 17", "found nan", "expected finite values"),
    ),
    Case(
        "mat_absurd_magnitude",
        _mat(_mat_vars(X105_DE_time=_with(signal()[0][:, None], 99, 5e5))),
        _api("read_cwru"),
        TRAIN_QUIET,
        DataError,
        (CWRU_NAME, "variable 'X105_DE_time', sample 99", "500000 g", f"|x| <= {BOUND}"),
    ),
    Case(
        "mat_text_variable",
        _mat(_mat_vars(X105_DE_time="not a signal")),
        _api("read_cwru"),
        TRAIN_QUIET,
        DataError,
        (CWRU_NAME, "variable 'X105_DE_time'", "found text", "expected numbers"),
    ),
    Case(
        "mat_matrix_variable",
        _mat(_mat_vars(X105_DE_time=np.zeros((N_SAMPLES, 3)))),
        _api("read_cwru"),
        TRAIN_QUIET,
        DataError,
        (CWRU_NAME, "variable 'X105_DE_time' has shape (4000, 3)", "expected (n, 1)"),
    ),
    # -- manifests ----------------------------------------------------------------------------
    Case(
        "manifest_empty",
        _empty_manifest,
        _api("read_manifest"),
        TRAIN_QUIET,
        DataError,
        ("manifest.csv", "manifest is empty", "expected a header row"),
    ),
    Case(
        "manifest_missing_file",
        _manifest(["normal.csv,normal,1000", "gone.csv,fault,1000"]),
        _api("read_manifest"),
        TRAIN_QUIET,
        DataError,
        ("manifest.csv: line 3, column 'path'", "'gone.csv' not found", "resolved to"),
    ),
    Case(
        "manifest_unknown_label",
        _manifest(["normal.csv,normal,1000", "fault.csv,bogus,1000"], run=True),
        _api("read_manifest", labels=("normal", "fault")),
        EVALUATE,
        DataError,
        ("manifest.csv: line 3, column 'label'", "unknown label 'bogus'", "expected one of"),
    ),
    Case(
        "manifest_path_with_nul_byte",
        _manifest(["normal.csv,normal,1000", "fa\x00ult.csv,fault,1000"]),
        _api("read_manifest"),
        TRAIN_QUIET,
        DataError,
        ("manifest.csv: line 3, column 'path'", "'fa\\x00ult.csv'", "not a usable file path"),
    ),
    Case(
        "manifest_negative_rate",
        _manifest(["normal.csv,normal,-1000", "fault.csv,fault,1000"]),
        _api("read_manifest"),
        TRAIN_QUIET,
        DataError,
        ("manifest.csv: line 2, column 'rate'", "found '-1000'", "expected a positive number"),
    ),
    Case(
        "manifest_wrong_cell_count",
        _manifest(["normal.csv,normal,1000,extra", "fault.csv,fault,1000"]),
        _api("read_manifest"),
        TRAIN_QUIET,
        DataError,
        ("manifest.csv: line 2", "4 cells", "expected 3"),
    ),
    Case(
        "manifest_mat_channel_absent",
        lambda root: {
            **_mat(_mat_vars(X105_FE_time=None))(root),
            "data": str(
                write_manifest(
                    root / "manifest.csv",
                    [f"cwru/{CWRU_NAME},fault,,DE;FE", "cwru/normal_0_97.mat,normal,,DE;FE"],
                    "path,label,rate,channel",
                )
            ),
            "target": str(root / "manifest.csv"),
        },
        _api("load_entries"),
        TRAIN_QUIET,
        DataError,
        ("manifest.csv: line 2", CWRU_NAME, "no FE channel", "channels present: DE"),
    ),
    Case(
        "manifest_recording_shorter_than_a_window",
        lambda root: {
            **_manifest(["normal.csv,normal,1000", "short.csv,fault,1000"])(root),
            "short": str(write_csv(root / "short.csv", n=900)),
        },
        _api("split", window=512, hop=256),
        TRAIN_QUIET,
        DataError,
        ("short.csv", "recording has 900 samples", "windows of 512 need at least 3584"),
    ),
    # -- bundles (test_bundle.py covers the API on a pickled model.safetensors) -------------
    Case(
        "bundle_is_a_pickle_file",
        _pickle_as_run,
        _api("load_model"),
        EVALUATE,
        BundleError,
        ("model.pkl", "neither a run folder nor an ONNX model", "rotordx train"),
    ),
    Case(
        "bundle_weights_are_a_pickle",
        _pickle_in_bundle,
        _api("load_model"),
        EVALUATE,
        BundleError,
        ("model.safetensors", "not a readable safetensors file"),
    ),
    Case(
        "bundle_weights_are_torch_save",
        _torch_pickle_in_bundle,
        _api("load_model"),
        EVALUATE,
        BundleError,
        ("model.safetensors", "not a readable safetensors file"),
    ),
)


# -- issue 13: time columns, generic MATLAB files, TDMS, UFF 58 ----------------------------


def _listed(name: str, writer: Callable[[Path], object], *, rate: str = "", channel: str = ""):
    """``name`` written by ``writer(path)`` and a manifest listing it on line 2 (with
    ``rate`` and ``channel``) and a valid CSV on line 3."""

    def build(root: Path) -> dict:
        p = root / name
        writer(p)
        write_csv(root / "ok.csv", seed=3)
        m = write_manifest(
            root / "manifest.csv",
            [f"{name},normal,{rate},{channel}", "ok.csv,fault,1000,"],
            "path,label,rate,channel",
        )
        return {"data": str(m), "target": str(m), "file": str(p)}

    return build


def _timed_csv(header: str, t: np.ndarray) -> Callable[[Path], Path]:
    def write(path: Path) -> Path:
        sig = signal(len(t))
        rows = (",".join(f"{v:.12g}" for v in row) for row in np.column_stack([t, *sig]))
        return write_lines(path, [header, *rows])

    return write


def _gap() -> np.ndarray:
    """Times at 1 kHz with sample 2000 missing."""
    return np.delete(np.arange(N_SAMPLES + 1) / FS, 2000)


def _generic_mat(variables: Callable[[], dict]) -> Callable[[Path], Path]:
    def write(path: Path) -> Path:
        import scipy.io

        scipy.io.savemat(path, variables())
        return path

    return write


def _mfpt() -> dict:
    return {"bearing": {"gs": signal()[0][:, None], "sr": FS, "rate": 25.0, "load": 270.0}}


def _tdms(channels: Callable[[], list], *, keep: float = 1.0) -> Callable[[Path], None]:
    """A TDMS file of ``[(group, channel, data, properties)]`` (cut to ``keep``)."""

    def write(path: Path) -> None:
        import pytest

        pytest.importorskip("nptdms")
        from nptdms import ChannelObject, GroupObject, TdmsWriter

        chans = channels()
        with TdmsWriter(str(path)) as w:
            groups = [GroupObject(g) for g in dict.fromkeys(c[0] for c in chans)]
            w.write_segment(groups + [ChannelObject(g, c, d, properties=p) for g, c, d, p in chans])
        data = path.read_bytes()
        path.write_bytes(data[: int(len(data) * keep)])

    return write


def _wf(unit: str = "g") -> dict:
    return {"wf_increment": 1 / FS, "wf_start_offset": 0.0, "unit_string": unit}


def _lying_tdms(path: Path) -> None:
    """A channel of 4 doubles whose raw data index claims 2^40 values (8 TiB): npTDMS alone
    reads the 4 values and only warns that the data does not fill a chunk."""
    _tdms(lambda: [("Vib", "x", signal(4)[0], _wf())])(path)
    data = bytearray(path.read_bytes())
    at = data.index(b"/'Vib'/'x'") + len(b"/'Vib'/'x'")
    struct.pack_into("<Q", data, at + 12, 2**40)
    path.write_bytes(bytes(data))


def _incomplete_tdms(path: Path) -> None:
    """Found by fuzzing npTDMS alone (seed 3): three segments (a time, a float32 and an int16
    channel; a string channel in the first) whose first segment's next-segment offset is
    0xFFFFFFFFFFFFFFFF (a segment still being written). npTDMS then reads string offsets
    from the data of the segments after it and asks for gigabytes: MemoryError under 1 GiB
    (types.py, read_values). rotordx refuses it on npTDMS's warning, in its child process."""
    import pytest

    pytest.importorskip("nptdms")
    from nptdms import ChannelObject, GroupObject, TdmsWriter

    fs = 5000.0

    def sig(n: int, k: int) -> np.ndarray:
        t = np.arange(n) / fs
        return np.sin(2 * np.pi * (30 + 7 * k) * t) * (1 + k) + 0.05 * np.cos(2 * np.pi * 900 * t)

    with TdmsWriter(str(path)) as w:
        for s in range(3):
            objs = [GroupObject("Meta"), GroupObject("Data")] if s == 0 else []
            objs += [
                ChannelObject("Data", "Time", np.arange(s * 200, (s + 1) * 200) / fs),
                ChannelObject("Data", "a", sig(200, s).astype(np.float32)),
                ChannelObject("Data", "b", (sig(200, s) * 1000).astype(np.int16)),
            ]
            if s == 0:
                objs.append(ChannelObject("Meta", "note", np.array(["one", "two"])))
            w.write_segment(objs)
    data = bytearray(path.read_bytes())
    struct.pack_into("<Q", data, 12, 2**64 - 1)
    path.write_bytes(bytes(data))


def _uff(records: Callable[[], list[dict]], *, edit=None) -> Callable[[Path], None]:
    """A UFF file of type-58 records ``{node, dir, data, func, inc}`` (text edited by
    ``edit``)."""

    def write(path: Path) -> None:
        import pytest

        pyuff = pytest.importorskip("pyuff")
        sets = []
        for r in records():
            data = r["data"]
            inc = r.get("inc", 1 / FS)
            sets.append(
                pyuff.prepare_58(
                    binary=0, id1="rec", func_type=r.get("func", 1), rsp_node=r["node"],
                    rsp_dir=r["dir"], ref_node=0, ref_dir=0, ord_data_type=4,
                    num_pts=len(data), abscissa_spacing=1, abscissa_min=0.0, abscissa_inc=inc,
                    abscissa_spec_data_type=17 if r.get("func", 1) == 1 else 18,
                    abscissa_axis_units_lab="s", ordinate_spec_data_type=12,
                    ordinate_axis_units_lab="g", orddenom_spec_data_type=0,
                    z_axis_spec_data_type=0, data=data, x=np.arange(len(data)) * inc,
                )
            )  # fmt: skip
        path.unlink(missing_ok=True)
        pyuff.UFF(str(path)).write_sets(sets, mode="add")
        if edit is not None:
            path.write_text(edit(path.read_text()))

    return write


def _drop_data_lines(text: str) -> str:
    lines = text.splitlines(keepends=True)
    return "".join(lines[:-41] + lines[-1:])  # 40 lines of 4 values: 160 values fewer


READER_CASES: tuple[Case, ...] = (
    Case(
        "csv_time_missing_sample",
        _listed("gap.csv", _timed_csv("time,a,b", _gap())),
        _api("load_entries"),
        TRAIN_QUIET,
        DataError,
        (
            "manifest.csv: line 2",
            "gap.csv: line 2002, column 'time': time step 0.002 s",
            "expected every step within 50% of the mean (a missing or repeated sample?",
        ),
    ),
    Case(
        "csv_time_disagrees_with_rate",
        _listed("x.csv", _timed_csv("X-Axis,a,b", np.arange(N_SAMPLES) / 2000.0), rate="1000"),
        _api("load_entries"),
        TRAIN_QUIET,
        DataError,
        (
            "manifest.csv: line 2",
            "x.csv: column 'X-Axis': the time axis gives 2000 Hz",
            "the rate given says 1000 Hz; expected them to agree within 1%",
        ),
    ),
    Case(
        "csv_headerless_time_in_ms",
        _raw(
            "ms.csv",
            lambda r: (
                _timed_csv("", np.arange(N_SAMPLES) + 0.5)(r / "v.csv")
                .read_bytes()
                .split(b"\n", 1)[1]
            ),
        ),
        _api("read_channels", rate=FS),
        TRAIN_QUIET,
        DataError,
        ("ms.csv: column 'f0': the time axis gives 1 Hz", "a time axis in ms?"),
    ),
    Case(
        "csv_two_time_columns",
        _listed("two.csv", _timed_csv("time,Time (s),a", np.arange(N_SAMPLES) / FS)),
        _api("load_entries"),
        TRAIN_QUIET,
        DataError,
        ("two.csv: line 1, columns 'time', 'Time (s)' are all time columns; expected one",),
    ),
    Case(
        "csv_time_unit_unknown",
        _listed("h.csv", _timed_csv("time [h],a,b", np.arange(N_SAMPLES) / FS)),
        _api("load_entries"),
        TRAIN_QUIET,
        DataError,
        ("h.csv: column 'time [h]': time in 'h'; expected seconds (s), milliseconds (ms)",),
    ),
    Case(
        "csv_epoch_milliseconds",
        _listed("ep.csv", _timed_csv("timestamp,a,b", 1.7e12 + np.arange(N_SAMPLES))),
        _api("load_entries"),
        TRAIN_QUIET,
        DataError,
        (
            "ep.csv: line 2, column 'timestamp': found 1.7e+12; expected seconds",
            "epoch milliseconds? name the column e.g. 'timestamp [ms]'",
        ),
    ),
    Case(
        "mat_variable_not_found",
        _listed("rig.mat", _generic_mat(_mfpt), channel="bearing.g"),
        _api("load_entries"),
        TRAIN_QUIET,
        DataError,
        (
            "manifest.csv: line 2",
            "rig.mat: variable 'bearing.g' not found: no 'g' in 'bearing'",
            "variables present: bearing (struct: gs, sr, rate, load)",
        ),
    ),
    Case(
        "mat_rate_disagrees",
        _listed("rig.mat", _generic_mat(_mfpt), channel="bearing.gs", rate="48000"),
        _api("load_entries"),
        TRAIN_QUIET,
        DataError,
        ("rig.mat: variable 'bearing.sr' says 1000 Hz, the rate given is 48000 Hz",),
    ),
    Case(
        "mat_no_rate",
        _listed("x.mat", _generic_mat(lambda: {"x": signal()[0][:, None]})),
        _api("load_entries"),
        TRAIN_QUIET,
        DataError,
        ("x.mat: no sample rate", "give the rate (the manifest's 'rate', or --rate)"),
    ),
    Case(
        "mat_square_matrix",
        _listed("sq.mat", _generic_mat(lambda: {"x": np.ones((8, 8)), "fs": FS}), channel="x"),
        _api("load_entries"),
        TRAIN_QUIET,
        DataError,
        ("sq.mat: variable 'x' is a square 8x8 matrix; expected time along the longer side",),
    ),
    Case(
        "mat_struct_not_a_channel",
        _listed("rig.mat", _generic_mat(_mfpt), channel="bearing"),
        _api("load_entries"),
        TRAIN_QUIET,
        DataError,
        ("rig.mat: variable 'bearing': found struct: gs, sr, rate, load; expected real numbers",),
    ),
    Case(
        "tdms_not_tdms",
        _listed("rec.tdms", lambda p: p.write_bytes(b"PK\x03\x04 not TDMS")),
        _api("load_entries"),
        TRAIN_QUIET,
        DataError,
        ("rec.tdms: not a readable TDMS file", "starts with b'PK\\x03\\x04'; expected 'TDSm'"),
    ),
    Case(
        "tdms_truncated",
        _listed("rec.tdms", _tdms(lambda: [("Vib", "x", signal()[0], _wf())], keep=0.7)),
        _api("load_entries"),
        TRAIN_QUIET,
        DataError,
        (
            "rec.tdms: not a readable TDMS file (truncated or corrupt?)",
            "npTDMS: Last segment of file has less data than expected",
        ),
    ),
    Case(
        "tdms_channel_not_found",
        _listed("rec.tdms", _tdms(lambda: [("Vib", "x", signal()[0], _wf())]), channel="Vib/z"),
        _api("load_entries"),
        TRAIN_QUIET,
        DataError,
        ("rec.tdms: no channel 'Vib/z'; expected 'group/channel', channels present: Vib/x",),
    ),
    Case(
        "tdms_text_channel",
        _listed(
            "rec.tdms",
            _tdms(lambda: [("Log", "s", np.array(["a", "b"]), {}), ("V", "x", signal()[0], _wf())]),
            channel="Log/s",
        ),
        _api("load_entries"),
        TRAIN_QUIET,
        DataError,
        ("rec.tdms: channel 'Log/s' holds string values; expected numbers",),
    ),
    Case(
        "tdms_value_count_lies",
        _listed("rec.tdms", _lying_tdms),
        _api("load_entries"),
        TRAIN_QUIET,
        DataError,
        (
            "manifest.csv: line 2",
            "rec.tdms: not a readable TDMS file (truncated or corrupt?)",
            "npTDMS: Data size 32 is not a multiple of the chunk size 8796093022208",
        ),
    ),
    Case(
        "tdms_incomplete_segment_string_offsets",
        _listed("rec.tdms", _incomplete_tdms),
        _api("load_entries"),
        TRAIN_QUIET,
        DataError,
        (
            "manifest.csv: line 2",
            "rec.tdms: not a readable TDMS file (truncated or corrupt?)",
            "npTDMS: Last segment of file has less data than expected",
        ),
    ),
    Case(
        "uff_not_uff",
        _listed("rec.uff", lambda p: p.write_text("time,a\n0,1\n")),
        _api("load_entries"),
        TRAIN_QUIET,
        DataError,
        ("rec.uff: not a readable UFF file (another format?)", "the delimiter '    -1'"),
    ),
    Case(
        "uff_truncated",
        _listed(
            "rec.uff",
            _uff(lambda: [{"node": 1, "dir": 3, "data": signal()[0]}], edit=lambda t: t[:2000]),
        ),
        _api("load_entries"),
        TRAIN_QUIET,
        DataError,
        ("rec.uff: not a readable UFF file (truncated?): no complete data set",),
    ),
    Case(
        "uff_fewer_values_than_its_header",
        _listed(
            "rec.uff",
            _uff(lambda: [{"node": 1, "dir": 3, "data": signal()[0]}], edit=_drop_data_lines),
        ),
        _api("load_entries"),
        TRAIN_QUIET,
        DataError,
        ("rec.uff: channel '1:+Z' (data set 1): 3840 values, its header says 4000 (truncated?)",),
    ),
    Case(
        "uff_no_time_response",
        _listed("rec.uff", _uff(lambda: [{"node": 1, "dir": 3, "data": signal()[0], "func": 4}])),
        _api("load_entries"),
        TRAIN_QUIET,
        DataError,
        ("rec.uff: 1 type-58 data set(s), none a time response (found FRF)",),
    ),
    Case(
        "uff_channel_not_found",
        _listed(
            "rec.uff", _uff(lambda: [{"node": 1, "dir": 3, "data": signal()[0]}]), channel="2:+X"
        ),
        _api("load_entries"),
        TRAIN_QUIET,
        DataError,
        ("rec.uff: no channel '2:+X'; expected '<node>:<direction>', channels present: 1:+Z",),
    ),
)

CASES = (*CASES, *READER_CASES)


# -- files that crash a native parser (issue 16) ----------------------------------------------
#
# scipy.io.loadmat (1.13.1 to 1.17.1 at least) indexes a table of 20 dtypes with the type
# code of a numeric data element without checking it: a code that is not a MAT-5 numeric
# type (0, 8, 10, 11, 15, 19, 65535, 2057…) gives SIGSEGV, SIGBUS or a ZeroDivisionError
# (docs/inputs.md). rotordx reads .mat files with rotordx.io.mat5, which checks every code and
# size (the last rows make scipy ask for gigabytes). Each crasher below must give a one-line
# DataError on every route: read_cwru, a manifest (read_manifest + load_entry),
# `rotordx evaluate` and `rotordx diagnose`.


def mat5_header(order: str = "<", version: int = 0x0100) -> bytes:
    """The 128-byte header of a MATLAB v5 file in byte order ``order``."""
    text = b"MATLAB 5.0 MAT-file, rotordx test".ljust(116) + bytes(8)
    return text + struct.pack(order + "H", version) + (b"IM" if order == "<" else b"MI")


def mat5_element(order: str, mtype: int, payload: bytes, *, small: bool = False) -> bytes:
    """A data element padded to 8 bytes (small format: at most 4 bytes of payload)."""
    if small:
        return struct.pack(order + "I", (len(payload) << 16) | mtype) + payload.ljust(4, b"\0")
    return struct.pack(order + "II", mtype, len(payload)) + payload + bytes(-len(payload) % 8)


def mat5_matrix(
    order: str,
    cls: int,
    dims: tuple[int, ...],
    name: bytes,
    parts: list[bytes],
    *,
    flags: int = 0,
    small_name: bool = False,
) -> bytes:
    """An miMATRIX element: array flags (class ``cls``), dimensions, name, then ``parts``."""
    body = mat5_element(order, 6, struct.pack(order + "II", cls | flags, 0))
    body += mat5_element(order, 5, struct.pack(f"{order}{len(dims)}i", *dims))
    body += mat5_element(order, 1, name, small=small_name and len(name) <= 4)
    body += b"".join(parts)
    return struct.pack(order + "II", 14, len(body)) + body


def mat5_compressed(order: str, inner: bytes) -> bytes:
    """An miCOMPRESSED element holding ``inner`` (a whole element)."""
    body = zlib.compress(inner)
    return struct.pack(order + "II", 15, len(body)) + body


def scipy_minimal_crasher() -> bytes:
    """The 184-byte reproducer of docs/inputs.md: a 0 x 0 double array whose data element
    has type code 0 (SIGSEGV in scipy.io.loadmat)."""
    body = struct.pack("<IIII", 6, 8, 6, 0) + struct.pack("<IIii", 5, 8, 0, 0)
    body += struct.pack("<II", 1, 0) + struct.pack("<II", 0, 0)
    return mat5_header() + struct.pack("<II", 14, len(body)) + body


def _typed_data(code: int, *, n: int = 4, compress: bool = False, small: bool = False) -> bytes:
    """A CWRU-named channel X105_DE_time of ``n`` x 1 doubles whose data element has type
    ``code`` (the bytes of ``n`` doubles, or 4 bytes in a small element)."""
    payload = bytes(4) if small else np.zeros(n).tobytes()
    data = mat5_element("<", code, payload, small=small)
    m = mat5_matrix("<", 6, (n, 1), b"X105_DE_time", [data])
    return mat5_header() + (mat5_compressed("<", m) if compress else m)


def _lying_name(root: Path) -> bytes:
    """A compressed variable whose name claims 4 GiB (scipy: MemoryError, 4 GiB asked)."""
    m = bytearray(mat5_matrix("<", 6, (2, 1), b"X105_DE_time", [mat5_element("<", 9, bytes(16))]))
    struct.pack_into("<I", m, 8 + 32 + 4, 0xFFFFFFFF)  # the name tag's size
    return mat5_header() + mat5_compressed("<", bytes(m))


def _complex_bad_imaginary(root: Path) -> bytes:
    """A complex column whose imaginary part has type code 0."""
    parts = [mat5_element("<", 9, np.zeros(4).tobytes()), mat5_element("<", 0, bytes(32))]
    m = mat5_matrix("<", 6, (4, 1), b"X105_DE_time", parts, flags=0x800)
    return mat5_header() + m


def _huge_container(cls: int, dims: tuple[int, ...]) -> Callable[[Path], bytes]:
    """A cell (1) or struct (2) array of ``dims`` elements and no data: scipy allocates the
    object array first (gigabytes to terabytes)."""

    def content(root: Path) -> bytes:
        parts = []
        if cls == 2:  # one field, "a"
            parts = [mat5_element("<", 5, struct.pack("<i", 8), small=True)]
            parts.append(mat5_element("<", 1, b"a".ljust(8, b"\0")))
        return mat5_header() + mat5_matrix("<", cls, dims, b"X105_DE_time", parts)

    return content


def _lying_data_size(root: Path) -> bytes:
    """A column whose data element claims 4 GiB (the file has 8 bytes)."""
    m = mat5_matrix("<", 6, (1, 1), b"X105_DE_time", [struct.pack("<II", 9, 0xFFFFFFF0) + bytes(8)])
    return mat5_header() + m


def shared_crashers_dir() -> Path:
    """``shared/crashers`` beside the project (or beside $ROTORDX_DATA)."""
    env = os.environ.get("ROTORDX_DATA")
    if env:
        return Path(env).resolve().parent / "crashers"
    return Path(__file__).resolve().parents[2] / "shared" / "crashers"


def _shared(name: str) -> Callable[[Path], bytes | None]:
    def content(root: Path) -> bytes | None:
        p = shared_crashers_dir() / name
        return p.read_bytes() if p.is_file() else None

    return content


@dataclass(frozen=True)
class Crasher:
    """A .mat file that crashed scipy (or made it allocate gigabytes).

    ``content(root)`` returns its bytes (``None`` when a shared file is absent: the tests
    skip, saying so); it is written under the CWRU name :data:`CWRU_NAME`. ``fragments``
    must be in the message of every route; ``scipy`` says what scipy 1.17.1 does with it.
    """

    name: str
    content: Callable[[Path], bytes | None]
    fragments: tuple[str, ...]
    scipy: str


_MAT = "not a readable MATLAB v5 .mat file"

CRASHERS: tuple[Crasher, ...] = (
    Crasher(
        "shared_cwru_IR007_0_105_mutated",
        _shared("cwru_IR007_0_105_mutated.mat"),
        (_MAT, "real part at byte 192", "unknown (type 2048); expected numbers"),
        "SIGSEGV or SIGBUS (ZeroDivisionError through the old read_cwru)",
    ),
    Crasher(
        "shared_tiny_mat_segv_1",
        _shared("tiny_mat_segv_1.mat"),
        (_MAT, "real part at byte 192", "unknown (type 0); expected numbers"),
        "SIGSEGV or SIGBUS",
    ),
    Crasher(
        "shared_tiny_mat_segv_2",
        _shared("tiny_mat_segv_2.mat"),
        (_MAT, "variable 1 'X105_FE_time'", "unknown (type 2057); expected numbers"),
        "SIGSEGV or SIGBUS",
    ),
    Crasher(
        "scipy_minimal_reproducer",
        lambda root: scipy_minimal_crasher(),
        (_MAT, "variable 1 ''", "real part at byte 176", "unknown (type 0)"),
        "SIGSEGV or SIGBUS",
    ),
    Crasher(
        "data_type_reserved_8",
        lambda root: _typed_data(8),
        (_MAT, "variable 1 'X105_DE_time'", "unknown (type 8); expected numbers"),
        "SIGSEGV or SIGBUS",
    ),
    Crasher(
        "data_type_2057_small_element",
        lambda root: _typed_data(2057, small=True),
        (_MAT, "unknown (type 2057); expected numbers"),
        "SIGSEGV or SIGBUS (ZeroDivisionError in some layouts)",
    ),
    Crasher(
        "compressed_data_type_65535",
        lambda root: _typed_data(65535, compress=True),
        (_MAT, "of the data decompressed from byte 128", "unknown (type 65535)"),
        "SIGSEGV or SIGBUS (found by the fuzzer)",
    ),
    Crasher(
        "compressed_data_type_15",
        lambda root: _typed_data(15, compress=True),
        (_MAT, "compressed (type 15); expected numbers"),
        "SIGSEGV or SIGBUS (found by the fuzzer)",
    ),
    Crasher(
        "complex_imaginary_type_0",
        _complex_bad_imaginary,
        (_MAT, "imaginary part", "unknown (type 0)"),
        "SIGSEGV or SIGBUS",
    ),
    Crasher(
        "cell_array_2147483647x3",
        _huge_container(1, (2**31 - 1, 3)),
        (_MAT, "cell array of 6442450941 elements", "the limit is 1048576"),
        "asks for 48 GiB: MemoryError under a memory limit (found by the fuzzer)",
    ),
    Crasher(
        "struct_array_65536x65536x7x3",
        _huge_container(2, (65536, 65536, 7, 3)),
        (_MAT, "struct array of 90194313216 elements", "the limit is 1048576"),
        "asks for 672 GiB: MemoryError under a memory limit (found by the fuzzer)",
    ),
    Crasher(
        "data_claims_4GiB",
        _lying_data_size,
        (_MAT, "real part", "claims 4294967280 bytes, 8 left"),
        "asks for 4 GiB: MemoryError under a memory limit",
    ),
    Crasher(
        "compressed_name_claims_4GiB",
        _lying_name,
        (_MAT, "array name", "claims 4294967295 bytes"),
        "asks for 4 GiB: MemoryError under a memory limit (found by the fuzzer)",
    ),
)
