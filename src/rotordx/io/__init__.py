"""Reading and writing vibration recordings; what a path is.

Every reader returns :class:`Recording` / :class:`LabeledRecording` objects
(signals ``(n_channels, n_samples)``) or raises
:class:`~rotordx.exceptions.DataError` naming the file, line and column.

Sources
-------
    open_source, Source, read_recording, load_entry, entries_of

Recordings
----------
    Recording, LabeledRecording

KAMP rotor testbed
------------------
    load_kamp_group, read_kamp_sensor, write_kamp_group, write_kamp_sensor, find_groups

Other formats
-------------
    read_channels (CSV, Parquet), read_wav, read_cwru (CWRU .mat), read_matlab (other
    .mat), read_tdms (NI TDMS), read_uff (UFF type 58); TDMS and UFF need the
    ``readers`` extra

Manifests
---------
    read_manifest, write_cwru_manifest, ManifestEntry
"""

from rotordx.io.cwru import CwruInfo, CwruRecording, find_cwru, parse_cwru_name, read_cwru
from rotordx.io.datadir import default_data_dir
from rotordx.io.kamp import (
    COLUMNS,
    N_SENSORS,
    KampGroup,
    SensorRecording,
    find_groups,
    load_kamp_group,
    read_kamp_sensor,
    sensor_path,
    write_kamp_group,
    write_kamp_sensor,
)
from rotordx.io.manifest import ManifestEntry, read_manifest, write_cwru_manifest
from rotordx.io.matlab import read_matlab
from rotordx.io.recording import LabeledRecording, Recording
from rotordx.io.sources import Source, entries_of, load_entry, open_source, read_recording
from rotordx.io.tabular import read_channels
from rotordx.io.tdms import read_tdms
from rotordx.io.uff import read_uff
from rotordx.io.wav import read_wav

__all__ = [
    "COLUMNS",
    "N_SENSORS",
    "CwruInfo",
    "CwruRecording",
    "KampGroup",
    "LabeledRecording",
    "ManifestEntry",
    "Recording",
    "SensorRecording",
    "Source",
    "default_data_dir",
    "entries_of",
    "find_cwru",
    "find_groups",
    "load_entry",
    "load_kamp_group",
    "open_source",
    "parse_cwru_name",
    "read_channels",
    "read_cwru",
    "read_kamp_sensor",
    "read_manifest",
    "read_matlab",
    "read_recording",
    "read_tdms",
    "read_uff",
    "read_wav",
    "sensor_path",
    "write_cwru_manifest",
    "write_kamp_group",
    "write_kamp_sensor",
]
