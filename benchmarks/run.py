"""Run the benchmark suite and write a Markdown table.

    python -m benchmarks.run                      # full suite → benchmarks/results.md
    python -m benchmarks.run --quick              # tiny CI variant (numbers meaningless)
    python -m benchmarks.run --only preprocess --repeats 7 --out docs/performance-raw.md

Stages are the modules ``benchmarks/bench_<name>.py``; see _common.py for
their contract.
"""

from __future__ import annotations

import argparse
import importlib
import json
import math
import os
import pkgutil
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from benchmarks._common import Section, machine_info

HERE = Path(__file__).resolve().parent


def stage_names() -> list[str]:
    names = [m.name for m in pkgutil.iter_modules([str(HERE)]) if m.name.startswith("bench_")]
    order = ["preprocess", "training", "windowed", "inference", "scaling"]
    short = [n[len("bench_") :] for n in names]
    return sorted(short, key=lambda s: (order.index(s) if s in order else len(order), s))


def _strict(obj):
    """``obj`` with NaN and infinities as ``null``: strict JSON."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: _strict(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_strict(v) for v in obj]
    return obj


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--quick", action="store_true", help="tiny variant for CI")
    p.add_argument("--only", action="append", default=[], help="stage to run (repeatable)")
    p.add_argument(
        "--repeats", type=int, default=None, help="timed runs per median (default 5; quick 1)"
    )
    p.add_argument("--out", type=Path, default=HERE / "results.md", help="Markdown output")
    args = p.parse_args(argv)

    repeats = args.repeats or (1 if args.quick else 5)
    names = stage_names()
    unknown = [n for n in args.only if n not in names]
    if unknown:
        p.error(f"unknown stage(s) {unknown}; available: {names}")
    selected = args.only or names

    info = machine_info()
    started = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    header = [
        "# rotordx benchmarks",
        "",
        f"Run {started}{' (quick: tiny data, numbers not meaningful)' if args.quick else ''}; "
        f"medians of {repeats} run(s).",
        "",
        "| machine | |",
        "|---|---|",
        *[f"| {k} | {v} |" for k, v in info.items()],
        "",
    ]
    print("\n".join(header), flush=True)
    sections: list[Section] = []
    for name in selected:
        mod = importlib.import_module(f"benchmarks.bench_{name}")
        t0 = time.perf_counter()
        print(f"[{name}] running …", file=sys.stderr, flush=True)
        section = mod.run(quick=args.quick, repeats=repeats)
        print(f"[{name}] done in {time.perf_counter() - t0:.1f} s", file=sys.stderr, flush=True)
        print(section.markdown(), flush=True)
        sections.append(section)

    text = "\n".join(header) + "\n" + "\n".join(s.markdown() for s in sections)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_name(f".{args.out.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, args.out)
    raw = {
        "machine": info,
        "quick": args.quick,
        "repeats": repeats,
        "started": started,
        "sections": {
            s.title: {"columns": s.columns, "rows": s.rows, "data": s.data} for s in sections
        },
    }
    jout = args.out.with_suffix(".json")
    tmp = jout.with_name(f".{jout.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(_strict(raw), indent=2, default=str), encoding="utf-8")
    os.replace(tmp, jout)
    print(f"wrote {args.out} and {jout}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
