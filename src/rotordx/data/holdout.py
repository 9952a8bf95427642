"""Evaluation by recording: hold out whole recordings (or machines), not time blocks.

With many recordings per class (snapshots of a monitored fleet, a test rig's
runs), the honest question is whether a model recognises a fault in a
recording it has never seen. The functions here pick recordings, never
windows: :func:`split_recordings` (train / validation / test, stratified by
label), :func:`kfold_recordings` (K folds, stratified) and
:func:`machine_folds` (each machine held out). :func:`recording_windows`
cuts the chosen recordings into windows; a recording shorter than one window
is one window, padded with its own mean (stated in the result).
:func:`train_valid` gives a model its training windows and the validation
windows that stop its training early, taken from held-out training
recordings where a class has enough of them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from rotordx.data.splits import Split, WindowConfig, split_dataset
from rotordx.exceptions import DataError, ParameterError
from rotordx.signal.framing import frame

__all__ = [
    "HOLDOUT_FRACTION",
    "MIN_RECORDINGS",
    "Holdout",
    "default_split_method",
    "kfold_recordings",
    "machine_folds",
    "padded_window",
    "recording_windows",
    "recordings_per_class",
    "split_recordings",
    "train_valid",
]

#: Share of each class's recordings held out for testing (and, again, for validation).
HOLDOUT_FRACTION = 0.2
#: Recordings every class needs for the recording split to be the default.
MIN_RECORDINGS = 3


@dataclass(frozen=True)
class Holdout:
    """Recording indices of a fold: its training and test recordings, and its name."""

    train: tuple[int, ...]
    test: tuple[int, ...]
    name: str = ""


def _by_class(ds) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {c: [] for c in ds.classes}
    for i, r in enumerate(ds.recordings):
        out[r.label].append(i)
    return {c: ids for c, ids in out.items() if ids}


def recordings_per_class(ds) -> int:
    """The number of recordings of the class that has the fewest."""
    counts = [len(ids) for ids in _by_class(ds).values()]
    return min(counts) if counts else 0


def default_split_method(ds) -> str:
    """``"recording"`` when every class has :data:`MIN_RECORDINGS` recordings, else ``"time"``."""
    return "recording" if recordings_per_class(ds) >= MIN_RECORDINGS else "time"


def _held(n: int) -> int:
    return max(1, round(n * HOLDOUT_FRACTION))


def split_recordings(ds, *, seed: int = 0) -> Holdout:
    """Whole recordings for training and for the test, stratified by label.

    Each class's recordings are shuffled with ``seed`` and a fifth of them
    (at least one) is held out for the test; :func:`train_valid` then takes
    the validation windows from the training recordings. Every class needs
    two recordings.

    Raises
    ------
    DataError
        A class with fewer than two recordings.
    """
    rng = np.random.default_rng(seed)
    train: list[int] = []
    test: list[int] = []
    for c, ids in _by_class(ds).items():
        if len(ids) < 2:
            raise DataError(
                f"{ds.source}: class {c!r} has {len(ids)} recording; holding out recordings "
                "needs at least 2 per class (or use the time split)"
            )
        ids = [ids[k] for k in rng.permutation(len(ids))]
        n_test = _held(len(ids))
        test += ids[:n_test]
        train += ids[n_test:]
    return Holdout(tuple(sorted(train)), tuple(sorted(test)), "recordings held out")


def kfold_recordings(ds, *, k: int, seed: int = 0) -> list[Holdout]:
    """``k`` folds of whole recordings, stratified by label (each class dealt round-robin).

    Every recording is tested exactly once; a class with fewer than ``k``
    recordings is missing from some folds' tests.
    """
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 2:
        raise ParameterError(f"k must be an integer of at least 2, got {k!r}")
    n = len(ds.recordings)
    if k > n:
        raise DataError(f"{ds.source}: {n} recordings cannot make {k} folds")
    for c, ids in _by_class(ds).items():
        if len(ids) < 2:
            raise DataError(
                f"{ds.source}: class {c!r} has {len(ids)} recording; folds of whole recordings "
                "need at least 2 per class (one to train on while the other is tested)"
            )
    rng = np.random.default_rng(seed)
    fold_of = np.empty(n, dtype=np.int64)
    start = 0
    for ids in _by_class(ds).values():
        for j, i in enumerate(rng.permutation(ids)):
            fold_of[i] = (start + j) % k
        start += len(ids)  # the next class starts where this one stopped: balanced folds
    folds = []
    for f in range(k):
        test = tuple(int(i) for i in np.flatnonzero(fold_of == f))
        train = tuple(int(i) for i in np.flatnonzero(fold_of != f))
        folds.append(Holdout(train, test, f"fold {f + 1} of {k}"))
    return folds


def machine_folds(ds) -> list[Holdout]:
    """One fold per machine: its recordings are the test, every other machine's the training."""
    machines = [r.machine for r in ds.recordings]
    if any(m is None for m in machines):
        missing = sum(m is None for m in machines)
        raise DataError(
            f"{ds.source}: {missing} recording(s) have no machine; holding out machines needs "
            "the manifest's 'machine' column on every line"
        )
    names = sorted(set(machines))
    if len(names) < 2:
        raise DataError(f"{ds.source}: holding out machines needs at least two, found {names}")
    return [
        Holdout(
            tuple(i for i, m in enumerate(machines) if m != name),
            tuple(i for i, m in enumerate(machines) if m == name),
            f"machine {name} held out",
        )
        for name in names
    ]


