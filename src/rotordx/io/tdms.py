"""NI TDMS recordings (LabVIEW, DAQmx, VeriStand …), read with npTDMS in a child process.

npTDMS is pure Python and numpy, but it sizes its arrays by the value counts a segment's
metadata claims and raises whatever a corrupt file leads it to (docs/inputs.md). So the
file is parsed in a forked child process under an address-space limit and a timeout
(:func:`rotordx.io.isolated.run_isolated`); the child sends back the table of contents
(groups, channels, their data type, length, ``wf_increment``, ``wf_xunit_string`` and
``unit_string``) and the values of the channels chosen, and every decision is taken here.

Channels are named ``group/channel``. The manifest's ``channel`` lists such names (a bare
channel name will do when only one group has it); by default every numeric channel of
the first group that holds one, except a time channel. The sample rate is
``1 / wf_increment`` (the same for every channel read); without it, a time channel of the
group (named like a CSV time column, e.g. ``Time``; seconds or TDMS timestamps) by the
time-column rules; else the manifest's ``rate``. A rate given and one of the file must
agree within 1%. Each channel's ``unit_string`` is reported (and used by
:func:`rotordx.io.sources.read_recording` when the manifest gives no ``units``).

npTDMS is an optional dependency: ``pip install 'rotordx[readers]'``.
"""

from __future__ import annotations

import logging
import os
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from rotordx.exceptions import DataError
from rotordx.io._limits import MAX_ABS_VALUE, first_too_large
from rotordx.io._optional import missing_reader
from rotordx.io._time import RATE_TOLERANCE, agree, nominal_rate, time_rate, time_scale
from rotordx.io.isolated import first_line, pack_arrays, read_head, run_reader, unpack_arrays
from rotordx.io.recording import Recording

__all__ = ["TDMS_MAGIC", "read_tdms"]

#: The magic of a TDMS segment's lead-in (``TDSh`` in a ``.tdms_index`` file).
TDMS_MAGIC = b"TDSm"
#: npTDMS warnings that do not refuse a file (a name not in UTF-8 is read with U+FFFD);
#: every other one does: npTDMS reads what it can of a cut-off segment, leaves values
#: unscaled under a scaling it does not know, reads a segment of an unknown version.
_HARMLESS = ("Error decoding string",)


def _kind(channel) -> str:
    dtype = getattr(channel, "data_type", None)
    name = getattr(dtype, "__name__", "")
    if name == "TimeStamp":
        return "time"
    if name.startswith("DaqMx"):
        return "number"  # raw DAQmx data, scaled by npTDMS
    nptype = getattr(dtype, "nptype", None)
    if nptype is not None and np.dtype(nptype).kind in "iuf":
        return "number"
    return name.lower() or "none"


def _text(props: dict, key: str) -> str | None:
    v = props.get(key)
    return None if v is None else str(v)[:80]


def _number(props: dict, key: str) -> float | None:
    try:
        v = float(props[key])
    except (KeyError, TypeError, ValueError, OverflowError):
        return None
    return v if np.isfinite(v) else None


def _values(channel, kind: str) -> np.ndarray:
    data = np.asarray(channel[:])
    if kind == "time":
        ns = data.astype("datetime64[ns]").astype(np.int64)
        return (ns - ns[0]).astype(np.float64) / 1e9 if ns.size else ns.astype(np.float64)
    return data.astype(np.float64)


def _child(path: Path, wanted: tuple[str, ...] | None, out) -> None:
    """In the forked child: the table of contents and the chosen channels' values."""
    from nptdms import TdmsFile  # lazy: optional (the 'readers' extra), imported by read_tdms

    caught = _Caught()
    logger = logging.getLogger("nptdms")
    logger.addHandler(caught)
    logger.propagate = False
    with TdmsFile.open(str(path)) as f:
        objects = []
        groups: list[dict[str, Any]] = []
        for g in f.groups():
            chans = []
            for c in g.channels():
                props = dict(c.properties)
                chans.append(
                    {
                        "name": str(c.name),
                        "kind": _kind(c),
                        "length": len(c),
                        "increment": _number(props, "wf_increment"),
                        "xunit": _text(props, "wf_xunit_string"),
                        "unit": _text(props, "unit_string"),
                    }
                )
                objects.append(c)
            groups.append({"name": str(g.name), "channels": chans})
        meta: dict[str, Any] = {"groups": groups}
        try:
            picked, time = _select(meta, wanted, path)
        except DataError:
            picked, time = [], None  # the parent gives the same error
        flat = [(gi, ci) for gi, g in enumerate(groups) for ci in range(len(g["channels"]))]
        arrays = []
        for gi, ci in [*picked, *([time] if time else [])]:
            ch = objects[flat.index((gi, ci))]
            arrays.append(_values(ch, groups[gi]["channels"][ci]["kind"]))
    meta["warnings"] = caught.messages[:5]
    pack_arrays(out, meta, arrays)


