"""Every recording format through one manifest (issue 13, readers): a headerless CSV, a CSV
whose time column is called ``X-Axis``, a generic .mat file reached by a dotted name, a TDMS
file and a UFF type-58 file; ``rotordx diagnose m.csv --json`` (physics only) and
``rotordx train m.csv --model features`` run on it."""

from __future__ import annotations

import json

import numpy as np
import pytest
import scipy.io
from typer.testing import CliRunner

from rotordx.cli import app
from rotordx.io import load_entry, read_manifest

nptdms = pytest.importorskip("nptdms")
pyuff = pytest.importorskip("pyuff")

runner = CliRunner()
FS = 4096.0
RPM = 1800.0
SECONDS = 4.0
G = 9.80665


def _signal(kind: str, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Time and acceleration in g: noise and a small 1x; a strong 1x for unbalance."""
    rng = np.random.default_rng(seed)
    n = int(SECONDS * FS)
    t = np.arange(n) / FS
    f = RPM / 60
    x = 0.3 * rng.standard_normal(n) + 0.2 * np.sin(2 * np.pi * f * t)
    if kind == "unbalance":
        x += 3.0 * np.sin(2 * np.pi * f * t + 0.3)
    return t, x / G


def write_mixed(root):
    """Six recordings in five formats, half of them 'unbalance'; TDMS and UFF state their
    units (g) in the file, the others in the manifest."""
    from nptdms import ChannelObject, GroupObject, TdmsWriter

    signals = {}
    t, x = signals["bare.csv"] = _signal("normal", 0)
    np.savetxt(root / "bare.csv", np.column_stack([t, x]), delimiter=",", fmt="%.9g")
    t, x = signals["xaxis.csv"] = _signal("unbalance", 1)
    np.savetxt(
        root / "xaxis.csv", np.column_stack([t, x]), delimiter=",", fmt="%.9g",
        header="X-Axis,acc", comments="",
    )  # fmt: skip
    t, x = signals["rig.mat"] = _signal("normal", 2)
    scipy.io.savemat(root / "rig.mat", {"bearing": {"gs": x[:, None], "sr": FS, "rate": 30.0}})
    t, x = signals["daq.tdms"] = _signal("unbalance", 3)
    props = {"wf_increment": 1 / FS, "wf_start_offset": 0.0, "unit_string": "g"}
    with TdmsWriter(str(root / "daq.tdms")) as w:
        w.write_segment([GroupObject("Vibration"), ChannelObject("Vibration", "acc", x, props)])
    t, x = signals["modal.uff"] = _signal("normal", 4)
    ds = pyuff.prepare_58(
        binary=1, id1="acc", func_type=1, rsp_node=1, rsp_dir=3, ref_node=0, ref_dir=0,
        ord_data_type=4, num_pts=len(x), abscissa_spacing=1, abscissa_min=0.0,
        abscissa_inc=1 / FS, abscissa_spec_data_type=17, abscissa_axis_units_lab="s",
        ordinate_spec_data_type=12, ordinate_axis_units_lab="g", orddenom_spec_data_type=0,
        z_axis_spec_data_type=0, data=x, x=t,
    )  # fmt: skip
    pyuff.UFF(str(root / "modal.uff")).write_sets([ds], mode="add")
    t, x = signals["bare2.csv"] = _signal("unbalance", 5)
    np.savetxt(root / "bare2.csv", np.column_stack([t, x]), delimiter=",", fmt="%.9g")
    rows = [
        "bare.csv,normal,,f1,1800,g",
        "xaxis.csv,unbalance,,acc,1800,g",
        "rig.mat,normal,,bearing.gs,1800,g",
        "daq.tdms,unbalance,,Vibration/acc,1800,",
        "modal.uff,normal,,1:+Z,1800,",
        "bare2.csv,unbalance,4096,,1800,g",
    ]
    m = root / "m.csv"
    m.write_text("path,label,rate,channel,rpm,units\n" + "\n".join(rows) + "\n")
    return m, signals


@pytest.fixture(scope="module")
def mixed(tmp_path_factory):
    return write_mixed(tmp_path_factory.mktemp("mixed"))


def test_every_format_loads_in_m_s2_at_its_rate(mixed):
    manifest, signals = mixed
    for e in read_manifest(manifest):
        r = load_entry(e)
        assert r.recording.fs == FS, e.path.name
        assert r.units == "m/s2" and r.recording.signals.shape == (1, int(SECONDS * FS))
        np.testing.assert_allclose(
            r.recording.signals[0], signals[e.path.name][1] * G, rtol=1e-8, atol=1e-9
        )
    by_name = {e.path.name: load_entry(e) for e in read_manifest(manifest)}
    assert by_name["daq.tdms"].file_units == ("g",) and by_name["modal.uff"].file_units == ("g",)
    assert by_name["bare.csv"].file_units is None


def test_diagnose_physics_only_json(mixed):
    manifest, _ = mixed
    r = runner.invoke(app, ["diagnose", str(manifest), "--json", "--no-plots"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)["recordings"]
    names = [d["path"].rsplit("/", 1)[-1] for d in out]
    assert names == ["bare.csv", "xaxis.csv", "rig.mat", "daq.tdms", "modal.uff", "bare2.csv"]
    assert [d["verdict"] for d in out] == [d["label"] for d in out]
    assert all(d["rpm"] == RPM and d["rpm_source"] == "manifest" for d in out)


def test_train_features(mixed, tmp_path):
    manifest, _ = mixed
    run = tmp_path / "run"
    r = runner.invoke(
        app,
        ["train", str(manifest), "--model", "features", "--out", str(run), "--threads", "1",
         "--quiet"],
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    m = json.loads((run / "metrics.json").read_text())
    assert m["recordings"] == 6 and m["fs"] == FS and m["classes"] == ["normal", "unbalance"]
    assert m["accuracy"] == 1.0
