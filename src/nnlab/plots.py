"""Every figure nnlab draws: a run's learning curves, a study's validation curves overlaid and its test
accuracy by variant, and the kinds' and the search's own (XOR losses and rate bars, the decay curves,
the activation gallery, the best so far by trial).

The figures `nnlab report` draws speak the report's language (nnlab.i18n): their words go through
this module's _(), which translates only where matplotlib has a font with the language's glyphs
(`speaks`), so a machine without one draws English rather than boxes; the figures a run draws as it
trains (its learning curves, the kinds' own) are English. A figure drawn in another language than
English gets the language's font after the default one (`in_language`): Latin text keeps the default
face, and the glyphs it lacks come from the fallback."""

from __future__ import annotations

import functools
import math

import matplotlib.pyplot as plt  # the backend is the caller's: the CLI picks Agg (files only)
from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from . import i18n
from .i18n import N_
from .selection import Rule

# Faces that draw Simplified Chinese, the first installed one used: Noto's (Debian's fonts-noto-cjk) and
# Adobe's (the same glyphs), WenQuanYi's on older Linux, Windows' and macOS's own, and SimHei.
CHINESE_FACES = ("Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Zen Hei", "Microsoft YaHei", "PingFang SC", "SimHei")


@functools.cache
def chinese_font() -> str | None:
    """The first of CHINESE_FACES matplotlib knows, or None where it knows none (looked up once)."""
    installed = {font.name for font in font_manager.fontManager.ttflist}
    return next((face for face in CHINESE_FACES if face in installed), None)


FONTS = {"zh": lambda: chinese_font()}  # a language other than English -> its font, None where none is installed


def font_for(lang: str) -> str | None:
    """The face that draws `lang`'s glyphs beyond the default font's; None for English."""
    return FONTS[lang]() if lang in FONTS else None


def speaks(lang: str | None = None) -> bool:
    """Whether the figures can be drawn in `lang` (the report's current language by default): English
    always, another language where a font for its glyphs is installed."""
    lang = lang or i18n.current()
    return lang == "en" or font_for(lang) is not None


def _(message: str) -> str:
    """A figure's words in the report's language where the figures can speak it (`speaks`), else as written."""
    return i18n._(message) if speaks() else message


def in_language(draw):
    """Draw inside the language's font where it has one: the figure's texts keep the font families
    they are made with (the default's, then the language's), so the file saved later draws them too."""

    @functools.wraps(draw)
    def drawn(*args, **kwargs):
        face = font_for(i18n.current())
        if face is None:  # English, or no font for the language: its words were left English (_)
            return draw(*args, **kwargs)
        with plt.rc_context({"font.family": [*plt.rcParams["font.family"], face]}):
            return draw(*args, **kwargs)

    return drawn


# A metric's words on a figure; another metric is shown by its name ("val_" read as "validation ").
METRIC_WORDS = {"loss": N_("loss"), "accuracy": N_("accuracy"), "val_loss": N_("validation loss"),
                "val_accuracy": N_("validation accuracy")}
TRAINING_WORDS = {"loss": N_("training loss"), "accuracy": N_("training accuracy")}
PANEL_TITLES = {"val_loss": N_("Validation loss"), "val_accuracy": N_("Validation accuracy")}


def metric_words(metric: str) -> str:
    """'validation loss' for val_loss (in the figures' language), the name itself for a metric nnlab has no words for.

    >>> metric_words("val_accuracy"), metric_words("val_auc")
    ('validation accuracy', 'validation auc')
    """
    return _(METRIC_WORDS[metric]) if metric in METRIC_WORDS else metric.replace("val_", "validation ")


def variant_colors(variants: list[str]) -> dict[str, str]:
    """One fixed colour per variant, in config order, so every figure of a study agrees."""
    palette = plt.get_cmap("tab10" if len(variants) <= 10 else "tab20").colors
    return {v: palette[i % len(palette)] for i, v in enumerate(variants)}


def learning_curves(history: dict[str, list[float]], best: int | None, title: str) -> Figure:
    """Loss and accuracy, training vs validation; a third panel with the learning rate when it changes.

    Built on matplotlib's object API (no pyplot: safe on a drawing thread, nnlab.drawing) and laid
    out by fixed margins, not measured text: a run's figure costs about one steady epoch of the
    book's nets rather than four (benchmarks/README.md)."""
    epochs = range(1, len(history["loss"]) + 1)
    rates = history.get("learning_rate", [])
    show_rate = len(set(rates)) > 1
    fig = Figure(figsize=(15 if show_rate else 10, 4))
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, 3 if show_rate else 2)
    fig.subplots_adjust(left=0.07 if not show_rate else 0.05, right=0.985, bottom=0.13, top=0.84, wspace=0.25)
    for ax, metric in zip(axes, ("loss", "accuracy")):
        ax.plot(epochs, history[metric], "o-", ms=3, label=f"training {metric}")
        if f"val_{metric}" in history:
            ax.plot(epochs, history[f"val_{metric}"], "s-", ms=3, label=f"validation {metric}")
        if best:
            ax.axvline(best, color="grey", ls="--", lw=1, label=f"best epoch ({best})")
        ax.set(xlabel="epoch", ylabel=metric)
        ax.set_title(metric.capitalize(), y=1.0)  # placed, not measured against the tick labels: a third of the draw
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
        # Loss falls and accuracy rises: the corner each curve leaves free, without searching for it.
        ax.legend(loc="upper right" if metric == "loss" else "lower right", fontsize=8)
    if show_rate:
        axes[2].plot(epochs, rates, "o-", ms=3, color="tab:green")
        axes[2].set(xlabel="epoch", ylabel="learning rate")
        axes[2].set_title("Learning rate (at the epoch's start)", y=1.0)
        axes[2].xaxis.set_major_locator(MaxNLocator(integer=True))
        axes[2].grid(alpha=0.3)
    fig.suptitle(title)
    return fig


def validation_overlay(histories: dict[str, dict[str, list[float]]], best: dict[str, int], title: str,
                       colors: dict[str, str] | None = None):
    """Validation loss and accuracy of every variant (first seed) on shared axes."""
    colors = colors or variant_colors(list(histories))
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for ax, metric in zip(axes, ("val_loss", "val_accuracy")):
        for variant, history in histories.items():
            values = history.get(metric, [])
            ax.plot(range(1, len(values) + 1), values, "-", color=colors[variant], label=variant)
            if best.get(variant):
                ax.plot(best[variant], values[best[variant] - 1], "o", color=colors[variant], ms=6)
        ax.set(xlabel="epoch", ylabel=metric.replace("val_", "validation "),
               title=metric.replace("val_", "Validation ").replace("_", " "))
    return _epoch_panels(fig, axes, title, "variant (● best epoch)")


@in_language
def validation_overlay_seeds(runs: dict[str, list[tuple[dict[str, list[float]], int | None]]], title: str,
                             colors: dict[str, str] | None = None):
    """Validation loss and accuracy of every variant over all its seeds on shared axes: the mean over
    the seeds that reached each epoch as a line, the lowest to the highest seed as a band, and each
    seed's best epoch as a dot on its own curve (so one lucky seed cannot pass for the variant)."""
    colors = colors or variant_colors(list(runs))
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for ax, metric in zip(axes, ("val_loss", "val_accuracy")):
        for variant, seeds in runs.items():
            curves = [h.get(metric, []) for h, _best in seeds]
            length = max((len(c) for c in curves), default=0)
            at = [[c[e] for c in curves if e < len(c) and isinstance(c[e], (int, float)) and math.isfinite(c[e])]
                  for e in range(length)]
            epochs = [e + 1 for e in range(length) if at[e]]
            if not epochs:
                continue
            color = colors[variant]
            ax.plot(epochs, [sum(at[e - 1]) / len(at[e - 1]) for e in epochs], "-", color=color,
                    label=(_("{variant} ({n} seed)") if len(seeds) == 1 else _("{variant} ({n} seeds)")).format(
                        variant=variant, n=len(seeds)))
            if len(seeds) > 1:
                ax.fill_between(epochs, [min(at[e - 1]) for e in epochs], [max(at[e - 1]) for e in epochs],
                                color=color, alpha=0.15, linewidth=0)
            best = [(b, c[b - 1]) for (_history, b), c in zip(seeds, curves) if b and b <= len(c)]
            if best:
                ax.plot(*zip(*best), "o", color=color, ms=4, alpha=0.8)
        ax.set(xlabel=_("epoch"), ylabel=metric_words(metric), title=_(PANEL_TITLES[metric]))
    return _epoch_panels(fig, axes, title, _("variant: mean over seeds\nband: lowest to highest seed\n● each seed's best epoch"))


