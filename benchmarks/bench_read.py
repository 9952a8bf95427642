"""Reading binary recordings: what the checks against crafted files cost on valid files.

Issue 16: ``scipy.io.loadmat`` parses MATLAB files in native code that a crafted file
crashes, so rotordx reads them with its own pure-Python reader,
:func:`rotordx.io.mat5.read_mat`, and checks WAV and Parquet containers
(:mod:`rotordx.io.containers`) before scipy / pyarrow parse them. Timed in the same
process, the two ways alternating run by run (so load on the machine hits both alike),
medians of ``repeats`` runs:

* **CWRU**: the 31 real ``.mat`` files (about 88 MB; quick: three synthetic files of the
  same layout), ``scipy.io.loadmat`` against ``read_mat``; also the same variables saved
  compressed (MATLAB v7, zlib) and :func:`rotordx.io.read_cwru` (the drive end:
  reading, checks, conversion to m/s²);
* **WAV**: ``scipy.io.wavfile.read`` of a 60 s 48 kHz stereo int16 file against
  ``check_wav`` + the same read;
* **Parquet**: ``pyarrow.parquet.read_table`` of a 3-channel, 10^6-row file (and a
  10^4-row one) against ``check_parquet`` + ``read_parquet_isolated`` (the read in a
  forked child under a memory limit, the table back as Arrow IPC).
* **TDMS** (issue 13): npTDMS's ``TdmsFile.read`` and every channel's values, of a
  4-channel float64 file of 60 s at 25.6 kHz, against :func:`rotordx.io.read_tdms` (npTDMS
  in a forked child under a memory limit, the values back through a memory file, then the
  checks);
* **UFF 58**: ``pyuff.UFF(path).read_sets()`` of 4 time responses of 10 s at 25.6 kHz,
  ASCII and binary (58b), against :func:`rotordx.io.read_uff` (likewise in a child);
* **generic MATLAB**: ``scipy.io.loadmat`` of a struct holding 4 channels of 60 s at
  25.6 kHz against :func:`rotordx.io.read_matlab` (its pure-Python ``read_mat`` and the
  variable rules).

Both ways must return the same values: the benchmark compares them exactly.

The arrays are compared inside the benchmark: ``read_mat`` must return exactly the bytes
``scipy.io.loadmat(..., mat_dtype=True)`` returns.
"""

from __future__ import annotations

import gc
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from benchmarks._common import Section, ratio

TITLE = "Reading binary files: own MAT-5 reader and container checks vs the native parsers"
COLUMNS = ["data", "reader", "median s", "MB/s", "vs native", "note"]


def _alternate(fns: dict[str, Callable[[], object]], repeats: int) -> dict[str, float]:
    """Median seconds of each callable, the callables alternating within each round."""
    for fn in fns.values():  # warm-up (page cache, imports)
        fn()
    runs: dict[str, list[float]] = {k: [] for k in fns}
    for _ in range(max(1, repeats)):
        for k, fn in fns.items():
            gc.collect()
            t0 = time.perf_counter()
            fn()
            runs[k].append(time.perf_counter() - t0)
    return {k: statistics.median(v) for k, v in runs.items()}


def _synthetic_cwru(directory: Path, n: int = 3, samples: int = 121_265) -> list[Path]:
    import scipy.io

    rng = np.random.default_rng(0)
    paths = []
    for k in range(n):
        p = directory / f"12k_Drive_End_IR007_{k}_{105 + k}.mat"
        x = rng.standard_normal((3, samples)) * 0.3
        scipy.io.savemat(
            p,
            {
                f"X{105 + k}_DE_time": x[0][:, None],
                f"X{105 + k}_FE_time": x[1][:, None],
                f"X{105 + k}_BA_time": x[2][:, None],
                f"X{105 + k}RPM": np.array([[1797]], dtype=np.uint16),
            },
        )
        paths.append(p)
    return paths


def _same(ours: dict, theirs: dict) -> bool:
    keys = [k for k in theirs if not k.startswith("__")]
    return list(ours) == keys and all(
        ours[k].dtype == theirs[k].dtype
        and ours[k].shape == theirs[k].shape
        and ours[k].tobytes() == np.ascontiguousarray(theirs[k]).tobytes()
        for k in keys
    )


