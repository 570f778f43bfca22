"""A comparison of search strategies' part of the report: for each strategy, over its search seeds,
the best validation figure found after k trials (curves with bands), the trials it needed to come
within 1% of the best any search found, and the test accuracy of its choice, retrained over the
study's seeds; each strategy against random search (Welch's t-test over search seeds, Holm-adjusted),
and the answer to "does LIPO beat random search here?" with its uncertainty.

The unit of a strategy's sample is one search (one search seed): a choice's test accuracy is first
averaged over the training seeds it was retrained with, so a search counts once however many seeds
retrain its choice.
"""

from __future__ import annotations

import statistics
from pathlib import Path

from .. import plots, results
from ..config import grid_labels
from ..report_data import StudyResults
from ..report_parts import fmt, image, markdown_table
from ..selection import Rule
from ..stats import ALPHA, adjust, compare, mean_sd, p_is
from .driver import COMPARISON_FILE

WITHIN = 0.01  # "came within 1% of the best any search found": the figure a strategy is timed to
NAMES = {"grid": "grid", "random": "random", "bayesian": "Bayesian (TPE)", "lipo": "LIPO (dlib, + trust region)"}


def holds_comparison(study: StudyResults) -> bool:
    try:
        return isinstance(results.read_json(study.folder / COMPARISON_FILE), dict)
    except (OSError, ValueError):
        return False


def best_so_far(search: dict, rule: Rule) -> list[float | None]:
    """The best figure found after each trial of one search (None before any finished)."""
    out, best = [], None
    for trial in search["trials"]:
        value = trial["value"] if trial["status"] == "ok" else None
        if value is not None and (best is None or rule.better(value, best)):
            best = value
        out.append(best)
    return out


def trials_to_reach(curve: list[float | None], target: float, rule: Rule) -> int | None:
    return next((k for k, value in enumerate(curve, 1) if value is not None and not rule.better(target, value)), None)


def section(root: Path, study: StudyResults) -> list[str]:
    data = results.read_json(study.folder / COMPARISON_FILE)
    rule = Rule.for_direction(data["metric"], data["direction"])
    strategies, budget, metric = data["strategies"], data["budget"], data["metric"]
    by_strategy = {s: [x for x in data["searches"] if x["strategy"] == s] for s in strategies}
    curves = {s: [best_so_far(x, rule) for x in found] for s, found in by_strategy.items()}
    finals = [curve[-1] for found in curves.values() for curve in found if curve and curve[-1] is not None]
    overall = rule.best(finals, key=lambda v: v) if finals else None
    target = overall * (1 + WITHIN) if rule.mode == "min" else overall * (1 - WITHIN) if overall is not None else None
    tests = {s: [_choice_test(study, x) for x in found] for s, found in by_strategy.items()}
    reference = "random" if "random" in strategies else strategies[0]
    lines = study.heading(_finding(by_strategy, curves, tests, reference, rule))
    proposed = sum(len(x["trials"]) for x in data["searches"])
    distinct = len({t["trial"] for x in data["searches"] for t in x["trials"]})
    lines += [f"Each of {', '.join(NAMES.get(s, s) for s in strategies)} searched the same space "
              f"({', '.join(f'`{k}`' for k in data['space'])}) with the same budget of {budget} trials, from each of the "
              f"search seeds {', '.join(map(str, data['seeds']))}. Every trial trained with the study's first seed and "
              f"was scored by its best {metric} on the validation split; no trial saw the test set. The searches "
              f"proposed {proposed} trials; {distinct} distinct settings were trained, the rest read back from the "
              f"trial folder of the same settings (a trial is a run keyed by its settings), so sharing saved "
              f"{proposed - distinct} trainings. Pruning is off, so a shared trial is the same run whoever proposed it."
              + (f" The grid tries {data['grid_points']} values of each real range (log-spaced on a log scale), in an "
                 "order drawn from the search seed (its points outnumber the budget)." if "grid" in strategies else "")
              + " LIPO's categorical settings are searched as their index in the list, in the order listed.", ""]
    fig = plots.search_methods({NAMES.get(s, s): c for s, c in curves.items()}, metric, rule.mode,
                               f"{study.name}: best {metric} found after k trials (mean over search seeds, band: their range)")
    lines += [image(fig, root, f"{study.name}-methods.png", f"{study.name} search methods"), ""]
    checkpoints = sorted({k for k in (budget // 4, budget // 2) if 0 < k < budget})
    rows = []
    for s in strategies:
        finals_s = [c[-1] for c in curves[s] if c and c[-1] is not None]
        reached = [trials_to_reach(c, target, rule) for c in curves[s]] if target is not None else []
        hit = [r for r in reached if r is not None]
        early = {k: [c[k - 1] for c in curves[s] if len(c) >= k and c[k - 1] is not None] for k in checkpoints}
        repeats = [len(x["trials"]) - len({t["trial"] for t in x["trials"]}) for x in by_strategy[s]]
        rows.append([NAMES.get(s, s), len(curves[s]), *(fmt(*mean_sd(early[k])) for k in checkpoints), fmt(*mean_sd(finals_s)),
                     (f"{statistics.fmean(hit):.1f} ({len(hit)}/{len(reached)} reached)" if hit else f"— (0/{len(reached)} reached)"),
                     f"{sum(repeats)} ({', '.join(map(str, repeats))})", fmt(*mean_sd([t for t in tests[s] if t is not None]))])
    lines += markdown_table(["strategy", "searches", *(f"best {metric} after {k} trial{'s' * (k != 1)}" for k in checkpoints), f"after {budget}",
                             f"trials to within {WITHIN:.0%} of the best found", "trials that repeated a setting (per search)",
                             "test accuracy of its choice"], rows)
    lines += ["", f"Means ± sd over search seeds. The best found by any search: {metric} {fmt(overall)}; within "
              f"{WITHIN:.0%}: {fmt(target)}. A trial that repeats a setting its own search had tried already spends the "
              "budget and learns nothing new (it is read back, not retrained). A choice's test accuracy is its mean over "
              "the training seeds it was retrained with (the table below), so each search counts once.", ""]
    lines += _comparison_lines(strategies, reference, curves, tests, metric, rule)
    lines += _choices(study, data)
    return lines


def _choice_test(study: StudyResults, search: dict) -> float | None:
    name = search["best"]["variant"]
    if name not in [v.name for v in study.variants]:
        return None
    values = study.variant(name).values("test_accuracy")
    return statistics.fmean(values) if values else None


def _welch(a: list[float], b: list[float]):
    a, b = [x for x in a if x is not None], [x for x in b if x is not None]
    return compare(a, b) if a and b else None


def _comparison_lines(strategies, reference, curves, tests, metric, rule) -> list[str]:
    others = [s for s in strategies if s != reference]
    found = {s: _welch([c[-1] for c in curves[s] if c], [c[-1] for c in curves[reference] if c]) for s in others}
    tested = {s: _welch(tests[s], tests[reference]) for s in others}
    lines = [f"Each strategy against {NAMES.get(reference, reference)} search, by Welch's t-test over search seeds, the p-values "
             f"Holm-adjusted over the {len(others)} comparisons of each figure:", ""]
    rows = []
    adjusted_found = adjust([c.p_value if c else None for c in found.values()], "Holm")
    adjusted_tested = adjust([c.p_value if c else None for c in tested.values()], "Holm")
    for s, p_found, p_tested in zip(others, adjusted_found, adjusted_tested):
        rows.append([NAMES.get(s, s), _difference(found[s], p_found, 4), _verdict(found[s], p_found, better_low=rule.mode == "min"),
                     _difference(tested[s], p_tested, 4), _verdict(tested[s], p_tested, better_low=False)])
    lines += markdown_table(["strategy", f"best {metric} found, minus {reference}'s (95% CI; adjusted p)", "verdict",
                             f"its choice's test accuracy, minus {reference}'s", "verdict"], rows)
    if "lipo" in others:
        k = others.index("lipo")
        lines += ["", "**Does LIPO beat random search here?** " + _answer(found["lipo"], adjusted_found[k], tested["lipo"],
                                                                         adjusted_tested[k], metric, rule, reference)]
    return lines + [""]


def _difference(c, p, digits: int) -> str:
    if c is None:
        return "—"
    if c.low is None:
        return f"{c.difference:+.{digits}f} (one search a side: no interval)"
    return f"{c.difference:+.{digits}f} ({c.low:+.{digits}f} to {c.high:+.{digits}f}" + (f"; p {p_is(p)}" if p is not None else "") + ")"


def _verdict(c, p, better_low: bool) -> str:
    if c is None or c.low is None:
        return "too few searches to tell"
    if p is None:
        return "identical on every search seed" if not c.difference else "the same difference on every search seed"
    if p >= ALPHA:
        return "within search-seed noise"
    good = (c.difference < 0) == better_low
    return "better beyond search-seed noise" if good else "worse beyond search-seed noise"


def _answer(found, p_found, tested, p_tested, metric, rule, reference) -> str:
    if found is None or found.low is None:
        return "Too few searches a side to tell."
    better = "lower" if rule.mode == "min" else "higher"
    parts = [f"On the validation split, LIPO's best {metric} after the budget is {found.difference:+.4f} against "
             f"{reference}'s (95% CI {found.low:+.4f} to {found.high:+.4f}; {better} is better), "
             + ("beyond search-seed noise" if p_found is not None and p_found < ALPHA else "within search-seed noise")]
    if tested is not None and tested.low is not None:
        parts.append(f"the test accuracy of what it chose is {tested.difference:+.4f} against {reference}'s "
                     f"(95% CI {tested.low:+.4f} to {tested.high:+.4f}), "
                     + ("beyond search-seed noise" if p_tested is not None and p_tested < ALPHA else "within search-seed noise"))
    wins = p_found is not None and p_found < ALPHA and (found.difference < 0) == (rule.mode == "min")
    verdict = ("Yes, on this space and budget: LIPO finds better settings than random search beyond search-seed noise."
               if wins else "Not shown here: with these search seeds LIPO cannot be told from random search, which does "
                            "not mean the two are equal (a few searches a side detect only large differences).")
    return "; ".join(parts) + ". " + verdict


def _choices(study: StudyResults, data: dict) -> list[str]:
    keys = list(data["space"])
    by_variant: dict[str, list[str]] = {}
    for search in data["searches"]:
        by_variant.setdefault(search["best"]["variant"], []).append(search["label"])
    params = {x["best"]["variant"]: x["best"]["params"] for x in data["searches"]}
    rows = []
    for name, labels in by_variant.items():
        variant = study.variant(name) if name in [v.name for v in study.variants] else None
        rows.append([f"`{name}`", ", ".join(labels), *(_value(params[name].get(k)) for k in keys),
                     fmt(*variant.mean_sd("test_accuracy")) + f" (n={variant.n})" if variant else "—"])
    base = study.variant(study.baseline) if study.baseline in [v.name for v in study.variants] else None
    lines = ["What each search chose, retrained from scratch over the study's seeds and tested once:", ""]
    lines += markdown_table(["variant", "chosen by", *grid_labels(keys), "test accuracy"], rows)
    if base:
        lines += ["", f"The config as written ({study.baseline}): test accuracy {fmt(*base.mean_sd('test_accuracy'))} "
                  f"(n={base.n})."]
    return lines + [""]


def _finding(by_strategy, curves, tests, reference, rule) -> str:
    means = {s: statistics.fmean(v) for s, v in ((s, [c[-1] for c in cs if c and c[-1] is not None]) for s, cs in curves.items()) if v}
    if not means:
        return "no search finished a trial."
    leader = rule.best(list(means), key=lambda s: means[s])
    return (f"after the budget, {NAMES.get(leader, leader)} search has the best mean validation figure "
            f"({means[leader]:.4f}, over {len(curves[leader])} search seeds); the table and the comparisons with "
            f"{NAMES.get(reference, reference)} search below say which differences exceed search-seed noise.")


def _value(value) -> str:
    return f"{value:.3g}" if isinstance(value, float) else str(value)
