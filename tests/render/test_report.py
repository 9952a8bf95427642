"""Texts of the HTML report (``rotordx.render.report``)."""

from __future__ import annotations

import pytest

from rotordx.render.report import describe_feature


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("s2_order_1x", "sensor 2: 1x amplitude (m/s²)"),
        ("s1_ratio_2x_1x", "sensor 1: 2x / 1x amplitude ratio"),
        ("s4_bandfrac_62.5_125hz", "sensor 4: power share 62.5–125 Hz"),
        ("s3_kurtosis", "sensor 3: kurtosis (impulsiveness, 3 = Gaussian)"),
        ("speed_hz", "estimated running speed (Hz)"),
        ("something_else", "something_else"),
    ],
)
def test_describe_feature(name, text):
    assert describe_feature(name) == text
