"""``WS /v1/machines/{machine}/stream`` with a real WebSocket client, on SQLite and PostgreSQL:
a JSON header, binary float32 frames, a verdict per completed window, errors that say why."""

from __future__ import annotations

import json

import numpy as np
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from service_support import machine_body, snapshots

SNAP = snapshots(1, seconds=4.0, seed=6)[0]  # 4 s of one machine


@pytest.fixture(scope="module")
def ws_url(backend_server):
    with backend_server.client() as c:
        assert c.put("/v1/machines/ws-1", json=machine_body(SNAP)).status_code == 201
    return backend_server.url.replace("http://", "ws://")


def _frames(x: np.ndarray) -> bytes:
    return np.ascontiguousarray(x.T, "<f4").tobytes()


def _recv(ws) -> dict:
    return json.loads(ws.recv(timeout=60))


def test_a_verdict_per_window(ws_url, backend_server):
    header = {"rate": SNAP.fs, "channels": ["x", "y", "z"], "window": 1.0, "rpm": SNAP.rpm,
              "time": "2026-03-01T12:00:00Z"}  # fmt: skip
    with connect(f"{ws_url}/v1/machines/ws-1/stream") as ws:
        ws.send(json.dumps(header))
        ready = _recv(ws)
        assert ready["type"] == "ready" and ready["window_samples"] == SNAP.fs
        assert ready["bytes_per_frame"] == 12
        n = int(3.5 * SNAP.fs)  # three windows and a half, in quarter-second messages
        step = SNAP.fs // 4
        for i in range(0, n, step):
            ws.send(_frames(SNAP.signals[:, i : min(i + step, n)]))
        verdicts = [_recv(ws) for _ in range(3)]
        ws.send(json.dumps({"type": "end"}))
        end = _recv(ws)
    assert [v["type"] for v in verdicts] == ["verdict"] * 3
    assert [v["window"] for v in verdicts] == [0, 1, 2]
    assert [v["start"][:19] for v in verdicts] == [
        "2026-03-01T12:00:00", "2026-03-01T12:00:01", "2026-03-01T12:00:02"
    ]  # fmt: skip
    for v in verdicts:
        d = v["diagnosis"]
        assert d["rpm"] == pytest.approx(SNAP.rpm) and d["rpm_source"] == "given"
        assert [s["direction"] for s in d["sensors"]] == ["horizontal", "vertical", "axial"]
    assert end == {"type": "end", "windows": 3, "discarded_samples": n - 3 * SNAP.fs}
    with backend_server.client() as c:
        hist = c.get("/v1/machines/ws-1/history").json()
    stream = [h for h in hist if h["source"] == "stream"]
    assert sorted(h["id"] for h in stream) == sorted(v["id"] for v in verdicts)
    assert all(h["recording"]["format"] == "stream" for h in stream)


def test_a_fast_sender_gets_every_window_in_order(ws_url):
    """Frames sent as fast as the socket takes them: the server reads no faster than it
    diagnoses (at most one window waits), and answers every window, in order."""
    x = np.tile(SNAP.signals, 3)  # 12 s in windows of 0.25 s: 48 windows
    with connect(f"{ws_url}/v1/machines/ws-1/stream") as ws:
        ws.send(json.dumps({"rate": SNAP.fs, "channels": 3, "window": 0.25, "store": False}))
        assert _recv(ws)["type"] == "ready"
        ws.send(_frames(x))  # one message of 48 windows
        got = [_recv(ws) for _ in range(48)]
        ws.send(json.dumps({"type": "end"}))
        assert _recv(ws)["windows"] == 48
    assert [g["window"] for g in got] == list(range(48))
    assert all(g["type"] == "verdict" and g["id"] is None for g in got)  # store: false


def test_a_bad_window_is_refused_and_the_stream_goes_on(ws_url):
    x = SNAP.signals[:, : SNAP.fs].copy()
    x[1, 10] = np.nan
    with connect(f"{ws_url}/v1/machines/ws-1/stream") as ws:
        ws.send(json.dumps({"rate": SNAP.fs, "channels": 3, "window": 0.5, "store": False}))
        _recv(ws)
        ws.send(_frames(x))
        first, second = _recv(ws), _recv(ws)
    assert first["type"] == "error" and first["status"] == 422 and first["window"] == 0
    assert "sample 10 of channel 1 is nan" in first["detail"]
    assert second["type"] == "verdict" and second["window"] == 1


@pytest.mark.parametrize(
    ("path", "first", "code", "fragment"),
    [
        ("ws-1", "not json", 4400, "must be a JSON header"),
        ("ws-1", json.dumps({"rate": -1, "channels": 3}), 4400, "rate must be"),
        ("ws-1", json.dumps({"rate": 1000, "channels": 0}), 4400, "channels must be"),
        ("ws-1", json.dumps({"rate": 1000, "channels": 3, "volume": 11}), 4400, "volume"),
        ("ws-1", json.dumps({"rate": 1000, "channels": 3, "window": 1e6}), 4400, "window"),
        ("nobody", json.dumps({"rate": 1000, "channels": 3}), 4404, "no machine 'nobody'"),
    ],
)
def test_protocol_errors_close_with_a_reason(ws_url, path, first, code, fragment):
    with connect(f"{ws_url}/v1/machines/{path}/stream") as ws:
        if path != "nobody":
            ws.send(first)
        msg = _recv(ws)
        with pytest.raises(ConnectionClosed) as info:
            ws.recv(timeout=30)
    assert msg["type"] == "error" and fragment in msg["detail"]
    assert info.value.rcvd.code == code


def test_frames_must_be_whole(ws_url):
    with connect(f"{ws_url}/v1/machines/ws-1/stream") as ws:
        ws.send(json.dumps({"rate": 1000, "channels": 3}))
        _recv(ws)
        ws.send(b"\0" * 10)
        msg = _recv(ws)
        with pytest.raises(ConnectionClosed) as info:
            ws.recv(timeout=30)
    assert "10 bytes is not whole frames of 3 float32 channel(s)" in msg["detail"]
    assert info.value.rcvd.code == 4400
