"""The functions gallery's figure: the learning slowdown of MSE against cross-entropy."""

from __future__ import annotations

import matplotlib.pyplot as plt  # the backend is the caller's: the CLI picks Agg (files only)


def cost_slowdown(demo: dict, title: str):
    """The neuron's output and its cost per epoch, quadratic cost against cross-entropy."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.8))
    for name, color in (("quadratic", "tab:red"), ("cross_entropy", "tab:blue")):
        label = "quadratic cost ½(a − y)²" if name == "quadratic" else "cross-entropy"
        epochs = range(1, len(demo[name]["output"]) + 1)
        left.plot(epochs, demo[name]["output"], color=color, label=label)
        right.plot(epochs, demo[name]["cost"], color=color, label=label)
    left.axhline(demo["target"], color="tab:green", ls="--", lw=1, label="target")
    left.set(xlabel="epoch", ylabel="output a", title="the neuron's output")
    right.set(xlabel="epoch", ylabel="cost", title="its cost")
    for ax in (left, right):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    return fig
