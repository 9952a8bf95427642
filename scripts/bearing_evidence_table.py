"""Per-file envelope evidence on CWRU and Paderborn, and the calibration of its thresholds.

Usage::

    python scripts/bearing_evidence_table.py [DATA_FOLDER] [--out evidence.md]

For every CWRU drive-end file (12 kHz; the 48 kHz healthy one resampled) and every
Paderborn file (64 kHz, FAG 6203), with the known shaft speed, exactly what the
streaming diagnosis does: the demodulation band from a kurtogram of the first 2 s
(:data:`rotordx.features.envelope.BAND_SECONDS`), the envelope spectra of 1 s
segments averaged over the whole recording, then
:func:`rotordx.features.bearing_evidence.bearing_evidence`.

Calibration (the procedure behind ``THRESHOLDS``): the threshold of the
*second* family member is fixed beforehand at 3 (a line three times its local
floor, about 10 dB). The threshold of the *leading* line is chosen on CWRU
alone: every value on a grid of 0.5 from 2 to 16 is scored by its wrong calls
(a race or ball named that is not the file's, or any part named on a healthy
file) and its right calls; the values with no wrong call and the most right
calls form a plateau, and the threshold is its geometric centre (rounded to
0.5). Paderborn is the check, never used to choose. For comparison the script
also runs leave-one-bearing-out on Paderborn (choose on two bearings of each
class, score the third) and shows what those thresholds would do on CWRU.
"""

from __future__ import annotations

import argparse
import math
import re
import sys
from pathlib import Path

import numpy as np

from rotordx.features.bearing import DEFECT_FAULTS, FAG_6203, SKF_6205
from rotordx.features.envelope import strongest_defect
from rotordx.io.cwru import find_cwru, parse_cwru_name, read_cwru
from rotordx.io.datadir import default_data_dir
from rotordx.io.tabular import read_channels
from rotordx.signal.resample import change_rate

SECOND = 3.0
GRID = np.arange(2.0, 16.01, 0.5)
ZERO = {"fundamental": 1e-9, "second": 1e-9}
PB_FOLD = {"K001": 1, "KA04": 1, "KI04": 1, "K002": 2, "KA15": 2, "KI14": 2}
PB_FOLD |= {"K003": 3, "KA16": 3, "KI16": 3}


def cwru_files(folder: Path) -> list[dict]:
    out = []
    for path in find_cwru(folder):
        r = read_cwru(path)
        x, fs = r.recording.signals[0], r.recording.fs
        if fs != 12000.0:
            x, fs = change_rate(x, orig_fs=fs, target_fs=12000.0), 12000.0
        info = parse_cwru_name(path.name)
        out.append(
            {
                "set": "CWRU",
                "file": path.name,
                "truth": info.label,
                "x": x,
                "fs": fs,
                "shaft": r.rpm / 60.0,
                "geometry": SKF_6205,
                "fold": None,
            }
        )
    return out


def paderborn_files(folder: Path) -> list[dict]:
    out = []
    for path in sorted(folder.rglob("N*_M*_F*_K*_1.csv")):
        m = re.match(r"^N(\d\d)_.*_(K[0AI]\d\d)_\d\.csv$", path.name)
        if m is None:
            continue
        kind = {"K0": "normal", "KA": "outer_race", "KI": "inner_race"}[m.group(2)[:2]]
        x = read_channels(path, rate=64000.0).signals[0]
        out.append(
            {
                "set": "Paderborn",
                "file": path.name,
                "truth": kind,
                "x": x,
                "fs": 64000.0,
                "shaft": int(m.group(1)) * 100 / 60.0,
                "geometry": FAG_6203,
                "fold": PB_FOLD.get(m.group(2)),
            }
        )
    return out


