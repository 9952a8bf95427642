"""The fleet snapshot simulator: machines, determinism and the physics each state claims."""

from __future__ import annotations

import math

import numpy as np
import pytest

from rotordx.classes import FLEET_CLASSES, NORMAL
from rotordx.exceptions import ParameterError
from rotordx.features import (
    amplitude_spectrum,
    defect_frequencies,
    envelope_spectrum,
    estimate_running_speed,
    order_amplitudes,
    severity_zone,
    strongest_defect,
    velocity_rms,
)
from rotordx.features.bearing import bearing_geometry
from rotordx.features.orders import MAINS_HZ
from rotordx.simulate import (
    FLEET_BEARINGS,
    FleetConfig,
    bearing_label,
    fleet_machines,
    simulate_fleet,
)
from rotordx.simulate.faults import RATES, G

H, V, A = 0, 1, 2
PER_CLASS = 3


@pytest.fixture(scope="module")
def fleet():
    """Five machines (one of each drive position), three snapshots of every state each."""
    snaps = simulate_fleet(
        FleetConfig(machines=5, snapshots=PER_CLASS * len(FLEET_CLASSES)), seed=0
    )
    by: dict[tuple[str, str], list] = {}
    for s in snaps:
        by.setdefault((s.machine.id, s.label), []).append(s)
    return snaps, by


def _orders(snap, orders):
    """Order amplitudes (m/s^2) of the three channels at the snapshot's true speed."""
    return order_amplitudes(snap.acceleration(), fs=snap.fs, speed_hz=snap.rpm / 60, orders=orders)


def _vrms(snap):
    return velocity_rms(snap.acceleration(), fs=snap.fs)


def _machines(fleet):
    return sorted({s.machine.id for s in fleet[0]})


# ----------------------------------------------------------------------------- machines


def test_machines_cover_the_drives_units_rates_and_bearings():
    machines = fleet_machines(FleetConfig(machines=40), seed=7)
    assert [m.id for m in machines[:3]] == ["M01", "M02", "M03"]
    assert {m.kind for m in machines[:5]} == {"2-pole", "4-pole", "variable"}
    for m in machines:
        sync = 120.0 * m.mains_hz / m.poles if m.poles else None
        if m.kind == "2-pole":
            assert 0.0035 <= m.slip <= 0.007 and m.rpm == pytest.approx(sync * (1 - m.slip))
        elif m.kind == "4-pole":
            assert 0.007 <= m.slip <= 0.03 and m.rpm == pytest.approx(sync * (1 - m.slip))
        else:
            assert 900.0 <= m.rpm <= 3600.0
        assert m.fs in RATES and m.resonance_hz < 0.8 * m.fs / 2
        if m.fs >= 10240:
            assert 2000.0 <= m.resonance_hz <= 5000.0
        assert m.bearing in FLEET_BEARINGS and m.bearing.contact_angle_deg == 0.0
    assert {m.mains_hz for m in machines} == {50.0, 60.0}
    assert {m.units for m in machines} == {"g", "m/s2"}
    assert sum(m.units == "g" for m in machines) > len(machines) / 2
    assert sum(m.speed_known for m in machines) == len(machines) // 2
    assert len({m.fs for m in machines}) > 1 and len({m.bearing.name for m in machines}) > 1


def test_bearing_names_and_geometry_strings():
    names = [bearing_label(b) for b in FLEET_BEARINGS]
    assert names[:4] == ["6205", "6206", "6308", "6310"]
    assert names[4] == "8:7.92:34.55:0"
    # the 6205 is the CWRU drive-end bearing: BPFO 3.585 x, BPFI 5.415 x shaft speed
    d = defect_frequencies(1.0, FLEET_BEARINGS[0])
    assert d["bpfo"] == pytest.approx(3.585, abs=2e-3) and d["bpfi"] == pytest.approx(5.415, 2e-3)


def test_fleet_bearings_are_the_catalogue_s():
    # the manifest names them: a diagnosis reads the catalogue's geometry, so the defect
    # frequencies the simulator rings at must be the catalogue's (to 0.1 %)
    for b in FLEET_BEARINGS[:4]:
        ours = defect_frequencies(1.0, b)
        theirs = defect_frequencies(1.0, bearing_geometry(bearing_label(b)))
        for k in ("bpfo", "bpfi", "bsf", "ftf"):
            assert ours[k] == pytest.approx(theirs[k], rel=1e-3), (b.name, k)
    # and the geometry string of the one it does not know reads back to the same bearing
    custom = bearing_geometry(bearing_label(FLEET_BEARINGS[4]))
    assert defect_frequencies(1.0, custom) == pytest.approx(
        defect_frequencies(1.0, FLEET_BEARINGS[4])
    )


