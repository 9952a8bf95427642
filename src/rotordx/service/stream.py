"""``WS /v1/machines/{machine}/stream``: a verdict per window of a live stream.

The protocol (docs/service.md):

1. the client sends a JSON header ``{"rate": 12800, "channels": ["x", "y", "z"]
   (or a count), "rpm": 1480 (optional), "window": 1.0 (seconds, optional),
   "time": "…" (the first sample's time, optional), "store": true}``;
2. the server answers ``{"type": "ready", "window_samples": …, "bytes_per_frame": …}``;
3. the client sends binary messages of little-endian float32 frames
   (``x0 y0 z0 x1 y1 z1 …``, whole frames in each message);
4. for each completed window the server sends ``{"type": "verdict", "window": k,
   "start": …, "id": …, "diagnosis": {…}}`` (stored in the history like an upload
   unless ``"store": false``); a window it cannot diagnose gives ``{"type":
   "error", "window": k, "status": 422, "detail": …}`` and the stream goes on;
5. ``{"type": "end"}`` from the client (or closing) ends it: the server answers
   ``{"type": "end", "windows": k, "discarded_samples": r}``.

Backpressure: the server holds at most the window being diagnosed and the one
being filled. When a window is complete before the previous one is answered, it
stops reading the socket until it is, so a client sending faster than the
diagnosis blocks on TCP instead of filling the server's memory. A protocol
error (bad header, a message that is not whole frames) closes the stream with
code 4400 and a message; an unknown machine 4404; a wrong key 4401; too many
streams 1013.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import logging
import math
import re

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from fastapi.concurrency import run_in_threadpool

from rotordx.exceptions import RotordxError
from rotordx.io.raw import MAX_RATE, decode_float32, raw_channel_names
from rotordx.service import store
from rotordx.service.jobs import JobError, SamplesJob
from rotordx.service.middleware import check_key
from rotordx.service.routes import parse_time
from rotordx.service.schemas import MACHINE_PATTERN
from rotordx.service.workers import JobTimeout, WorkerCrashed

__all__ = ["router"]

router = APIRouter(prefix="/v1")
log = logging.getLogger("rotordx.service")
_HEADER_KEYS = {"rate", "channels", "rpm", "window", "time", "store"}


class _Refused(Exception):
    def __init__(self, code: int, status: int, detail: str) -> None:
        super().__init__(detail)
        self.code, self.status, self.detail = code, status, detail


def _header(text: str, max_bytes: int) -> dict:
    try:
        h = json.loads(text)
    except ValueError:
        raise _Refused(4400, 400, "the first message must be a JSON header") from None
    if not isinstance(h, dict):
        raise _Refused(4400, 400, "the header must be a JSON object")
    unknown = set(h) - _HEADER_KEYS
    if unknown:
        raise _Refused(4400, 400, f"unknown header field(s) {', '.join(sorted(unknown))}")
    rate, window = h.get("rate"), h.get("window", 1.0)
    ok = isinstance(rate, int | float) and not isinstance(rate, bool)
    if not ok or not (math.isfinite(rate) and 0 < rate <= MAX_RATE):
        raise _Refused(4400, 400, f"rate must be a number of Hz in (0, {MAX_RATE:g}]")
    ok = isinstance(window, int | float) and not isinstance(window, bool)
    if not ok or not (math.isfinite(window) and 0.05 <= window <= 600):
        raise _Refused(4400, 400, "window must be 0.05 to 600 seconds")
    rpm = h.get("rpm")
    if rpm is not None and not (
        isinstance(rpm, int | float) and not isinstance(rpm, bool) and 0 < rpm < 1e6
    ):
        raise _Refused(4400, 400, "rpm must be a positive number of rev/min")
    try:
        names = raw_channel_names(h.get("channels"))
    except RotordxError as exc:
        raise _Refused(4400, 400, str(exc)) from None
    n = max(2, round(rate * window))
    if n * 4 * len(names) > max_bytes:
        raise _Refused(4400, 413, f"a window of {n} frames is larger than {max_bytes} bytes")
    try:
        start = parse_time(h.get("time") if isinstance(h.get("time"), str) else None)
    except Exception as exc:
        raise _Refused(4400, 400, str(getattr(exc, "detail", exc))) from None
    return {
        "rate": float(rate),
        "channels": names,
        "rpm": float(rpm) if rpm is not None else None,
        "n": n,
        "start": start or dt.datetime.now(dt.UTC),
        "store": h.get("store", True) is not False,
    }


async def _send(ws: WebSocket, message: dict) -> None:
    """Send, ignoring a client that has gone (the main loop sees it leave)."""
    with contextlib.suppress(Exception):
        await ws.send_json(message)


async def _refuse(ws: WebSocket, code: int, status: int, detail: str) -> None:
    with contextlib.suppress(Exception):
        await ws.send_json({"type": "error", "status": status, "detail": detail})
        await ws.close(code=code, reason=detail[:120])


@router.websocket("/machines/{machine}/stream")
async def stream(ws: WebSocket, machine: str):
    """A verdict per completed window of a live stream (see the module docstring)."""
    await ws.accept()
    svc = ws.app.state.service
    settings = svc.settings
    if not check_key(ws.headers.get("authorization"), settings.api_keys):
        return await _refuse(ws, 4401, 401, "missing or wrong API key: Authorization: Bearer KEY")
    m = None
    if re.match(MACHINE_PATTERN, machine):
        m = await run_in_threadpool(store.get_machine, svc.db, machine)
    if m is None:
        return await _refuse(ws, 4404, 404, f"no machine {machine!r}; create it with PUT first")
    if svc.streams >= settings.max_streams:
        return await _refuse(ws, 1013, 503, f"{settings.max_streams} streams already; try later")
    svc.streams += 1
    try:
        await _run(ws, svc, m)
    finally:
        svc.streams -= 1


async def _run(ws: WebSocket, svc, m) -> None:
    settings = svc.settings
    try:
        h = _header(await ws.receive_text(), settings.max_upload)
    except _Refused as exc:
        return await _refuse(ws, exc.code, exc.status, exc.detail)
    except (WebSocketDisconnect, KeyError):
        return
    n, names = h["n"], h["channels"]
    frame = 4 * len(names)
    await ws.send_json(
        {
            "type": "ready",
            "machine": m.name,
            "rate": h["rate"],
            "channels": list(names),
            "window_samples": n,
            "bytes_per_frame": frame,
        }
    )
    meta = store.machine_meta(m)
    buf = bytearray()
    pending: asyncio.Task | None = None
    k = 0

    async def diagnose(window: bytes, index: int) -> None:
        start = h["start"] + dt.timedelta(seconds=index * n / h["rate"])
        where = f"stream {m.name} window {index}"
        try:
            samples = decode_float32(window, n_channels=len(names), where=where)
        except RotordxError as exc:
            await _send(ws, {"type": "error", "window": index, "status": 422, "detail": str(exc)})
            return
        raw_file = svc.raw.new(m.id, start) if (svc.raw and h["store"]) else None
        job = SamplesJob(
            samples=samples.astype("float32"),
            rate=h["rate"],
            channels=names,
            name=f"stream:{m.name}:{index}",
            machine=meta,
            rpm=h["rpm"],
            raw_out=str(raw_file[0]) if raw_file else None,
        )
        try:
            out = await svc.pool.run(job, timeout=settings.timeout, wait=True)
        except (JobTimeout, WorkerCrashed) as exc:
            out = JobError(504 if isinstance(exc, JobTimeout) else 422, str(exc))
        if isinstance(out, JobError):
            if raw_file is not None:
                svc.raw.discard(raw_file[0])
            msg = {"type": "error", "window": index, "status": out.status, "detail": out.message}
            await _send(ws, msg)
            return
        stored_id = None
        if h["store"]:
            stored = await run_in_threadpool(
                store.store_outcome,
                svc.db,
                m.name,
                out,
                time=start,
                source="stream",
                size=len(window),
                raw=svc.raw,
                raw_file=raw_file,
            )
            stored_id = stored.id
        await _send(
            ws,
            {
                "type": "verdict",
                "window": index,
                "start": start.isoformat(),
                "samples": n,
                "id": stored_id,
                "seconds": round(out.seconds, 4),
                "diagnosis": out.diagnosis,
            },
        )

    try:
        while True:
            msg = await ws.receive()
            if msg["type"] == "websocket.disconnect":
                break
            if msg.get("text") is not None:
                try:
                    control = json.loads(msg["text"])
                except ValueError:
                    control = None
                if isinstance(control, dict) and control.get("type") == "end":
                    break
                return await _refuse(
                    ws, 4400, 400, 'text messages after the header: {"type": "end"}'
                )
            data = msg.get("bytes") or b""
            if len(data) % frame:
                return await _refuse(
                    ws,
                    4400,
                    400,
                    f"a binary message of {len(data)} bytes is not whole frames of "
                    f"{len(names)} float32 channel(s) ({frame} bytes each)",
                )
            buf += data
            while len(buf) >= n * frame:
                window = bytes(buf[: n * frame])
                del buf[: n * frame]
                if pending is not None:
                    await pending  # backpressure: read no more until the last window is answered
                pending = asyncio.create_task(diagnose(window, k))
                k += 1
        if pending is not None:
            await pending
        with contextlib.suppress(Exception):
            await ws.send_json(
                {"type": "end", "windows": k, "discarded_samples": len(buf) // frame}
            )
            await ws.close()
    except WebSocketDisconnect:
        if pending is not None:  # the window already received is still stored
            with contextlib.suppress(Exception):
                await pending
