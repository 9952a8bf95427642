"""Load and preprocess a KAMP group: rotordx vs the seed's code, the parsing floor, the cache.

Data: a full simulated KAMP group (``rotordx.simulate``, 140 s, 4 sensors x
4 machine states; quick: 10 s), written as the four CSV files.

* **seed-style**: the seed guide's code: pandas' default CSV parser,
  ``scipy.interpolate.interp1d`` per column, ``np.convolve`` per column,
  scikit-learn's ``MinMaxScaler`` fitted on the resampled normal class;
* **parse floor**: parsing the CSV text alone, with pandas' C parser (what
  the seed pays) and with pyarrow (typed columns, what rotordx uses);
* **rotordx**: :func:`rotordx.data.preprocess_folder` without the cache:
  the files parsed chunk by chunk (parsing ahead on a thread pool),
  resampled, smoothed and scaled as they arrive; "beyond parsing" is its
  time minus the pyarrow floor;
* **cache**: the first run with an empty cache (parse, preprocess, write the
  Parquet entry) against the second (check the entry, read it);
* ``rotordx --help`` in a fresh interpreter (and whether torch got imported);
* peak resident memory of each way in a fresh interpreter.

The arrays of rotordx and of the seed-style code are compared inside the
benchmark (within 1e-9; they agree to about 1e-15).
"""

from __future__ import annotations

import gc
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks._common import Section, peak_rss_kib, run_python

TITLE = "Load and preprocess (140 s KAMP group)"
COLUMNS = ["step", "median s", "CPU s", "vs seed-style", "peak RSS MiB", "note"]
SECONDS_FULL, SECONDS_QUICK = 140.0, 10.0
#: Issue 7 targets.
TARGET_BEYOND = 0.10  # preprocessing beyond parsing, share of the parse time
TARGET_CACHE = 10.0  # second (cached) run vs first
TARGET_HELP_S = 0.5  # `rotordx --help` cold start
NAMES = ["time", "normal", "type1", "type2", "type3"]


def make_group(directory: Path, seconds: float, *, seed: int = 0) -> Path:
    """Simulate a KAMP group (g1_sensor1..4.csv) into ``directory``."""
    from rotordx.io import write_kamp_group
    from rotordx.simulate import TestbedConfig, simulate_testbed

    write_kamp_group(directory, simulate_testbed(TestbedConfig(seconds=seconds), seed=seed))
    return directory


def seed_style(directory: Path, duration: float) -> np.ndarray:
    """The seed guide's preprocessing, step for step: (class, sample, sensor)."""
    import pandas as pd
    from scipy import interpolate
    from sklearn.preprocessing import MinMaxScaler

    sensors = [
        pd.read_csv(directory / f"g1_sensor{i}.csv", header=None, names=NAMES) for i in range(1, 5)
    ]
    x_new = np.arange(0, duration, 0.001)
    per_class = {
        item: pd.DataFrame(
            {
                f"s{i + 1}": interpolate.interp1d(s["time"], s[item], kind="linear")(x_new)
                for i, s in enumerate(sensors)
            }
        )
        for item in NAMES[1:]
    }
    M = 15
    filtered = {
        item: np.column_stack([np.convolve(df[c], np.ones(M), "valid") / M for c in df])
        for item, df in per_class.items()
    }
    scaler = MinMaxScaler().fit(per_class["normal"].to_numpy())
    return np.stack([scaler.transform(filtered[c]) for c in NAMES[1:]])


def parse_pandas(directory: Path) -> None:
    """The seed's parse alone: pandas' default (C) parser."""
    import pandas as pd

    for i in range(1, 5):
        pd.read_csv(directory / f"g1_sensor{i}.csv", header=None, names=NAMES)


def parse_pyarrow(directory: Path) -> None:
    """The parse floor: pyarrow's multi-threaded CSV reader, typed float64 columns."""
    import pyarrow as pa
    from pyarrow import csv as pacsv

    for i in range(1, 5):
        pacsv.read_csv(
            directory / f"g1_sensor{i}.csv",
            read_options=pacsv.ReadOptions(column_names=NAMES),
            convert_options=pacsv.ConvertOptions(column_types=dict.fromkeys(NAMES, pa.float64())),
        )


