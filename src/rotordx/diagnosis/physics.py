"""Physics-only rules: what a machine's vibration says without a trained model.

The rules are the ones a vibration analyst applies to a machine nobody has
labelled data for, on the velocity spectrum (mm/s RMS) of every channel at
multiples (orders) of the running speed:

unbalance
    1x dominates radially: it carries at least half of the channel's
    velocity energy (1x ≥ 0.7 × overall), 2x stays below half of 1x, the
    higher harmonics are weak and, where a channel is known to be axial,
    its 1x stays below half of the radial 1x.
misalignment
    2x reaches half of 1x radially and carries a fifth of the energy, or an
    axial channel's 1x reaches half of the radial 1x.
looseness
    three or more harmonics (2x–10x) above a fifth of 1x, or half orders
    (0.5x, 1.5x, 2.5x) above a fifth of 1x.
bearing fault
    a defect frequency of the recording's bearing stands out in the envelope
    spectrum (:mod:`rotordx.features.envelope`).

Unbalance is named only when the vibration is significant: the worst
channel is in ISO 20816 zone C or D, or, against a healthy baseline of the
same machine, its velocity or an order is at least twice the baseline's (a
1x-dominant spectrum is what a healthy machine shows too). A misalignment or
looseness pattern, which a healthy machine does not show, is named from zone
B on (confidence at most 0.75 there). Without a channel known to be axial an
unbalance reading is at most :data:`NO_AXIAL_CAP` confident: a 1x-dominant
misalignment looks the same on radial channels.
Below that a machine whose spectrum has no bearing line is ``normal``;
significant vibration without a matching pattern, a running speed that
cannot be told from an electrical line, or two patterns of the same
strength give ``inconclusive``. The confidence is a number in [0, 1]: how
far the winning rule is past its threshold and ahead of the next one
(below :data:`MIN_CONFIDENCE` the verdict is ``inconclusive``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

from rotordx.classes import INCONCLUSIVE, NORMAL, bearing_verdict
from rotordx.diagnosis.result import Finding

__all__ = [
    "BASELINE_RATIO",
    "MIN_CONFIDENCE",
    "NO_AXIAL_CAP",
    "ChannelPhysics",
    "Judgement",
    "judge",
]

#: A verdict with less confidence than this is reported as inconclusive.
MIN_CONFIDENCE = 0.6
#: Against a baseline of the same machine, velocity (or an order) this many times the
#: baseline's is significant.
BASELINE_RATIO = 2.0
_ONE_SHARE = 0.7  # unbalance: 1x / overall (half of the energy)
_TWO_OF_ONE = 0.5  # 2x / 1x: misalignment above, unbalance below
_TWO_SHARE = 0.45  # misalignment: 2x / overall (a fifth of the energy)
_AXIAL_OF_RADIAL = 0.5  # axial 1x / radial 1x: misalignment above
_HARMONIC_OF_ONE = 0.2  # looseness: a harmonic or half order above a fifth of 1x
_N_HARMONICS = 3  # looseness: this many harmonics above that
_SIGNIFICANT_ZONES = ("C", "D")
_PATTERN_SIG = 0.7  # zone B's significance: enough to name misalignment or looseness
_ZONE_B_CAP = 0.75  # their confidence in zone B (acceptable vibration: a pattern to watch)
#: Confidence of an unbalance reading when no channel is known to be axial.
NO_AXIAL_CAP = 0.6


@dataclass(frozen=True)
class ChannelPhysics:
    """One channel's physics: velocity at each order and overall (mm/s RMS), severity."""

    name: str
    direction: str  # "horizontal", "vertical", "axial" or "" (unknown: taken as radial)
    orders: dict[float, float]  # order -> velocity mm/s RMS (NaN above Nyquist)
    vel_rms: float  # mm/s, 10-1000 Hz
    zone: str
    kurtosis: float
    crest: float

    @property
    def axial(self) -> bool:
        return self.direction == "axial"

    def order(self, k: float) -> float:
        v = self.orders.get(k, float("nan"))
        return 0.0 if math.isnan(v) else v


@dataclass
class Judgement:
    """The physics verdict: the fault named, every fault found, confidence and why."""

    verdict: str
    faults: list[str]
    confidence: float
    findings: list[Finding] = field(default_factory=list)


def _conf(strength: float) -> float:
    """Confidence of a rule ``strength`` times past its threshold (1 → 0.5, 2 → 0.82, 3 → 0.93)."""
    return 1.0 - 0.5 * math.exp(-1.2 * max(strength - 1.0, 0.0))


def _significance(
    chans: list[ChannelPhysics], baseline: list[ChannelPhysics] | None
) -> tuple[float, str]:
    """How significant the vibration is (≥ 1: significant) and why, in words."""
    worst = max(chans, key=lambda c: c.vel_rms)
    if baseline:
        base = {c.name: c for c in baseline}
        ratios = []
        for c in chans:
            b = base.get(c.name)
            if b is None:
                continue
            ratios.append((c.vel_rms / max(b.vel_rms, 1e-9), f"velocity at {c.name}"))
            for k in (1.0, 2.0):
                ratios.append(
                    (
                        c.order(k) / max(b.order(k), 1e-3 * max(b.vel_rms, 1e-9)),
                        f"{k:g}x at {c.name}",
                    )
                )
        r, what = max(ratios)
        return r / BASELINE_RATIO, f"{what} is {r:.1f}× the healthy baseline"
    zone_strength = {"A": 0.3, "B": 0.7, "C": 1.2, "D": 2.0}[worst.zone]
    return zone_strength, f"velocity {worst.vel_rms:.2f} mm/s at {worst.name}: zone {worst.zone}"


def _rotor_rules(chans: list[ChannelPhysics]) -> list[Finding]:
    """Findings of the rotor rules (unbalance, misalignment, looseness), strongest first.

    Orders set aside as electrical (NaN in ``orders``) count as absent.
    """
    radial = [c for c in chans if not c.axial] or chans
    axial = [c for c in chans if c.axial]
    r = max(radial, key=lambda c: c.order(1.0))  # the radial channel with the strongest 1x
    one, two, overall = r.order(1.0), r.order(2.0), max(r.vel_rms, 1e-9)
    harmonics = [r.order(float(k)) for k in range(2, 11)]
    halves = [r.order(k) for k in (0.5, 1.5, 2.5)]
    out = []
    ax_ratio = max((a.order(1.0) for a in axial), default=0.0) / max(one, 1e-9)
    # unbalance: 1x carries the energy, 2x and harmonics small, not axial
    s_one = (one / overall) / _ONE_SHARE
    if s_one >= 1 and two < _TWO_OF_ONE * one and (not axial or ax_ratio < _AXIAL_OF_RADIAL):
        cap = "" if axial else " (no axial channel known: misalignment cannot be ruled out)"
        out.append(
            Finding(
                "unbalance",
                r.name,
                f"1x dominates at {r.name}: {one:.2f} of {overall:.2f} mm/s, 2x/1x = "
                f"{two / max(one, 1e-9):.2f} → unbalance{cap}",
                s_one,
            )
        )
    # misalignment: strong 2x radially, or strong axial 1x
    s_two = min(two / max(one, 1e-9) / _TWO_OF_ONE, (two / overall) / _TWO_SHARE)
    s_ax = ax_ratio / _AXIAL_OF_RADIAL if axial else 0.0
    if max(s_two, s_ax) >= 1:
        why = (
            f"2x at {r.name} is {two / max(one, 1e-9):.2f} of 1x ({two:.2f} mm/s)"
            if s_two >= s_ax
            else f"axial 1x is {ax_ratio:.2f} of the radial 1x"
        )
        out.append(Finding("misalignment", r.name, f"{why} → misalignment", max(s_two, s_ax)))
    # looseness: many harmonics or half orders
    n_harm = sum(h >= _HARMONIC_OF_ONE * one for h in harmonics[1:])  # 3x … 10x
    half = max(halves) / max(one, 1e-9)
    s_loose = max(n_harm / _N_HARMONICS, half / _HARMONIC_OF_ONE)
    if s_loose >= 1:
        out.append(
            Finding(
                "looseness",
                r.name,
                f"at {r.name} {n_harm} harmonics (3x–10x) above {_HARMONIC_OF_ONE:.0%} of 1x, "
                f"half orders {half:.2f} of 1x → mechanical looseness",
                s_loose,
            )
        )
    return sorted(out, key=lambda f: -f.strength)


