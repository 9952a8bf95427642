"""What a diagnosis says: the verdict, per segment and overall, and the evidence behind it."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["Diagnosis", "Finding"]


@dataclass(frozen=True)
class Finding:
    """One physical observation: what kind of fault it points to and why."""

    kind: str  # "unbalance", "looseness" or "impacts"
    sensor: str
    statement: str
    strength: float  # how far past the threshold (>= 1 means the rule fired)


@dataclass
class Diagnosis:
    """The verdict on one recording, per segment and overall, with its evidence."""

    source: str
    verdict: str
    meaning: str
    probability: float
    class_probabilities: dict[str, float]
    segments: list[dict]
    speed_hz: float
    sensors: list[dict]
    findings: list[Finding] = field(default_factory=list)
    physics_verdict: str = ""
    agrees: bool = True
    #: (frequencies in Hz, mean amplitude (n_channels, n_freqs)) for :func:`plot_diagnosis`
    spectrum: tuple[np.ndarray, np.ndarray] | None = field(default=None, repr=False, compare=False)

    def evidence(self, per_kind: int | None = None) -> list[str]:
        """The findings as sentences, strongest first (at most ``per_kind`` of each kind)."""
        seen: dict[str, int] = {}
        out = []
        for f in self.findings:
            seen[f.kind] = seen.get(f.kind, 0) + 1
            if per_kind is None or seen[f.kind] <= per_kind:
                out.append(f.statement)
        return out

    def to_dict(self) -> dict:
        """Plain-JSON form."""
        return {
            "source": self.source,
            "verdict": self.verdict,
            "meaning": self.meaning,
            "probability": self.probability,
            "class_probabilities": self.class_probabilities,
            "speed_hz": self.speed_hz,
            "rpm": self.speed_hz * 60.0,
            "physics_verdict": self.physics_verdict,
            "physics_agrees": self.agrees,
            "evidence": self.evidence(),
            "summary": self.evidence(per_kind=2),
            "sensors": self.sensors,
            "segments": self.segments,
        }
