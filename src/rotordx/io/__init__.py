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
"""

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
from rotordx.io.tabular import Recording, read_channels

__all__ = [
    "CLASSES",
    "COLUMNS",
    "N_SENSORS",
    "KampGroup",
    "Recording",
    "SensorRecording",
    "find_groups",
    "load_kamp_group",
    "read_channels",
    "read_kamp_sensor",
    "sensor_path",
    "write_kamp_group",
    "write_kamp_sensor",
]
