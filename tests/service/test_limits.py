"""Limits and safety against a real server: API keys (401), request size (413), the time
limit (504), the bounded queue (503 + Retry-After), CORS off by default.

The server runs with one worker and a queue of one, a 2 s time limit, a 256 KiB body
limit and an API-key file.
"""

from __future__ import annotations

import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import numpy as np
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from service_support import Server, f32, snapshots

KEY = "k3y-for-the-tests-0123456789"
LIMIT = 256 * 1024
SNAP = snapshots(1, seed=4)[0]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    work = tmp_path_factory.mktemp("limits")
    (work / "keys").write_text(f"# test keys\n{KEY}\nsecond-key-abcdefghijklmnop\n")
    s = Server(
        work,
        *("--db", str(work / "limits.db"), "--api-key-file", str(work / "keys")),
        *("--workers", "1", "--queue", "1", "--timeout", "2", "--max-upload", "256k"),
    )
    yield s
    s.stop()


@pytest.fixture(scope="module")
def c(server):
    with server.client(headers={"Authorization": f"Bearer {KEY}"}) as client:
        assert client.put("/v1/machines/lim", json={}).status_code == 201
        yield client


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong-key-0123456789"}, {"Authorization": f"Basic {KEY}"},
     {"Authorization": "Bearer"}, {"Authorization": f"Bearer {KEY}x"}],
)  # fmt: skip
def test_a_wrong_or_missing_key_is_401(server, c, headers):
    with server.client(headers=headers) as anon:
        paths = [("GET", "/v1/machines"), ("GET", "/v1/model"),
                 ("GET", "/v1/machines/lim/history"), ("PUT", "/v1/machines/x")]  # fmt: skip
        for method, path in paths:
            r = anon.request(method, path, json={} if method == "PUT" else None)
            assert r.status_code == 401, (path, r.text)
            assert r.headers["www-authenticate"] == "Bearer"
            assert "API key" in r.json()["detail"]
        r = anon.post("/v1/machines/lim/recordings", files={"file": ("a.f32", f32(SNAP))})
        assert r.status_code in (401, 413)  # (the body may be refused for its size first)
        assert anon.get("/v1/health").status_code == 200  # health and the page stay open
        assert anon.get("/").status_code == 200


def test_every_key_of_the_file_works(server):
    with server.client(headers={"Authorization": "bearer second-key-abcdefghijklmnop"}) as k2:
        assert k2.get("/v1/machines").status_code == 200


def test_a_body_over_the_limit_is_413(c):
    big = np.zeros(LIMIT // 4 + 1000, "<f4").tobytes()
    r = c.post("/v1/machines/lim/recordings", files={"file": ("big.f32", big)},
               data={"rate": "1000", "channels": "1"})  # fmt: skip
    assert r.status_code == 413, r.text
    assert f"the limit is {LIMIT} bytes" in r.json()["detail"]

    request = c.build_request(
        "POST", "/v1/machines/lim/recordings", files={"file": ("big.f32", big)},
        data={"rate": "1000", "channels": "1"},
    )  # fmt: skip
    body = request.read()

    def chunks():  # no Content-Length: the body is counted as it arrives
        for i in range(0, len(body), 8192):
            yield body[i : i + 8192]

    headers = {k: v for k, v in request.headers.items() if k.lower() != "content-length"}
    r = c.post(request.url, content=chunks(), headers=headers)
    assert r.status_code == 413, r.text
    assert f"over {LIMIT} bytes" in r.json()["detail"]
    assert c.get("/v1/health").status_code == 200


def test_a_request_past_the_time_limit_is_504(server, c):
    request = c.build_request(
        "POST", "/v1/machines/lim/recordings", files={"file": ("slow.f32", f32(SNAP)[:4000])},
        data={"rate": "4096", "channels": "1"},
    )  # fmt: skip
    body = request.read()

    def trickle():  # a client that stalls in the middle of its body (slowloris)
        yield body[:100]
        time.sleep(3.5)
        yield body[100:]

    headers = {k: v for k, v in request.headers.items() if k.lower() != "content-length"}
    r = c.post(request.url, content=trickle(), headers=headers)
    assert r.status_code == 504, r.text
    assert "longer than the limit of 2 s" in r.json()["detail"]
    assert c.get("/v1/machines/lim").json()["diagnoses"] == 0


def test_a_full_queue_is_503_with_retry_after(c):
    """One worker, one place in the queue: concurrent long uploads beyond them are refused
    at once, never queued without bound."""
    long = np.tile(SNAP.signals, 12)  # 12 s: a diagnosis of a fraction of a second
    frames = (LIMIT - 2000) // 12
    data = np.ascontiguousarray(long.T[:frames], "<f4").tobytes()
    start = threading.Barrier(6)

    def post(_):
        start.wait()
        return c.post(
            "/v1/machines/lim/recordings", files={"file": ("long.f32", data)},
            data={"rate": str(SNAP.fs), "channels": "3"},
        )  # fmt: skip

    with ThreadPoolExecutor(6) as ex:
        results = list(ex.map(post, range(6)))
    codes = sorted(r.status_code for r in results)
    assert set(codes) <= {201, 503}, [r.text for r in results]
    assert codes.count(201) >= 1 and codes.count(503) >= 1, codes
    for r in results:
        if r.status_code == 503:
            assert int(r.headers["retry-after"]) >= 1
            assert "queue is full" in r.json()["detail"]
    assert c.get("/v1/machines/lim").json()["diagnoses"] == codes.count(201)


def test_cors_is_off_by_default(c):
    r = c.options(
        "/v1/machines",
        headers={"Origin": "https://elsewhere.example", "Access-Control-Request-Method": "GET"},
    )
    assert "access-control-allow-origin" not in r.headers
    r = c.get("/v1/machines", headers={"Origin": "https://elsewhere.example"})
    assert "access-control-allow-origin" not in r.headers


def test_the_server_survived(server, c):
    assert server.proc.poll() is None
    assert c.get("/v1/health").json()["status"] == "ok"
    with pytest.raises(httpx.HTTPError):  # it listens on 127.0.0.1 only
        port = server.url.rsplit(":", 1)[1]
        addresses = [a for a in _addresses() if not a.startswith("127.")]
        if not addresses:
            raise httpx.ConnectError("no other address to try")
        httpx.get(f"http://{addresses[0]}:{port}/v1/health", timeout=2)


def _addresses() -> list[str]:
    try:
        return [i[4][0] for i in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)]
    except OSError:
        return []


def test_a_stream_without_the_key_is_closed_4401(server):
    url = server.url.replace("http://", "ws://") + "/v1/machines/lim/stream"
    with connect(url) as ws:
        msg = ws.recv(timeout=30)
        with pytest.raises(ConnectionClosed) as info:
            ws.recv(timeout=30)
    assert "API key" in msg and info.value.rcvd.code == 4401
    with connect(url, additional_headers={"Authorization": f"Bearer {KEY}"}) as ws:
        ws.send('{"rate": 4096, "channels": 3}')
        assert '"ready"' in ws.recv(timeout=30)
