"""The `train` kind's part of the report: each variant over seeds, the comparisons with their
uncertainty, the book's figure where the net is the book's, and the figures."""

from __future__ import annotations

import math
from pathlib import Path

from ... import plots, templating
from ...book import book_consistent, book_verdict, not_the_books_net
from ...conclusions import analyse, comparison_sentence, detectable_sentence, finding, listed, method_sentence
from ...i18n import N_, _, sentences
from ...report_data import StudyResults, VariantStats
from ...report_parts import HOW_TO_READ, fmt, image
from ...spec_tables import TEXT_DATASETS
from ...specs import conv_stack, dense_inputs, output_width
from ...stats import compare, mean_sd
from . import claims, figures, learning, why
from .schema import Config, parameter_count


def section(root: Path, study: StudyResults) -> list[str]:
    """The study's section: its values computed here, once, and laid out by section.md.j2."""
    spec = study.variants[0].spec
    varies = ", ".join(sorted({k for r in study.runs for k in (r.config.get("overrides") or {})})) or _("nothing (one variant)")
    analysis = analyse(study)
    subset = _(" (first {n} examples only)").format(n=spec.dataset.subset) if spec.dataset.subset else ""
    setup = _("Dataset {dataset}{sample}{subset}; loss {loss}; optimizer {optimizer}; batch {batch}; up to {epochs} epochs; "
              "best epoch by {metric} ({mode}); what varies: {varies}. Runs: `{folder}/<variant>/seed-<n>/`.").format(
        dataset=spec.dataset.name, sample=_(" (bundled sample)") if spec.dataset.sample else "", subset=subset,
        loss=_by_variant(study, lambda c: c.loss), optimizer=_by_variant(study, lambda c: c.optimizer.name),
        batch=_by_variant(study, lambda c: c.batch_size), epochs=_by_variant(study, lambda c: c.epochs),
        metric=spec.selection.metric, mode=spec.selection.mode, varies=varies, folder=study.folder.relative_to(root))
    rows = []
    for v in study.variants:
        (wall, _sd), (per_epoch, _sd) = v.mean_sd("wall_time_s"), v.mean_sd("seconds_per_epoch")
        rows.append([study.label(v) + OPTIMISTIC * v.validated_on_test, fmt(*v.mean_sd("best_epoch"), digits=1), fmt(v.mean_sd("best_val_loss")[0]),
                     fmt(v.mean_sd("best_val_accuracy")[0]), fmt(*v.mean_sd("test_loss")),
                     fmt(*v.mean_sd("test_accuracy")), f"{v.n}/{len(v.runs)}", fmt(wall, digits=1),
                     fmt(per_epoch, digits=2), *(f"{count:,}" for count in size_of(v.spec))])
    figures_note = (_("n counts finished runs; the columns are defined in {how_to_read} (a multi-hot text costs far fewer "
                      "multiply-adds than shown: one row per word it holds).") if spec.dataset.name in TEXT_DATASETS else
                    _("n counts finished runs; the columns are defined in {how_to_read}.")).format(how_to_read=_(HOW_TO_READ))
    course = [v for v in study.variants if v.validated_on_test]
    trivial = trivial_baselines(study)
    norms = _first_epoch_norms(study)
    curves_header, curves = learning.table(study)
    found = claims.checks(study, analysis)
    base = study.variant(study.baseline)
    return templating.lines(
        "train/section.md.j2", name=study.name, asks=study.asks, found=finding(study, analysis), setup=setup,
        figures_header=[_(column) for column in FIGURES_HEADER], figures_rows=rows, figures_note=figures_note,
        optimistic=OPTIMISTIC.strip(), course_names=", ".join(v.name for v in course),
        course_header=[_(column) for column in COURSE_HEADER], course_rows=[_course_row(study, v) for v in course],
        notes=_notes(study, analysis, trivial), how_to_read=_(HOW_TO_READ), curves_header=curves_header, curves=curves,
        norms_line=_norms_line(norms) if norms else "",
        norms_figure=image(figures.gradient_norms(norms, plots._("{study}: each layer's gradient norm, first epoch (mean over seeds)").format(
                               study=study.name)),
                           root, f"{study.name}-gradient-norms.png", f"{study.name} gradient norms") if norms else "",
        book=_book_line(study),
        comparisons=[(comparison_sentence(study, v, analysis) + (OPTIMISTIC + _(" (optimistic: its epoch was chosen on the test set)")
                                                                 if v.validated_on_test else ""),
                      why.why_sentence(study, v, base, analysis.verdicts.get(v.name),
                                       (size_of(v.spec)[0], size_of(base.spec)[0])) if v.n and base.n else "")
                     for v in study.variants if v.name != base.name],
        gap_figure=_gap_figure(root, study) or "", **_claims_values(found),
        stand_in=_("The configured baseline {configured} has no finished run; {used} stands in.").format(
            configured=spec.baseline, used=study.baseline) if spec.baseline and spec.baseline != study.baseline else "",
        figures=_figures(root, study, trivial))


