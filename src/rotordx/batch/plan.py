"""What a batch must do: the recordings of an input, and how they are dealt into tasks.

:func:`plan_items` lists the recordings of a manifest or a folder of CWRU
files (:func:`rotordx.io.sources.open_source`, the manifest read by
:func:`rotordx.io.manifest.read_manifest`), each with its identity (path,
channels, size, modification time). A manifest line that cannot be read (a
missing file, a bad cell) does not stop the batch: it becomes an item with
its error. :func:`deal` groups the items to diagnose into tasks.
"""

from __future__ import annotations

import os
import random
from pathlib import Path
from types import SimpleNamespace

from rotordx.batch.schema import Item
from rotordx.exceptions import ParameterError
from rotordx.io.manifest import read_manifest
from rotordx.io.sources import CWRU_FOLDER, MANIFEST, entries_of, open_source

__all__ = ["ACCEPTED", "MAX_TASK_BYTES", "MAX_TASK_ITEMS", "deal", "plan_items"]

#: The kinds of input a batch reads: lists of recordings.
ACCEPTED = (MANIFEST, CWRU_FOLDER)
#: Most recordings in one task: enough to make Dask's cost per task (a few ms) small
#: against the recordings' (about 10 ms each for half a second of 3 channels).
MAX_TASK_ITEMS = 32
#: Most file bytes in one task (a long recording is a task of its own).
MAX_TASK_BYTES = 64 * 2**20


def _stat(path: Path) -> tuple[int | None, int | None]:
    try:
        st = path.stat()
    except OSError:
        return None, None
    return int(st.st_size), int(st.st_mtime_ns)


def plan_items(path: str | os.PathLike[str]) -> list[Item]:
    """Every recording of ``path`` (a manifest, or a folder of CWRU ``.mat`` files).

    Raises
    ------
    DataError
        ``path`` is missing or of another kind, or the manifest as a whole is
        unreadable (no header, no lines). A bad line is an item with an error.
    """
    hint = (
        "; a KAMP group folder is one machine: use `rotordx diagnose`"
        if Path(path).is_dir()
        else "; list recording files in a manifest (path,label,… — docs/data.md)"
    )
    source = open_source(path, accept=ACCEPTED, hint=hint)
    items: list[Item] = []

    def bad(line: int, cells: dict, resolved: Path | None, message: str) -> None:
        size, mtime = _stat(resolved) if resolved is not None else (None, None)
        where = str(resolved) if resolved is not None else cells.get("path", "")
        # what the line says of the machine, for the row (no entry to read)
        said = SimpleNamespace(
            **{k: cells.get(k) or None for k in ("machine", "label", "condition")}
        )
        items.append(Item(where, None, size, mtime, line, said, message))

    if source.kind == MANIFEST:
        entries = read_manifest(source.path, on_bad=bad)
    else:
        entries = entries_of(source)
    for e in entries:
        size, mtime = _stat(e.path)
        error = None if size is not None else f"{e.where}: {e.path} disappeared"
        items.append(Item(str(e.path), e.channel, size, mtime, e.line, e, error))
    items.sort(key=lambda it: it.line or 0)
    return items


def deal(
    items: list[Item],
    *,
    workers: int,
    seed: int = 0,
    per_task: int | None = None,
) -> list[list[Item]]:
    """Group ``items`` into tasks, largest first.

    The items are shuffled with ``seed`` (so that a manifest sorted by
    machine or size does not make some tasks much longer than others), then
    cut into tasks of at most ``per_task`` recordings (default: enough for
    about eight tasks per worker, at most :data:`MAX_TASK_ITEMS`) and
    :data:`MAX_TASK_BYTES` of files. The seed decides only which recordings
    share a task: the rows are the same for every seed.
    """
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ParameterError(f"seed must be a non-negative integer, got {seed!r}")
    if per_task is not None and (not isinstance(per_task, int) or per_task < 1):
        raise ParameterError(f"per_task must be a positive integer, got {per_task!r}")
    order = list(items)
    random.Random(seed).shuffle(order)
    n = per_task or max(1, min(MAX_TASK_ITEMS, -(-len(order) // (8 * max(workers, 1)))))
    tasks: list[list[Item]] = []
    task: list[Item] = []
    nbytes = 0
    for it in order:
        size = it.size or 0
        if task and (len(task) >= n or nbytes + size > MAX_TASK_BYTES):
            tasks.append(task)
            task, nbytes = [], 0
        task.append(it)
        nbytes += size
    if task:
        tasks.append(task)
    # largest first: the long tasks do not come last, when the other workers idle
    tasks.sort(key=lambda t: -sum(it.size or 0 for it in t))
    return tasks
