"""Workflows: what the commands do, as functions that return results and never print.

train_run, fit_and_score           (:mod:`~rotordx.workflows.train`)
evaluate_run                        (:mod:`~rotordx.workflows.evaluate`)
run_demo                            (:mod:`~rotordx.workflows.demo`)
compare_models, write_comparison    (:mod:`~rotordx.workflows.compare`)
cross_validate, write_crossval      (:mod:`~rotordx.workflows.crossval`)
build_report, write_report          (:mod:`~rotordx.workflows.report`)
"""

from rotordx.workflows.compare import compare_models, shift_study, write_comparison
from rotordx.workflows.crossval import cross_validate, make_folds, write_crossval
from rotordx.workflows.demo import run_demo
from rotordx.workflows.evaluate import evaluate_run
from rotordx.workflows.report import build_report, write_report
from rotordx.workflows.train import fit_and_score, train_run

__all__ = [
    "build_report",
    "compare_models",
    "cross_validate",
    "evaluate_run",
    "fit_and_score",
    "make_folds",
    "run_demo",
    "shift_study",
    "train_run",
    "write_comparison",
    "write_crossval",
    "write_report",
]
