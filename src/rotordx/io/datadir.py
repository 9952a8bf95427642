"""Where the real measured data sets live (for tests, benchmarks and examples)."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["DATA_ENV", "data_dir_candidates", "default_data_dir"]

#: Environment variable naming the real-data folder (the one holding ``cwru/``).
DATA_ENV = "ROTORDX_DATA"


def data_dir_candidates() -> list[Path]:
    """Where :func:`default_data_dir` looks, in order."""
    env = os.environ.get(DATA_ENV)
    if env:
        return [Path(env)]
    project_root = Path(__file__).resolve().parents[3]
    return [project_root.parent / "shared" / "data", Path("/work/shared/data")]


def default_data_dir() -> Path | None:
    """The folder of real measured data (it holds ``cwru/``), or ``None``.

    The environment variable ``ROTORDX_DATA`` wins when set (``None`` if it
    is not a folder). Otherwise the first existing folder of
    ``<project root>/../shared/data`` (for an editable install) and
    ``/work/shared/data``.
    """
    for cand in data_dir_candidates():
        if cand.is_dir():
            return cand
    return None
