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
from ..grid import grid_labels
from ..i18n import N_, _, sentences
from ..report_data import StudyResults
from ..report_parts import fmt, image, markdown_table
from ..selection import Rule
from ..stats import ALPHA, Comparison, adjust, compare, mean_sd, p_is
from . import figures
from .outputs import COMPARISON_FILE
from .spec import SEED_FREE

WITHIN = 0.01  # "came within 1% of the best any search found": the figure a strategy is timed to
NAMES = {"grid": N_("grid"), "random": N_("random"), "bayesian": N_("Bayesian (TPE)"), "lipo": N_("LIPO (dlib, + trust region)"),
         "guess": N_("guess-and-check (hand-picked, in order)"), "bobyqa": N_("BOBYQA from the config's settings (NLopt)")}


def named(strategy: str) -> str:
    """A strategy's name in the report's language (a figure's, plots._(NAMES[s]), where the figures can speak it)."""
    return _(NAMES.get(strategy, strategy))


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
    lines += [sentences(
        _("Each of {strategies} searched the same space ({space}) with the same budget of {budget} trials, from each of the "
          "search seeds {seeds}.").format(strategies=_(", ").join(named(s) for s in strategies),
                                          space=_(", ").join(f"`{k}`" for k in data["space"]), budget=budget,
                                          seeds=_(", ").join(map(str, data["seeds"]))),
        _("Every trial trained with the study's first seed and was scored by its best {metric} on the validation split; no "
          "trial saw the test set.").format(metric=metric),
        _("The searches proposed {proposed} trials; {distinct} distinct settings were trained, the rest read back from the "
          "trial folder of the same settings (a trial is a run keyed by its settings), so sharing saved {saved} "
          "trainings.").format(proposed=proposed, distinct=distinct, saved=proposed - distinct),
        _("Pruning is off, so a shared trial is the same run whoever proposed it."),
        _("The grid tries {points} values of each real range (log-spaced on a log scale), in an order drawn from the search "
          "seed (its points outnumber the budget).").format(points=data["grid_points"]) if "grid" in strategies else "",
        _("Guess-and-check and BOBYQA draw on no seed: one search each (named after the first search seed).")
        if any(s in SEED_FREE for s in strategies) else "",
        _("LIPO's and BOBYQA's categorical settings are searched as their index in the list, in the order listed.")
        if "bobyqa" in strategies else
        _("LIPO's categorical settings are searched as their index in the list, in the order listed.")), ""]
    fig = figures.search_methods({plots._(NAMES[s]) if s in NAMES else s: c for s, c in curves.items()}, metric, rule.mode,
                               plots._("{study}: best {metric} found after k trials (mean over search seeds, band: their "
                                       "range)").format(study=study.name, metric=metric))
    lines += [image(fig, root, f"{study.name}-methods.png", f"{study.name} search methods"), ""]
    checkpoints = sorted({k for k in (budget // 4, budget // 2) if 0 < k < budget})
    rows = []
    for s in strategies:
        finals_s = [c[-1] for c in curves[s] if c and c[-1] is not None]
        reached = [trials_to_reach(c, target, rule) for c in curves[s]] if target is not None else []
        hit = [r for r in reached if r is not None]
        early = {k: [c[k - 1] for c in curves[s] if len(c) >= k and c[k - 1] is not None] for k in checkpoints}
        repeats = [len(x["trials"]) - len({t["trial"] for t in x["trials"]}) for x in by_strategy[s]]
        rows.append([named(s), len(curves[s]), *(fmt(*mean_sd(early[k])) for k in checkpoints), fmt(*mean_sd(finals_s)),
                     (_("{mean} ({hit}/{n} reached)").format(mean=f"{statistics.fmean(hit):.1f}", hit=len(hit), n=len(reached))
                      if hit else _("— (0/{n} reached)").format(n=len(reached))),
                     f"{sum(repeats)} ({', '.join(map(str, repeats))})", fmt(*mean_sd([t for t in tests[s] if t is not None]))])
    lines += markdown_table([_("strategy"), _("searches"),
                             *((_("best {metric} after {k} trial") if k == 1 else _("best {metric} after {k} trials")).format(
                                 metric=metric, k=k) for k in checkpoints),
                             _("after {budget}").format(budget=budget),
                             _("trials to within {within} of the best found").format(within=f"{WITHIN:.0%}"),
                             _("trials that repeated a setting (per search)"), _("test accuracy of its choice")], rows)
    lines += ["", sentences(
        _("Means ± sd over search seeds."),
        _("The best found by any search: {metric} {best}; within {within}: {target}.").format(
            metric=metric, best=fmt(overall), within=f"{WITHIN:.0%}", target=fmt(target)),
        _("A trial that repeats a setting its own search had tried already spends the budget and learns nothing new (it is "
          "read back, not retrained)."),
        _("A choice's test accuracy is its mean over the training seeds it was retrained with (the table below), so each "
          "search counts once.")), ""]
    lines += _comparison_lines(strategies, reference, curves, tests, metric, rule)
    lines += _choices(study, data)
    return lines


def _choice_test(study: StudyResults, search: dict) -> float | None:
    name = search["best"]["variant"]
    if name not in [v.name for v in study.variants]:
        return None
    values = study.variant(name).values("test_accuracy")
    return statistics.fmean(values) if values else None


def _welch(a: list[float], b: list[float], fixed: bool = False):
    """`a`'s searches against `b`'s: Welch's t-test over search seeds; where `a` draws on no seed (its one
    search is what every seed would give), a one-sample t-test of `b`'s searches against `a`'s figure."""
    a, b = [x for x in a if x is not None], [x for x in b if x is not None]
    if not (a and b):
        return None
    if not fixed or len(b) < 2:
        return compare(a, b)
    from scipy import stats as scipy_stats

    x, spread = a[0], statistics.stdev(b)
    if spread <= 1e-12 * max(1.0, abs(x), *map(abs, b)):
        difference = x - statistics.fmean(b)
        return Comparison(difference, difference, difference, None, False)
    result = scipy_stats.ttest_1samp(b, x)
    interval = result.confidence_interval(0.95)  # of b's mean: the difference's is x minus it
    return Comparison(x - statistics.fmean(b), x - float(interval.high), x - float(interval.low), float(result.pvalue), False)


def _comparison_lines(strategies, reference, curves, tests, metric, rule) -> list[str]:
    others = [s for s in strategies if s != reference]
    found = {s: _welch([c[-1] for c in curves[s] if c], [c[-1] for c in curves[reference] if c], s in SEED_FREE) for s in others}
    tested = {s: _welch(tests[s], tests[reference], s in SEED_FREE) for s in others}
    lines = [sentences(
        _("Each strategy against {reference} search, by Welch's t-test over search seeds, the p-values Holm-adjusted over "
          "the {n} comparisons of each figure:").format(reference=named(reference), n=len(others))
        if not any(s in SEED_FREE for s in others) else
        _("Each strategy against {reference} search, the p-values Holm-adjusted over the {n} comparisons of each figure: by "
          "Welch's t-test over search seeds, and for {fixed}, which draw on no seed (one search each), by a one-sample "
          "t-test of {reference}'s searches against its figure:").format(
            reference=named(reference), n=len(others), fixed=_(", ").join(named(s) for s in others if s in SEED_FREE))), ""]
    rows = []
    adjusted_found = adjust([c.p_value if c else None for c in found.values()], "Holm")
    adjusted_tested = adjust([c.p_value if c else None for c in tested.values()], "Holm")
    for s, p_found, p_tested in zip(others, adjusted_found, adjusted_tested):
        rows.append([named(s), _difference(found[s], p_found, 4), _verdict(found[s], p_found, better_low=rule.mode == "min"),
                     _difference(tested[s], p_tested, 4), _verdict(tested[s], p_tested, better_low=False)])
    lines += markdown_table([_("strategy"), _("best {metric} found, minus {reference}'s (95% CI; adjusted p)").format(
                                 metric=metric, reference=named(reference)), _("verdict"),
                             _("its choice's test accuracy, minus {reference}'s").format(reference=named(reference)), _("verdict")],
                            rows)
    if "lipo" in others:
        k = others.index("lipo")
        lines += ["", sentences(_("**Does LIPO beat random search here?**"),
                                _answer(found["lipo"], adjusted_found[k], tested["lipo"], adjusted_tested[k], metric, rule,
                                        named(reference)))]
    return lines + [""]


def _difference(c, p, digits: int) -> str:
    if c is None:
        return "—"
    difference = f"{c.difference:+.{digits}f}"
    if c.low is None:
        return _("{difference} (one search a side: no interval)").format(difference=difference)
    low, high = f"{c.low:+.{digits}f}", f"{c.high:+.{digits}f}"
    if p is None:
        return _("{difference} ({low} to {high})").format(difference=difference, low=low, high=high)
    return _("{difference} ({low} to {high}; p {p})").format(difference=difference, low=low, high=high, p=p_is(p))


def _verdict(c, p, better_low: bool) -> str:
    if c is None or c.low is None:
        return _("too few searches to tell")
    if p is None:
        return _("identical on every search seed") if not c.difference else _("the same difference on every search seed")
    if p >= ALPHA:
        return _("within search-seed noise")
    good = (c.difference < 0) == better_low
    return _("better beyond search-seed noise") if good else _("worse beyond search-seed noise")


def _answer(found, p_found, tested, p_tested, metric, rule, reference) -> str:
    if found is None or found.low is None:
        return _("Too few searches a side to tell.")
    beyond = p_found is not None and p_found < ALPHA
    parts = [_(VALIDATION_ANSWER[rule.mode == "min", beyond]).format(
        metric=metric, difference=f"{found.difference:+.4f}", reference=reference, low=f"{found.low:+.4f}", high=f"{found.high:+.4f}")]
    if tested is not None and tested.low is not None:
        parts.append((_("the test accuracy of what it chose is {difference} against {reference}'s (95% CI {low} to {high}), "
                        "beyond search-seed noise") if p_tested is not None and p_tested < ALPHA else
                      _("the test accuracy of what it chose is {difference} against {reference}'s (95% CI {low} to {high}), "
                        "within search-seed noise")).format(
            difference=f"{tested.difference:+.4f}", reference=reference, low=f"{tested.low:+.4f}", high=f"{tested.high:+.4f}"))
    wins = p_found is not None and p_found < ALPHA and (found.difference < 0) == (rule.mode == "min")
    verdict = (_("Yes, on this space and budget: LIPO finds better settings than random search beyond search-seed noise.")
               if wins else _("Not shown here: with these search seeds LIPO cannot be told from random search, which does "
                              "not mean the two are equal (a few searches a side detect only large differences)."))
    return sentences(_("; ").join(parts) + _("."), verdict)


# The answer's reading of the validation figure, by (lower is better, beyond search-seed noise).
VALIDATION_ANSWER = {
    (True, True): N_("On the validation split, LIPO's best {metric} after the budget is {difference} against {reference}'s "
                     "(95% CI {low} to {high}; lower is better), beyond search-seed noise"),
    (True, False): N_("On the validation split, LIPO's best {metric} after the budget is {difference} against {reference}'s "
                      "(95% CI {low} to {high}; lower is better), within search-seed noise"),
    (False, True): N_("On the validation split, LIPO's best {metric} after the budget is {difference} against {reference}'s "
                      "(95% CI {low} to {high}; higher is better), beyond search-seed noise"),
    (False, False): N_("On the validation split, LIPO's best {metric} after the budget is {difference} against {reference}'s "
                       "(95% CI {low} to {high}; higher is better), within search-seed noise"),
}


def _choices(study: StudyResults, data: dict) -> list[str]:
    keys = list(data["space"])
    by_variant: dict[str, list[str]] = {}
    for search in data["searches"]:
        by_variant.setdefault(search["best"]["variant"], []).append(search["label"])
    params = {x["best"]["variant"]: x["best"]["params"] for x in data["searches"]}
    rows = []
    for name, labels in by_variant.items():
        variant = study.variant(name) if name in [v.name for v in study.variants] else None
        rows.append([f"`{name}`", _(", ").join(labels), *(_value(params[name].get(k)) for k in keys),
                     _("{accuracy} (n={n})").format(accuracy=fmt(*variant.mean_sd("test_accuracy")), n=variant.n) if variant else "—"])
    base = study.variant(study.baseline) if study.baseline in [v.name for v in study.variants] else None
    lines = [_("What each search chose, retrained from scratch over the study's seeds and tested once:"), ""]
    lines += markdown_table([_("variant"), _("chosen by"), *grid_labels(keys), _("test accuracy")], rows)
    if base:
        lines += ["", _("The config as written ({baseline}): test accuracy {accuracy} (n={n}).").format(
            baseline=study.baseline, accuracy=fmt(*base.mean_sd("test_accuracy")), n=base.n)]
    return lines + [""]


def _finding(by_strategy, curves, tests, reference, rule) -> str:
    means = {s: statistics.fmean(v) for s, v in ((s, [c[-1] for c in cs if c and c[-1] is not None]) for s, cs in curves.items()) if v}
    if not means:
        return _("no search finished a trial.")
    leader = rule.best(list(means), key=lambda s: means[s])
    return _("after the budget, {leader} search has the best mean validation figure ({mean}, over {n} search seeds); the table "
             "and the comparisons with {reference} search below say which differences exceed search-seed noise.").format(
        leader=named(leader), mean=f"{means[leader]:.4f}", n=len(curves[leader]), reference=named(reference))


def _value(value) -> str:
    return f"{value:.3g}" if isinstance(value, float) else str(value)
