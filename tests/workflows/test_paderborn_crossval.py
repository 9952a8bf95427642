"""Leave-bearings-out on the Paderborn KAt recordings (skipped when the data is absent).

The manifest comes from ``scripts/paderborn_manifest.py``: each fold (``condition``)
holds one healthy, one outer-race and one inner-race bearing, so every fold trains on
two bearings of each class and tests on the third. The manifest names no bearing: the
FAG 6203 is passed as ``bearing``. docs/data.md has the table of the full run.
"""

from __future__ import annotations

import csv
import importlib.util
from pathlib import Path

import pytest

from rotordx.workflows.crossval import cross_validate, make_folds

ROOT = Path(__file__).resolve().parents[2]
WINDOW = 48000  # 0.75 s at 64 kHz: 18.75 revolutions at 1500 rpm, 11.25 at 900 rpm


def _manifest_module():
    spec = importlib.util.spec_from_file_location(
        "paderborn_manifest", ROOT / "scripts" / "paderborn_manifest.py"
    )
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def paderborn_dir():
    from rotordx.io.datadir import data_dir_candidates, default_data_dir

    root = default_data_dir()
    if root is None or not (root / "paderborn").is_dir():
        where = ", ".join(str(c / "paderborn") for c in data_dir_candidates())
        pytest.skip(f"Paderborn data not found (looked in {where})")
    return root / "paderborn"


def _manifest(folder: Path, out: Path, only: str | None = None) -> Path:
    path = _manifest_module().write_manifest(folder, out)
    if only:
        rows = [r for r in csv.DictReader(path.open()) if only in r["path"]]
        with path.open("w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(rows)
    return path


def test_manifest_has_the_36_files_and_three_folds_of_three_bearings(paderborn_dir, tmp_path):
    from rotordx.data.dataset import load_data

    path = _manifest(paderborn_dir, tmp_path / "paderborn.csv")
    rows = list(csv.DictReader(path.open()))
    assert len(rows) == 36
    assert {r["rate"] for r in rows} == {"64000"} and {r["rpm"] for r in rows} == {"1500", "900"}
    assert all(r["rpm"] == ("900" if "N09_" in r["path"] else "1500") for r in rows)
    ds = load_data(path)
    assert ds.fs == 64000.0 and ds.classes == ("normal", "inner_race", "outer_race")
    for fold in make_folds(ds, "condition"):
        test = [Path(str(ds.recordings[i].recording.name)).name for i in fold.test]
        bearings = {n.split("_")[3] for n in test}
        assert len(test) == 12 and len(bearings) == 3  # one bearing of each class
        assert {b[:2] for b in bearings} == {"K0", "KA", "KI"}
        train = {Path(str(ds.recordings[i].recording.name)).name.split("_")[3] for i in fold.train}
        assert not train & bearings and len(train) == 6


def test_bearing_model_on_held_out_bearings_one_operating_point(paderborn_dir, tmp_path):
    path = _manifest(paderborn_dir, tmp_path / "p.csv", only="N15_M07_F10")
    r = cross_validate(
        path, by="condition", models=("bearing",), window=WINDOW, bearing="FAG_6203",
        progress=False,
    )  # fmt: skip
    assert r["bearing"] == "FAG_6203" and len(r["folds"]) == 3
    accs = [f["accuracy"] for f in r["results"]["bearing"]]
    assert len(accs) == 3 and all(0.0 <= a <= 1.0 for a in accs)
    # the outer-race pitting of KA04 is recognised when KA16 is trained on
    fold1 = {x["recording"]: x["accuracy"] for x in r["results"]["bearing"][0]["recordings"]}
    assert fold1["N15_M07_F10_KA04_1.csv"] == 1.0


def test_without_a_bearing_the_bearing_model_is_refused(paderborn_dir, tmp_path):
    from rotordx.exceptions import DataError, ParameterError

    path = _manifest(paderborn_dir, tmp_path / "p.csv", only="N15_M07_F10")
    with pytest.raises(DataError, match="geometry"):
        cross_validate(path, by="condition", models=("bearing",), window=WINDOW, progress=False)
    with pytest.raises(ParameterError, match="unknown bearing"):
        cross_validate(path, by="condition", models=("bearing",), window=WINDOW, bearing="7205")


@pytest.mark.slow
def test_leave_bearings_out_three_models(paderborn_dir, tmp_path):
    """The run of docs/data.md (about 4 minutes on 2 cores)."""
    path = _manifest(paderborn_dir, tmp_path / "paderborn.csv")
    r = cross_validate(
        path, by="condition", models=("bearing", "minirocket", "features"), window=WINDOW,
        bearing="FAG_6203", progress=False,
    )  # fmt: skip
    for m in ("bearing", "minirocket", "features"):
        assert len(r["results"][m]) == 3
    assert r["summary"]["bearing"]["mean_accuracy"] >= 0.6


def test_crossval_command_takes_the_bearing(paderborn_dir, tmp_path):
    import json

    from typer.testing import CliRunner

    from rotordx.cli import app

    path = _manifest(paderborn_dir, tmp_path / "p.csv", only="N15_M07_F10")
    args = ["crossval", str(path), "--folds", "condition", "--models", "bearing"]
    args += ["--window", str(WINDOW), "--no-plots", "--quiet", "--out", str(tmp_path / "cv")]
    res = CliRunner().invoke(app, [*args, "--bearing", "FAG 6203"])
    assert res.exit_code == 0, res.output
    data = json.loads((tmp_path / "cv" / "crossval.json").read_text())
    assert data["bearing"] == "FAG 6203" and len(data["results"]["bearing"]) == 3
    res = CliRunner().invoke(app, [*args, "--bearing", "banana", "--force"])
    assert res.exit_code == 1 and "unknown bearing" in res.output
