"""Physics features of rotating-machine vibration (numpy/scipy only).

Data are windows of shape ``(n_windows, n_channels, n_samples)`` or any
``(..., n_samples)`` with time on the last axis; the sample rate is always
the keyword ``fs`` (Hz); accelerations in m/s^2. See ``docs/features.md``.

Time domain
-----------
    time_features
    mean, rms, peak, peak_to_peak, crest_factor, kurtosis, skewness,
    impulse_factor, shape_factor, clearance_factor

Spectra
-------
    amplitude_spectrum
    envelope_spectrum
    velocity_rms
    spectral_centroid
    band_power_fraction

Orders
------
    estimate_running_speed
    order_amplitudes

Severity
--------
    SeverityThresholds
    SEVERITY_PRESETS
    ZONE_DESCRIPTIONS
    severity_zone

Bearings
--------
    BearingGeometry, BEARINGS (catalogue 6200-6212, 6300-6312), SKF_6205, FAG_6203,
    bearing_geometry
    defect_frequencies

Envelope analysis
-----------------
    kurtogram, select_band (the demodulation band from the signal)
    default_envelope_band
    bearing_envelope_features
    defect_scores (per window, at each window's bearing)
    bearing_evidence (which defect line family stands out, and is it evidence)
    strongest_defect, defect_in_envelope

Profiles
--------
    EXPLAIN_ORDERS
    order_profile, healthy_baseline

Feature vector
--------------
    extract_features
"""

from rotordx.features.bearing import (
    BEARINGS,
    FAG_6203,
    SKF_6205,
    BearingGeometry,
    bearing_geometry,
    defect_frequencies,
)
from rotordx.features.bearing_evidence import bearing_evidence
from rotordx.features.bearing_scores import defect_scores
from rotordx.features.envelope import (
    bearing_envelope_features,
    default_envelope_band,
    defect_in_envelope,
    strongest_defect,
)
from rotordx.features.extract import extract_features
from rotordx.features.kurtogram import kurtogram, select_band
from rotordx.features.orders import DEFAULT_ORDERS, estimate_running_speed, order_amplitudes
from rotordx.features.profile import EXPLAIN_ORDERS, healthy_baseline, order_profile
from rotordx.features.severity import (
    SEVERITY_PRESETS,
    ZONE_DESCRIPTIONS,
    SeverityThresholds,
    severity_zone,
)
from rotordx.features.spectral import (
    amplitude_spectrum,
    band_power_fraction,
    envelope_spectrum,
    spectral_centroid,
    velocity_rms,
)
from rotordx.features.time import (
    TIME_FEATURE_NAMES,
    clearance_factor,
    crest_factor,
    impulse_factor,
    kurtosis,
    mean,
    peak,
    peak_to_peak,
    rms,
    shape_factor,
    skewness,
    time_features,
)

__all__ = [
    "BEARINGS",
    "DEFAULT_ORDERS",
    "EXPLAIN_ORDERS",
    "FAG_6203",
    "SEVERITY_PRESETS",
    "SKF_6205",
    "TIME_FEATURE_NAMES",
    "ZONE_DESCRIPTIONS",
    "BearingGeometry",
    "SeverityThresholds",
    "amplitude_spectrum",
    "band_power_fraction",
    "bearing_envelope_features",
    "bearing_evidence",
    "bearing_geometry",
    "clearance_factor",
    "crest_factor",
    "default_envelope_band",
    "defect_frequencies",
    "defect_in_envelope",
    "defect_scores",
    "envelope_spectrum",
    "estimate_running_speed",
    "extract_features",
    "healthy_baseline",
    "impulse_factor",
    "kurtogram",
    "kurtosis",
    "mean",
    "order_amplitudes",
    "order_profile",
    "peak",
    "peak_to_peak",
    "rms",
    "select_band",
    "severity_zone",
    "shape_factor",
    "skewness",
    "spectral_centroid",
    "strongest_defect",
    "time_features",
    "velocity_rms",
]
