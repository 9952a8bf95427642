"""Manifests: labelled lists of recordings, so any user can bring their own data.

A manifest is a CSV file with a header row. Required columns ``path`` and
``label``; optional ``rate``, ``channel``, ``rpm``, ``condition``, and what is
known of the machine: ``machine``, ``bearing``, ``units``, ``sensitivity``,
``direction``::

    path,label,rate,channel,rpm,condition,machine,bearing,units,direction
    cwru/12k_Drive_End_IR007_0_105.mat,inner_race,12000,DE,1797,0hp,cwru,,,
    pump/healthy.csv,normal,25600,acc_x;acc_y,2950,,P-101,6308,g,horizontal;vertical
    pump/bad.wav,outer_race,,,2950,,P-102,9:7.94:39:0,V,axial

* ``path``: relative to the manifest's folder (or absolute). Supported:
  ``.mat`` (a CWRU name: :func:`rotordx.io.cwru.read_cwru`; any other:
  :func:`rotordx.io.matlab.read_matlab`), ``.csv`` and ``.parquet`` (one
  column per channel, :func:`rotordx.io.tabular.read_channels`), ``.wav``
  (:mod:`scipy.io.wavfile`; each WAV channel is a channel), ``.tdms``
  (:func:`rotordx.io.tdms.read_tdms`), ``.uff``/``.unv`` (type 58,
  :func:`rotordx.io.uff.read_uff`).
* ``label``: the class.
* ``rate``: sample rate in Hz (files that state none need it, here or as
  ``default_rate``; where a file states one — a time column, a rate
  variable, ``wf_increment``, a WAV or CWRU file — the two must agree).
* ``channel``: which channel(s) to use, several separated by ``;``: for a
  CWRU ``.mat`` ``DE``/``FE``/``BA`` (default ``DE``), for another ``.mat``
  variable names (``bearing.gs``, ``Y(2).Data``, ``acc(:,1)``: quote the cell
  when a name holds a comma), for CSV/Parquet column names (default all), for
  WAV ``ch0``, ``ch1``… (default all), for TDMS ``group/channel``, for UFF
  ``node:direction`` (``1:+Z``).
* ``rpm``: shaft speed (rev/min); for a CWRU ``.mat`` the file's own speed
  is used when empty.
* ``condition``: free text (load, speed, test rig…), e.g. to split by
  condition.
* ``machine``: the asset the recording belongs to (``crossval --folds
  machine`` holds out whole machines).
* ``bearing``: the monitored bearing, a catalogue name (``6205``, ``SKF
  6205``) or its geometry ``balls:ball_diameter:pitch_diameter:contact_angle``
  (the diameters in any one length unit, the angle in degrees).
* ``units``: what the file's values are: ``g``, ``m/s2``, ``mm/s``, or ``V``
  with ``sensitivity`` (mV per g, or e.g. ``10.2 mV/(m/s2)``); the recording
  is converted to m/s² (:func:`rotordx.signal.units.to_acceleration`). Empty:
  the file's values are used as they are (m/s² assumed).
* ``direction``: per channel, aligned with ``channel`` (or with the file's
  channels), ``horizontal``/``vertical``/``axial`` (or ``h``/``v``/``a``),
  separated by ``;``; an empty part is an unknown direction.

Functions
---------
    read_manifest, is_manifest
    write_cwru_manifest, cwru_entries

Reading the recordings an entry names is :func:`rotordx.io.sources.load_entry`.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path

from rotordx._atomic import write_text_atomic
from rotordx.exceptions import DataError, ParameterError
from rotordx.io._cells import DIRECTIONS, bearing_cell, directions_cell, positive_cell, units_cells
from rotordx.io.cwru import CHANNELS, find_cwru, parse_cwru_name

__all__ = [
    "DIRECTIONS",
    "EXTENSIONS",
    "OPTIONAL_COLUMNS",
    "REQUIRED_COLUMNS",
    "ManifestEntry",
    "cwru_entries",
    "is_manifest",
    "read_manifest",
    "write_cwru_manifest",
]

#: Columns every manifest must have.
REQUIRED_COLUMNS: tuple[str, ...] = ("path", "label")
#: Columns a manifest may have.
OPTIONAL_COLUMNS: tuple[str, ...] = (
    "rate",
    "channel",
    "rpm",
    "condition",
    "machine",
    "bearing",
    "units",
    "sensitivity",
    "direction",
)
#: Recording formats a manifest may reference.
EXTENSIONS: tuple[str, ...] = (".mat", ".csv", ".parquet", ".wav", ".tdms", ".uff", ".unv")


@dataclass(frozen=True)
class ManifestEntry:
    """One line of a manifest.

    Attributes
    ----------
    path : Path
        The recording, resolved (absolute).
    label : str
    rate : float or None
        Sample rate in Hz.
    channel : str or None
        Channel(s) as written (several separated by ``;``); ``.mat``
        channels are upper-cased.
    rpm : float or None
    condition : str or None
    machine : str or None
        The asset the recording belongs to.
    bearing : str or None
        A catalogue name or a geometry ``balls:d:D:angle``, as written.
    units : str or None
        ``g``, ``m/s2``, ``mm/s`` or ``V`` (canonical spelling).
    sensitivity : (float, str) or None
        With ``units="V"``: mV per unit, and that unit.
    directions : tuple of str or None
        Per channel ``"horizontal"``, ``"vertical"``, ``"axial"`` or ``""``.
    line : int
        Line of the manifest (1 = header), for messages.
    manifest : Path or None
        The manifest file, for messages.
    """

    path: Path
    label: str
    rate: float | None = None
    channel: str | None = None
    rpm: float | None = None
    condition: str | None = None
    machine: str | None = None
    bearing: str | None = None
    units: str | None = None
    sensitivity: tuple[float, str] | None = None
    directions: tuple[str, ...] | None = None
    line: int = 0
    manifest: Path | None = None

    @property
    def channels(self) -> tuple[str, ...] | None:
        """``channel`` split at ``;``, or ``None``."""
        if self.channel is None:
            return None
        return tuple(c.strip() for c in self.channel.split(";"))

    @property
    def where(self) -> str:
        """``"<manifest>: line <n>"`` for messages (``"<folder>: file <n>"`` for the
        entries of a folder of recordings, which has no lines)."""
        if self.manifest is not None and Path(self.manifest).is_dir():
            return f"{self.manifest}: file {self.line}"
        return f"{self.manifest or 'manifest'}: line {self.line}"


def _entry(
    row: list[str],
    header: list[str],
    *,
    line: int,
    path: Path,
    base: Path,
    allowed: set[str] | None,
) -> ManifestEntry:
    """The entry of one non-blank manifest row; DataError naming the line and column."""
    where = f"{path}: line {line}"
    if len(row) != len(header):
        raise DataError(f"{where}: {len(row)} cells; expected {len(header)} ({','.join(header)})")
    cell = dict(zip(header, (c.strip() for c in row), strict=True))
    written = cell["path"]
    if not written:
        raise DataError(f"{where}, column 'path': empty; expected a file path")
    label = cell["label"]
    if not label:
        raise DataError(f"{where}, column 'label': empty; expected a label")
    if allowed is not None and label not in allowed:
        raise DataError(
            f"{where}, column 'label': unknown label {label!r}; "
            f"expected one of {', '.join(sorted(allowed))}"
        )
    try:
        target = Path(written).expanduser()
        resolved = (target if target.is_absolute() else base / target).resolve()
        exists = resolved.is_file()
    except (OSError, ValueError, RuntimeError) as exc:  # NUL byte, name too long, ~user
        raise DataError(
            f"{where}, column 'path': {written[:80]!r} is not a usable file path ({exc})"
        ) from None
    ext = resolved.suffix.lower()
    if ext not in EXTENSIONS:
        raise DataError(
            f"{where}, column 'path': {written!r} has unsupported extension "
            f"{resolved.suffix or '(none)'!r}; expected one of {', '.join(EXTENSIONS)}"
        )
    if not exists:
        raise DataError(
            f"{where}, column 'path': file {written!r} not found (resolved to {resolved})"
        )
    rate = positive_cell(cell.get("rate", ""), where=where, column="rate")
    rpm = positive_cell(cell.get("rpm", ""), where=where, column="rpm")
    channel = cell.get("channel", "") or None
    if channel is not None:
        parts = [c.strip() for c in channel.split(";")]
        if any(not c for c in parts):
            raise DataError(f"{where}, column 'channel': {channel!r} has an empty channel name")
        if ext == ".mat" and _is_cwru_name(resolved):
            parts = [c.upper() for c in parts]
            bad = [c for c in parts if c not in CHANNELS]
            if bad:
                raise DataError(
                    f"{where}, column 'channel': {', '.join(bad)} is not a .mat channel; "
                    f"expected {', '.join(CHANNELS)}"
                )
        if len(set(parts)) != len(parts):
            raise DataError(f"{where}, column 'channel': {channel!r} repeats a channel")
        channel = ";".join(parts)
    condition = cell.get("condition", "") or None
    units, sensitivity = units_cells(cell, where)
    directions = directions_cell(cell.get("direction", ""), channel, where)
    return ManifestEntry(
        path=resolved,
        label=label,
        rate=rate,
        channel=channel,
        rpm=rpm,
        condition=condition,
        machine=cell.get("machine", "") or None,
        bearing=bearing_cell(cell.get("bearing", ""), where),
        units=units,
        sensitivity=sensitivity,
        directions=directions,
        line=line,
        manifest=path,
    )


def _bad_row(row: list[str], header: list[str], base: Path) -> tuple[dict, Path | None]:
    """A bad row's cells (as many as there are), and its path resolved where it can be."""
    cells = {h: c.strip() for h, c in zip(header, row, strict=False)}
    try:
        target = Path(cells.get("path", "")).expanduser()
        return cells, (target if target.is_absolute() else base / target).resolve()
    except (OSError, ValueError, RuntimeError):
        return cells, None


