"""Write a manifest of the Paderborn KAt recordings for leave-bearings-out evaluation.

Usage::

    python scripts/paderborn_manifest.py [PADERBORN_FOLDER] [--out paderborn.csv]

One row per ``N{speed}_M{torque}_F{force}_{bearing}_1.csv`` file: label from the
bearing (``K0xx`` normal, ``KAxx`` outer race, ``KIxx`` inner race), rate 64000
(the housing accelerometer), rpm from ``N15``/``N09`` (1500/900), and the fold as
``condition``: each fold holds one healthy, one outer-race and one inner-race
bearing, so ``rotordx crossval MANIFEST --folds condition`` trains on two bearings
of each class and tests on the third. The manifest has no ``bearing`` column: pass
``--bearing FAG_6203`` to ``rotordx crossval``.
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import sys
from pathlib import Path

#: The folds: bearing -> condition.
FOLDS: dict[str, str] = {
    "K001": "1",
    "KA04": "1",
    "KI04": "1",
    "K002": "2",
    "KA15": "2",
    "KI14": "2",
    "K003": "3",
    "KA16": "3",
    "KI16": "3",
}
LABELS = {"K0": "normal", "KA": "outer_race", "KI": "inner_race"}
RPM = {"N15": 1500, "N09": 900}
_NAME = re.compile(r"^(N\d\d)_M\d\d_F\d\d_(K[0AI]\d\d)_\d+\.csv$")


def manifest_rows(folder: Path) -> list[dict[str, str]]:
    """One row per recognised file of ``folder`` (searched recursively), sorted by path."""
    rows = []
    for path in sorted(folder.rglob("*.csv")):
        m = _NAME.match(path.name)
        if m is None or m.group(2) not in FOLDS:
            continue
        speed, bearing = m.groups()
        rows.append(
            {
                "path": path.relative_to(folder).as_posix(),
                "label": LABELS[bearing[:2]],
                "rate": "64000",
                "channel": "",
                "rpm": str(RPM[speed]),
                "condition": FOLDS[bearing],
            }
        )
    return rows


def write_manifest(folder: str | os.PathLike[str], out: str | os.PathLike[str]) -> Path:
    """Write the manifest; paths are absolute unless ``out`` lies in ``folder``."""
    folder, out = Path(folder).resolve(), Path(out).resolve()
    rows = manifest_rows(folder)
    if not rows:
        raise SystemExit(f"no Paderborn files (N15_M07_F10_KA04_1.csv, ...) under {folder}")
    base = out.parent
    for r in rows:
        p = folder / r["path"]
        r["path"] = os.path.relpath(p, base) if p.is_relative_to(base) else str(p)
    tmp = out.with_suffix(out.suffix + ".tmp")
    with tmp.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    tmp.replace(out)
    return out


def main(argv: list[str] | None = None) -> int:
    from rotordx.io.datadir import default_data_dir

    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("folder", nargs="?", help="Paderborn folder (default: the shared data's)")
    ap.add_argument("--out", default="paderborn.csv", help="manifest to write")
    args = ap.parse_args(argv)
    folder = args.folder or (default_data_dir() or Path(".")) / "paderborn"
    out = write_manifest(folder, args.out)
    print(f"{out}: {len(manifest_rows(Path(folder)))} recordings")
    return 0


if __name__ == "__main__":
    sys.exit(main())
