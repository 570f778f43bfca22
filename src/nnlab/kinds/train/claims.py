"""Figures from elsewhere (a config's `references`: a student's hand-run notebook, a book) set beside
what the seeds measured, each with a verdict:

    a number or range   one run's figure (runs: 1) holds if it overlaps where one more run lands 95% of
                        the time (the prediction interval over the seeds); a mean's (runs > 1), if it
                        overlaps the 95% interval of the measured mean
    higher/lower/same   against the baseline: test accuracy by the report's own verdict (adjusted over the
                        study); the others by their own 95% interval, paired where the seeds pair the runs
    overfitting         more/less/same: how far validation loss climbs after its lowest, against the baseline

    checks(study, analysis)   one Check per stated figure
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ...conclusions import Analysis, corrected_away
from ...i18n import N_, _
from ...pairing import compare_by_seed, paired
from ...report_data import StudyResults, VariantStats
from ...stats import mean_interval, mean_sd, prediction_interval
from .schema import DIRECTIONS, FIGURES
from .why import diagnoses, differences

NAMES = {"best_epoch": N_("best epoch"), "lowest_epoch": N_("lowest validation loss at epoch"),
         "best_val_accuracy": N_("validation accuracy at the best epoch"), "test_accuracy": N_("test accuracy"),
         "seconds_per_epoch": N_("seconds per epoch"),
         "overfitting": N_("overfitting (validation loss rise per epoch after its lowest)")}
HOLDS, FAILS, UNSUPPORTED, CONTRADICTED, UNCHECKED = (N_("holds"), N_("does not hold"), N_("not supported"), N_("contradicted"),
                                                      N_("not checked"))
CONSISTENT = N_("not contradicted (no difference beyond seed noise, which does not show them equal)")
SHORT_VERDICTS = (N_("not contradicted"),)  # CONSISTENT's words before its bracket, in a table cell
SHORT_DIRECTIONS = {"higher": N_("higher"), "lower": N_("lower"), "more": N_("more"), "less": N_("less"),
                    "same": N_("the same as the baseline")}


@dataclass(frozen=True)
class Check:
    variant: str
    source: str
    said: str
    figure: str  # a key of NAMES
    stated: str
    measured: str
    interval: str
    verdict: str  # HOLDS, FAILS, UNSUPPORTED, CONTRADICTED or UNCHECKED
    why: str


def checks(study: StudyResults, analysis: Analysis) -> list[Check]:
    out = []
    names = [v.name for v in study.variants]
    for reference in study.references:
        name, source, said = reference.get("variant"), reference.get("source", ""), reference.get("said", "")
        stated = [(k, reference[k]) for k in (*FIGURES, "overfitting") if reference.get(k) is not None]
        if name not in names:
            out.append(Check(str(name), source, said, "—", "—", "—", "—", UNCHECKED, _("no such variant among these results")))
            continue
        variant = study.variant(name)
        if not stated:
            out.append(Check(name, source, said, "—", "—", "—", "—", UNCHECKED, _("it states no figure nnlab measures")))
        for figure, value in stated:
            out.append(_check(study, analysis, variant, figure, value, int(reference.get("runs", 1)), source, said))
    return out


STATED_DIRECTIONS = {"higher": N_("higher than the baseline"), "lower": N_("lower than the baseline"),
                     "more": N_("more than the baseline"), "less": N_("less than the baseline"),
                     "same": N_("the same as the baseline")}


def stated_short(check: Check) -> str:
    """What a source stated, in a table cell: a figure as given, a direction in a word."""
    for value, words in STATED_DIRECTIONS.items():
        if check.stated == _(words):
            return _(SHORT_DIRECTIONS[value])
    return check.stated


def _values(variant: VariantStats, figure: str) -> dict[int, float]:
    if figure == "lowest_epoch":
        return {s: float(d.lowest_epoch) for s, d in diagnoses(variant).items() if d.lowest_epoch is not None}
    if figure == "overfitting":  # the why sentences' measure, so the two never disagree
        return {s: d.rise_per_epoch for s, d in diagnoses(variant).items()
                if d.rise_per_epoch is not None and math.isfinite(d.rise_per_epoch)}
    return {r.metrics["seed"]: float(r.metrics[figure]) for r in variant.runs if r.ok and r.metrics.get(figure) is not None}


def _digits(figure: str) -> int:
    return 1 if figure in ("best_epoch", "lowest_epoch") else 2 if figure == "seconds_per_epoch" else 4


def _check(study: StudyResults, analysis: Analysis, variant: VariantStats, figure: str, value, runs: int,
           source: str, said: str) -> Check:
    values = _values(variant, figure)
    mean, sd = mean_sd(list(values.values()))
    digits = _digits(figure)
    seeds = _("{low} to {high}").format(low=f"{min(values.values()):.{_seed_digits(figure)}f}",
                                        high=f"{max(values.values()):.{_seed_digits(figure)}f}") if values else ""
    measured = "—" if mean is None else (
        f"{mean:.{digits}f}" + (f" ± {sd:.{digits}f}" if sd is not None else "") +
        (_(" (seeds {seeds}, n={n})").format(seeds=seeds, n=len(values)) if len(values) > 1 else _(" (one seed)")))
    row = dict(variant=variant.name, source=source, said=said, figure=figure, measured=measured)
    if value in DIRECTIONS or figure == "overfitting":
        return _direction(study, analysis, variant, figure, value, values, row)
    low, high, decimals = _stated_range(value, figure)
    stated = f"≈ {value:.{decimals}f}" if not isinstance(value, list) else f"{value[0]}–{value[1]}"
    one_run = runs == 1
    interval = (prediction_interval if one_run else mean_interval)(list(values.values()))
    if interval is None:
        return Check(**row, stated=stated, interval="—", verdict=UNCHECKED,
                     why=_("fewer than two seeds: no interval to set the figure against"))
    if interval[0] == interval[1]:
        return Check(**row, stated=stated, interval="—", verdict=UNCHECKED,
                     why=_("every seed gave {value}: identical seeds give no estimate of where another run lands").format(
                         value=f"{interval[0]:.{digits}f}"))
    if figure in ("best_epoch", "lowest_epoch"):  # no run chooses an epoch before the first or after the last
        last = max(r.config.get("epochs") or 0 for r in variant.runs) or interval[1]
        interval = (max(interval[0], 1.0), min(interval[1], float(last)))
    span = _("{low} to {high}").format(low=f"{interval[0]:.{digits}f}", high=f"{interval[1]:.{digits}f}")
    overlaps = low <= interval[1] and high >= interval[0]
    why = {(True, True): N_("one more run lands within {span} with 95% confidence, which the stated figure overlaps"),
           (True, False): N_("one more run lands within {span} with 95% confidence, which the stated figure misses"),
           (False, True): N_("the mean lies within {span} with 95% confidence, which the stated figure overlaps"),
           (False, False): N_("the mean lies within {span} with 95% confidence, which the stated figure misses")}[one_run, overlaps]
    return Check(**row, stated=stated, interval=(_("{span} (one run, 95%)") if one_run else _("{span} (the mean, 95%)")).format(span=span),
                 verdict=HOLDS if overlaps else FAILS, why=_(why).format(span=span))


def _seed_digits(figure: str) -> int:
    return 0 if figure in ("best_epoch", "lowest_epoch") else 2 if figure == "seconds_per_epoch" else 4


def _stated_range(value, figure: str) -> tuple[float, float, int]:
    """(low, high, decimals): a number as rounded (15: 14.5 to 15.5; 0.81: 0.805 to 0.815), an accuracy
    to two decimals at least (YAML reads a student's "0.80" as 0.8, which means 0.795 to 0.805, not
    0.75 to 0.85); a range as given."""
    if isinstance(value, list):
        return float(value[0]), float(value[1]), 0
    text = repr(value)
    decimals = len(text.split(".")[1]) if "." in text and "e" not in text else 0
    if figure.endswith("accuracy"):
        decimals = max(decimals, 2)
    half = 0.5 * 10 ** -decimals
    return value - half, value + half, decimals


def _direction(study: StudyResults, analysis: Analysis, variant: VariantStats, figure: str, value: str,
               values: dict[int, float], row: dict) -> Check:
    stated = _(STATED_DIRECTIONS[value])
    base = study.variant(study.baseline)
    if variant.name == base.name:
        return Check(**row, stated=stated, interval="—", verdict=UNCHECKED, why=_("it is the baseline itself"))
    if figure == "test_accuracy":
        verdict = analysis.verdicts.get(variant.name)
        if verdict is None or verdict.comparison.low is None:
            return Check(**row, stated=stated, interval="—", verdict=UNCHECKED, why=_("too few seeds to compare"))
        c = verdict.comparison
        beyond = verdict.beyond_noise or (c.p_value is None and c.difference != 0)
        interval = _("{low} to {high} (difference, 95%)").format(low=f"{c.low:+.4f}", high=f"{c.high:+.4f}")
        detail = ((_("the report's verdict: beyond seed noise, difference {difference}") if beyond else
                   _("the report's verdict: within seed noise, difference {difference}")).format(difference=f"{c.difference:+.4f}")
                  + (_(", adjusted p = {p}").format(p=f"{verdict.adjusted_p:.3g}") if verdict.adjusted_p is not None else "")
                  + (corrected_away(verdict, analysis) if not beyond else ""))
        return Check(**row, stated=stated, interval=interval, verdict=_direction_verdict(value, beyond, c.difference), why=detail)
    if figure == "overfitting":  # the very comparison the why sentence makes: Holm-adjusted over its measures
        d = next((d for d in differences(study, variant, base) if d.measure.key == "rise_per_epoch"), None)
        if d is None or d.comparison.low is None:
            return Check(**row, stated=stated, interval="—", verdict=UNCHECKED, why=_("too few seeds to compare"))
        c, beyond = d.comparison, d.beyond_noise
        detail = ((_("against the baseline's {base} per epoch: difference {difference}, beyond seed noise (as the why sentence "
                     "reads it: Holm-adjusted over its measures{p})") if beyond else
                   _("against the baseline's {base} per epoch: difference {difference}, within seed noise (as the why sentence "
                     "reads it: Holm-adjusted over its measures{p})")).format(
            base=f"{d.baseline:.4f}", difference=f"{c.difference:+.4f}",
            p=_(", adjusted p = {p}").format(p=f"{d.adjusted_p:.2g}") if d.adjusted_p is not None else ""))
        return Check(**row, stated=stated, interval=_("{low} to {high} (difference, 95%, unadjusted)").format(
                         low=f"{c.low:+.4f}", high=f"{c.high:+.4f}"),
                     verdict=_direction_verdict(value, beyond, c.difference), why=detail)
    theirs = _values(base, figure)
    if len(values) < 2 or len(theirs) < 2:
        return Check(**row, stated=stated, interval="—", verdict=UNCHECKED, why=_("too few seeds to compare"))
    c = compare_by_seed(values, theirs, paired(study, variant, base))
    beyond = bool(c.distinguishable) if c.p_value is not None else c.difference != 0
    digits = _digits(figure)
    words = {(True, True): N_("against the baseline's {base}: difference {difference}, beyond seed noise (paired, unadjusted)"),
             (True, False): N_("against the baseline's {base}: difference {difference}, beyond seed noise (Welch, unadjusted)"),
             (False, True): N_("against the baseline's {base}: difference {difference}, within seed noise (paired, unadjusted)"),
             (False, False): N_("against the baseline's {base}: difference {difference}, within seed noise (Welch, unadjusted)")}
    detail = _(words[beyond, bool(c.paired)]).format(base=f"{mean_sd(list(theirs.values()))[0]:.{digits}f}",
                                                     difference=f"{c.difference:+.{digits}f}")
    return Check(**row, stated=stated, interval=_("{low} to {high} (difference, 95%)").format(
                     low=f"{c.low:+.{digits}f}", high=f"{c.high:+.{digits}f}"),
                 verdict=_direction_verdict(value, beyond, c.difference), why=detail)


def _direction_verdict(value: str, beyond: bool, difference: float) -> str:
    up = difference > 0
    if value == "same":  # within noise is not "equal": the seeds may miss a real difference
        return CONSISTENT if not beyond else CONTRADICTED
    wanted_up = value in ("higher", "more")
    if not beyond:
        return UNSUPPORTED
    return HOLDS if up == wanted_up else CONTRADICTED