def _epoch_panels(fig, axes, title: str, legend: str):
    """Two panels over epochs: whole-number ticks, a light grid, the variants' legend right of the second."""
    for ax in axes:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
    axes[1].legend(loc="center left", bbox_to_anchor=(1.02, 0.5), fontsize=8, title=legend)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


@in_language
def test_accuracy_bars(names: list[str], means: list[float], sds: list[float | None], counts: list[int],
                       colors: dict[str, str], baseline: str, references: dict[str, float], title: str):
    """Mean test accuracy per variant with ±1 sd error bars, horizontal so long variant names stay
    readable; trivial baselines are drawn as lines where they fall inside the axis."""
    fig, ax = plt.subplots(figsize=(8, 1.2 + 0.42 * len(names)))
    y = list(range(len(names)))[::-1]  # first variant on top
    errors = [sd or 0.0 for sd in sds]
    ax.barh(y, means, xerr=errors, height=0.6, capsize=3, color=[colors[n] for n in names],
            edgecolor=["black" if n == baseline else "none" for n in names], linewidth=1.5)
    low = max(0.0, min(m - e for m, e in zip(means, errors)) - 0.05)
    high = min(1.0, max(m + e for m, e in zip(means, errors)) + 0.02)
    ax.set_xlim(low, high + 0.3 * (high - low))  # room for the labels
    for yi, m, sd, n, e in zip(y, means, sds, counts, errors):
        ax.annotate(f"{m:.3f}" + (f" ± {sd:.3f}" if sd else "") + f"  (n={n})", (m + e, yi),
                    xytext=(4, 0), textcoords="offset points", va="center", fontsize=8)
    below = []
    for k, (label, value) in enumerate(references.items()):
        if value >= low:
            ax.axvline(value, color="grey", ls=("--", ":")[k % 2], lw=1,
                       label=_("{label} ({value})").format(label=label, value=f"{value:.3f}"))
        else:
            below.append(f"{label} {value:.3f}")
    ax.set_yticks(y, [_("{name} (baseline)").format(name=n) if n == baseline else n for n in names], fontsize=8)
    xlabel = _("test accuracy (fraction correct)")
    left = "\n" + _("left of the axis: {values}").format(values=_(", ").join(below)) if below else ""
    ax.set(xlabel=xlabel + left, title=title)
    ax.grid(axis="x", alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    return fig


@in_language
def learning_curve_grid(histories: dict[str, list[tuple[dict, int | None]]], colors: dict[str, str], title: str,
                        metric: str = "loss"):
    """One panel per variant: training (dashed) and validation (solid) `metric` of every seed, best epochs dotted."""
    names = list(histories)
    cols = min(3, len(names))
    rows = -(-len(names) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.2 * rows), squeeze=False, sharey=True)
    for ax, name in zip(axes.flat, names):
        for history, best in histories[name]:
            epochs = range(1, len(history["loss"]) + 1)
            ax.plot(epochs, history[metric], "--", color=colors[name], alpha=0.6, lw=1)
            ax.plot(epochs, history[f"val_{metric}"], "-", color=colors[name], lw=1.5)
            if best:
                ax.axvline(best, color=colors[name], ls=":", lw=1)
        ax.set(title=name, xlabel=_("epoch"), ylabel=metric_words(metric))
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(names):]:
        ax.axis("off")
    training = _(TRAINING_WORDS[metric]) if metric in TRAINING_WORDS else f"training {metric}"
    handles = [plt.Line2D([], [], color="black", ls="--", lw=1, label=training),
               plt.Line2D([], [], color="black", ls="-", lw=1.5, label=metric_words(f"val_{metric}")),
               plt.Line2D([], [], color="black", ls=":", lw=1, label=_("best epoch"))]
    fig.suptitle(_("{title} (one line per seed)").format(title=title))
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    fig.legend(handles=handles, loc="lower center", fontsize=8, ncol=3)
    return fig