def read_manifest(
    path: str | os.PathLike[str],
    *,
    labels: Collection[str] | None = None,
    on_bad: Callable[[int, dict, Path | None, str], None] | None = None,
) -> list[ManifestEntry]:
    """Read and validate a manifest CSV.

    Parameters
    ----------
    path : path-like
        The manifest (UTF-8 CSV with a header row; blank lines are skipped).
    labels : collection of str, optional
        The allowed labels; by default any non-empty label.
    on_bad : callable, optional
        Called as ``on_bad(line, cells, resolved_path_or_None, message)``
        (``cells``: column -> text as written) for a line that cannot be
        read, instead of raising: a
        batch over thousands of lines goes on and reports each bad one. What
        is wrong with the manifest as a whole (missing, empty, its header)
        still raises.

    Returns
    -------
    list of ManifestEntry
        In file order.

    Raises
    ------
    DataError
        With the manifest's path, the line and the column: the file is
        missing or empty, a required column is missing or a column unknown,
        a line has the wrong number of cells, a path or label is empty, a
        referenced file does not exist (the path as written and resolved),
        its extension is not one of :data:`EXTENSIONS`, a label is not in
        ``labels``, a rate or rpm is not a positive number, a CWRU ``.mat``
        channel is not DE/FE/BA, or a path (with the same channel) appears
        twice.
    """
    return _read(path, labels, on_bad)


