"""Export a trained torch model to ONNX, input standardisation and softmax included.

The graph is written layer by layer from the fitted network (``onnx.helper``;
no tracing, no torch exporter): batch norm is folded into the convolution
before it, dropout is dropped (inference), and the classifier's own input
handling becomes part of the graph. So the ``.onnx`` file takes exactly what
the run's bundle describes and returns class probabilities:

window protocol (``wdcnn``, ``lstm``; a seed model trained with ``--protocol window``)
    raw windows, float32 ``(batch, n_channels, window)`` in the recording's
    units → per-channel standardisation with the training mean and standard
    deviation → network → softmax. A seed model on windows classifies every
    instant and averages the probabilities over the window, as in PyTorch.
seed protocol (``dnn``, ``cnn``, ``rnn``)
    min-max-scaled instants, float32 ``(batch, n_sensors)`` → network →
    softmax. The moving average and min-max scaling stay outside (the
    metadata holds their settings and the scaler, as ``bundle.json`` does).

``features``, ``bearing`` and ``minirocket`` are not exportable: their inputs
to the final classifier are computed outside any network — physics and
bearing defect features by numpy (running-speed search, order tracking,
envelope spectra), MiniRocket's 10,000 dilated-kernel features by numba —
and re-writing those transforms as ONNX operators would be a second
implementation to keep equal to the first.

The file describes itself: ``metadata_props`` hold the format, model name,
protocol, class names and the input specification (JSON), so
:func:`rotordx.models.onnx_runtime.load_onnx` needs nothing else.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from rotordx import __version__
from rotordx._atomic import atomic_file
from rotordx.exceptions import BundleError, ParameterError
from rotordx.models.bundle import load_run
from rotordx.models.onnx_graph import Graph
from rotordx.models.onnx_runtime import (
    INPUT_NAME,
    OUTPUT_NAME,
    OnnxClassifier,
    metadata_props,
)
from rotordx.models.registry import exportable_names, get_spec, load_object

__all__ = ["CHECK_TOLERANCE", "DEFAULT_OPSET", "MIN_OPSET", "export_onnx", "to_onnx"]

#: Default ONNX opset (ONNX Runtime ≥ 1.12 runs it).
DEFAULT_OPSET = 17
#: Oldest opset written (Softmax over one axis, Squeeze/Unsqueeze axes as inputs).
MIN_OPSET = 13
#: Largest |p_onnx - p_torch| :func:`export_onnx` accepts on its check inputs.
CHECK_TOLERANCE = 1e-4


def _refuse(name: str) -> ParameterError:
    why = get_spec(name).not_exportable or "it is not one of the torch networks"
    return ParameterError(
        f"model {name!r} cannot be exported to ONNX: {why}. Exportable models: "
        f"{', '.join(exportable_names())}; keep using the run folder for {name!r}"
    )


def to_onnx(
    classifier,
    *,
    classes: tuple[str, ...],
    input: dict,
    extra: dict | None = None,
    opset: int = DEFAULT_OPSET,
    batch: int | None = None,
    conv2d: bool = True,
):
    """The ONNX model (``onnx.ModelProto``) of a fitted torch classifier.

    Parameters
    ----------
    classifier : TorchClassifier
        A fitted ``wdcnn``, ``lstm``, ``dnn``, ``cnn`` or ``rnn``.
    classes, input, extra :
        What the bundle stores; written to ``metadata_props``.
    opset : int
        ONNX opset, at least :data:`MIN_OPSET`.
    batch : int, optional
        A fixed batch size; ``None`` makes the batch dimension dynamic.
    conv2d : bool
        Write the window networks' 1-D convolutions and poolings as 2-D ones
        of height 1 (the same numbers): ONNX Runtime's blocked NCHWc
        convolution kernels exist for 2-D only, which makes ``wdcnn`` about
        twice as fast on one core (docs/performance.md).

    Raises
    ------
    ParameterError
        For a model that cannot be exported (``features``, ``minirocket``),
        an unfitted classifier or an unsupported opset or batch.
    """
    import onnx  # lazy: onnx is needed only to export
    from onnx import TensorProto, helper  # lazy: as above

    name = getattr(classifier, "name", type(classifier).__name__)
    if name not in exportable_names() or not hasattr(classifier, "module"):
        raise _refuse(name)
    network = load_object(get_spec(name).onnx_graph)
    classifier._check_fitted()
    max_opset = onnx.defs.onnx_opset_version()
    if not MIN_OPSET <= int(opset) <= max_opset:
        raise ParameterError(f"--opset must be between {MIN_OPSET} and {max_opset}, got {opset}")
    if batch is not None and int(batch) < 1:
        raise ParameterError(f"--batch must be 'dynamic' or a positive integer, got {batch}")
    module = classifier.module.eval()
    g = Graph(int(opset), conv2d=conv2d and getattr(network, "conv2d", False))
    protocol = classifier.protocol
    n_classes = len(classes)
    bdim: int | str = int(batch) if batch is not None else "batch"
    if protocol == "window":
        n_ch, win = int(input["n_channels"]), int(input["window"])
        shape: list[int | str] = [bdim, n_ch, win]
        doc = f"raw windows (batch, {n_ch} channels, {win} samples at {input['fs']:g} Hz), float32"
    else:
        n_ch = int(np.asarray(input["scaler"]["data_min"]).size)
        shape = [bdim, n_ch]
        doc = f"min-max-scaled instants (batch, {n_ch} sensors), float32"
    x = INPUT_NAME
    if protocol == "window" and classifier.pointwise:
        x = g.op("Transpose", [x], perm=[0, 2, 1])  # (batch, window, channels)
        x = g.op("Sub", [x, g.const(classifier.mean)])
        x = g.op("Div", [x, g.const(classifier.std)])
        x = g.op("Reshape", [x, g.const([-1, n_ch])])
        p = g.op("Softmax", [network(g, x, module)], axis=1)
        p = g.op("Reshape", [p, g.const([-1, win, n_classes])])
        out = g.reduce_mean(p, 1)
    else:
        if classifier.standardize:
            bshape = (1, -1, 1) if protocol == "window" else (1, -1)
            x = g.op("Sub", [x, g.const(classifier.mean.reshape(bshape))])
            x = g.op("Div", [x, g.const(classifier.std.reshape(bshape))])
        out = g.op("Softmax", [network(g, x, module)], axis=1)
    g.nodes.append(helper.make_node("Identity", [out], [OUTPUT_NAME]))
    graph = helper.make_graph(
        g.nodes,
        f"rotordx_{name}",
        [helper.make_tensor_value_info(INPUT_NAME, TensorProto.FLOAT, shape, doc_string=doc)],
        [
            helper.make_tensor_value_info(
                OUTPUT_NAME,
                TensorProto.FLOAT,
                [bdim, n_classes],
                doc_string=f"class probabilities in the order {', '.join(classes)}",
            )
        ],
        initializer=g.initializers,
    )
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", int(opset))],
        producer_name="rotordx",
        producer_version=__version__,
        doc_string=f"rotordx {name} ({protocol} protocol): {doc} → class probabilities",
    )
    # the oldest IR version that knows the opset: older runtimes refuse newer IR versions
    model.ir_version = helper.find_min_ir_version_for(list(model.opset_import))
    helper.set_model_props(
        model,
        metadata_props(model=name, protocol=protocol, classes=classes, input=input, extra=extra),
    )
    onnx.checker.check_model(model, full_check=True)
    return model


def _check_inputs(classifier, input: dict, rng: np.random.Generator, n: int) -> np.ndarray:
    """Deterministic check inputs in the range the model was trained on."""
    if classifier.protocol == "window":
        shape = (n, int(input["n_channels"]), int(input["window"]))
        X = rng.standard_normal(shape)
        if classifier.standardize:
            X = X * classifier.std[None, :, None] + classifier.mean[None, :, None]
        return X.astype(np.float32)
    n_ch = np.asarray(input["scaler"]["data_min"]).size
    return rng.uniform(0.0, 1.0, (n, n_ch)).astype(np.float32)


def export_onnx(
    run_dir: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    opset: int = DEFAULT_OPSET,
    batch: int | None = None,
    check: int = 16,
) -> dict:
    """Export the model of a run folder to ``out`` (``.onnx``), written atomically.

    Before writing, ``check`` seeded inputs in the training range go through
    both PyTorch and ONNX Runtime; the file is written only if every
    probability agrees within :data:`CHECK_TOLERANCE` and the predicted
    classes are identical.

    Returns
    -------
    dict
        ``path``, ``model``, ``protocol``, ``opset``, ``batch``, ``bytes``,
        ``checked`` (inputs compared) and ``max_abs_diff``.
    """
    out = Path(out)
    if out.suffix.lower() != ".onnx":
        raise ParameterError(f"{out}: the output must end in .onnx")
    if Path(run_dir).is_file():
        raise ParameterError(f"{run_dir}: expected a run folder from `rotordx train`")
    bundle = load_run(run_dir)
    if bundle.model_name not in exportable_names():
        raise _refuse(bundle.model_name)
    model = to_onnx(
        bundle.classifier,
        classes=bundle.classes,
        input=bundle.input,
        extra=bundle.extra,
        opset=opset,
        batch=batch,
    )
    data = model.SerializeToString()
    max_diff = 0.0
    if check:
        X = _check_inputs(bundle.classifier, bundle.input, np.random.default_rng(0), int(check))
        p_torch = bundle.classifier.predict_proba(X)
        p_onnx = OnnxClassifier(model, threads=1).predict_proba(X)
        max_diff = float(np.abs(p_torch - p_onnx).max())
        same = np.array_equal(p_torch.argmax(axis=1), p_onnx.argmax(axis=1))
        if not (max_diff <= CHECK_TOLERANCE and same):
            raise BundleError(
                f"{run_dir}: the ONNX graph disagrees with PyTorch (max |Δp| = {max_diff:.2e}, "
                f"same classes: {same}); nothing was written"
            )
    with atomic_file(out) as tmp:
        tmp.write_bytes(data)
    return {
        "path": str(out),
        "model": bundle.model_name,
        "protocol": bundle.protocol,
        "opset": int(opset),
        "batch": "dynamic" if batch is None else int(batch),
        "bytes": len(data),
        "checked": int(check),
        "max_abs_diff": max_diff,
    }