def test_snapshot_speeds_vary_within_half_a_percent(fleet):
    for s in fleet[0]:
        assert abs(s.rpm / s.machine.rpm - 1.0) <= 0.005 + 0.001  # + the grid's 0.1 %


# ----------------------------------------------------------------------------- layout


def test_layout_units_and_names(fleet):
    snaps, _ = fleet
    assert len(snaps) == 5 * PER_CLASS * len(FLEET_CLASSES)
    for s in snaps:
        assert s.signals.shape == (3, round(0.5 * s.fs)) and s.signals.dtype == np.float64
        assert np.isfinite(s.signals).all()
        assert s.name == f"{s.machine.id}_{s.label}_{s.index:03d}"
        assert s.path("parquet") == f"{s.machine.id}/{s.name}.parquet"
        scale = G if s.machine.units == "g" else 1.0
        np.testing.assert_array_equal(s.acceleration(), s.signals * scale)
    labels = [s.label for s in snaps if s.machine.id == "M01"]
    assert labels[: len(FLEET_CLASSES)] == list(FLEET_CLASSES)  # the states take turns


def test_units_are_physical(fleet):
    # a g machine's numbers are accelerations / 9.81: its velocity is a plausible one
    # only after conversion
    snaps, by = fleet
    g_machine = next(s.machine for s in snaps if s.machine.units == "g")
    snap = by[(g_machine.id, "unbalance")][0]
    raw = velocity_rms(snap.signals, fs=snap.fs)[H]
    assert 2.8 <= raw * G <= 8.0 and raw < 1.0


# ----------------------------------------------------------------------------- determinism


def test_same_seed_same_numbers_other_seed_other_numbers():
    cfg = FleetConfig(machines=2, snapshots=3, seconds=0.25)
    a, b = simulate_fleet(cfg, seed=4), simulate_fleet(cfg, seed=4)
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x.signals, y.signals)
        assert x.rpm == y.rpm
    c = simulate_fleet(cfg, seed=5)
    assert not np.array_equal(a[0].signals, c[0].signals)


def test_more_snapshots_machines_or_states_leave_the_others_unchanged():
    small = simulate_fleet(FleetConfig(machines=2, snapshots=7, seconds=0.25), seed=1)
    big = simulate_fleet(FleetConfig(machines=3, snapshots=14, seconds=0.25), seed=1)
    only = simulate_fleet(
        FleetConfig(machines=2, snapshots=2, seconds=0.25, classes=("looseness",)), seed=1
    )
    index = {s.name: s for s in big}
    for s in small:
        np.testing.assert_array_equal(s.signals, index[s.name].signals)
    assert [s.name for s in only] == [f"M0{i}_looseness_00{k}" for i in (1, 2) for k in (0, 1)]
    for s in only:
        np.testing.assert_array_equal(s.signals, index[s.name].signals)


# ----------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"machines": 0}, "machines"),
        ({"machines": 100}, "machines"),
        ({"machines": 2.0}, "machines"),
        ({"snapshots": True}, "snapshots"),
        ({"snapshots": 0}, "snapshots"),
        ({"seconds": 0.0}, "seconds"),
        ({"seconds": math.nan}, "seconds"),
        ({"seconds": "1"}, "seconds"),
        ({"classes": ()}, "classes"),
        ({"classes": "normal"}, "classes"),
        ({"classes": ("normal", "normal")}, "classes"),
        ({"classes": ("normal", "type1")}, "classes"),
    ],
)
def test_bad_config(kwargs, name):
    with pytest.raises(ParameterError, match=rf"FleetConfig\.{name} must be"):
        FleetConfig(**kwargs)


@pytest.mark.parametrize("seed", [-1, 1.5, True, "0"])
def test_bad_seed(seed):
    with pytest.raises(ParameterError, match="seed must be a non-negative integer"):
        simulate_fleet(FleetConfig(machines=1, snapshots=1), seed=seed)


