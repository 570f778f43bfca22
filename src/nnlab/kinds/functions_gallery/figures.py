"""The functions gallery's figures: the learning slowdown of MSE against cross-entropy (drawn as the
run trains), and softmax against the hard max (drawn by the report, in its language)."""

from __future__ import annotations

import matplotlib.pyplot as plt  # the backend is the caller's: the CLI picks Agg (files only)

from ... import plots

_ = plots._  # a figure's words in the report's language where the figures can speak it


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


@plots.in_language
def softmax_against_max(rows: list[dict], title: str):
    """Each input z as the course draws it: softmax(z) beside the hard max (1 at the largest z, 0
    elsewhere), so the "soft" is seen: every output positive, the largest input's the largest."""
    fig, axes = plt.subplots(1, len(rows), figsize=(4.2 * len(rows), 3.6), squeeze=False)
    for ax, row in zip(axes[0], rows):
        z, soft = row["z"], row["keras"]
        hard = [1.0 if k == row["argmax"] else 0.0 for k in range(len(z))]
        at = range(len(z))
        ax.bar([k - 0.2 for k in at], hard, width=0.4, color="tab:gray", label=_("hard max"))
        bars = ax.bar([k + 0.2 for k in at], soft, width=0.4, color="tab:blue", label="softmax")
        for bar, value in zip(bars, soft):
            ax.annotate(f"{value:.2f}", (bar.get_x() + bar.get_width() / 2, value), ha="center", va="bottom", fontsize=8)
        ax.set_xticks(list(at), [f"{v:g}" for v in z])
        ax.set(xlabel="z", ylim=(0, 1.12), title=f"z = ({', '.join(f'{v:g}' for v in z)})")
        ax.grid(alpha=0.3, axis="y")
    axes[0][0].set_ylabel(_("output"))
    axes[0][-1].legend(fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    return fig
