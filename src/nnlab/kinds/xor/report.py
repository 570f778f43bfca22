"""The `xor` kind's part of the report: how often each variant solves XOR, with Wilson intervals and
Fisher's exact test against the baseline, the rates as bars, one learned solution, the loss curves."""

from __future__ import annotations

import statistics
from pathlib import Path

from scipy import stats as scipy_stats

from ... import plots
from ...changes import changed_sentence
from ...i18n import N_, _, sentences
from ...report_data import StudyResults, VariantStats
from ...report_parts import copied_image, image, markdown_table
from ...stats import adjust
from . import figures
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


OPTIMIZER_WORDS = {"sgd": "SGD", "adam": "Adam", "adagrad": "Adagrad"}
LOSS_WORDS = {"mse": "MSE", "binary_crossentropy": N_("binary cross-entropy")}


def training_words(c: dict) -> str:
    """'SGD steps at lr 0.01 on MSE' for the config of the course's XOR (and of runs made before
    the kind took an optimizer and a loss); the variant's own where they vary."""
    return _("{optimizer} steps at lr {rate} on {loss}").format(
        optimizer=OPTIMIZER_WORDS[c.get("optimizer", "sgd")], rate=c["learning_rate"], loss=_(LOSS_WORDS[c.get("loss", "mse")]))


HEADER = [N_("variant"), N_("runs"), N_("solved"), N_("solved rate (95% Wilson CI)"), N_("runs with a dead unit"),
          N_("units identical")]


def section(root: Path, study: StudyResults) -> list[str]:
    c = study.config
    scored = [v for v in study.variants if v.n]
    shares = {v.name: rates(v) for v in scored}
    found = most_often(scored, shares)
    trainings = {v.name: training_words(v.runs[0].config) for v in scored} or {"": training_words(c)}
    training = (next(iter(trainings.values())) if len(set(trainings.values())) == 1 else
                _("steps of each variant's own optimizer, rate and loss ({trainings})").format(
                    trainings=_("; ").join(_("{variant}: {training}").format(variant=n, training=w) for n, w in trainings.items())))
    losses = {v.runs[0].config.get("loss", "mse") for v in scored} or {c.get("loss", "mse")}
    lines = study.heading(found) + [sentences(
        _("A {net} on the four XOR points, {steps} full-batch {training}, {repeats} initialisations per variant and seed.").format(
            net=_net(study), steps=c["steps"], training=training, repeats=c["repeats"]),
        _("Solved: every output within 0.5 of its target. Dead unit: a hidden unit whose pre-activation is ≤ 0 on all four "
          "points (for ReLU it then never learns again; a leaky, parametric, randomized or smooth unit still passes a "
          "gradient there, so for those the count is of units negative everywhere, not of units that cannot learn). "
          "Identical units: all hidden units end with the same weights (symmetry never broken).")), ""]
    rows = []
    for v in study.variants:
        if v.name not in shares:
            rows.append([v.name] + ["—"] * 6)
            continue
        x = shares[v.name]
        low, high = proportion_interval(x["solved"], x["runs"])
        rows.append([study.label(v), x["runs"], x["solved"], f"{x['solved_rate']:.2f} ({low:.2f}–{high:.2f})",
                     f"{x['dead_unit_rate']:.2f}", f"{x['identical_rate']:.2f}", f"{x['final_loss_median']:.3g}"])
    lines += markdown_table([_(word) for word in HEADER] + [
        _("median final {loss}").format(loss=_(LOSS_WORDS[next(iter(losses))])) if len(losses) == 1 else _("median final loss")],
        rows)
    lines.append("")
    base = study.variant(study.baseline)
    if base.name in shares:
        others = [v for v in scored if v.name != study.baseline]
        solved, dead = (fisher_family([(shares[v.name][key], shares[v.name]["runs"], shares[base.name][key], shares[base.name]["runs"])
                                       for v in others]) for key in ("solved", "dead"))
        if others:
            lines += [_("Each variant against the baseline by Fisher's exact test; the p-values of the study's {n} comparisons "
                        "of solved runs, and of its {n} of dead units, are Holm-adjusted as two families, and each verdict uses "
                        "the adjusted one.").format(n=len(others)), ""]
        lines += [f"- {xor_sentence(v, base, solved[k], dead[k])}" for k, v in enumerate(others)]
    if scored:
        fig = figures.rate_bars([v.name for v in scored],
                              {plots._("solved"): [shares[v.name]["solved_rate"] for v in scored],
                               plots._("run with a dead unit"): [shares[v.name]["dead_unit_rate"] for v in scored],
                               plots._("units identical"): [shares[v.name]["identical_rate"] for v in scored]},
                              ["tab:green", "tab:red", "tab:grey"], plots._("{study}: share of runs").format(study=study.name),
                              plots._("fraction of runs"))
        lines += ["", image(fig, root, f"{study.name}-rates.png", f"{study.name} rates")]
        example = next((r for v in scored for r in v.runs if r.ok and r.metrics["example"]["solved"]), None)
        if example:
            lines += ["", _("Learned weights of one successful run ({variant}, seed {seed}):").format(
                variant=example.metrics["variant"], seed=example.metrics["seed"]), "", "```", describe_solution(example.metrics["example"]), "```"]
        for v in scored:
            lines += ["", copied_image(root, v.runs[0].folder / "curves.png", f"{study.name}-{v.name}-curves.png",
                                       f"{study.name} {v.name} loss curves")]
    return lines + [""]