def test_config_is_normalised():
    cfg = FleetConfig(machines=np.int64(2), seconds=1, classes=["normal", "looseness"])
    assert cfg.machines == 2 and type(cfg.machines) is int and cfg.seconds == 1.0
    assert cfg.classes == ("normal", "looseness") and cfg.total == 40
    with pytest.raises(ParameterError, match="config must be a FleetConfig"):
        simulate_fleet({"machines": 1}, seed=0)


# ----------------------------------------------------------------------------- physics


def test_healthy_machines_are_in_zone_a(fleet):
    snaps, _ = fleet
    for s in snaps:
        if s.label == NORMAL:
            assert severity_zone(float(_vrms(s)[:2].max())) == "A"


def test_unbalance_is_a_strong_radial_1x_90_degrees_apart(fleet):
    _snaps, by = fleet
    for mid in _machines(fleet):
        healthy = max(float(_vrms(s)[:2].max()) for s in by[(mid, NORMAL)])
        for s in by[(mid, "unbalance")]:
            o = _orders(s, (1.0, 2.0, 3.0))
            assert (o[H, 0] > 3 * o[H, 1:]).all() and (o[V, 0] > 3 * o[V, 1:]).all()
            assert 0.6 <= o[V, 0] / o[H, 0] <= 1.1  # similar size horizontally and vertically
            assert o[A, 0] < 0.25 * o[H, 0]  # small axially
            vr = _vrms(s)
            assert vr[:2].max() > 3 * healthy and severity_zone(float(vr[:2].max())) in "CD"
            # phase of 1x at the true speed: vertical lags or leads by about 90 degrees
            x = s.acceleration()[:2]
            t = np.arange(x.shape[1]) / s.fs
            ph = np.angle(x @ np.exp(-2j * np.pi * s.rpm / 60 * t))
            lag = abs((np.degrees(ph[1] - ph[0]) + 180.0) % 360.0 - 180.0)
            assert 70.0 <= lag <= 110.0


def test_misalignment_is_2x_above_1x_and_a_strong_axial(fleet):
    _, by = fleet
    for mid in _machines(fleet):
        for s in by[(mid, "misalignment")]:
            o = _orders(s, (1.0, 2.0))
            assert o[H, 1] >= o[H, 0] and o[V, 1] >= o[V, 0]
            # velocity (mm/s): 2x at least comparable to 1x, as an analyst reads it
            assert o[H, 1] / 2 >= 0.75 * o[H, 0]
            assert o[A, 0] >= 0.5 * o[H, 0] and o[A, 1] >= 0.4 * o[H, 1]
            assert severity_zone(float(_vrms(s)[:2].max())) in "BCD"
        for s in by[(mid, NORMAL)] + by[(mid, "unbalance")]:
            o = _orders(s, (1.0,))
            assert o[A, 0] < 0.5 * o[H, 0]


def test_looseness_has_half_orders_many_harmonics_in_one_direction(fleet):
    _snaps, by = fleet
    orders = (0.5, 1.5, 2.5, *range(2, 11))
    for mid in _machines(fleet):
        m = by[(mid, NORMAL)][0].machine
        d, other = m.loose_direction, 1 - m.loose_direction
        base = np.mean([_orders(s, orders)[d] for s in by[(mid, NORMAL)]], axis=0)
        for s in by[(mid, "looseness")]:
            o = _orders(s, orders)[d]
            assert (o[:3] > 5 * base[:3]).all(), (s.name, o[:3], base[:3])  # 0.5x 1.5x 2.5x
            assert (o[3:] > 3 * base[3:]).sum() >= 6  # most of 2x .. 10x
            vr = _vrms(s)
            assert vr[d] > 2 * vr[other] and severity_zone(float(vr[d])) in "BCD"


