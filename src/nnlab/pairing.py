"""How two variants are compared over seeds, in one place: paired where the seeds pair the runs (the
same initial weights, data order and split for both), else Welch's two-sample test; and the spread of
the pairs that decides what difference the seeds can detect."""

from __future__ import annotations

import math

from .report_data import StudyResults, VariantStats
from .stats import (
    Comparison,
    compare,
    mean_sd,
)

# What makes two variants' runs of one seed start alike: with these equal, the seed gives both the
# same initial weights and the same data order and validation split, so the seeds pair the runs. Of
# the dataset, what decides its rows and the input's width; not how pixels are scaled, which moves no
# weight, order or split. Read from Run.settings, where every default is spelled out.
PAIRING_KEYS = (("dataset", "name"), ("dataset", "num_words"), ("dataset", "sample"), ("dataset", "subset"),
                ("validation",), ("model", "hidden_layers"), ("model", "units"),
                ("model", "kernel_initializer"), ("model", "bias_initializer"), ("model", "kernel_init_range"))


def paired(study: StudyResults, a: VariantStats, b: VariantStats) -> bool:
    """Whether the seeds pair these two variants' runs (PAIRING_KEYS equal, two or more common seeds)."""
    def settings(v: VariantStats) -> list:
        config = v.runs[0].settings  # defaults spelled out: a run made before a key existed compares as its default
        return [_dig(config, path) for path in PAIRING_KEYS]
    return settings(a) == settings(b) and len(set(by_seed(a)) & set(by_seed(b))) >= 2


def _dig(config: dict, path: tuple[str, ...]):
    for key in path:
        config = (config or {}).get(key) if isinstance(config, dict) else None
    return config


def by_seed(v: VariantStats, key: str = "test_accuracy") -> dict[int, float]:
    return {r.metrics["seed"]: float(r.metrics[key]) for r in v.runs if r.ok and r.metrics.get(key) is not None}


def compare_by_seed(x: dict[int, float], y: dict[int, float], pair: bool) -> Comparison:
    """x against y, each {seed: value}: the paired t-test over their common seeds where `pair` (the seeds
    pair the runs: `paired`) and two or more seeds are common, else Welch's over all of each. The one
    place the report makes this choice, for test accuracy, the curve measures, the claims and the
    full-epochs figures alike.

        >>> compare_by_seed({0: 0.80, 1: 0.82, 2: 0.81}, {0: 0.79, 1: 0.80, 2: 0.80}, pair=True).paired
        True
        >>> compare_by_seed({0: 0.80, 1: 0.82}, {2: 0.79, 3: 0.80}, pair=True).paired  # no common seeds
        False
    """
    common = sorted(set(x) & set(y))
    if pair and len(common) >= 2:
        return compare([x[s] for s in common], [y[s] for s in common], paired=True)
    return compare(list(x.values()), list(y.values()))


def compare_variants(study: StudyResults, a: VariantStats, b: VariantStats, key: str) -> Comparison:
    return compare_by_seed(by_seed(a, key), by_seed(b, key), paired(study, a, b))


def pair_spread(study: StudyResults, a: VariantStats, b: VariantStats) -> tuple[float | None, int, bool]:
    """The seed-to-seed standard deviation a test of this pair works with, its seeds, and whether paired."""
    if paired(study, a, b):
        x, y = by_seed(a), by_seed(b)
        differences = [x[s] - y[s] for s in sorted(set(x) & set(y))]
        return mean_sd(differences)[1], len(differences), True
    sds = [v.mean_sd("test_accuracy")[1] for v in (a, b)]
    if None in sds:
        return None, min(a.n, b.n), False
    return math.sqrt((sds[0] ** 2 + sds[1] ** 2) / 2), min(a.n, b.n), False
