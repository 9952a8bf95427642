"""How the physics-only diagnosis does on named data: one row per recording.

Runs ``rotordx.diagnosis.diagnose_path`` without a model (what ``rotordx
diagnose INPUT`` does) on

* ``cwru``: the CWRU drive-end files of ``DATA/cwru`` (SKF 6205, the file's rpm);
* ``paderborn``: the Paderborn KAt files of ``DATA/paderborn`` (FAG 6203, rpm
  from the file name: 1500 or 900);
* ``vbl``: the VBL-VA001 sample of ``DATA/vbl_va001_sample`` (three axes in g,
  20 kHz, no speed given, bearing unknown);
* ``fleet``: a simulated fleet (``rotordx.simulate.write_fleet``, seed 0: 6
  machines, 20 snapshots of 0.5 s each; half of the machines without rpm).

and prints, per data set, a Markdown table (file, label, verdict, confidence,
speed and its source, zone, outcome) and a summary. An outcome is ``right``
(the verdict is the label's; for VBL ``bearing`` any bearing verdict),
``inconclusive``, ``missed`` (``normal`` for a fault) or ``wrong`` (another
fault, or a fault named on a healthy machine).

    python scripts/physics_table.py [--data ../shared/data] [--only cwru,vbl] [--out table.md]
"""

from __future__ import annotations

import argparse
import collections
import csv
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from rotordx.classes import INCONCLUSIVE, NORMAL
from rotordx.diagnosis.api import diagnose_path
from rotordx.simulate.fleet import FleetConfig, write_fleet

HERE = Path(__file__).resolve().parent
SETS = ("cwru", "paderborn", "vbl", "fleet")


def expected(label: str) -> str:
    """The verdict that is right for a label."""
    if label in ("inner_race", "outer_race", "ball", "cage"):
        return f"bearing_{label}"
    return label


def outcome(label: str, verdict: str) -> str:
    want = expected(label)
    if verdict == want or (want == "bearing" and verdict.startswith("bearing_")):
        return "right"
    if verdict == INCONCLUSIVE:
        return INCONCLUSIVE
    if verdict == NORMAL:
        return "missed"
    return "wrong"


def _manifest(path: Path, rows: list[dict]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return path


def cwru(data: Path, tmp: Path) -> Path:
    return data / "cwru"  # a folder of CWRU files: label, rpm and bearing from the files


def paderborn(data: Path, tmp: Path) -> Path:
    sys.path.insert(0, str(HERE))
    from paderborn_manifest import write_manifest  # the leave-bearings-out manifest

    out = write_manifest(data / "paderborn", tmp / "paderborn.csv")
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    for r in rows:
        r["path"] = str((out.parent / r["path"]).resolve())
        r["bearing"] = "FAG_6203"
    return _manifest(tmp / "paderborn_b.csv", rows)


def vbl(data: Path, tmp: Path) -> Path:
    """Headerless ``time,x,y,z`` files: written again as ``x,y,z`` with a header, at the
    rate the data set states (20 kHz; the time column jitters by up to 20 %), read as g."""
    rows = []
    for f in sorted((data / "vbl_va001_sample").glob("*/*.csv")):
        a = np.loadtxt(f, delimiter=",")
        out = tmp / "vbl" / f.parent.name / f.name
        out.parent.mkdir(parents=True, exist_ok=True)
        np.savetxt(out, a[:, 1:], delimiter=",", header="x,y,z", comments="", fmt="%.9g")
        rows.append(
            {
                "path": str(out),
                "label": f.parent.name,
                "rate": 20000,
                "channel": "x;y;z",
                "machine": "VBL-VA001",
                "units": "g",
            }
        )
    return _manifest(tmp / "vbl.csv", rows)


def fleet(data: Path, tmp: Path) -> Path:
    return write_fleet(tmp / "fleet", FleetConfig(machines=6, snapshots=20, seconds=0.5), seed=0)


def run(name: str, data: Path, tmp: Path) -> list[dict]:
    source = globals()[name](data, tmp)
    t0 = time.perf_counter()
    rows = []
    for d in diagnose_path(source, spectrum=False):
        label = d.label or "?"
        rows.append(
            {
                "file": Path(d.path).name,
                "machine": d.machine or "",
                "label": label,
                "verdict": d.verdict,
                "confidence": d.confidence,
                "rpm": d.rpm,
                "rpm_source": d.rpm_source,
                "zone": d.severity["zone"],
                "faults": ",".join(d.faults),
                "outcome": outcome(label, d.verdict),
            }
        )
    seconds = time.perf_counter() - t0
    print(f"{name}: {len(rows)} recordings in {seconds:.1f} s", file=sys.stderr)
    return rows


def markdown(name: str, rows: list[dict]) -> str:
    out = [f"### {name}", ""]
    counts = collections.Counter(r["outcome"] for r in rows)
    wrong_conf = [r["confidence"] for r in rows if r["outcome"] == "wrong"]
    kinds = ("right", "inconclusive", "missed", "wrong")
    line = f"{len(rows)} recordings: " + ", ".join(f"{k} {counts.get(k, 0)}" for k in kinds)
    if wrong_conf:
        line += f" (wrong at confidence {min(wrong_conf):.2f}–{max(wrong_conf):.2f})"
    out.append(line)
    by_label = collections.defaultdict(collections.Counter)
    for r in rows:
        by_label[r["label"]][r["outcome"]] += 1
    out += ["", "| label | right | inconclusive | missed | wrong |", "|---|---|---|---|---|"]
    for label, c in sorted(by_label.items()):
        out.append(f"| {label} | " + " | ".join(str(c[k]) for k in kinds) + " |")
    out += [
        "",
        "| file | label | verdict | confidence | rpm (source) | zone | outcome |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        out.append(
            f"| {r['file']} | {r['label']} | {r['verdict']} | {r['confidence']:.2f} | "
            f"{r['rpm']:.0f} ({r['rpm_source']}) | {r['zone']} | {r['outcome']} |"
        )
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=HERE.parent.parent / "shared" / "data")
    ap.add_argument("--only", default=",".join(SETS))
    ap.add_argument("--out", type=Path)
    args = ap.parse_args(argv)
    text = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.only.split(","):
            if name not in SETS:
                ap.error(f"--only: {name!r} is none of {', '.join(SETS)}")
            text.append(markdown(name, run(name, args.data, Path(tmp))))
    md = "\n".join(text)
    if args.out:
        args.out.write_text(md, encoding="utf-8")
    else:
        print(md)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
