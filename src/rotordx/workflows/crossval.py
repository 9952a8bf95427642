"""Cross-recording evaluation: train on some recordings, test on *other* ones.

Splitting one recording into time blocks (:mod:`rotordx.windows`) tells how
well a model recognises the fault it was trained on. A user needs more: will
it recognise a fault of another size, at another position, under another
load? Here every fold holds out whole recordings:

``size``
    Leave one fault size out (CWRU names): at the load with the most
    recordings, for each size that exists for every fault type (0.007,
    0.014, 0.021 in on the 12 kHz drive-end data), test on that size's
    fault recordings and train on the other sizes' plus the healthy ones.
``position``
    Leave one outer-race position out (CWRU ``@3``/``@6``/``@12``): test on
    the outer-race recordings at that position, train on every other
    recording at the same load (outer race at the other positions included).
``load``
    Train at the lowest load, test at each other load (CWRU hp).
``condition``
    Any manifest: hold out each value of the ``condition`` column in turn;
    recordings without a condition are always trained on.
``recording``
    Any data set of many recordings: ``k`` folds of whole recordings,
    stratified by label (:func:`rotordx.data.holdout.kfold_recordings`).
``machine``
    A manifest with a ``machine`` column: each machine held out in turn.

Models train on every window of the training recordings; a model that
stops its training early (the torch networks) takes its validation windows
from held-out training recordings (:func:`rotordx.data.holdout.train_valid`).
The held-out recordings are scored on every non-overlapping window (a
recording shorter than one window is one window, padded with its mean).
Nothing of a test recording is seen in training.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import numpy as np

from rotordx._atomic import atomic_dir, write_text_atomic
from rotordx.data.dataset import Dataset, load_data, revolutions_to_samples
from rotordx.data.holdout import (
    Holdout,
    kfold_recordings,
    machine_folds,
    recording_windows,
    train_valid,
)
from rotordx.data.splits import WindowConfig, default_window
from rotordx.exceptions import DataError, ParameterError
from rotordx.features.bearing import bearing_geometry
from rotordx.io.cwru import parse_cwru_name
from rotordx.models.metrics import score_predictions
from rotordx.models.registry import (
    WINDOW,
    check_classifier,
    check_protocol,
    default_train_config,
    get_spec,
    make_classifier,
)
from rotordx.render.figures import confusion_matrix_figure, save_png
from rotordx.render.tables import crossval_markdown

__all__ = [
    "FOLD_SCHEMES",
    "cross_validate",
    "make_folds",
    "write_crossval",
]

FOLD_SCHEMES: tuple[str, ...] = ("size", "position", "load", "condition", "recording", "machine")
#: Folds of the ``recording`` scheme by default.
DEFAULT_K = 5


def _fold(name: str, train: tuple[int, ...], test: tuple[int, ...]) -> Holdout:
    return Holdout(train, test, name)


def _cwru_info(ds: Dataset) -> list:
    infos = []
    for r in ds.recordings:
        try:
            infos.append(parse_cwru_name(Path(str(r.recording.name)).name))
        except DataError:
            raise DataError(
                f"{r.recording.name}: the fault size/position/load folds need CWRU file names "
                "(e.g. 12k_Drive_End_IR007_0_105.mat); use --folds condition for other data"
            ) from None
    return infos


def make_folds(ds: Dataset, by: str, *, k: int = DEFAULT_K, seed: int = 0) -> list[Holdout]:
    """The folds of scheme ``by`` (one of :data:`FOLD_SCHEMES`) for the recordings of ``ds``."""
    if by not in FOLD_SCHEMES:
        raise ParameterError(f"unknown fold scheme {by!r}; expected one of {FOLD_SCHEMES}")
    if by == "recording":
        return kfold_recordings(ds, k=k, seed=seed)
    if by == "machine":
        return machine_folds(ds)
    idx = range(len(ds.recordings))
    if by == "condition":
        values = sorted({r.condition for r in ds.recordings if r.condition})
        if len(values) < 2:
            raise DataError(
                f"{ds.source}: --folds condition needs at least two conditions in the manifest's "
                f"'condition' column, found {values}"
            )
        always = tuple(i for i in idx if not ds.recordings[i].condition)
        return [
            _fold(
                f"condition={v}",
                tuple(sorted(always + tuple(i for i in idx if ds.recordings[i].condition != v))),
                tuple(i for i in idx if ds.recordings[i].condition == v),
            )
            for v in values
            if any(ds.recordings[i].condition != v and ds.recordings[i].condition for i in idx)
        ]
    info = _cwru_info(ds)
    if by == "load":
        loads = sorted({i.load_hp for i in info})
        if len(loads) < 2:
            raise DataError(f"{ds.source}: --folds load needs recordings at two loads, got {loads}")
        base = tuple(i for i in idx if info[i].load_hp == loads[0])
        return [
            _fold(f"{loads[0]}hp->{hp}hp", base, tuple(i for i in idx if info[i].load_hp == hp))
            for hp in loads[1:]
        ]
    # size / position: at the load with the most recordings
    loads = [i.load_hp for i in info]
    load = max(set(loads), key=lambda hp: (loads.count(hp), -hp))
    at = [i for i in idx if info[i].load_hp == load]
    if by == "size":
        faults = {info[i].label for i in at if info[i].size_mils}
        sizes = sorted(
            s
            for s in {info[i].size_mils for i in at if info[i].size_mils}
            if {info[i].label for i in at if info[i].size_mils == s} == faults
        )
        if len(sizes) < 2:
            raise DataError(
                f"{ds.source}: --folds size needs two fault sizes that exist for every fault "
                f"type ({sorted(faults)}) at {load} hp, found {sizes}"
            )
        healthy = tuple(i for i in at if not info[i].size_mils)
        return [
            _fold(
                f"size {s:03d} held out",
                tuple(
                    sorted(
                        healthy
                        + tuple(
                            i for i in at if info[i].size_mils in sizes and info[i].size_mils != s
                        )
                    )
                ),
                tuple(i for i in at if info[i].size_mils == s),
            )
            for s in sizes
        ]
    positions = sorted({info[i].position for i in at if info[i].position})
    if len(positions) < 2:
        raise DataError(
            f"{ds.source}: --folds position needs outer-race recordings at two positions "
            f"at {load} hp, found {positions}"
        )
    return [
        _fold(
            f"position @{p} held out",
            tuple(i for i in at if info[i].position != p),
            tuple(i for i in at if info[i].position == p),
        )
        for p in positions
    ]


def cross_validate(
    data: str | os.PathLike[str] | Dataset,
    *,
    by: str = "size",
    k: int = DEFAULT_K,
    models: tuple[str, ...] = ("bearing", "minirocket"),
    window: int | None = None,
    revolutions: float | None = None,
    hop: int | None = None,
    fs: float | None = None,
    seed: int = 0,
    threads: int = 1,
    progress: bool = True,
    bearing: str | None = None,
) -> dict:
    """Train and score every model on every fold.

    Parameters
    ----------
    by : str
        The fold scheme, one of :data:`FOLD_SCHEMES`.
    k : int
        Folds of the ``recording`` scheme.
    revolutions : float, optional
        Window length in shaft revolutions instead of ``window`` samples: at
        the median speed of the recordings (every recording needs an rpm).
    bearing : str, optional
        The monitored bearing (a catalogue name or ``balls:d:D:angle``,
        :func:`rotordx.features.bearing.bearing_geometry`) for recordings
        whose source does not say which bearing they carry (a manifest);
        default the data's own (CWRU files carry the SKF 6205).

    Returns
    -------
    dict
        ``folds`` (name, train/test recordings), ``results`` (per model and
        fold: accuracy, macro-F1, per-class recall, confusion matrix, per
        test recording accuracy, train seconds) and ``summary`` (per model:
        mean fold accuracy).
    """
    for m in models:
        check_classifier(m, "cross-validation")
        if check_protocol(m) != WINDOW:
            raise ParameterError(f"cross-validation runs window models; {m!r} is a seed model")
    ds = data if isinstance(data, Dataset) else load_data(data, fs=fs)
    if revolutions is not None:
        window = revolutions_to_samples(revolutions, ds)
    window = window or default_window(ds.fs)
    config = WindowConfig(window=window, hop=hop, eval_hop=window)
    hop = config.hop
    folds = make_folds(ds, by, k=k, seed=seed)
    if bearing is not None:
        bearing_geometry(bearing)  # a bad name fails here, before any training
    params = {"fs": ds.fs, "geometry": bearing or ds.bearing, "threads": threads}
    results: dict[str, list[dict]] = {m: [] for m in models}
    notes: dict[str, str] = {}
    for fold in folds:
        # windows per held-out recording, in order (non-overlapping; a short one is one window)
        test, _ = recording_windows(ds, fold.test, window=window)
        counts = [
            max(1, 1 + (ds.recordings[i].recording.signals.shape[1] - window) // window)
            for i in fold.test
        ]
        training: dict[bool, tuple] = {}
        for m in models:
            clf = make_classifier(
                m,
                train_config=default_train_config(m, seed=seed, threads=threads),
                data=params,
            )
            early = get_spec(m).early_stopping
            if early not in training:
                training[early] = train_valid(
                    ds, fold.train, config=config, seed=seed, early_stopping=early
                )
            tr, va, note = training[early]
            if note:
                notes[fold.name] = note
            t0 = time.perf_counter()
            clf.fit(tr, va, seed=seed, progress=progress)
            seconds = time.perf_counter() - t0
            pred = clf.predict_split(test)
            scores = score_predictions(test.y, pred, classes=ds.classes)
            per_rec, start = [], 0
            for i, n in zip(fold.test, counts, strict=True):
                rec, p, y = ds.recordings[i], pred[start : start + n], test.y[start : start + n]
                start += n
                per_rec.append(
                    {
                        "recording": Path(str(rec.recording.name)).name,
                        "label": rec.label,
                        "windows": n,
                        "accuracy": float((p == y).mean()),
                        "predicted": {
                            c: int((p == k).sum())
                            for k, c in enumerate(ds.classes)
                            if (p == k).any()
                        },
                    }
                )
            results[m].append(
                {
                    "fold": fold.name,
                    **scores.to_dict(),
                    "train_windows": len(tr),
                    "train_seconds": seconds,
                    "recordings": per_rec,
                }
            )
    summary = {
        m: {
            "mean_accuracy": float(np.mean([r["accuracy"] for r in results[m]])),
            "fold_accuracy": [r["accuracy"] for r in results[m]],
            "train_seconds": float(sum(r["train_seconds"] for r in results[m])),
        }
        for m in models
    }
    return {
        "scheme": by,
        "data": str(data),
        "fs": ds.fs,
        "window": window,
        "hop": hop,
        "seed": seed,
        "bearing": bearing or ds.bearing,
        "classes": list(ds.classes),
        "notes": notes,
        "folds": [
            {
                "name": f.name,
                "train": [Path(str(ds.recordings[i].recording.name)).name for i in f.train],
                "test": [Path(str(ds.recordings[i].recording.name)).name for i in f.test],
            }
            for f in folds
        ],
        "results": results,
        "summary": summary,
    }


def write_crossval(
    out: str | os.PathLike[str],
    *,
    force: bool = False,
    plots: bool = True,
    **kwargs,
) -> dict:
    """Run :func:`cross_validate` and write ``crossval.json``, ``crossval.md`` and figures."""
    result = cross_validate(**kwargs)
    with atomic_dir(out, force=force) as tmp:
        write_text_atomic(tmp / "crossval.json", json.dumps(result, indent=2) + "\n")
        write_text_atomic(tmp / "crossval.md", crossval_markdown(result))
        if plots:
            for m, rows in result["results"].items():
                for k, r in enumerate(rows):
                    fig = confusion_matrix_figure(
                        matrix=r["confusion_matrix"],
                        classes=result["classes"],
                        title=f"{m}: {r['fold']}",
                    )
                    save_png(fig, tmp / f"confusion_{m}_fold{k + 1}.png")
    return result
