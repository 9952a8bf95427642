"""What a diagnosis says, and what is known of a recording before it is diagnosed.

:class:`Context` holds what is known of a recording's machine besides the
samples (speed, bearing, channel directions, a healthy baseline).
:class:`Diagnosis` is the answer: the verdict with its confidence, every
fault found, the speed and where it came from, the severity, the evidence in
sentences, and, with a model, the model's view; :meth:`Diagnosis.to_dict` is
the JSON that ``rotordx diagnose --json``, the service and batch results
share.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["Context", "Diagnosis", "Finding"]


@dataclass(frozen=True)
class Finding:
    """One physical observation: what kind of fault it points to and why."""

    kind: str  # a verdict (unbalance, looseness, bearing_outer_race…), impacts, severity, …
    sensor: str
    statement: str
    strength: float  # how far past the threshold (>= 1 means the rule fired)


@dataclass(frozen=True)
class Context:
    """What is known of a recording's machine besides its samples.

    Attributes
    ----------
    rpm : float, optional
        The running speed, when known; otherwise it is estimated.
    rpm_source : str, optional
        Where ``rpm`` came from: ``"given"`` (``--rpm``), ``"manifest"``,
        ``"file"`` (e.g. a CWRU file's RPM variable).
    bearing : str, optional
        The monitored bearing (a catalogue name or ``balls:d:D:angle``):
        adds the envelope evidence at its defect frequencies.
    directions : tuple of str, optional
        Per channel ``"horizontal"``, ``"vertical"``, ``"axial"`` or ``""``.
    baseline : dict, optional
        A healthy profile of the same machine
        (:func:`rotordx.diagnosis.api.baseline_profile`).
    label, machine : str, optional
        What the source says the recording is, and of which asset.
    thresholds : str
        The severity-zone preset (:data:`rotordx.features.SEVERITY_PRESETS`).
    """

    rpm: float | None = None
    rpm_source: str | None = None
    bearing: str | None = None
    directions: tuple[str, ...] | None = None
    baseline: dict | None = None
    label: str | None = None
    machine: str | None = None
    thresholds: str = "group2_rigid"


@dataclass
class Diagnosis:
    """The verdict on one recording with its evidence.

    ``verdict`` is a model's class when a model diagnosed the recording,
    else the physics' verdict (:data:`rotordx.classes.VERDICTS`);
    ``physics`` always holds the physics' own reading, and ``model`` (with a
    model) its probabilities per class and per segment.
    """

    path: str
    verdict: str
    meaning: str
    confidence: float
    faults: list[str]
    speed_hz: float
    rpm_source: str
    severity: dict
    sensors: list[dict]
    findings: list[Finding] = field(default_factory=list)
    physics: dict = field(default_factory=dict)
    model: dict | None = None
    label: str | None = None
    machine: str | None = None
    #: the strongest envelope evidence at the bearing's defect frequencies (defect, fault,
    #: score, significant, channel …), None without a known bearing; not in :meth:`to_dict`
    bearing: dict | None = None
    #: (frequencies in Hz, mean amplitude (n_channels, n_freqs)) for the diagnosis plot
    spectrum: tuple[np.ndarray, np.ndarray] | None = field(default=None, repr=False, compare=False)

    @property
    def rpm(self) -> float:
        """The running speed in rev/min."""
        return self.speed_hz * 60.0

    def evidence(self, per_kind: int | None = None) -> list[str]:
        """The findings as sentences, strongest first (at most ``per_kind`` of each kind).

        A statement reached by two rules (the physics' and the model's
        reading of the same envelope) is said once.
        """
        seen: dict[str, int] = {}
        out: list[str] = []
        for f in self.findings:
            if f.statement in out:
                continue
            seen[f.kind] = seen.get(f.kind, 0) + 1
            if per_kind is None or seen[f.kind] <= per_kind:
                out.append(f.statement)
        return out

    def to_dict(self) -> dict:
        """Plain JSON (the same fields for ``diagnose --json``, the service and batches)."""
        return {
            "path": self.path,
            "label": self.label,
            "machine": self.machine,
            "verdict": self.verdict,
            "meaning": self.meaning,
            "faults": list(self.faults),
            "confidence": self.confidence,
            "rpm": self.rpm,
            "rpm_source": self.rpm_source,
            "severity": self.severity,
            "evidence": self.evidence(),
            "summary": self.evidence(per_kind=2),
            "physics": self.physics,
            "model": self.model,
            "sensors": self.sensors,
        }
