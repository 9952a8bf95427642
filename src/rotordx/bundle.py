"""Model bundles: safetensors weights + a JSON description. Loading runs no code.

A bundle is a folder with

``model.safetensors``
    The state dict (tensors only; safetensors cannot hold code).
``bundle.json``
    What is needed to rebuild the model and feed it the same inputs it was
    trained on: the model's registry name and constructor arguments, class
    names, and the preprocessing parameters (grid rate, moving-average
    length, scaler minima and maxima).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from rotordx import __version__
from rotordx._atomic import atomic_file, write_text_atomic
from rotordx.exceptions import BundleError, ParameterError
from rotordx.preprocess import PreprocessConfig
from rotordx.signal import MinMaxScaling

__all__ = ["BUNDLE_FORMAT", "BUNDLE_VERSION", "Bundle", "load_bundle", "save_bundle"]

BUNDLE_FORMAT = "rotordx-bundle"
BUNDLE_VERSION = 1
WEIGHTS = "model.safetensors"
MANIFEST = "bundle.json"


@dataclass(frozen=True)
class Bundle:
    """A loaded bundle: the model in eval mode and everything to feed it."""

    model: Any
    model_name: str
    model_args: dict
    classes: tuple[str, ...]
    preprocess: PreprocessConfig
    scaler: MinMaxScaling
    extra: dict


def save_bundle(
    directory: str | os.PathLike[str],
    *,
    model: Any,
    model_name: str,
    model_args: dict,
    classes: tuple[str, ...],
    preprocess: PreprocessConfig,
    scaler: MinMaxScaling,
    extra: dict | None = None,
) -> Path:
    """Write ``model.safetensors`` and ``bundle.json`` into ``directory``."""
    from safetensors.torch import save_file

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().contiguous().cpu() for k, v in model.state_dict().items()}
    with atomic_file(directory / WEIGHTS) as tmp:
        save_file(state, str(tmp), metadata={"format": BUNDLE_FORMAT})
    manifest = {
        "format": BUNDLE_FORMAT,
        "version": BUNDLE_VERSION,
        "rotordx_version": __version__,
        "model": {"name": model_name, "args": model_args},
        "classes": list(classes),
        "preprocess": asdict(preprocess),
        "scaler": scaler.to_dict(),
        "extra": extra or {},
    }
    write_text_atomic(directory / MANIFEST, json.dumps(manifest, indent=2) + "\n")
    return directory


def load_bundle(directory: str | os.PathLike[str]) -> Bundle:
    """Rebuild the model saved in ``directory`` and load its weights.

    Raises
    ------
    BundleError
        If a file is missing, the JSON is malformed or of another format or
        version, the model name is unknown, or the weights do not fit the
        model (missing, unexpected or mis-shaped tensors).
    """
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    from rotordx.models import build_model

    directory = Path(directory)
    if not directory.is_dir():
        raise BundleError(f"{directory}: not a folder; expected a run folder from `rotordx train`")
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
        name = manifest["model"]["name"]
        args = dict(manifest["model"]["args"])
        classes = tuple(str(c) for c in manifest["classes"])
        preprocess = PreprocessConfig(**manifest["preprocess"])
        scaler = MinMaxScaling.from_dict(manifest["scaler"])
        model = build_model(name, **args)
    except (KeyError, TypeError, ValueError, ParameterError) as exc:
        raise BundleError(f"{directory / MANIFEST}: invalid content ({exc})") from exc
    try:
        state = load_file(str(directory / WEIGHTS))
    except (SafetensorError, OSError, ValueError) as exc:
        raise BundleError(
            f"{directory / WEIGHTS}: not a readable safetensors file ({exc})"
        ) from exc
    expected = model.state_dict()
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    if missing or unexpected:
        raise BundleError(
            f"{directory / WEIGHTS}: does not fit model {name!r} "
            f"(missing: {missing[:5]}, unexpected: {unexpected[:5]})"
        )
    for key, tensor in expected.items():
        if tuple(state[key].shape) != tuple(tensor.shape):
            raise BundleError(
                f"{directory / WEIGHTS}: tensor {key!r} has shape {tuple(state[key].shape)}, "
                f"model {name!r} expects {tuple(tensor.shape)}"
            )
    model.load_state_dict(state)
    model.eval()
    return Bundle(
        model=model,
        model_name=name,
        model_args=args,
        classes=classes,
        preprocess=preprocess,
        scaler=scaler,
        extra=dict(manifest.get("extra", {})),
    )
