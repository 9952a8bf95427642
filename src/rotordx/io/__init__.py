"""Reading and writing vibration recordings.

KAMP rotor testbed
------------------
    load_kamp_group
    read_kamp_sensor
    write_kamp_group
    find_groups

Generic recordings
------------------
    read_channels
    Recording

CWRU bearing data and manifests
-------------------------------
    read_cwru, parse_cwru_name, find_cwru, default_data_dir
    read_manifest, load_entry, write_cwru_manifest
    ManifestEntry, LabeledRecording
"""

from rotordx.io.cwru import (
    CwruInfo,
    CwruRecording,
    default_data_dir,
    find_cwru,
    parse_cwru_name,
    read_cwru,
)
from rotordx.io.kamp import (
    CLASSES,
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
from rotordx.io.manifest import (
    LabeledRecording,
    ManifestEntry,
    load_entry,
    read_manifest,
    write_cwru_manifest,
)
from rotordx.io.tabular import Recording, read_channels

__all__ = [
    "CLASSES",
    "COLUMNS",
    "N_SENSORS",
    "CwruInfo",
    "CwruRecording",
    "KampGroup",
    "LabeledRecording",
    "ManifestEntry",
    "Recording",
    "SensorRecording",
    "default_data_dir",
    "find_cwru",
    "find_groups",
    "load_entry",
    "load_kamp_group",
    "parse_cwru_name",
    "read_channels",
    "read_cwru",
    "read_kamp_sensor",
    "read_manifest",
    "sensor_path",
    "write_cwru_manifest",
    "write_kamp_group",
    "write_kamp_sensor",
]
