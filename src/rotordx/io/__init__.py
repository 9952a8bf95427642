"""Reading and writing vibration recordings.

KAMP rotor testbed
------------------
    load_kamp_group
    read_kamp_sensor
    write_kamp_group
    find_groups
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

__all__ = [
    "CLASSES",
    "COLUMNS",
    "N_SENSORS",
    "KampGroup",
    "SensorRecording",
    "find_groups",
    "load_kamp_group",
    "read_kamp_sensor",
    "sensor_path",
    "write_kamp_group",
    "write_kamp_sensor",
]
