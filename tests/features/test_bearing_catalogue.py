"""The bearing catalogue: 6200-6212 and 6300-6312, the rigs' exact bearings, and the
spellings and explicit geometries :func:`bearing_geometry` reads.

Provenance (docs/data.md, "Bearing catalogue"): the boundary dimensions and the load
ratings of the TPI catalogue; ball counts and diameters that reproduce those ratings by
ISO 281; the published CWRU and Paderborn geometries kept exactly.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from rotordx.exceptions import ParameterError
from rotordx.features.bearing import (
    BEARINGS,
    FAG_6203,
    SKF_6203,
    SKF_6205,
    BearingGeometry,
    bearing_geometry,
    defect_multipliers,
)

#: Basic dynamic load ratings Cr (N) of the TPI catalogue "Single-row deep groove ball
#: bearings", CAT. NO. 2202/TE, pp. 26-30: the catalogue's ball counts and diameters must
#: reproduce them by ISO 281:2007 (docs/data.md, "Bearing catalogue").
TPI_CR = {
    "6200": 5100, "6201": 6100, "6202": 7750, "6203": 9600, "6204": 12800, "6205": 14000,
    "6206": 19500, "6207": 25700, "6208": 29100, "6209": 32500, "6210": 35000,
    "6211": 43500, "6212": 52500, "6300": 8200, "6301": 9700, "6302": 11400,
    "6303": 13500, "6304": 15900, "6305": 21200, "6306": 26700, "6307": 33500,
    "6308": 40500, "6309": 53000, "6310": 62000, "6311": 71500, "6312": 82000,
}  # fmt: skip
#: ISO 281:2007 Table 2, fc for single-row radial ball bearings against Dw cos(a) / Dpw.
_FC_X = [0.05, 0.06, 0.07, 0.08, 0.09, 0.10, 0.12, 0.14, 0.16, 0.18, 0.20, 0.22, 0.24, 0.26,
         0.28, 0.30, 0.32, 0.34, 0.36, 0.38, 0.40]  # fmt: skip
_FC_Y = [46.7, 49.1, 51.1, 52.8, 54.3, 55.5, 57.5, 58.8, 59.6, 59.9, 59.9, 59.6, 59.0, 58.2,
         57.1, 56.0, 54.6, 53.2, 51.7, 50.0, 48.4]  # fmt: skip


def _iso281_cr(g: BearingGeometry) -> float:
    mm = 25.4 if g.pitch_diameter < 5 else 1.0  # the CWRU geometries are in inches
    dw, dpw = g.ball_diameter * mm, g.pitch_diameter * mm
    return 1.3 * np.interp(dw / dpw, _FC_X, _FC_Y) * g.n_balls ** (2 / 3) * dw**1.8


def test_catalogue_holds_6200_to_6212_and_6300_to_6312():
    for series in ("62", "63"):
        for bore in range(13):
            name = f"{series}{bore:02d}"
            g = bearing_geometry(name)
            assert g is BEARINGS[name] and g.name == name and g.contact_angle_deg == 0.0
    assert {"SKF_6205", "SKF_6203", "FAG_6203"} <= set(BEARINGS)


def test_catalogue_reproduces_the_manufacturers_load_ratings():
    for name, cr in TPI_CR.items():
        assert _iso281_cr(BEARINGS[name]) == pytest.approx(cr, rel=0.01), name


def test_published_geometries_are_kept_exactly():
    assert (SKF_6205.n_balls, SKF_6205.ball_diameter, SKF_6205.pitch_diameter) == (9, 0.3126, 1.537)
    assert (FAG_6203.n_balls, FAG_6203.ball_diameter, FAG_6203.pitch_diameter) == (8, 6.75, 28.55)
    # CWRU's fan-end SKF 6203: the multiples CWRU lists (inner 4.9469, outer 3.0530)
    m = defect_multipliers(SKF_6203)
    assert m["bpfi"] == pytest.approx(4.9469, abs=2e-4)
    assert m["bpfo"] == pytest.approx(3.0530, abs=2e-4)
    # the plain numbers use the published designs
    assert defect_multipliers(bearing_geometry("6205")) == defect_multipliers(SKF_6205)
    assert defect_multipliers(bearing_geometry("6203")) == defect_multipliers(FAG_6203)


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("6205", "6205"),
        ("SKF 6205", "SKF 6205"),
        ("SKF_6205", "SKF 6205"),
        ("skf-6205", "SKF 6205"),
        ("6205-2RS", "6205"),
        ("6205-2RS1/C3", "6205"),
        ("6205ZZ", "6205"),
        ("SKF 6205-2RS JEM", "SKF 6205"),
        ("FAG 6203", "FAG 6203"),
        ("NSK 6206 2Z", "6206"),  # no maker-specific entry: the catalogue's 6206
        ("  6312  ", "6312"),
    ],
)
def test_bearing_names_in_their_usual_spellings(text, name):
    assert bearing_geometry(text).name == name


def test_geometry_as_numbers():
    g = bearing_geometry("8:0.235:1.245:0")
    assert (g.n_balls, g.ball_diameter, g.pitch_diameter, g.contact_angle_deg) == (
        8,
        0.235,
        1.245,
        0,
    )
    assert bearing_geometry("9 : 7.94 : 39.04").contact_angle_deg == 0.0
    assert bearing_geometry("12:10:50:15").ratio == pytest.approx(0.2 * math.cos(math.radians(15)))
    assert bearing_geometry(SKF_6205) is SKF_6205


@pytest.mark.parametrize(
    ("value", "match"),
    [
        ("banana", "known: 6200, 6201"),
        ("7205", "balls:ball_diameter:pitch_diameter"),
        ("8:a:1.2:0", "needs numbers"),
        ("8:1.3:1.2:0", "pitch_diameter"),
        ("0:0.2:1.2", "n_balls"),
        (6205, "catalogue name"),
    ],
)
def test_unknown_or_bad_bearings_raise(value, match):
    with pytest.raises(ParameterError, match=match):
        bearing_geometry(value)
