"""Data commands: ``simulate``, ``preprocess``, ``manifest cwru``."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Annotated

import typer

from rotordx.cli._common import Force, NoCache, Seed, handle_errors
from rotordx.data.preprocessed import preprocess_to_parquet
from rotordx.data.seed import PreprocessConfig
from rotordx.exceptions import ParameterError
from rotordx.io.kamp import write_kamp_group
from rotordx.io.manifest import read_manifest, write_cwru_manifest
from rotordx.io.sources import KAMP, open_source
from rotordx.simulate import TestbedConfig, simulate_testbed

app = typer.Typer()
manifest_app = typer.Typer(
    help="Write manifests (path,label,rate,channel,rpm,condition) for known data sets.",
    no_args_is_help=True,
)
app.add_typer(manifest_app, name="manifest")


@app.command()
@handle_errors
def simulate(
    out_dir: Annotated[Path, typer.Argument(help="Folder to write g<N>_sensor1..4.csv into.")],
    seconds: Annotated[float, typer.Option(help="Duration per sensor in seconds.")] = 140.0,
    rpm: Annotated[float, typer.Option(help="Mean running speed in rev/min.")] = 1800.0,
    seed: Seed = 0,
    group: Annotated[int, typer.Option(help="Group number in the file names.")] = 1,
    unbalance: Annotated[float, typer.Option(help="Unbalance severity (1 = default).")] = 1.0,
    looseness: Annotated[float, typer.Option(help="Looseness severity (1 = default).")] = 1.0,
    noise: Annotated[float, typer.Option(help="Broadband noise level (1 = default).")] = 1.0,
    rpm_wander: Annotated[float, typer.Option(help="Relative slow speed wander.")] = 0.01,
) -> None:
    """Simulate the 4-sensor rotor testbed and write a KAMP group (CSV)."""
    config = TestbedConfig(
        seconds=seconds,
        rpm=rpm,
        unbalance=unbalance,
        looseness=looseness,
        noise=noise,
        rpm_wander=rpm_wander,
    )
    for p in write_kamp_group(out_dir, simulate_testbed(config, seed=seed), group=group):
        typer.echo(str(p))


@app.command()
@handle_errors
def preprocess(
    data_dir: Annotated[Path, typer.Argument(help="KAMP group folder.")],
    out: Annotated[Path, typer.Argument(help="Parquet file to write.")],
    group: Annotated[
        int | None, typer.Option(help="Group number if the folder has several.")
    ] = None,
    fs: Annotated[float, typer.Option(help="Grid rate in Hz.")] = 1000.0,
    duration: Annotated[float, typer.Option(help="Grid end in seconds (max).")] = 140.0,
    ma_window: Annotated[int, typer.Option(help="Moving-average length M.")] = 15,
    no_cache: NoCache = False,
) -> None:
    """Resample to one grid, smooth and min-max scale a KAMP group (the seed's steps).

    The files are read chunk by chunk and the output written block by block,
    so memory stays bounded however long the recording.
    """
    if out.suffix.lower() != ".parquet":
        raise ParameterError(f"{out}: output must end in .parquet")
    source = open_source(data_dir, accept=(KAMP,))
    info = preprocess_to_parquet(
        source.path,
        out,
        group=group,
        config=PreprocessConfig(fs=fs, duration=duration, ma_window=ma_window),
        cache=not no_cache,
    )
    typer.echo(
        f"{out}: {info['n_classes']} classes x {info['n']} samples x {info['n_sensors']} sensors "
        f"({info['t_first']:.3f}–{info['t_last']:.3f} s)"
    )


@manifest_app.command("cwru")
@handle_errors
def manifest_cwru(
    directory: Annotated[Path, typer.Argument(help="Folder of CWRU .mat files.")],
    out: Annotated[Path, typer.Option(help="Manifest CSV to write.")] = Path("manifest.csv"),
    labels: Annotated[
        str,
        typer.Option(
            help="type (normal, inner_race, ball, outer_race) or type_size (inner_race_007, …)."
        ),
    ] = "type",
    force: Force = False,
) -> None:
    """A manifest for the CWRU bearing files: label, rate, channel, rpm and load per file."""
    if labels not in ("type", "type_size"):
        raise ParameterError(f"--labels must be 'type' or 'type_size', got {labels!r}")
    if out.exists() and not force:
        raise ParameterError(f"{out} already exists; pass --force to replace it")
    path = write_cwru_manifest(directory, out, labels=labels)
    counts = Counter(e.label for e in read_manifest(path))
    typer.echo(
        f"wrote {path}: {sum(counts.values())} recordings; "
        + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
    )
