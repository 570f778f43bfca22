"""The polynomial fit's figures: the sample, the truth and the fits; their curves."""

from __future__ import annotations

import matplotlib.pyplot as plt  # the backend is the caller's: the CLI picks Agg (files only)
import numpy as np

from ... import plots

_ = plots._  # a figure's words in the report's language where the figures can speak it


def poly_fit(data: dict, grid, truth, fits, epochs, train, val, floor: float, title: str):
    """Left: the samples, the polynomial and every initialisation's fitted curve. Right: training and
    validation MSE of every initialisation over the epochs (log scale), with the noise floor."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.2))
    left.scatter(data["x_val"], data["y_val"], s=6, color="tab:grey", alpha=0.4, label="validation sample")
    left.scatter(data["x_train"], data["y_train"], s=18, color="black", label="training sample", zorder=3)
    left.plot(grid, truth, "--", color="tab:green", lw=1.5, label="the polynomial")
    for k, curve in enumerate(fits):
        left.plot(grid, curve, color="tab:blue", alpha=0.35, lw=1, label="fitted nets" if k == 0 else None)
    low, high = min(data["y_val"].min(), data["y_train"].min()), max(data["y_val"].max(), data["y_train"].max())
    left.set(xlabel="x", ylabel="y", title="fits", ylim=(low - 0.3 * (high - low), high + 0.3 * (high - low)))
    left.legend(fontsize=8)
    for k in range(train.shape[1]):
        right.plot(epochs, train[:, k], color="tab:blue", alpha=0.3, lw=0.8, label="training MSE" if k == 0 else None)
        right.plot(epochs, val[:, k], color="tab:orange", alpha=0.3, lw=0.8, label="validation MSE" if k == 0 else None)
    if floor > 0:
        right.axhline(floor, color="tab:green", ls="--", lw=1, label="noise floor (σ²)")
    right.set_yscale("log")
    right.set(xlabel="epoch (full batch)", ylabel="MSE (log scale)", title="curves")
    right.legend(fontsize=8)
    right.grid(alpha=0.3)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


@plots.in_language
def poly_curves(curves: dict[str, dict], colors: dict[str, str], floor: float, title: str):
    """Median training (dashed) and validation (solid) MSE over a run's initialisations, per variant."""

    fig, ax = plt.subplots(figsize=(8, 4.2))
    for name, c in curves.items():
        ax.plot(c["epochs"], np.median(c["train_mse"], axis=1), "--", color=colors[name], lw=1.2,
                label=_("{name}: training").format(name=name))
        ax.plot(c["epochs"], np.median(c["val_mse"], axis=1), color=colors[name], lw=1.8,
                label=_("{name}: validation").format(name=name))
    if floor > 0:
        ax.axhline(floor, color="tab:green", ls=":", lw=1, label=_("noise floor (σ²)"))
    ax.set_yscale("log")
    ax.set(xlabel=_("epoch (full batch)"), ylabel=_("MSE (log scale)"), title=title)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig
