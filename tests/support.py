"""Constants and helpers shared by the tests of several folders.

``tests`` is on pytest's ``pythonpath`` (pyproject.toml), so any test module
imports these with ``from support import ...`` (fixtures stay in conftest.py).
"""

from __future__ import annotations

import dataclasses
import json
import signal
import subprocess
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import scipy.io

from rotordx.data.seed import PreprocessConfig
from rotordx.data.splits import Split, WindowConfig
from rotordx.features import defect_frequencies
from rotordx.features.bearing import SKF_6205
from rotordx.models.registry import SEED, default_train_config, get_spec, make_classifier
from rotordx.signal import MinMaxScaling

#: Short simulated KAMP recordings: 12 s gives 11,986 preprocessed samples per class.
SMALL_SECONDS = 12.0
#: A seed-protocol split that fits the 12 s recordings (per class: train, valid, test).
SMALL_SPLIT = "3000,1000,1000"


# -- child processes and SIGINT ---------------------------------------------------------------


def default_sigint() -> None:
    """``preexec_fn`` of a child that will be sent SIGINT: the default disposition again.

    A shell that starts a job in the background ignores SIGINT for it, and an ignored
    signal stays ignored across ``fork`` and ``exec``; Python then does not install its
    KeyboardInterrupt handler, and the child would never see the interrupt a test sends.
    With SIGINT back at its default before ``exec``, the Python child installs the
    handler as it does when started from a terminal.
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def popen_interruptible(cmd: list[str], **kwargs: Any) -> subprocess.Popen:
    """``subprocess.Popen`` of a child that a test sends SIGINT to (see :func:`default_sigint`)."""
    return subprocess.Popen(cmd, preexec_fn=default_sigint, **kwargs)


def run_interruptible(cmd: list[str], **kwargs: Any) -> subprocess.CompletedProcess:
    """``subprocess.run`` of a child that will get SIGINT (see :func:`default_sigint`)."""
    return subprocess.run(cmd, preexec_fn=default_sigint, **kwargs)


@contextmanager
def sigint_ignored():
    """This process ignores SIGINT inside the block (as a shell's background job does).

    The previous handler is restored however the block ends.
    """
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


# -- synthetic bearing recordings -------------------------------------------------------------

#: Sample rate of the synthetic bearing recordings (CWRU's drive-end rate).
BEARING_FS = 12000.0
#: The defect frequency that each bearing fault label strikes at.
LABEL_DEFECT = {"outer_race": "bpfo", "inner_race": "bpfi", "ball": "bsf"}


def bearing_signal(
    label: str,
    *,
    rpm: float = 1797.0,
    seconds: float = 3.0,
    size: float = 1.0,
    resonance: float = 3000.0,
    seed: int = 0,
    fs: float = BEARING_FS,
) -> np.ndarray:
    """Shaft 1x + noise, plus impacts at the label's defect frequency ringing ``resonance``.

    Impacts repeating at a defect frequency ring a structural resonance, as a spall does.
    """
    rng = np.random.default_rng(seed)
    n = int(seconds * fs)
    t = np.arange(n) / fs
    shaft = rpm / 60.0
    x = 0.5 * np.sin(2 * np.pi * shaft * t) + 0.3 * rng.normal(size=n)
    if label == "normal":
        return x
    f = defect_frequencies(shaft, SKF_6205)[LABEL_DEFECT[label]]
    if label == "ball":
        f = 2 * f  # a ball defect strikes both races once per spin
    times = np.cumsum(rng.normal(1.0, 0.01, int(seconds * f) + 2) / f)
    times = times[times < seconds]
    amp = np.ones_like(times)
    if label == "inner_race":  # the defect passes through the load zone once per turn
        amp = 1.0 + 0.5 * np.cos(2 * np.pi * shaft * times)
    pulses = np.zeros(n)
    np.add.at(pulses, (times * fs).astype(int), amp)
    th = np.arange(int(0.01 * fs)) / fs
    ring = np.exp(-th / 0.001) * np.sin(2 * np.pi * resonance * th)
    return x + 4.0 * size * np.convolve(pulses, ring)[:n]


def bearing_windows(label: str, *, n: int = 6, window: int = 6000, **kw: Any) -> np.ndarray:
    """``n`` consecutive windows ``(n, 1, window)`` of :func:`bearing_signal`."""
    x = bearing_signal(label, seconds=n * window / BEARING_FS, **kw)
    return x[: n * window].reshape(n, 1, window)


def write_cwru_like(folder: Path) -> Path:
    """Tiny CWRU-named .mat files: normal, three fault types at sizes 007/014 and loads 0/1."""
    folder.mkdir(parents=True, exist_ok=True)
    rpms = {0: 1797.0, 1: 1772.0}
    number = 100
    files = [("normal_0_97.mat", "normal", 1.0, 0)]
    for load in (0, 1):
        for code, label in (("B", "ball"), ("IR", "inner_race"), ("OR", "outer_race")):
            for size_code, size in (("007", 1.0), ("014", 2.5)):
                if load == 1 and size_code == "014":
                    continue
                pos = "@6" if code == "OR" else ""
                number += 1
                files.append(
                    (f"12k_Drive_End_{code}{size_code}{pos}_{load}_{number}.mat", label, size, load)
                )
    for i, (name, label, size, load) in enumerate(files):
        num = name.rsplit("_", 1)[1].split(".")[0].zfill(3)
        # CWRU's healthy recording is sampled at 48 kHz, the faults at 12 kHz
        fs = 48000.0 if label == "normal" else BEARING_FS
        x = bearing_signal(label, rpm=rpms[load], seconds=4.0, size=size, seed=i, fs=fs)
        scipy.io.savemat(
            folder / name,
            {f"X{num}_DE_time": (x / 9.80665)[:, None], f"X{num}RPM": np.array([[rpms[load]]])},
        )
    return folder


# -- a manifest of user recordings ------------------------------------------------------------


def machine_signal(kind: str, seconds: float, fs: float, seed: int) -> np.ndarray:
    """Two channels of a 29 Hz machine: ``normal``, ``unbalance`` (strong 1x) or ``loose``."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * fs)) / fs
    f0 = 29.0
    x = 0.3 * np.sin(2 * np.pi * f0 * t) + 0.1 * rng.standard_normal(t.size)
    if kind == "unbalance":
        x += 1.5 * np.sin(2 * np.pi * f0 * t + 0.3)
    if kind == "loose":
        x += 0.5 * np.sin(np.pi * f0 * t) + 0.6 * np.sin(4 * np.pi * f0 * t)
    return np.vstack([x, 0.7 * x + 0.05 * rng.standard_normal(t.size)])


def write_machine_manifest(folder: Path) -> Path:
    """Three labels, CSV at 2 kHz and Parquet at 1 kHz, with conditions; the manifest's path."""
    lines = ["path,label,rate,condition"]
    for i, kind in enumerate(("normal", "unbalance", "loose")):
        sig = machine_signal(kind, 20.0, 2000.0, i)
        np.savetxt(folder / f"{kind}.csv", sig.T, delimiter=",", header="a,b", comments="")
        lines.append(f"{kind}.csv,{kind},2000,A")
        sig = machine_signal(kind, 20.0, 1000.0, 10 + i)
        pq.write_table(pa.table({"a": sig[0], "b": sig[1]}), folder / f"{kind}.parquet")
        lines.append(f"{kind}.parquet,{kind},1000,B")
    (folder / "manifest.csv").write_text("\n".join(lines) + "\n")
    return folder / "manifest.csv"


# -- models: the settings of the conformance suite -------------------------------------------

#: Sample rate and windows of the tiny simulated data sets of the model tests.
MODEL_FS = 1000.0
MODEL_WINDOW = WindowConfig(window=512, hop=256)  # >= 400 samples at 1 kHz for the speed estimate
#: What the test data say, for the models that take it (the windows have no speed: the
#: bearing model estimates it per window).
MODEL_DATA = {"fs": MODEL_FS, "geometry": "SKF_6205", "threads": 1}


def make_test_classifier(name: str, *, quick: bool = False):
    """A model with its registry entry's test settings; ``quick``: torch models train 2 epochs.

    Only what the entry declares is used: its ``test_params``, and for a torch network
    (``spec.network``) its ``test_train``.
    """
    spec = get_spec(name)
    train = {**spec.test_train, "threads": 1} if spec.network else {}
    if quick and spec.network:
        train.update(max_epochs=2, patience=2)
    return make_classifier(
        name, train_config=default_train_config(name, **train), data=MODEL_DATA, **spec.test_params
    )


def copy_state(arrays: dict, meta: dict) -> tuple[dict, dict]:
    """Independent copies of a classifier's state, the metadata through JSON (as in a bundle)."""
    return {k: np.array(v, copy=True) for k, v in arrays.items()}, json.loads(json.dumps(meta))


def input_spec(name: str, train: Split) -> dict:
    """What a bundle of model ``name`` trained on ``train`` says about its inputs."""
    if get_spec(name).protocol != SEED:
        return {
            "fs": MODEL_FS,
            "window": MODEL_WINDOW.window,
            "hop": MODEL_WINDOW.hop,
            "n_channels": int(train.X.shape[1]),
        }
    return {
        "preprocess": dataclasses.asdict(PreprocessConfig()),
        "scaler": MinMaxScaling.fit(train.X).to_dict(),
    }
