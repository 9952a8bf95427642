"""Alembic's environment for the service's tables: run on the connection that
:meth:`rotordx.service.db.Database.migrate` gives (``config.attributes["connection"]``),
never on a URL of its own, and without touching the logging configuration."""

from __future__ import annotations

from alembic import context

from rotordx.service.db import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - the service always passes its connection
    raise RuntimeError("run the migrations through rotordx.service.db.Database.migrate")
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