def judge(
    chans: list[ChannelPhysics],
    *,
    baseline: list[ChannelPhysics] | None = None,
    bearing: dict | None = None,
    speed_ambiguous: str = "",
    electrical: dict[float, float] | None = None,
) -> Judgement:
    """The physics verdict on one recording.

    Parameters
    ----------
    chans : list of ChannelPhysics
    baseline : list of ChannelPhysics, optional
        A healthy recording of the same machine (same channel names).
    bearing : dict, optional
        Envelope evidence (:func:`rotordx.features.defect_in_envelope`):
        ``significant``, ``fault``, ``score``, ``explanation``.
    speed_ambiguous : str
        Why the running speed is uncertain (empty when it is not): the
        order rules are then not trusted.
    electrical : dict, optional
        Orders that lie on an electrical line (order -> the line in Hz): their
        amplitudes are not read.
    """
    sig, sig_text = _significance(chans, baseline)
    electrical = electrical or {}
    if electrical:  # those orders cannot be told from an electrical line: not evidence
        chans = [
            replace(
                c, orders={k: (math.nan if k in electrical else v) for k, v in c.orders.items()}
            )
            for c in chans
        ]
    rotor = _rotor_rules(chans)
    findings: list[Finding] = []
    for k, line in sorted(electrical.items()):
        findings.append(
            Finding(
                "electrical",
                "",
                f"{k:g}x lies on the {line:g} Hz electrical line (twice the mains frequency or a "
                "multiple) within the spectrum's resolution: not read as a mechanical order",
                0.0,
            )
        )
    faults: list[str] = []
    if bearing is not None and bearing.get("significant"):
        part = bearing_verdict(bearing["fault"])
        needed = bearing.get("thresholds", {}).get("fundamental", 8.5)
        strength = float(bearing["snr"]) / max(float(needed), 1e-9)
        findings.append(Finding(part, "envelope", bearing["explanation"], strength))
        faults.append(part)
    elif bearing is not None:
        findings.append(Finding("bearing", "envelope", bearing["explanation"], 0.0))
    # unbalance needs significant vibration (zone C/D, or twice the baseline): a 1x-dominant
    # spectrum is what a healthy machine shows too. A misalignment or looseness pattern is
    # not what a healthy machine shows: it is named from zone B on (without a baseline)
    named_rotor = [
        f
        for f in rotor
        if sig >= 1 or (f.kind != "unbalance" and not baseline and sig >= _PATTERN_SIG)
    ]
    faults += [f.kind for f in named_rotor]
    findings += named_rotor
    findings.append(Finding("severity", "", sig_text, sig))
    if speed_ambiguous:
        findings.append(Finding("speed", "", speed_ambiguous, 0.0))
    named = [f for f in findings if f.kind in faults]
    if named:
        best = max(named, key=lambda f: f.strength)
        others = [f.strength for f in named if f is not best and f.kind != best.kind]
        conf = _conf(best.strength)
        if others:  # a second pattern of similar strength makes the first less certain
            conf *= 1.0 - 0.5 * min(max(others) / best.strength, 1.0)
        if best.kind in ("unbalance", "misalignment", "looseness"):
            conf = min(conf, _conf(sig) if sig >= 1 else _ZONE_B_CAP)
            if best.kind == "unbalance" and not any(c.axial for c in chans):
                # without an axial channel a 1x-dominant misalignment looks the same
                conf = min(conf, NO_AXIAL_CAP)
            if speed_ambiguous:
                conf = min(conf, 0.5)
        verdict = best.kind
    elif sig >= 1:  # significant vibration without a pattern
        verdict, conf = INCONCLUSIVE, 0.5
        findings.insert(
            0,
            Finding(
                INCONCLUSIVE,
                "",
                "the vibration is significant but matches no fault pattern of the rules",
                0.0,
            ),
        )
    else:
        verdict, conf = NORMAL, min(0.99, 1.0 - 0.5 * sig)
    if verdict != NORMAL and conf < MIN_CONFIDENCE and verdict != INCONCLUSIVE:
        findings.insert(
            0,
            Finding(
                INCONCLUSIVE,
                "",
                f"{verdict} is the best reading but its confidence {conf:.2f} is below "
                f"{MIN_CONFIDENCE:g}",
                0.0,
            ),
        )
        verdict = INCONCLUSIVE
    return Judgement(verdict, faults, round(float(conf), 4), findings)
