"""``rotordx serve --demo``: the simulated fleet's day is stored once, through the workers,
with each machine's story in its verdicts; a second start does not store it again."""

from __future__ import annotations

import time

from rotordx.service.demo import HOURS, STORIES
from service_support import Server


def _fleet(server: Server, want: int) -> list[dict]:
    deadline = time.monotonic() + 120
    with server.client() as c:
        while time.monotonic() < deadline:
            machines = c.get("/v1/machines").json()
            if len(machines) == len(STORIES) and all(m["diagnoses"] >= want for m in machines):
                return machines
            time.sleep(0.5)
    raise AssertionError(f"the demo fleet was not stored:\n{server.text()}")


def test_the_demo_fills_an_empty_database_once(tmp_path):
    db = str(tmp_path / "demo.db")
    s = Server(tmp_path, "--db", db, "--demo", "--seed", "0")
    try:
        machines = _fleet(s, HOURS)
        assert [m["name"] for m in machines] == [f"M{i:02d}" for i in range(1, 7)]
        with s.client() as c:
            day = c.get("/v1/machines/M05/history", params={"limit": HOURS}).json()
            assert len(day) == HOURS and {d["source"] for d in day} == {"demo"}
            detail = c.get("/v1/machines/M05").json()
            assert detail["bearing"] and detail["spectrum"] is not None
            assert "BPFO" in str(detail["marks"])
        assert any(x.get("event") == "demo fleet stored" for x in s.lines())
    finally:
        assert s.stop() == 0
    again = Server(tmp_path, "--db", db, "--demo", "--seed", "0")
    try:
        _fleet(again, HOURS)
        assert not any(x.get("event") == "demo fleet stored" for x in again.lines())
    finally:
        assert again.stop() == 0