def _mat_rows(section: Section, label: str, files: list[Path], repeats: int) -> None:
    import scipy.io

    from rotordx.io import read_cwru
    from rotordx.io.mat5 import read_mat

    mb = sum(f.stat().st_size for f in files) / 1e6
    identical = all(_same(read_mat(f), scipy.io.loadmat(f, mat_dtype=True)) for f in files)
    fns = {
        "scipy": lambda: [scipy.io.loadmat(f) for f in files],
        "ours": lambda: [read_mat(f) for f in files],
    }
    if "compressed" not in label:
        fns["cwru"] = lambda: [read_cwru(f) for f in files]
    times = _alternate(fns, repeats)
    base, ours = times["scipy"], times["ours"]
    section.add(label, "scipy.io.loadmat", base, mb / base, "baseline", f"{len(files)} files")
    note = "arrays bit-identical to loadmat" if identical else "ARRAYS DIFFER"
    section.add(label, "rotordx read_mat", ours, mb / ours, ratio(base, ours), note)
    data = {"files": len(files), "mb": mb, "scipy_s": base, "read_mat_s": ours}
    data["speed_vs_scipy"] = base / ours
    data["identical"] = identical
    if "cwru" in times:
        t = times["cwru"]
        section.add(label, "rotordx read_cwru (drive end)", t, mb / t, ratio(base, t), "")
        data["read_cwru_s"] = t
    section.data[label] = data


def _compressed_copies(files: list[Path], directory: Path) -> list[Path]:
    import scipy.io

    out = []
    for f in files:
        p = directory / f.name
        variables = {k: v for k, v in scipy.io.loadmat(f).items() if not k.startswith("__")}
        scipy.io.savemat(p, variables, do_compression=True)
        out.append(p)
    return out


def run(quick: bool, repeats: int) -> Section:
    import pyarrow as pa
    import pyarrow.parquet as pq
    import scipy.io.wavfile

    from rotordx.io.containers import check_parquet, check_wav, read_parquet_isolated
    from rotordx.io.datadir import default_data_dir

    section = Section(TITLE, COLUMNS)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        root = default_data_dir()
        cwru = sorted((root / "cwru").glob("*.mat")) if root and not quick else []
        if cwru:
            files, label = cwru, "CWRU, 31 real files"
        else:
            (tmp / "mat").mkdir()
            files = _synthetic_cwru(tmp / "mat", n=3, samples=12_000 if quick else 121_265)
            label = f"{len(files)} synthetic CWRU-like files"
            if not quick:
                section.notes.append(f"- No CWRU data found ({root}); synthetic files used.")
        _mat_rows(section, label, files, repeats)
        (tmp / "z").mkdir()
        _mat_rows(
            section, f"{label}, compressed (v7)", _compressed_copies(files, tmp / "z"), repeats
        )

        rate, seconds = 48_000, (2 if quick else 60)
        wav = tmp / "rec.wav"
        rng = np.random.default_rng(1)
        pcm = (rng.standard_normal((rate * seconds, 2)) * 3000).astype(np.int16)
        scipy.io.wavfile.write(wav, rate, pcm)
        mb = wav.stat().st_size / 1e6
        t = _alternate(
            {
                "scipy": lambda: scipy.io.wavfile.read(wav),
                "checked": lambda: (check_wav(wav), scipy.io.wavfile.read(wav)),
            },
            repeats,
        )
        what = f"WAV {seconds} s 48 kHz stereo"
        section.add(what, "scipy.io.wavfile.read", t["scipy"], mb / t["scipy"], "baseline", "")
        section.add(
            what,
            "check_wav + read",
            t["checked"],
            mb / t["checked"],
            ratio(t["scipy"], t["checked"]),
            "",
        )
        section.data["wav"] = {"mb": mb, "scipy_s": t["scipy"], "checked_s": t["checked"]}

        for key, rows in (("parquet_small", 10_000), ("parquet", 10_000 if quick else 1_000_000)):
            pqf = tmp / f"rec{rows}.parquet"
            x = rng.standard_normal((3, rows))
            pq.write_table(
                pa.table({"time": np.arange(rows) / 1e4, "a": x[0], "b": x[1], "c": x[2]}), pqf
            )
            mb = pqf.stat().st_size / 1e6
            t = _alternate(
                {
                    "arrow": lambda pqf=pqf: pq.read_table(pqf),
                    "checked": lambda pqf=pqf: (check_parquet(pqf), read_parquet_isolated(pqf)),
                },
                repeats,
            )
            what = f"Parquet {rows:,} rows x 4"
            section.add(what, "pyarrow read_table", t["arrow"], mb / t["arrow"], "baseline", "")
            section.add(
                what,
                "check_parquet + read in a child",
                t["checked"],
                mb / t["checked"],
                ratio(t["arrow"], t["checked"]),
                "fork, RLIMIT_AS, Arrow IPC via memfd",
            )
            section.data[key] = {"mb": mb, "arrow_s": t["arrow"], "checked_s": t["checked"]}
        _reader_rows(section, tmp, quick, repeats)
    section.notes.append(
        "- 'vs native' is the native reader's median time over this row's (above 1×: faster "
        "than the native reader); the two alternate run by run in one process."
    )
    return section