def padded_window(signals: np.ndarray, window: int) -> np.ndarray:
    """A recording shorter than ``window`` as one window (1, C, window), padded with its mean."""
    pad = np.repeat(signals.mean(axis=1, keepdims=True), window - signals.shape[1], axis=1)
    return np.concatenate([signals, pad], axis=1)[None]


def _windows_of(signals: np.ndarray, *, window: int, hop: int) -> tuple[np.ndarray, bool]:
    """Windows of one recording; one window padded with its mean if it is shorter."""
    if signals.shape[1] >= window:
        return frame(signals, window=window, hop=hop), False
    return padded_window(signals, window), True


def recording_windows(ds, ids, *, window: int, hop: int | None = None) -> tuple[Split, int]:
    """Every window (hop ``hop``, default ``window``) of the recordings ``ids``, in order.

    Returns the split and the number of recordings that were shorter than
    one window and were padded with their own mean to one window.
    """
    hop = hop or window
    parts, padded = [], 0
    for i in ids:
        r = ds.recordings[i]
        w, was_padded = _windows_of(r.recording.signals, window=window, hop=hop)
        padded += was_padded
        parts.append((w, np.full(len(w), ds.label_index(r.label), dtype=np.int64), r))
    if not parts:
        raise DataError(f"{ds.source}: no recording to cut into windows")
    return Split.of_parts(parts, ds), padded


def train_valid(
    ds, ids, *, config: WindowConfig, seed: int, early_stopping: bool
) -> tuple[Split, Split | None, str]:
    """Training windows of the recordings ``ids``, and validation windows for early stopping.

    Without ``early_stopping`` every window of every training recording
    trains and there is no validation split. With it, each class with at
    least two training recordings lends a fifth of them (at least one) to
    validation; a class with one recording gives the last fifth of it (a
    time block); a recording too short for that validates on its own
    training windows (said in the note). Validation windows do not overlap.

    Returns
    -------
    train, valid, note
    """
    sub = ds.subset(ids)
    if not early_stopping:
        train, padded = recording_windows(
            sub, range(len(sub.recordings)), window=config.window, hop=config.hop
        )
        return train.shuffled(seed), None, _padded_note(padded)
    rng = np.random.default_rng(seed)
    tr_ids, va_ids, single = [], [], []
    for members in _by_class(sub).values():
        members = [members[k] for k in rng.permutation(len(members))]
        if len(members) >= 2:
            n_valid = _held(len(members))
            va_ids += members[:n_valid]
            tr_ids += members[n_valid:]
        else:
            single += members
    parts_tr, parts_va, notes, padded = [], [], [], 0
    if tr_ids:
        s, p = recording_windows(sub, sorted(tr_ids), window=config.window, hop=config.hop)
        parts_tr.append(s)
        padded += p
    if va_ids:
        s, p = recording_windows(
            sub, sorted(va_ids), window=config.window, hop=config.eval_hop or config.window
        )
        parts_va.append(s)
        padded += p
    if single:
        blocks = WindowConfig(
            window=config.window,
            hop=config.hop,
            fractions=(0.8, 0.2),
            gap=0,  # validation only stops the training early
            eval_hop=config.eval_hop or config.window,
        )
        one = sub.subset(single)
        long = [
            i
            for i, r in enumerate(one.recordings)
            if r.recording.signals.shape[1] >= _min_length(blocks)
        ]
        short = [i for i in range(len(one.recordings)) if i not in long]
        if long:
            tr, va = split_dataset(one.subset(long), config=blocks, seed=seed)
            parts_tr.append(tr)
            parts_va.append(va)
            notes.append(
                f"{len(long)} class(es) with one training recording validate on its last fifth"
            )
        if short:
            s, p = recording_windows(one, short, window=config.window, hop=config.hop)
            parts_tr.append(s)
            parts_va.append(s)
            padded += p
            notes.append(
                f"{len(short)} class(es) with one short training recording validate on its "
                "training windows"
            )
    train = Split.concat(parts_tr).shuffled(seed)
    valid = Split.concat(parts_va).shuffled(seed + 1)
    if _padded_note(padded):
        notes.append(_padded_note(padded))
    return train, valid, "; ".join(notes)


def _min_length(config: WindowConfig) -> int:
    need = math.ceil(config.window / min(config.fractions))
    return need + (len(config.fractions) - 1) * config.gap_samples


def _padded_note(padded: int) -> str:
    if not padded:
        return ""
    return f"{padded} recording(s) shorter than a window were padded with their mean to one window"
