"""Markdown tables of results: model comparisons, cross-validation, the demo's summary."""

from __future__ import annotations

__all__ = ["comparison_markdown", "crossval_markdown", "demo_markdown"]


def demo_markdown(rows: list[dict]) -> str:
    """One row per model of :func:`rotordx.workflows.demo.run_demo`."""
    lines = [
        "| model | protocol | test accuracy | macro-F1 | epochs | best epoch | seconds |",
        "|---|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {r['model']} | {r['protocol']} | {r['accuracy'] * 100:.2f}% | {r['macro_f1']:.4f} | "
        f"{r['epochs_run'] or '-'} | {r['best_epoch'] or '-'} | {r['seconds']:.1f} |"
        for r in rows
    ]
    return "\n".join(lines) + "\n"


def comparison_markdown(rows: list[dict], shift_rows: list[dict], shift_models: list[str]) -> str:
    """Accuracy, time and size per model; accuracy under each shifted condition."""
    lines = [
        "| model | protocol | test accuracy | macro-F1 | train s | inference µs / input "
        "| input | model size |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['model']} | {r['protocol']} | {r['accuracy'] * 100:.2f}% | "
            f"{r['macro_f1']:.4f} | {r['train_seconds']:.1f} | {r['inference_us']:.1f} | "
            f"{r['input']} | {r['model_bytes'] / 1024:.0f} KiB |"
        )
    if shift_rows:
        lines += [
            "",
            "| condition | rpm | " + " | ".join(shift_models) + " |",
            "|---|---|" + "---|" * len(shift_models),
        ]
        for r in shift_rows:
            lines.append(
                f"| {r['condition']} | {r['rpm']:.0f} | "
                + " | ".join(f"{r[n] * 100:.1f}%" for n in shift_models)
                + " |"
            )
    return "\n".join(lines) + "\n"


def crossval_markdown(result: dict) -> str:
    """The cross-validation tables: fold accuracy per model, then per recording."""
    models = list(result["results"])
    folds = [f["name"] for f in result["folds"]]
    lines = [
        f"# Cross-validation: {result['scheme']} folds",
        "",
        f"Data `{result['data']}`, {result['fs']:g} Hz, windows of {result['window']} samples "
        f"({result['window'] / result['fs']:.3g} s), training hop {result['hop']}, "
        f"seed {result['seed']}.",
        "",
        "| fold | " + " | ".join(models) + " |",
        "|---|" + "---|" * len(models),
    ]
    for k, name in enumerate(folds):
        cells = [f"{result['results'][m][k]['accuracy']:.1%}" for m in models]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    means = [f"**{result['summary'][m]['mean_accuracy']:.1%}**" for m in models]
    lines.append("| mean | " + " | ".join(means) + " |")
    secs = [f"{result['summary'][m]['train_seconds']:.1f}" for m in models]
    lines.append("| train s (all folds) | " + " | ".join(secs) + " |")
    lines += ["", "Per test recording (share of its windows classified correctly):", ""]
    lines.append("| fold | recording | label | " + " | ".join(models) + " |")
    lines.append("|---|---|---|" + "---|" * len(models))
    for k, name in enumerate(folds):
        recs = result["results"][models[0]][k]["recordings"]
        for j, rec in enumerate(recs):
            cells = []
            for m in models:
                r = result["results"][m][k]["recordings"][j]
                wrong = {c: n for c, n in r["predicted"].items() if c != r["label"]}
                note = ", ".join(f"{n} {c}" for c, n in wrong.items())
                cells.append(f"{r['accuracy']:.0%}" + (f" ({note})" if note else ""))
            lines.append(
                f"| {name} | {rec['recording']} | {rec['label']} | " + " | ".join(cells) + " |"
            )
    return "\n".join(lines) + "\n"
