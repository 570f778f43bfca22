"""`nnlab reproduce RESULTS [--sample K]`: train recorded runs again, each from its own config and seed,
into a scratch folder, and say per run whether the numbers came back:

    identical        every recorded figure (and both learning curves, where the run folder is kept)
                     equal to the last bit
    last digits      not bit for bit, but the test accuracy within seed noise of the recorded one: the
                     largest difference, and the provenance fields that differ (the CPU's instruction
                     sets, oneDNN's level, a version, the thread count) name the likely cause
    beyond noise     the test accuracy moved by more than the seeds of its variant spread: a failure

A results folder of run folders is read from them (config, seed, curves and provenance); the committed
report keeps only each study's summary.csv, and its runs are repeated from the shipped config of the
same name, the recorded figures compared with the summary's.

    plan(root, sample, seed)        the recorded runs to repeat (Recorded), a sample of them if asked
    judge(recorded, fresh, ...)     one run's finding (pure)
"""

from __future__ import annotations

import json
import math
import random
from dataclasses import dataclass
from pathlib import Path

from . import dotted
from .config import Variant, config_of, load_study
from .diff import read_side
from .errors import NnlabError
from .stats import mean_sd

FIGURES = ("best_epoch", "best_val_loss", "best_val_accuracy", "test_loss", "test_accuracy")
CURVES = ("search_history.json", "retrain_history.json")
# The provenance fields that decide the last digits, where two runs of one config and seed differ.
CAUSES = ("cpu_facts.vendor", "cpu_facts.family", "cpu_facts.model", "cpu_facts.flags", "onednn.enabled", "onednn.isa",
          "threads", "tensorflow", "keras", "numpy", "python", "run_format")
SINGLE_SEED_NOISE = 0.005  # a variant of one seed has no spread to judge by: half a point stands in


@dataclass(frozen=True)
class Recorded:
    """A run as its results folder keeps it: its figures, its variant's seed spread of test accuracy,
    and, where the run folder is kept, its curves and environment."""

    study: str
    variant: Variant
    seed: int
    metrics: dict
    noise: float
    folder: Path | None = None
    environment: dict | None = None

    @property
    def name(self) -> str:
        return f"{self.study}/{self.variant.id} seed {self.seed}"


@dataclass(frozen=True)
class Finding:
    run: str
    state: str  # identical | last digits | beyond noise | failed
    text: str


def plan(root: Path, sample: int | None = None, seed: int = 0) -> tuple[list[Recorded], list[str]]:
    """The finished, tested runs under `root` (a sample of `sample`, drawn with `seed`), and a line for
    each study whose runs cannot be repeated (no config recorded or shipped for it)."""
    studies, from_summary, _ = read_side(Path(root))
    runs, skipped = [], []
    for name, study in sorted(studies.items()):
        shipped = _shipped_variants(name) if name in from_summary else {}
        if name in from_summary and not shipped:
            skipped.append(f"{name}: only its summary.csv is kept, and nnlab ships no config of that name")
            continue
        for v in study.variants:
            tested = [r for r in v.runs if r.ok and r.metrics.get("test_accuracy") is not None]
            if not tested:
                continue
            for r in tested:
                # The spread of the variant's other seeds: the run judged must not widen its own yardstick.
                _, sd = mean_sd([o.metrics["test_accuracy"] for o in tested if o is not r])
                noise = 2 * sd if sd else SINGLE_SEED_NOISE
                if r.provenance:
                    config = config_of(r.provenance["config"])
                    variant = Variant(v.name, r.provenance["config"].get("overrides") or {}, config)
                    environment = r.provenance.get("environment")
                elif v.name in shipped:
                    variant, environment = shipped[v.name], None
                else:
                    skipped.append(f"{name}/{v.name}: not a variant of the shipped {name} config")
                    break
                runs.append(Recorded(name, variant, int(r.metrics["seed"]), r.metrics, noise,
                                     r.folder if r.provenance else None, environment))
    if sample is not None and sample < len(runs):
        runs = sorted(random.Random(seed).sample(runs, sample), key=lambda r: (r.study, r.variant.id, r.seed))
    return runs, skipped


