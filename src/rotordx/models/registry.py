"""Every model rotordx can train, in one table.

A :class:`ModelSpec` says where a model's classifier class lives, which
protocol it is trained under, what it needs from the data, whether and how
it is exported to ONNX, its training defaults and the cheap settings the
conformance tests use. Everything else (the CLI's choices and help, the
demo and comparison line-ups, construction, loading, export) is read from
this table: adding a model is one entry here plus its own file.

Classes are imported on first use (by dotted path), so that the table and
the models that do not need torch work without importing it.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any

from rotordx.exceptions import DataError, ParameterError
from rotordx.models.train_config import TrainConfig

__all__ = [
    "EXTRAS",
    "MODELS",
    "MODEL_NAMES",
    "SEED",
    "WINDOW",
    "ModelSpec",
    "build_network",
    "check_classifier",
    "check_protocol",
    "classifier_from_state",
    "default_train_config",
    "exportable_names",
    "get_spec",
    "load_object",
    "make_classifier",
    "missing_extra",
    "model_names",
]

#: The seed's point-wise protocol: one time instant of every sensor per input.
SEED = "seed"
#: The windowed protocol: windows of shape (n_channels, window) per input.
WINDOW = "window"


@dataclass(frozen=True)
class ModelSpec:
    """A model's entry in the registry.

    Attributes
    ----------
    name : str
        The registry name (``rotordx train --model NAME``).
    summary : str
        One line for help texts.
    classifier : str
        ``"module:Class"`` of its :class:`~rotordx.models.base.Classifier`.
    protocols : tuple of str
        Protocols it can be trained under; the first is its own.
    network : str, optional
        ``"module:Class"`` of the torch ``nn.Module`` (torch models).
    onnx_graph : str, optional
        ``"module:function"`` writing its ONNX graph; ``None``: not exportable.
    not_exportable : str
        Why it cannot be exported (for the message).
    one_class : bool
        Trained on healthy recordings of one machine only (no labelled
        faults): its classes are ``normal`` and ``departure``, it has its own
        training workflow (:mod:`rotordx.workflows.baseline`) and is left out
        of the classifier line-ups (demo, compare, crossval).
    needs_speed : bool
        Its inputs must come with each window's shaft speed (bearing
        defect frequencies): left out of the simulated-testbed line-ups.
    data_params : tuple of str
        Constructor arguments taken from the data and the run: ``fs`` (the
        sample rate), ``geometry`` (the bearing), ``threads``.
    train_defaults : dict
        :class:`~rotordx.models.train_config.TrainConfig` settings of a torch
        model (over the seed's).
    test_params : dict
        Cheap constructor settings for the conformance tests.
    test_train : dict
        Cheap training settings (:class:`TrainConfig`) of a torch model for those tests.
    """

    name: str
    summary: str
    classifier: str
    protocols: tuple[str, ...] = (WINDOW,)
    network: str | None = None
    onnx_graph: str | None = None
    not_exportable: str = ""
    one_class: bool = False
    needs_speed: bool = False
    data_params: tuple[str, ...] = ()
    train_defaults: dict[str, Any] = field(default_factory=dict)
    test_params: dict[str, Any] = field(default_factory=dict)
    test_train: dict[str, Any] = field(default_factory=dict)

    @property
    def protocol(self) -> str:
        """The protocol it is trained under by default."""
        return self.protocols[0]

    @property
    def early_stopping(self) -> bool:
        """Whether its training watches validation windows (the torch networks' early stopping)."""
        return self.network is not None

    @property
    def exportable(self) -> bool:
        """Whether ``rotordx export`` writes it as ONNX."""
        return self.onnx_graph is not None


_NUMPY_ONLY = "are computed in numpy, outside any network, and have no ONNX form"
_WINDOW_NET = {"batch_size": 64, "max_epochs": 60, "patience": 10}
# tiny data sets: small batches and a higher rate learn them in about a second
_TINY_WINDOW_NET = {"max_epochs": 10, "patience": 10, "batch_size": 16, "lr": 3e-3}
_TINY_SEED_NET = {"max_epochs": 10, "patience": 10, "batch_size": 16, "lr": 1e-2}

#: The models, in the order tables list them: window models, then the seed's.
MODELS: dict[str, ModelSpec] = {
    s.name: s
    for s in (
        ModelSpec(
            "features",
            "random forest on physics features (orders, envelope, severity)",
            "rotordx.models.forest:FeatureForest",
            not_exportable="its physics features (running-speed search, order amplitudes, "
            f"envelope spectra) {_NUMPY_ONLY}",
            data_params=("fs", "threads"),
            test_params={"n_estimators": 20},
        ),
        ModelSpec(
            "bearing",
            "envelope evidence at the bearing's defect frequencies + a shallow forest",
            "rotordx.models.bearing:BearingForest",
            not_exportable="its defect-frequency scores (envelope spectra at speed-dependent "
            f"BPFO/BPFI/BSF) {_NUMPY_ONLY}",
            needs_speed=True,
            data_params=("fs", "geometry", "threads"),
            test_params={"n_estimators": 20},
        ),
        ModelSpec(
            "baseline",
            "one machine's healthy baseline: flags departures, physics names them",
            "rotordx.models.baseline:HealthyBaseline",
            not_exportable="its departure score (robust z-scores of physics features) "
            f"{_NUMPY_ONLY}",
            one_class=True,
            data_params=("fs", "threads"),
        ),
        ModelSpec(
            "wdcnn",
            "wide-first-kernel 1-D CNN on raw windows",
            "rotordx.models.torch_classifier:TorchClassifier",
            network="rotordx.models.nets.windowed:WDCNN",
            onnx_graph="rotordx.models.onnx_networks:wdcnn",
            train_defaults=_WINDOW_NET,
            test_train=_TINY_WINDOW_NET,
        ),
        ModelSpec(
            "lstm",
            "CNN front end + LSTM on raw windows",
            "rotordx.models.torch_classifier:TorchClassifier",
            network="rotordx.models.nets.windowed:WindowLSTM",
            onnx_graph="rotordx.models.onnx_networks:lstm",
            train_defaults=_WINDOW_NET,
            test_train=_TINY_WINDOW_NET,
        ),
        ModelSpec(
            "minirocket",
            "aeon's MiniRocket features + ridge classifier (baseline)",
            "rotordx.models.rocket:MiniRocketRidge",
            not_exportable="its 10,000 MiniRocket features are computed by aeon/numba, "
            "outside any network, and have no ONNX form",
            data_params=("threads",),
            test_params={"n_kernels": 500},
        ),
        ModelSpec(
            "dnn",
            "the seed's KAMP_DNN (point-wise)",
            "rotordx.models.torch_classifier:TorchClassifier",
            protocols=(SEED, WINDOW),
            network="rotordx.models.nets.seed:KAMP_DNN",
            onnx_graph="rotordx.models.onnx_networks:dnn",
            test_train=_TINY_SEED_NET,
        ),
        ModelSpec(
            "cnn",
            "the seed's KAMP_CNN (point-wise)",
            "rotordx.models.torch_classifier:TorchClassifier",
            protocols=(SEED, WINDOW),
            network="rotordx.models.nets.seed:KAMP_CNN",
            onnx_graph="rotordx.models.onnx_networks:cnn",
            test_train=_TINY_SEED_NET,
        ),
        ModelSpec(
            "rnn",
            "the seed's KAMP_RNN (point-wise)",
            "rotordx.models.torch_classifier:TorchClassifier",
            protocols=(SEED, WINDOW),
            network="rotordx.models.nets.seed:KAMP_RNN",
            onnx_graph="rotordx.models.onnx_networks:rnn",
            test_train=_TINY_SEED_NET,
        ),
    )
}

#: Every name ``rotordx train --model`` accepts.
MODEL_NAMES: tuple[str, ...] = tuple(MODELS)


def model_names(
    *,
    protocol: str | None = None,
    needs_speed: bool | None = None,
    exportable: bool | None = None,
    one_class: bool | None = None,
) -> tuple[str, ...]:
    """Registry names, optionally only those of one own protocol, speed need, exportability
    or one-class training (the healthy baseline)."""
    return tuple(
        s.name
        for s in MODELS.values()
        if (protocol is None or s.protocol == protocol)
        and (needs_speed is None or s.needs_speed == needs_speed)
        and (exportable is None or s.exportable == exportable)
        and (one_class is None or s.one_class == one_class)
    )


def exportable_names() -> tuple[str, ...]:
    """The models ``rotordx export`` writes as ONNX."""
    return model_names(exportable=True)


def get_spec(name: str) -> ModelSpec:
    """The entry of ``name``; a ParameterError listing the names for an unknown one."""
    try:
        return MODELS[name]
    except (KeyError, TypeError):
        raise ParameterError(
            f"unknown model {name!r}; expected one of {', '.join(MODEL_NAMES)}"
        ) from None


#: The extra of ``pip install 'rotordx[…]'`` that brings each optional package.
EXTRAS: dict[str, str] = {"torch": "deep", "aeon": "rocket"}


def missing_extra(exc: ModuleNotFoundError, what: str) -> ParameterError:
    """The error for an optional package that is not installed, saying which extra brings it."""
    package = (exc.name or "").split(".")[0]
    extra = EXTRAS.get(package)
    if extra is None:
        raise exc
    return ParameterError(
        f"{what} needs {package}, which is not installed: pip install 'rotordx[{extra}]' "
        "(or 'rotordx[all]')"
    )


def load_object(path: str) -> Any:
    """The object named by ``"package.module:attribute"`` (imported on first use)."""
    module, _, attr = path.partition(":")
    try:
        return getattr(importlib.import_module(module), attr)
    except ModuleNotFoundError as exc:
        raise missing_extra(exc, path.rsplit(":", 1)[-1]) from None


def check_classifier(name: str, what: str) -> None:
    """Refuse a one-class model (the healthy baseline) where classifiers of labelled faults go."""
    if get_spec(name).one_class:
        raise ParameterError(
            f"{what} compares classifiers of labelled faults; {name!r} is trained on one "
            f"machine's healthy recordings only (rotordx train DATA --model {name}) and is "
            "scored with rotordx evaluate on labelled recordings of that machine"
        )


def check_protocol(name: str, protocol: str | None = None) -> str:
    """The protocol ``name`` runs under (``protocol`` if given and valid, else its own)."""
    spec = get_spec(name)
    protocol = protocol or spec.protocol
    if protocol not in (SEED, WINDOW):
        raise ParameterError(f"protocol must be '{SEED}' or '{WINDOW}', got {protocol!r}")
    if protocol not in spec.protocols:
        raise ParameterError(
            f"model {name!r} classifies windows; the seed (point-wise) protocol applies to "
            f"{', '.join(model_names(protocol=SEED))} only"
        )
    return protocol


def default_train_config(name: str, **overrides: Any) -> TrainConfig:
    """Training settings of a model: the seed's, with its own defaults and ``overrides``.

    ``None`` values in ``overrides`` are ignored (unset command-line options).
    """
    base = dict(get_spec(name).train_defaults)
    base.update({k: v for k, v in overrides.items() if v is not None})
    return TrainConfig(**base)


def build_network(name: str, *, seed: int | None = None, **kwargs: Any):
    """A fresh torch ``nn.Module`` of model ``name`` (weights seeded with ``seed``)."""
    spec = get_spec(name)
    if spec.network is None:
        raise ParameterError(f"model {name!r} is not a torch network")
    cls = load_object(spec.network)  # imports torch
    if seed is not None:
        import torch  # lazy: torch takes about two seconds to import

        torch.manual_seed(seed)
    try:
        return cls(**kwargs)
    except TypeError as exc:
        raise ParameterError(f"invalid arguments for model {name!r}: {exc}") from exc


def _data_params(spec: ModelSpec, data: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for key in spec.data_params:
        if key in given:
            continue
        if data.get(key) is None:
            if key == "geometry":
                raise DataError(
                    f"model {spec.name!r} reads bearing defect frequencies and needs the "
                    "monitored bearing's geometry: CWRU files carry it, other data does not "
                    "yet say it"
                )
            continue  # the class's own default
        out[key] = data[key]
    return out


def make_classifier(
    name: str,
    *,
    protocol: str | None = None,
    train_config: TrainConfig | None = None,
    data: dict[str, Any] | None = None,
    **params: Any,
):
    """A fresh, unfitted classifier for ``name`` (see :data:`MODEL_NAMES`).

    Parameters
    ----------
    protocol : {"seed", "window"}, optional
        Overrides the model's own: a seed model under ``"window"`` is trained
        on the instants of the training windows and classifies a window by
        its mean per-instant probabilities.
    train_config : TrainConfig, optional
        Torch models (default :func:`default_train_config`).
    data : dict, optional
        What the data and run say (``fs``, ``geometry``, ``threads``); each
        model takes the keys of its ``data_params``.
    **params
        Constructor settings of the model.
    """
    spec = get_spec(name)
    protocol = check_protocol(name, protocol)
    cls = load_object(spec.classifier)
    kwargs = {**_data_params(spec, data or {}, params), **params}
    return cls.create(
        spec,
        protocol=protocol,
        train_config=train_config or default_train_config(name),
        **kwargs,
    )


def classifier_from_state(name: str, arrays: dict, meta: dict):
    """Rebuild a fitted classifier saved by :meth:`Classifier.get_state`."""
    spec = get_spec(name)
    return load_object(spec.classifier).restore(spec, arrays, meta)
