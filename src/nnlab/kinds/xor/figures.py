"""XOR's figures: the share of runs solved and with a dead unit by variant, and every repeat's loss."""

from __future__ import annotations

import matplotlib.pyplot as plt  # the backend is the caller's: the CLI picks Agg (files only)

from ... import plots


@plots.in_language
def rate_bars(names: list[str], series: dict[str, list[float]], colors: list[str], title: str, ylabel: str):
    """Grouped bars of rates (fractions of runs) per variant, e.g. XOR solved vs dead-unit rates."""
    fig, ax = plt.subplots(figsize=(max(5, 1.3 * len(names) + 2), 4))
    width = 0.8 / len(series)
    for k, ((label, values), color) in enumerate(zip(series.items(), colors)):
        xs = [i + (k - (len(series) - 1) / 2) * width for i in range(len(names))]
        bars = ax.bar(xs, values, width=width, color=color, label=label)
        ax.bar_label(bars, labels=[f"{v:.2f}" for v in values], fontsize=7, padding=2)
    ax.set_xticks(range(len(names)), names, fontsize=8, rotation=15)
    ax.set(ylabel=ylabel, title=title, ylim=(0, 1.25))
    ax.grid(axis="y", alpha=0.3)
    ax.legend(loc="upper center", fontsize=8, ncol=len(series))
    fig.tight_layout()
    return fig


def xor_curves(steps: list[int], losses, solved, title: str):
    """MSE of every repeat over training: solved runs in green, failed runs in red."""
    fig, ax = plt.subplots(figsize=(7, 4))
    for i in range(losses.shape[1]):
        ax.plot(steps, losses[:, i], color="tab:green" if solved[i] else "tab:red", alpha=0.25, lw=0.8)
    ax.set_yscale("log")
    ax.set(xlabel="full-batch SGD step", ylabel="training MSE (log scale)",
           title=f"{title}: {int(solved.sum())} solved (green), {int((~solved).sum())} not (red)")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig
