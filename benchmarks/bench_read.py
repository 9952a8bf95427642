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
    section.notes.append(
        "- 'vs native' is the native reader's median time over this row's (above 1×: faster "
        "than the native reader); the two alternate run by run in one process."
    )
    return section
