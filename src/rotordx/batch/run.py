"""Run a batch on Dask: plan, skip what is done, diagnose on the workers, write as results come.

:func:`run_batch` is what ``rotordx batch`` does. The client (this process)
plans the recordings (:mod:`.plan`), opens the results folder
(:class:`~rotordx.batch.store.ResultsFolder`: lock, settings, the identities
already there), deals what is left into tasks and submits them to a
``LocalCluster`` of ``workers`` processes with one thread each, or to the
scheduler at ``scheduler``. Each finished task's rows are committed at once
(:class:`~rotordx.batch.store.PartWriter`, which writes an identity once
however often it arrives) and written in parts.

A worker that dies (killed, out of memory) is replaced and its task run
again by Dask. A task that Dask gives up on (its workers died more often
than ``distributed.scheduler.allowed-failures``, default 3) is split into
one task per recording; a recording whose own task still kills
its worker gets a row with that error. Anything else that makes a task fail
(a worker without rotordx, a lost scheduler) stops the batch; the rows
written so far stay, and ``--resume`` goes on from there.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from pathlib import Path

from rotordx._progress import count_progress
from rotordx.batch.plan import deal, plan_items
from rotordx.batch.schema import PHYSICS, error_row, identity_of
from rotordx.batch.store import PartWriter, ResultsFolder
from rotordx.batch.summary import BatchSummary, summarize
from rotordx.batch.worker import Settings, diagnose_items, model_digest, warm_up
from rotordx.diagnosis.api import context_of
from rotordx.exceptions import ParameterError, RotordxError
from rotordx.features.severity import SEVERITY_PRESETS
from rotordx.io.recording import LabeledRecording
from rotordx.models.loading import load_model
from rotordx.models.registry import missing_extra

__all__ = ["CONNECT_TIMEOUT", "BatchError", "run_batch"]

#: Seconds to wait for a scheduler given by ``--scheduler`` to answer.
CONNECT_TIMEOUT = 20.0


class BatchError(RotordxError):
    """The batch stopped (a lost scheduler, a task that cannot run); its rows so far are kept."""


def _client(workers: int | None, scheduler: str | None):
    """A Dask client: a new LocalCluster of ``workers`` processes, or ``scheduler``'s."""
    try:
        from distributed import Client, LocalCluster  # lazy: dask is the optional extra `batch`
    except ModuleNotFoundError as exc:
        raise missing_extra(exc, "rotordx batch") from None
    if scheduler is not None:
        try:
            client = Client(scheduler, timeout=f"{CONNECT_TIMEOUT}s")
        except (OSError, TimeoutError) as exc:
            raise ParameterError(
                f"--scheduler {scheduler}: no Dask scheduler answers there ({exc})"
            ) from None
        try:
            client.wait_for_workers(1, timeout=60)
        except (OSError, TimeoutError):
            client.close()
            raise ParameterError(
                f"--scheduler {scheduler}: the scheduler has no worker (waited 60 s); start "
                "one with `dask worker {scheduler} --nthreads 1`"
            ) from None
        return client, None
    cluster = LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        # the scheduler's HTTP routes (health, metrics) on a free port of 127.0.0.1, no
        # dashboard: not Dask's fixed 8787, which another cluster may hold (a warning)
        dashboard_address="127.0.0.1:0",
        scheduler_kwargs={"dashboard": False},
        silence_logs=logging.ERROR,
    )
    return Client(cluster), cluster


def _settings_of(model, rate, rpm, bearing, thresholds) -> tuple[Settings, dict]:
    if thresholds not in SEVERITY_PRESETS:
        raise ParameterError(
            f"thresholds must be one of {', '.join(SEVERITY_PRESETS)}, got {thresholds!r}"
        )
    if rate is not None and not (isinstance(rate, int | float) and rate > 0):
        raise ParameterError(f"--rate must be a positive number of Hz, got {rate!r}")
    context_of(LabeledRecording(None), rpm=rpm)  # checks the rpm the way diagnose does
    path = digest = None
    model_id = PHYSICS
    if model is not None:
        bundle = load_model(model)  # here first: a bad model stops the batch before it starts
        path = str(Path(model).resolve())
        digest = model_digest(path)
        model_id = f"{bundle.model_name}@{digest[:12]}"
    s = Settings(path, digest, model_id, rate, rpm, bearing, thresholds)
    decides = {"model": model_id, "rate": rate, "rpm": rpm, "bearing": bearing}
    return s, decides | {"thresholds": thresholds}


def run_batch(
    input: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    model: str | os.PathLike[str] | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    client=None,
    resume: bool = False,
    force: bool = False,
    retry_failed: bool = False,
    partition_by: str | None = None,
    rate: float | None = None,
    rpm: float | None = None,
    bearing: str | None = None,
    thresholds: str = "group2_rigid",
    seed: int = 0,
    limit: int | None = None,
    per_task: int | None = None,
    part_rows: int = 1000,
    part_seconds: float = 10.0,
    progress: bool = False,
    on_rows: Callable[[list[dict]], None] | None = None,
) -> BatchSummary:
    """Diagnose every recording of ``input`` on Dask; one row each in the Parquet folder ``out``.

    Parameters
    ----------
    input : path-like
        A manifest (``path,label,…``) or a folder of CWRU ``.mat`` files.
    out : path-like
        The results folder (:mod:`rotordx.batch.store`); created if missing.
    model : path-like, optional
        A run folder or ``.onnx`` file; default the physics alone.
    workers : int, optional
        Processes of the LocalCluster (default 2; one thread each).
    scheduler : str, optional
        ``tcp://host:port`` of a running Dask scheduler to use instead.
    client : distributed.Client, optional
        A client to use as it is (neither started nor closed here).
    resume, force, retry_failed : bool
        Go on with the results in ``out`` / replace them / with ``resume``,
        try the recordings with an error again.
    partition_by : {"machine"}, optional
        Write ``out/machine=<id>/part-….parquet``.
    rate, rpm, bearing, thresholds
        As for ``rotordx diagnose``: the rate of files without one, the
        speed of every recording, the monitored bearing, the severity zones.
    seed : int
        Which recordings share a task (the rows do not depend on it).
    limit : int, optional
        Diagnose at most this many recordings in this run (``--resume`` goes on).
    per_task : int, optional
        Recordings per task (default :func:`~rotordx.batch.plan.deal`'s).
    part_rows, part_seconds
        A part is written every ``part_rows`` rows or ``part_seconds`` seconds.
    progress : bool
        A progress bar on stderr.
    on_rows : callable, optional
        Called with each task's new rows once they are committed.

    Returns
    -------
    BatchSummary

    Raises
    ------
    DataError, ParameterError
        Before anything runs: a bad input, model or option, a results folder
        in use or made with other settings.
    BatchError
        Dask could not run the tasks; the rows written so far are kept.
    """
    started = time.perf_counter()
    if scheduler is not None and workers is not None:
        raise ParameterError("--workers starts a local cluster; with --scheduler leave it out")
    workers = 2 if workers is None and scheduler is None else workers
    if workers is not None and (not isinstance(workers, int) or workers < 1):
        raise ParameterError(f"--workers must be a positive integer, got {workers!r}")
    if limit is not None and (not isinstance(limit, int) or limit < 0):
        raise ParameterError(f"--limit must be a non-negative integer, got {limit!r}")
    settings, decides = _settings_of(model, rate, rpm, bearing, thresholds)
    items = plan_items(input)
    folder = ResultsFolder(
        out,
        settings=decides,
        partition_by=partition_by,
        resume=resume or retry_failed,
        force=force,
        retry_failed=retry_failed,
        input=str(Path(input).resolve()),
    )
    settings = Settings(**{**settings.__dict__, "run": folder.run})
    writer = PartWriter(folder, part_rows=part_rows, part_seconds=part_seconds)
    # a file changed since its row was written: that row goes, the file is diagnosed again
    now = {(it.path, it.channel): it.identity for it in items}
    folder.drop(
        {
            identity_of(r)
            for r in folder.previous
            if now.get((r["path"], r["channel"]), identity_of(r)) != identity_of(r)
        }
    )
    todo = [it for it in items if it.identity not in folder.done]
    skipped = len(items) - len(todo)
    if limit is not None:
        todo = todo[:limit]
    failed_at_plan = [it for it in todo if it.error is not None]
    todo = [it for it in todo if it.error is None]
    rows: list[dict] = []
    stopped = None
    t_work = time.perf_counter()
    n_workers = 0
    try:
        with count_progress(
            f"batch {Path(input).name}", total=len(todo) + len(failed_at_plan), enabled=progress
        ) as advance:

            def commit(new: list[dict]) -> None:
                fresh = writer.add(new)
                rows.extend(fresh)
                bad = sum(1 for r in fresh if r["error"])
                advance(done=len(fresh) - bad, failed=bad)
                if on_rows is not None and fresh:
                    on_rows(fresh)

            commit(
                [
                    error_row(it, it.error, model=settings.model_id, seconds=0.0, run=folder.run,
                              worker="client")
                    for it in failed_at_plan
                ]
            )  # fmt: skip
            if todo:
                own = client is None
                cl, cluster = _client(workers, scheduler) if own else (client, None)
                try:
                    n_workers = len(cl.scheduler_info()["workers"])
                    try:  # imports and the model, once per worker, before the clock starts
                        cl.run(warm_up, settings)
                    except Exception as exc:
                        raise BatchError(
                            f"the Dask workers could not get ready ({type(exc).__name__}: {exc}); "
                            "every worker needs rotordx (the same version) and the model's path"
                        ) from exc
                    t_work = time.perf_counter()
                    _execute(cl, todo, settings, commit, workers=max(n_workers, 1), seed=seed,
                             per_task=per_task)  # fmt: skip
                finally:
                    if own:
                        cl.close()
                        if cluster is not None:
                            cluster.close()
    except KeyboardInterrupt:
        stopped = "interrupted"
        raise
    except BaseException as exc:
        stopped = f"{type(exc).__name__}: {exc}"
        raise
    finally:
        writer.flush()
        end = time.perf_counter()
        folder.finish(
            rows=writer.rows,
            failed=sum(1 for r in rows if r["error"]),
            parts=writer.parts,
            stopped=stopped,
        )
        folder.close()
    return summarize(
        folder,
        rows,
        total=len(items),
        skipped=skipped,
        seconds=end - started,
        work_seconds=end - t_work,
        workers=n_workers,
        parts=writer.parts,
        duplicates=writer.duplicates,
    )


