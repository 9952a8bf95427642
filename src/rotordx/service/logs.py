"""Structured logs: one JSON object per line on stderr, from the service and from uvicorn.

Every line has ``time`` (UTC, ISO 8601), ``level``, ``logger`` and ``event``;
a request's line adds ``method``, ``path``, ``status``, ``ms``, ``client`` and
``request_id`` (also sent back as ``X-Request-ID``). Other fields are passed as
``extra={"fields": {...}}``.
"""

from __future__ import annotations

import datetime as dt
import json
import logging

__all__ = ["JsonFormatter", "log_config"]


class JsonFormatter(logging.Formatter):
    """A record as one line of JSON."""

    def format(self, record: logging.LogRecord) -> str:
        out = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            out.update(fields)
        if record.exc_info:
            out["error"] = self.formatException(record.exc_info)
        return json.dumps(out, default=str, ensure_ascii=False)


def log_config(level: str = "info") -> dict:
    """A :func:`logging.config.dictConfig` for the service and uvicorn (its access log off:
    the service logs each request itself)."""
    lvl = level.upper()
    handler = {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonFormatter}},
        "handlers": {"stderr": handler},
        "loggers": {
            "rotordx": {"handlers": ["stderr"], "level": lvl, "propagate": False},
            "uvicorn": {"handlers": ["stderr"], "level": lvl, "propagate": False},
            "uvicorn.error": {"handlers": ["stderr"], "level": lvl, "propagate": False},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
        },
    }
