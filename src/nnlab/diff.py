"""`nnlab diff A B`: the same studies in two results folders (after a version, a machine or a
setting changed), variant by variant: the test figures side by side, the difference, and whether it
is within seed noise (Welch's t-test over seeds, as the report's comparisons); then, seed for seed,
whether B reproduces A.

A side may be a fresh results folder (run folders) or the committed report, which keeps per study
only summary.csv (one row per variant and seed, the columns of results.SUMMARY_FIELDS): a study
without run folders is read from its summary.csv. summary.csv writes each test accuracy as Python
writes the float (the shortest text that reads back as the same number), as metrics.json does, so
"the same test accuracy" is equality of the stored numbers, not of rounded ones.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

from .errors import NnlabError
from .report_data import Run, StudyResults, VariantStats, collect
from .report_parts import ASSETS, fmt
from .stats import compare

METRIC = "test_accuracy"
SUMMARY = "summary.csv"
NEEDED = ("variant", "seed", "status", METRIC)  # the columns of results.SUMMARY_FIELDS diff reads


def diff_lines(root_a: Path, root_b: Path) -> list[str]:
    studies, sources, unreadable = {}, {}, []
    for side, root in (("a", root_a), ("b", root_b)):
        if not Path(root).is_dir():
            raise NnlabError(f"{root} is not a results folder")
        studies[side], from_summary, unread = read_side(root)
        sources[side] = _source(root, studies[side], from_summary)
        unreadable += [f"{root}/{name}/{SUMMARY} ({why})" for name, why in unread.items()]
    rows, pairs, only = [], [], list(unreadable)
    for name in sorted(set(studies["a"]) & set(studies["b"])):
        rows += _study_rows(studies["a"][name], studies["b"][name], only, pairs)
    for side, other, root in (("a", "b", root_a), ("b", "a", root_b)):
        alone = sorted(set(studies[side]) - set(studies[other]))
        only += [f"{', '.join(alone)} (only in {root})"] if alone else []
    if not rows:
        hints = [_empty_hint(root) for root, side in ((root_a, "a"), (root_b, "b"))
                 if not studies[side] and not any(u.startswith(f"{root}/") for u in unreadable)]
        hints += [f"not readable: {u}" for u in unreadable]
        hint = f" ({'; '.join(hints)})" if hints else ""
        raise NnlabError(f"{root_a} and {root_b} share no finished variant with a {METRIC.replace('_', ' ')} to compare{hint}")
    width = max(len(r[0]) for r in rows)
    header = (f"{'study/variant':<{width}}  {'A: test accuracy (n)':<24}  {'B: test accuracy (n)':<24}  {'B - A':>8}  "
              f"{'95% CI of B - A':<19}  verdict")
    lines = [f"A: {root_a} ({sources['a']})", f"B: {root_b} ({sources['b']})", "", header]
    lines += [f"{r[0]:<{width}}  {r[1]:<24}  {r[2]:<24}  {r[3]:>8}  {r[4]:<19}  {r[5]}" for r in rows]
    if only:
        lines += ["", "Not compared: " + "; ".join(only) + "."]
    return lines + ["", reproduction_line(pairs, sources)]


def _empty_hint(root: Path) -> str:
    if (Path(root) / SUMMARY).is_file():
        return f"{root} is a study's folder: give the results folder above it"
    return f"{root} holds neither run folders nor {SUMMARY} files"


# --- reading a side ----------------------------------------------------------------------------

def read_side(root: Path) -> tuple[dict[str, StudyResults], list[str], dict[str, str]]:
    """The studies of one results folder: from their run folders where they have any, else from
    their summary.csv. Also the names read from summary.csv, and why a summary.csv could not be read."""
    studies = {s.name: s for s in collect(root)}
    from_summary, unread = [], {}
    for folder in sorted(p for p in Path(root).iterdir() if p.is_dir() and p.name != ASSETS):
        if folder.name in studies or not (folder / SUMMARY).is_file():
            continue
        try:
            study = read_summary(folder)
        except (OSError, UnicodeDecodeError, csv.Error, ValueError) as exc:
            unread[folder.name] = str(exc)
            continue
        if study is not None:  # None: a kind whose summary has no test accuracy
            studies[folder.name] = study
            from_summary.append(folder.name)
    return studies, from_summary, unread


def read_summary(folder: Path) -> StudyResults | None:
    """A study as its summary.csv records it (results.write_summary): a row per variant and seed, in
    the config's variant order. Each row becomes a run holding the row's fields as its metrics (no
    config, provenance or history: the committed report keeps none)."""
    with open(folder / SUMMARY, newline="") as f:
        reader = csv.DictReader(f)
        missing = [c for c in NEEDED if c not in (reader.fieldnames or [])]
        if METRIC in missing:
            return None
        if missing:
            raise ValueError(f"no {', '.join(missing)} column")
        rows = list(reader)
    study = StudyResults(folder.name, folder)
    for name in dict.fromkeys(r["variant"] for r in rows):
        runs = [Run(folder / SUMMARY, _metrics(r), {}, None, None) for r in rows if r["variant"] == name]
        study.variants.append(VariantStats(name, sorted(runs, key=lambda r: r.metrics["seed"])))
    return study


def _metrics(row: dict) -> dict:
    """A summary.csv row as metrics.json would hold it: numbers as numbers, an empty cell (a field a
    diverged run has none of) as None."""
    metrics = {}
    for key, text in row.items():
        if key is None:  # cells beyond the header's columns
            continue
        if key in ("variant", "status") or text is None:
            metrics[key] = text
        elif text == "":
            metrics[key] = None
        else:
            try:
                number = float(text)
            except ValueError:
                metrics[key] = text
                continue
            if key in ("seed", "test_examples"):
                metrics[key] = int(number) if number.is_integer() else None
            else:
                metrics[key] = number if math.isfinite(number) else None
    if not isinstance(metrics.get("seed"), int):
        raise ValueError(f"a row of variant {row.get('variant')} has no seed")
    return metrics


def _source(root: Path, studies: dict[str, StudyResults], from_summary: list[str]) -> str:
    if not from_summary:
        return "run folders"
    if len(from_summary) == len(studies):
        return f"committed summaries: {SUMMARY} per study"
    if 2 * len(from_summary) > len(studies):
        return f"committed summaries: {SUMMARY} per study; run folders for {', '.join(sorted(set(studies) - set(from_summary)))}"
    return f"run folders; {SUMMARY} for the studies without: {', '.join(from_summary)}"


# --- comparing ---------------------------------------------------------------------------------

def _study_rows(a: StudyResults, b: StudyResults, only: list[str], pairs: list) -> list[list[str]]:
    rows = []
    names_b = {v.name: v for v in b.variants}
    for variant in a.variants:
        other = names_b.get(variant.name)
        if other is None:
            only.append(f"{a.name}/{variant.name} (only in A)")
            continue
        if variant.values(METRIC) and other.values(METRIC):
            rows.append([f"{a.name}/{variant.name}", _side(variant), _side(other), *_verdict(variant, other)])
            seeds_a, seeds_b = _by_seed(variant), _by_seed(other)
            pairs += [(f"{a.name}/{variant.name} seed {s}", seeds_a[s], seeds_b[s], _examples(variant, other, s))
                      for s in sorted(set(seeds_a) & set(seeds_b))]
    only += [f"{b.name}/{n} (only in B)" for n in names_b if n not in {v.name for v in a.variants}]
    return rows


def _side(variant: VariantStats) -> str:
    return f"{fmt(*variant.mean_sd(METRIC))} ({len(variant.values(METRIC))})"


def _by_seed(variant: VariantStats) -> dict[int, float]:
    return {r.metrics["seed"]: r.metrics[METRIC] for r in variant.runs if r.ok and r.metrics.get(METRIC) is not None}


def _examples(a: VariantStats, b: VariantStats, seed: int) -> int | None:
    """How many test examples the seed's runs were tested on, where both sides record the same."""
    counts = {r.metrics.get("test_examples") for v in (a, b) for r in v.runs if r.metrics["seed"] == seed}
    return counts.pop() if len(counts) == 1 and None not in counts else None


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


