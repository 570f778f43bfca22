"""Is a variant's test accuracy different from the baseline's by more than seed noise, and how large a
difference could the seeds have shown?

    compare(variant, baseline, paired)   difference, 95% CI and p-value over seeds: Welch's t-test, or
                                         the paired t-test where the seeds pair the runs (same initial
                                         weights and data order on both sides)
    adjust(p_values)                     p-values corrected for the study's many comparisons: Holm for a
                                         few, Benjamini-Hochberg for many
    detectable_difference(sd, n, paired) the smallest difference the design finds with 80% power
    undetectable_reason(sd, n)           in words, why it cannot be stated (2 seeds, no spread, ...)
    mean_interval(values)                a mean's 95% t-interval (the book's figure against ours)
    prediction_interval(values)          where one more run lands (a single run's figure against ours)

Distributions come from scipy (imported when a comparison is made: it is slow to load).
"""

from __future__ import annotations

import math
import statistics
import warnings
from dataclasses import dataclass

from .i18n import _

ALPHA = 0.05  # every verdict's significance level, after the correction for many comparisons
POWER = 0.80  # the conventional power at which the detectable difference is quoted
HOLM_UP_TO = 5  # comparisons per study; above, Benjamini-Hochberg (see adjust)
TEST_NAMES = {False: "Welch's two-sample t-test over seeds", True: "paired t-test over seeds"}


@dataclass(frozen=True)
class Comparison:
    difference: float  # variant mean minus baseline mean
    low: float | None  # 95% confidence interval of the difference; None when it cannot be estimated
    high: float | None
    p_value: float | None
    paired: bool = False

    @property
    def distinguishable(self) -> bool | None:
        """By the raw interval; verdicts in the report use the adjusted p-value instead."""
        if self.low is None:
            return None
        return self.low > 0 or self.high < 0


def mean_sd(values: list[float]) -> tuple[float | None, float | None]:
    if not values:
        return None, None
    return statistics.fmean(values), (statistics.stdev(values) if len(values) > 1 else None)


def compare(variant: list[float], baseline: list[float], paired: bool = False, confidence: float = 0.95) -> Comparison:
    """Difference of means with its t confidence interval. Paired: the two lists are aligned seed by
    seed, and the test is on the per-seed differences; else Welch's (unequal variances, small n)."""
    difference = statistics.fmean(variant) - statistics.fmean(baseline)
    paired = paired and len(variant) == len(baseline)
    if len(variant) < 2 or len(baseline) < 2:
        return Comparison(difference, None, None, None, paired)
    spread = statistics.pstdev([a - b for a, b in zip(variant, baseline)]) if paired else max(
        statistics.pstdev(variant), statistics.pstdev(baseline))
    scale = max(1.0, *(abs(v) for v in variant + baseline))
    if spread <= 1e-12 * scale:
        # No seed noise in what the test looks at (or only float rounding, where scipy's moments lose
        # all precision and warn): the difference is exact.
        return Comparison(difference, difference, difference, None, paired)
    from scipy import stats as scipy_stats

    with warnings.catch_warnings():
        # One side whose seeds all agree (a curve's lowest epoch, say) leaves Welch's test the other side's
        # spread alone, which is sound; scipy still warns of "catastrophic cancellation" on that side.
        warnings.filterwarnings("ignore", message="Precision loss occurred in moment calculation")
        result = (scipy_stats.ttest_rel(variant, baseline) if paired
                  else scipy_stats.ttest_ind(variant, baseline, equal_var=False))
    interval = result.confidence_interval(confidence)
    if not (math.isfinite(interval.low) and math.isfinite(interval.high)):
        return Comparison(difference, None, None, None, paired)
    return Comparison(difference, float(interval.low), float(interval.high), float(result.pvalue), paired)


def correction(comparisons: int) -> str:
    """Which correction a study of this many comparisons gets (the report's How to read this report says why)."""
    if comparisons <= HOLM_UP_TO:
        return "Holm"
    return "Benjamini-Hochberg"


def adjust(p_values: list[float | None], method: str | None = None) -> list[float | None]:
    """The p-values corrected for being one family (a study's comparisons with its baseline); None
    (no test possible) stays None and does not count as a comparison."""
    known = [(i, p) for i, p in enumerate(p_values) if p is not None]
    out: list[float | None] = [None] * len(p_values)
    if not known:
        return out
    method = method or correction(len(known))
    values = [p for _, p in known]
    if method == "Holm":
        adjusted = holm(values)
    else:
        from scipy import stats as scipy_stats

        adjusted = [float(p) for p in scipy_stats.false_discovery_control(values, method="bh")]
    for (i, _value), p in zip(known, adjusted):
        out[i] = p
    return out


