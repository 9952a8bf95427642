"""Diagnosis: verdicts with the physical evidence behind them.

diagnose, diagnose_path, load_recordings    (:mod:`~rotordx.diagnosis.api`)
Diagnosis, Finding                          (:mod:`~rotordx.diagnosis.result`)
interpret_orders, physics_verdict           (:mod:`~rotordx.diagnosis.rules`)
Diagnoser, run_passes                       (:mod:`~rotordx.diagnosis.engine`)
"""

from rotordx.diagnosis.api import diagnose, diagnose_path, load_recordings, model_rate
from rotordx.diagnosis.engine import Diagnoser, run_passes
from rotordx.diagnosis.result import Diagnosis, Finding
from rotordx.diagnosis.rules import BASELINE_FACTOR, interpret_orders, physics_verdict

__all__ = [
    "BASELINE_FACTOR",
    "Diagnoser",
    "Diagnosis",
    "Finding",
    "diagnose",
    "diagnose_path",
    "interpret_orders",
    "load_recordings",
    "model_rate",
    "physics_verdict",
]
