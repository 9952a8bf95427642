"""write_fleet: the files, the manifest, the side tables, atomicity and determinism."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from rotordx.classes import FLEET_CLASSES
from rotordx.data import load_data
from rotordx.exceptions import ParameterError
from rotordx.io.manifest import read_manifest
from rotordx.io.tabular import read_channels
from rotordx.simulate import FleetConfig, fleet_machines, simulate_fleet, write_fleet
from rotordx.simulate.fleet import BASIC_COLUMNS, MANIFEST_COLUMNS

CONFIG = FleetConfig(machines=3, snapshots=7, seconds=0.25)


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _header(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()[0].split(",")


@pytest.fixture(scope="module", params=["csv", "parquet"])
def written(request, tmp_path_factory):
    out = tmp_path_factory.mktemp(f"fleet_{request.param}") / "fleet"
    manifest = write_fleet(out, CONFIG, seed=3, format=request.param)
    return request.param, manifest


def test_manifest_lists_every_snapshot_with_its_machine(written):
    fmt, manifest = written
    assert manifest.name == "manifest.csv" and _header(manifest) == list(MANIFEST_COLUMNS)
    rows = _rows(manifest)
    snaps = simulate_fleet(CONFIG, seed=3)
    assert [r["path"] for r in rows] == [s.path(fmt) for s in snaps]
    truth = {r["path"]: r for r in _rows(manifest.parent / "truth.csv")}
    for r, s in zip(rows, snaps, strict=True):
        m = s.machine
        assert (manifest.parent / r["path"]).is_file()
        assert r["label"] == s.label and r["rate"] == str(m.fs)
        assert r["channel"] == "x;y;z" and r["direction"] == "horizontal;vertical;axial"
        assert r["condition"] == r["machine"] == m.id
        assert r["units"] == m.units and r["bearing"] == m.bearing_name
        assert float(truth[r["path"]]["rpm"]) == pytest.approx(s.rpm, abs=1e-3)
        if m.speed_known:
            assert float(r["rpm"]) == pytest.approx(s.rpm, abs=0.05)
        else:
            assert r["rpm"] == ""
    assert {r["bearing"] for r in rows} <= {"6205", "6206", "6308", "6310", "8:7.92:34.55:0"}
    assert {r["units"] for r in rows} == {"g", "m/s2"}  # M03 is in m/s2


def test_files_hold_the_snapshots_exactly_at_their_rate(written):
    fmt, manifest = written
    for s in simulate_fleet(CONFIG, seed=3):
        path = manifest.parent / s.path(fmt)
        if fmt == "csv":
            assert path.read_text(encoding="utf-8").startswith("time,x,y,z\n0,")
        rec = read_channels(path)  # the rate from the time column
        assert rec.channel_names == ("x", "y", "z")
        assert rec.fs == pytest.approx(s.fs, rel=1e-9)
        np.testing.assert_array_equal(rec.signals, s.signals)


def test_machines_table(written):
    _, manifest = written
    rows = _rows(manifest.parent / "machines.csv")
    machines = fleet_machines(CONFIG, seed=3)
    assert [r["machine"] for r in rows] == ["M01", "M02", "M03"]
    for r, m in zip(rows, machines, strict=True):
        assert r["kind"] == m.kind and int(r["rate"]) == m.fs and r["units"] == m.units
        assert int(r["balls"]) == m.bearing.n_balls and r["bearing"] == m.bearing_name
        assert r["speed_known"] == ("yes" if m.speed_known else "no")


def test_same_seed_same_bytes(tmp_path):
    for fmt in ("csv", "parquet"):
        a = write_fleet(tmp_path / f"a_{fmt}", CONFIG, seed=9, format=fmt).parent
        b = write_fleet(tmp_path / f"b_{fmt}", CONFIG, seed=9, format=fmt).parent
        files = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
        assert files == sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
        assert len(files) == CONFIG.total + 3
        for f in files:
            assert (a / f).read_bytes() == (b / f).read_bytes(), f


def test_basic_manifest_loads_with_todays_reader(tmp_path):
    manifest = write_fleet(tmp_path / "f", CONFIG, seed=0, manifest_columns="basic")
    assert _header(manifest) == list(BASIC_COLUMNS)
    entries = read_manifest(manifest)
    assert len(entries) == CONFIG.total and entries[0].channels == ("x", "y", "z")
    ds = load_data(manifest)
    assert len(ds.recordings) == CONFIG.total and set(ds.classes) == set(FLEET_CLASSES)
    assert ds.fs == min(m.fs for m in fleet_machines(CONFIG, seed=0)) and ds.n_channels == 3


def test_existing_folder_needs_force_and_is_replaced_whole(tmp_path):
    out = tmp_path / "fleet"
    out.mkdir()
    (out / "keep.txt").write_text("old")
    small = FleetConfig(machines=1, snapshots=2, seconds=0.1)
    with pytest.raises(ParameterError, match="already exists and is not empty"):
        write_fleet(out, small, seed=0)
    assert (out / "keep.txt").read_text() == "old"
    write_fleet(out, small, seed=0, force=True)
    assert not (out / "keep.txt").exists() and len(_rows(out / "manifest.csv")) == 2
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporaries


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"format": "xlsx"}, "format must be one of csv, parquet"),
        ({"manifest_columns": "some"}, "manifest_columns must be 'full' or 'basic'"),
        ({"seed": -3}, "seed must be a non-negative integer"),
    ],
)
def test_bad_arguments(tmp_path, kwargs, message):
    args = {"seed": 0, **kwargs}
    with pytest.raises(ParameterError, match=message):
        write_fleet(tmp_path / "f", FleetConfig(machines=1, snapshots=1), **args)
    assert not (tmp_path / "f").exists()