def _read(path, labels, on_bad) -> list[ManifestEntry]:
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: manifest not found")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not a UTF-8 text file ({exc})") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    header: list[str] | None = None
    header_line = 0
    for row in reader:
        if row and any(c.strip() for c in row):
            header = [c.strip().lower() for c in row]
            header_line = reader.line_num
            break
    if header is None:
        raise DataError(
            f"{path}: manifest is empty; expected a header row with the columns "
            f"{','.join(REQUIRED_COLUMNS)} (optional: {','.join(OPTIONAL_COLUMNS)})"
        )
    broken = next((c for c in header if "\n" in c or "\r" in c), None)
    if broken is not None:  # a quote left open: the message must stay on one line
        raise DataError(
            f"{path}: line {header_line}: column name {broken[:80]!r} spans several lines "
            f"(an unclosed quote?); expected {','.join(REQUIRED_COLUMNS)} "
            f"(optional: {','.join(OPTIONAL_COLUMNS)})"
        )
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise DataError(
            f"{path}: line {header_line}: missing column(s) {', '.join(missing)}; "
            f"found {','.join(header)}, expected {','.join(REQUIRED_COLUMNS)} "
            f"(optional: {','.join(OPTIONAL_COLUMNS)})"
        )
    known = (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS)
    for c in header:
        if c not in known:
            raise DataError(
                f"{path}: line {header_line}, column {c!r}: unknown column; "
                f"expected {', '.join(known)}"
            )
    dup = sorted({c for c in header if header.count(c) > 1})
    if dup:
        raise DataError(f"{path}: line {header_line}: column(s) {', '.join(dup)} repeated")
    if isinstance(labels, str):
        raise ParameterError(f"labels must be a collection of labels, not the string {labels!r}")
    allowed = None if labels is None else {str(lab) for lab in labels}
    base = path.resolve().parent
    entries: list[ManifestEntry] = []
    seen: dict[tuple[Path, tuple[str, ...] | None], int] = {}
    bad = 0
    for row in reader:
        line = reader.line_num
        if not row or not any(c.strip() for c in row):
            continue
        try:
            entry = _entry(row, header, line=line, path=path, base=base, allowed=allowed)
            key = (entry.path, entry.channels)
            if key in seen:
                raise DataError(
                    f"{path}: line {line}, column 'path': {row[header.index('path')].strip()!r} "
                    f"(channel {entry.channel or 'default'}) is already listed on line "
                    f"{seen[key]}"
                )
        except DataError as exc:
            if on_bad is None:
                raise
            on_bad(line, *_bad_row(row, header, base), str(exc))
            bad += 1
            continue
        seen[key] = line
        entries.append(entry)
    if not entries and not bad:
        raise DataError(f"{path}: manifest has a header but no entries")
    return entries