class _Caught(logging.Handler):
    """npTDMS's warnings (it reads what it can of a cut-off file, and says so in its log)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(first_line(Exception(record.getMessage())))


def _full(groups: list[dict], gi: int, ci: int) -> str:
    return f"{groups[gi]['name']}/{groups[gi]['channels'][ci]['name']}"


def _present(groups: list[dict], limit: int = 12) -> str:
    names = [
        _full(groups, gi, ci) for gi, g in enumerate(groups) for ci in range(len(g["channels"]))
    ]
    more = f", … ({len(names)} channels)" if len(names) > limit else ""
    return (", ".join(names[:limit]) + more) or "none"


def _is_data(ch: dict) -> bool:
    return ch["kind"] == "number" and ch["length"] >= 2 and time_scale(ch["name"]) is None


def _select(
    meta: dict, wanted: tuple[str, ...] | None, path: Path
) -> tuple[list[tuple[int, int]], tuple[int, int] | None]:
    """``(group, channel)`` indices of the channels to read, and of a time channel of the
    first one's group where the rate needs it."""
    groups = meta["groups"]
    picked: list[tuple[int, int]] = []
    if wanted is None:
        for gi, g in enumerate(groups):
            picked = [(gi, ci) for ci, ch in enumerate(g["channels"]) if _is_data(ch)]
            if picked:
                break
        if not picked:
            raise DataError(
                f"{path}: no channel of numbers in any group; channels present: {_present(groups)}"
            )
    for name in wanted or ():
        exact = [
            (gi, ci)
            for gi, g in enumerate(groups)
            for ci, ch in enumerate(g["channels"])
            if f"{g['name']}/{ch['name']}" == name
        ]
        bare = [
            (gi, ci)
            for gi, g in enumerate(groups)
            for ci, ch in enumerate(g["channels"])
            if ch["name"] == name
        ]
        hits = exact or bare
        if len(hits) > 1:
            where = ", ".join(repr(_full(groups, *h)) for h in hits)
            raise DataError(f"{path}: channel {name!r} is {where}; write 'group/channel'")
        if not hits:
            raise DataError(
                f"{path}: no channel {name!r}; expected 'group/channel', channels present: "
                f"{_present(groups)}"
            )
        gi, ci = hits[0]
        ch = groups[gi]["channels"][ci]
        if ch["kind"] != "number":
            raise DataError(
                f"{path}: channel {_full(groups, gi, ci)!r} holds {ch['kind']} values; "
                "expected numbers"
            )
        picked.append((gi, ci))
    first = groups[picked[0][0]]["channels"][picked[0][1]]
    if first["increment"] is None:
        gi = picked[0][0]
        for ci, ch in enumerate(groups[gi]["channels"]):
            if (
                time_scale(ch["name"]) is not None
                and ch["length"] == first["length"]
                and ch["kind"] in ("number", "time")
                and (gi, ci) not in picked
            ):
                return picked, (gi, ci)
    return picked, None


