"""Evaluation by recording: whole recordings held out, stratified, padded, validated."""

from __future__ import annotations

import numpy as np
import pytest

from rotordx.data.dataset import Dataset
from rotordx.data.holdout import (
    default_split_method,
    kfold_recordings,
    machine_folds,
    recording_windows,
    recordings_per_class,
    split_recordings,
    train_valid,
)
from rotordx.data.splits import WindowConfig
from rotordx.exceptions import DataError, ParameterError
from rotordx.io.recording import LabeledRecording, Recording

FS = 1000.0


def _dataset(counts: dict[str, int], *, n: int = 2048, machines: int | None = None) -> Dataset:
    """Recordings whose samples hold their own index, so windows can be traced back."""
    recs = []
    k = 0
    for label, count in counts.items():
        for j in range(count):
            sig = np.full((2, n), float(k)) + np.arange(n) * 1e-6
            machine = f"M{j % machines}" if machines else None
            recs.append(
                LabeledRecording(
                    Recording(f"r{k}", sig, FS, ("a", "b")),
                    label,
                    rpm=1800.0,
                    machine=machine,
                )
            )
            k += 1
    return Dataset(tuple(recs), tuple(counts), FS, "test")


def _recording_of(split) -> set[int]:
    return {round(float(v)) for v in split.X[:, 0, 0]}


def test_split_recordings_is_stratified_and_disjoint():
    ds = _dataset({"normal": 10, "loose": 5, "unbalance": 3})
    hold = split_recordings(ds, seed=0)
    assert not set(hold.train) & set(hold.test)
    assert sorted(hold.train + hold.test) == list(range(18))
    labels = [ds.recordings[i].label for i in hold.test]
    assert labels.count("normal") == 2 and labels.count("loose") == 1
    assert labels.count("unbalance") == 1  # a fifth, at least one
    assert split_recordings(ds, seed=0) == hold
    assert split_recordings(ds, seed=1) != hold


def test_two_recordings_per_class_is_enough_and_one_is_not():
    hold = split_recordings(_dataset({"normal": 2, "fault": 2}), seed=0)
    assert len(hold.train) == 2 and len(hold.test) == 2
    with pytest.raises(DataError, match="class 'fault' has 1 recording"):
        split_recordings(_dataset({"normal": 3, "fault": 1}), seed=0)


def test_default_split_method():
    assert default_split_method(_dataset({"a": 3, "b": 4})) == "recording"
    assert default_split_method(_dataset({"a": 2, "b": 4})) == "time"
    assert recordings_per_class(_dataset({"a": 2, "b": 4})) == 2


def test_kfold_tests_every_recording_once_and_balances_classes():
    ds = _dataset({"normal": 6, "fault": 4})
    folds = kfold_recordings(ds, k=3, seed=0)
    tested = sorted(i for f in folds for i in f.test)
    assert tested == list(range(10))
    for f in folds:
        assert not set(f.train) & set(f.test)
        assert len(f.train) + len(f.test) == 10
        labels = [ds.recordings[i].label for i in f.test]
        assert 1 <= labels.count("normal") <= 3 and 1 <= labels.count("fault") <= 2
    with pytest.raises(ParameterError, match="at least 2"):
        kfold_recordings(ds, k=1)
    with pytest.raises(DataError, match="cannot make 11 folds"):
        kfold_recordings(ds, k=11)


def test_machine_folds_hold_out_each_machine():
    ds = _dataset({"normal": 6, "fault": 6}, machines=3)
    folds = machine_folds(ds)
    assert [f.name for f in folds] == [f"machine M{i} held out" for i in range(3)]
    for f in folds:
        held = {ds.recordings[i].machine for i in f.test}
        assert len(held) == 1
        assert held.isdisjoint({ds.recordings[i].machine for i in f.train})
    with pytest.raises(DataError, match="no machine"):
        machine_folds(_dataset({"normal": 2, "fault": 2}))
    with pytest.raises(DataError, match="at least two"):
        machine_folds(_dataset({"normal": 2, "fault": 2}, machines=1))


def test_short_recordings_are_one_padded_window():
    ds = _dataset({"a": 2, "b": 2}, n=300)
    split, padded = recording_windows(ds, [0, 3], window=512)
    assert padded == 2 and split.X.shape == (2, 2, 512)
    # padded with the recording's own mean: the padding is the mean of the samples
    mean = split.X[0, :, :300].mean(axis=1, keepdims=True)
    np.testing.assert_allclose(split.X[0, :, 300:], np.broadcast_to(mean, (2, 212)), rtol=1e-6)
    assert split.y.tolist() == [0, 1]
    assert split.shaft_hz.tolist() == [30.0, 30.0]


def test_train_valid_without_early_stopping_trains_on_everything():
    ds = _dataset({"a": 4, "b": 4})
    cfg = WindowConfig(window=512, hop=256)
    train, valid, note = train_valid(ds, range(8), config=cfg, seed=0, early_stopping=False)
    assert valid is None and note == ""
    assert _recording_of(train) == set(range(8))
    assert len(train) == 8 * 7  # 1 + (2048 - 512) // 256 windows each


def test_train_valid_holds_out_training_recordings_for_validation():
    ds = _dataset({"a": 5, "b": 5})
    cfg = WindowConfig(window=512, hop=256)
    train, valid, note = train_valid(ds, range(10), config=cfg, seed=0, early_stopping=True)
    seen, checked = _recording_of(train), _recording_of(valid)
    assert not seen & checked and seen | checked == set(range(10))
    assert len(checked) == 2 and note == ""  # one recording of each class
    assert len(valid) == 2 * 4  # non-overlapping validation windows


def test_train_valid_with_one_recording_per_class_validates_on_its_last_fifth():
    ds = _dataset({"a": 1, "b": 3}, n=6000)
    cfg = WindowConfig(window=512, hop=256)
    train, valid, note = train_valid(ds, range(4), config=cfg, seed=0, early_stopping=True)
    assert "one training recording validate on its last fifth" in note
    a_train = train.X[train.y == 0][:, 0, :]
    a_valid = valid.X[valid.y == 0][:, 0, :]
    # time block: the validation windows come after the training ones (no shared sample)
    last_train = (a_train[:, -1] - 0.0) / 1e-6
    first_valid = (a_valid[:, 0] - 0.0) / 1e-6
    assert last_train.max() < first_valid.min()


def test_train_valid_with_one_short_recording_validates_on_its_training_windows():
    ds = _dataset({"a": 1, "b": 3}, n=600)
    cfg = WindowConfig(window=512, hop=256)
    train, valid, note = train_valid(ds, range(4), config=cfg, seed=0, early_stopping=True)
    assert "validate on its training windows" in note
    assert 0 in _recording_of(train) and 0 in _recording_of(valid)
