"""Universal File Format (UFF / UNV) type 58 recordings, read with pyuff in a child process.

A type-58 data set is one function at one node and direction (time responses, spectra,
FRFs …), in ASCII or binary (58b). pyuff is pure Python, but raises whatever a corrupt
file leads it to and holds every value of the file as a Python object while it parses,
so the file is parsed in a forked child process under an address-space limit and a
timeout (:func:`rotordx.io.isolated.run_isolated`), which sends back each type-58
record's header fields and the values of the records chosen; every decision is taken
here.

* Records read: **time responses** (function type 1; or type 0, "general", with a time
  abscissa, abscissa data type 17), real (ordinate data type 2 or 4), evenly spaced. Other
  data sets (geometry, units, spectra, FRFs) are skipped.
* Channels are named by the response node and direction, ``"<node>:<dir>"``
  (``1:+Z``, ``12:-X``, ``3:+RX``; ``"<node>"`` for a scalar, direction 0); a name that
  repeats gets `` (record k)``, k the 1-based number of the data set in the file. The
  manifest's ``channel`` lists such names; by default every time-response record.
* The rate is ``1 / abscissa increment`` (the same for every record read); a rate given
  must agree within 1%.
* Units: the ordinate's unit label (``ordinate_axis_units_lab``, e.g. ``g``,
  ``m/s^2``) is reported (and used by :func:`rotordx.io.sources.read_recording` when the
  manifest gives no ``units``).

pyuff is an optional dependency: ``pip install 'rotordx[readers]'``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from rotordx.exceptions import DataError
from rotordx.io._limits import MAX_ABS_VALUE, first_too_large
from rotordx.io._optional import missing_reader
from rotordx.io._time import RATE_TOLERANCE, agree, nominal_rate
from rotordx.io.isolated import first_line, pack_arrays, read_head, run_reader, unpack_arrays
from rotordx.io.recording import Recording

__all__ = ["DIRECTIONS", "read_uff"]

#: UFF direction codes -> the names used in channel names.
DIRECTIONS: dict[int, str] = {
    0: "",
    1: "+X",
    2: "+Y",
    3: "+Z",
    4: "+RX",
    5: "+RY",
    6: "+RZ",
    -1: "-X",
    -2: "-Y",
    -3: "-Z",
    -4: "-RX",
    -5: "-RY",
    -6: "-RZ",
}
#: Function types (UFF 58, record 6) named in messages.
FUNCTIONS: dict[int, str] = {
    0: "general",
    1: "time response",
    2: "auto spectrum",
    3: "cross spectrum",
    4: "FRF",
    5: "transmissibility",
    6: "coherence",
    9: "PSD",
    12: "spectrum",
}
_FIELDS = (
    "func_type",
    "rsp_node",
    "rsp_dir",
    "ord_data_type",
    "abscissa_spacing",
    "abscissa_inc",
    "num_pts",
    "abscissa_spec_data_type",
    "ordinate_axis_units_lab",
)


def _plain(v: Any) -> Any:
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and not np.isfinite(v):
        return None
    return v if isinstance(v, int | float | str) else None


def _child(path: Path, wanted: tuple[str, ...] | None, out) -> None:
    """In the forked child: every type-58 record's header, and the chosen records' values."""
    import pyuff  # lazy: optional (the 'readers' extra), imported by read_uff

    u = pyuff.UFF(str(path))
    try:
        types = [int(t) for t in u.get_set_types()]
    except AttributeError:  # pyuff found no data set delimited by '    -1'
        types = []
    records = []
    for i, t in enumerate(types):
        if t == 58:
            try:
                head = u.read_sets(i, header_only=True)
            except Exception as exc:  # pyuff raises Exception: say which data set
                raise ValueError(f"data set {i + 1} (type 58): {first_line(exc)}") from None
            records.append({"set": i + 1, **{k: _plain(head.get(k)) for k in _FIELDS}})
    meta: dict[str, Any] = {"types": types, "records": records}
    try:
        picked = _select(meta, wanted, path)
    except DataError:
        picked = []  # the parent gives the same error
    arrays = []
    for k in picked:
        if records[k]["ord_data_type"] not in (2, 4):
            arrays.append(np.zeros(0))  # complex: the parent says so
            continue
        try:
            values = np.asarray(u.read_sets(records[k]["set"] - 1)["data"])
        except Exception as exc:
            raise ValueError(f"data set {records[k]['set']} (type 58): {first_line(exc)}") from None
        if values.dtype.kind not in "iuf":
            raise ValueError(f"data set {records[k]['set']}: {values.dtype} values")
        arrays.append(values.astype(np.float64))
    pack_arrays(out, meta, arrays)


def _is_time(r: dict) -> bool:
    return r["func_type"] == 1 or (r["func_type"] == 0 and r["abscissa_spec_data_type"] == 17)


def _names(records: list[dict]) -> list[str]:
    base = []
    for r in records:
        node, d = r["rsp_node"], r["rsp_dir"]
        text = DIRECTIONS.get(d, f"dir{d}") if isinstance(d, int) else "?"
        base.append(f"{node}:{text}" if text else f"{node}")
    return [
        b if base.count(b) == 1 else f"{b} (record {r['set']})"
        for b, r in zip(base, records, strict=True)
    ]


def _select(meta: dict, wanted: tuple[str, ...] | None, path: Path) -> list[int]:
    """Indices (into ``meta["records"]``) of the records to read."""
    records, types = meta["records"], meta["types"]
    names = _names(records)
    if not types:
        raise DataError(
            f"{path}: not a readable UFF file (truncated?): no complete data set (a block "
            "between two '    -1' delimiter lines); expected type-58 time responses"
        )
    if not records:
        found = ", ".join(str(t) for t in sorted(set(types)))
        raise DataError(
            f"{path}: no data set of type 58 (data set types found: {found}); expected "
            "type-58 time responses"
        )
    if wanted is None:
        picked = [k for k, r in enumerate(records) if _is_time(r)]
        if not picked:
            kinds = sorted(
                {FUNCTIONS.get(r["func_type"], f"type {r['func_type']}") for r in records}
            )
            raise DataError(
                f"{path}: {len(records)} type-58 data set(s), none a time response (found "
                f"{', '.join(kinds)}); expected function type 1"
            )
        return picked
    picked = []
    for name in wanted:
        if name not in names:
            listed = ", ".join(names[:12]) + (f", … ({len(names)})" if len(names) > 12 else "")
            raise DataError(
                f"{path}: no channel {name!r}; expected '<node>:<direction>', channels "
                f"present: {listed}"
            )
        k = names.index(name)
        if not _is_time(records[k]):
            kind = FUNCTIONS.get(records[k]["func_type"], f"type {records[k]['func_type']}")
            raise DataError(
                f"{path}: channel {name!r} (data set {records[k]['set']}) is a {kind}; "
                "expected a time response (function type 1)"
            )
        picked.append(k)
    return picked


def read_uff(
    path: str | os.PathLike[str],
    *,
    channels: tuple[str, ...] | None = None,
    rate: float | None = None,
    memory: int | None = None,
    timeout: float | None = None,
) -> tuple[Recording, tuple[str, ...]]:
    """Read the type-58 time responses of a UFF file (module docstring: channels, rate).

    Returns
    -------
    (Recording, tuple of str)
        The recording and each channel's ordinate unit label (``""`` where none).

    Raises
    ------
    DataError
        Not a UFF file, or pyuff refused it (or needed more memory than the limit, crashed
        or hung); no time response, a channel missing or not a time response; complex or
        unevenly spaced values, fewer values than the header says, records of different
        lengths or increments; NaN, infinite or absurd values; a rate given that disagrees.
    ParameterError
        pyuff is not installed.
    """
    try:
        import pyuff  # noqa: F401  # lazy: optional (the 'readers' extra); forked children share it
    except ModuleNotFoundError as exc:
        raise missing_reader(exc, "reading UFF files") from None
    path = Path(path)
    prefix = f"{path}: not a readable UFF file"
    size, head = read_head(path, 256, prefix)
    if not head.lstrip(b" \t\r\n").startswith(b"-1"):
        raise DataError(
            f"{prefix} (another format?): starts with {head[:16]!r}; expected a data set "
            "opening with the delimiter '    -1'"
        )
    data = run_reader(
        lambda out: _child(path, channels, out),
        size=size,
        memory=memory,
        timeout=timeout,
        prefix=prefix,
        what="the UFF reader (pyuff)",
    )
    meta, arrays = unpack_arrays(data)
    picked = _select(meta, channels, path)
    records = [meta["records"][k] for k in picked]
    names = [_names(meta["records"])[k] for k in picked]
    for name, r, x in zip(names, records, arrays, strict=True):
        where = f"{path}: channel {name!r} (data set {r['set']})"
        if r["ord_data_type"] not in (2, 4):
            raise DataError(
                f"{where}: ordinate data type {r['ord_data_type']}; expected real values (2 or 4)"
            )
        if r["abscissa_spacing"] != 1:
            raise DataError(f"{where}: uneven abscissa; expected evenly spaced time (spacing 1)")
        if x.size != r["num_pts"]:
            raise DataError(
                f"{where}: {x.size} values, its header says {r['num_pts']} (truncated?)"
            )
        if x.size < 2:
            raise DataError(f"{where}: {x.size} value(s); expected at least 2")
        bad = ~np.isfinite(x)
        if bad.any():
            i = int(np.argmax(bad))
            raise DataError(
                f"{where}, value {i + 1}: found {float(x[i])!r}; expected finite values"
            )
        big = first_too_large(x, MAX_ABS_VALUE)
        if big is not None:
            i = big[0]
            raise DataError(
                f"{where}, value {i + 1}: found {float(x[i]):g}; expected |x| <= "
                f"{MAX_ABS_VALUE:g} (no plausible measurement in any unit)"
            )
        inc = r["abscissa_inc"]
        if not (isinstance(inc, float | int) and inc > 0 and np.isfinite(1.0 / inc)):
            raise DataError(f"{where}: abscissa increment {inc!r}; expected a positive time step")
    lengths = {n: x.size for n, x in zip(names, arrays, strict=True)}
    if len(set(lengths.values())) > 1:
        listed = ", ".join(f"{k} {v}" for k, v in lengths.items())
        raise DataError(f"{path}: the channels differ in length ({listed} values); expected one")
    own = [nominal_rate(1.0 / float(r["abscissa_inc"])) for r in records]
    if any(abs(f - own[0]) > 1e-6 * own[0] for f in own):
        listed = ", ".join(f"{n} {f:g} Hz" for n, f in zip(names, own, strict=True))
        raise DataError(f"{path}: the channels have different rates ({listed}); expected one")
    if rate is not None and not agree(own[0], rate):
        raise DataError(
            f"{path}: channel {names[0]!r}: abscissa increment {records[0]['abscissa_inc']:g} s "
            f"gives {own[0]:g} Hz, the rate given is {rate:g} Hz; expected them to agree within "
            f"{RATE_TOLERANCE:.0%}"
        )
    units = []
    for r in records:
        lab = str(r["ordinate_axis_units_lab"] or "").strip()
        units.append("" if lab.upper() in ("", "NONE") else lab)
    rec = Recording(
        name=str(path),
        signals=np.vstack(arrays),
        fs=float(rate if rate is not None else own[0]),
        channel_names=tuple(names),
    )
    return rec, tuple(units)
