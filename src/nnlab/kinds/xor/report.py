"""The `xor` kind's part of the report: how often each variant solves XOR, with Wilson intervals and
Fisher's exact test against the baseline, the rates as bars, one learned solution, the loss curves."""

from __future__ import annotations

import statistics
from pathlib import Path

from scipy import stats as scipy_stats

from ... import plots
from ...conclusions import changed_sentence
from ...report_data import StudyResults, VariantStats
from ...report_parts import copied_image, image, markdown_table
from .record import describe_solution


def rates(variant: VariantStats) -> dict[str, float | int]:
    """Over every finished run of a variant, all its initialisations pooled: counts and shares."""
    ms = [r.metrics for r in variant.runs if r.ok]
    runs = sum(m["repeats"] for m in ms)
    solved = sum(m["solved"] for m in ms)
    dead = sum(m["runs_with_dead_unit"] for m in ms)
    return {"runs": runs, "solved": solved, "solved_rate": solved / runs, "dead": dead, "dead_unit_rate": dead / runs,
            "identical_rate": sum(m["identical_units_rate"] * m["repeats"] for m in ms) / runs,
            "final_loss_median": statistics.median(m["final_loss_median"] for m in ms)}


OPTIMIZER_WORDS = {"sgd": "SGD", "adam": "Adam"}
LOSS_WORDS = {"mse": "MSE", "binary_crossentropy": "binary cross-entropy"}


def training_words(c: dict) -> str:
    """'SGD steps at lr 0.01 on MSE' for the config of the course's XOR (and of runs made before
    the kind took an optimizer and a loss); the variant's own where they vary."""
    return (f"{OPTIMIZER_WORDS[c.get('optimizer', 'sgd')]} steps at lr {c['learning_rate']} on "
            f"{LOSS_WORDS[c.get('loss', 'mse')]}")


def section(root: Path, study: StudyResults) -> list[str]:
    c = study.config
    scored = [v for v in study.variants if v.n]
    shares = {v.name: rates(v) for v in scored}
    found = most_often(scored, shares)
    trainings = {v.name: training_words(v.runs[0].config) for v in scored} or {"": training_words(c)}
    training = (next(iter(trainings.values())) if len(set(trainings.values())) == 1 else
                "steps of each variant's own optimizer, rate and loss (" + "; ".join(f"{n}: {w}" for n, w in trainings.items()) + ")")
    losses = {v.runs[0].config.get("loss", "mse") for v in scored} or {c.get("loss", "mse")}
    lines = study.heading(found) + [
        f"A {_net(study)} on the four XOR points, {c['steps']} full-batch "
        f"{training}, {c['repeats']} initialisations per variant and seed. Solved: every "
        "output within 0.5 of its target. Dead unit: a hidden unit whose pre-activation is ≤ 0 on all four "
        "points (for ReLU it then never learns again). Identical units: all hidden units end with the same "
        "weights (symmetry never broken).", ""]
    rows = []
    for v in study.variants:
        if v.name not in shares:
            rows.append([v.name] + ["—"] * 6)
            continue
        x = shares[v.name]
        low, high = proportion_interval(x["solved"], x["runs"])
        rows.append([study.label(v), x["runs"], x["solved"], f"{x['solved_rate']:.2f} ({low:.2f}–{high:.2f})",
                     f"{x['dead_unit_rate']:.2f}", f"{x['identical_rate']:.2f}", f"{x['final_loss_median']:.3g}"])
    lines += markdown_table(["variant", "runs", "solved", "solved rate (95% Wilson CI)", "runs with a dead unit",
                             "units identical", f"median final {LOSS_WORDS[next(iter(losses))] if len(losses) == 1 else 'loss'}"],
                            rows)
    lines.append("")
    base = study.variant(study.baseline)
    if base.name in shares:
        lines += [f"- {xor_sentence(v, base)}" for v in scored if v.name != study.baseline]
    if scored:
        fig = plots.rate_bars([v.name for v in scored],
                              {"solved": [shares[v.name]["solved_rate"] for v in scored],
                               "run with a dead unit": [shares[v.name]["dead_unit_rate"] for v in scored],
                               "units identical": [shares[v.name]["identical_rate"] for v in scored]},
                              ["tab:green", "tab:red", "tab:grey"], f"{study.name}: share of runs", "fraction of runs")
        lines += ["", image(fig, root, f"{study.name}-rates.png", f"{study.name} rates")]
        example = next((r for v in scored for r in v.runs if r.ok and r.metrics["example"]["solved"]), None)
        if example:
            lines += ["", f"Learned weights of one successful run ({example.metrics['variant']}, seed "
                      f"{example.metrics['seed']}):", "", "```", describe_solution(example.metrics["example"]), "```"]
        for v in scored:
            lines += ["", copied_image(root, v.runs[0].folder / "curves.png", f"{study.name}-{v.name}-curves.png",
                                       f"{study.name} {v.name} loss curves")]
    return lines + [""]


