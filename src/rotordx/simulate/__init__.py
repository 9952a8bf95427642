"""A physics-based simulator of the KAMP rotor testbed (see ``docs/simulator.md``).

TestbedConfig
simulate_testbed, simulate_class
running_speed, shaft_angle
"""

from rotordx.simulate.config import TestbedConfig
from rotordx.simulate.testbed import running_speed, shaft_angle, simulate_class, simulate_testbed

__all__ = ["TestbedConfig", "running_speed", "shaft_angle", "simulate_class", "simulate_testbed"]
