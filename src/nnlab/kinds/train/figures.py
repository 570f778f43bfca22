"""The training kind's own figures beyond the shared curves and bars (nnlab.plots): the rate in force, gradient norms, the generalisation gap."""

from __future__ import annotations

import matplotlib.pyplot as plt  # the backend is the caller's: the CLI picks Agg (files only)
from matplotlib.ticker import MaxNLocator

from ... import plots

_ = plots._  # a figure's words in the report's language where the figures can speak it


@plots.in_language
def rate_overlay(rates: dict[str, list[float]], colors: dict[str, str], title: str):
    """Learning rate per epoch of each variant: what the schedules actually did."""
    fig, ax = plt.subplots(figsize=(7, 3.8))
    for name, values in rates.items():
        ax.plot(range(1, len(values) + 1), values, "o-", ms=3, color=colors[name], label=name)
    ax.set(xlabel=_("epoch"), ylabel=_("learning rate (at the epoch's start)"), title=title)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(alpha=0.3)
    ax.legend(loc="center left", bbox_to_anchor=(1.02, 0.5), fontsize=8)
    fig.tight_layout()
    return fig


@plots.in_language
def gradient_norms(norms: dict[str, list[float]], title: str):
    """Each variant's weight-gradient norm per layer, first hidden layer to output, on a log scale."""
    fig, ax = plt.subplots(figsize=(8, 4.2))
    colors = plots.variant_colors(list(norms))
    for name, values in norms.items():
        ax.plot(range(1, len(values) + 1), values, "o-", color=colors[name], label=name)
    ax.set_yscale("log")
    ax.set(xlabel=_("layer (1 = first hidden, last = output)"), ylabel=_("‖∂L/∂W‖ (log scale)"), title=title)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


@plots.in_language
def generalisation_gap(curves: dict[str, list[tuple[dict, int | None]]], colors: dict[str, str], title: str,
                       losses_differ: bool = False):
    """The overfitting picture: per epoch, validation minus training loss (left) and training minus
    validation accuracy (right), one line per variant (mean over its seeds, the band their range),
    each seed's best epoch a dot on its variant's line. A line that climbs is a net fitting its training
    set better than data it has not seen."""
    fig, axes = plt.subplots(1, 2, figsize=(11.5, 4.2))
    panels = ((_("validation − training loss"), _("Validation − training loss"),
               lambda h: [v - t for v, t in zip(h["val_loss"], h["loss"])]),
              (_("training − validation accuracy"), _("Training − validation accuracy"),
               lambda h: [t - v for t, v in zip(h["accuracy"], h["val_accuracy"])]))
    for k, (ax, (label, panel_title, gap_of)) in enumerate(zip(axes, panels)):
        for name, runs in curves.items():
            gaps = [gap_of(history) for history, _best in runs if all(k in history for k in ("loss", "val_loss", "accuracy", "val_accuracy"))]
            if not gaps:
                continue
            length = min(map(len, gaps))
            columns = [[gap[e] for gap in gaps] for e in range(length)]
            mean = [sum(c) / len(c) for c in columns]
            epochs = range(1, length + 1)
            ax.plot(epochs, mean, "-", color=colors[name], lw=1.6, label=name)
            if len(gaps) > 1:
                ax.fill_between(epochs, [min(c) for c in columns], [max(c) for c in columns], color=colors[name], alpha=0.15, lw=0)
            for _history, best in runs:
                if best and best <= length:
                    ax.plot(best, mean[best - 1], "o", color=colors[name], ms=5, mec="white", mew=0.6)
        ax.axhline(0, color="grey", lw=0.8)
        differ = losses_differ and k == 0  # the loss panel
        ax.set(xlabel=_("epoch"), ylabel=label,
               title=_("{title} (losses differ: scales do not compare)").format(title=panel_title) if differ else panel_title)
    return plots._epoch_panels(fig, axes, title, _("variant (● a seed's best epoch)"))