def _by_variant(study: StudyResults, setting) -> str:
    """A setting as the study's line says it: its value where every variant shares it, else each value
    the variants take (batch 1, 16, ... 1024, by variant), never only the first variant's.

        >>> from types import SimpleNamespace as N
        >>> _by_variant(N(variants=[N(spec=N(epochs=20)), N(spec=N(epochs=5))]), lambda c: c.epochs)
        '5, 20 (by variant)'
    """
    values = sorted({setting(v.spec) for v in study.variants}, key=lambda value: (str(type(value)), value))
    return str(values[0]) if len(values) == 1 else _("{values} (by variant)").format(values=", ".join(map(str, values)))


def _notes(study: StudyResults, analysis, trivial: dict[str, float]) -> list[str]:
    """The paragraphs between the figures table and the curves, each where it applies: an output that is
    no distribution, the trivial baselines, runs that did not finish, the tests used and their power."""
    notes = []
    improper = [v.name for v in study.variants if _improper_output(v) == "sigmoid"]
    if improper:
        notes.append(_("{names} end in sigmoid units under categorical cross-entropy: not a probability distribution (the units "
                       "need not sum to 1; Keras' loss divides them by their sum): the course's choice, kept as its script has "
                       "it.").format(names=listed(improper)))
    unbounded = [v.name for v in study.variants if _improper_output(v) == "relu"]
    if unbounded:
        notes.append((_("{names} ends in a relu unit under binary cross-entropy: not a probability (it runs from 0 upward; "
                        "Keras' loss clips it to [10⁻⁷, 1 − 10⁻⁷], so an output above 1 reads as certainty and gets no gradient, "
                        "and one at 0 none either): a student's slip, run under protocol: course to show what it did.")
                      if len(unbounded) == 1 else
                      _("{names} end in a relu unit under binary cross-entropy: not a probability (it runs from 0 upward; "
                        "Keras' loss clips it to [10⁻⁷, 1 − 10⁻⁷], so an output above 1 reads as certainty and gets no gradient, "
                        "and one at 0 none either): a student's slip, run under protocol: course to show what it did.")
                      ).format(names=listed(unbounded)))
    if trivial:
        notes.append(_("Trivial baselines on the same test set: {baselines}.").format(
            baselines=_("; ").join(f"{_(k)} {v:.4f}" for k, v in trivial.items())))
    problems = [f"{v.name} {p}" for v in study.variants for p in v.problems]
    if problems:
        notes.append(_("Runs that did not finish: {runs}.").format(runs="; ".join(problems)))
    if analysis.verdicts:
        notes.append(sentences(method_sentence(study, analysis), detectable_sentence(analysis)))
    return notes


def _book_line(study: StudyResults) -> str:
    """The book's figure against where one more run of the baseline lands, where the net is the book's."""
    figure, where, verdict = book_verdict(study)
    if not where or verdict == not_the_books_net():
        return ""
    name = "" if study.baseline == "baseline" else f" `{study.baseline}`"  # a name such as none reads as a word
    return (_("The book's figure for this net ({where}, one run): {figure}. Against where one more run of the baseline"
              "{name} lands: {verdict}, which the published figure overlaps.") if book_consistent(verdict) else
            _("The book's figure for this net ({where}, one run): {figure}. Against where one more run of the baseline"
              "{name} lands: {verdict}.")).format(where=where, figure=figure, name=name, verdict=verdict)


OPTIMISTIC = " †"  # beside every figure of a variant validated on the test set (the course's script)
IGNORED_BY_TWIN = ("variant", "seed", "overrides", "validation", "retrain", "protocol", "name", "description", "seeds", "baseline", "references")


FIGURES_HEADER = [N_("variant"), N_("best epoch"), N_("val loss"), N_("val accuracy"), N_("test loss"), N_("test accuracy"),
                  N_("n"), N_("wall time (s)"), N_("s / epoch"), N_("parameters"), N_("multiply-adds / example")]