def _net(study: StudyResults) -> str:
    units = sorted({(r.config.get("model") or {}).get("units", 2) for r in study.runs})
    return f"2-{units[0]}-1 net" if len(units) == 1 else f"2-H-1 net (H = {', '.join(map(str, units))} hidden units, by variant)"


def most_often(scored: list[VariantStats], shares: dict[str, dict]) -> str:
    """The variant that solves XOR most often, named only where it does so beyond chance against the
    next one (Fisher's exact test); otherwise that no variant stands out, and the counts."""
    if not scored:
        return "no run finished."
    ranked = sorted(scored, key=lambda v: -shares[v.name]["solved_rate"])
    counts = ", ".join(f"{v.name} {shares[v.name]['solved']}/{shares[v.name]['runs']}" for v in ranked)
    if len(ranked) == 1:
        return f"runs solved: {counts}."
    (a, n), (b, m) = ((shares[v.name]["solved"], shares[v.name]["runs"]) for v in ranked[:2])
    p = scipy_stats.fisher_exact([[a, n - a], [b, m - b]]).pvalue
    if p < 0.05:
        return (f"**{ranked[0].name}** solves XOR most often, beyond chance against the next, {ranked[1].name} (Fisher's "
                f"exact test p = {p:.3g}). Runs solved: {counts}.")
    return (f"no variant solves XOR more often than the others beyond chance: the first two, {ranked[0].name} and "
            f"{ranked[1].name}, differ by no more than chance allows (Fisher's exact test p = {p:.2g}). Runs solved: {counts}.")


def proportion_interval(successes: int, total: int) -> tuple[float, float]:
    interval = scipy_stats.binomtest(successes, total).proportion_ci(0.95, method="wilson")
    return float(interval.low), float(interval.high)


def xor_sentence(v: VariantStats, base: VariantStats) -> str:
    ours, theirs = rates(v), rates(base)
    (a, n), (b, m) = (ours["solved"], ours["runs"]), (theirs["solved"], theirs["runs"])
    p = scipy_stats.fisher_exact([[a, n - a], [b, m - b]]).pvalue
    verdict = (f"{'more' if a / n > b / m else 'less'} often than the baseline beyond chance" if p < 0.05
               else "not distinguishable from chance")
    text = (f"**{v.name}** solves XOR in {a}/{n} runs vs {b}/{m} for {base.name} (difference "
            f"{a / n - b / m:+.2f}; Fisher's exact test p = {p:.3g}): {verdict}. "
            f"{changed_sentence(v, base, 'the difference')}")
    (c, d) = (ours["dead"], theirs["dead"])
    if c or d:  # the dying-ReLU question (exercise 4-3), where any unit died
        low, high = proportion_interval(c, n)
        p_dead = scipy_stats.fisher_exact([[c, n - c], [d, m - d]]).pvalue
        text += (f" Runs with a dead hidden unit after training: {c}/{n} ({c / n:.0%}, 95% CI {low:.0%}–{high:.0%}) "
                 f"against {d}/{m} ({d / m:.0%}) for {base.name}; Fisher's p = {p_dead:.3g}"
                 + (" (beyond chance)." if p_dead < 0.05 else " (not distinguishable from chance)."))
    return text
