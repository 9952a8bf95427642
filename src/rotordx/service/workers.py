"""The diagnosis workers: processes with a bounded queue in front of them.

Diagnosis is CPU work in numpy, and reading an untrusted file is the riskiest
thing the service does, so it happens in worker processes
(:func:`rotordx.service.jobs.worker_main`), never in the server's: a reader
that crashes or hangs takes down one worker, which is replaced, and the client
gets a clear answer (422 for a file that crashed its reader, 504 past the time
limit). Workers are started through a fork server (a clean process, not a
copy of the server with its threads), load the model once, and ignore SIGINT
so that a Ctrl-C lets the server finish the requests in flight.

At most ``workers`` jobs run and ``queue`` more wait; a job beyond is refused
at once (:class:`QueueFull`: 503 with Retry-After), so a burst never grows an
unbounded backlog in memory. A stream's windows wait for a worker instead
(``wait=True``): the stream then stops reading its socket (backpressure).
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import multiprocessing
import os
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from rotordx.exceptions import ParameterError
from rotordx.service.jobs import FileJob, JobError, Outcome, SamplesJob, worker_main

__all__ = ["JobTimeout", "QueueFull", "WorkerCrashed", "WorkerPool"]

#: Seconds a worker may take to start (imports, the model).
START_TIMEOUT = 120.0


class QueueFull(Exception):
    """Every worker is busy and the queue is full; retry after ``retry_after`` seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"the diagnosis queue is full; retry in {retry_after} s")
        self.retry_after = retry_after


class JobTimeout(Exception):
    """A job ran past its time limit; its worker was replaced."""


class WorkerCrashed(Exception):
    """The worker died while it ran a job (a signal, the memory limit): it was replaced."""


class _Worker:
    """One worker process and the pipe to it; used by one thread at a time."""

    def __init__(self, ctx, model: str | None, threads: int, index: int) -> None:
        self.ctx, self.model, self.threads, self.index = ctx, model, threads, index
        self.proc = None
        self.conn = None
        self.info: dict = {}
        self.lock = threading.Lock()

    def start(self) -> None:
        parent, child = self.ctx.Pipe()
        self.proc = self.ctx.Process(
            target=worker_main,
            args=(child, self.model, self.threads),
            name=f"rotordx-worker-{self.index}",
            daemon=True,
        )
        self.proc.start()
        child.close()
        self.conn = parent
        if not parent.poll(START_TIMEOUT):
            self.kill()
            raise ParameterError(f"a diagnosis worker did not start in {START_TIMEOUT:g} s")
        try:
            kind, payload = parent.recv()
        except (EOFError, OSError):
            code = self.reap()
            raise ParameterError(f"a diagnosis worker died while starting ({code})") from None
        if kind != "ready":
            self.reap()
            raise ParameterError(f"--model: {payload}")
        self.info = payload

    def kill(self) -> None:
        if self.proc is not None and self.proc.is_alive():
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.proc.pid, signal.SIGKILL)
        self.reap()

    def reap(self) -> str:
        """Wait for the process to end; how it ended, in words."""
        if self.conn is not None:
            self.conn.close()
            self.conn = None
        if self.proc is None:
            return "not started"
        self.proc.join(5.0)
        code = self.proc.exitcode
        self.proc = None
        if code is None:
            return "still running"
        if code < 0:
            return f"killed by signal {signal.Signals(-code).name}"
        return f"exit status {code}"

    def call(self, job, timeout: float) -> Outcome | JobError:
        with self.lock:
            if self.proc is None or not self.proc.is_alive():
                self.reap()
                self.start()
            self.conn.send(job)
            if not self.conn.poll(timeout):
                self.kill()
                self.start()
                raise JobTimeout(f"the diagnosis took longer than {timeout:g} s")
            try:
                return self.conn.recv()
            except (EOFError, OSError):
                how = self.reap()
                self.start()
                raise WorkerCrashed(f"the worker reading it died ({how})") from None

    def stop(self, timeout: float) -> None:
        with self.lock:
            if self.conn is not None:
                with contextlib.suppress(OSError):
                    self.conn.send(None)
            if self.proc is not None:
                self.proc.join(timeout)
            self.kill()


class WorkerPool:
    """``workers`` worker processes; at most ``queue`` jobs wait for one (module docstring)."""

    def __init__(
        self, workers: int, *, queue: int, model: str | None = None, threads: int = 1
    ) -> None:
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["rotordx.service.jobs"])
        self.size, self.queue = workers, queue
        self._workers = [_Worker(ctx, model, threads, i) for i in range(workers)]
        self._executor = ThreadPoolExecutor(workers, thread_name_prefix="rotordx-pool")
        self._idle: asyncio.Queue | None = None
        self.admitted = 0  # jobs waiting or running
        self.running = 0
        self.done = 0
        self._mean = 0.05  # seconds per job, smoothed (for Retry-After)

    @property
    def info(self) -> dict:
        """The model's description, as the first worker reported it."""
        return self._workers[0].info

    @property
    def waiting(self) -> int:
        return self.admitted - self.running

    def start(self) -> None:
        """Start every worker (blocking; raises ParameterError when one cannot start)."""
        with ThreadPoolExecutor(self.size) as ex:
            list(ex.map(lambda w: w.start(), self._workers))
        self._idle = asyncio.Queue()
        for w in self._workers:
            self._idle.put_nowait(w)

    def retry_after(self) -> int:
        """Seconds until a place in the queue is likely free (at least 1)."""
        return max(1, math.ceil(self.admitted * self._mean / self.size))

    async def run(
        self, job: FileJob | SamplesJob, *, timeout: float, wait: bool = False
    ) -> Outcome | JobError:
        """Run ``job`` on the next free worker.

        Raises
        ------
        QueueFull
            ``wait`` is false and ``workers + queue`` jobs are already admitted.
        JobTimeout, WorkerCrashed
            The worker ran past ``timeout`` or died; it was replaced.
        """
        if self._idle is None:
            raise RuntimeError("the worker pool is not started")
        if not wait and self.admitted >= self.size + self.queue:
            raise QueueFull(self.retry_after())
        self.admitted += 1
        try:
            worker = await self._idle.get()
        except BaseException:
            self.admitted -= 1
            raise
        self.running += 1
        loop = asyncio.get_running_loop()
        t0 = time.perf_counter()
        fut = loop.run_in_executor(self._executor, worker.call, job, timeout)

        def release(_f) -> None:  # when the worker is really free (also after a cancel)
            self.running -= 1
            self.admitted -= 1
            self.done += 1
            self._mean = 0.9 * self._mean + 0.1 * (time.perf_counter() - t0)
            self._idle.put_nowait(worker)

        fut.add_done_callback(release)  # (run by the event loop)
        return await asyncio.shield(fut)

    def close(self, timeout: float = 10.0) -> None:
        """Stop every worker (after the jobs they run) and the threads."""
        with ThreadPoolExecutor(max(1, self.size)) as ex:
            list(ex.map(lambda w: w.stop(timeout), self._workers))
        self._executor.shutdown(wait=False, cancel_futures=True)
