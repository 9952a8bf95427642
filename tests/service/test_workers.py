"""The worker pool, the middleware and the settings, in-process.

A worker stopped with SIGSTOP before it is given a job never answers: it stands for a
reader that hangs, deterministically (no timing in the assertions). (A FIFO would not do:
the readers refuse anything but a regular file.)
"""

from __future__ import annotations

import asyncio
import os
import signal

import numpy as np
import pytest
from starlette.exceptions import HTTPException

from rotordx.exceptions import ParameterError
from rotordx.service.jobs import FileJob, JobError, MachineMeta, Outcome, SamplesJob
from rotordx.service.middleware import BodyLimit, TimeLimit, check_key
from rotordx.service.settings import Settings, database_url, load_api_keys
from rotordx.service.workers import JobTimeout, QueueFull, WorkerCrashed, WorkerPool
from service_support import snapshots

SNAP = snapshots(1, seed=9)[0]
META = MachineMeta("w", channels=("x", "y", "z"), units=SNAP.machine.units)


def _samples() -> SamplesJob:
    return SamplesJob(SNAP.signals.astype(np.float32), float(SNAP.fs), ("x", "y", "z"), "s", META)


@pytest.fixture(scope="module")
def pool():
    p = WorkerPool(1, queue=0)
    p.start()
    yield p
    p.close(5)


def _stalled(pool, tmp_path) -> FileJob:
    """A job for the pool's only worker, which is stopped (SIGSTOP) and will not answer."""
    os.kill(pool._workers[0].proc.pid, signal.SIGSTOP)
    (tmp_path / "stalled.csv").write_text("time,x\n0,1\n")
    return FileJob(path=str(tmp_path / "stalled.csv"), filename="stalled.csv", machine=META)


async def _until_running(pool, task) -> None:
    while pool.running < 1:
        assert not task.done(), task.result()
        await asyncio.sleep(0.01)


def test_a_hung_reader_times_out_and_its_worker_is_replaced(pool, tmp_path):
    async def scenario():
        first = pool._workers[0].proc.pid
        stuck = asyncio.ensure_future(pool.run(_stalled(pool, tmp_path), timeout=3))
        await _until_running(pool, stuck)
        with pytest.raises(QueueFull) as full:  # one worker, no queue: refused at once
            await pool.run(_samples(), timeout=30)
        assert full.value.retry_after >= 1
        with pytest.raises(JobTimeout, match="longer than 3 s"):
            await stuck
        assert pool._workers[0].proc.pid != first  # a new worker
        return await pool.run(_samples(), timeout=60)

    out = asyncio.run(scenario())
    assert isinstance(out, Outcome) and out.diagnosis["verdict"] and out.model == "physics"


def test_a_worker_that_dies_is_a_clear_error_and_is_replaced(pool, tmp_path):
    async def scenario():
        victim = pool._workers[0].proc.pid
        stuck = asyncio.ensure_future(pool.run(_stalled(pool, tmp_path), timeout=60))
        await _until_running(pool, stuck)
        os.kill(victim, signal.SIGKILL)  # as a native crash would
        with pytest.raises(WorkerCrashed, match="killed by signal SIGKILL"):
            await stuck
        return await pool.run(_samples(), timeout=60)

    assert isinstance(asyncio.run(scenario()), Outcome)


def test_a_bad_job_is_a_job_error_not_an_exception(pool, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("time,x\n0,1\n0.001,oops\n")
    job = FileJob(path=str(bad), filename="bad.csv", machine=MachineMeta("w"))
    out = asyncio.run(pool.run(job, timeout=60))
    assert isinstance(out, JobError) and out.status == 422
    assert out.message.startswith("bad.csv: line 3") and str(tmp_path) not in out.message


def test_a_model_that_cannot_load_stops_the_start(tmp_path):
    p = WorkerPool(1, queue=0, model=str(tmp_path / "nothing"))
    with pytest.raises(ParameterError, match="--model"):
        p.start()
    p.close(1)


# -- middleware ---------------------------------------------------------------------------------


async def _call(app, *, headers=(), body_chunks=(b"",)):
    sent = []
    chunks = list(body_chunks)

    async def receive():
        data = chunks.pop(0) if chunks else b""
        return {"type": "http.request", "body": data, "more_body": bool(chunks)}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/", "headers": list(headers)}
    await app(scope, receive, send)
    return sent


def _status(sent) -> int:
    return next(m["status"] for m in sent if m["type"] == "http.response.start")


async def _respond(send, status=201):
    await send({"type": "http.response.start", "status": status, "headers": []})
    await send({"type": "http.response.body", "body": b"{}"})


def test_time_limit_answers_504_unless_the_request_is_storing():
    async def slow(scope, receive, send):
        await asyncio.sleep(30)
        await _respond(send)

    async def storing(scope, receive, send):
        scope["state"]["committing"] = True
        await asyncio.sleep(0.5)  # (well past the limit)
        await _respond(send)

    sent = asyncio.run(_call(TimeLimit(slow, seconds=0.1)))
    assert _status(sent) == 504 and b"limit of 0.1 s" in sent[-1]["body"]
    assert _status(asyncio.run(_call(TimeLimit(storing, seconds=0.1)))) == 201


def test_body_limit_by_length_and_while_streaming():
    async def reader(scope, receive, send):
        while (await receive()).get("more_body"):
            pass
        await _respond(send, 200)

    app = BodyLimit(reader, limit=100)
    sent = asyncio.run(_call(app, headers=[(b"content-length", b"101")]))
    assert _status(sent) == 413 and b"101 bytes; the limit is 100" in sent[-1]["body"]
    with pytest.raises(HTTPException) as info:
        asyncio.run(_call(app, body_chunks=[b"x" * 60, b"x" * 60]))
    assert info.value.status_code == 413
    assert _status(asyncio.run(_call(app, body_chunks=[b"x" * 50, b"x" * 50]))) == 200


def test_keys_are_compared_with_every_key():
    keys = ("a" * 16, "b" * 20)
    assert check_key("Bearer " + "a" * 16, keys) and check_key("bearer " + "b" * 20, keys)
    for header in (None, "", "Bearer", "Bearer " + "a" * 15, "Basic " + "a" * 16, "a" * 16):
        assert not check_key(header, keys)
    assert check_key(None, ())  # no keys configured: no authentication


# -- settings -----------------------------------------------------------------------------------


def test_database_urls(tmp_path):
    assert database_url(str(tmp_path / "x.db")) == f"sqlite:///{tmp_path / 'x.db'}"
    assert database_url("postgresql://u@h/d") == "postgresql+psycopg://u@h/d"
    assert database_url("sqlite:///:memory:") == "sqlite:///:memory:"
    with pytest.raises(ParameterError, match="unsupported database 'mysql'"):
        database_url("mysql://u@h/d")


def test_api_key_files(tmp_path):
    f = tmp_path / "keys"
    f.write_text("# ops\n\n  first-key-0123456789  \nsecond-key-0123456789\n")
    assert load_api_keys(f) == ("first-key-0123456789", "second-key-0123456789")
    for text, fragment in (("# none\n", "no key"), ("short\n", "line 1: a key must be at least 16"),
                           ("has a space in it ok\n", "without spaces")):  # fmt: skip
        f.write_text(text)
        with pytest.raises(ParameterError, match=fragment):
            load_api_keys(f)
    with pytest.raises(ParameterError, match="cannot be read"):
        load_api_keys(tmp_path / "missing")


@pytest.mark.parametrize(
    ("kw", "fragment"),
    [
        ({"workers": 0}, "--workers must be 1 to 256"),
        ({"port": 70000}, "--port"),
        ({"timeout": 0.5}, "--timeout must be 1 to 3600"),
        ({"max_upload": 10}, "--max-upload"),
        ({"cors_origins": ("*",)}, "--cors-origin"),
        ({"log_level": "loud"}, "--log-level"),
    ],
)
def test_settings_are_checked(kw, fragment):
    with pytest.raises(ParameterError, match=fragment):
        Settings(**kw)
