"""The HTTP API (``/v1``): health, model, machines, uploads, history.

Handlers are thin: they check what the client sent, hand the recording to a
worker (:mod:`rotordx.service.workers`) and the result to the store
(:mod:`rotordx.service.store`), and say what went wrong in one line with the
right status.
"""

from __future__ import annotations

import datetime as dt
import math
import shutil
import time as _time
import uuid
from pathlib import Path as FsPath
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Path, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.exceptions import HTTPException

from rotordx import __version__
from rotordx.service import store
from rotordx.service.jobs import RAW_EXTENSIONS, FileJob, JobError
from rotordx.service.middleware import check_key
from rotordx.service.schemas import (
    MACHINE_PATTERN,
    DiagnosisOut,
    ErrorOut,
    HealthOut,
    HistoryItem,
    MachineDetail,
    MachineIn,
    MachineOut,
    ModelOut,
)
from rotordx.service.workers import JobTimeout, QueueFull, WorkerCrashed

__all__ = ["EXTENSIONS", "parse_time", "router", "safe_filename"]

#: File types an upload may have.
EXTENSIONS = (".csv", ".parquet", ".wav", ".mat", *RAW_EXTENSIONS)
_bearer = HTTPBearer(auto_error=False, description="an API key of --api-key-file")


def service(request: Request):
    return request.app.state.service


