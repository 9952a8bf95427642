"""Generic MATLAB ``.mat`` recordings: channels are variables, named by the manifest.

Files named like CWRU recordings keep their own reader (:mod:`rotordx.io.cwru`); every
other ``.mat`` file is read here, by :func:`rotordx.io.mat5.read_mat` (pure Python: no
native parser sees the file).

Which variables are channels (the manifest's ``channel``, several separated by ``;``):

* a top-level variable by its name, ``acc``; a field of a struct by a dotted name,
  ``bearing.gs``, ``Data.Acc.x`` (structs nest to any depth);
* an element of a struct array by a 1-based index in parentheses, ``Y(7).Data``, and of
  a cell array in braces, ``signals{2}`` (MATLAB's linear index: column-major order);
* one column or row of a matrix, ``acc(:,2)`` / ``acc(2,:)``;
* by default (no ``channel``): every top-level real numeric variable with the most
  samples (a shorter one, such as a scalar rate, is not a channel), except variables
  named like time or a rate.

A vector, ``(n, 1)`` or ``(1, n)``, is one channel named as written. A matrix is one
channel per column or row: **time runs along its longer side** (``(n, k)`` with ``n > k``
gives ``k`` channels ``acc(:,1)`` … ``acc(:,k)``; ``(k, n)`` gives ``acc(1,:)`` …); a
square matrix or an array of three or more non-singleton dimensions is refused.

The sample rate: the manifest's ``rate``; else a positive scalar variable named
:data:`RATE_NAMES` (``fs``, ``Fs``, ``sr``, ``sampling_rate`` …, case-insensitive) in
the struct that holds the first channel, or in a struct above it, or at the top level;
else a time variable (named like a CSV time column, e.g. ``t``, ``time``) of the same
length beside the channel, by the CSV time-column rules. Where two of them exist they
must agree within 1%. (``rate`` is not a rate name: in the MFPT data set
``bearing.rate`` is the shaft speed in Hz.)
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import numpy as np

from rotordx.exceptions import DataError
from rotordx.io._limits import MAX_ABS_VALUE, first_too_large
from rotordx.io._time import RATE_TOLERANCE, agree, time_rate, time_scale
from rotordx.io.mat5 import read_mat
from rotordx.io.recording import Recording

__all__ = ["RATE_NAMES", "describe_variables", "read_matlab", "read_matlab_variables"]

#: Names of a sample-rate variable (compared lower-case, ``-`` and spaces read as ``_``).
RATE_NAMES: tuple[str, ...] = (
    "fs",
    "sr",
    "fsamp",
    "fsample",
    "sampling_rate",
    "sample_rate",
    "samplerate",
    "samplingrate",
    "sampling_frequency",
    "sample_frequency",
    "samplingfrequency",
)
#: Shortest channel accepted.
MIN_SAMPLES = 2

_SEGMENT = re.compile(
    r"^(?P<name>[^.(){}]+)(?P<index>(?:\(\d+\)|\{\d+\})*)(?P<slice>\((?::,\d+|\d+,:)\))?$"
)
_INDEX = re.compile(r"[({](\d+)[)}]")
_CLASS = {"f8": "double", "f4": "single", "c16": "complex double", "c8": "complex single"}


def _shape(v: np.ndarray) -> str:
    return "x".join(str(d) for d in v.shape)


def _describe(v: Any) -> str:
    if isinstance(v, dict):
        fields = list(v)
        more = f", … ({len(fields)} fields)" if len(fields) > 8 else ""
        return f"struct: {', '.join(fields[:8])}{more}"
    if isinstance(v, str):
        return "text"
    v = np.asarray(v)
    if v.dtype == object:
        if v.size and all(isinstance(e, dict) for e in v.flat):
            return f"{_shape(v)} struct array: {', '.join(list(v.flat[0])[:8])}"
        return f"{_shape(v)} cell"
    if v.dtype.kind in "US":
        return "text"
    if v.dtype.kind == "b":
        return f"{_shape(v)} logical"
    key = f"{v.dtype.kind}{v.dtype.itemsize}"
    return f"{_shape(v)} {_CLASS.get(key, v.dtype.name)}"


def describe_variables(variables: dict[str, Any], limit: int = 12) -> str:
    """``"bearing (struct: gs, sr, rate, load), X (4000x1 double)"`` for messages."""
    items = [f"{k} ({_describe(v)})" for k, v in list(variables.items())[:limit]]
    if len(variables) > limit:
        items.append(f"… ({len(variables)} variables)")
    return ", ".join(items) or "none"


def _resolve(variables: dict[str, Any], written: str, path: Path) -> tuple[Any, list[dict]]:
    """The value ``written`` names, and the structs it passed through (innermost last)."""
    parts = written.strip().split(".")
    scope: Any = variables
    structs: list[dict] = [variables]
    sofar = ""

    def missing(what: str) -> DataError:
        return DataError(
            f"{path}: variable {written!r} not found: {what}; variables present: "
            f"{describe_variables(variables)}"
        )

    for k, part in enumerate(parts):
        m = _SEGMENT.match(part.strip())
        if m is None:
            raise missing(f"{part!r} is not a name, name(k), name{{k}} or name(:,k)")
        name = m["name"]
        if k and not isinstance(scope, dict):
            hint = ""
            if isinstance(scope, np.ndarray) and scope.dtype == object:
                hint = f" (index it: '{sofar}(1)')" if _is_structs(scope) else f" ('{sofar}{{1}}')"
            raise missing(f"{sofar!r} is a {_describe(scope)}, not a struct{hint}")
        if not isinstance(scope, dict) or name not in scope:
            where = "the file" if k == 0 else f"{sofar!r} (struct: {', '.join(scope)})"
            raise missing(f"no {name!r} in {where}")
        value = scope[name]
        sofar = f"{sofar}.{name}" if sofar else name
        for idx in _INDEX.finditer(m["index"]):
            brace = idx.group(0).startswith("{")
            arr = np.asarray(value) if not isinstance(value, dict) else None
            is_cell = arr is not None and arr.dtype == object and not _is_structs(arr)
            if isinstance(value, dict) and not brace and idx.group(1) == "1":
                sofar += "(1)"
                continue
            if arr is None or arr.dtype != object or brace != is_cell:
                kind = "{k} indexes cell arrays" if brace else "(k) indexes struct arrays"
                raise missing(f"{sofar!r} is a {_describe(value)}; {kind}")
            i = int(idx.group(1))
            if not 1 <= i <= arr.size:
                raise missing(f"{sofar!r} has {arr.size} elements, not {i}")
            value = arr.flatten(order="F")[i - 1]
            sofar += idx.group(0)
        if isinstance(value, np.ndarray) and _is_structs(value) and value.size == 1:
            value = value.flat[0]  # a 1x1 struct array is a struct
        if m["slice"]:
            value = _slice(value, m["slice"], written, path)
        if isinstance(value, dict):
            structs.append(value)
        scope = value
    return scope, structs


def _is_structs(arr: np.ndarray) -> bool:
    return arr.dtype == object and arr.size > 0 and all(isinstance(e, dict) for e in arr.flat)


def _slice(value: Any, text: str, written: str, path: Path) -> np.ndarray:
    v = np.asarray(value)
    if v.ndim != 2 or v.dtype.kind not in "fiu":
        raise DataError(
            f"{path}: variable {written!r}: {text} needs a numeric matrix, found {_describe(value)}"
        )
    a, b = text[1:-1].split(",")
    axis, i = (1, int(b)) if a == ":" else (0, int(a))
    if not 1 <= i <= v.shape[axis]:
        raise DataError(
            f"{path}: variable {written!r}: {_shape(v)} has no {'column' if axis else 'row'} {i}"
        )
    return v[:, i - 1 : i] if axis else v[i - 1 : i, :]


def _columns(name: str, value: Any, path: Path) -> list[tuple[str, np.ndarray]]:
    """The channels of one variable: ``[(name, samples)]``."""
    if isinstance(value, str | dict) or np.asarray(value).dtype.kind not in "fiu":
        kind = _describe(value)
        raise DataError(
            f"{path}: variable {name!r}: found {kind}; expected real numbers (a vector, or a "
            "matrix with time along its longer side)"
        )
    v = np.asarray(value)
    dims = [d for d in v.shape if d != 1]
    if len(dims) <= 1:
        return [(name, v.reshape(-1).astype(np.float64))]
    if len(dims) > 2 or v.ndim > 2:
        raise DataError(
            f"{path}: variable {name!r} has shape {v.shape}; expected a vector or a 2-D matrix"
        )
    rows, cols = v.shape
    if rows == cols:
        raise DataError(
            f"{path}: variable {name!r} is a square {rows}x{cols} matrix; expected time along "
            "the longer side (name one row or column, e.g. 'x(:,1)')"
        )
    if rows > cols:
        return [(f"{name}(:,{j + 1})", v[:, j].astype(np.float64)) for j in range(cols)]
    return [(f"{name}({i + 1},:)", v[i, :].astype(np.float64)) for i in range(rows)]


def _finite(path: Path, name: str, x: np.ndarray) -> None:
    bad = ~np.isfinite(x)
    if bad.any():
        i = int(np.argmax(bad))
        raise DataError(
            f"{path}: variable {name!r}, sample {i + 1}: found {float(x[i])!r}; "
            "expected finite values"
        )


def _named(scope: dict, test) -> list[str]:
    return [k for k in scope if test(k)]


def _is_rate_name(name: str) -> bool:
    return re.sub(r"[\s\-]+", "_", str(name).strip().lower()) in RATE_NAMES


def _file_rate(structs: list[dict], path: Path, prefixes: list[str]) -> tuple[float, str] | None:
    """The rate variable nearest to the channel (its struct, those above, the top level)."""
    for scope, prefix in zip(reversed(structs), reversed(prefixes), strict=True):
        for k in _named(scope, _is_rate_name):
            v = scope[k]
            arr = None if isinstance(v, str | dict) else np.asarray(v)
            name = f"{prefix}{k}"
            if arr is None or arr.dtype.kind not in "fiu" or arr.size != 1:
                raise DataError(
                    f"{path}: variable {name!r} (a sample-rate name): found {_describe(v)}; "
                    "expected one positive number of Hz"
                )
            fs = float(arr.reshape(-1)[0])
            if not (np.isfinite(fs) and fs > 0):
                raise DataError(
                    f"{path}: variable {name!r}: found {fs:g}; expected a positive number of Hz"
                )
            return fs, f"variable {name!r}"
    return None


def read_matlab(
    path: str | os.PathLike[str],
    *,
    channels: tuple[str, ...] | None = None,
    rate: float | None = None,
    default_rate: float | None = None,
) -> Recording:
    """Read a generic ``.mat`` file (see the module docstring for the rules).

    Parameters
    ----------
    channels : tuple of str, optional
        Variable names (dotted, indexed); default the longest top-level numeric variables.
    rate : float, optional
        The rate the user gives (must agree with a rate or time variable of the file).
    default_rate : float, optional
        Used only when the file gives no rate.

    Raises
    ------
    DataError
        The file cannot be read (:func:`~rotordx.io.mat5.read_mat`); a variable is
        missing (the message lists the variables present, with struct fields), not real
        numbers, of a shape that is no vector or matrix, shorter than 2 samples, NaN or
        infinite, beyond :data:`~rotordx.io._limits.MAX_ABS_VALUE`; channels differ in
        length; no rate, or rates that disagree.
    """
    path = Path(path)
    return read_matlab_variables(
        path, read_mat(path), channels=channels, rate=rate, default_rate=default_rate
    )


def _default_channels(variables: dict[str, Any], path: Path) -> tuple[str, ...]:
    def length(v: Any) -> int:
        if isinstance(v, str | dict) or np.asarray(v).dtype.kind not in "fiu":
            return 0
        dims = sorted(np.asarray(v).shape)
        return dims[-1] if dims and (len(dims) < 2 or dims[-2] != dims[-1]) else 0

    sizes = {
        k: length(v) for k, v in variables.items() if time_scale(k) is None and not _is_rate_name(k)
    }
    longest = max(sizes.values(), default=0)
    if longest < MIN_SAMPLES:
        raise DataError(
            f"{path}: no numeric variable at the top level to read as a channel; name the "
            f"variables with the manifest's 'channel' (e.g. 'bearing.gs'); variables present: "
            f"{describe_variables(variables)}"
        )
    return tuple(k for k, n in sizes.items() if n == longest)


def read_matlab_variables(
    path: Path,
    variables: dict[str, Any],
    *,
    channels: tuple[str, ...] | None = None,
    rate: float | None = None,
    default_rate: float | None = None,
) -> Recording:
    """:func:`read_matlab` on variables already read (``read_mat``'s dict)."""
    variables = {k: v for k, v in variables.items() if not k.startswith("__")}
    wanted = channels or _default_channels(variables, path)
    found: list[tuple[str, np.ndarray]] = []
    first_structs: list[dict] | None = None
    first_prefixes: list[str] = [""]
    for written in wanted:
        if channels is None:  # a top-level name, whatever characters it holds
            value, structs = variables[written], [variables]
        else:
            value, structs = _resolve(variables, written, path)
        if first_structs is None:
            first_structs = structs
            dotted = written.strip().split(".")
            first_prefixes = [".".join(dotted[:k]) + "." if k else "" for k in range(len(structs))]
        found.extend(_columns(written.strip(), value, path))
    lengths = {name: x.size for name, x in found}
    if len(set(lengths.values())) > 1:
        listed = ", ".join(f"{k} {n}" for k, n in lengths.items())
        raise DataError(
            f"{path}: the channels differ in length ({listed} samples); expected one length"
        )
    for name, x in found:
        if x.size < MIN_SAMPLES:
            raise DataError(
                f"{path}: variable {name!r} holds {x.size} sample(s); expected at least "
                f"{MIN_SAMPLES}"
            )
        _finite(path, name, x)
        big = first_too_large(x, MAX_ABS_VALUE)
        if big is not None:
            i = big[0]
            raise DataError(
                f"{path}: variable {name!r}, sample {i + 1}: found {float(x[i]):g}; expected "
                f"|x| <= {MAX_ABS_VALUE:g} (no plausible measurement in any unit)"
            )
    fs = _rate(
        path, first_structs or [variables], first_prefixes, found[0][1].size, rate, default_rate
    )
    return Recording(
        name=str(path),
        signals=np.vstack([x for _, x in found]),
        fs=fs,
        channel_names=tuple(n for n, _ in found),
    )


def _rate(
    path: Path,
    structs: list[dict],
    prefixes: list[str],
    n: int,
    rate: float | None,
    default_rate: float | None,
) -> float:
    own = _file_rate(structs, path, prefixes)
    if own is not None and rate is not None and not agree(own[0], rate):
        raise DataError(
            f"{path}: {own[1]} says {own[0]:g} Hz, the rate given is {rate:g} Hz; expected "
            f"them to agree within {RATE_TOLERANCE:.0%}"
        )
    fs = rate if rate is not None else (own[0] if own is not None else None)
    for scope, prefix in zip(reversed(structs), reversed(prefixes), strict=True):
        times = _named(scope, lambda k: time_scale(k) is not None)
        for k in times:
            v = scope[k]
            arr = None if isinstance(v, str | dict) else np.asarray(v)
            if arr is None or arr.dtype.kind not in "fiu" or arr.size != n:
                continue  # not a time axis of these channels
            scale = time_scale(k)
            if isinstance(scale, str):
                raise DataError(
                    f"{path}: variable {prefix}{k!r}: time in {scale!r}; expected s, ms or µs"
                )
            t = arr.reshape(-1).astype(np.float64) * scale
            name = f"{prefix}{k}"
            _finite(path, name, t)

            def at(i: int | None, name=name) -> str:
                return f"{path}: variable {name!r}" + (f", sample {i + 1}" if i is not None else "")

            given = "the rate given" if rate is not None else (own[1] if own else "")
            return time_rate(t, rate=fs, at=at, given=given)
    if fs is None:
        fs = default_rate
    if fs is None:
        raise DataError(
            f"{path}: no sample rate: no variable named {', '.join(RATE_NAMES[:4])}, … and no time "
            "variable beside the channels; give the rate (the manifest's 'rate', or --rate)"
        )
    return float(fs)