def size_of(spec: Config) -> tuple[int, int]:
    """(trainable parameters, multiply-adds of one dense forward pass) of a run's typed config: the
    course's network complexity, layers counted as hidden + output, from the widths the schema checks
    the net's size by (specs.input_width, output_width; schema.parameter_count).

    >>> from nnlab.config import config_of
    >>> book = {"name": "book", "dataset": {"name": "imdb"}, "validation": {"size": 10000}, "loss": "binary_crossentropy",
    ...         "epochs": 20, "batch_size": 512, "model": {"units": 16}}
    >>> size_of(config_of(book))  # the book's IMDB net: 160,305 parameters
    (160305, 160272)
    >>> convnet = {"name": "convnet", "dataset": {"name": "mnist"}, "validation": {"size": 10000}, "epochs": 5, "batch_size": 64,
    ...            "loss": "categorical_crossentropy", "model": {"hidden_layers": 1, "units": 64, "conv": [
    ...                {"type": "conv2d", "filters": 32}, {"type": "max_pooling2d"}, {"type": "conv2d", "filters": 64},
    ...                {"type": "max_pooling2d"}, {"type": "conv2d", "filters": 64}]}}
    >>> size_of(config_of(convnet))  # chapter 5's convnet: 93,322 parameters (Keras); 26²·9·32 + 11²·9·32·64 + 3²·9·64² + 576·64 + 640
    (93322, 2794240)
    """
    model = spec.model
    widths = model.widths
    extra = 2 * sum(widths) * model.batch_norm + sum(w for w, a in zip(widths, model.layer_activations) if a == "prelu")
    convolutions = conv_stack(model.conv) if model.conv else []
    sizes = [dense_inputs(model, spec.dataset), *widths, output_width(spec.dataset)]
    return (sum(layer[3] for layer in convolutions) + parameter_count(sizes[0], widths, sizes[-1]) + extra,
            sum(layer[4] for layer in convolutions) + sum(a * b for a, b in zip(sizes, sizes[1:])))


def _first_epoch_norms(study: StudyResults) -> dict[str, list[float]]:
    """Each variant's first-epoch gradient norm per layer (record.gradient_norms), mean over its seeds;
    a seed whose first epoch has no finite norm (it diverged there: JSON records null) is left out."""
    out = {}
    for v in study.variants:
        runs = [r.history for r in v.runs if r.history and "gradient_norm_1" in r.history and r.history["loss"]]
        runs = [h for h in runs if all(_finite(h[key][0]) for key in h if key.startswith("gradient_norm_"))]
        if runs:
            layers = sum(key.startswith("gradient_norm_") for key in runs[0])
            out[v.name] = [mean_sd([h[f"gradient_norm_{k}"][0] for h in runs])[0] for k in range(1, layers + 1)]
    return out


def _finite(value) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value)


def _norms_line(norms: dict[str, list[float]]) -> str:
    parts = [_("{name} {first} against {output} ({ratio}×)").format(name=name, first=f"{values[0]:.3g}", output=f"{values[-1]:.3g}",
                                                                    ratio=f"{values[0] / values[-1]:.3g}") if values[-1] else
             _("{name} {first} against 0").format(name=name, first=f"{values[0]:.3g}") for name, values in norms.items()]
    return _("The first epoch's weight-gradient norm (mean over its batches and over the seeds whose first epoch stayed "
             "finite) of the first hidden layer against the "
             "output layer's, and the ratio of those means (the table above gives each seed's ratio, averaged on a log scale, "
             "so the two can differ in the last digit): {norms}. A ratio far below 1× is a gradient that shrinks on its way "
             "back to the input (vanishing); norms far above 1 in every layer are a gradient blown up by the weights' scale "
             "(exploding), whatever their ratio.{same} The figure shows every layer.").format(
                 norms=_("; ").join(parts), same=_same_rows(norms))


def _same_rows(norms: dict[str, list[float]]) -> str:
    """Variants whose every layer's norm is the same to the digits shown, said so, with what makes them
    so where it is visible (a first layer with no gradient at all: its units saturated)."""
    groups: dict[tuple[str, ...], list[str]] = {}
    for name, values in norms.items():
        groups.setdefault(tuple(f"{v:.3g}" for v in values), []).append(name)
    out = []
    for shown, names in groups.items():
        if len(names) < 2:
            continue
        out.append(" " + (_("{names} give the same norms in every layer to the digits shown: no gradient reaches their first "
                            "hidden layer at all, so its units are saturated and it does not learn.") if shown[0] == "0" else
                          _("{names} give the same norms in every layer to the digits shown.")).format(names=listed(names)))
    return "".join(out)


