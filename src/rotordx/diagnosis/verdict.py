"""From what a :class:`~rotordx.diagnosis.engine.Diagnoser` gathered to a Diagnosis.

Both ways of diagnosing end here: the physics' reading
(:func:`rotordx.diagnosis.physics.judge`) is always made; with a model, the
verdict is the model's class (``inconclusive`` below its calibrated
confidence) and the physics says whether it agrees — for the KAMP testbed's
classes against the model's healthy baseline
(:func:`rotordx.diagnosis.rules.interpret_orders`), for bearing classes from
the envelope.
"""

from __future__ import annotations

import math

import numpy as np

from rotordx.classes import BEARING_FAULTS, INCONCLUSIVE, KAMP_CLASSES, NORMAL, meaning
from rotordx.diagnosis.physics import ChannelPhysics, judge
from rotordx.diagnosis.result import Diagnosis, Finding
from rotordx.diagnosis.rules import BASELINE_FACTOR, interpret_orders, physics_verdict
from rotordx.features.envelope import defect_in_envelope
from rotordx.features.orders import MAINS_HZ, electrical
from rotordx.features.profile import order_label
from rotordx.features.severity import severity_zone
from rotordx.models.baseline import BASELINE_CLASSES, DEPARTURE

__all__ = ["assemble", "channel_physics"]

#: A speed (or its 2x) this close to a mains multiple cannot be told from an electrical line
#: in a spectrum coarser than the engine's long frames, in Hz.
AMBIGUOUS_HZ = 1.0


def _velocity(acc: float, order: float, speed_hz: float) -> float:
    """Velocity RMS (mm/s) of an acceleration line of amplitude ``acc`` (m/s² peak)."""
    if not math.isfinite(acc) or order * speed_hz <= 0:
        return float("nan")
    return acc / (2 * math.pi * order * speed_hz) * 1000.0 / math.sqrt(2.0)


def channel_physics(d, prof: dict, zones) -> list[ChannelPhysics]:
    """The per-channel physics the rules read (velocity at each order)."""
    dirs = d.context.directions or ("",) * len(d.channel_names)
    out = []
    for j, name in enumerate(d.channel_names):
        orders = {
            o: _velocity(float(prof["orders"][j, i]), o, prof["speed_hz"])
            for i, o in enumerate(d.phys.order_list)
        }
        out.append(
            ChannelPhysics(
                name=name,
                direction=dirs[j],
                orders=orders,
                vel_rms=float(prof["vel_rms"][j]),
                zone=str(zones[j]),
                kurtosis=float(prof["kurtosis"][j]),
                crest=float(prof["crest"][j]),
            )
        )
    return out


def _speed(d, speed_hz: float) -> tuple[str, str]:
    """Where the speed came from, and why it is ambiguous (empty if it is not)."""
    ctx = d.context
    if ctx.rpm:
        return ctx.rpm_source or "given", ""
    if d.phys.mains_hz:
        return "estimated (electrical lines at multiples of 50/60 Hz set aside)", ""
    near = electrical(np.array([speed_hz, 2 * speed_hz]), MAINS_HZ, AMBIGUOUS_HZ)
    if d.model is None and near.any():
        return "estimated", (
            f"the running speed {speed_hz:.2f} Hz (or its 2x) lies within {AMBIGUOUS_HZ:g} Hz "
            f"of an electrical line (a multiple of 50/60 Hz) and the recording "
            f"({d.tape.total / d.fs:.2g} s) is too short to tell them apart: give the rpm"
        )
    return "estimated", ""


def _electrical_orders(d, speed_hz: float) -> dict[float, float]:
    """Orders (2x and up) within the spectrum's resolution of an electrical line.

    Induction motors vibrate at twice the mains frequency (the magnetic pull
    of each pole pair) and its multiples: 100, 200 … Hz on 50 Hz mains, 120,
    240 … Hz on 60 Hz. On a 2-pole motor 2x lies within a hertz of it. An
    order closer to such a line than the Hann window's main lobe (two bins of
    the physics windows) cannot be told from it.
    """
    lobe = 2.0 * d.fs / d.window
    out = {}
    for k in d.phys.order_list:
        if k < 2:
            continue
        f = k * speed_hz
        for mains in MAINS_HZ:
            line = 2 * mains * max(1, round(f / (2 * mains)))
            if abs(f - line) <= lobe:
                out[float(k)] = float(line)
    return out


def _bearing(d, speed_hz: float, channels: range) -> dict | None:
    """The strongest envelope evidence among ``channels`` (None without a bearing)."""
    env = d.envelope()
    if env is None:
        return None
    amp, df, band = env
    best = None
    for j in channels:
        e = defect_in_envelope(
            amp[j], df=df, fs=d.fs, band=band, shaft_hz=speed_hz, geometry=d.geometry
        )
        e["channel"] = d.channel_names[j]
        if best is None or e["score"] > best["score"]:
            best = e
    return best


def _segments(d, classes) -> tuple[np.ndarray, list[dict]]:
    proba = np.concatenate(d.proba)
    labels, top = proba.argmax(axis=1), proba.max(axis=1)
    segments = [
        {
            "start_s": i * d.window / d.fs,
            "end_s": (i + 1) * d.window / d.fs,
            "label": classes[int(c)],
            "probability": float(p),
        }
        for i, (c, p) in enumerate(zip(labels, top, strict=True))
    ]
    return proba.mean(axis=0), segments


def _kamp_findings(d, prof: dict, sensors: list[dict]) -> list[Finding]:
    """The KAMP rules against the model's healthy baseline (also fills ``vs_baseline``)."""
    base = d.model.input.get("baseline")
    findings: list[Finding] = []
    for j, s in enumerate(sensors):
        b = {key: vals[j] for key, vals in base["orders"].items()} if base else None
        s["vs_baseline"] = (
            {key: s["orders"][key] / max(v, 1e-12) for key, v in b.items()} if b else None
        )
        if not d.bearing:  # the rotor rules; a bearing model reads the envelope instead
            findings += interpret_orders(
                s["orders"],
                sensor=s["name"],
                baseline=b,
                kurtosis=float(prof["kurtosis"][j]),
                baseline_kurtosis=base["kurtosis"][j] if base else None,
            )
    findings.sort(key=lambda f: -f.strength)
    if not findings and not d.bearing:
        findings.append(
            Finding(
                "normal",
                "all sensors",
                f"no order (0.5x–3x) exceeds {BASELINE_FACTOR:g}x the healthy baseline and "
                "no impacts"
                if base
                else "no fault pattern in the order spectrum",
                0.0,
            )
        )
    return findings


def _departure(d, mean_p: np.ndarray, segments: list[dict], phys, common: dict) -> Diagnosis:
    """A healthy-baseline model's diagnosis: normal, or the departure named by the physics."""
    p_normal, p_departure = float(mean_p[0]), float(mean_p[1])
    n_windows = len(segments)
    departing = sum(s["label"] == DEPARTURE for s in segments)
    findings = list(phys.findings)
    text = (
        f"{departing} of {n_windows} windows depart from the healthy baseline "
        f"(mean probability {p_departure:.2f})"
    )
    if p_departure < 0.5:
        verdict, confidence = NORMAL, p_normal
        findings.insert(0, Finding("baseline", "", f"like the healthy baseline: {text}", 0.0))
    elif phys.verdict in (NORMAL, INCONCLUSIVE):
        verdict, confidence = INCONCLUSIVE, p_departure
        findings.insert(
            0,
            Finding(
                "baseline",
                "",
                f"{text}, but the departure matches no fault pattern of the physics rules",
                p_departure,
            ),
        )
    else:
        verdict, confidence = phys.verdict, min(p_departure, phys.confidence)
        findings.insert(0, Finding("baseline", "", f"{text}; the physics names it", p_departure))
    model = {
        "name": d.model.model_name,
        "class": DEPARTURE if p_departure >= 0.5 else NORMAL,
        "probability": max(p_normal, p_departure),
        "class_probabilities": {NORMAL: p_normal, DEPARTURE: p_departure},
        "segments": segments,
        "physics_verdict": phys.verdict,
        "physics_agrees": (phys.verdict == NORMAL) == (p_departure < 0.5),
    }
    return Diagnosis(
        verdict=verdict,
        meaning=meaning(verdict),
        confidence=confidence,
        faults=phys.faults,
        findings=findings,
        model=model,
        **common,
    )


