"""The condition-monitoring service: ``rotordx serve`` (docs/service.md).

A thin layer over the one Python API: uploads and stream windows are read by
:mod:`rotordx.io` and diagnosed by :func:`rotordx.diagnosis.api.diagnose` in
worker processes; the service adds what a server needs around them:

* :mod:`~rotordx.service.settings` — the settings, checked; API keys; the extra;
* :mod:`~rotordx.service.db` — the tables (SQLAlchemy 2), the engine (SQLite in
  WAL mode or PostgreSQL), the Alembic migrations shipped in ``migrations/``;
* :mod:`~rotordx.service.store` — one transaction per diagnosis, history,
  :func:`~rotordx.service.store.insert_diagnosis` for diagnoses computed elsewhere;
* :mod:`~rotordx.service.jobs` — what a worker process does with an upload;
* :mod:`~rotordx.service.workers` — the worker processes and their bounded queue;
* :mod:`~rotordx.service.app` (routes, :mod:`~rotordx.service.stream`), with
  :mod:`~rotordx.service.middleware`, :mod:`~rotordx.service.schemas`,
  :mod:`~rotordx.service.logs` and the page in ``static/``;
* :mod:`~rotordx.service.server` — uvicorn, signals, start and graceful stop.

Importing this package imports no web framework: the ``service`` extra
(``pip install 'rotordx[service]'``) is needed only to serve.
"""
