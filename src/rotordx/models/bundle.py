"""Model bundles: safetensors arrays + a JSON description. Loading runs no code.

A bundle is a folder with

``model.safetensors``
    The classifier's arrays (network weights, tree arrays, MiniRocket
    parameters...). safetensors holds tensors only; it cannot hold code.
``bundle.json``
    Everything needed to rebuild the classifier and feed it the same inputs it
    was trained on: the model's registry name and metadata, the protocol, class
    names, and the input specification (seed protocol: grid rate,
    moving-average length, scaler minima and maxima; window protocol: sample
    rate, window, hop, channel count).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rotordx import __version__
from rotordx._atomic import atomic_file, write_text_atomic
from rotordx.data.seed import PreprocessConfig
from rotordx.exceptions import BundleError, ParameterError
from rotordx.models.registry import classifier_from_state
from rotordx.signal.scaling import MinMaxScaling

__all__ = [
    "BUNDLE_FORMAT",
    "BUNDLE_VERSION",
    "Bundle",
    "check_input",
    "load_run",
    "save_bundle",
]

BUNDLE_FORMAT = "rotordx-bundle"
BUNDLE_VERSION = 2
WEIGHTS = "model.safetensors"
MANIFEST = "bundle.json"
_WINDOW_KEYS = ("fs", "window", "hop", "n_channels")


@dataclass(frozen=True)
class Bundle:
    """A loaded bundle: the fitted classifier and everything to feed it."""

    classifier: Any
    model_name: str
    protocol: str
    classes: tuple[str, ...]
    input: dict
    extra: dict

    @property
    def model(self):
        """The torch module of a network classifier."""
        return self.classifier.module

    @property
    def preprocess(self) -> PreprocessConfig:
        """Seed protocol: the preprocessing settings."""
        return PreprocessConfig(**self.input["preprocess"])

    @property
    def scaler(self) -> MinMaxScaling:
        """Seed protocol: the min-max scaler."""
        return MinMaxScaling.from_dict(self.input["scaler"])


def save_bundle(
    directory: str | os.PathLike[str],
    *,
    classifier: Any,
    classes: tuple[str, ...],
    input: dict,
    extra: dict | None = None,
) -> Path:
    """Write ``model.safetensors`` and ``bundle.json`` for a fitted classifier."""
    from safetensors.numpy import save_file  # lazy: safetensors is needed only to save

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    arrays, meta = classifier.get_state()
    arrays = {k: np.require(v, requirements="C") for k, v in arrays.items()}  # keeps 0-d
    with atomic_file(directory / WEIGHTS) as tmp:
        save_file(arrays, str(tmp), metadata={"format": BUNDLE_FORMAT})
    manifest = {
        "format": BUNDLE_FORMAT,
        "version": BUNDLE_VERSION,
        "rotordx_version": __version__,
        "model": {"name": classifier.name, "meta": meta},
        "protocol": classifier.protocol,
        "classes": list(classes),
        "input": input,
        "extra": extra or {},
    }
    write_text_atomic(directory / MANIFEST, json.dumps(manifest, indent=2) + "\n")
    return directory


def check_input(protocol: str, spec: Any) -> dict:
    """``spec`` if it is a valid input specification of ``protocol``; ValueError otherwise."""
    if not isinstance(spec, dict):
        raise ValueError("'input' must be an object")
    if protocol == "seed":
        PreprocessConfig(**spec["preprocess"])
        MinMaxScaling.from_dict(spec["scaler"])
    elif protocol == "window":
        missing = [k for k in _WINDOW_KEYS if k not in spec]
        if missing:
            raise ValueError(f"'input' lacks {', '.join(missing)}")
        if not (float(spec["fs"]) > 0 and int(spec["window"]) > 0 and int(spec["hop"]) > 0):
            raise ValueError("'input' needs positive fs, window and hop")
    else:
        raise ValueError(f"unknown protocol {protocol!r}")
    return spec


def load_run(directory: str | os.PathLike[str], *, threads: int | None = None) -> Bundle:
    """Rebuild the classifier saved in the run folder ``directory``.

    :func:`rotordx.models.loading.load_model` takes an exported ``.onnx``
    file as well.

    Parameters
    ----------
    threads : int, optional
        Inference threads: the ONNX Runtime session's, or torch's
        (process-wide) for a torch model.

    Raises
    ------
    BundleError
        If a file is missing, the JSON is malformed or of another format or
        version, the model name is unknown, or the arrays do not fit the model
        (missing, unexpected or mis-shaped tensors).
    """
    from safetensors import SafetensorError  # lazy: safetensors is needed only to load
    from safetensors.numpy import load_file  # lazy: as above

    directory = Path(directory)
    if directory.suffix.lower() == ".onnx" and not directory.exists():
        raise BundleError(
            f"{directory}: no such file; expected an .onnx file from `rotordx export`"
        )
    if not directory.is_dir():
        raise BundleError(
            f"{directory}: not a folder; expected a run folder from `rotordx train` "
            "or an .onnx file from `rotordx export`"
        )
    for name in (MANIFEST, WEIGHTS):
        if not (directory / name).is_file():
            raise BundleError(f"{directory}: {name} is missing; not a complete model bundle")
    try:
        manifest = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise BundleError(f"{directory / MANIFEST}: not valid JSON ({exc})") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != BUNDLE_FORMAT:
        raise BundleError(f"{directory / MANIFEST}: not a {BUNDLE_FORMAT} manifest")
    if manifest.get("version") != BUNDLE_VERSION:
        raise BundleError(
            f"{directory / MANIFEST}: bundle version {manifest.get('version')!r}; this rotordx "
            f"reads version {BUNDLE_VERSION}"
        )
    try:
        name = str(manifest["model"]["name"])
        meta = dict(manifest["model"]["meta"])
        protocol = str(manifest["protocol"])
        classes = tuple(str(c) for c in manifest["classes"])
        spec = check_input(protocol, manifest["input"])
    except (KeyError, TypeError, ValueError, ParameterError) as exc:
        raise BundleError(f"{directory / MANIFEST}: invalid content ({exc})") from exc
    try:
        arrays = load_file(str(directory / WEIGHTS))
    except (SafetensorError, OSError, ValueError) as exc:
        raise BundleError(
            f"{directory / WEIGHTS}: not a readable safetensors file ({exc})"
        ) from exc
    try:
        classifier = classifier_from_state(name, arrays, meta)
    except ParameterError as exc:
        raise BundleError(f"{directory}: {exc}") from exc
    if classifier.protocol != protocol:
        raise BundleError(
            f"{directory / MANIFEST}: model {name!r} does not use protocol {protocol!r}"
        )
    if threads is not None and getattr(classifier, "module", None) is not None:
        import torch  # lazy: loaded already with a torch model's classifier

        torch.set_num_threads(int(threads))
    return Bundle(
        classifier=classifier,
        model_name=name,
        protocol=protocol,
        classes=classes,
        input=spec,
        extra=dict(manifest.get("extra", {})),
    )
