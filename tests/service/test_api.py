"""Every endpoint of the API, with httpx against a real server, on SQLite and on PostgreSQL.

The server (``backend_server``, tests/service/conftest.py) is ``rotordx serve`` in a child
process on 127.0.0.1, physics-only, keeping raw samples; each test uses its own machines.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import time

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import scipy.io
import scipy.io.wavfile
from typer.testing import CliRunner

from badinputs import CWRU_NAME, write_mat
from rotordx.classes import VERDICTS
from rotordx.cli import app as cli
from rotordx.io import read_recording
from service_support import csv_bytes, machine_body, snapshots, upload

SNAPS = snapshots(7, seed=1)
ISSUE_PATHS = {
    "/v1/health",
    "/v1/model",
    "/v1/machines",
    "/v1/machines/{machine}",
    "/v1/machines/{machine}/recordings",
    "/v1/machines/{machine}/history",
}


@pytest.fixture(scope="module")
def c(backend_server):
    with backend_server.client() as client:
        yield client


def test_health(c, backend_server):
    r = c.get("/v1/health")
    assert r.status_code == 200, r.text
    h = r.json()
    assert h["status"] == "ok" and h["database"] == backend_server.backend
    assert h["schema_revision"] == "0001" and h["workers"] == 2 and h["model"] == "physics"
    assert r.headers["x-request-id"]


def test_model_without_a_model_is_the_physics(c):
    m = c.get("/v1/model").json()
    assert m["kind"] == "physics" and m["classes"] == list(VERDICTS)
    assert m["rate"] is None and m["window"] is None


def test_openapi_lists_the_api(c):
    spec = c.get("/openapi.json").json()
    assert set(spec["paths"]) >= ISSUE_PATHS
    assert set(spec["paths"]["/v1/machines/{machine}"]) == {"get", "put"}
    body = spec["paths"]["/v1/machines/{machine}/recordings"]["post"]["requestBody"]
    assert "multipart/form-data" in body["content"]


def test_put_creates_then_replaces_a_machine(c):
    r = c.put("/v1/machines/api-put", json={"rpm": 1480, "channels": ["x"], "units": "g"})
    assert r.status_code == 201, r.text
    assert r.json()["rpm"] == 1480 and r.json()["latest"] is None
    r = c.put("/v1/machines/api-put", json={"bearing": "SKF_6205", "units": "mm/s"})
    assert r.status_code == 200, r.text
    m = r.json()
    assert m["bearing"] == "SKF_6205" and m["rpm"] is None and m["units"] == "mm/s"  # replaced
    assert m["created"] <= m["updated"]


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"units": "furlongs"}, "units: Input should be 'g', 'm/s2', 'mm/s' or 'V'"),
        ({"channels": ["x", "y"], "directions": ["axial"]}, "1 direction(s) for 2 channel(s)"),
        ({"bearing": "nonsense"}, "unknown bearing 'nonsense'"),
        ({"rpm": -3}, "rpm"),
        ({"units": "V"}, "need a sensitivity"),
        ({"thresholds": "loose"}, "thresholds: Input should be 'group2_rigid'"),
        ({"colour": "red"}, "colour"),
        ({"channels": ["x", "x"]}, "distinct"),
    ],
)
def test_put_refuses_bad_metadata(c, body, fragment):
    r = c.put("/v1/machines/api-bad", json=body)
    assert r.status_code == 422, r.text
    assert fragment in r.json()["detail"], r.json()


def test_bad_machine_names_and_unknown_machines(c):
    assert c.put("/v1/machines/-x", json={}).status_code == 422
    assert c.put("/v1/machines/" + "a" * 65, json={}).status_code == 422
    for path in ("/v1/machines/nobody", "/v1/machines/nobody/history"):
        r = c.get(path)
        assert r.status_code == 404 and "no machine 'nobody'" in r.json()["detail"]
    r = upload(c, "nobody", SNAPS[0])
    assert r.status_code == 404 and "create it with PUT" in r.json()["detail"]


def test_upload_returns_the_diagnosis_of_rotordx_diagnose(c, tmp_path):
    """The upload's JSON has the fields and values of `rotordx diagnose --json`."""
    snap = SNAPS[1]
    path = tmp_path / "snapshot.csv"
    path.write_bytes(csv_bytes(snap))
    assert c.put("/v1/machines/api-same", json={}).status_code == 201
    with path.open("rb") as fh:
        r = c.post(
            "/v1/machines/api-same/recordings",
            files={"file": ("snapshot.csv", fh)},
            data={"rpm": f"{snap.rpm}"},
        )
    assert r.status_code == 201, r.text
    got = r.json()
    res = CliRunner().invoke(
        cli, ["diagnose", str(path), "--json", "--no-plots", "--quiet", "--rpm", f"{snap.rpm}"]
    )
    assert res.exit_code == 0, res.output
    (want,) = json.loads(res.stdout)["recordings"]
    assert set(want) <= set(got)
    assert set(got) - set(want) == {"id", "time", "received", "recording"}
    for key in want:
        if key not in ("path", "machine"):
            assert json.dumps(got[key], sort_keys=True) == json.dumps(want[key], sort_keys=True)
    assert got["path"] == "snapshot.csv" and got["machine"] == "api-same"
    assert (
        got["recording"]["format"] == "csv" and got["recording"]["samples"] == snap.signals.shape[1]
    )


