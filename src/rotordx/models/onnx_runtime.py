"""Run exported ``.onnx`` models with ONNX Runtime, behind the common classifier interface.

:func:`load_onnx` reads a file written by ``rotordx export``
(:mod:`rotordx.models.onnx_export`) and returns the same :class:`~rotordx.models.bundle.Bundle`
a run folder gives, with an :class:`OnnxClassifier` in place of the PyTorch
one; ``rotordx evaluate`` and ``rotordx diagnose`` accept either (through
:func:`rotordx.models.loading.load_model`). Loading runs no code: an ONNX file is a
protobuf graph of standard operators; files that reference external data or
custom operator domains are refused.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from rotordx import __version__
from rotordx.data.splits import Split
from rotordx.exceptions import BundleError, DataError, ParameterError
from rotordx.models.base import Classifier, FitInfo
from rotordx.models.bundle import Bundle, check_input
from rotordx.models.registry import exportable_names

__all__ = [
    "INPUT_NAME",
    "ONNX_FORMAT",
    "ONNX_VERSION",
    "OUTPUT_NAME",
    "OnnxClassifier",
    "load_onnx",
    "metadata_props",
    "read_metadata",
]

#: ``metadata_props`` value of ``format`` in every rotordx ONNX file.
ONNX_FORMAT = "rotordx-onnx"
#: Version of the metadata layout.
ONNX_VERSION = 1
#: Names of the graph's input and output tensors.
INPUT_NAME = "input"
OUTPUT_NAME = "probabilities"

#: Inputs per ONNX Runtime call for a dynamic batch: about 2 MiB of float32.
_CHUNK_ELEMENTS = 1 << 19


class OnnxClassifier(Classifier):
    """An exported model run by ONNX Runtime on the CPU (inference only).

    Parameters
    ----------
    model : onnx.ModelProto or bytes
        A graph written by :func:`rotordx.onnx_export.to_onnx`.
    threads : int, optional
        ONNX Runtime intra-op threads (``None``: its default, one per
        physical core). Inter-op parallelism is off (sequential execution).
    optimization : {"all", "extended", "basic", "none"}
        ONNX Runtime graph optimisation level.

    ``fit`` and ``get_state`` are refused: retrain from the run folder.
    """

    def __init__(self, model, *, threads: int | None = None, optimization: str = "all") -> None:
        import onnxruntime as ort  # lazy: ONNX Runtime is needed only for exported models

        data = model if isinstance(model, bytes) else model.SerializeToString()
        meta = read_metadata(model if not isinstance(model, bytes) else _parse(data, "model"))
        super().__init__(meta["model"], meta["protocol"])
        if threads is not None and (not isinstance(threads, int) or threads < 1):
            raise ParameterError(f"threads must be a positive integer, got {threads!r}")
        levels = {
            "all": ort.GraphOptimizationLevel.ORT_ENABLE_ALL,
            "extended": ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
            "basic": ort.GraphOptimizationLevel.ORT_ENABLE_BASIC,
            "none": ort.GraphOptimizationLevel.ORT_DISABLE_ALL,
        }
        if optimization not in levels:
            raise ParameterError(
                f"optimization must be one of {', '.join(levels)}, got {optimization!r}"
            )
        so = ort.SessionOptions()
        so.graph_optimization_level = levels[optimization]
        so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        so.inter_op_num_threads = 1
        if threads is not None:
            so.intra_op_num_threads = threads
        so.log_severity_level = 3  # errors only
        try:
            self.session = ort.InferenceSession(
                data, sess_options=so, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:  # onnxruntime raises its own exception types
            raise BundleError(
                f"ONNX Runtime {ort.__version__} cannot load the graph: {exc}"
            ) from exc
        self.threads = threads
        self.classes: tuple[str, ...] = meta["classes"]
        self.input_spec: dict = meta["input"]
        self.extra: dict = meta["extra"]
        inp = self.session.get_inputs()[0]
        self._input_name = inp.name
        self._row_shape = tuple(int(d) for d in inp.shape[1:])
        self.batch: int | None = inp.shape[0] if isinstance(inp.shape[0], int) else None
        self.chunk = self.batch or max(1, _CHUNK_ELEMENTS // int(np.prod(self._row_shape)))
        self.is_fitted = True

    def _predict_proba(
        self, X: np.ndarray, *, shaft_hz: np.ndarray | None, defect_orders: np.ndarray | None = None
    ) -> np.ndarray:
        """Class probabilities (n, n_classes) for inputs of the exported shape."""
        X = np.ascontiguousarray(X, dtype=np.float32)
        if X.shape[1:] != self._row_shape:
            raise DataError(
                f"inputs of shape {X.shape}; the {self.name} model takes (n, "
                f"{', '.join(map(str, self._row_shape))})"
            )
        n = X.shape[0]
        out = np.empty((n, len(self.classes)), dtype=np.float32)
        for start in range(0, n, self.chunk):
            part = X[start : start + self.chunk]
            k = part.shape[0]
            if self.batch is not None and k < self.batch:  # a fixed batch: pad the last one
                part = np.concatenate(
                    [part, np.zeros((self.batch - k, *self._row_shape), part.dtype)]
                )
            out[start : start + k] = self.session.run(None, {self._input_name: part})[0][:k]
        return out

    def fit(self, train: Split, valid: Split, *, seed: int = 0, progress: bool = False) -> FitInfo:
        """Refused: an exported model is for inference."""
        raise ParameterError("an ONNX model is inference-only; train a run folder instead")

    def _fit(self, train: Split, valid: Split, *, seed: int, progress: bool) -> FitInfo:
        """Refused: an exported model is for inference."""
        raise ParameterError("an ONNX model is inference-only; train a run folder instead")

    def get_state(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """Refused: the ONNX file is the state."""
        raise ParameterError("an ONNX model has no bundle state; the .onnx file is its state")

    @classmethod
    def from_state(cls, arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> OnnxClassifier:
        """Refused: build from an ``.onnx`` file with :func:`load_onnx`."""
        raise ParameterError("build an OnnxClassifier from an .onnx file with load_onnx")


def metadata_props(
    *, model: str, protocol: str, classes, input: dict, extra: dict | None = None
) -> dict[str, str]:
    """The ``metadata_props`` of an exported model: what :func:`read_metadata` reads back."""
    return {
        "format": ONNX_FORMAT,
        "format_version": str(ONNX_VERSION),
        "rotordx_version": __version__,
        "model": model,
        "protocol": protocol,
        "classes": json.dumps(list(classes)),
        "input": json.dumps(input),
        "extra": json.dumps(extra or {}),
    }


def _parse(data: bytes, where: str):
    import onnx  # lazy: onnx is needed only for exported models
    from google.protobuf.message import DecodeError  # lazy: comes with onnx

    try:
        return onnx.load_model_from_string(data)
    except (DecodeError, ValueError, RuntimeError) as exc:
        raise BundleError(
            f"{where}: not a readable ONNX model (truncated, or not ONNX: {exc}); expected a "
            "run folder from `rotordx train` or an .onnx file from `rotordx export`"
        ) from exc


def read_metadata(model) -> dict:
    """The rotordx description stored in an exported model's ``metadata_props``.

    Returns ``model``, ``protocol``, ``classes`` (tuple), ``input`` (the
    bundle's input specification), ``extra``, ``rotordx_version``.

    Raises
    ------
    BundleError
        If the metadata is missing, of another format version, or invalid.
    """
    props = {p.key: p.value for p in model.metadata_props}
    if props.get("format") != ONNX_FORMAT:
        raise BundleError(
            f"no rotordx metadata (format {ONNX_FORMAT!r}): the file was not written by "
            "`rotordx export`, or it is truncated"
        )
    if props.get("format_version") != str(ONNX_VERSION):
        raise BundleError(
            f"rotordx ONNX metadata version {props.get('format_version')!r}; this rotordx "
            f"reads version {ONNX_VERSION}"
        )
    try:
        name, protocol = props["model"], props["protocol"]
        classes = tuple(str(c) for c in json.loads(props["classes"]))
        spec = check_input(protocol, json.loads(props["input"]))
        extra = dict(json.loads(props.get("extra", "{}")))
    except (KeyError, TypeError, ValueError) as exc:
        raise BundleError(f"invalid rotordx ONNX metadata ({exc})") from exc
    if name not in exportable_names():
        raise BundleError(f"unknown model {name!r} in the ONNX metadata")
    if not classes:
        raise BundleError("the ONNX metadata lists no classes")
    return {
        "model": name,
        "protocol": protocol,
        "classes": classes,
        "input": spec,
        "extra": extra,
        "rotordx_version": props.get("rotordx_version"),
    }


def _check_graph(model, meta: dict) -> None:
    """Standard operators and embedded weights only; input and output shapes as described."""
    import onnx  # lazy: onnx is needed only for exported models
    from onnx.external_data_helper import uses_external_data  # lazy: as above

    domains = {o.domain for o in model.opset_import} - {"", "ai.onnx"}
    if domains:
        raise BundleError(f"custom operator domains {sorted(domains)} are not accepted")
    if any(uses_external_data(t) for t in model.graph.initializer):
        raise BundleError("weights stored in external files are not accepted")
    try:
        onnx.checker.check_model(model)
    except onnx.checker.ValidationError as exc:
        raise BundleError(f"invalid ONNX graph ({str(exc).splitlines()[0]})") from exc
    inputs = [
        i for i in model.graph.input if i.name not in {t.name for t in model.graph.initializer}
    ]
    if len(inputs) != 1 or len(model.graph.output) != 1:
        raise BundleError("expected one input and one output")
    dims = [d.dim_value or None for d in inputs[0].type.tensor_type.shape.dim]
    spec = meta["input"]
    if meta["protocol"] == "window":
        want = [int(spec["n_channels"]), int(spec["window"])]
    else:
        want = [int(np.asarray(spec["scaler"]["data_min"]).size)]
    if dims[1:] != want:
        raise BundleError(f"the graph's input is {dims}; the metadata describes (batch, {want})")
    out = [d.dim_value or None for d in model.graph.output[0].type.tensor_type.shape.dim]
    if len(out) != 2 or out[1] != len(meta["classes"]):
        raise BundleError(f"the graph's output is {out}; expected (batch, {len(meta['classes'])})")


def load_onnx(path: str | os.PathLike[str], *, threads: int | None = None):
    """Load an ``.onnx`` file from ``rotordx export`` as a :class:`~rotordx.models.bundle.Bundle`.

    Parameters
    ----------
    threads : int, optional
        ONNX Runtime intra-op threads.

    Raises
    ------
    BundleError
        If the file is missing, not ONNX, truncated, not written by rotordx,
        references external data or custom operators, or ONNX Runtime cannot
        load it.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise BundleError(f"{path}: cannot be read ({exc.strerror or exc})") from exc
    if not data:
        raise BundleError(f"{path}: empty file; expected an .onnx file from `rotordx export`")
    if path.suffix.lower() != ".onnx" and not data.startswith(b"\x08"):
        # an ONNX ModelProto starts with its ir_version field (tag 0x08); anything else
        # that is not named .onnx was given by mistake (a pickle, a CSV …): never parsed
        raise BundleError(
            f"{path}: a file that is neither a run folder nor an ONNX model; expected a run "
            "folder from `rotordx train` or an .onnx file from `rotordx export`"
        )
    model = _parse(data, str(path))
    try:
        meta = read_metadata(model)
        _check_graph(model, meta)
        classifier = OnnxClassifier(data, threads=threads)
    except BundleError as exc:
        raise BundleError(f"{path}: {exc}") from exc
    return Bundle(
        classifier=classifier,
        model_name=meta["model"],
        protocol=meta["protocol"],
        classes=meta["classes"],
        input=meta["input"],
        extra={**meta["extra"], "onnx": str(path)},
    )