async def authorized(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    """401 unless the request carries a configured API key (when keys are configured)."""
    keys = request.app.state.settings.api_keys
    if keys and not check_key(request.headers.get("authorization"), keys):
        raise HTTPException(
            401,
            "missing or wrong API key: send Authorization: Bearer KEY",
            headers={"WWW-Authenticate": "Bearer"},
        )


def _errors(*codes: int) -> dict:
    return {c: {"model": ErrorOut} for c in codes}


router = APIRouter(prefix="/v1")
protected = [Depends(authorized)]
Machine = Annotated[
    str, Path(pattern=MACHINE_PATTERN, description="letters, digits, '.', '_', '-'; 1-64")
]


@router.get("/health", response_model=HealthOut, responses=_errors(503))
async def health(request: Request):
    """Whether the service is up: database, workers, queue."""
    svc = service(request)
    try:
        await run_in_threadpool(svc.db.check)
    except Exception as exc:
        raise HTTPException(503, f"the database does not answer: {type(exc).__name__}") from None
    return {
        "status": "ok",
        "version": __version__,
        "database": svc.db.dialect,
        "schema_revision": svc.revision,
        "model": svc.pool.info.get("id", "physics"),
        "workers": svc.pool.size,
        "running": svc.pool.running,
        "waiting": svc.pool.waiting,
        "queue": svc.pool.queue,
        "uptime_s": round(_time.monotonic() - svc.started, 3),
    }


@router.get("/model", response_model=ModelOut, dependencies=protected, responses=_errors(401))
async def model(request: Request):
    """The model that decides: its classes, rate, window and channels (or the physics)."""
    return service(request).pool.info


@router.put(
    "/machines/{machine}",
    response_model=MachineOut,
    dependencies=protected,
    responses={201: {"model": MachineOut, "description": "created"}, **_errors(401, 422)},
)
async def put_machine(request: Request, machine: Machine, body: MachineIn):
    """Create a machine or replace its metadata (200 replaced, 201 created)."""
    out, created = await run_in_threadpool(
        store.put_machine, service(request).db, machine, body.model_dump()
    )
    return JSONResponse(
        MachineOut.model_validate(out).model_dump(mode="json"), status_code=201 if created else 200
    )


@router.get(
    "/machines", response_model=list[MachineOut], dependencies=protected, responses=_errors(401)
)
async def machines(request: Request):
    """Every machine with its latest diagnosis (its current state and severity)."""
    return await run_in_threadpool(store.list_machines, service(request).db)


@router.get(
    "/machines/{machine}",
    response_model=MachineDetail,
    dependencies=protected,
    responses=_errors(401, 404, 422),
)
async def machine_detail(request: Request, machine: Machine):
    """A machine with its latest diagnosis in full, its latest spectrum and what to mark on it
    (running-speed orders, bearing defect frequencies), and its severity zones."""
    out = await run_in_threadpool(store.machine_detail, service(request).db, machine)
    if out is None:
        raise HTTPException(404, f"no machine {machine!r}; create it with PUT first")
    return out


def parse_time(text: str | None) -> dt.datetime | None:
    """An upload's ``time``: ISO 8601 (UTC when it has no zone) or Unix seconds."""
    if text is None or not text.strip():
        return None
    text = text.strip()
    try:
        value = float(text)
    except ValueError:
        value = None
    try:
        if value is not None:
            if not math.isfinite(value):
                raise ValueError
            t = dt.datetime.fromtimestamp(value, dt.UTC)
        else:
            t = dt.datetime.fromisoformat(text)
            t = t.replace(tzinfo=dt.UTC) if t.tzinfo is None else t.astimezone(dt.UTC)
    except (ValueError, OverflowError, OSError):
        raise HTTPException(
            422, f"time: {text[:64]!r} is not an ISO 8601 time or Unix seconds"
        ) from None
    if not dt.datetime(1970, 1, 1, tzinfo=dt.UTC) <= t <= dt.datetime(2200, 1, 1, tzinfo=dt.UTC):
        raise HTTPException(422, f"time: {text[:64]!r} is outside 1970-2200")
    return t


def safe_filename(name: str | None) -> str:
    """The client's file name without folders, every character but ``[A-Za-z0-9._-]`` as ``_``."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    clean = "".join(c if c.isascii() and (c.isalnum() or c in "._-") else "_" for c in base)
    clean = clean.lstrip(".")[-200:]
    return clean


def _copy(src, dst: FsPath) -> int:
    dst.parent.mkdir(parents=True)
    src.seek(0)
    with dst.open("wb") as fh:
        shutil.copyfileobj(src, fh, 1 << 20)
        return fh.tell()


@router.post(
    "/machines/{machine}/recordings",
    status_code=201,
    response_model=DiagnosisOut,
    dependencies=protected,
    responses=_errors(401, 404, 413, 415, 422, 503, 504),
)
async def upload(
    request: Request,
    machine: Machine,
    file: Annotated[
        UploadFile,
        File(description="CSV, Parquet, WAV, .mat (CWRU-named), or raw float32 (.f32)"),
    ],
    rate: Annotated[
        float | None,
        Form(gt=0, le=1e7, description="Hz: CSV/Parquet without a time column, raw float32"),
    ] = None,
    channels: Annotated[
        str | None,
        Form(max_length=4000, description="raw float32: a count or names; else names to keep"),
    ] = None,
    rpm: Annotated[float | None, Form(gt=0, lt=1e6, description="the running speed")] = None,
    time: Annotated[
        str | None, Form(max_length=64, description="measured at: ISO 8601 or Unix seconds")
    ] = None,
):
    """Store a recording of a machine and return its diagnosis (the fields of
    ``rotordx diagnose --json`` for one recording, with the stored id and time)."""
    svc = service(request)
    m = await run_in_threadpool(store.get_machine, svc.db, machine)
    if m is None:
        raise HTTPException(404, f"no machine {machine!r}; create it with PUT first")
    when = parse_time(time)
    filename = safe_filename(file.filename)
    ext = FsPath(filename).suffix.lower()
    if ext not in EXTENSIONS:
        raise HTTPException(
            415,
            f"{filename or 'the file'}: unsupported type {ext or '(no extension)'!r}; "
            f"expected {', '.join(EXTENSIONS)} (raw float32 with rate and channels)",
        )
    folder = svc.scratch / uuid.uuid4().hex
    path = folder / filename
    size = await run_in_threadpool(_copy, file.file, path)
    raw_file = svc.raw.new(m.id, when or dt.datetime.now(dt.UTC)) if svc.raw else None
    job = FileJob(
        path=str(path),
        filename=filename,
        machine=store.machine_meta(m),
        rate=rate,
        channels=channels,
        rpm=rpm,
        raw_out=str(raw_file[0]) if raw_file else None,
    )
    try:
        outcome = await svc.pool.run(job, timeout=svc.settings.timeout)
    except QueueFull as exc:
        raise HTTPException(503, str(exc), headers={"Retry-After": str(exc.retry_after)}) from None
    except JobTimeout as exc:
        raise HTTPException(504, f"{filename}: {exc}") from None
    except WorkerCrashed as exc:
        raise HTTPException(422, f"{filename}: not a readable recording: {exc}") from None
    finally:
        await run_in_threadpool(shutil.rmtree, folder, True)
    if isinstance(outcome, JobError):
        if svc.raw is not None and raw_file is not None:
            svc.raw.discard(raw_file[0])
        raise HTTPException(outcome.status, outcome.message)
    request.state.committing = True  # from here on the request finishes (TimeLimit)
    stored = await run_in_threadpool(
        store.store_outcome,
        svc.db,
        machine,
        outcome,
        time=when,
        source="upload",
        size=size,
        raw=svc.raw,
        raw_file=raw_file,
    )
    return outcome.diagnosis | {
        "id": stored.id,
        "time": stored.time,
        "received": stored.received,
        "recording": stored.summary["recording"],
    }


@router.get(
    "/machines/{machine}/history",
    response_model=list[HistoryItem],
    response_model_exclude_unset=True,
    dependencies=protected,
    responses=_errors(401, 404, 422),
)
async def history(
    request: Request,
    machine: Machine,
    since: Annotated[dt.datetime | None, Query(description="from this time on (ISO 8601)")] = None,
    until: Annotated[dt.datetime | None, Query(description="before this time (ISO 8601)")] = None,
    limit: Annotated[int, Query(ge=1, le=10000)] = 100,
    full: Annotated[bool, Query(description="add each whole diagnosis")] = False,
):
    """The stored diagnoses of a machine, newest first, with severity and order amplitudes."""
    since, until = (
        t.replace(tzinfo=dt.UTC) if t is not None and t.tzinfo is None else t
        for t in (since, until)
    )
    out = await run_in_threadpool(
        lambda: store.history(
            service(request).db, machine, since=since, until=until, limit=limit, full=full
        )
    )
    if out is None:
        raise HTTPException(404, f"no machine {machine!r}; create it with PUT first")
    return out
