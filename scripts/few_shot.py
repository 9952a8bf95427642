"""Few labels, or only a healthy baseline, per machine: what each approach gets right.

On a simulated fleet (``rotordx.simulate.write_fleet``: machines with their
own speed, mains, bearing, units and rate; 0.5 s three-axis snapshots), for
every machine separately and several random draws:

* **few-shot**: ``SHOTS`` recordings of each class of that machine train the
  ``features`` forest and MiniRocket (``minirocket``); both are scored on the
  machine's other recordings (one window per snapshot, the whole snapshot);
* **physics**: ``rotordx diagnose`` without a model on the same test recordings
  (``inconclusive`` counts as not right);
* **baseline**: ``rotordx train --model baseline`` on ``HEALTHY`` healthy
  recordings of the machine, then ``rotordx diagnose --model`` on the same
  test recordings: a fault is *detected* when the verdict is not ``normal``,
  *named* when the verdict is the fault; a false alarm is a held-out healthy
  recording called anything but ``normal``.

Prints Markdown tables (per machine and overall, mean over draws).

    python scripts/few_shot.py [--machines 6] [--snapshots 70] [--draws 3] [--seed 0]
"""

from __future__ import annotations

import argparse
import collections
import csv
import tempfile
import time
from pathlib import Path

import numpy as np

from rotordx.classes import NORMAL
from rotordx.data.dataset import load_data
from rotordx.data.holdout import recording_windows
from rotordx.diagnosis.api import context_of, diagnose
from rotordx.models.loading import load_model
from rotordx.models.registry import make_classifier
from rotordx.simulate.fleet import FleetConfig, write_fleet
from rotordx.workflows.baseline import train_baseline_run

SHOTS = 2
HEALTHY = 5
MODELS = ("features", "minirocket")


def _machine_manifests(fleet_dir: Path) -> dict[str, list[dict]]:
    with open(fleet_dir / "manifest.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    out: dict[str, list[dict]] = collections.defaultdict(list)
    for r in rows:
        r["path"] = str(fleet_dir / r["path"])
        out[r["machine"]].append(r)
    return out


def _write(rows: list[dict], path: Path) -> Path:
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return path


def _draw(rows: list[dict], rng, per_class: int) -> tuple[list[int], list[int]]:
    by: dict[str, list[int]] = collections.defaultdict(list)
    for i, r in enumerate(rows):
        by[r["label"]].append(i)
    train = [i for ids in by.values() for i in rng.choice(ids, per_class, replace=False)]
    return sorted(train), [i for i in range(len(rows)) if i not in set(train)]


def _few_shot(ds, train_ids, test_ids, *, seed: int) -> dict[str, float]:
    window = min(r.recording.signals.shape[1] for r in ds.recordings)
    tr, _ = recording_windows(ds, train_ids, window=window)
    te, _ = recording_windows(ds, test_ids, window=window)
    out = {}
    for name in MODELS:
        clf = make_classifier(name, data={"fs": ds.fs, "threads": 1})
        clf.fit(tr, seed=seed)
        out[name] = float((clf.predict_split(te) == te.y).mean())
    return out


def _physics(ds, test_ids) -> float:
    right = 0
    for i in test_ids:
        r = ds.recordings[i]
        d = diagnose(r.recording, context=context_of(r), spectrum=False)
        right += d.verdict == r.label
    return right / len(test_ids)


def _baseline(ds, rows, rng, tmp: Path, *, seed: int) -> dict[str, float]:
    healthy = [i for i, r in enumerate(rows) if r["label"] == NORMAL]
    train = sorted(rng.choice(healthy, HEALTHY, replace=False).tolist())
    run = tmp / "baseline"
    train_baseline_run(
        _write([rows[i] for i in train], tmp / "healthy.csv"), out=run, seed=seed, force=True
    )
    bundle = load_model(run)
    alarms = detected = named = faults = held = 0
    for i, r in enumerate(ds.recordings):
        if i in train:
            continue
        d = diagnose(r.recording, model=bundle, context=context_of(r), spectrum=False)
        if r.label == NORMAL:
            held += 1
            alarms += d.verdict != NORMAL
        else:
            faults += 1
            detected += d.verdict != NORMAL
            named += d.verdict == r.label
    return {
        "false_alarms": alarms / max(held, 1),
        "detected": detected / faults,
        "named": named / faults,
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--machines", type=int, default=6)
    ap.add_argument("--snapshots", type=int, default=70)
    ap.add_argument("--draws", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    rows_out = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        cfg = FleetConfig(machines=args.machines, snapshots=args.snapshots)
        fleet = write_fleet(tmp / "fleet", cfg, seed=args.seed).parent
        for machine, rows in sorted(_machine_manifests(fleet).items()):
            manifest = _write(rows, tmp / f"{machine}.csv")
            ds = load_data(manifest)
            acc = collections.defaultdict(list)
            for draw in range(args.draws):
                rng = np.random.default_rng([args.seed, draw])
                train, test = _draw(rows, rng, SHOTS)
                for k, v in _few_shot(ds, train, test, seed=draw).items():
                    acc[k].append(v)
                acc["physics"].append(_physics(ds, test))
                for k, v in _baseline(ds, rows, rng, tmp, seed=draw).items():
                    acc[f"baseline_{k}"].append(v)
            row = {"machine": machine, "rpm": rows[0]["rpm"] or "withheld", "rate": rows[0]["rate"]}
            row |= {k: float(np.mean(v)) for k, v in acc.items()}
            rows_out.append(row)
            print(
                f"{machine}: "
                + ", ".join(f"{k} {v:.2f}" for k, v in row.items() if isinstance(v, float)),
                flush=True,
            )
    keys = [k for k in rows_out[0] if isinstance(rows_out[0][k], float)]
    print()
    print(
        f"{args.machines} machines x {args.snapshots} snapshots of 0.5 s (seed {args.seed}); "
        f"{SHOTS} training recordings per class, {args.draws} draws; baseline on {HEALTHY} healthy"
    )
    print()
    print("| machine | rpm | rate | " + " | ".join(keys) + " |")
    print("|---|---|---|" + "---|" * len(keys))
    for r in rows_out:
        print(
            f"| {r['machine']} | {r['rpm']} | {r['rate']} | "
            + " | ".join(f"{r[k] * 100:.1f}%" for k in keys)
            + " |"
        )
    print(
        "| **all** | | | "
        + " | ".join(f"**{np.mean([r[k] for r in rows_out]) * 100:.1f}%**" for k in keys)
        + " |"
    )
    print(f"\n{time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