def test_machine_metadata_is_the_context(c):
    """Units, channels, directions, bearing and rpm of the machine apply to its uploads."""
    snap = SNAPS[0]
    body = machine_body(snap, rpm=round(snap.rpm, 3), bearing="9:7.94:39.04:0")
    assert c.put("/v1/machines/api-ctx", json=body).status_code == 201
    r = upload(c, "api-ctx", snap)
    assert r.status_code == 201, r.text
    d = r.json()
    assert d["rpm"] == pytest.approx(round(snap.rpm, 3)) and d["rpm_source"] == "machine"
    assert [s["name"] for s in d["sensors"]] == ["x", "y", "z"]
    assert [s["direction"] for s in d["sensors"]] == ["horizontal", "vertical", "axial"]
    assert any("9:7.94:39.04:0" in e for e in d["evidence"])  # the envelope at its defects
    r = upload(c, "api-ctx", snap, rpm=1234.5)  # an upload's own rpm wins
    assert r.json()["rpm"] == pytest.approx(1234.5) and r.json()["rpm_source"] == "given"
    # the same samples in m/s2 on a machine whose sensors say m/s2: the same severity
    other = machine_body(snap, rpm=round(snap.rpm, 3), units="m/s2")
    assert c.put("/v1/machines/api-ctx-si", json=other).status_code == 201
    scaled = snap.acceleration().T.astype("<f4").tobytes()
    r2 = c.post(
        "/v1/machines/api-ctx-si/recordings",
        files={"file": ("si.f32", scaled)},
        data={"rate": str(snap.fs), "channels": "x,y,z"},
    )
    assert r2.status_code == 201, r2.text
    assert r2.json()["severity"]["velocity_rms_mm_s"] == pytest.approx(
        d["severity"]["velocity_rms_mm_s"], rel=1e-3
    )


def _wav(snap) -> bytes:
    buf = io.BytesIO()
    scipy.io.wavfile.write(buf, snap.fs, snap.signals.T.astype(np.float32))
    return buf.getvalue()


def _parquet(snap) -> bytes:
    t = np.arange(snap.signals.shape[1]) / snap.fs
    table = pa.table({"time": t, **{c: snap.signals[i] for i, c in enumerate("xyz")}})
    buf = io.BytesIO()
    pq.write_table(table, buf)
    return buf.getvalue()


