"""The application: :func:`create_app` builds it from :class:`~rotordx.service.settings.Settings`.

On start (the lifespan) it migrates the database, finishes or undoes the raw
files of uploads a killed process left (:func:`~rotordx.service.store.recover_raw`),
and starts the worker processes; on stop (after uvicorn has let the requests
in flight finish) it stops the workers and closes the database. The routes are
in :mod:`~rotordx.service.routes` and :mod:`~rotordx.service.stream`; the page is
``static/index.html``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException

from rotordx import __version__
from rotordx.service import demo, routes, stream
from rotordx.service.db import Database
from rotordx.service.middleware import BodyLimit, RequestLog, TimeLimit
from rotordx.service.rawfiles import RawStore, recover_raw
from rotordx.service.settings import Settings, current
from rotordx.service.workers import WorkerPool

__all__ = ["STATIC", "Service", "app_from_settings", "create_app"]

STATIC = Path(__file__).resolve().parent / "static"
log = logging.getLogger("rotordx.service")


@dataclass
class Service:
    """What the routes share: settings, database, workers, raw store, scratch folder."""

    settings: Settings
    db: Database
    pool: WorkerPool
    raw: RawStore | None
    scratch: Path
    revision: str | None = None
    started: float = field(default_factory=time.monotonic)
    streams: int = 0


def _remove_stale_scratch() -> None:
    """Scratch folders of servers that died without removing theirs."""
    for p in Path(tempfile.gettempdir()).glob("rotordx-uploads-*"):
        pid = p.name.split("-")[2]
        if pid.isdigit() and int(pid) != os.getpid():
            try:
                os.kill(int(pid), 0)
            except ProcessLookupError:
                shutil.rmtree(p, ignore_errors=True)
            except PermissionError:
                pass


def _report(task: asyncio.Task) -> None:
    """Log how a background task (the demo feed) ended, unless it was cancelled."""
    if not task.cancelled() and task.exception() is not None:
        log.error("demo feed stopped", exc_info=task.exception())


def create_app(settings: Settings) -> FastAPI:
    """The ASGI application for ``settings`` (the database and workers start with it)."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        db = Database(settings.db)
        revision = await asyncio.to_thread(db.migrate)
        raw = RawStore(settings.raw_dir) if settings.raw_dir is not None else None
        if raw is not None:
            moved, removed = await asyncio.to_thread(recover_raw, db, raw)
            if moved or removed:
                log.info(
                    "raw files recovered", extra={"fields": {"moved": moved, "removed": removed}}
                )
        await asyncio.to_thread(_remove_stale_scratch)
        scratch = Path(tempfile.mkdtemp(prefix=f"rotordx-uploads-{os.getpid()}-"))
        model = str(settings.model) if settings.model is not None else None
        pool = WorkerPool(
            settings.workers, queue=settings.queue, model=model, threads=settings.threads
        )
        try:
            await asyncio.to_thread(pool.start)
        except BaseException:
            pool.close(1.0)
            shutil.rmtree(scratch, ignore_errors=True)
            db.close()
            raise
        svc = app.state.service = Service(settings, db, pool, raw, scratch, revision)
        feeder = asyncio.create_task(demo.feed(svc, seed=settings.seed)) if settings.demo else None
        if feeder is not None:
            feeder.add_done_callback(_report)
        log.info(
            "ready",
            extra={
                "fields": {
                    "database": db.safe_url,
                    "schema_revision": revision,
                    "model": pool.info.get("id"),
                    "workers": settings.workers,
                    "queue": settings.queue,
                    "raw_dir": str(settings.raw_dir) if settings.raw_dir else None,
                    "auth": bool(settings.api_keys),
                }
            },
        )
        try:
            yield
        finally:
            if feeder is not None:
                feeder.cancel()
                with contextlib.suppress(BaseException):
                    await feeder
            await asyncio.to_thread(pool.close, settings.timeout)
            db.close()
            shutil.rmtree(scratch, ignore_errors=True)
            log.info("stopped")

    app = FastAPI(
        title="rotordx",
        version=__version__,
        summary="Condition monitoring of rotating machines from vibration",
        description=(
            "Upload vibration recordings of your machines (or stream them) and get the "
            "diagnosis of each, with its physical evidence; the history of every machine is "
            "kept in a database. Authentication: `Authorization: Bearer KEY` when the "
            "server was started with --api-key-file."
        ),
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.include_router(routes.router)
    app.include_router(stream.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/", include_in_schema=False)
    async def page():
        return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError):
        errors = [
            {"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg", "")),
             "type": str(e.get("type", ""))}
            for e in exc.errors()
        ]  # fmt: skip
        first = errors[0] if errors else {"loc": [], "msg": "invalid request"}
        where = ".".join(p for p in first["loc"] if p not in ("body", "query", "path"))
        detail = f"{where}: {first['msg']}" if where else first["msg"]
        return JSONResponse({"detail": detail, "errors": errors}, status_code=422)

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException):
        return JSONResponse(
            {"detail": str(exc.detail)}, status_code=exc.status_code, headers=exc.headers
        )

    if not settings.api_keys:  # the published schema says no key is needed: none is
        openapi = app.openapi

        def openapi_without_keys():
            if app.openapi_schema is None:
                spec = openapi()
                spec.get("components", {}).pop("securitySchemes", None)
                for path in spec.get("paths", {}).values():
                    for op in path.values():
                        op.pop("security", None)
                        op.get("responses", {}).pop("401", None)
            return app.openapi_schema

        app.openapi = openapi_without_keys

    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "PUT", "POST"],
            allow_headers=["Authorization", "Content-Type"],
        )
    app.add_middleware(BodyLimit, limit=settings.max_upload)
    app.add_middleware(TimeLimit, seconds=settings.timeout)
    app.add_middleware(RequestLog)
    return app


def app_from_settings() -> FastAPI:
    """The factory uvicorn calls (``rotordx.service.app:app_from_settings``): the app for the
    settings given to :func:`rotordx.service.settings.configure`."""
    return create_app(current())
