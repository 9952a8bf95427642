"""Figures a person looks at (matplotlib): each function returns a Figure; callers save it.

:func:`save_png` writes a figure atomically, :func:`png_base64` embeds one in
a page, :func:`mark_orders` draws running-speed orders on any spectrum axis.
matplotlib is imported on first use (the Agg backend, no screen needed).
"""

from __future__ import annotations

import base64
import io
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from rotordx._atomic import atomic_file

__all__ = [
    "confusion_matrix_figure",
    "departure_scores_figure",
    "feature_importance_figure",
    "loss_curve_figure",
    "mark_orders",
    "png_base64",
    "pyplot",
    "save_png",
]


def pyplot():
    """``matplotlib.pyplot`` on the Agg backend."""
    import matplotlib  # lazy: matplotlib takes about a second to import

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt  # lazy: as above

    return plt


def save_png(fig, path: str | os.PathLike[str], *, dpi: int = 120) -> Path:
    """Write ``fig`` as a PNG atomically and close it."""
    path = Path(path)
    try:
        with atomic_file(path) as tmp:
            fig.savefig(tmp, format="png", dpi=dpi, bbox_inches="tight")
    finally:
        pyplot().close(fig)
    return path


def png_base64(fig, *, dpi: int = 100) -> str:
    """The figure as a base64 PNG (no timestamp in the file); the figure is closed."""
    buf = io.BytesIO()
    try:
        fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight", metadata={"Software": None})
    finally:
        pyplot().close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def mark_orders(
    ax,
    *,
    speed_hz: float,
    orders: Sequence[float],
    fmax: float,
    label: bool = True,
) -> None:
    """Vertical lines at ``orders`` × the running speed (up to ``fmax``), labelled above.

    Integer orders are dashed and dark, half orders dotted and lighter.
    """
    for o in orders:
        f = o * speed_hz
        if f > fmax:
            continue
        half = o != int(o)
        ax.axvline(
            f,
            color="#888" if half else "#444",
            linestyle=":" if half else "--",
            linewidth=0.8,
            alpha=0.8,
            zorder=0,
        )
        if label:
            ax.text(
                f,
                1.01,
                f"{o:g}x",
                transform=ax.get_xaxis_transform(),
                ha="center",
                va="bottom",
                fontsize=7,
                color="#444",
            )


def loss_curve_figure(
    *,
    train_loss: Sequence[float],
    valid_loss: Sequence[float],
    valid_accuracy: Sequence[float] | None = None,
    best_epoch: int | None = None,
    title: str = "",
):
    """Train and validation loss per epoch, validation accuracy on a second axis."""
    fig, ax = pyplot().subplots(figsize=(7, 4.2))
    epochs = np.arange(1, len(train_loss) + 1)
    ax.plot(epochs, train_loss, label="train loss", color="tab:blue")
    ax.plot(epochs, valid_loss, label="validation loss", color="tab:orange")
    ax.set_xlabel("epoch")
    ax.set_ylabel("cross-entropy loss")
    ax.grid(alpha=0.3)
    handles, labels = ax.get_legend_handles_labels()
    if valid_accuracy is not None:
        ax2 = ax.twinx()
        ax2.plot(
            epochs,
            np.asarray(valid_accuracy) * 100,
            label="validation accuracy",
            color="tab:green",
            alpha=0.8,
        )
        ax2.set_ylabel("validation accuracy (%)")
        h2, l2 = ax2.get_legend_handles_labels()
        handles, labels = handles + h2, labels + l2
    if best_epoch:
        line = ax.axvline(best_epoch, color="grey", linestyle="--", linewidth=1)
        handles, labels = [*handles, line], [*labels, f"best epoch ({best_epoch})"]
    ax.legend(handles, labels, loc="center right", fontsize=8)
    ax.set_title(title or "Training history")
    if len(epochs) == 1:
        ax.set_xticks([1])
    return fig


def confusion_matrix_figure(
    *, matrix: Sequence[Sequence[int]], classes: Sequence[str], title: str = ""
):
    """Confusion matrix: colour = share of the true class, text = share and count."""
    cm = np.asarray(matrix, dtype=float)
    rows = cm.sum(axis=1, keepdims=True)
    share = np.divide(cm, rows, out=np.zeros_like(cm), where=rows > 0)
    k = len(classes)
    fig, ax = pyplot().subplots(figsize=(1.3 * k + 2.2, 1.2 * k + 1.6))
    im = ax.imshow(share * 100, cmap="Blues", vmin=0, vmax=100)
    for i in range(k):
        for j in range(k):
            ax.text(
                j,
                i,
                f"{share[i, j] * 100:.1f}%\n{int(cm[i, j])}",
                ha="center",
                va="center",
                fontsize=8,
                color="white" if share[i, j] > 0.6 else "black",
            )
    ax.set_xticks(range(k), classes, rotation=30, ha="right")
    ax.set_yticks(range(k), classes)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    fig.colorbar(im, ax=ax, label="% of true class", fraction=0.046, pad=0.04)
    acc = np.trace(cm) / cm.sum() * 100 if cm.sum() else float("nan")
    ax.set_title(f"{title} (accuracy {acc:.2f}%)" if title else f"accuracy {acc:.2f}%")
    return fig


def feature_importance_figure(*, items: Sequence[tuple[str, float]], title: str = ""):
    """Horizontal bar chart of (feature name, importance), most important on top."""
    names = [n for n, _ in items][::-1]
    values = [v for _, v in items][::-1]
    fig, ax = pyplot().subplots(figsize=(7, 0.32 * len(items) + 1.2))
    ax.barh(range(len(items)), values, color="tab:blue")
    ax.set_yticks(range(len(items)), names, fontsize=8)
    ax.set_xlabel("importance (mean decrease in impurity)")
    ax.grid(axis="x", alpha=0.3)
    ax.set_title(title or "Feature importance")
    return fig


def departure_scores_figure(
    *, held: Sequence[float], fitted: Sequence[float], threshold: float, title: str = ""
):
    """Histograms of healthy departure scores (held-out and fitted windows) and the threshold."""
    held = np.asarray(held, dtype=float)
    fitted = np.asarray(fitted, dtype=float)
    top = max(float(np.max(held, initial=0)), float(np.max(fitted, initial=0)), threshold) * 1.15
    bins = np.linspace(0.0, top, 40)
    fig, ax = pyplot().subplots(figsize=(7, 3.6))
    ax.hist(fitted, bins=bins, alpha=0.5, color="tab:blue", label=f"fitted windows ({len(fitted)})")
    ax.hist(held, bins=bins, alpha=0.6, color="tab:green", label=f"held-out healthy ({len(held)})")
    ax.axvline(threshold, color="tab:red", lw=1.5, label=f"threshold {threshold:.2f}")
    ax.set_xlabel("departure score (RMS of robust z-scores)")
    ax.set_ylabel("windows")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title(title or "Departure scores")
    return fig