def test_every_format_is_read_as_its_reader_reads_it(c, tmp_path):
    snap = SNAPS[2]
    assert c.put("/v1/machines/api-formats", json=machine_body(snap)).status_code == 201
    mat = write_mat(tmp_path / CWRU_NAME, n=24000).read_bytes()
    cases = [
        ("a.csv", csv_bytes(snap), {}, "csv"),
        ("a.parquet", _parquet(snap), {}, "parquet"),
        ("a.wav", _wav(snap), {}, "wav"),
        ("a.raw", snap.signals.T.astype("<f4").tobytes(), {"rate": snap.fs, "channels": 3}, "f32"),
    ]
    verdicts = set()
    for name, data, form, fmt in cases:
        r = c.post("/v1/machines/api-formats/recordings", files={"file": (name, data)}, data=form)
        assert r.status_code == 201, (name, r.text)
        assert r.json()["recording"]["format"] == fmt
        assert r.json()["recording"]["channels"] == ["x", "y", "z"]  # the machine's names
        verdicts.add(r.json()["verdict"])
    assert len(verdicts) == 1  # the same samples, whatever the container
    # a CWRU-named .mat file goes down the CWRU route: its label, rpm and bearing
    assert c.put("/v1/machines/api-cwru", json={}).status_code == 201
    r = c.post("/v1/machines/api-cwru/recordings", files={"file": (f"x/../{CWRU_NAME}", mat)})
    assert r.status_code == 201, r.text
    d = r.json()
    assert d["path"] == CWRU_NAME and d["label"] == "inner_race" and d["rpm_source"] == "file"
    assert d["recording"]["format"] == "mat" and d["recording"]["units"] == "m/s2"


def test_unsupported_types_and_missing_fields(c):
    assert c.put("/v1/machines/api-types", json={}).status_code == 201
    r = c.post("/v1/machines/api-types/recordings", files={"file": ("a.xlsx", b"PK\x03\x04")})
    assert r.status_code == 415 and "'.xlsx'" in r.json()["detail"]
    r = c.post("/v1/machines/api-types/recordings", data={"rate": "100"})
    assert r.status_code == 422 and r.json()["detail"].startswith("file")
    r = c.post("/v1/machines/api-types/recordings", files={"file": ("a.f32", b"\0" * 4096)})
    assert r.status_code == 422 and "need the rate and the channels" in r.json()["detail"]


def test_history_newest_first_with_filters(c):
    assert c.put("/v1/machines/api-hist", json=machine_body(SNAPS[0])).status_code == 201
    t0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    times = [t0 + dt.timedelta(hours=h) for h in (3, 1, 2)]  # out of order on purpose
    ids = {}
    for snap, t in zip(SNAPS[:3], times, strict=True):
        r = upload(c, "api-hist", snap, time=t.isoformat())
        assert r.status_code == 201, r.text
        ids[t] = r.json()["id"]
    r = upload(c, "api-hist", SNAPS[3], time=str(int((t0 - dt.timedelta(days=1)).timestamp())))
    assert r.status_code == 201  # Unix seconds
    hist = c.get("/v1/machines/api-hist/history").json()
    assert [h["time"] for h in hist] == sorted((h["time"] for h in hist), reverse=True)
    assert [h["id"] for h in hist[:3]] == [ids[t] for t in sorted(times, reverse=True)]
    for h in hist:
        assert h["orders"]["1x"] > 0 and h["severity"]["zone"] in "ABCD"
        assert h["source"] == "upload" and h["model"] == "physics" and "diagnosis" not in h
    since = (t0 + dt.timedelta(hours=1)).isoformat()
    until = (t0 + dt.timedelta(hours=3)).isoformat()
    part = c.get("/v1/machines/api-hist/history", params={"since": since, "until": until}).json()
    assert [h["id"] for h in part] == [ids[times[2]], ids[times[1]]]
    one = c.get("/v1/machines/api-hist/history", params={"limit": 1, "full": "true"}).json()
    assert len(one) == 1 and one[0]["diagnosis"]["verdict"] == one[0]["verdict"]
    assert c.get("/v1/machines/api-hist/history", params={"limit": 0}).status_code == 422
    assert c.get("/v1/machines/api-hist/history", params={"since": "soon"}).status_code == 422
    # the latest state is the newest by measurement time, not by arrival
    (m,) = [m for m in c.get("/v1/machines").json() if m["name"] == "api-hist"]
    assert m["latest"]["id"] == ids[times[0]] and m["diagnoses"] == 4
    bad = upload(c, "api-hist", SNAPS[4], time="yesterday")
    assert bad.status_code == 422 and "ISO 8601" in bad.json()["detail"]


def test_machine_detail_has_the_spectrum_and_its_marks(c):
    snap = SNAPS[0]
    body = machine_body(snap, rpm=round(snap.rpm, 2), bearing="9:7.94:39.04:0")
    assert c.put("/v1/machines/api-detail", json=body).status_code == 201
    assert c.get("/v1/machines/api-detail").json()["spectrum"] is None
    assert upload(c, "api-detail", snap).status_code == 201
    d = c.get("/v1/machines/api-detail").json()
    s = d["spectrum"]
    amps = [np.frombuffer(base64.b64decode(a), "<f4") for a in s["amplitudes"]]
    assert s["channels"] == ["x", "y", "z"] and all(a.size == s["bins"] for a in amps)
    shaft = round(snap.rpm, 2) / 60
    assert d["marks"]["shaft_hz"] == pytest.approx(shaft)
    assert d["marks"]["orders"][1] == {"label": "2x", "hz": pytest.approx(2 * shaft)}
    assert set(d["marks"]["bearing"]) == {"BPFO", "BPFI", "BSF", "FTF"}
    # the spectrum's peak near 1x (the simulated machine runs with residual unbalance)
    k = round((shaft - s["f0"]) / s["df"])
    assert amps[0][k - 2 : k + 3].max() > np.median(amps[0])
    assert d["zones"]["ab"] < d["zones"]["bc"] < d["zones"]["cd"]
    assert d["diagnosis"]["verdict"] == d["latest"]["verdict"]


def test_raw_samples_are_kept_as_parquet(c, backend_server):
    snap = SNAPS[5]
    assert c.put("/v1/machines/api-raw", json=machine_body(snap)).status_code == 201
    r = upload(c, "api-raw", snap)
    assert r.status_code == 201 and r.json()["recording"]["raw"] is True
    files = sorted(backend_server.raw.rglob("*.parquet"))
    assert files and not list((backend_server.raw / ".incoming").iterdir())
    back = [read_recording(f) for f in files]
    match = [b for b in back if b.recording.signals.shape == snap.signals.shape]
    assert match, [b.recording.signals.shape for b in back]
    assert any(
        np.allclose(b.recording.signals, snap.signals.astype(np.float32)) for b in match
    )  # the samples as received (the machine's units), float32


def test_the_page_and_its_files_are_served(c):
    r = c.get("/")
    assert r.status_code == 200 and "text/html" in r.headers["content-type"]
    assert "rotordx" in r.text and "/static/app.js" in r.text
    assert c.get("/static/app.js").status_code == 200
    assert c.get("/docs").status_code == 404  # no page that would fetch code from a CDN


def test_logs_are_json_lines_per_request(c, backend_server):
    rid = c.get("/v1/machines").headers["x-request-id"]
    for _ in range(100):  # the line is written as the response leaves
        lines = backend_server.lines()
        mine = [x for x in lines if x.get("request_id") == rid]
        if mine:
            break
        time.sleep(0.05)
    (mine,) = mine
    assert mine["path"] == "/v1/machines" and mine["status"] == 200 and mine["ms"] >= 0
    assert any(x.get("event") == "ready" for x in lines)
