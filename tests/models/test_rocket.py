"""MiniRocket + ridge: a state whose structure is not the one its seed gives is refused."""

from __future__ import annotations

import pytest

from rotordx.exceptions import ParameterError
from rotordx.models import classifier_from_state
from support import copy_state as _copy_state


def _refused(name: str, arrays: dict, meta: dict, match: str | None = None) -> None:
    with pytest.raises(ParameterError, match=match):
        classifier_from_state(name, arrays, meta)


def test_minirocket_state_tampering(fitted):
    arrays, meta = _copy_state(*fitted("minirocket")[0].get_state())
    classifier_from_state("minirocket", *_copy_state(arrays, meta))  # untouched: accepted

    bad = _copy_state(arrays, meta)[0]
    bad["rocket.dilations"] = bad["rocket.dilations"] + 1
    _refused("minirocket", bad, meta, "dilations")

    bad = _copy_state(arrays, meta)[0]
    bad["rocket.dilations"] = bad["rocket.dilations"][:-1]
    _refused("minirocket", bad, meta, "dilations")

    bad = _copy_state(arrays, meta)[0]
    bad["rocket.channel_indices"] = bad["rocket.channel_indices"][::-1].copy()
    _refused("minirocket", bad, meta, "channel_indices")

    bad = _copy_state(arrays, meta)[0]
    bad["rocket.biases"] = bad["rocket.biases"][:-1]
    _refused("minirocket", bad, meta, "biases")

    bad = _copy_state(arrays, meta)[0]
    bad["coef"] = bad["coef"][:, :-1]
    _refused("minirocket", bad, meta, "ridge weights")

    bad = _copy_state(arrays, meta)[0]
    bad["scale"] = bad["scale"][:-1]
    _refused("minirocket", bad, meta, "ridge weights")

    # the state claims another seed: its structure is not the one that seed gives
    _refused("minirocket", arrays, {**meta, "seed": meta["seed"] + 1})
    _refused("minirocket", arrays, {**meta, "n_timepoints": meta["n_timepoints"] * 2})

    for key in ("rocket.dilations", "scale", "coef", "intercept"):
        _refused(
            "minirocket",
            {k: v for k, v in arrays.items() if k != key},
            meta,
            "invalid MiniRocket state",
        )
    for key in ("seed", "n_kernels", "n_channels"):
        _refused(
            "minirocket",
            arrays,
            {k: v for k, v in meta.items() if k != key},
            "invalid MiniRocket state",
        )
