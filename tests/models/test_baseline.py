"""The healthy-baseline model: trained on one machine's healthy recordings only, it flags
departures, and ``diagnose`` names them with the physics judged against that machine."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from rotordx.cli import app
from rotordx.data.splits import Split
from rotordx.exceptions import DataError, ParameterError
from rotordx.models import classifier_from_state, make_classifier, model_names
from rotordx.models.baseline import BASELINE_CLASSES, DEPARTURE, HealthyBaseline
from rotordx.models.loading import load_model
from rotordx.simulate.fleet import FleetConfig, write_fleet
from rotordx.workflows.baseline import train_baseline_run
from rotordx.workflows.crossval import cross_validate
from rotordx.workflows.evaluate import evaluate_run
from support import copy_state

FS = 4096.0
N = 4096


def _healthy(rng, n, *, amp=1.0):
    """Windows of a healthy 25 Hz machine: a small 1x, 2x, broadband noise (m/s²)."""
    t = np.arange(N) / FS
    out = []
    for _ in range(n):
        ph = rng.uniform(0, 2 * np.pi, 2)
        x = 0.05 * np.sin(2 * np.pi * 25 * t + ph[0]) + 0.02 * np.sin(2 * np.pi * 50 * t + ph[1])
        out.append(np.stack([x + 0.05 * rng.standard_normal(N) for _ in range(2)]) * amp)
    return np.asarray(out)


def _unbalanced(rng, n):
    t = np.arange(N) / FS
    w = _healthy(rng, n)
    w += 2.0 * np.sin(2 * np.pi * 25 * t)  # 1x forty times the healthy one
    return w


@pytest.fixture(scope="module")
def fitted():
    rng = np.random.default_rng(0)
    X = _healthy(rng, 24)
    model = make_classifier("baseline", data={"fs": FS})
    model.fit(Split(X, np.zeros(len(X), dtype=np.int64)), seed=0)
    return model, rng


def test_registry_keeps_the_baseline_out_of_the_classifier_line_ups():
    assert "baseline" in model_names()
    assert model_names(one_class=True) == ("baseline",)
    from rotordx.workflows.compare import COMPARE_MODELS
    from rotordx.workflows.demo import DEMO_MODELS

    assert "baseline" not in COMPARE_MODELS and "baseline" not in DEMO_MODELS


def test_healthy_windows_score_low_and_a_strong_1x_scores_high(fitted):
    model, rng = fitted
    healthy = model.scores(_healthy(rng, 8))
    unbalanced = model.scores(_unbalanced(rng, 8))
    assert np.median(healthy) < 3
    assert unbalanced.min() > 5 * np.median(healthy)
    top = model.top_departures(_unbalanced(rng, 4), k=3)
    assert any("1x" in name or "rms" in name or "vel" in name for name, _ in top), top
    assert all(z > 0 for _, z in top)  # more vibration, not less


def test_probabilities_follow_the_threshold_and_the_state_round_trips(fitted):
    model, rng = fitted
    with pytest.raises(ParameterError, match="no departure threshold"):
        model.predict_proba(_healthy(rng, 2))
    healthy, unbalanced = _healthy(rng, 6), _unbalanced(rng, 6)
    model.set_threshold(float(np.max(model.scores(healthy))) * 1.5)
    p = model.predict_proba(np.concatenate([healthy, unbalanced]))
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    assert (p[:6, 1] < 0.5).all() and (p[6:, 1] > 0.9).all()
    again = classifier_from_state("baseline", *copy_state(*model.get_state()))
    assert isinstance(again, HealthyBaseline)
    np.testing.assert_array_equal(again.predict_proba(unbalanced), model.predict_proba(unbalanced))
    with pytest.raises(ParameterError, match="positive"):
        model.set_threshold(0.0)


def test_fitting_needs_healthy_windows_only():
    rng = np.random.default_rng(1)
    model = HealthyBaseline(fs=FS)
    X = _healthy(rng, 4)
    with pytest.raises(DataError, match="healthy"):
        model.fit(Split(X, np.array([0, 0, 1, 0])))
    with pytest.raises(DataError, match="at least 2"):
        model.fit(Split(X[:1], np.array([0])))


def test_a_bad_state_is_refused(fitted):
    arrays, meta = copy_state(*fitted[0].get_state())
    with pytest.raises(ParameterError, match="invalid baseline state"):
        classifier_from_state("baseline", {"center": arrays["center"]}, meta)
    arrays["spread"] = -arrays["spread"]
    with pytest.raises(ParameterError, match="invalid baseline state"):
        classifier_from_state("baseline", arrays, meta)


# -- the workflow, evaluate and diagnose on a simulated machine ----------------------------


@pytest.fixture(scope="module")
def machine(tmp_path_factory):
    """One simulated machine: 6 snapshots of each of normal, unbalance, misalignment (0.5 s)."""
    root = tmp_path_factory.mktemp("baseline")
    config = FleetConfig(
        machines=1, snapshots=18, seconds=0.5, classes=("normal", "unbalance", "misalignment")
    )
    fleet = write_fleet(root / "fleet", config, seed=3).parent
    lines = (fleet / "manifest.csv").read_text().splitlines()
    header, rows = lines[0], lines[1:]
    healthy = fleet / "healthy.csv"
    healthy.write_text("\n".join([header, *[r for r in rows if ",normal," in r]]) + "\n")
    return fleet, healthy


def test_train_evaluate_and_diagnose_a_machine(machine, tmp_path):
    fleet, healthy = machine
    run = tmp_path / "run"
    m = train_baseline_run(healthy, out=run, seed=0)
    assert m["recordings"] == 6 and m["classes"] == list(BASELINE_CLASSES)
    assert m["held_out"]["how"].startswith("5 folds")
    assert m["held_out"]["windows"] == 6 and m["threshold"] > 0
    assert {"bundle.json", "model.safetensors", "metrics.json", "departure_scores.png"} <= {
        p.name for p in run.iterdir()
    }
    bundle = load_model(run)
    assert bundle.model_name == "baseline" and tuple(bundle.classes) == BASELINE_CLASSES
    assert bundle.input["physics_baseline"]["recordings"] == 6
    # the same seed gives the same file
    again = train_baseline_run(healthy, out=tmp_path / "again", seed=0)
    assert again["threshold"] == m["threshold"]

    ev = evaluate_run(run, fleet / "manifest.csv")
    assert ev["classes"] == list(BASELINE_CLASSES)
    assert (
        ev["per_class_recall"][DEPARTURE] == 1.0
    )  # faults forty times the healthy vibration are all flagged

    runner = CliRunner()
    res = runner.invoke(
        app, ["diagnose", str(fleet / "manifest.csv"), "--model", str(run), "--json"]
    )
    assert res.exit_code == 0, res.output
    recs = json.loads(res.stdout)["recordings"]
    by_label: dict[str, list[dict]] = {}
    for r in recs:
        by_label.setdefault(r["label"], []).append(r)
    for r in by_label["unbalance"]:
        assert r["model"]["class"] == DEPARTURE
        assert r["verdict"] in ("unbalance", "inconclusive")  # named, or flagged but unnamed
        assert "depart from the healthy baseline" in r["evidence"][0]
    assert sum(r["verdict"] == "unbalance" for r in by_label["unbalance"]) >= 4
    # a departure is never called normal, and nothing is named a fault it is not
    for label, rs in by_label.items():
        for r in rs:
            assert r["verdict"] in (label, "inconclusive") or (
                label == "normal" and r["verdict"] == "normal"
            ), (label, r["verdict"], r["evidence"])


def test_cli_train_prints_the_threshold_and_refuses_faulty_or_mixed_data(machine, tmp_path):
    fleet, healthy = machine
    runner = CliRunner()
    res = runner.invoke(
        app, ["train", str(healthy), "--model", "baseline", "--out", str(tmp_path / "r"), "--quiet"]
    )
    assert res.exit_code == 0, res.output
    assert "departure threshold" in res.output and "6 healthy recording(s)" in res.output
    res = runner.invoke(
        app,
        ["train", str(fleet / "manifest.csv"), "--model", "baseline", "--out", str(tmp_path / "x")],
    )
    assert res.exit_code == 1
    assert "healthy recordings only" in res.output and "(unbalance)" in res.output
    assert not (tmp_path / "x").exists()
    two = tmp_path / "two.csv"
    lines = healthy.read_text().splitlines()
    header = lines[0].split(",")
    col = header.index("machine")
    rows = []
    for i, line in enumerate(lines[1:]):
        cells = line.split(",")
        cells[0] = str(fleet / cells[0]) if not Path(cells[0]).is_absolute() else cells[0]
        cells[col] = "M01" if i % 2 else "M02"
        rows.append(",".join(cells))
    two.write_text("\n".join([lines[0], *rows]) + "\n")
    res = runner.invoke(
        app, ["train", str(two), "--model", "baseline", "--out", str(tmp_path / "y")]
    )
    assert res.exit_code == 1 and "one baseline per machine" in res.output


def test_crossval_and_compare_refuse_the_baseline(machine):
    fleet, _ = machine
    with pytest.raises(ParameterError, match="healthy recordings only"):
        cross_validate(fleet / "manifest.csv", models=("baseline",))


def test_threshold_is_the_quantile_or_a_log_normal_fit_when_few():
    from rotordx.workflows.baseline import _threshold

    many = np.linspace(1.0, 2.0, 1001)
    assert _threshold(many, 0.01) == pytest.approx(np.quantile(many, 0.99), abs=2e-3)
    few = np.array([1.0, 2.0, 4.0])  # log mean ln 2, log std ln 2
    expected = np.exp(np.log(2.0) + 2.3263478740 * np.log(2.0))
    assert _threshold(few, 0.01) == pytest.approx(expected)
    assert _threshold(np.array([3.0, 3.0]), 0.01) == pytest.approx(3.0)  # no spread: the maximum
