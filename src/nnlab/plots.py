"""Learning-curve figures: one run's curves, and all variants' validation curves overlaid."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # files only, never a window: runs on servers and in CI
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402


def variant_colors(variants: list[str]) -> dict[str, str]:
    """One fixed colour per variant, in config order, so every figure of a study agrees."""
    palette = plt.get_cmap("tab10").colors
    return {v: palette[i % len(palette)] for i, v in enumerate(variants)}


def learning_curves(history: dict[str, list[float]], best: int | None, title: str):
    epochs = range(1, len(history["loss"]) + 1)
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for ax, metric in zip(axes, ("loss", "accuracy")):
        ax.plot(epochs, history[metric], "o-", ms=3, label=f"training {metric}")
        if f"val_{metric}" in history:
            ax.plot(epochs, history[f"val_{metric}"], "s-", ms=3, label=f"validation {metric}")
        if best:
            ax.axvline(best, color="grey", ls="--", lw=1, label=f"best epoch ({best})")
        ax.set(xlabel="epoch", ylabel=metric, title=metric.capitalize())
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
        ax.legend(loc="best", fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def validation_overlay(histories: dict[str, dict[str, list[float]]], best: dict[str, int], title: str):
    """Validation loss and accuracy of every variant (first seed) on shared axes."""
    colors = variant_colors(list(histories))
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for ax, metric in zip(axes, ("val_loss", "val_accuracy")):
        for variant, history in histories.items():
            values = history.get(metric, [])
            ax.plot(range(1, len(values) + 1), values, "-", color=colors[variant], label=variant)
            if best.get(variant):
                ax.plot(best[variant], values[best[variant] - 1], "o", color=colors[variant], ms=6)
        ax.set(xlabel="epoch", ylabel=metric.replace("val_", "validation "),
               title=metric.replace("val_", "Validation ").replace("_", " "))
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
    axes[1].legend(loc="center left", bbox_to_anchor=(1.02, 0.5), fontsize=8, title="variant (● best epoch)")
    fig.suptitle(title)
    fig.tight_layout()
    return fig
