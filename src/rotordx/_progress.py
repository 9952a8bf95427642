"""Rich progress displays (stderr, so ``--json`` stdout stays clean).

``rich.progress`` is imported only when a display is shown.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator


@contextlib.contextmanager
def epoch_progress(label: str, *, total: int, enabled: bool = True) -> Iterator[Callable]:
    """Yield an ``on_epoch(epoch, history)`` callback that advances a progress bar."""
    if not enabled:
        yield lambda epoch, history: None
        return
    from rich.console import Console  # lazy: only when a bar is shown
    from rich.progress import (  # lazy: as above
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[status]}"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=False,
    ) as bar:
        task = bar.add_task(label, total=total, status="")

        def on_epoch(epoch: int, history) -> None:
            bar.update(
                task,
                completed=epoch,
                status=(
                    f"loss {history.train_loss[-1]:.4f}  val acc "
                    f"{history.valid_accuracy[-1] * 100:.2f}%  best {history.best_epoch}"
                ),
            )

        yield on_epoch
        # Early stopping: show the bar as finished at the epoch it stopped.
        bar.update(task, total=bar.tasks[0].completed)


@contextlib.contextmanager
def work_progress(
    label: str, *, total: float | None, unit: str = "", enabled: bool = True
) -> Iterator[Callable]:
    """Yield an ``advance(amount)`` callback for a bar over ``total`` units of work.

    ``total=None`` shows a pulsing bar (the amount is unknown in advance).
    """
    if not enabled:
        yield lambda amount: None
        return
    from rich.console import Console  # lazy: only when a bar is shown
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn  # lazy: as above

    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:,.0f}" + (f" / {total:,.0f}" if total else "") + f" {unit}"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=False,
    ) as bar:
        task = bar.add_task(label, total=total)

        def advance(amount: float) -> None:
            bar.update(task, advance=amount)

        yield advance
        if total:
            bar.update(task, completed=total)


@contextlib.contextmanager
def stage_progress(label: str, *, stages: int, enabled: bool = True) -> Iterator[Callable]:
    """Yield a ``stage(name)`` callback for a bar over ``stages`` named steps.

    Each call finishes the previous step and shows ``name`` as the current one.
    """
    if not enabled:
        yield lambda name: None
        return
    from rich.console import Console  # lazy: only when a bar is shown
    from rich.progress import (  # lazy: as above
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[stage]}"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=False,
    ) as bar:
        task = bar.add_task(label, total=stages, stage="")
        started = [0]

        def stage(name: str) -> None:
            bar.update(task, completed=started[0], stage=name)
            started[0] += 1

        yield stage
        bar.update(task, completed=stages, stage="done")


@contextlib.contextmanager
def count_progress(label: str, *, total: int, enabled: bool = True) -> Iterator[Callable]:
    """Yield an ``advance(done=0, failed=0)`` callback for a bar over ``total`` items.

    The bar shows the items done (with a result) and failed (with an error),
    those remaining, and the rate in items per second.
    """
    if not enabled:
        yield lambda done=0, failed=0: None
        return
    from rich.console import Console  # lazy: only when a bar is shown
    from rich.progress import (  # lazy: as above
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn(
            "done {task.fields[done]:,}  failed {task.fields[failed]:,}  "
            "remaining {task.fields[remaining]:,}  {task.fields[rate]}"
        ),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=False,
    ) as bar:
        task = bar.add_task(label, total=total, done=0, failed=0, remaining=total, rate="")
        counts = [0, 0]

        def advance(done: int = 0, failed: int = 0) -> None:
            counts[0] += done
            counts[1] += failed
            n = counts[0] + counts[1]
            speed = bar.tasks[0].speed
            bar.update(
                task,
                completed=n,
                done=counts[0],
                failed=counts[1],
                remaining=max(total - n, 0),
                rate=f"{speed:,.1f}/s" if speed else "",
            )

        yield advance