def _execute(client, todo, settings, commit, *, workers: int, seed: int, per_task) -> None:
    """Submit the tasks and commit each one's rows as it finishes."""
    from distributed import KilledWorker, as_completed  # lazy: the optional extra `batch`

    futures = {}
    for task in deal(todo, workers=workers, seed=seed, per_task=per_task):
        f = client.submit(diagnose_items, task, settings, pure=False)
        futures[f.key] = (f, task)
    done = as_completed([f for f, _ in futures.values()], with_results=True, raise_errors=False)
    for future, result in done:
        _, task = futures.pop(future.key)
        if future.status == "finished":
            commit(result)
        elif isinstance(result, KilledWorker) and len(task) > 1:
            for item in task:  # one task per recording: only the culprit fails
                f = client.submit(diagnose_items, [item], settings, pure=False)
                futures[f.key] = (f, [item])
                done.add(f)
        elif isinstance(result, KilledWorker):
            why = (
                "its worker process died each time Dask ran it (killed, out of memory, or a "
                "crash in native code)"
            )
            commit(
                [error_row(task[0], why, model=settings.model_id, seconds=0.0, run=settings.run,
                           worker="")]
            )  # fmt: skip
        else:
            for f, _ in futures.values():
                f.cancel()
            raise BatchError(
                f"a Dask task failed ({type(result).__name__}: {result}); the rows written so "
                "far are kept: rerun with --resume once it is fixed"
            )
        future.release()
