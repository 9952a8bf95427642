"""The batch tests' data: a simulated fleet with bad files (fixtures in tests/batch/conftest.py).

The fleet: 6 machines x 40 snapshots of 0.25 s (240 recordings, three axes, CSV), its
manifest as written (bearings by catalogue name, 6205 …, or custom geometry), and six bad
lines: a CSV cut in the middle of a line,
random bytes named like a CWRU file, a NaN, a WAV file whose manifest rate is wrong, a
recording too short, a missing file.
"""

from __future__ import annotations

import csv
import wave
from pathlib import Path

import numpy as np

from rotordx.simulate.fleet import FleetConfig, write_fleet

#: Bad lines of the fleet manifest: file name -> a piece of its expected error.
BAD = {
    "truncated.csv": "cells; expected 4",
    "12k_Drive_End_IR007_0_105.mat": "12k_Drive_End_IR007_0_105.mat",
    "nan.csv": "expected a finite number",
    "wrong_rate.wav": "says 8000 Hz",
    "short.csv": "at least 256",
    "missing.csv": "not found",
}
MACHINES, SNAPSHOTS, SECONDS = 6, 40, 0.25


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def write_manifest(path: Path, rows: list[dict[str, str]]) -> Path:
    """A manifest of ``rows`` (dicts with the same keys)."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    return path


def bad_files(root: Path, good: Path) -> list[dict[str, str]]:
    bad = root / "bad"
    bad.mkdir()
    text = good.read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    # cut right after the first comma of a line in the middle: 2 cells where 4 are expected
    cut = sum(map(len, lines[: len(lines) // 2])) + lines[len(lines) // 2].index(",") + 1
    (bad / "truncated.csv").write_text(text[:cut], encoding="utf-8")
    (bad / "12k_Drive_End_IR007_0_105.mat").write_bytes(np.random.default_rng(0).bytes(4096))
    cells = lines[10].split(",")
    lines_nan = [*lines[:10], ",".join([cells[0], "nan", *cells[2:]]), *lines[11:]]
    (bad / "nan.csv").write_text("".join(lines_nan), encoding="utf-8")
    with wave.open(str(bad / "wrong_rate.wav"), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes((np.sin(np.arange(4000) / 5.0) * 3000).astype("<i2").tobytes())
    (bad / "short.csv").write_text("".join(lines[:101]), encoding="utf-8")
    empty = ("rate", "channel", "rpm", "condition", "units", "direction")
    base = dict.fromkeys(empty, "")
    row = base | {"label": "normal", "machine": "BAD"}
    return [
        row | {"path": "bad/truncated.csv"},
        row | {"path": "bad/12k_Drive_End_IR007_0_105.mat", "label": "inner_race"},
        row | {"path": "bad/nan.csv"},
        row | {"path": "bad/wrong_rate.wav", "rate": "4096"},
        row | {"path": "bad/short.csv"},
        row | {"path": "bad/missing.csv"},
    ]


def write_batch_fleet(root: Path) -> Path:
    """The fleet's manifest: 240 good recordings, then the six bad lines of :data:`BAD`."""
    manifest = write_fleet(
        root, FleetConfig(machines=MACHINES, snapshots=SNAPSHOTS, seconds=SECONDS), seed=3
    )
    rows = read_rows(manifest)  # with its bearing column: every good row has bearing evidence
    good = root / rows[0]["path"]
    return write_manifest(root / "batch.csv", rows + bad_files(root, good))
