"""Models: the registry, the classifier interface, training, bundles and ONNX.

Importing this package does not import torch: the torch networks
(:mod:`rotordx.models.nets`) and classifiers are loaded on first use, by the
registry.

Registry
--------
    MODELS, MODEL_NAMES, ModelSpec, get_spec, model_names
    make_classifier, classifier_from_state, default_train_config, check_protocol
    build_network

Classifiers
-----------
    Classifier (base), FeatureForest, BearingForest, MiniRocketRidge,
    TorchClassifier, OnnxClassifier (in their modules)

Scores, training settings, saving and loading
---------------------------------------------
    Scores, score_predictions, TrainConfig
    Bundle, save_bundle, load_model
"""

from rotordx.models.base import Classifier
from rotordx.models.bundle import Bundle, save_bundle
from rotordx.models.loading import load_model
from rotordx.models.metrics import Scores, score_predictions
from rotordx.models.registry import (
    MODEL_NAMES,
    MODELS,
    SEED,
    WINDOW,
    ModelSpec,
    build_network,
    check_protocol,
    classifier_from_state,
    default_train_config,
    exportable_names,
    get_spec,
    make_classifier,
    model_names,
)
from rotordx.models.train_config import TrainConfig

__all__ = [
    "MODELS",
    "MODEL_NAMES",
    "SEED",
    "WINDOW",
    "Bundle",
    "Classifier",
    "ModelSpec",
    "Scores",
    "TrainConfig",
    "build_network",
    "check_protocol",
    "classifier_from_state",
    "default_train_config",
    "exportable_names",
    "get_spec",
    "load_model",
    "make_classifier",
    "model_names",
    "save_bundle",
    "score_predictions",
]
