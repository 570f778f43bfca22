"""The search's figures: the best so far by trial, the settings' importances, and the comparison of methods."""

from __future__ import annotations

import matplotlib.pyplot as plt  # the backend is the caller's: the CLI picks Agg (files only)
from matplotlib.ticker import MaxNLocator

from .. import plots
from ..selection import Rule

_ = plots._  # a figure's words in the report's language where the figures can speak it


@plots.in_language
def search_progress(numbers: list[int], values: list[float | None], statuses: list[str], direction: str,
                    metric: str, title: str):
    """Each trial's validation figure by trial number (finished ●, pruned ×: its figure when stopped)
    and the best so far among finished trials, the line a search is judged by."""
    fig, ax = plt.subplots(figsize=(9, 4))
    rule, best, steps = Rule.for_direction(metric, direction), float("nan"), []
    for value, status in zip(values, statuses):
        if value is not None and status == "ok" and rule.better(value, best):
            best = value
        steps.append(None if best != best else best)
    for status, marker, color, label in (("ok", "o", "tab:blue", _("finished trial")), ("pruned", "x", "tab:grey", _("pruned trial"))):
        points = [(n, v) for n, v, s in zip(numbers, values, statuses) if s == status and v is not None]
        if points:
            ax.plot(*zip(*points), marker, color=color, ls="none", label=label)
    ax.step(numbers, [s if s is not None else float("nan") for s in steps], where="post", color="tab:red", label=_("best so far"))
    ax.set(xlabel=_("trial number"), ylabel=plots.metric_words(metric), title=title)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(alpha=0.3)
    ax.legend(loc="best", fontsize=8)
    fig.tight_layout()
    return fig


@plots.in_language
def importance_bars(importances: dict[str, float], title: str):
    """Optuna's parameter importances, largest on top."""
    names = list(importances)[::-1]
    fig, ax = plt.subplots(figsize=(7, 0.5 * len(names) + 1.2))
    ax.barh(names, [importances[n] for n in names], color="tab:blue")
    ax.set(xlabel=_("importance (sums to 1)"), title=title, xlim=(0, 1))
    ax.grid(alpha=0.3, axis="x")
    fig.tight_layout()
    return fig


@plots.in_language
def search_methods(curves: dict[str, list[list[float | None]]], metric: str, mode: str, title: str):
    """Best figure found after k trials, one line per strategy (mean over its search seeds) with the
    band of their range: the lower (or higher) and the sooner, the better the strategy at that budget."""
    fig, ax = plt.subplots(figsize=(8.5, 4.4))
    colors = plots.variant_colors(list(curves))
    for name, searches in curves.items():
        length = max((len(c) for c in searches), default=0)
        ks, means, lows, highs = [], [], [], []
        for k in range(length):
            values = [c[k] for c in searches if len(c) > k and c[k] is not None]
            if values:
                ks.append(k + 1)
                means.append(sum(values) / len(values))
                lows.append(min(values))
                highs.append(max(values))
        ax.plot(ks, means, "-", color=colors[name], lw=1.8, label=_("{name} ({n} searches)").format(name=name, n=len(searches)))
        ax.fill_between(ks, lows, highs, color=colors[name], alpha=0.15, lw=0)
    best = _("best {metric} so far (lower is better)") if mode == "min" else _("best {metric} so far (higher is better)")
    ax.set(xlabel=_("trials so far"), ylabel=best.format(metric=metric), title=title)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
