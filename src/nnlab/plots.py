"""The figures every training study shares (a run's learning curves, a study's validation curves
overlaid, its test accuracy by variant, the curve grid) and what every figure shares: colours per
variant, a metric's words, the report's language and its font. A kind's own figures are in its
folder (kinds/<kind>/figures.py), the search's in search/figures.py.

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