def read_tdms(
    path: str | os.PathLike[str],
    *,
    channels: tuple[str, ...] | None = None,
    rate: float | None = None,
    default_rate: float | None = None,
    memory: int | None = None,
    timeout: float | None = None,
) -> tuple[Recording, tuple[str, ...]]:
    """Read a TDMS file (module docstring: channels, rate, units).

    Returns
    -------
    (Recording, tuple of str)
        The recording (values as stored, scaled by npTDMS where the file says so) and each
        channel's ``unit_string`` (``""`` where none).

    Raises
    ------
    DataError
        Not a TDMS file, truncated or corrupt (npTDMS refused it, needed more memory than
        the limit, crashed or hung); a channel missing, ambiguous or not numeric; channels
        of different lengths or increments; an x axis that is not time; NaN, infinite or
        absurd values; no rate, or rates that disagree.
    ParameterError
        npTDMS is not installed.
    """
    try:
        import nptdms  # noqa: F401  # lazy: optional (the 'readers' extra); forked children share it
    except ModuleNotFoundError as exc:
        raise missing_reader(exc, "reading TDMS files") from None
    path = Path(path)
    prefix = f"{path}: not a readable TDMS file"
    size, head = read_head(path, 4, prefix)
    if head != TDMS_MAGIC:
        raise DataError(
            f"{prefix} (truncated or another format?): starts with {head!r}; expected "
            f"{TDMS_MAGIC.decode()!r}"
        )
    data = run_reader(
        lambda out: _child(path, channels, out),
        size=size,
        memory=memory,
        timeout=timeout,
        prefix=prefix,
        what="the TDMS reader (npTDMS)",
    )
    meta, arrays = unpack_arrays(data)
    refused = [w for w in meta["warnings"] if not w.startswith(_HARMLESS)]
    if refused:
        raise DataError(f"{prefix} (truncated or corrupt?): npTDMS: {refused[0]}")
    groups = meta["groups"]
    picked, time = _select(meta, channels, path)
    names = [_full(groups, gi, ci) for gi, ci in picked]
    chans = [groups[gi]["channels"][ci] for gi, ci in picked]
    rec = _check(path, names, chans, arrays[: len(picked)])
    inc = chans[0]["increment"]
    if inc is not None:
        own = nominal_rate(1.0 / inc)
        if rate is not None and not agree(own, rate):
            raise DataError(
                f"{path}: channel {names[0]!r}: wf_increment {inc:g} s gives {own:g} Hz, the "
                f"rate given is {rate:g} Hz; expected them to agree within {RATE_TOLERANCE:.0%}"
            )
        fs = rate if rate is not None else own
    elif time is not None:
        fs = _time_channel(
            path,
            _full(groups, *time),
            groups[time[0]]["channels"][time[1]],
            arrays[len(picked)],
            rate,
        )
    else:
        fs = rate if rate is not None else default_rate
    if fs is None:
        raise DataError(
            f"{path}: no sample rate: channel {names[0]!r} has no wf_increment and its group "
            "no time channel; give the rate (the manifest's 'rate', or --rate)"
        )
    return replace(rec, fs=float(fs)), tuple(ch["unit"] or "" for ch in chans)


def _time_channel(path: Path, name: str, ch: dict, t: np.ndarray, rate: float | None) -> float:
    scale = time_scale(ch["name"])
    if isinstance(scale, str):
        raise DataError(f"{path}: channel {name!r}: time in {scale!r}; expected s, ms or µs")
    t = t * (scale if ch["kind"] == "number" else 1.0)
    _finite(path, name, t)

    def at(i: int | None) -> str:
        return f"{path}: channel {name!r}" + (f", value {i + 1}" if i is not None else "")

    return time_rate(t, rate=rate, at=at, given="the rate given")


def _finite(path: Path, name: str, x: np.ndarray) -> None:
    bad = ~np.isfinite(x)
    if bad.any():
        i = int(np.argmax(bad))
        raise DataError(
            f"{path}: channel {name!r}, value {i + 1}: found {float(x[i])!r}; "
            "expected finite values"
        )


def _check(path: Path, names: list[str], chans: list[dict], data: list[np.ndarray]) -> Recording:
    """The channels as a recording (rate still 1): lengths, x axis, values, increments."""
    lengths = {n: a.size for n, a in zip(names, data, strict=True)}
    if len(set(lengths.values())) > 1:
        listed = ", ".join(f"{k} {v}" for k, v in lengths.items())
        raise DataError(f"{path}: the channels differ in length ({listed} values); expected one")
    for name, ch, x in zip(names, chans, data, strict=True):
        if x.size < 2:
            raise DataError(
                f"{path}: channel {name!r} holds {x.size} value(s); expected at least 2"
            )
        if ch["xunit"] not in (None, "", "s"):
            raise DataError(
                f"{path}: channel {name!r}: its x axis is in {ch['xunit']!r} "
                "(wf_xunit_string); expected time in s"
            )
        _finite(path, name, x)
        big = first_too_large(x, MAX_ABS_VALUE)
        if big is not None:
            i = big[0]
            raise DataError(
                f"{path}: channel {name!r}, value {i + 1}: found {float(x[i]):g}; expected "
                f"|x| <= {MAX_ABS_VALUE:g} (no plausible measurement in any unit)"
            )
    incs = {ch["increment"] for ch in chans}
    if len(incs) > 1:
        listed = ", ".join(f"{n} {ch['increment']}" for n, ch in zip(names, chans, strict=True))
        raise DataError(
            f"{path}: the channels have different wf_increment ({listed}); expected one rate"
        )
    inc = chans[0]["increment"]
    if inc is not None and not inc > 0:
        raise DataError(
            f"{path}: channel {names[0]!r}: wf_increment {inc:g}; expected a positive time step"
        )
    return Recording(name=str(path), signals=np.vstack(data), fs=1.0, channel_names=tuple(names))
