"""The commands of ``rotordx``: where each lives and its one-line help.

The root command reads this table to list the commands without importing
them (``rotordx --help`` stays fast); a command's module is imported when it
runs. Adding a command: a function in a module of :mod:`rotordx.cli` and a
row here.
"""

from __future__ import annotations

__all__ = ["COMMANDS", "EXTRAS"]

#: Command name -> (module, one-line help), in the order ``rotordx --help`` lists them.
COMMANDS: dict[str, tuple[str, str]] = {
    "simulate": (
        "rotordx.cli.data",
        "Simulate the 4-sensor rotor testbed and write a KAMP group (CSV).",
    ),
    "simulate-fleet": (
        "rotordx.cli.data",
        "Simulate short snapshots of a fleet of machines with known faults (+ manifest).",
    ),
    "preprocess": (
        "rotordx.cli.data",
        "Resample to one grid, smooth and min-max scale a KAMP group (the seed's steps).",
    ),
    "train": (
        "rotordx.cli.models",
        "Train a model and write a run folder (bundle, metrics, figures).",
    ),
    "evaluate": (
        "rotordx.cli.models",
        "Score a saved model on all of another data set, with the model's preprocessing.",
    ),
    "export": (
        "rotordx.cli.models",
        "Export a run's torch model to ONNX (input standardisation and softmax included).",
    ),
    "demo": (
        "rotordx.cli.experiments",
        "Simulate a testbed, train every model (windowed and the seed's three), print a table.",
    ),
    "compare": (
        "rotordx.cli.experiments",
        "Train every model on the same splits; table of accuracy, time and size (+ shifts).",
    ),
    "crossval": (
        "rotordx.cli.experiments",
        "Hold out whole recordings (fault size, position, load, condition); accuracy per fold.",
    ),
    "diagnose": (
        "rotordx.cli.diagnose",
        "Diagnose recordings by their physics (or with --model), with the evidence behind it.",
    ),
    "batch": (
        "rotordx.cli.batch",
        "Diagnose every recording of a manifest on Dask (a laptop or a cluster); Parquet rows.",
    ),
    "report": (
        "rotordx.cli.diagnose",
        "One self-contained HTML page: spectra with orders, features per class, a physics model.",
    ),
    "manifest": (
        "rotordx.cli.data",
        "Write manifests (path,label,rate,channel,rpm,condition) for known data sets.",
    ),
    "serve": (
        "rotordx.cli.serve",
        "Serve the condition-monitoring API, history database and live page (HTTP/WebSocket).",
    ),
    "import-batch": (
        "rotordx.cli.serve",
        "Load a batch's results into the service's history database (each recording once).",
    ),
}

#: Commands that need an extra (``pip install 'rotordx[EXTRA]'``): said when it is missing.
EXTRAS: dict[str, str] = {"serve": "service", "import-batch": "service"}