def _is_cwru_name(path: Path) -> bool:
    try:
        parse_cwru_name(path)
    except DataError:
        return False
    return True


def is_manifest(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is a CSV file whose header names the ``path`` and ``label`` columns."""
    path = Path(path)
    if path.suffix.lower() != ".csv" or not path.is_file():
        return False
    with path.open("r", encoding="utf-8-sig", errors="replace") as fh:
        header = {c.strip().lower() for c in fh.readline().split(",")}
    return set(REQUIRED_COLUMNS) <= header


def cwru_entries(directory: str | os.PathLike[str]) -> list[ManifestEntry]:
    """The entries of :func:`write_cwru_manifest`'s manifest of ``directory``, without writing it.

    The label is the fault type; rate, channel, rpm and condition come from
    the files (:func:`~rotordx.io.cwru.read_cwru`) when they are read.
    """
    directory = Path(directory)
    return [
        ManifestEntry(
            path=p.resolve(), label=parse_cwru_name(p).label, line=i + 1, manifest=directory
        )
        for i, p in enumerate(find_cwru(directory))
    ]


def write_cwru_manifest(
    directory: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    labels: str = "type",
) -> Path:
    """Write a manifest listing every CWRU ``.mat`` file of a folder.

    One line per file, sorted by name: ``path`` relative to the manifest's
    folder, ``label`` the fault type (``normal``, ``inner_race``, ``ball``,
    ``outer_race``) or with ``labels="type_size"`` type and size
    (``inner_race_007``), ``rate`` from the name, ``channel`` ``DE``,
    ``rpm`` the nominal speed of the load, ``condition`` the load
    (``0hp``…). The file is written atomically.

    Returns
    -------
    Path
        ``out``.

    Raises
    ------
    DataError
        The folder is missing, holds no ``.mat`` file, or a file name is not
        a CWRU name.
    ParameterError
        ``labels`` is not ``"type"`` or ``"type_size"``.
    """
    if labels not in ("type", "type_size"):
        raise ParameterError(f"labels must be 'type' or 'type_size', got {labels!r}")
    directory = Path(directory)
    files = find_cwru(directory)
    if not files:
        raise DataError(f"{directory}: no .mat files")
    out = Path(out)
    out_dir = out.resolve().parent
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["path", "label", "rate", "channel", "rpm", "condition"])
    for f in files:
        info = parse_cwru_name(f)
        rel = Path(os.path.relpath(f.resolve(), out_dir)).as_posix()
        label = info.label if labels == "type" else info.label_size
        w.writerow([rel, label, info.rate_hz, "DE", f"{info.nominal_rpm:g}", f"{info.load_hp}hp"])
    write_text_atomic(out, buf.getvalue())
    return out
