"""``rotordx serve``: the condition-monitoring service (a thin layer over rotordx.service)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

import typer

from rotordx.batch.export import history_rows
from rotordx.cli._common import Seed, handle_errors
from rotordx.exceptions import ParameterError
from rotordx.service.db import Database
from rotordx.service.importer import import_diagnoses
from rotordx.service.server import serve as run_server
from rotordx.service.settings import DEFAULT_DB, Settings, database_url, load_api_keys

app = typer.Typer()

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmg]i?b?|b)?\s*$", re.IGNORECASE)


def parse_size(text: str) -> int:
    """``"32M"``, ``"32MiB"``, ``"500k"``, ``"1048576"`` as bytes (k, M, G are powers of 1024)."""
    m = _SIZE.match(text)
    if m is None:
        raise ParameterError(f"--max-upload must be a size like 32M, 500k or 1048576, got {text!r}")
    unit = (m[2] or "b").lower()[0]
    return int(float(m[1]) * {"b": 1, "k": 2**10, "m": 2**20, "g": 2**30}[unit])


@app.command()
@handle_errors
def serve(
    model: Annotated[
        Path | None,
        typer.Option(
            help="A run folder from `rotordx train` or an .onnx export; without one the "
            "physics alone decides."
        ),
    ] = None,
    db: Annotated[
        str,
        typer.Option(
            help="The database: a SQLite file (created, WAL mode) or a URL "
            "postgresql+psycopg://user:password@host:port/name."
        ),
    ] = DEFAULT_DB,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on (0: a free one, logged).")] = 8000,
    api_key_file: Annotated[
        Path | None,
        typer.Option(
            help="A file of API keys, one a line: every request but /v1/health and the page "
            "then needs Authorization: Bearer KEY."
        ),
    ] = None,
    workers: Annotated[
        int | None, typer.Option(help="Diagnosis worker processes (default: one per CPU).")
    ] = None,
    queue: Annotated[
        int, typer.Option(help="Uploads that may wait for a worker; beyond, 503 + Retry-After.")
    ] = 64,
    max_upload: Annotated[
        str, typer.Option(help="Largest request body (413 beyond), e.g. 32M.")
    ] = "32M",
    timeout: Annotated[float, typer.Option(help="Seconds a request may take (504 beyond).")] = 30.0,
    raw_dir: Annotated[
        Path | None,
        typer.Option(help="Keep each recording's samples as a Parquet file in this folder."),
    ] = None,
    cors_origin: Annotated[
        list[str] | None,
        typer.Option(help="An origin allowed by CORS (repeatable); default: CORS off."),
    ] = None,
    max_streams: Annotated[int, typer.Option(help="Concurrent WebSocket streams.")] = 32,
    threads: Annotated[int, typer.Option(help="Inference threads of each worker.")] = 1,
    log_level: Annotated[str, typer.Option(help="debug, info, warning or error.")] = "info",
    demo: Annotated[
        bool,
        typer.Option(
            "--demo",
            help="Fill an empty database with a simulated fleet (a day of history) and keep "
            "adding a snapshot every few seconds: the page at / shows it live.",
        ),
    ] = False,
    seed: Seed = 0,
) -> None:
    """Serve the HTTP/WebSocket API, the history and the live page (docs/service.md)."""
    keys = load_api_keys(api_key_file) if api_key_file is not None else ()
    extra = {"workers": workers} if workers is not None else {}
    settings = Settings(
        db=db,
        model=model,
        host=host,
        port=port,
        queue=queue,
        max_upload=parse_size(max_upload),
        timeout=timeout,
        raw_dir=raw_dir,
        cors_origins=tuple(cors_origin or ()),
        api_keys=keys,
        max_streams=max_streams,
        threads=threads,
        log_level=log_level,
        demo=demo,
        seed=seed,
        **extra,
    )
    if model is not None and not model.exists():
        raise ParameterError(f"--model {model}: no such run folder or .onnx file")
    raise typer.Exit(run_server(settings))


@app.command("import-batch")
@handle_errors
def import_batch(
    results: Annotated[Path, typer.Argument(help="A results folder of `rotordx batch --out`.")],
    db: Annotated[
        str,
        typer.Option(
            help="The service's database: a SQLite file or a URL "
            "postgresql+psycopg://user:password@host:port/name (migrated first)."
        ),
    ] = DEFAULT_DB,
    machine: Annotated[
        str | None,
        typer.Option(help="The machine of recordings whose manifest line names none."),
    ] = None,
) -> None:
    """Load a batch's diagnoses into the service's history (each recording once)."""
    found = history_rows(results, machine=machine)
    database = Database(database_url(db))
    try:
        database.migrate()
        done = import_diagnoses(database, found.rows)
    finally:
        database.close()
    machines = len({r["machine"] for r in found.rows})
    typer.echo(
        f"{results}: {len(done.ids)} diagnoses of {machines} machine(s) stored in "
        f"{database.safe_url}; {done.already} already there"
    )
    if found.failed:
        typer.echo(f"left out: {found.failed} recording(s) whose diagnosis failed (see 'error')")
    if found.without_machine:
        typer.echo(
            f"left out: {found.without_machine} recording(s) without a machine (give --machine)"
        )
