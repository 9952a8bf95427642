"""Rich tables the commands print (stdout)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

__all__ = ["comparison_tables", "crossval_table", "demo_table", "print_scores"]


def print_scores(m: dict) -> None:
    """An evaluation's accuracy line and confusion matrix."""
    console = Console()
    console.print(
        f"[bold]{m['model']}[/] on {m['data']}: accuracy "
        f"{m['accuracy'] * 100:.2f}%  macro-F1 {m['macro_f1']:.4f}  "
        f"({m['n_samples']} samples)"
    )
    ab = m.get("abstention")
    if ab:
        acc = ab["answered_accuracy"]
        console.print(
            f"abstaining below confidence {ab['min_confidence']:.3f}: "
            f"{ab['coverage'] * 100:.1f}% of the windows answered ({ab['answered']}), "
            + (f"{acc * 100:.2f}% of them right" if acc is not None else "none of them")
        )
    t = Table(title="confusion matrix (rows: true class, columns: predicted)")
    t.add_column("true \\ pred")
    for c in m["classes"]:
        t.add_column(c, justify="right")
    t.add_column("recall", justify="right")
    for c, row in zip(m["classes"], m["confusion_matrix"], strict=True):
        rec = m["per_class_recall"][c]
        t.add_row(c, *map(str, row), "-" if rec is None else f"{rec * 100:.1f}%")
    console.print(t)


def demo_table(rows: list[dict], title: str) -> Table:
    """One row per model of the demo."""
    t = Table(title=title)
    for col in ("model", "protocol", "test accuracy", "macro-F1", "epochs", "best", "seconds"):
        t.add_column(col, justify="left" if col in ("model", "protocol") else "right")
    for r in rows:
        t.add_row(
            r["model"],
            r["protocol"],
            f"{r['accuracy'] * 100:.2f}%",
            f"{r['macro_f1']:.4f}",
            str(r["epochs_run"] or "-"),
            str(r["best_epoch"] or "-"),
            f"{r['seconds']:.1f}",
        )
    return t


def comparison_tables(result: dict, names: tuple[str, ...]) -> list[Table]:
    """The comparison's table, and the shift study's when there is one."""
    t = Table(title=f"models on the same splits ({result['data']})")
    cols = ("model", "protocol", "accuracy", "macro-F1", "train s", "µs / input", "input", "size")
    for col in cols:
        t.add_column(col, justify="left" if col in ("model", "protocol", "input") else "right")
    for r in result["rows"]:
        t.add_row(
            r["model"],
            r["protocol"],
            f"{r['accuracy'] * 100:.2f}%",
            f"{r['macro_f1']:.4f}",
            f"{r['train_seconds']:.1f}",
            f"{r['inference_us']:.1f}",
            r["input"],
            f"{r['model_bytes'] / 1024:.0f} KiB",
        )
    tables = [t]
    if result["shift"]:
        shifted = [k for k in result["shift"][0] if k in names]
        st = Table(title="trained at the base condition, tested on new recordings")
        st.add_column("condition")
        st.add_column("rpm", justify="right")
        for n in shifted:
            st.add_column(n, justify="right")
        for r in result["shift"]:
            st.add_row(r["condition"], f"{r['rpm']:.0f}", *(f"{r[n] * 100:.1f}%" for n in shifted))
        tables.append(st)
    return tables


def crossval_table(result: dict, scheme: str, names: tuple[str, ...]) -> Table:
    """Accuracy per fold and model, and the mean."""
    t = Table(
        title=f"{scheme} folds, windows of {result['window']} samples: "
        "accuracy on held-out recordings"
    )
    t.add_column("fold")
    for m in names:
        t.add_column(m, justify="right")
    for k, f in enumerate(result["folds"]):
        t.add_row(f["name"], *(f"{result['results'][m][k]['accuracy']:.1%}" for m in names))
    t.add_row("mean", *(f"{result['summary'][m]['mean_accuracy']:.1%}" for m in names))
    return t
