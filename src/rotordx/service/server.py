"""Serve: the socket, uvicorn, the signals, and a clear error when the start fails.

:func:`serve` checks the database (and migrates it) before anything listens,
binds the socket itself (``--port 0`` picks a free port; a port in use is a
one-line error), logs ``listening`` with the URL, then runs uvicorn on the app
factory. SIGTERM or SIGINT stop it gracefully: no new connections, the
requests in flight finish (up to ``--timeout`` + 5 s), the workers finish their
jobs and stop, the database is closed, and the exit status is 0. SIGINT and SIGTERM
are unblocked first: a parent that started the server with them blocked must still
be able to stop it.
"""

from __future__ import annotations

import logging
import logging.config
import signal
import socket

import uvicorn

from rotordx.exceptions import ParameterError
from rotordx.service.db import Database
from rotordx.service.logs import log_config
from rotordx.service.settings import Settings, configure

__all__ = ["bind", "serve"]

log = logging.getLogger("rotordx.service")


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port`` (``port`` 0: a free one)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        raise ParameterError(
            f"cannot listen on {host}:{port} ({exc.strerror or exc}); "
            "choose another --host or --port"
        ) from None
    sock.set_inheritable(True)
    return sock


def _note(sig: int, _frame) -> None:
    """The handler uvicorn restores after its graceful stop and calls again for the signal
    that stopped it: the stop is done, nothing more to do (the exit status is then 0)."""
    log.info("stopped by signal", extra={"fields": {"signal": signal.Signals(sig).name}})


def _own_signals() -> None:
    """SIGINT and SIGTERM unblocked (uvicorn installs its handlers over ours while serving)."""
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})
    signal.signal(signal.SIGTERM, _note)
    signal.signal(signal.SIGINT, _note)


def serve(settings: Settings) -> int:
    """Serve until stopped; 0 after a graceful stop.

    Raises
    ------
    ParameterError
        The database cannot be opened or migrated, the address is in use, or the
        application did not start (e.g. a model the workers cannot load).
    """
    logging.config.dictConfig(log_config(settings.log_level))
    db = Database(settings.db)
    try:
        db.migrate()
    finally:
        db.close()
    _own_signals()
    sock = bind(settings.host, settings.port)
    host, port = sock.getsockname()[:2]
    configure(settings)
    config = uvicorn.Config(
        "rotordx.service.app:app_from_settings",
        factory=True,
        log_config=log_config(settings.log_level),
        access_log=False,
        lifespan="on",
        ws_max_size=min(settings.max_upload, 16 * 2**20),
        timeout_graceful_shutdown=int(settings.timeout) + 5,
        proxy_headers=False,
        server_header=False,
        timeout_keep_alive=30,
    )
    server = uvicorn.Server(config)
    url_host = f"[{host}]" if ":" in host else host
    log.info("listening", extra={"fields": {"url": f"http://{url_host}:{port}", "port": port}})
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
    if not server.started:
        raise ParameterError(
            "the service did not start (the log above says why: the database, --model, the workers)"
        )
    return 0
