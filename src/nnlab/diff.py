"""`nnlab diff A B`: the same studies in two results folders (after a version, a machine or a
setting changed), variant by variant: the test figures side by side, the difference, and whether it
is within seed noise (Welch's t-test over seeds, as the report's comparisons)."""

from __future__ import annotations

from pathlib import Path

from .errors import NnlabError
from .report_data import StudyResults, VariantStats, collect
from .report_parts import fmt
from .stats import compare

METRIC = "test_accuracy"


def diff_lines(root_a: Path, root_b: Path) -> list[str]:
    studies = {}
    for side, root in (("a", root_a), ("b", root_b)):
        if not Path(root).is_dir():
            raise NnlabError(f"{root} is not a results folder")
        studies[side] = {s.name: s for s in collect(root)}
    rows, only = [], []
    for name in sorted(set(studies["a"]) | set(studies["b"])):
        a, b = studies["a"].get(name), studies["b"].get(name)
        if a is None or b is None:
            only.append(f"{name} (only in {root_a if a else root_b})")
            continue
        rows += _study_rows(a, b, only)
    if not rows:
        raise NnlabError(f"{root_a} and {root_b} share no finished variant with a {METRIC.replace('_', ' ')} to compare")
    width = max(len(r[0]) for r in rows)
    header = (f"{'study/variant':<{width}}  {'A: test accuracy (n)':<24}  {'B: test accuracy (n)':<24}  {'B - A':>8}  "
              f"{'95% CI of B - A':<19}  verdict")
    lines = [f"A = {root_a}", f"B = {root_b}", "", header]
    lines += [f"{r[0]:<{width}}  {r[1]:<24}  {r[2]:<24}  {r[3]:>8}  {r[4]:<19}  {r[5]}" for r in rows]
    if only:
        lines += ["", "Not compared: " + "; ".join(only) + "."]
    return lines


def _study_rows(a: StudyResults, b: StudyResults, only: list[str]) -> list[list[str]]:
    rows = []
    names_b = {v.name: v for v in b.variants}
    for variant in a.variants:
        other = names_b.get(variant.name)
        if other is None:
            only.append(f"{a.name}/{variant.name} (only in A)")
            continue
        if variant.values(METRIC) and other.values(METRIC):
            rows.append([f"{a.name}/{variant.name}", _side(variant), _side(other), *_verdict(variant, other)])
    only += [f"{b.name}/{n} (only in B)" for n in names_b if n not in {v.name for v in a.variants}]
    return rows


def _side(variant: VariantStats) -> str:
    return f"{fmt(*variant.mean_sd(METRIC))} ({len(variant.values(METRIC))})"


def _by_seed(variant: VariantStats) -> dict[int, float]:
    return {r.metrics["seed"]: r.metrics[METRIC] for r in variant.runs if r.ok and r.metrics.get(METRIC) is not None}


def _verdict(a: VariantStats, b: VariantStats) -> tuple[str, str, str]:
    if _by_seed(a) == _by_seed(b):  # the usual outcome of the same config, seeds and versions
        return "+0.0000", "—", "identical, seed for seed"
    c = compare(b.values(METRIC), a.values(METRIC))
    if c.low is None:
        return f"{c.difference:+.4f}", "—", "one seed on a side: no estimate of seed noise"
    if c.p_value is None:
        return f"{c.difference:+.4f}", "—", "identical on every seed" if not c.difference else "every seed differs by exactly this"
    verdict = "beyond seed noise" if c.distinguishable else "within seed noise"
    return f"{c.difference:+.4f}", f"{c.low:+.4f} to {c.high:+.4f}", f"{verdict} (p = {c.p_value:.3f})"
