"""Diagnosis commands: ``diagnose``, ``report``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from rotordx.cli._common import (
    DEFAULT_THREADS,
    Quiet,
    Seed,
    Threads,
    handle_errors,
    positive_threads,
    safe_filename,
)
from rotordx.data.splits import DEFAULT_WINDOW, WindowConfig
from rotordx.diagnosis.api import baseline_profile, diagnose_path
from rotordx.exceptions import ParameterError
from rotordx.features.severity import SEVERITY_PRESETS
from rotordx.models.loading import load_model
from rotordx.render.diagnosis import diagnosis_figure, diagnosis_lines
from rotordx.render.figures import save_png
from rotordx.workflows.report import write_report

app = typer.Typer()


@app.command()
@handle_errors
def diagnose(
    inputs: Annotated[
        list[Path],
        typer.Argument(
            help="Recording files (.mat, .csv, .parquet, .wav), manifests, folders of CWRU "
            ".mat files, or KAMP group folders (one diagnosis per state column)."
        ),
    ],
    model: Annotated[
        Path | None,
        typer.Option(
            help="A run folder from `rotordx train` or an .onnx file from `rotordx export`; "
            "without one the physics alone decides (unbalance, misalignment, looseness, "
            "bearing faults, normal or inconclusive)."
        ),
    ] = None,
    rpm: Annotated[
        float | None,
        typer.Option(
            help="Running speed in rev/min of every recording, when known (tachometer, "
            "nameplate); default: a manifest's or file's rpm, else estimated from the "
            "vibration (electrical lines at multiples of 50/60 Hz set aside)."
        ),
    ] = None,
    bearing: Annotated[
        str | None,
        typer.Option(
            help="The monitored bearing, for envelope evidence at its defect frequencies: a "
            "catalogue name (6200–6212, 6300–6312, also with a maker, "
            "e.g. 'SKF 6205', 'FAG 6203') or the geometry balls:ball_diameter:pitch_diameter"
            "[:contact_angle_deg], e.g. 8:0.235:1.245:0; default the manifest's, the file's "
            "or the model's."
        ),
    ] = None,
    baseline: Annotated[
        list[Path] | None,
        typer.Option(
            help="Recordings of the same machine in good condition (repeatable): severity is "
            "judged against them instead of ISO zones alone."
        ),
    ] = None,
    column: Annotated[
        str | None,
        typer.Option(help="Only recordings of this label (a KAMP column: normal, type1, …)."),
    ] = None,
    rate: Annotated[
        float | None,
        typer.Option(help="Sample rate in Hz of CSV/Parquet files without a time column."),
    ] = None,
    plots: Annotated[Path | None, typer.Option(help="Folder for the spectrum plots.")] = Path(
        "rotordx-diagnosis"
    ),
    no_plots: Annotated[bool, typer.Option("--no-plots", help="Do not draw plots.")] = False,
    thresholds: Annotated[
        str,
        typer.Option(help=f"Severity zones: {', '.join(SEVERITY_PRESETS)}."),
    ] = "group2_rigid",
    as_json: Annotated[
        bool, typer.Option("--json", help='Print one JSON object {"recordings": [...]}.')
    ] = False,
    threads: Threads = DEFAULT_THREADS,
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress bar.")] = False,
) -> None:
    """Diagnose recordings, with the physical evidence behind each verdict."""
    bundle = load_model(model, threads=positive_threads(threads)) if model is not None else None
    base = (
        baseline_profile(baseline, rate=rate, rpm=rpm, thresholds=thresholds) if baseline else None
    )
    draw = plots is not None and not no_plots
    results = []
    for path in inputs:
        for d in diagnose_path(
            path,
            model=bundle,
            rate=rate,
            column=column,
            thresholds=thresholds,
            bearing=bearing,
            baseline=base,
            spectrum=draw,
            progress=not quiet,
            rpm=rpm,
        ):
            item = d.to_dict()
            if draw:
                png = plots / f"{safe_filename(d.path)}.png"
                item["plot"] = str(save_png(diagnosis_figure(d), png, dpi=110))
            results.append(item)
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "model": bundle.model_name if bundle is not None else None,
                    "run": str(model) if model is not None else None,
                    "recordings": results,
                }
            )
        )
        return
    for r in results:
        for line in diagnosis_lines(r):
            typer.echo(line)


@app.command()
@handle_errors
def report(
    data: Annotated[Path, typer.Argument(help="KAMP group folder.")],
    out: Annotated[Path, typer.Option(help="HTML file to write.")] = Path("report.html"),
    window: Annotated[int, typer.Option(help="Samples per window.")] = DEFAULT_WINDOW,
    hop: Annotated[
        int | None, typer.Option(help="Samples between windows (default: a quarter window).")
    ] = None,
    group: Annotated[int | None, typer.Option(help="Group number if several.")] = None,
    thresholds: Annotated[
        str, typer.Option(help=f"Severity zones: {', '.join(SEVERITY_PRESETS)}.")
    ] = "group2_rigid",
    seed: Seed = 0,
    quiet: Quiet = False,
) -> None:
    """One self-contained HTML page: spectra with orders, features per class, a physics model."""
    if out.suffix.lower() not in (".html", ".htm"):
        raise ParameterError(f"{out}: the report is HTML; give a file name ending in .html")
    path = write_report(
        data,
        out,
        window=WindowConfig(window=window, hop=hop),
        seed=seed,
        group=group,
        thresholds=thresholds,
        progress=not quiet,
    )
    typer.echo(f"wrote {path}")