def _gap_figure(root: Path, study: StudyResults) -> str | None:
    """The overfitting picture, beside the comparisons it explains."""
    shown = {v.name: v.name + OPTIMISTIC * v.validated_on_test for v in study.variants}
    colors = {shown[name]: color for name, color in plots.variant_colors(list(shown)).items()}
    curves = {shown[v.name]: [(r.history, r.metrics.get("best_epoch")) for r in v.runs
                              if r.ok and r.history and "val_accuracy" in r.history] for v in study.variants}
    curves = {name: runs for name, runs in curves.items() if runs}
    if not curves:
        return None
    losses_differ = len({r.config.get("loss") for r in study.runs}) > 1
    fig = figures.generalisation_gap(curves, colors, plots._("{study}: the gap between training and validation, per epoch").format(
        study=study.name), losses_differ)
    return image(fig, root, f"{study.name}-generalisation-gap.png", f"{study.name} generalisation gap")


def _claims_values(found: list) -> dict:
    """Every reference figure the config carries (claims.checks), beside what the seeds measured, with
    its verdict: the rows of the section's folded table, how many hold, and the sources."""
    if not found:
        return {"claims_rows": [], "claims_held": 0, "claims_checked": 0, "claims_sources": "", "claims_header": []}
    sources = list(dict.fromkeys(c.source for c in found))
    rows, last = [], None
    for c in found:  # a reference's words once, on its first figure's row
        words = "″" if (c.variant, c.source, c.said) == last else (f"“{c.said}”" if c.said else "—")
        last = (c.variant, c.source, c.said)
        rows.append([c.variant, f"[{sources.index(c.source) + 1}]", words, _(claims.NAMES.get(c.figure, c.figure)),
                     c.stated, c.measured, c.interval,
                     _("**{verdict}**: {why}").format(verdict=_(c.verdict), why=c.why)])
    return {"claims_rows": rows, "claims_held": sum(c.verdict == claims.HOLDS for c in found),
            "claims_checked": sum(c.verdict != claims.UNCHECKED for c in found),
            "claims_sources": _("; ").join(f"[{k}] {source}" for k, source in enumerate(sources, 1)),
            "claims_header": [_(column) for column in CLAIMS_HEADER]}


CLAIMS_HEADER = [N_("variant"), N_("source"), N_("in their words"), N_("figure"), N_("stated"), N_("measured (mean ± sd)"),
                 N_("95% interval"), N_("verdict")]


def _course_row(study: StudyResults, v: VariantStats) -> list[str]:
    """A variant of the course's script: what its script prints (the last epoch's test figure), its
    figure at the test-chosen epoch (optimistic), and the same net under nnlab's protocol beside it, with
    the difference and its interval over seeds."""
    twin = _twin(study, v)
    return [v.name, fmt(*v.mean_sd("last_epoch_test_accuracy")), fmt(*v.mean_sd("test_accuracy")) + OPTIMISTIC,
            f"{twin.name}: {fmt(*twin.mean_sd('test_accuracy'))}" if twin else "—", _difference(v, twin)]


COURSE_HEADER = [N_("variant (the course's script)"), N_("test accuracy at the last epoch (what it prints)"),
                 N_("at its best epoch on the test curves"),
                 N_("the same net, nnlab's protocol (the epoch chosen on the validation split, tested once)"),
                 N_("last epoch minus nnlab's (95% CI, Welch)")]


def _twin(study: StudyResults, course: VariantStats) -> VariantStats | None:
    """The variant that trains the same net with nnlab's protocol: every setting the same but the
    validation split, the retrain and the protocol label."""
    same = lambda config: {k: v for k, v in config.items() if k not in IGNORED_BY_TWIN}
    target = same(course.runs[0].config)
    return next((v for v in study.variants if not v.validated_on_test and v.n and same(v.runs[0].config) == target), None)