@in_language
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


@in_language
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


def activation_gallery(x, curves: dict[str, tuple], title: str):
    """One panel per activation: the function (solid) and its derivative (dashed)."""
    cols = min(4, len(curves))
    rows = -(-len(curves) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.4 * cols, 2.8 * rows), squeeze=False)
    for ax, (name, (y, dy)) in zip(axes.flat, curves.items()):
        ax.plot(x, y, color="tab:blue", label="f(x)")
        ax.plot(x, dy, "--", color="tab:orange", label="f'(x)")
        ax.axhline(0, color="grey", lw=0.5)
        ax.axvline(0, color="grey", lw=0.5)
        ax.set(title=name, xlabel="x")
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(curves):]:
        ax.axis("off")
    axes.flat[0].legend(fontsize=8, loc="upper left")
    fig.suptitle(f"{title}: activations and their derivatives (automatic differentiation)")
    fig.tight_layout()
    return fig


@in_language
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


@in_language
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
    ax.set(xlabel=_("trial number"), ylabel=metric_words(metric), title=title)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(alpha=0.3)
    ax.legend(loc="best", fontsize=8)
    fig.tight_layout()
    return fig


@in_language
def importance_bars(importances: dict[str, float], title: str):
    """Optuna's parameter importances, largest on top."""
    names = list(importances)[::-1]
    fig, ax = plt.subplots(figsize=(7, 0.5 * len(names) + 1.2))
    ax.barh(names, [importances[n] for n in names], color="tab:blue")
    ax.set(xlabel=_("importance (sums to 1)"), title=title, xlim=(0, 1))
    ax.grid(alpha=0.3, axis="x")
    fig.tight_layout()
    return fig


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


@in_language
def poly_curves(curves: dict[str, dict], colors: dict[str, str], floor: float, title: str):
    """Median training (dashed) and validation (solid) MSE over a run's initialisations, per variant."""
    import numpy as np

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


@in_language
def gradient_norms(norms: dict[str, list[float]], title: str):
    """Each variant's weight-gradient norm per layer, first hidden layer to output, on a log scale."""
    fig, ax = plt.subplots(figsize=(8, 4.2))
    colors = variant_colors(list(norms))
    for name, values in norms.items():
        ax.plot(range(1, len(values) + 1), values, "o-", color=colors[name], label=name)
    ax.set_yscale("log")
    ax.set(xlabel=_("layer (1 = first hidden, last = output)"), ylabel=_("‖∂L/∂W‖ (log scale)"), title=title)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


@in_language
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
    return _epoch_panels(fig, axes, title, _("variant (● a seed's best epoch)"))


@in_language
def search_methods(curves: dict[str, list[list[float | None]]], metric: str, mode: str, title: str):
    """Best figure found after k trials, one line per strategy (mean over its search seeds) with the
    band of their range: the lower (or higher) and the sooner, the better the strategy at that budget."""
    fig, ax = plt.subplots(figsize=(8.5, 4.4))
    colors = variant_colors(list(curves))
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