def evidence(rec: dict) -> dict:
    ev = strongest_defect(
        rec["x"],
        fs=rec["fs"],
        shaft_hz=rec["shaft"],
        geometry=rec["geometry"],
        band="auto",
        thresholds=ZERO,
    )
    fams = ev["defects"]
    return {
        **rec,
        "band": ev["band"],
        "fams": {
            d: (f["fundamental_snr"], f["second_snr"], f["score"], f["assessable"])
            for d, f in fams.items()
        },
        "ambiguous": ev["ambiguous"],
    }


def verdict(row: dict, t1: float, t2: float = SECOND) -> str | None:
    sig = [d for d, (f, s, _, _) in row["fams"].items() if f >= t1 and s >= t2]
    if not sig:
        return None
    best = max(sig, key=lambda d: (row["fams"][d][3], row["fams"][d][2], row["fams"][d][0]))
    return DEFECT_FAULTS[best]


def outcome(row: dict, t1: float) -> str:
    v = verdict(row, t1)
    if v is None:
        return "right (silent)" if row["truth"] == "normal" else "none"
    return "right" if v == row["truth"] else "WRONG"


def counts(rows: list[dict], t1: float) -> tuple[int, int, int]:
    o = [outcome(r, t1) for r in rows]
    return sum(x.startswith("right") for x in o), o.count("WRONG"), o.count("none")


def choose(rows: list[dict]) -> tuple[float, tuple[float, float]]:
    """Geometric centre of the plateau of no wrong call and most right calls."""
    scored = [(t, *counts(rows, t)) for t in GRID]
    best_w = min(s[2] for s in scored)
    best_r = max(s[1] for s in scored if s[2] == best_w)
    plateau = [s[0] for s in scored if s[2] == best_w and s[1] == best_r]
    lo, hi = min(plateau), max(plateau)
    return round(math.sqrt(lo * hi) * 2) / 2, (lo, hi)


def table(rows: list[dict], t1: float) -> str:
    lines = [
        "| file | true class | band (Hz) | strongest | line SNR | next member | verdict | |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        best = max(r["fams"], key=lambda d: (r["fams"][d][3], r["fams"][d][2]))
        f, s, _, ok = r["fams"][best]
        v = verdict(r, t1)
        lines.append(
            f"| `{r['file']}` | {r['truth']} | {r['band'][0]:.0f}–{r['band'][1]:.0f} | "
            f"{best.upper()}{'' if ok else ' (not assessable)'} | {f:.1f} | {s:.1f} | "
            f"{v or '—'} | {outcome(r, t1)} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("data", nargs="?", help="folder holding cwru/ and paderborn/")
    ap.add_argument("--out", help="write the Markdown here (default: print)")
    args = ap.parse_args(argv)
    data = Path(args.data) if args.data else default_data_dir()
    if data is None:
        raise SystemExit("no data folder: pass the folder holding cwru/ and paderborn/")
    cw = [evidence(r) for r in cwru_files(data / "cwru")]
    pb = [evidence(r) for r in paderborn_files(data / "paderborn")]
    t1, plateau = choose(cw)
    out = [
        f"Leading-line threshold chosen on CWRU: plateau {plateau[0]:g}–{plateau[1]:g}, "
        f"centre {t1:g} (second member {SECOND:g}).",
        f"CWRU right/wrong/none: {counts(cw, t1)}; Paderborn: {counts(pb, t1)}.",
        "",
    ]
    for fold in (1, 2, 3):
        train = [r for r in pb if r["fold"] != fold]
        test = [r for r in pb if r["fold"] == fold]
        tf, pl = choose(train)
        out.append(
            f"Paderborn leave-bearings-out, fold {fold}: chosen {tf:g} (plateau {pl[0]:g}–"
            f"{pl[1]:g}); held-out right/wrong/none {counts(test, tf)}; on CWRU {counts(cw, tf)}"
        )
    out += ["", "### CWRU", "", table(cw, t1), "", "### Paderborn", "", table(pb, t1), ""]
    text = "\n".join(out)
    if args.out:
        Path(args.out).write_text(text + "\n", encoding="utf-8")
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
