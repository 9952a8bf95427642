"""The demo: simulate a testbed, preprocess it, train every model, tabulate."""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from pathlib import Path

from rotordx._atomic import write_text_atomic
from rotordx.data.preprocessed import load_dataset, write_preprocessed
from rotordx.data.seed import SEED_SPLIT
from rotordx.data.splits import WindowConfig
from rotordx.exceptions import ParameterError
from rotordx.io.kamp import write_kamp_group
from rotordx.models.registry import SEED, default_train_config, get_spec, model_names
from rotordx.models.train_config import TrainConfig
from rotordx.render.tables import demo_markdown
from rotordx.simulate import TestbedConfig, simulate_testbed
from rotordx.workflows.train import train_run

__all__ = ["DEMO_MODELS", "run_demo"]

#: Every model that runs on the simulated testbed (no bearing, no shaft-speed input).
DEMO_MODELS: tuple[str, ...] = model_names(needs_speed=False, one_class=False)


def run_demo(
    out: str | os.PathLike[str],
    *,
    seconds: float = 140.0,
    rpm: float = 1800.0,
    seed: int = 0,
    train_config: TrainConfig | None = None,
    models: tuple[str, ...] = DEMO_MODELS,
    split: tuple[int, int, int] = SEED_SPLIT,
    window: WindowConfig | None = None,
    force: bool = False,
    progress: bool = True,
) -> list[dict]:
    """Simulate a testbed, preprocess it, train every model; write a summary.

    Writes ``OUT/data/g1_sensor{1..4}.csv``, ``OUT/preprocessed.parquet``, one
    run folder per model (``OUT/dnn`` …) and ``OUT/summary.json`` /
    ``OUT/summary.md``.

    Parameters
    ----------
    train_config : TrainConfig, optional
        Settings of the seed models (the windowed networks keep their defaults,
        with the same seed and threads).

    Returns
    -------
    list of dict
        One row per model: model, protocol, accuracy, macro_f1, epochs_run,
        best_epoch, seconds.
    """
    for name in models:
        get_spec(name)  # an unknown name fails before anything is written
    cfg = train_config or TrainConfig()
    out = Path(out)
    if out.is_dir() and any(out.iterdir()) and not force:
        raise ParameterError(f"{out} already exists and is not empty; pass --force to replace it")
    data_dir = out / "data"
    write_kamp_group(
        data_dir, simulate_testbed(TestbedConfig(seconds=seconds, rpm=rpm), seed=seed), group=1
    )
    ds = load_dataset(data_dir)
    write_preprocessed(ds, out / "preprocessed.parquet")
    rows = []
    for name in models:
        seed_model = get_spec(name).protocol == SEED
        m = train_run(
            data_dir,
            model=name,
            out=out / name,
            train_config=cfg
            if seed_model
            else default_train_config(name, seed=cfg.seed, threads=cfg.threads),
            split=split,
            window=window,
            force=True,
            progress=progress,
            dataset=ds if seed_model else None,
        )
        rows.append(
            {
                "model": name,
                "protocol": m["protocol"],
                "accuracy": m["accuracy"],
                "macro_f1": m["macro_f1"],
                "epochs_run": m["epochs_run"],
                "best_epoch": m["best_epoch"],
                "seconds": m["seconds"],
            }
        )
    summary = {
        "seconds": seconds,
        "rpm": rpm,
        "seed": seed,
        "train_config": asdict(cfg),
        "rows": rows,
    }
    write_text_atomic(out / "summary.json", json.dumps(summary, indent=2) + "\n")
    write_text_atomic(out / "summary.md", demo_markdown(rows))
    return rows
