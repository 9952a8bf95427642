"""Durability: SIGKILL while uploads are in flight, restart on the same database — every
diagnosis answered 2xx is there, nothing is partial (SQLite and PostgreSQL); and a
graceful stop (SIGTERM) lets the upload in flight finish.

"Nothing partial": every recording row has its diagnosis and every diagnosis its
recording; each machine's count and latest diagnosis agree with its rows; every raw
file a row names exists and every raw file has its row; no file is left in
``.incoming`` once the server has started again.
"""

from __future__ import annotations

import threading
import time

import httpx
import numpy as np
import pytest
from sqlalchemy import func, select

from rotordx.service.db import Database, DiagnosisRow, MachineRow, RecordingRow
from service_support import Server, machine_body, snapshots, upload

SNAPS = snapshots(14, seed=5)


def _db_url(backend: str, work, request) -> str:
    if backend == "sqlite":
        return str(work / "durable.db")
    return request.getfixturevalue("postgres").database()


def _check_consistent(url: str, raw) -> dict[int, str]:
    """The database and the raw folder agree (module docstring); {diagnosis id: verdict}."""
    db = Database(url if "://" in url else f"sqlite:///{url}")
    try:
        with db.read() as s:
            orphans = s.scalar(
                select(func.count(RecordingRow.id))
                .outerjoin(DiagnosisRow, DiagnosisRow.recording_id == RecordingRow.id)
                .where(DiagnosisRow.id.is_(None))
            )
            assert orphans == 0
            rows = s.execute(select(DiagnosisRow.id, DiagnosisRow.verdict)).all()
            for m in s.scalars(select(MachineRow)):
                n = s.scalar(
                    select(func.count(DiagnosisRow.id)).where(DiagnosisRow.machine_id == m.id)
                )
                assert m.n_diagnoses == n, m.name
                if n:
                    newest = s.scalar(
                        select(func.max(DiagnosisRow.time)).where(DiagnosisRow.machine_id == m.id)
                    )
                    assert m.latest_time == newest and s.get(DiagnosisRow, m.latest_id) is not None
            named = {p for (p,) in s.execute(select(RecordingRow.raw_path)) if p is not None}
    finally:
        db.close()
    on_disk = {
        str(p.relative_to(raw)) for p in raw.rglob("*.parquet") if ".incoming" not in p.parts
    }
    assert named == on_disk
    assert not list((raw / ".incoming").iterdir())
    return dict(rows)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_sigkill_during_uploads_keeps_every_answered_diagnosis(backend, tmp_path, request):
    db = _db_url(backend, tmp_path, request)
    raw = tmp_path / "raw"
    server = Server(tmp_path, "--db", db, "--raw-dir", str(raw))
    answered: dict[int, str] = {}
    stop = threading.Event()
    lock = threading.Lock()
    with server.client() as c:
        assert c.put("/v1/machines/dur", json=machine_body(SNAPS[0])).status_code == 201

    def client(k: int) -> None:
        with httpx.Client(base_url=server.url, timeout=30) as c:
            i = k
            while not stop.is_set():
                try:
                    r = upload(c, "dur", SNAPS[i % len(SNAPS)])
                except httpx.HTTPError:
                    return  # the server is gone: this upload's fate is unknown
                if r.status_code == 201:
                    with lock:
                        answered[r.json()["id"]] = r.json()["verdict"]
                i += 4

    threads = [threading.Thread(target=client, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 60
    while len(answered) < 12 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.lines()  # it has been logging
    server.kill()  # SIGKILL: uploads are in flight
    stop.set()
    for t in threads:
        t.join(30)
    assert len(answered) >= 12

    again = Server(tmp_path, "--db", db, "--raw-dir", str(raw))
    try:
        stored = _check_consistent(db, raw)
        for i, verdict in answered.items():
            assert stored.get(i) == verdict, i  # every 2xx is there, as it was answered
        with again.client() as c:
            hist = c.get("/v1/machines/dur/history", params={"limit": 10000}).json()
            assert {h["id"] for h in hist} == set(stored)
            assert c.get("/v1/machines/dur").json()["diagnoses"] == len(stored)
            assert upload(c, "dur", SNAPS[0]).status_code == 201  # and it goes on
    finally:
        again.stop()


def test_sigterm_lets_the_upload_in_flight_finish(tmp_path):
    db = str(tmp_path / "graceful.db")
    server = Server(tmp_path, "--db", db, "--workers", "1")
    with server.client() as c:
        assert c.put("/v1/machines/grace", json=machine_body(SNAPS[0])).status_code == 201
    long = np.tile(SNAPS[1].signals, 8)  # 8 s: a diagnosis long enough to be caught
    data = np.ascontiguousarray(long.T, "<f4").tobytes()
    result = {}

    def post():
        with httpx.Client(base_url=server.url, timeout=60) as c:
            result["r"] = c.post(
                "/v1/machines/grace/recordings", files={"file": ("long.f32", data)},
                data={"rate": str(SNAPS[1].fs), "channels": "3"},
            )  # fmt: skip

    t = threading.Thread(target=post)
    t.start()
    with server.client() as c:
        deadline = time.monotonic() + 30
        while c.get("/v1/health").json()["running"] < 1 and time.monotonic() < deadline:
            time.sleep(0.01)
    assert server.stop() == 0  # SIGTERM: it waits for the request in flight
    t.join(30)
    assert result["r"].status_code == 201, result["r"].text
    events = [x.get("event") for x in server.lines()]
    assert events.index("stopped") > events.index("ready")
    again = Server(tmp_path, "--db", db)
    try:
        with again.client() as c:
            hist = c.get("/v1/machines/grace/history").json()
            assert [h["id"] for h in hist] == [result["r"].json()["id"]]
    finally:
        again.stop()
