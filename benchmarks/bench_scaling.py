"""Scaling with the recording's length: ``preprocess`` and ``diagnose`` at 1×, 4× and 16× of 140 s.

Data: the simulated 140 s KAMP group and the same group repeated end to end
4 and 16 times (times shifted, so 560 s and 2,240 s of strictly increasing
samples; quick: 4 s, 16 s, 64 s). Every measurement runs in a fresh
interpreter, which imports what it needs, does the same work once on the 1×
group (first-call costs), then reports the seconds of the work itself and
its peak resident memory (``VmHWM``), with the memory after the imports as
the baseline (quick: timed in this process, memory not measured).

* **preprocess → Parquet**: :func:`rotordx.data.preprocess_to_parquet`
  (what ``rotordx preprocess`` runs): the CSV files parsed chunk by chunk,
  resampled, smoothed and written as they come, then scaled class by class
  into the output, in bounded memory;
* **preprocess in memory**: :func:`rotordx.data.preprocess_folder`,
  which returns the whole preprocessed group (its size grows with the
  recording, by design);
* **diagnose**: what ``rotordx diagnose RUN DATA --no-plots`` does
  (:func:`rotordx.diagnosis.diagnose_path`): the group read block by block and
  resampled, each block handed to the four machine states' diagnoses, and
  read a second time for the order amplitudes at the median running speed,
  with a seed model (``dnn``, trained for two epochs on the 1× group; the
  verdicts are not the point). Bounded memory, by design.
* **diagnose, ONNX export**: the same with the model exported by
  ``rotordx export`` and run by ONNX Runtime, torch never imported (the
  deployment footprint).

"Cost per second of signal vs 1×" is (seconds / signal seconds) divided by
the same at 1×: 1.0 means exactly linear.
"""

from __future__ import annotations

import math
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks._common import Section, run_python

TITLE = "Scaling with recording length"
COLUMNS = [
    "task",
    "length",
    "signal s",
    "seconds",
    "cost / signal s vs 1×",
    "peak RSS MiB",
    "above imports MiB",
]
FACTORS = (1, 4, 16)
BASE_FULL, BASE_QUICK = 140.0, 4.0

_MEASURE = """
import time as _t
def _status(key):
    for line in open('/proc/self/status'):
        if line.startswith(key):
            return int(line.split()[1])
    return 0
{setup}
_t0 = _t.perf_counter()
{work}
_dt = _t.perf_counter() - _t0
print('__RESULT__', _dt, _base, _status('VmHWM:'))
"""


def _measure(setup: str, warmup: str, work: str, *, fresh: bool) -> tuple[float, float, float]:
    """(seconds of ``work``, peak RSS MiB, peak above the post-import baseline MiB).

    ``fresh``: in a new interpreter, after ``setup`` (imports) and ``warmup`` (the
    same work on the 1× group: first-call costs); else in this process, time only
    (memory NaN: this process's high-water mark says nothing about the task).
    """
    if not fresh:
        ns: dict = {}
        exec(setup, ns)
        exec(warmup, ns)
        t0 = time.perf_counter()
        exec(work, ns)
        return time.perf_counter() - t0, float("nan"), float("nan")
    code = _MEASURE.format(setup=setup + "\n_base = _status('VmRSS:')\n" + warmup, work=work)
    _, _, out = run_python(code)
    line = next(x for x in out.splitlines() if x.startswith("__RESULT__"))
    _, dt, base, peak = line.split()
    return float(dt), int(peak) / 1024, (int(peak) - int(base)) / 1024


def make_groups(root: Path, base_seconds: float, factors=FACTORS) -> dict[int, Path]:
    """A simulated group and its k-fold repetitions (times shifted), one folder each."""
    from rotordx.io import write_kamp_group
    from rotordx.simulate import TestbedConfig, simulate_testbed

    sensors = simulate_testbed(TestbedConfig(seconds=base_seconds), seed=0)
    out = {}
    for k in factors:
        parts = []
        for s in sensors:
            period = float(np.median(np.diff(s[:, 0])))
            span = float(s[-1, 0]) + period
            reps = [s.copy() for _ in range(k)]
            for i, r in enumerate(reps):
                r[:, 0] += i * span
            parts.append(np.concatenate(reps))
        out[k] = root / f"x{k}"
        write_kamp_group(out[k], parts)
    return out


