"""What wraps every request: its log line, its time limit, its size limit, the API key.

Pure ASGI middleware (no buffering of bodies):

* :class:`RequestLog` — a request id (``X-Request-ID``), one JSON log line per request;
* :class:`TimeLimit` — a request that runs past ``--timeout`` is answered 504,
  unless it is storing its diagnosis: then it finishes (a client is never told
  "failed" for a diagnosis that was stored);
* :class:`BodyLimit` — 413 for a body larger than ``--max-upload``: at once from
  ``Content-Length``, or as soon as a streamed body passes the limit;
* :func:`check_key` — ``Authorization: Bearer KEY`` compared in constant time
  with every configured key.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import time
import uuid

from starlette.exceptions import HTTPException

__all__ = ["BodyLimit", "RequestLog", "TimeLimit", "check_key", "send_json"]

log = logging.getLogger("rotordx.service.access")


async def send_json(send, status: int, body: dict, headers: dict | None = None) -> None:
    """A complete JSON response through ``send``."""
    data = json.dumps(body).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]
    raw += [(k.lower().encode(), str(v).encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": data})


class RequestLog:
    """Give each request an id and log it when it ends (method, path, status, ms)."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        rid = uuid.uuid4().hex[:16]
        scope.setdefault("state", {})["request_id"] = rid
        status = {"code": None}
        t0 = time.perf_counter()

        async def sending(message):
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                message = dict(message)
                message["headers"] = [*message.get("headers", []), (b"x-request-id", rid.encode())]
            elif message["type"] == "websocket.accept":
                status["code"] = 101
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            client = scope.get("client")
            fields = {
                "request_id": rid,
                "method": scope.get("method", "WS"),
                "path": scope.get("path"),
                "status": status["code"],
                "ms": round((time.perf_counter() - t0) * 1000, 2),
                "client": f"{client[0]}:{client[1]}" if client else None,
            }
            level = logging.WARNING if (status["code"] or 500) >= 500 else logging.INFO
            log.log(level, "request", extra={"fields": fields})


class TimeLimit:
    """Answer 504 to an HTTP request that takes longer than ``seconds`` (see the module
    docstring); ``scope["state"]["committing"]`` set by a handler lets it finish."""

    def __init__(self, app, seconds: float) -> None:
        self.app, self.seconds = app, seconds

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        state = scope.setdefault("state", {})
        started = {"yes": False}

        async def sending(message):
            if message["type"] == "http.response.start":
                started["yes"] = True
            await send(message)

        task = asyncio.ensure_future(self.app(scope, receive, sending))
        done, _ = await asyncio.wait({task}, timeout=self.seconds)
        if task in done:
            return task.result()
        if state.get("committing") or started["yes"]:
            return await task  # storing a diagnosis, or already answering: let it finish
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
        if not started["yes"]:
            await send_json(
                send,
                504,
                {"detail": f"the request took longer than the limit of {self.seconds:g} s"},
            )


class BodyLimit:
    """413 for a request body over ``limit`` bytes."""

    def __init__(self, app, limit: int) -> None:
        self.app, self.limit = app, limit

    def _detail(self, size: str) -> dict:
        return {"detail": f"the request body is {size}; the limit is {self.limit} bytes"}

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        if length is not None:
            try:
                n = int(length)
            except ValueError:
                return await send_json(send, 400, {"detail": "Content-Length is not a number"})
            if n > self.limit:
                return await send_json(
                    send, 413, self._detail(f"{n} bytes"), {"connection": "close"}
                )
        seen = {"n": 0}

        async def receiving():
            message = await receive()
            if message["type"] == "http.request":
                seen["n"] += len(message.get("body", b""))
                if seen["n"] > self.limit:
                    raise HTTPException(413, self._detail(f"over {self.limit} bytes")["detail"])
            return message

        await self.app(scope, receiving, send)


def check_key(authorization: str | None, keys: tuple[str, ...]) -> bool:
    """Whether ``authorization`` is ``Bearer KEY`` with one of ``keys``: compared in
    constant time, with every key (no early exit that would tell which one is close)."""
    if not keys:
        return True
    scheme, _, given = (authorization or "").partition(" ")
    token = given.strip().encode() if scheme.lower() == "bearer" else b""
    ok = False
    for key in keys:
        ok |= hmac.compare_digest(token, key.encode())
    return ok and bool(token)
