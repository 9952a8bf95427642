"""Reading the cells of a manifest line: numbers, units, directions, bearings
(:func:`rotordx.io.manifest.read_manifest`); each error names the line and column."""

from __future__ import annotations

import math

from rotordx.exceptions import DataError, ParameterError
from rotordx.signal.units import parse_sensitivity, parse_units

#: Channel directions, and the short forms a manifest may use for them.
DIRECTIONS: dict[str, str] = {
    "horizontal": "horizontal",
    "h": "horizontal",
    "vertical": "vertical",
    "v": "vertical",
    "axial": "axial",
    "a": "axial",
    "": "",
}


def positive_cell(cell: str, *, where: str, column: str) -> float | None:
    cell = cell.strip()
    if not cell:
        return None
    try:
        v = float(cell)
    except ValueError:
        raise DataError(
            f"{where}, column {column!r}: found {cell[:40]!r}, expected a positive number"
        ) from None
    if not (math.isfinite(v) and v > 0):
        raise DataError(f"{where}, column {column!r}: found {cell!r}, expected a positive number")
    return v


def units_cells(cell: dict[str, str], where: str) -> tuple[str | None, tuple[float, str] | None]:
    text, sens = cell.get("units", ""), cell.get("sensitivity", "")
    try:
        units = parse_units(text) if text else None
    except ParameterError as exc:
        raise DataError(f"{where}, column 'units': {exc}") from None
    try:
        sensitivity = parse_sensitivity(sens) if sens else None
    except ParameterError as exc:
        raise DataError(f"{where}, column 'sensitivity': {exc}") from None
    if units == "V" and sensitivity is None:
        raise DataError(
            f"{where}, column 'sensitivity': empty; units 'V' need a sensitivity "
            "(mV per g, or e.g. '10.2 mV/(m/s2)')"
        )
    if sensitivity is not None and units != "V":
        raise DataError(
            f"{where}, column 'sensitivity': {sens!r} is only used with units 'V', "
            f"not {text or '(empty)'!r}"
        )
    return units, sensitivity


def directions_cell(text: str, channel: str | None, where: str) -> tuple[str, ...] | None:
    if not text:
        return None
    parts = [p.strip().lower() for p in text.split(";")]
    bad = [p for p in parts if p not in DIRECTIONS]
    if bad:
        raise DataError(
            f"{where}, column 'direction': {bad[0]!r}; expected horizontal, vertical, axial "
            "(or h, v, a; empty for unknown), one per channel separated by ';'"
        )
    if channel is not None and len(parts) != len(channel.split(";")):
        raise DataError(
            f"{where}, column 'direction': {len(parts)} direction(s) for "
            f"{len(channel.split(';'))} channel(s) {channel!r}"
        )
    return tuple(DIRECTIONS[p] for p in parts)


def bearing_cell(text: str, where: str) -> str | None:
    """The cell as written; a geometry (``n:d:D:angle``) is checked here, a name when used."""
    if not text:
        return None
    if ":" in text:
        try:
            nums = [float(p) for p in text.split(":")]
        except ValueError:
            nums = []
        n, d, pitch, angle = (
            (*nums, 0.0) if len(nums) == 3 else (nums if len(nums) == 4 else (0,) * 4)
        )
        if not (n >= 3 and n == int(n) and 0 < d < pitch and 0 <= angle < 90):
            raise DataError(
                f"{where}, column 'bearing': {text!r}; expected a catalogue name or "
                "balls:ball_diameter:pitch_diameter[:contact_angle_deg] (e.g. 9:7.94:39.04:0: "
                "at least 3 balls, 0 < ball diameter < pitch diameter, 0 <= angle < 90)"
            )
    return text
