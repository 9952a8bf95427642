"""A batch's results as the diagnoses of a history: one row per recording that worked.

:func:`history_rows` turns a results folder (:func:`~rotordx.batch.store.read_results`)
into plain rows — the ``rotordx diagnose --json`` fields of each recording plus its
``machine``, a measurement ``time`` (the file's modification time, the only time a
file of a data lake reliably has), the ``recording`` (file name, format, size) and the
``model`` that diagnosed it — which the service stores with
:func:`rotordx.service.importer.import_diagnoses` (``rotordx import-batch``).
Rows whose recording failed are left out and counted.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from rotordx.batch.store import read_results
from rotordx.exceptions import DataError

__all__ = ["HistoryRows", "history_rows"]

_COLUMNS = ("path", "size", "mtime_ns", "machine", "model", "error", "diagnosis")


@dataclass
class HistoryRows:
    """The importable rows of a results folder, and what was left out."""

    rows: list[dict] = field(default_factory=list)
    failed: int = 0  # recordings whose diagnosis failed (their error is in the results)
    without_machine: int = 0  # rows with no machine and no default machine given


def history_rows(out: str | os.PathLike[str], *, machine: str | None = None) -> HistoryRows:
    """The diagnoses of a batch's results folder as rows for a history database.

    ``machine`` is used for recordings whose manifest line names none (else they
    are left out and counted in ``without_machine``).
    """
    table = read_results(out, columns=_COLUMNS)
    result = HistoryRows()
    for r in table.to_pylist():
        if r["error"] or not r["diagnosis"]:
            result.failed += 1
            continue
        asset = r["machine"] or machine
        if not asset:
            result.without_machine += 1
            continue
        try:
            diagnosis = json.loads(r["diagnosis"])
        except ValueError:
            raise DataError(f"{out}: the diagnosis of {r['path']} is not JSON") from None
        path = Path(r["path"])
        result.rows.append(
            {
                **diagnosis,
                "machine": asset,
                "time": dt.datetime.fromtimestamp(r["mtime_ns"] / 1e9, dt.UTC),
                "recording": {
                    "name": str(path),
                    "format": path.suffix.lstrip(".").lower() or "?",
                    "bytes": r["size"],
                },
                "model_id": r["model"] or "physics",
                "source": "batch",
            }
        )
    return result
