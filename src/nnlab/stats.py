"""Is a variant's test accuracy different from the baseline's by more than seed noise?"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass

TEST_NAME = "Welch's two-sample t-test over seeds"


@dataclass(frozen=True)
class Comparison:
    difference: float  # variant mean minus baseline mean
    low: float | None  # 95% confidence interval of the difference; None when it cannot be estimated
    high: float | None
    p_value: float | None

    @property
    def distinguishable(self) -> bool | None:
        if self.low is None:
            return None
        return self.low > 0 or self.high < 0


def mean_sd(values: list[float]) -> tuple[float | None, float | None]:
    if not values:
        return None, None
    return statistics.fmean(values), (statistics.stdev(values) if len(values) > 1 else None)


def compare(variant: list[float], baseline: list[float], confidence: float = 0.95) -> Comparison:
    """Difference of means with a Welch t confidence interval (unequal variances, small n)."""
    difference = statistics.fmean(variant) - statistics.fmean(baseline)
    if len(variant) < 2 or len(baseline) < 2:
        return Comparison(difference, None, None, None)
    if statistics.pstdev(variant) == statistics.pstdev(baseline) == 0:
        # Every seed gave the same number on both sides: there is no seed noise, the difference is exact.
        return Comparison(difference, difference, difference, None)
    from scipy import stats as scipy_stats  # imported when a comparison is made: scipy is slow to load

    result = scipy_stats.ttest_ind(variant, baseline, equal_var=False)
    interval = result.confidence_interval(confidence)
    if not (math.isfinite(interval.low) and math.isfinite(interval.high)):
        return Comparison(difference, None, None, None)
    return Comparison(difference, float(interval.low), float(interval.high), float(result.pvalue))