def holm(p_values: list[float]) -> list[float]:
    """Holm (1979): the k-th smallest of m p-values times (m - k + 1), kept non-decreasing, at most 1."""
    m = len(p_values)
    order = sorted(range(m), key=p_values.__getitem__)
    adjusted, running = [0.0] * m, 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p_values[i]))
        adjusted[i] = running
    return adjusted


def power(difference: float, sd: float, n: int, paired: bool = False, alpha: float = ALPHA) -> float:
    """The chance a two-sided t-test at `alpha` finds a true `difference`, with `n` seeds a side and
    seed-to-seed standard deviation `sd` (of each variant's figure; paired: of the per-seed differences)."""
    from scipy import stats as scipy_stats

    df = n - 1 if paired else 2 * (n - 1)
    standard_error = sd / math.sqrt(n) if paired else sd * math.sqrt(2 / n)
    shift = difference / standard_error
    critical = scipy_stats.t.ppf(1 - alpha / 2, df)
    return float(scipy_stats.nct.sf(critical, df, shift) + scipy_stats.nct.cdf(-critical, df, shift))


# Below 3 seeds a side the spread is estimated from one degree of freedom (two seeds): a power figure
# built on it says nothing, and scipy's noncentral t with 1 degree of freedom (paired, 2 seeds) returns
# NaN where the search for the detectable difference needs a number.
MIN_SEEDS_FOR_POWER = 3


def detectable_difference(sd: float | None, n: int, paired: bool = False, alpha: float = ALPHA,
                          wanted: float = POWER) -> float | None:
    """The smallest true difference found with `wanted` power; None where it cannot be stated
    (`undetectable_reason` says why in words)."""
    if undetectable_reason(sd, n) is not None:
        return None
    from scipy import optimize

    def shortfall(difference: float) -> float:
        return power(difference, sd, n, paired, alpha) - wanted

    high = sd
    for _attempt in range(64):  # power rises to 1 with the difference; 2**64 spreads is past any figure
        if not math.isfinite(shortfall(high)):
            return None
        if shortfall(high) >= 0:
            break
        high *= 2
    else:
        return None
    if not math.isfinite(shortfall(0.0)):
        return None
    return float(optimize.brentq(shortfall, 0.0, high, xtol=sd * 1e-6))


def undetectable_reason(sd: float | None, n: int) -> str | None:
    """Why no detectable difference can be stated for a design of `n` seeds and spread `sd`, in words
    the report prints; None where it can be."""
    if n < 2:
        return _("one seed: no estimate of seed noise")
    if n < MIN_SEEDS_FOR_POWER:
        return _("{n} seeds: too few to state a detectable difference").format(n=n)
    if sd is None or not math.isfinite(sd):
        return _("no estimate of seed noise")
    if sd == 0:
        return _("no spread between seeds: every seed gave the same figure")
    return None


def p_text(p: float) -> str:
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def p_is(p: float) -> str:
    """A p-value after its "p": "p = 0.044" reads, "p = < 0.001" does not.

        >>> f"p {p_is(0.0441)}", f"p {p_is(1e-9)}"
        ('p = 0.044', 'p < 0.001')
    """
    return p_text(p) if p < 0.001 else f"= {p_text(p)}"


def mean_interval(values: list[float], confidence: float = 0.95) -> tuple[float, float] | None:
    """The mean's t confidence interval over seeds (None below two values; the mean itself when they agree)."""
    if len(values) < 2:
        return None
    mean, sd = statistics.fmean(values), statistics.stdev(values)
    if sd == 0:
        return mean, mean
    from scipy import stats as scipy_stats

    half = float(scipy_stats.t.ppf(0.5 + confidence / 2, len(values) - 1)) * sd / math.sqrt(len(values))
    return mean - half, mean + half


def prediction_interval(values: list[float], confidence: float = 0.95) -> tuple[float, float] | None:
    """Where one more run lands with this confidence, from these seeds' runs (normal, t-based: mean ±
    t·sd·√(1 + 1/n)); what a single run's figure from elsewhere is checked against. None below two values."""
    if len(values) < 2:
        return None
    mean, sd = statistics.fmean(values), statistics.stdev(values)
    if sd == 0:
        return mean, mean
    from scipy import stats as scipy_stats

    half = float(scipy_stats.t.ppf(0.5 + confidence / 2, len(values) - 1)) * sd * math.sqrt(1 + 1 / len(values))
    return mean - half, mean + half
