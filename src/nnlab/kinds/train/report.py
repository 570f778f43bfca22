"""The `train` kind's part of the report: each variant over seeds, the comparisons with their
uncertainty, the book's figure where the net is the book's, and the figures."""

from __future__ import annotations

from pathlib import Path

from ... import plots
from ...conclusions import analyse, book_verdict, comparison_sentence, detectable_sentence, finding, method_sentence
from ...report_data import StudyResults
from ...report_parts import fmt, image, markdown_table


def section(root: Path, study: StudyResults) -> list[str]:
    c = study.config
    varies = ", ".join(sorted({k for r in study.runs for k in (r.config.get("overrides") or {})})) or "nothing (one variant)"
    analysis = analyse(study)
    lines = study.heading(finding(study, analysis))
    subset = f" (first {c['dataset']['subset']} examples only)" if c["dataset"].get("subset") else ""
    lines += [f"Dataset {c['dataset']['name']}" + (" (bundled sample)" if c["dataset"].get("sample") else "") + subset +
              f"; loss {c.get('loss')}; optimizer {c.get('optimizer', {}).get('name')}; batch {c.get('batch_size')}; "
              f"up to {c.get('epochs')} epochs; best epoch by {c.get('selection', {}).get('metric')} "
              f"({c.get('selection', {}).get('mode')}); what varies: {varies}. "
              f"Runs: `{study.folder.relative_to(root)}/<variant>/seed-<n>/`.", ""]
    rows = []
    for v in study.variants:
        (wall, _), (per_epoch, _) = v.mean_sd("wall_time_s"), v.mean_sd("seconds_per_epoch")
        rows.append([study.label(v), fmt(*v.mean_sd("best_epoch"), digits=1), fmt(v.mean_sd("best_val_loss")[0]),
                     fmt(v.mean_sd("best_val_accuracy")[0]), fmt(*v.mean_sd("test_loss")),
                     fmt(*v.mean_sd("test_accuracy")), f"{v.n}/{len(v.runs)}", fmt(wall, digits=1),
                     fmt(per_epoch, digits=2)])
    lines += markdown_table(["variant", "best epoch", "val loss", "val accuracy", "test loss", "test accuracy", "n",
                             "wall time (s)", "s / epoch"], rows)
    lines += ["", "Means ± sample standard deviation over seeds; n counts finished runs.", ""]
    trivial = trivial_baselines(study)
    if trivial:
        lines += ["Trivial baselines on the same test set: " +
                  "; ".join(f"{k} {v:.4f}" for k, v in trivial.items()) + ".", ""]
    problems = [f"{v.name} {p}" for v in study.variants for p in v.problems]
    if problems:
        lines += ["Runs that did not finish: " + "; ".join(problems) + ".", ""]
    if analysis.verdicts:
        lines += [method_sentence(study, analysis) + " " + detectable_sentence(analysis), ""]
    figure, where, verdict = book_verdict(study)
    if where and verdict != "not the book's net":
        lines += [f"The book's figure for this net ({where}): {figure}. The baseline {study.baseline}'s mean test "
                  f"accuracy is {verdict}" + (": its 95% interval overlaps the published figure." if
                                               verdict.startswith("consistent") else "."), ""]
    lines += [f"- {comparison_sentence(study, v, analysis)}" for v in study.variants if v.name != study.baseline]
    if c.get("baseline") and c["baseline"] != study.baseline:
        lines += [f"The configured baseline {c['baseline']} has no finished run; {study.baseline} stands in.", ""]
    for figure_line in _figures(root, study, trivial):
        lines += ["", figure_line]
    lines.append("")
    return lines


def trivial_baselines(study: StudyResults) -> dict[str, float]:
    """Accuracy of always answering the training set's most common class, and of guessing at random
    with the training set's class frequencies, on this study's test labels."""
    run = next((r for r in study.runs if r.metrics.get("test_label_counts")), None)
    if run is None:
        return {}
    train, test = run.metrics["train_label_counts"], run.metrics["test_label_counts"]
    n_train, n_test = sum(train), sum(test)
    majority = max(range(len(train)), key=train.__getitem__)
    return {"majority class": test[majority] / n_test,
            "random guessing": sum(a / n_train * b / n_test for a, b in zip(train, test))}


def _figures(root: Path, study: StudyResults, trivial: dict[str, float]) -> list[str]:
    colors = plots.variant_colors([v.name for v in study.variants])
    out = []
    scored = [v for v in study.variants if v.n]
    if scored:
        fig = plots.test_accuracy_bars([v.name for v in scored], [v.mean_sd("test_accuracy")[0] for v in scored],
                                       [v.mean_sd("test_accuracy")[1] for v in scored], [v.n for v in scored],
                                       colors, study.baseline, trivial,
                                       f"{study.name}: test accuracy (mean ± sd over seeds)")
        out.append(image(fig, root, f"{study.name}-test-accuracy.png", f"{study.name} test accuracy"))
    first = {v.name: v.runs[0] for v in study.variants if v.runs[0].history}
    if first:
        fig = plots.validation_overlay({n: r.history for n, r in first.items()},
                                       {n: r.metrics.get("best_epoch") for n, r in first.items()},
                                       f"{study.name}: validation curves (first seed)", colors)
        out.append(image(fig, root, f"{study.name}-validation.png", f"{study.name} validation curves"))
        rates = {n: r.history.get("learning_rate", []) for n, r in first.items()}
        if any(len(set(r)) > 1 for r in rates.values()):
            fig = plots.rate_overlay(rates, colors, f"{study.name}: learning rate per epoch (first seed)")
            out.append(image(fig, root, f"{study.name}-learning-rate.png", f"{study.name} learning rate"))
        grid = {v.name: [(r.history, r.metrics.get("best_epoch")) for r in v.runs if r.history] for v in study.variants}
        fig = plots.learning_curve_grid({k: h for k, h in grid.items() if h}, colors, f"{study.name}: learning curves")
        out.append(image(fig, root, f"{study.name}-learning-curves.png", f"{study.name} learning curves"))
    return out
