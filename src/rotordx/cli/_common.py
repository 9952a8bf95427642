"""What every command shares: options, error handling, argument parsing (no rotordx workflows)."""

from __future__ import annotations

import functools
import os
from typing import Annotated

import typer

from rotordx.exceptions import ParameterError, RotordxError

__all__ = [
    "DEFAULT_THREADS",
    "Force",
    "NoCache",
    "Quiet",
    "Seed",
    "Threads",
    "handle_errors",
    "parse_names",
    "parse_split",
    "positive_threads",
    "safe_filename",
]

#: Threads by default: the CPUs this process may run on.
DEFAULT_THREADS = (
    max(1, len(os.sched_getaffinity(0)))
    if hasattr(os, "sched_getaffinity")
    else max(1, os.cpu_count() or 1)
)

Seed = Annotated[int, typer.Option(help="Random seed; the same seed gives the same numbers.")]
Force = Annotated[bool, typer.Option("--force", help="Replace an existing output.")]
Quiet = Annotated[bool, typer.Option("--quiet", help="No progress bars.")]
Threads = Annotated[
    int, typer.Option(help="Threads for torch, MiniRocket and ONNX Runtime (default: all CPUs).")
]
NoCache = Annotated[
    bool,
    typer.Option(
        "--no-cache",
        help="Do not use the cache of preprocessed KAMP groups ($ROTORDX_CACHE, default "
        "~/.cache/rotordx): parse the CSV files again and store nothing.",
    ),
]


def err(msg: str) -> None:
    """One line ``error: …`` on stderr."""
    typer.echo(f"error: {msg}", err=True)


def handle_errors(func):
    """A command that turns rotordx's errors into one line and exit status 1 (130 on Ctrl-C)."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except RotordxError as exc:
            err(str(exc))
            raise typer.Exit(1) from None
        except KeyboardInterrupt:
            err("interrupted; no partial output was kept")
            raise typer.Exit(130) from None

    return wrapper


def parse_split(text: str) -> tuple[int, int, int]:
    """``"60000,20000,20000"`` as three positive integers."""
    try:
        parts = tuple(int(p) for p in text.split(","))
    except ValueError:
        parts = ()
    if len(parts) != 3 or min(parts) <= 0:
        raise ParameterError(
            f"--split must be three positive integers like 60000,20000,20000; got {text!r}"
        )
    return parts  # type: ignore[return-value]


def parse_names(text: str) -> tuple[str, ...]:
    """A comma-separated list, blanks dropped."""
    return tuple(m.strip() for m in text.split(",") if m.strip())


def positive_threads(n: int) -> int:
    """``--threads`` checked."""
    if n < 1:
        raise ParameterError(f"--threads must be a positive integer, got {n}")
    return n


def safe_filename(text: str) -> str:
    """``text`` with every character but letters, digits and ``-_.`` replaced by ``_``."""
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in text).strip("_")