def _net(study: StudyResults) -> str:
    units = sorted({(r.config.get("model") or {}).get("units", 2) for r in study.runs})
    return (_("2-{units}-1 net").format(units=units[0]) if len(units) == 1 else
            _("2-H-1 net (H = {units} hidden units, by variant)").format(units=", ".join(map(str, units))))


def most_often(scored: list[VariantStats], shares: dict[str, dict]) -> str:
    """The variant that solves XOR most often, named only where it does so beyond chance against the
    next one (Fisher's exact test); otherwise that no variant stands out, and the counts."""
    if not scored:
        return _("no run finished.")
    ranked = sorted(scored, key=lambda v: -shares[v.name]["solved_rate"])
    counts = _(", ").join(f"{v.name} {shares[v.name]['solved']}/{shares[v.name]['runs']}" for v in ranked)
    if len(ranked) == 1:
        return _("runs solved: {counts}.").format(counts=counts)
    (a, n), (b, m) = ((shares[v.name]["solved"], shares[v.name]["runs"]) for v in ranked[:2])
    p = scipy_stats.fisher_exact([[a, n - a], [b, m - b]]).pvalue
    if p < 0.05:
        return _("**{first}** solves XOR most often, beyond chance against the next, {second} (Fisher's exact test "
                 "p = {p}, unadjusted: these two were picked as the top two). Runs solved: {counts}.").format(
                     first=ranked[0].name, second=ranked[1].name, p=f"{p:.3g}",
                                                            counts=counts)
    return _("no one variant leads beyond chance: the two that solve XOR most often, {first} and {second}, differ "
             "by no more than chance allows (Fisher's exact test p = {p}, unadjusted). Runs solved: {counts}.").format(
        first=ranked[0].name, second=ranked[1].name, p=f"{p:.2g}", counts=counts)


def proportion_interval(successes: int, total: int) -> tuple[float, float]:
    interval = scipy_stats.binomtest(successes, total).proportion_ci(0.95, method="wilson")
    return float(interval.low), float(interval.high)


def fisher_family(tables: list[tuple[int, int, int, int]]) -> list[tuple[float, float]]:
    """Each (successes, runs, the baseline's successes, its runs) by Fisher's exact test: (p, the p
    Holm-adjusted over the family). A variant compared with the baseline several times over is
    several chances to find a difference by luck; the adjusted p accounts for them."""
    raw = [float(scipy_stats.fisher_exact([[a, n - a], [b, m - b]]).pvalue) for a, n, b, m in tables]
    return list(zip(raw, adjust(raw, "Holm"))) if raw else []


def xor_sentence(v: VariantStats, base: VariantStats, solved: tuple[float, float], dead: tuple[float, float]) -> str:
    """The variant against the baseline: solved runs, then dead units; `solved` and `dead` are each
    comparison's (p, Holm-adjusted p) from fisher_family."""
    ours, theirs = rates(v), rates(base)
    (a, n), (b, m) = (ours["solved"], ours["runs"]), (theirs["solved"], theirs["runs"])
    (p, adjusted), beyond = solved, solved[1] < 0.05
    verdict = ((_("more often than the baseline beyond chance") if a / n > b / m else
                _("less often than the baseline beyond chance")) if beyond else _("not distinguishable from chance"))
    parts = [_("**{name}** solves XOR in {a}/{n} runs vs {b}/{m} for {base} (difference {difference}; Fisher's exact test "
               "p = {p}, adjusted {adjusted}): {verdict}.").format(
                 name=v.name, a=a, n=n, b=b, m=m, base=base.name, difference=f"{a / n - b / m:+.2f}", p=f"{p:.3g}",
                 adjusted=f"{adjusted:.3g}", verdict=verdict),
             changed_sentence(v, base, _("the difference"), attribute=beyond)]
    (c, d) = (ours["dead"], theirs["dead"])
    if c or d:  # the dying-ReLU question (exercise 4-3), where any unit died
        low, high = proportion_interval(c, n)
        p_dead, adjusted_dead = dead
        parts.append((_("Runs with a dead hidden unit after training: {c}/{n} ({share}, 95% CI {low}–{high}) against {d}/{m} "
                        "({base_share}) for {base}; Fisher's p = {p}, adjusted {adjusted} (beyond chance).")
                      if adjusted_dead < 0.05 else
                      _("Runs with a dead hidden unit after training: {c}/{n} ({share}, 95% CI {low}–{high}) against {d}/{m} "
                        "({base_share}) for {base}; Fisher's p = {p}, adjusted {adjusted} (not distinguishable from chance).")
                      ).format(c=c, n=n, share=f"{c / n:.0%}", low=f"{low:.0%}", high=f"{high:.0%}", d=d, m=m,
                               base_share=f"{d / m:.0%}", base=base.name, p=f"{p_dead:.3g}", adjusted=f"{adjusted_dead:.3g}"))
    return sentences(*parts)
