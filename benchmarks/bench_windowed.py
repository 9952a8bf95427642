"""Windowed models against aeon's MiniRocket: test accuracy and training time.

Every model gets identical windows and splits in the same run:

* **testbed**: a simulated 140 s KAMP group (4 sensors, 1 kHz), the leak-free
  time split (blocks 60/20/20 % with gaps), windows of 1024, hop 256;
* **CWRU time split**: the 31 drive-end recordings at 12 kHz, windows of 2048,
  hop 512 (the 0.5 s windows the bearing model needs: 6000, hop 1500);
* **CWRU leave-one-size-out**: :func:`rotordx.workflows.cross_validate`, windows
  of 12000 (30 revolutions), accuracy over every window of the held-out
  recordings, train time summed over the three folds.

Training time is wall time, every contender on the same threads (all cores):
torch's intra-op threads, MiniRocket's numba threads (aeon's ``n_jobs``) and
the forests' ``n_jobs``; the median of ``repeats`` fits for the testbed, one fit for CWRU (fits are
deterministic; their accuracy does not change between repeats). Target
(issue 7): a rotordx model at ≥ MiniRocket's accuracy in ≤ its train time.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from benchmarks._common import Section
from rotordx.cli._common import DEFAULT_THREADS
from rotordx.data.dataset import load_data
from rotordx.data.splits import WindowConfig, split_dataset
from rotordx.io import write_kamp_group
from rotordx.io.datadir import default_data_dir
from rotordx.models import default_train_config, make_classifier
from rotordx.simulate import TestbedConfig, simulate_testbed
from rotordx.workflows.crossval import cross_validate

TITLE = "Windowed models vs MiniRocket: accuracy and training time"
COLUMNS = ["data", "model", "test accuracy", "train s", "train time vs MiniRocket", "note"]


def _fit(name: str, splits, *, ds, repeats: int) -> tuple[float, float]:
    """(test accuracy, median train seconds) of ``name`` on ``splits`` of data set ``ds``."""
    tr, va, te = splits
    times, acc = [], None
    for _ in range(max(1, repeats)):
        clf = make_classifier(
            name,
            train_config=default_train_config(name, seed=0, threads=DEFAULT_THREADS),
            data={"fs": ds.fs, "geometry": ds.bearing, "threads": DEFAULT_THREADS},
        )
        t0 = time.perf_counter()
        clf.fit(tr, va, seed=0)
        times.append(time.perf_counter() - t0)
        a = float((clf.predict(te.X, shaft_hz=te.shaft_hz) == te.y).mean())
        if acc is not None and a != acc:
            raise RuntimeError(f"{name}: accuracy changed between identical fits ({acc} → {a})")
        acc = a
    return acc, statistics.median(times)


def _rows(section: Section, data: str, results: dict[str, tuple[float, float]], note="") -> None:
    base = results.get("minirocket")
    for name, (acc, secs) in results.items():
        vs = "baseline" if name == "minirocket" or base is None else f"{secs / base[1]:.2f}×"
        section.add(data, name, f"{acc:.2%}", secs, vs, note if name == "minirocket" else "")
        section.data[f"{data}/{name}"] = {"accuracy": acc, "train_seconds": secs}


def _verdict(section: Section, data: str, results: dict[str, tuple[float, float]]) -> None:
    if "minirocket" not in results:
        return
    acc_m, t_m = results["minirocket"]
    winners = [n for n, (a, t) in results.items() if n != "minirocket" and a >= acc_m and t <= t_m]
    if winners:
        best = min(winners, key=lambda n: results[n][1])
        a, t = results[best]
        section.notes.append(
            f"- {data}: **met** by `{best}` ({a:.2%} ≥ {acc_m:.2%} in {t:.1f} s ≤ {t_m:.1f} s)."
        )
    else:
        section.notes.append(
            f"- {data}: **not met**: no model reached MiniRocket's {acc_m:.2%} within {t_m:.1f} s."
        )


def run(quick: bool, repeats: int) -> Section:
    section = Section(TITLE, COLUMNS)
    # -- testbed
    seconds = 24.0 if quick else 140.0
    models = ("features", "wdcnn", "minirocket") if not quick else ("features", "minirocket")
    with tempfile.TemporaryDirectory() as tmp:
        write_kamp_group(Path(tmp), simulate_testbed(TestbedConfig(seconds=seconds), seed=0))
        ds = load_data(tmp, fs=1000.0, duration=seconds)
        splits = split_dataset(ds, config=WindowConfig(window=1024, hop=256), seed=0)
    res = {m: _fit(m, splits, ds=ds, repeats=1 if quick else repeats) for m in models}
    _rows(section, f"testbed {seconds:g} s", res)
    _verdict(section, f"testbed {seconds:g} s", res)

    # -- CWRU
    cwru = default_data_dir() / "cwru"
    if not cwru.is_dir():
        section.notes.append(f"- CWRU: skipped, no data at {cwru}.")
        return section
    if quick:
        section.notes.append("- CWRU: skipped in --quick.")
        return section
    ds = load_data(cwru)
    time_split = {}
    for m, window, hop in (
        ("wdcnn", 2048, 512),
        ("minirocket", 2048, 512),
        ("bearing", 6000, 1500),
    ):
        sp = split_dataset(ds, config=WindowConfig(window=window, hop=hop), seed=0)
        time_split[m] = _fit(m, sp, ds=ds, repeats=1)
    _rows(section, "CWRU time split", time_split, note="windows of 2048 (bearing 6000)")
    _verdict(section, "CWRU time split", time_split)

    t0 = time.perf_counter()
    cv = cross_validate(
        cwru,
        by="size",
        models=("bearing", "minirocket"),
        window=12000,
        progress=False,
        threads=DEFAULT_THREADS,
    )
    loso = {
        m: (cv["summary"][m]["mean_accuracy"], cv["summary"][m]["train_seconds"])
        for m in ("bearing", "minirocket")
    }
    _rows(section, "CWRU leave-one-size-out (mean of 3 folds)", loso, note="windows of 12000")
    _verdict(section, "CWRU leave-one-size-out", loso)
    section.notes.append(
        f"- The CWRU leave-one-size-out run took {time.perf_counter() - t0:.0f} s in all; "
        "its accuracy is the mean over the folds of the share of held-out windows right."
    )
    return section
