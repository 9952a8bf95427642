"""How a diagnosis looks: its spectrum with the running-speed orders, and its text."""

from __future__ import annotations

from collections import Counter

import numpy as np

from rotordx.diagnosis.result import Diagnosis
from rotordx.exceptions import ParameterError
from rotordx.render.figures import mark_orders, pyplot

__all__ = ["diagnosis_figure", "diagnosis_lines"]

#: Orders marked on the diagnosis spectrum: every half order up to 6x.
PLOT_ORDERS: tuple[float, ...] = tuple(np.arange(0.5, 6.01, 0.5))


def diagnosis_figure(diagnosis: Diagnosis, *, fmax: float | None = None):
    """Mean amplitude spectrum per sensor with the running-speed orders marked.

    The spectrum is the mean over 4 s frames of the whole recording (the span
    of the speed estimate, so the order marks sit on the peaks even when the
    speed wanders), kept by the diagnosis (``spectrum=True``).
    """
    if diagnosis.spectrum is None:
        raise ParameterError(f"{diagnosis.path}: diagnosed without spectrum=True; nothing to plot")
    freqs, amp = diagnosis.spectrum
    f0 = diagnosis.speed_hz
    fmax = fmax or min(float(freqs[-1]), 6.5 * f0)
    keep = freqs <= fmax
    k = amp.shape[0]
    fig, axes = pyplot().subplots(k, 1, figsize=(8, 1.9 * k + 0.8), sharex=True)
    axes = np.atleast_1d(axes)
    for j, ax in enumerate(axes):
        ax.semilogy(freqs[keep], amp[j, keep] + 1e-6, color="tab:blue", linewidth=0.8)
        mark_orders(ax, speed_hz=f0, orders=PLOT_ORDERS, fmax=fmax, label=j == 0)
        s = diagnosis.sensors[j]
        ax.set_ylabel(f"{s['name']}\nm/s²", fontsize=8)
        ax.text(
            0.99,
            0.9,
            f"zone {s['zone']}, {s['vel_rms_mm_s']:.2f} mm/s",
            ha="right",
            va="top",
            transform=ax.transAxes,
            fontsize=8,
        )
        ax.grid(alpha=0.3)
    axes[-1].set_xlabel("frequency (Hz)")
    fig.suptitle(
        f"{diagnosis.path}: {diagnosis.verdict} ({diagnosis.meaning}), "
        f"confidence {diagnosis.confidence:.2f}, {f0 * 60:.0f} rpm",
        fontsize=9,
    )
    fig.tight_layout()
    return fig


def diagnosis_lines(item: dict) -> list[str]:
    """The text of one diagnosis (its ``to_dict()`` form) for a terminal."""
    label = f" [labelled {item['label']}]" if item.get("label") else ""
    lines = [
        f"{item['path']}{label}: {item['verdict']} ({item['meaning']}), confidence "
        f"{item['confidence']:.2f}, {item['rpm']:.0f} rpm ({item['rpm_source']})"
    ]
    model = item.get("model")
    if model:
        agree = (
            "physics agrees"
            if model["physics_agrees"]
            else f"physics reads {model['physics_verdict']}"
        )
        counts = Counter(s["label"] for s in model["segments"])
        seg_len = model["segments"][0]["end_s"] - model["segments"][0]["start_s"]
        lines.append(
            f"  model {model['name']}: {model['class']} (p = {model['probability']:.2f}), {agree}; "
            f"{len(model['segments'])} segments of {seg_len:.2f} s: "
            + ", ".join(f"{k} {v}" for k, v in counts.most_common())
        )
    elif item["faults"]:
        lines.append("  faults found: " + ", ".join(item["faults"]))
    sev = item["severity"]
    lines.append(
        f"  severity: {sev['velocity_rms_mm_s']:.2f} mm/s RMS at {sev['channel']}, zone "
        f"{sev['zone']} ({sev['thresholds']})"
    )
    lines += [f"  - {line}" for line in item["summary"] if not line.startswith("velocity RMS")]
    if "plot" in item:
        lines.append(f"  plot: {item['plot']}")
    return lines