def _tdms_file(path: Path, x: np.ndarray, fs: float) -> None:
    from nptdms import ChannelObject, GroupObject, TdmsWriter

    props = {"wf_increment": 1 / fs, "wf_start_offset": 0.0, "unit_string": "m/s^2"}
    with TdmsWriter(str(path)) as w:
        w.write_segment(
            [GroupObject("Vib")]
            + [ChannelObject("Vib", f"a{k}", row, props) for k, row in enumerate(x)]
        )


def _uff_file(path: Path, x: np.ndarray, fs: float, binary: int) -> None:
    import pyuff

    sets = [
        pyuff.prepare_58(
            binary=binary, id1=f"a{k}", func_type=1, rsp_node=k + 1, rsp_dir=3, ref_node=0,
            ref_dir=0, ord_data_type=4, num_pts=row.size, abscissa_spacing=1, abscissa_min=0.0,
            abscissa_inc=1 / fs, abscissa_spec_data_type=17, abscissa_axis_units_lab="s",
            ordinate_spec_data_type=12, ordinate_axis_units_lab="m/s^2",
            orddenom_spec_data_type=0, z_axis_spec_data_type=0, data=row,
            x=np.arange(row.size) / fs,
        )
        for k, row in enumerate(x)
    ]  # fmt: skip
    pyuff.UFF(str(path)).write_sets(sets, mode="add")


def _reader_rows(section, tmp: Path, quick: bool, repeats: int) -> None:
    """TDMS and UFF 58 (issue 13): ours (a forked child, then the checks) vs the library in
    this process; generic MATLAB: read_matlab vs scipy.io.loadmat."""
    try:
        import nptdms
        import pyuff
    except ModuleNotFoundError as exc:
        section.notes.append(f"- TDMS / UFF rows skipped: {exc.name} is not installed.")
        return
    import scipy.io

    from rotordx.io import read_matlab, read_tdms, read_uff

    fs = 25_600.0
    rng = np.random.default_rng(2)
    x = rng.standard_normal((4, int(fs * (2 if quick else 60))))
    tdms = tmp / "rec.tdms"
    _tdms_file(tdms, x, fs)

    def theirs_tdms():
        f = nptdms.TdmsFile.read(str(tdms))
        return np.vstack([c[:] for c in f["Vib"].channels()])

    same = np.array_equal(theirs_tdms(), read_tdms(tdms)[0].signals)
    t = _alternate({"theirs": theirs_tdms, "ours": lambda: read_tdms(tdms)}, repeats)
    what = f"TDMS {x.shape[1] / fs:g} s x 4 float64"
    _pair(section, what, tdms, t, "npTDMS TdmsFile.read", "rotordx read_tdms (child)", same)
    section.data["tdms"] = {"mb": tdms.stat().st_size / 1e6, **t, "identical": same}

    x = x[:, : int(fs * (0.5 if quick else 10))]
    for binary in (0, 1):
        uff = tmp / f"rec{binary}.uff"
        _uff_file(uff, x, fs, binary)

        def theirs_uff(uff=uff):
            return np.vstack([d["data"] for d in pyuff.UFF(str(uff)).read_sets()])

        same = np.array_equal(theirs_uff(), read_uff(uff)[0].signals)
        t = _alternate({"theirs": theirs_uff, "ours": lambda uff=uff: read_uff(uff)}, repeats)
        what = f"UFF 58{'b' if binary else ''} {x.shape[1] / fs:g} s x 4"
        _pair(section, what, uff, t, "pyuff read_sets", "rotordx read_uff (child)", same)
        section.data[f"uff{'b' if binary else ''}"] = {"mb": uff.stat().st_size / 1e6, **t}

    mat = tmp / "generic.mat"
    x = rng.standard_normal((4, int(fs * (2 if quick else 60))))
    scipy.io.savemat(mat, {"rig": {"acc": x.T, "fs": fs}})
    same = np.array_equal(
        scipy.io.loadmat(mat)["rig"]["acc"][0, 0].T, read_matlab(mat, channels=("rig.acc",)).signals
    )
    t = _alternate(
        {
            "theirs": lambda: scipy.io.loadmat(mat),
            "ours": lambda: read_matlab(mat, channels=("rig.acc",)),
        },
        repeats,
    )
    what = f"MATLAB struct {x.shape[1] / fs:g} s x 4"
    _pair(section, what, mat, t, "scipy.io.loadmat", "rotordx read_matlab (rig.acc)", same)
    section.data["matlab"] = {"mb": mat.stat().st_size / 1e6, **t, "identical": same}


def _pair(section, what: str, path: Path, t: dict, theirs: str, ours: str, same: bool) -> None:
    mb = path.stat().st_size / 1e6
    section.add(what, theirs, t["theirs"], mb / t["theirs"], "baseline", f"{mb:.1f} MB")
    note = "values identical" if same else "VALUES DIFFER"
    section.add(what, ours, t["ours"], mb / t["ours"], ratio(t["theirs"], t["ours"]), note)
