"""Data commands: ``simulate``, ``simulate-fleet``, ``preprocess``, ``manifest cwru``."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path
from typing import Annotated

import typer

from rotordx.classes import FLEET_CLASSES
from rotordx.cli._common import Force, NoCache, Seed, handle_errors, parse_names
from rotordx.data.preprocessed import preprocess_to_parquet
from rotordx.data.seed import PreprocessConfig
from rotordx.exceptions import ParameterError
from rotordx.io.kamp import write_kamp_group
from rotordx.io.manifest import read_manifest, write_cwru_manifest
from rotordx.io.sources import KAMP, open_source
from rotordx.simulate import (
    FleetConfig,
    TestbedConfig,
    fleet_machines,
    simulate_testbed,
    write_fleet,
)

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


@app.command("simulate-fleet")
@handle_errors
def simulate_fleet_command(
    out_dir: Annotated[
        Path,
        typer.Argument(
            help="Folder to create: manifest.csv, machines.csv, truth.csv and a folder of "
            "snapshots per machine."
        ),
    ],
    machines: Annotated[int, typer.Option(help="Number of machines (M01, M02, …).")] = 6,
    snapshots: Annotated[
        int, typer.Option(help="Snapshots per machine; the machine states take turns.")
    ] = 20,
    seconds: Annotated[float, typer.Option(help="Length of a snapshot in seconds.")] = 0.5,
    classes: Annotated[
        str, typer.Option(help="Comma-separated machine states (default: all seven).")
    ] = ",".join(FLEET_CLASSES),
    format: Annotated[str, typer.Option("--format", help="csv or parquet.")] = "csv",
    basic_manifest: Annotated[
        bool,
        typer.Option(
            "--basic-manifest",
            help="Write only the columns path,label,rate,channel,rpm,condition in the manifest "
            "(without machine,bearing,units,direction).",
        ),
    ] = False,
    seed: Seed = 0,
    force: Force = False,
) -> None:
    """Simulate snapshots of a fleet of machines with known faults (CSV or Parquet + manifest)."""
    config = FleetConfig(
        machines=machines, snapshots=snapshots, seconds=seconds, classes=parse_names(classes)
    )
    start = time.perf_counter()
    manifest = write_fleet(
        out_dir,
        config,
        seed=seed,
        format=format,
        force=force,
        manifest_columns="basic" if basic_manifest else "full",
    )
    took = time.perf_counter() - start
    fleet = fleet_machines(config, seed=seed)
    n_cls = len(config.classes)
    counts = Counter(config.classes[j % n_cls] for j in range(config.snapshots))
    typer.echo(
        f"wrote {manifest}: {config.total} snapshots of {config.machines} machines, "
        f"{config.seconds:g} s each, {format} (in {took:.1f} s)"
    )
    typer.echo("  " + ", ".join(f"{c} {counts[c] * config.machines}" for c in config.classes))
    for m in fleet:
        speed = f"{m.rpm:.0f} rpm ({'in the manifest' if m.speed_known else 'withheld'})"
        typer.echo(
            f"  {m.id}  {m.kind:<8}  {m.mains_hz:g} Hz mains  {speed:<26} {m.fs:>5} Hz  "
            f"{m.units:<4}  bearing {m.bearing_name}"
        )
    typer.echo(
        f"  also {manifest.parent / 'machines.csv'} (the machines) and "
        f"{manifest.parent / 'truth.csv'} (every snapshot's true speed)"
    )


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