def reproduction_line(pairs: list[tuple[str, float, float, int | None]], sources: dict[str, str]) -> str:
    """In words, seed for seed: on how many of the runs both sides hold (same study, variant and
    seed) B's test accuracy equals A's as stored, and the largest difference where it does not."""
    if not pairs:
        return "No run of B has the seed of a run of A in the same variant: nothing to compare seed for seed."
    n, same = len(pairs), sum(a == b for _, a, b, _ in pairs)
    runs = "the one shared run" if n == 1 else f"{n} shared runs"
    count = (f"reproduces A exactly on {'all ' if n > 1 else ''}{runs}" if same == n
             else f"reproduces A exactly on {same} of {runs}" if same
             else f"does not reproduce A exactly on {'any of ' if n > 1 else ''}{runs}")
    stored = (f"{SUMMARY} keeps the full number, as metrics.json does" if any(SUMMARY in s for s in sources.values())
              else "metrics.json keeps the full number")
    line = f"B {count} (same seed, same test accuracy to every digit stored: {stored})"
    if same == n:
        return line + "."
    where, a, b, examples = max(pairs, key=lambda p: abs(p[2] - p[1]))
    size = abs(b - a)
    digits = min(12, max(4, 1 - math.floor(math.log10(size))))  # two significant digits of the difference at least
    figure = f"{size:.{digits}f}" + (f", {round(size * examples)} of {examples} test examples" if examples else "")
    return line + f"; largest difference {figure} ({where}: A {a:.{digits}f}, B {b:.{digits}f})."
