"""Scores of predictions (``rotordx.models.metrics``)."""

from __future__ import annotations

import json

import numpy as np


def test_scores_json_has_no_nan_for_absent_classes():
    from rotordx.models.metrics import score_predictions

    s = score_predictions(np.array([1, 1, 2]), np.array([1, 2, 2]), classes=("a", "b", "c"))
    d = s.to_dict()
    assert d["per_class_recall"] == {"a": None, "b": 0.5, "c": 1.0}
    json.loads(json.dumps(d, allow_nan=False))
