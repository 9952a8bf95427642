"""The API's request and response bodies (pydantic): what ``/openapi.json`` publishes."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from rotordx.exceptions import RotordxError
from rotordx.features.severity import SEVERITY_PRESETS
from rotordx.service.jobs import machine_bearing
from rotordx.signal.units import parse_sensitivity

__all__ = [
    "MACHINE_PATTERN",
    "DiagnosisOut",
    "ErrorOut",
    "HealthOut",
    "HistoryItem",
    "MachineDetail",
    "MachineIn",
    "MachineOut",
    "ModelOut",
]

#: A machine's name: letters, digits, ``.``, ``_``, ``-``; 1 to 64 characters.
MACHINE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
Direction = Literal["horizontal", "vertical", "axial", ""]
Units = Literal["g", "m/s2", "mm/s", "V"]
Thresholds = Literal[tuple(SEVERITY_PRESETS)]  # type: ignore[valid-type]
ChannelName = Annotated[str, StringConstraints(pattern=r"^[^,\s][^,]{0,63}$")]


class ErrorOut(BaseModel):
    """Every error: one line saying what is wrong."""

    detail: str
    errors: list[dict[str, Any]] | None = None


class HealthOut(BaseModel):
    status: Literal["ok"]
    version: str
    database: str
    schema_revision: str | None
    model: str
    workers: int
    running: int
    waiting: int
    queue: int
    uptime_s: float


class ModelOut(BaseModel):
    """The model that decides (``kind: physics`` without one)."""

    kind: Literal["physics", "model"]
    id: str
    name: str
    classes: list[str]
    rate: float | None
    window: int | None
    channels: int | None
    protocol: str | None
    version: str


class MachineIn(BaseModel):
    """A machine's metadata; what it says is applied to each of its uploads.

    ``channels`` selects (and orders) the channels read from each upload and names
    the channels of unnamed ones (WAV, raw float32, CSV without header);
    ``directions`` gives each channel's direction; ``units`` are the sensors' (the
    samples are converted to m/s², ``V`` through ``sensitivity``); ``rpm`` is the
    running speed of a fixed-speed machine (an upload's own ``rpm`` wins; without
    either it is estimated from the vibration); ``bearing`` (a catalogue name or
    ``balls:ball_diameter:pitch_diameter[:contact_angle]``) adds the envelope
    evidence at its defect frequencies.
    """

    model_config = ConfigDict(extra="forbid")

    bearing: str | None = Field(None, max_length=100)
    rpm: float | None = Field(None, gt=0, lt=1e6)
    channels: list[ChannelName] | None = Field(None, min_length=1, max_length=64)
    directions: list[Direction] | None = Field(None, min_length=1, max_length=64)
    units: Units | None = Field(None, description="the sensors' units (default m/s2)")
    sensitivity: str | None = Field(None, max_length=40, description="e.g. '100 mV/g'")
    thresholds: Thresholds = Field("group2_rigid", description="severity zones (ISO 20816-3)")
    description: str | None = Field(None, max_length=500)

    @field_validator("channels")
    @classmethod
    def _channels(cls, v):
        if v is not None and len({c.strip() for c in v}) != len(v):
            raise ValueError("channel names must be distinct")
        return None if v is None else [c.strip() for c in v]

    @field_validator("bearing")
    @classmethod
    def _bearing(cls, v):
        if v is None or not v.strip():
            return None
        _checked(machine_bearing, v.strip())
        return v.strip()

    @model_validator(mode="after")
    def _together(self):
        d, c = self.directions, self.channels
        if d is not None and c is not None and len(d) != len(c):
            raise ValueError(f"{len(d)} direction(s) for {len(c)} channel(s)")
        if self.units == "V":
            if self.sensitivity is None:
                raise ValueError("units 'V' need a sensitivity, e.g. '100 mV/g'")
            _checked(parse_sensitivity, self.sensitivity)
        elif self.sensitivity is not None:
            raise ValueError("a sensitivity is only used with units 'V'")
        return self


def _checked(fn, value):
    """``fn(value)``, its RotordxError as the ValueError pydantic reports."""
    try:
        return fn(value)
    except RotordxError as exc:
        raise ValueError(str(exc)) from None


class Severity(BaseModel):
    velocity_rms_mm_s: float | None
    zone: str | None


class RecordingOut(BaseModel):
    name: str
    format: str
    rate: float | None
    channels: list[str] | None
    samples: int | None
    bytes: int | None
    units: str | None
    raw: bool


class HistoryItem(BaseModel):
    """A stored diagnosis, with what trend plots need."""

    id: int
    time: dt.datetime
    received: dt.datetime
    verdict: str
    confidence: float | None
    faults: list[str]
    severity: Severity
    rpm: float | None
    rpm_source: str | None
    orders: dict[str, float | None] = Field(
        description="velocity (mm/s) at each order, the largest over the sensors"
    )
    model: str
    source: str
    recording: RecordingOut
    diagnosis: dict[str, Any] | None = Field(None, description="the whole diagnosis (full=true)")


class MachineOut(MachineIn):
    model_config = ConfigDict(extra="forbid")

    name: str
    created: dt.datetime
    updated: dt.datetime
    diagnoses: int
    latest: HistoryItem | None


class MachineDetail(MachineOut):
    diagnosis: dict[str, Any] | None
    spectrum: dict[str, Any] | None
    marks: dict[str, Any]
    zones: dict[str, Any]


class DiagnosisOut(BaseModel):
    """``rotordx diagnose --json``'s fields for one recording, with where it was stored."""

    path: str
    label: str | None
    machine: str | None
    verdict: str
    meaning: str
    faults: list[str]
    confidence: float | None
    rpm: float | None
    rpm_source: str | None
    severity: dict[str, Any]
    evidence: list[str]
    summary: list[str]
    physics: dict[str, Any]
    model: dict[str, Any] | None
    sensors: list[dict[str, Any]]
    id: int = Field(description="the stored diagnosis (history)")
    time: dt.datetime = Field(description="the measurement time")
    received: dt.datetime
    recording: RecordingOut
