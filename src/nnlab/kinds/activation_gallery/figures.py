"""The activation gallery: each function and its derivative."""

from __future__ import annotations

import matplotlib.pyplot as plt  # the backend is the caller's: the CLI picks Agg (files only)


def activation_gallery(x, curves: dict[str, tuple], title: str, bands: dict[str, tuple] | None = None):
    """One panel per activation: the function (solid) and its derivative (dashed); where `bands` has
    the panel's name, (low, high) values shaded between (RReLU's training-time slopes)."""
    cols = min(4, len(curves))
    rows = -(-len(curves) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.4 * cols, 2.8 * rows), squeeze=False)
    for ax, (name, (y, dy)) in zip(axes.flat, curves.items()):
        if name in (bands or {}):
            ax.fill_between(x, *bands[name], color="tab:blue", alpha=0.2, lw=0, label="f(x) in training")
        ax.plot(x, y, color="tab:blue", label="f(x)")
        ax.plot(x, dy, "--", color="tab:orange", label="f'(x)")
        ax.axhline(0, color="grey", lw=0.5)
        ax.axvline(0, color="grey", lw=0.5)
        ax.set_title(name, fontsize=9 if len(name) > 30 else None)
        ax.set(xlabel="x")
        if name in (bands or {}):
            ax.legend(fontsize=7, loc="upper left")
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(curves):]:
        ax.axis("off")
    axes.flat[0].legend(fontsize=8, loc="upper left")
    fig.suptitle(f"{title}: activations and their derivatives (automatic differentiation)")
    fig.tight_layout()
    return fig