@pytest.mark.parametrize(
    "label, defect, multiple",
    [
        ("bearing_outer_race", "bpfo", 1),
        ("bearing_inner_race", "bpfi", 1),
        ("bearing_ball", "bsf", 2),
    ],
)
def test_bearing_defects_show_in_the_envelope_of_the_resonance_band(fleet, label, defect, multiple):
    _, by = fleet
    for mid in _machines(fleet):
        for s, healthy in zip(by[(mid, label)], by[(mid, NORMAL)], strict=True):
            m, fr = s.machine, s.rpm / 60
            band = (0.7 * m.resonance_hz, min(1.3 * m.resonance_hz, 0.45 * s.fs))
            target = multiple * defect_frequencies(fr, m.bearing)[defect]
            near = []
            for snap in (s, healthy):
                f, env = envelope_spectrum(
                    snap.acceleration()[V], fs=s.fs, band=band, nfft=4 * 4096
                )
                win = np.abs(f - target) <= 0.03 * target
                near.append(env[win].max() / np.median(env[(f > 5) & (f < s.fs / 4)]))
            assert near[0] > 10 and near[0] > 3 * near[1], (s.name, near)
            if defect != "bpfi":  # (see below for the inner race)
                found = strongest_defect(
                    s.acceleration()[V], fs=s.fs, shaft_hz=fr, geometry=m.bearing, band=band,
                    segment=None,
                )  # fmt: skip
                f_defect = defect_frequencies(fr, m.bearing)[defect]
                on_mains = any(
                    abs(k * s.mains_hz - f_defect) <= 0.5 for k in range(1, 5)
                )  # (e.g. BSF of a 6308 at 1777 rpm is 60.4 Hz: on a 60 Hz line)
                if on_mains:  # not assessable: the detector must not name a fault from it
                    assert not found["significant"], (s.name, found["explanation"])
                else:
                    assert found["defect"] == defect, (s.name, found["explanation"])


def test_inner_race_impacts_are_modulated_at_1x(fleet):
    # the load zone modulates the impacts at 1x: sidebands at BPFI +- 1x and lines at
    # multiples of 1x in the envelope. (On the 8-ball bearings BSF is within 4 % of 2x,
    # so a detector that scores BSF by its harmonics may pick it: the 1x lines are there.)
    _, by = fleet
    for mid in _machines(fleet):
        for s in by[(mid, "bearing_inner_race")]:
            m, fr = s.machine, s.rpm / 60
            band = (0.7 * m.resonance_hz, min(1.3 * m.resonance_hz, 0.45 * s.fs))
            f, env = envelope_spectrum(s.acceleration()[V], fs=s.fs, band=band, nfft=4 * 4096)
            floor = np.median(env[(f > 5) & (f < s.fs / 4)])
            bpfi = defect_frequencies(fr, m.bearing)["bpfi"]
            for side in (bpfi - fr, bpfi + fr, fr):
                assert env[np.abs(f - side) <= 0.02 * side].max() > 5 * floor


def test_bearing_faults_leave_the_iso_velocity_in_zone_a(fleet):
    # impacts ring at 1.1-5 kHz, above the 10-1000 Hz band of the velocity RMS:
    # early bearing damage does not show in ISO 20816 zones (the envelope finds it)
    snaps, _ = fleet
    for s in snaps:
        if s.label.startswith("bearing_"):
            assert severity_zone(float(_vrms(s)[:2].max())) == "A"


def test_electrical_line_at_twice_mains_within_1_hz_of_2x_on_2_pole_motors():
    snaps = simulate_fleet(FleetConfig(machines=4, snapshots=2, seconds=4.0), seed=2)
    for s in snaps:
        m = s.machine
        if m.kind == "2-pole":
            assert abs(2 * s.mains_hz - 2 * s.rpm / 60) < 1.0
        f, amp = amplitude_spectrum(s.acceleration()[H], fs=s.fs, nfft=4 * s.signals.shape[1])
        line = amp[np.abs(f - 2 * s.mains_hz) < 0.1].max()
        assert line > 10 * np.median(amp[(f > 10) & (f < 500)])
        if m.kind == "4-pole":  # far from any order: the line alone, at its set level
            expected = 2 * np.pi * 2 * s.mains_hz * m.electrical * 1e-3  # m/s^2
            assert 0.7 * expected <= line <= 1.3 * expected


def test_speed_estimates_with_mains_rejection(fleet):
    # 4-pole and variable-speed machines: the speed is read from the unbalanced vibration;
    # on a 2-pole motor 1x sits within a few tenths of a Hz of the mains frequency, inside
    # the band a mains-aware estimator must reject in a 0.5 s snapshot (the speed needs
    # the manifest's rpm or a longer recording there)
    snaps, _ = fleet
    for s in snaps:
        fr = s.rpm / 60
        near_mains = any(
            abs(k * fr - j * m) < 3.0 for k in (1, 2) for m in MAINS_HZ for j in (1, 2)
        )
        if s.label == "unbalance" and not near_mains:
            est = float(estimate_running_speed(s.acceleration(), fs=s.fs, mains_hz=MAINS_HZ))
            assert est == pytest.approx(s.rpm / 60, rel=0.01)
