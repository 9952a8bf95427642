"""Class names and what they mean: the one place for every label rotordx reads or gives.

Labels are short identifiers (``type2``, ``inner_race``); :func:`meaning` turns
one into words for people. Data sets bring their own labels: a label rotordx
does not know is its own meaning.
"""

from __future__ import annotations

__all__ = [
    "BEARING_FAULTS",
    "FLEET_CLASSES",
    "INCONCLUSIVE",
    "KAMP_CLASSES",
    "KAMP_FAULTS",
    "MEANINGS",
    "NORMAL",
    "VERDICTS",
    "bearing_verdict",
    "meaning",
    "order_classes",
]

#: The healthy class of every data set.
NORMAL = "normal"

#: Machine states of the KAMP rotor testbed, in the column order of its CSV files;
#: the label of a state is its index.
KAMP_CLASSES: tuple[str, ...] = (NORMAL, "type1", "type2", "type3")

#: The faults present in each KAMP machine state.
KAMP_FAULTS: dict[str, frozenset[str]] = {
    NORMAL: frozenset(),
    "type1": frozenset({"unbalance"}),
    "type2": frozenset({"looseness"}),
    "type3": frozenset({"unbalance", "looseness"}),
}

#: Bearing faults by the part whose defect repeats at a defect frequency.
BEARING_FAULTS: tuple[str, ...] = ("outer_race", "inner_race", "ball", "cage")

#: The verdict when the evidence is too weak, or contradictory, to name a fault.
INCONCLUSIVE = "inconclusive"

#: Every verdict of the physics-only diagnosis, machine-agnostic.
VERDICTS: tuple[str, ...] = (
    NORMAL,
    "unbalance",
    "misalignment",
    "looseness",
    *(f"bearing_{part}" for part in BEARING_FAULTS),
    INCONCLUSIVE,
)

#: Machine states of the simulated fleet (:mod:`rotordx.simulate.fleet`): one per snapshot.
FLEET_CLASSES: tuple[str, ...] = VERDICTS[:7]


def bearing_verdict(part: str) -> str:
    """The verdict of a bearing fault on ``part`` (``"outer_race"`` → ``"bearing_outer_race"``)."""
    return f"bearing_{part}"


#: What each known label means.
MEANINGS: dict[str, str] = {
    NORMAL: "normal",
    "type1": "unbalance",
    "type2": "mechanical looseness",
    "type3": "unbalance + looseness",
    "outer_race": "outer-race defect",
    "inner_race": "inner-race defect",
    "ball": "ball defect",
    "cage": "cage defect",
    "unbalance": "unbalance",
    "misalignment": "misalignment",
    "looseness": "mechanical looseness",
    "bearing_outer_race": "bearing outer-race defect",
    "bearing_inner_race": "bearing inner-race defect",
    "bearing_ball": "bearing ball defect",
    "bearing_cage": "bearing cage defect",
    INCONCLUSIVE: "no fault can be named with confidence",
}


def meaning(label: str) -> str:
    """The words for ``label`` (the label itself when rotordx does not know it).

    Examples
    --------
    >>> meaning("type2")
    'mechanical looseness'
    >>> meaning("pump_cavitation")
    'pump_cavitation'
    """
    return MEANINGS.get(label, label)


def order_classes(labels) -> tuple[str, ...]:
    """The class list of a data set: its distinct labels sorted, ``normal`` first.

    Examples
    --------
    >>> order_classes(["outer_race", "normal", "ball", "ball"])
    ('normal', 'ball', 'outer_race')
    """
    uniq = sorted(set(labels))
    if NORMAL in uniq:
        uniq.remove(NORMAL)
        uniq.insert(0, NORMAL)
    return tuple(uniq)