def _shipped_variants(name: str) -> dict[str, Variant]:
    from .shipped import names, resolve

    if name not in names("configs"):
        return {}
    return {v.id: v for v in load_study(resolve(name, "configs")).variants}


def judge(recorded: Recorded, fresh: dict, fresh_folder: Path | None, fresh_environment: dict | None) -> Finding:
    """One run's finding: identical, differing in the last digits (the largest difference and the
    provenance fields that differ), or beyond its variant's seed noise."""
    name = recorded.name
    if fresh.get("status") != "ok":
        return Finding(name, "failed", f"{name}: the repeat did not finish ({fresh.get('status')})")
    differences = {k: _difference(recorded.metrics.get(k), fresh.get(k)) for k in FIGURES}
    if recorded.folder is not None and fresh_folder is not None:
        # Over the epochs both record: a run of an earlier run format retrained for its best epochs only.
        differences["curves"] = _largest_curve_difference(recorded.folder, fresh_folder)
    if not any(differences.values()):
        return Finding(name, "identical", f"{name}: identical to the last bit")
    field, largest = max(differences.items(), key=lambda kv: kv[1])
    accuracy = abs(differences["test_accuracy"])
    causes = causes_of(recorded.environment, fresh_environment)
    cause = (f"; the provenance differs in {causes}" if causes else "" if recorded.environment is not None
             else "; the recorded side keeps no provenance (summary.csv)")
    if accuracy > recorded.noise:
        return Finding(name, "beyond noise", f"{name}: DIFFERS BEYOND SEED NOISE: test accuracy "
                       f"{recorded.metrics['test_accuracy']:.4f} recorded, {fresh['test_accuracy']:.4f} now "
                       f"(twice its variant's other seeds' sd: {recorded.noise:.4f}){cause}")
    moved = fresh["test_accuracy"] - recorded.metrics["test_accuracy"]
    accuracy_said = f"test accuracy {moved:+.2g}" if moved else "test accuracy the same"
    return Finding(name, "last digits", f"{name}: differs in the last digits: largest difference {largest:.3g} "
                   f"({field.replace('_', ' ')}), {accuracy_said}{cause}")


def causes_of(recorded: dict | None, fresh: dict | None) -> str:
    """The fields of CAUSES that differ between two environments, with both values.

    >>> causes_of({"threads": 1, "onednn": {"isa": "avx2"}}, {"threads": 1, "onednn": {"isa": "avx512_core"}})
    'onednn.isa (avx2 → avx512_core)'
    >>> causes_of(None, {"threads": 1})
    ''
    """
    if not recorded or not fresh:
        return ""
    out = []
    for key in CAUSES:
        a, b = dotted.get(recorded, key), dotted.get(fresh, key)
        if a != b:
            out.append(f"{key} ({_short(a)} → {_short(b)})")
    return ", ".join(out)


def _short(value) -> str:
    if isinstance(value, list):
        return " ".join(map(str, value)) or "none"
    return "not recorded" if value is None else str(value)


def _difference(a, b) -> float:
    if a is None and b is None:
        return 0.0
    if a is None or b is None:
        return math.inf
    return abs(float(a) - float(b))


def _largest_curve_difference(a: Path, b: Path) -> float:
    largest = 0.0
    for name in CURVES:
        if not (a / name).is_file() or not (b / name).is_file():
            continue
        one, two = (json.loads((folder / name).read_text()) for folder in (a, b))
        for key in set(one) | set(two):
            xs, ys = one.get(key) or [], two.get(key) or []
            largest = max([largest] + [_difference(x, y) for x, y in zip(xs, ys)])
    return largest


def summary_line(findings: list[Finding]) -> str:
    words = {"identical": "identical", "last digits": "differ in the last digits",
             "beyond noise": "DIFFER BEYOND SEED NOISE", "failed": "did not finish"}
    counts = {state: sum(f.state == state for f in findings) for state in words}
    said = ", ".join(f"{n} {words[state]}" for state, n in counts.items() if n) or "none"
    return f"{len(findings)} run(s) repeated: {said}."


def check_sample(sample: int | None) -> None:
    if sample is not None and sample < 1:
        raise NnlabError("--sample: give 1 or more runs")
