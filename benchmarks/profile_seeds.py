"""Where a study's seeds spend their time: every variant x seed of a study through nnlab's own runner in
one process (`nnlab run --seeds N --jobs 1`), each phase of each run timed.

    python benchmarks/profile_seeds.py --data-dir ../shared/datasets                      # reuters_units, 3 seeds
    python benchmarks/profile_seeds.py --config configs/imdb_layers.yaml --seeds 3 --json out.json

Prints a table of seconds: a row per phase (model set-up, the first search epoch with its tracing,
the steady search epochs, the retrain, test, figure, writes), a column per seed (summed over the
variants), and what the process pays once (Python and TensorFlow, data, the study's summary). The
phases are measured by wrapping nnlab's own functions, so what is timed is what `nnlab run` runs.
Run it alone on the machine: it measures time.
"""

from __future__ import annotations

import time

STARTED = time.perf_counter()

import argparse  # noqa: E402
import json  # noqa: E402
import tempfile  # noqa: E402
from collections import defaultdict  # noqa: E402
from pathlib import Path  # noqa: E402

PHASES = ["model set-up (build, or assign to a reused one)", "search: first epoch (tracing + one epoch)",
          "search: other epochs", "search: outside the epochs (tensors, optimizer reset)", "retrain",
          "test evaluation", "figure (waited for)", "writes (files, checksums, metrics.json last)",
          "rest of the run (lock, provenance, record)"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", default="configs/reuters_units.yaml")
    parser.add_argument("--data-dir", default="../shared/datasets")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--json", type=Path, help="also write the table to this file")
    args = parser.parse_args()

    import keras  # noqa: F401
    import tensorflow  # noqa: F401
    once = {"python start + import tensorflow, keras": time.perf_counter() - STARTED}
    clock = time.perf_counter()
    import matplotlib
    matplotlib.use("Agg")
    from nnlab import process, results, runner, training
    from nnlab.config import command_line_overrides, load_study
    from nnlab.executors import InlinePool
    from nnlab.kinds.train import run as train_run
    process.set_up()
    once["import nnlab (matplotlib, pydantic)"] = time.perf_counter() - clock

    per_run: dict[tuple[str, int], dict[str, float]] = defaultdict(lambda: defaultdict(float))
    current: list[tuple[str, int]] = []

    def timed(owner, name: str, phase: str | None = None, split=None):
        original = getattr(owner, name)

        def wrapper(*a, **k):
            started = time.perf_counter()
            value = original(*a, **k)
            seconds = time.perf_counter() - started
            if current:
                if split:
                    split(per_run[current[-1]], value, seconds)
                else:
                    per_run[current[-1]][phase] += seconds
            return value
        setattr(owner, name, wrapper)

    def fit_split(row, value, seconds):
        history, epoch_seconds = value
        if "val_loss" in history:  # the search phase
            row[PHASES[1]] += epoch_seconds[0]
            row[PHASES[2]] += sum(epoch_seconds[1:])
            row[PHASES[3]] += seconds - sum(epoch_seconds)
        else:
            row[PHASES[4]] += seconds

    timed(training.Trainer, "__init__", PHASES[0])
    timed(training.Trainer, "fit", split=fit_split)
    timed(training.Trainer, "evaluate", PHASES[5])
    if hasattr(runner, "_png"):  # the figure drawn while the run goes on: only the wait counts
        timed(runner, "_png", "_inside writes")
    else:
        timed(train_run.plots, "learning_curves", PHASES[6])
        timed(results, "figure_bytes", "_inside writes")
    timed(runner, "_write_run", PHASES[7])

    original_guarded = runner.run_guarded

    def guarded(context, echo, stop=None):
        current.append((context.variant.id, context.seed))
        started = time.perf_counter()
        try:
            return original_guarded(context, echo, stop)
        finally:
            per_run[current[-1]]["total"] += time.perf_counter() - started
            current.pop()
    runner.run_guarded = guarded

    clock = time.perf_counter()
    study = load_study(args.config, command_line_overrides(None, None, args.seeds))
    with tempfile.TemporaryDirectory() as root:
        runner.preflight([study], Path(root), args.data_dir)
        once["data: read, vectorize (cache), split; configs"] = time.perf_counter() - clock
        pool = InlinePool(lambda event: None)
        original_outputs = runner.write_study_outputs

        def study_outputs(*a, **k):
            started = time.perf_counter()
            original_outputs(*a, **k)
            once["study summary and overlay figure"] = time.perf_counter() - started
        runner.write_study_outputs = study_outputs
        clock = time.perf_counter()
        runner.run_study(study, Path(root), pool, args.data_dir)
        runs_seconds = time.perf_counter() - clock - once["study summary and overlay figure"]
    for row in per_run.values():
        inside = row.pop("_inside writes", 0.0)  # the figure's PNG, rendered (or waited for) while writing
        row[PHASES[6]] += inside
        row[PHASES[7]] -= inside
        row[PHASES[8]] = row["total"] - sum(row.get(p, 0.0) for p in PHASES[:8])
    seeds = study.seeds
    by_seed = {seed: {p: sum(r.get(p, 0.0) for (v, s), r in per_run.items() if s == seed) for p in [*PHASES, "total"]}
               for seed in seeds}
    variants = len(study.variants)
    print(f"\n{args.config}: {variants} variants x seeds {seeds}, one process, inline; seconds summed over the variants")
    print(f"{'phase':<58}" + "".join(f"{'seed ' + str(s):>10}" for s in seeds))
    for phase in [*PHASES, "total"]:
        print(f"{phase:<58}" + "".join(f"{by_seed[s][phase]:>10.3f}" for s in seeds))
    print()
    for name, seconds in once.items():
        print(f"{name:<58}{seconds:>10.3f}")
    wall = time.perf_counter() - STARTED
    print(f"{'wall, the whole process':<58}{wall:>10.3f}   (runs {runs_seconds:.3f})")
    if args.json:
        args.json.write_text(json.dumps({"config": args.config, "seeds": seeds, "variants": variants,
                                         "by_seed": by_seed, "once": once, "wall_s": wall,
                                         "runs": {f"{v}/seed-{s}": r for (v, s), r in per_run.items()}}, indent=2))


if __name__ == "__main__":
    main()