def _difference(course: VariantStats, twin: VariantStats | None) -> str:
    if twin is None or not course.values("last_epoch_test_accuracy"):
        return "—"
    c = compare(course.values("last_epoch_test_accuracy"), twin.values("test_accuracy"))
    if c.low is None:
        return _("{difference} (too few seeds for an interval)").format(difference=f"{c.difference:+.4f}")
    return (_("{difference} ({low} to {high}; beyond seed noise)") if c.distinguishable else
            _("{difference} ({low} to {high}; within seed noise)")).format(
                difference=f"{c.difference:+.4f}", low=f"{c.low:+.4f}", high=f"{c.high:+.4f}")


def _improper_output(v: VariantStats) -> str | None:
    """The output activation of a variant whose output is no probability for its loss, which only
    protocol: course allows (sigmoid under categorical cross-entropy, relu under binary), or None."""
    config = v.runs[0].config
    output, loss = (config.get("model") or {}).get("output_activation"), config.get("loss")
    if loss in ("categorical_crossentropy", "sparse_categorical_crossentropy") and output == "sigmoid":
        return "sigmoid"
    return "relu" if loss == "binary_crossentropy" and output == "relu" else None


def trivial_baselines(study: StudyResults) -> dict[str, float]:
    """Accuracy of always answering the training set's most common class, and of guessing at random
    with the training set's class frequencies, on this study's test labels."""
    run = next((r for r in study.runs if r.metrics.get("test_label_counts")), None)
    if run is None:
        return {}
    train, test = run.metrics["train_label_counts"], run.metrics["test_label_counts"]
    n_train, n_test = sum(train), sum(test)
    majority = max(range(len(train)), key=train.__getitem__)
    return {N_("majority class"): test[majority] / n_test,
            N_("guessing at the training-set frequencies"): sum(a / n_train * b / n_test for a, b in zip(train, test))}


def _figures(root: Path, study: StudyResults, trivial: dict[str, float]) -> list[str]:
    colors = plots.variant_colors([v.name for v in study.variants])
    shown = {v.name: v.name + OPTIMISTIC * v.validated_on_test for v in study.variants}  # the mark in every legend
    colors = {shown[name]: color for name, color in colors.items()}
    out = []
    scored = [v for v in study.variants if v.n]
    if scored:
        fig = plots.test_accuracy_bars([shown[v.name] for v in scored], [v.mean_sd("test_accuracy")[0] for v in scored],
                                       [v.mean_sd("test_accuracy")[1] for v in scored], [v.n for v in scored],
                                       colors, shown.get(study.baseline, study.baseline),
                                       {plots._(label): value for label, value in trivial.items()},
                                       plots._("{study}: test accuracy (mean ± sd over seeds)").format(study=study.name))
        out.append(image(fig, root, f"{study.name}-test-accuracy.png", f"{study.name} test accuracy"))
    first = {shown[v.name]: v.runs[0] for v in study.variants if v.runs[0].history}
    if first:
        every = {shown[v.name]: [(r.history, r.metrics.get("best_epoch")) for r in v.runs if r.history]
                 for v in study.variants}
        fig = plots.validation_overlay_seeds({k: h for k, h in every.items() if h},
                                             plots._("{study}: validation curves over all seeds").format(study=study.name), colors)
        out.append(image(fig, root, f"{study.name}-validation.png", f"{study.name} validation curves"))
        rates = {n: r.history.get("learning_rate", []) for n, r in first.items()}
        if any(len(set(r)) > 1 for r in rates.values()):
            fig = figures.rate_overlay(rates, colors, plots._("{study}: learning rate per epoch (first seed)").format(study=study.name))
            out.append(image(fig, root, f"{study.name}-learning-rate.png", f"{study.name} learning rate"))
        grid = {shown[v.name]: [(r.history, r.metrics.get("best_epoch")) for r in v.runs if r.history] for v in study.variants}
        fig = plots.learning_curve_grid({k: h for k, h in grid.items() if h}, colors,
                                        plots._("{study}: learning curves").format(study=study.name))
        out.append(image(fig, root, f"{study.name}-learning-curves.png", f"{study.name} learning curves"))
        if all("accuracy" in history and "val_accuracy" in history for runs in grid.values() for history, _test in runs):
            fig = plots.learning_curve_grid({k: h for k, h in grid.items() if h}, colors,
                                            plots._("{study}: accuracy curves").format(study=study.name), metric="accuracy")
            out.append(image(fig, root, f"{study.name}-accuracy-curves.png", f"{study.name} accuracy curves"))
    return out


# --- the answer table: the homework's question, one row per variant ------------------------------