def assemble(d) -> Diagnosis:
    """The Diagnosis of a diagnoser after its last pass."""
    ctx = d.context
    prof = d.phys.profile()
    speed = float(prof["speed_hz"])
    zones = severity_zone(prof["vel_rms"], thresholds=ctx.thresholds)
    chans = channel_physics(d, prof, zones)
    rpm_source, ambiguous = _speed(d, speed)
    sensors = [
        {
            "name": c.name,
            "direction": c.direction,
            "orders": {
                order_label(o): float(prof["orders"][j, i]) for i, o in enumerate(d.phys.order_list)
            },
            "velocity_orders_mm_s": {order_label(o): v for o, v in c.orders.items()},
            "vel_rms_mm_s": c.vel_rms,
            "zone": c.zone,
            "kurtosis": c.kurtosis,
            "crest": c.crest,
        }
        for j, c in enumerate(chans)
    ]
    worst = max(sensors, key=lambda s: s["vel_rms_mm_s"])
    severity = {
        "velocity_rms_mm_s": worst["vel_rms_mm_s"],
        "zone": worst["zone"],
        "channel": worst["name"],
        "thresholds": ctx.thresholds,
    }
    one_class = d.model is not None and tuple(d.model.classes) == BASELINE_CLASSES
    baseline = None
    reference = ctx.baseline if d.model is None or ctx.baseline else None
    if one_class and reference is None:  # a healthy-baseline model carries its machine's physics
        reference = d.model.input.get("physics_baseline")
    if reference:
        baseline = [ChannelPhysics(**c) for c in reference["channels"]]
    if d.model is not None and not one_class:
        bearing = _bearing(d, speed, range(1))  # the model's bearing evidence: first channel
    else:
        bearing = _bearing(d, speed, range(len(d.channel_names)))
    phys = judge(
        chans,
        baseline=baseline,
        bearing=bearing,
        speed_ambiguous=ambiguous,
        electrical=_electrical_orders(d, speed),
    )
    physics = {"verdict": phys.verdict, "confidence": phys.confidence, "faults": phys.faults}
    common = {
        "path": d.name,
        "speed_hz": speed,
        "rpm_source": rpm_source,
        "severity": severity,
        "sensors": sensors,
        "label": ctx.label,
        "machine": ctx.machine,
        "spectrum": d.spectrum(),
        "physics": physics,
    }
    if d.model is None:
        return Diagnosis(
            verdict=phys.verdict,
            meaning=meaning(phys.verdict),
            confidence=phys.confidence,
            faults=phys.faults,
            findings=phys.findings,
            **common,
        )
    classes = d.model.classes
    mean_p, segments = _segments(d, classes)
    if one_class:
        return _departure(d, mean_p, segments, phys, common)
    k = int(mean_p.argmax())
    if set(classes) <= set(KAMP_CLASSES):  # the testbed's classes: its baseline rules
        findings = _kamp_findings(d, prof, sensors)
        reading = physics_verdict(findings)
    else:
        findings = [f for f in phys.findings if f.kind != "severity"]
        reading = phys.verdict
    if d.bearing and bearing is not None:
        findings.insert(
            0,
            Finding(
                "bearing",
                bearing["channel"],
                bearing["explanation"],
                float(bearing["snr"]) if bearing["significant"] else 0.0,
            ),
        )
        fault = bearing["fault"] if bearing["significant"] else None
        if fault is not None and fault in classes:
            reading = fault  # a bearing model: the envelope names the faulty part
        elif any(c in BEARING_FAULTS for c in classes):
            reading = INCONCLUSIVE  # no defect frequency stands out
    findings.append(
        Finding(
            "severity",
            worst["name"],
            f"velocity RMS {worst['vel_rms_mm_s']:.2f} mm/s at {worst['name']} "
            f"→ zone {worst['zone']} ({ctx.thresholds})",
            0.0,
        )
    )
    verdict, confidence = classes[k], float(mean_p[k])
    floor = d.model.input.get("min_confidence")
    if floor is not None and confidence < float(floor):
        findings.insert(
            0,
            Finding(
                INCONCLUSIVE,
                "",
                f"the model's best class {verdict} has probability {confidence:.2f}, below "
                f"the {float(floor):.2f} it was calibrated to answer at",
                0.0,
            ),
        )
        verdict = INCONCLUSIVE
    model = {
        "name": d.model.model_name,
        "class": classes[k],
        "probability": float(mean_p[k]),
        "class_probabilities": {c: float(v) for c, v in zip(classes, mean_p, strict=True)},
        "segments": segments,
        "physics_verdict": reading,
        "physics_agrees": reading == classes[k],
    }
    return Diagnosis(
        verdict=verdict,
        meaning=meaning(verdict),
        confidence=confidence,
        faults=phys.faults,
        findings=findings,
        model=model,
        **common,
    )
