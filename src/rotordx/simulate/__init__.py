"""Physics-based simulators (see ``docs/simulator.md``).

The KAMP rotor testbed
----------------------
    TestbedConfig
    simulate_testbed, simulate_class
    running_speed, shaft_angle

A fleet of machines recorded as short snapshots
-----------------------------------------------
    FleetConfig, Snapshot, Machine
    simulate_fleet, iter_fleet, fleet_machines, write_fleet
    FLEET_BEARINGS, bearing_label
"""

from rotordx.simulate.config import TestbedConfig
from rotordx.simulate.faults import FLEET_BEARINGS, Machine, bearing_label
from rotordx.simulate.fleet import (
    FleetConfig,
    Snapshot,
    fleet_machines,
    iter_fleet,
    simulate_fleet,
    write_fleet,
)
from rotordx.simulate.testbed import running_speed, shaft_angle, simulate_class, simulate_testbed

__all__ = [
    "FLEET_BEARINGS",
    "FleetConfig",
    "Machine",
    "Snapshot",
    "TestbedConfig",
    "bearing_label",
    "fleet_machines",
    "iter_fleet",
    "running_speed",
    "shaft_angle",
    "simulate_class",
    "simulate_fleet",
    "simulate_testbed",
    "write_fleet",
]