def interleaved(fns: dict, repeats: int) -> dict[str, tuple[list[float], list[float]]]:
    """Wall and CPU seconds of every function, one run of each per round (after a warm-up).

    Interleaving spreads a noisy neighbour's load evenly over the contenders.
    """
    for fn in fns.values():
        fn()
    out: dict[str, tuple[list[float], list[float]]] = {k: ([], []) for k in fns}
    for _ in range(max(1, repeats)):
        for name, fn in fns.items():
            gc.collect()
            w0, c0 = time.perf_counter(), time.process_time()
            fn()
            out[name][0].append(time.perf_counter() - w0)
            out[name][1].append(time.process_time() - c0)
    return out


def first_and_second(data: Path, config, tmp: Path, repeats: int) -> dict:
    """Wall and CPU seconds of a first run (empty cache) and the second run right after it.

    Each pair gets a fresh cache folder; the status of every run is checked.
    """
    from rotordx.data.seed_folder import load_preprocessed_folder

    out: dict[str, tuple[list[float], list[float]]] = {"first": ([], []), "hit": ([], [])}
    for i in range(max(1, repeats) + 1):  # the first pair is a warm-up
        cache = tmp / f"cache-{i}"
        for name, expected in (("first", "miss"), ("hit", "hit")):
            gc.collect()
            w0, c0 = time.perf_counter(), time.process_time()
            status = load_preprocessed_folder(data, config=config, cache=cache)[1]
            dw, dc = time.perf_counter() - w0, time.process_time() - c0
            assert status == expected, (name, status)
            if i:
                out[name][0].append(dw)
                out[name][1].append(dc)
    return out


def _child_code(directory: Path, duration: float, what: str, cache: Path | None = None) -> str:
    if what == "seed":
        return (
            "from benchmarks.bench_preprocess import seed_style\n"
            "from pathlib import Path\n"
            f"seed_style(Path({str(directory)!r}), {duration!r})\n"
        )
    cache_arg = repr(str(cache)) if cache else "False"
    return (
        "from rotordx.data import PreprocessConfig, preprocess_folder\n"
        f"preprocess_folder({str(directory)!r}, config=PreprocessConfig(duration={duration!r}), "
        f"cache={cache_arg})\n"
    )


def help_cold_start(repeats: int) -> tuple[float, bool]:
    """Median wall seconds of ``rotordx --help`` in a fresh interpreter; whether torch loaded."""
    code = (
        "import sys\n"
        "from rotordx.cli import main\n"
        "sys.argv = ['rotordx', '--help']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print('__TORCH__', 'torch' in sys.modules)\n"
    )
    walls, torch_loaded = [], False
    if repeats > 1:
        run_python(code)  # warm the file cache
    for _ in range(max(1, repeats)):
        wall, _, out = run_python(code)
        walls.append(wall)
        torch_loaded = torch_loaded or "__TORCH__ True" in out
    return statistics.median(walls), torch_loaded


