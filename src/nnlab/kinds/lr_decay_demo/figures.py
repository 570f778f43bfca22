"""The learning-rate decay demo's figure: w, loss and rate per epoch."""

from __future__ import annotations

import matplotlib.pyplot as plt  # the backend is the caller's: the CLI picks Agg (files only)

from ... import plots

_ = plots._  # a figure's words in the report's language where the figures can speak it


@plots.in_language
def lr_decay_curves(runs: dict[str, list[dict]], title: str):
    """w, loss and learning rate per epoch, one line per variant."""
    fig, axes = plt.subplots(1, 3, figsize=(14, 3.8))
    for k, (name, rows) in enumerate(runs.items()):
        epochs = [r["epoch"] for r in rows]
        for ax, key in zip(axes, ("w", "loss", "lr")):
            ax.plot(epochs, [r[key] for r in rows], "o-", ms=2.5, label=name, color=f"C{k}")
    for ax, label in zip(axes, (_("w after the epoch's step"), _("loss (w - target)², log scale"), _("learning rate"))):
        ax.set(xlabel=_("epoch"), ylabel=label)
        ax.grid(alpha=0.3)
    axes[1].set_yscale("log")
    axes[2].legend(fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    return fig
