"""The figure of a model comparison: accuracy, training time, accuracy under shifts."""

from __future__ import annotations

import numpy as np

from rotordx.render.figures import pyplot

__all__ = ["comparison_figure"]


def comparison_figure(rows: list[dict], shift_rows: list[dict], shift_models: list[str]):
    """Bars of test accuracy and training time per model; a line per model under shifts."""
    n_plots = 3 if shift_rows else 2
    fig, axes = pyplot().subplots(1, n_plots, figsize=(5 * n_plots, 4))
    names = [r["model"] for r in rows]
    colors = ["tab:blue" if r["protocol"] == "window" else "tab:gray" for r in rows]
    axes[0].barh(names[::-1], [r["accuracy"] * 100 for r in rows][::-1], color=colors[::-1])
    axes[0].set_xlabel("test accuracy (%)")
    axes[0].set_xlim(min(50, min(r["accuracy"] * 100 for r in rows) - 5), 100)
    axes[0].set_title("accuracy (blue: windowed, grey: seed)")
    axes[1].barh(names[::-1], [r["train_seconds"] for r in rows][::-1], color=colors[::-1])
    axes[1].set_xscale("log")
    axes[1].set_xlabel("train seconds (log)")
    axes[1].set_title("training time")
    if shift_rows:
        x = np.arange(len(shift_rows))
        for m in shift_models:
            axes[2].plot(x, [r[m] * 100 for r in shift_rows], marker="o", label=m)
        axes[2].set_xticks(
            x, [r["condition"] for r in shift_rows], rotation=35, ha="right", fontsize=8
        )
        axes[2].set_ylabel("accuracy (%)")
        axes[2].set_title("trained at base, tested under shift")
        axes[2].axhline(95, color="grey", linestyle=":", linewidth=1)
        axes[2].legend(fontsize=8)
    for ax in axes:
        ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig
