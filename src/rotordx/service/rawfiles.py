"""Raw samples on disk: one Parquet file per recording, never blobs in the database.

A recording's file is written and synced as ``<raw-dir>/.incoming/<name>`` by the
worker, before the transaction that stores its diagnosis; it is moved to
``<raw-dir>/<machine id>/<YYYY-MM>/<uuid>.parquet`` (the path its row names) after
the commit. :func:`recover_raw` runs at start: an incoming file whose recording was
committed is moved into place (the process died between the commit and the move),
any other is deleted — no row ever names a missing file, no file is left without
its row.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from pathlib import Path

from sqlalchemy import select

from rotordx.service.db import Database, RecordingRow

__all__ = ["RawStore", "recover_raw"]


class RawStore:
    """Where the raw samples go (see the module docstring)."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root).resolve()
        self.incoming = self.root / ".incoming"
        self.incoming.mkdir(parents=True, exist_ok=True)

    def new(self, machine_id: int, time: dt.datetime) -> tuple[Path, str]:
        """An incoming path for a new recording and its final path (relative to the root)."""
        rel = f"{machine_id}/{time:%Y-%m}/{uuid.uuid4().hex}.parquet"
        return self.incoming / rel.replace("/", "__"), rel

    def commit(self, incoming: Path, rel: str) -> None:
        """Move a committed recording's file into place."""
        final = self.root / rel
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(incoming, final)

    def discard(self, incoming: Path | None) -> None:
        if incoming is not None:
            incoming.unlink(missing_ok=True)


def recover_raw(db: Database, raw: RawStore) -> tuple[int, int]:
    """Finish or undo the raw files of uploads in flight when the process died.

    Returns
    -------
    (moved, removed)
    """
    moved = removed = 0
    for path in sorted(raw.incoming.iterdir()):
        rel = path.name.replace("__", "/")
        if not path.name.endswith(".parquet"):  # a temporary of a write cut short
            path.unlink(missing_ok=True)
            removed += 1
            continue
        with db.read() as s:
            known = s.scalar(select(RecordingRow.id).where(RecordingRow.raw_path == rel))
        if known is not None:
            raw.commit(path, rel)
            moved += 1
        else:
            path.unlink(missing_ok=True)
            removed += 1
    return moved, removed