def run(quick: bool, repeats: int) -> Section:
    from rotordx.data.seed import PreprocessConfig
    from rotordx.data.seed_folder import preprocess_folder

    seconds = SECONDS_QUICK if quick else SECONDS_FULL
    duration = seconds  # the seed's grid end (140 s)
    config = PreprocessConfig(duration=duration)
    section = Section(
        title=TITLE if not quick else f"{TITLE} (quick: {seconds:g} s)", columns=list(COLUMNS)
    )
    with tempfile.TemporaryDirectory(prefix="rotordx-bench-pre-") as tmp:
        tmp = Path(tmp)
        data = make_group(tmp / "group", seconds)
        csv_mib = sum(p.stat().st_size for p in data.glob("*.csv")) / 2**20

        ref = seed_style(data, duration)
        ours = preprocess_folder(data, config=config)
        assert ours.signals.shape == ref.shape, (ours.signals.shape, ref.shape)
        max_diff = float(np.abs(ours.signals - ref).max())
        assert max_diff <= 1e-9, f"rotordx differs from the seed-style arrays by {max_diff:g}"

        fns = {
            "seed": lambda: seed_style(data, duration),
            "pandas": lambda: parse_pandas(data),
            "pyarrow": lambda: parse_pyarrow(data),
            "rotordx": lambda: preprocess_folder(data, config=config),
        }
        times = interleaved(fns, repeats)
        times.update(first_and_second(data, config, tmp, repeats))
        wall = {k: statistics.median(v[0]) for k, v in times.items()}
        cpu = {k: statistics.median(v[1]) for k, v in times.items()}
        warm = tmp / "cache-0"
        # peak memory of each way in a fresh interpreter (quick: rotordx's only)
        ways = ("rotordx",) if quick else ("seed", "rotordx", "hit")
        rss = {
            w: peak_rss_kib(_child_code(data, duration, w, cache=warm if w == "hit" else None))
            / 1024
            for w in ways
        }
        help_s, torch_loaded = help_cold_start(repeats)

    base = wall["seed"]
    floor = wall["pyarrow"]
    beyond = wall["rotordx"] - floor
    beyond_cpu = cpu["rotordx"] - cpu["pyarrow"]
    speedup_cache = wall["first"] / wall["hit"]

    def vs(k):
        return f"{base / wall[k]:.1f}×"

    def mib(k):
        return round(rss[k]) if k in rss else "-"

    section.add(
        "seed-style: pandas, interp1d, np.convolve, MinMaxScaler",
        wall["seed"],
        cpu["seed"],
        "1.0×",
        mib("seed"),
        f"{csv_mib:.0f} MiB of CSV",
    )
    section.add("parse only: pandas C parser", wall["pandas"], cpu["pandas"], vs("pandas"), "-", "")
    section.add(
        "parse only: pyarrow (the floor)",
        wall["pyarrow"],
        cpu["pyarrow"],
        vs("pyarrow"),
        "-",
        "typed columns, multi-threaded",
    )
    section.add(
        "rotordx preprocess, no cache",
        wall["rotordx"],
        cpu["rotordx"],
        vs("rotordx"),
        mib("rotordx"),
        f"max |Δ| vs seed-style {max_diff:.1e}",
    )
    section.add(
        "rotordx beyond parsing (rotordx − floor)",
        beyond,
        beyond_cpu,
        "-",
        "-",
        f"{beyond / floor:.0%} of the parse time (CPU: {beyond_cpu / cpu['pyarrow']:.0%})",
    )
    section.add(
        "rotordx, first run (empty cache)",
        wall["first"],
        cpu["first"],
        vs("first"),
        "-",
        "parse + preprocess + write the Parquet entry",
    )
    section.add(
        "rotordx, second run (cache hit)",
        wall["hit"],
        cpu["hit"],
        vs("hit"),
        mib("hit"),
        f"{speedup_cache:.1f}× faster than the first run",
    )
    section.add(
        "`rotordx --help`, fresh interpreter",
        help_s,
        "-",
        "-",
        "-",
        "torch imported" if torch_loaded else "torch not imported",
    )

    def verdict(ok: bool) -> str:
        return "met" if ok else "missed"

    section.notes += [
        f"Targets (issue 7): preprocessing beyond parsing < {TARGET_BEYOND:.0%} of the parse time: "
        f"{verdict(beyond < TARGET_BEYOND * floor)} ({beyond / floor:.0%} of the pyarrow floor; "
        f"{(wall['rotordx'] - wall['pandas']) / wall['pandas']:+.0%} against pandas' parse); "
        f"cached run ≥ {TARGET_CACHE:g}× faster: {verdict(speedup_cache >= TARGET_CACHE)} "
        f"({speedup_cache:.1f}×); `rotordx --help` < {TARGET_HELP_S} s: "
        f"{verdict(help_s < TARGET_HELP_S and not torch_loaded)} ({help_s:.2f} s).",
        "Medians of interleaved runs (one run of each way per round; the cache's first and "
        "second runs in pairs, each pair with an empty cache folder). CPU s is the process's "
        "CPU time (all threads): on a loaded machine it shows the work done more reliably "
        "than the wall time.",
    ]
    section.data = {
        "seconds_of_signal": seconds,
        "csv_mib": csv_mib,
        "wall": wall,
        "cpu": cpu,
        "runs": {k: v[0] for k, v in times.items()},
        "peak_rss_mib": rss,
        "max_abs_diff_vs_seed": max_diff,
        "beyond_parsing_share": beyond / floor,
        "beyond_parsing_cpu_share": beyond_cpu / cpu["pyarrow"],
        "cache_speedup": speedup_cache,
        "help_seconds": help_s,
        "help_imports_torch": torch_loaded,
    }
    return section
