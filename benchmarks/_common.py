"""Shared helpers for the benchmark stages.

Every stage module ``benchmarks/bench_<name>.py`` exposes

    TITLE: str
    def run(quick: bool, repeats: int) -> Section

``quick`` is the tiny CI variant (seconds, small data; numbers meaningless but
every code path runs); ``repeats`` is how many timed runs a median is taken
over. Timings are medians; every speed figure is reported as a ratio against
a baseline measured in the same run, on the same data.
"""

from __future__ import annotations

import contextlib
import gc
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Timing:
    """Wall-clock seconds of several runs of one callable."""

    runs: list[float]
    result: Any = None

    @property
    def median(self) -> float:
        return statistics.median(self.runs)

    @property
    def best(self) -> float:
        return min(self.runs)


def timeit(fn: Callable[[], Any], *, repeats: int = 5, warmup: int = 1) -> Timing:
    """Median-ready timings of ``fn()``; the last result is kept in ``.result``."""
    result = None
    for _ in range(warmup):
        result = fn()
    runs = []
    for _ in range(max(1, repeats)):
        gc.collect()
        t0 = time.perf_counter()
        result = fn()
        runs.append(time.perf_counter() - t0)
    return Timing(runs, result)


def run_python(code: str, *, env: dict[str, str] | None = None) -> tuple[float, int, str]:
    """Run ``python -c code`` in a fresh interpreter.

    Returns (wall seconds, peak RSS of the child in KiB, stdout). Use this for
    cold-start and peak-memory measurements, which an already-warm process
    cannot give.
    """
    full_env = {**os.environ, **(env or {})}
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=full_env, check=False
    )
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"benchmark child failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # max over children so far
    return wall, peak, proc.stdout


def peak_rss_kib(code: str, *, env: dict[str, str] | None = None) -> int:
    """Peak resident memory (KiB) of ``python -c code`` in a fresh interpreter.

    Measured with ``/usr/bin/time``-free means: the child prints its own
    high-water mark (``VmHWM``, else ``ru_maxrss``) at exit, so neither earlier
    children nor the parent's memory mask it.
    """
    # VmHWM is this process's own high-water mark; ru_maxrss would also count the
    # parent's memory at fork time (Linux keeps it across execve).
    wrapped = (
        code
        + "\nimport resource as _r, sys as _s\n"
        + "try:\n"
        + "    _p = [int(l.split()[1]) for l in open('/proc/self/status')\n"
        + "          if l.startswith('VmHWM:')][0]\n"
        + "except (OSError, IndexError, ValueError):\n"
        + "    _p = _r.getrusage(_r.RUSAGE_SELF).ru_maxrss\n"
        + "_s.stdout.write('\\n__PEAK__%d\\n' % _p)\n"
    )
    _, _, out = run_python(wrapped, env=env)
    for line in reversed(out.splitlines()):
        if line.startswith("__PEAK__"):
            return int(line[len("__PEAK__") :])
    raise RuntimeError("child did not report its peak memory")


def machine_info() -> dict[str, str]:
    """What the numbers were measured on."""
    cpu = platform.processor() or "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    info = {
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }
    for mod in ("numpy", "scipy", "pandas", "pyarrow", "torch", "onnxruntime", "aeon"):
        with contextlib.suppress(Exception):  # a missing optional module is just not listed
            info[mod] = __import__(mod).__version__
    try:
        with open("/proc/meminfo") as f:
            kb = int(f.readline().split()[1])
        info["memory"] = f"{kb / 2**20:.1f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return info


@dataclass
class Section:
    """One stage's results: a Markdown table plus notes."""

    title: str
    columns: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)  # raw numbers for the JSON output

    def add(self, *cells: Any) -> None:
        if len(cells) != len(self.columns):
            raise ValueError(
                f"{self.title}: row has {len(cells)} cells, expected {len(self.columns)}"
            )
        self.rows.append(list(cells))

    def markdown(self) -> str:
        lines = [f"## {self.title}", ""]
        lines.append("| " + " | ".join(self.columns) + " |")
        lines.append("|" + "---|" * len(self.columns))
        for row in self.rows:
            lines.append("| " + " | ".join(fmt(c) for c in row) + " |")
        if self.notes:
            lines.append("")
            lines.extend(self.notes)
        return "\n".join(lines) + "\n"


def fmt(value: Any) -> str:
    """Compact cell text: 3 significant digits for floats."""
    if isinstance(value, float):
        if value == 0:
            return "0"
        if abs(value) >= 1000:
            return f"{value:,.0f}"
        if abs(value) >= 100:
            return f"{value:.0f}"
        if abs(value) >= 10:
            return f"{value:.1f}"
        if abs(value) >= 0.01:
            return f"{value:.3g}"
        return f"{value:.2e}"
    return str(value)


def ratio(baseline: float, ours: float) -> str:
    """``baseline / ours`` as '3.2×' (how many times faster rotordx is)."""
    if ours <= 0:
        return "∞"
    return f"{baseline / ours:.2f}×"
