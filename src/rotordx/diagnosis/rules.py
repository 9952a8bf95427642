"""The physics rules: what order amplitudes and impacts say about a machine, as findings.

With a healthy baseline of the same machine, a fault shows as orders well
above it (:data:`BASELINE_FACTOR`); without one, the shape of the order
spectrum speaks. :func:`physics_verdict` turns the findings into one of the
KAMP testbed's classes.
"""

from __future__ import annotations

from rotordx.classes import KAMP_FAULTS
from rotordx.diagnosis.result import Finding

__all__ = ["BASELINE_FACTOR", "interpret_orders", "physics_verdict"]

#: A fault class is named by the physics when its orders exceed the baseline by this factor.
BASELINE_FACTOR = 2.5


def interpret_orders(
    orders: dict[str, float],
    *,
    sensor: str,
    baseline: dict[str, float] | None = None,
    kurtosis: float | None = None,
    baseline_kurtosis: float | None = None,
) -> list[Finding]:
    """Physical findings for one sensor from its order amplitudes (``{"1x": a, ...}``).

    With a healthy baseline (same keys), a fault shows as orders well above
    it: 1x for unbalance; 0.5x, 1.5x, 2x or 3x for looseness. Without one,
    the shape of the spectrum speaks: a dominant 1x with weak harmonics reads
    as unbalance-like, strong half orders or 2x relative to 1x as
    looseness-like.
    """
    one = max(orders["1x"], 1e-12)
    out: list[Finding] = []
    if baseline:
        r1 = orders["1x"] / max(baseline["1x"], 1e-12)
        # unbalance: a raised 1x that dominates (a raised 1x riding on a large 2x is the
        # looseness non-linearity, not a rotating mass)
        if r1 >= BASELINE_FACTOR and orders["2x"] / one < 0.5:
            out.append(
                Finding(
                    "unbalance",
                    sensor,
                    f"1x at {sensor} is {r1:.1f}x the healthy baseline "
                    f"({orders['1x']:.3g} vs {baseline['1x']:.3g} m/s²), "
                    f"2x/1x = {orders['2x'] / one:.2f} → unbalance",
                    r1 / BASELINE_FACTOR,
                )
            )
        loose = {k: orders[k] / max(baseline[k], 1e-12) for k in ("0.5x", "1.5x", "2x", "3x")}
        fired = {k: v for k, v in loose.items() if v >= BASELINE_FACTOR}
        if len(fired) >= 2:
            parts = ", ".join(f"{k} {v:.1f}x" for k, v in fired.items())
            out.append(
                Finding(
                    "looseness",
                    sensor,
                    f"at {sensor} {parts} the healthy baseline (half orders and "
                    "harmonics) → mechanical looseness",
                    min(fired.values()) / BASELINE_FACTOR,
                )
            )
    else:
        r2, rh = orders["2x"] / one, max(orders["0.5x"], orders["1.5x"]) / one
        if r2 < 0.5 and rh < 0.1:
            out.append(
                Finding(
                    "unbalance",
                    sensor,
                    f"1x dominates at {sensor} (2x/1x = {r2:.2f}, half orders/1x = "
                    f"{rh:.2f}) → unbalance-like",
                    0.5 / max(r2, 1e-3),
                )
            )
        if rh >= 0.1 or r2 >= 0.5:
            out.append(
                Finding(
                    "looseness",
                    sensor,
                    f"at {sensor} half orders/1x = {rh:.2f}, 2x/1x = {r2:.2f} → looseness-like",
                    max(rh / 0.1, r2 / 0.5),
                )
            )
    if (
        kurtosis is not None
        and baseline_kurtosis is not None
        and kurtosis - baseline_kurtosis >= 1.0
    ):
        out.append(
            Finding(
                "impacts",
                sensor,
                f"kurtosis at {sensor} is {kurtosis:.1f} (healthy "
                f"{baseline_kurtosis:.1f}) → impacting",
                kurtosis - baseline_kurtosis,
            )
        )
    return out


def physics_verdict(findings: list[Finding]) -> str:
    """The KAMP machine state whose faults are the rotor faults the findings name."""
    kinds = {f.kind for f in findings} & {"unbalance", "looseness"}
    return next(label for label, faults in KAMP_FAULTS.items() if faults == kinds)
