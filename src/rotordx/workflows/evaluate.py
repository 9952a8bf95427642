"""Score a saved model on every sample (or window) of another data set."""

from __future__ import annotations

import os

import numpy as np

from rotordx.data.dataset import load_data
from rotordx.data.holdout import recording_windows
from rotordx.data.preprocessed import load_dataset
from rotordx.data.splits import Split
from rotordx.exceptions import DataError
from rotordx.models.abstention import selective_scores
from rotordx.models.baseline import BASELINE_CLASSES, as_departures
from rotordx.models.loading import load_model
from rotordx.models.metrics import score_predictions
from rotordx.models.registry import SEED

__all__ = ["evaluate_run"]


def evaluate_run(
    run_dir: str | os.PathLike[str],
    data: str | os.PathLike[str],
    *,
    group: int | None = None,
    threads: int | None = None,
    cache: bool | str | os.PathLike[str] | None = False,
) -> dict:
    """Score a saved run's model on every sample (or window) of another data set.

    The data goes through the bundle's own preprocessing: for seed models the
    grid rate, moving average and the bundle's scaler (not one fitted on the
    new data); for window models the sample rate and window length.
    ``run_dir`` may also be an ``.onnx`` file from ``rotordx export``;
    ``threads`` are the inference threads (see :func:`rotordx.models.load_model`).

    A healthy-baseline model (``--model baseline``) is scored as a detector:
    ``normal`` recordings should stay normal, every other label counts as
    ``departure`` (``labels`` says which labels went where).

    Returns
    -------
    dict
        ``model``, ``protocol``, ``run``, ``data``, the scores
        (:meth:`rotordx.models.Scores.to_dict`) and ``abstention``: with a
        calibrated threshold, the share of windows answered (``coverage``)
        and the accuracy of those (``answered_accuracy``), else ``None``.
    """
    bundle = load_model(run_dir, threads=threads)
    if bundle.protocol == SEED:
        ds = load_dataset(
            data, group=group, config=bundle.preprocess, scaler=bundle.scaler, cache=cache
        )
        if ds.classes != bundle.classes:
            raise DataError(
                f"{data}: classes {ds.classes} differ from the model's {bundle.classes}"
            )
        X, y = ds.samples()
        split = Split(X.astype(np.float32), y)
    else:
        spec = bundle.input
        one_class = tuple(bundle.classes) == BASELINE_CLASSES
        ds_w = load_data(
            data,
            fs=float(spec["fs"]),
            duration=float(spec.get("duration", 140.0)),
            group=group,
            classes=None if one_class else bundle.classes,
        )
        if one_class:  # a healthy baseline: is each recording normal, or does it depart?
            ds_w = as_departures(ds_w)
        if ds_w.n_channels != int(spec["n_channels"]):
            raise DataError(
                f"{data}: {ds_w.n_channels} channels; the model expects {spec['n_channels']}"
            )
        # every non-overlapping window; a recording shorter than one is one, padded
        split, _ = recording_windows(ds_w, range(len(ds_w.recordings)), window=int(spec["window"]))
    proba = bundle.classifier.predict_proba_split(split)
    pred = np.asarray(proba).argmax(axis=1)
    scores = score_predictions(split.y, pred, classes=tuple(bundle.classes))
    min_confidence = bundle.input.get("min_confidence") if bundle.protocol != SEED else None
    return {
        "model": bundle.model_name,
        "protocol": bundle.protocol,
        "run": str(run_dir),
        "data": str(data),
        **scores.to_dict(),
        # the calibrated abstention: how many windows are answered, and how many of those right
        "abstention": (
            selective_scores(proba, split.y, min_confidence) if min_confidence is not None else None
        ),
    }
