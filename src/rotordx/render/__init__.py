"""Rendering: figures (matplotlib Figures), Markdown tables and the HTML report page.

Functions here return objects (a Figure, a string); the caller decides where
to save them (:func:`~rotordx.render.figures.save_png` writes atomically).
"""

from rotordx.render.diagnosis import diagnosis_figure, diagnosis_lines
from rotordx.render.figures import (
    confusion_matrix_figure,
    feature_importance_figure,
    loss_curve_figure,
    mark_orders,
    png_base64,
    save_png,
)

__all__ = [
    "confusion_matrix_figure",
    "diagnosis_figure",
    "diagnosis_lines",
    "feature_importance_figure",
    "loss_curve_figure",
    "mark_orders",
    "png_base64",
    "save_png",
]
