"""Load a trained model from wherever it was saved: a run folder or an exported ``.onnx`` file."""

from __future__ import annotations

import os
from pathlib import Path

from rotordx.models.bundle import Bundle, load_run
from rotordx.models.onnx_runtime import load_onnx

__all__ = ["load_model"]


def load_model(path: str | os.PathLike[str], *, threads: int | None = None) -> Bundle:
    """The :class:`~rotordx.models.bundle.Bundle` saved at ``path``.

    A folder is a run folder from ``rotordx train`` (its classifier rebuilt
    from safetensors + JSON); a file is an ``.onnx`` file from ``rotordx
    export``, run by ONNX Runtime without importing torch. Both give the
    same interface.

    Parameters
    ----------
    threads : int, optional
        Inference threads: the ONNX Runtime session's, or torch's
        (process-wide) for a torch model.

    Raises
    ------
    BundleError
        Missing, incomplete, tampered with or incompatible.
    """
    path = Path(path)
    if path.is_file():
        return load_onnx(path, threads=threads)
    return load_run(path, threads=threads)