def _train_model(data: Path, run_dir: Path, quick: bool) -> None:
    from rotordx.models.train_config import TrainConfig
    from rotordx.workflows.train import train_run

    split = (1100, 400, 400) if quick else (60_000, 20_000, 20_000)
    from rotordx.models.onnx_export import export_onnx

    train_run(
        data,
        model="dnn",
        out=run_dir,
        train_config=TrainConfig(max_epochs=2, patience=2, threads=1),
        split=split,
        progress=False,
    )
    export_onnx(run_dir, run_dir.with_suffix(".onnx"))


def run(quick: bool, repeats: int) -> Section:
    base = BASE_QUICK if quick else BASE_FULL
    section = Section(
        title=TITLE if not quick else f"{TITLE} (quick: {base:g} s base)", columns=list(COLUMNS)
    )
    results: dict[str, dict[int, tuple[float, float, float]]] = {}
    with tempfile.TemporaryDirectory(prefix="rotordx-bench-scale-") as tmp:
        tmp = Path(tmp)
        groups = make_groups(tmp, base)
        run_dir = tmp / "run"
        _train_model(groups[1], run_dir, quick)
        for k, folder in groups.items():
            duration = base * k + 1.0  # the whole recording (the seed's 140 s cut lifted)
            cfg = f"PreprocessConfig(duration={duration!r})"
            tasks = {
                "preprocess → Parquet (streaming)": (
                    "from rotordx.data import PreprocessConfig, preprocess_to_parquet",
                    f"preprocess_to_parquet({str(folder)!r}, {str(tmp / f'p{k}.parquet')!r}, "
                    f"config={cfg}, cache=False)",
                ),
                "preprocess in memory": (
                    "from rotordx.data import PreprocessConfig, preprocess_folder",
                    f"_d = preprocess_folder({str(folder)!r}, config={cfg}, cache=False)",
                ),
                "diagnose (4 machine states)": (
                    "from rotordx.models import load_model\n"
                    "from rotordx.diagnosis import diagnose_path\n"
                    f"_b = load_model({str(run_dir)!r})\n"
                    "import torch\n",
                    f"diagnose_path({str(folder)!r}, model=_b, spectrum=False)",
                ),
                "diagnose, ONNX export (no torch)": (
                    "from rotordx.models import load_model\n"
                    "from rotordx.diagnosis import diagnose_path\n"
                    f"_b = load_model({str(run_dir.with_suffix('.onnx'))!r})\n",
                    f"diagnose_path({str(folder)!r}, model=_b, spectrum=False)",
                ),
            }
            for task, (setup, work) in tasks.items():
                warmup = (
                    work.replace(str(folder), str(groups[1]))
                    .replace(f"duration={duration!r}", f"duration={base + 1.0!r}")
                    .replace(f"p{k}.parquet", "p-warm.parquet")
                )
                runs = [
                    _measure(setup, warmup, work, fresh=not quick)
                    for _ in range(max(1, repeats if k == 1 else 1))
                ]
                results.setdefault(task, {})[k] = min(runs, key=lambda r: r[0])
    for task, by_k in results.items():
        t1 = by_k[1][0] / base
        for k, (dt, peak, above) in by_k.items():
            secs = base * k
            section.add(
                task,
                f"{k}×",
                secs,
                dt,
                f"{dt / secs / t1:.2f}",
                "-" if math.isnan(peak) else round(peak),
                "-" if math.isnan(above) else round(above),
            )
    lin = {t: by_k[16][0] / (16 * by_k[1][0]) for t, by_k in results.items()}
    mem = {t: by_k[16][2] / max(by_k[1][2], 1.0) for t, by_k in results.items()}
    section.notes += [
        "Cost per signal second at 16× relative to 1×: "
        + ", ".join(f"{t} {v:.2f}" for t, v in lin.items())
        + (
            ". Memory above the imports at 16× relative to 1×: "
            + ", ".join(f"{t} {v:.1f}×" for t, v in mem.items())
            if not quick
            else " (quick: timed in this process, memory not measured)"
        )
        + ".",
        "Bounded memory means staying near the 1× footprint at 16×: the streaming "
        "preprocess and diagnose read the group block by block (diagnose twice, when the "
        "speed is estimated); the in-memory preprocess returns the whole group (16 × 4 × 4 "
        "float64 values per grid sample), by design.",
    ]
    section.data = {
        "base_seconds": base,
        "results": {t: {str(k): v for k, v in by_k.items()} for t, by_k in results.items()},
        "cost_ratio_16x": lin,
        "memory_ratio_16x": mem,
    }
    return section
