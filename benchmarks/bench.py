"""nnlab against the notebook way, side by side in one invocation on one machine.

    make bench                                           # full studies, 1 and 3 seeds (about 20 minutes here)
    make bench-quick                                     # 2,000 examples x 4 epochs (about two minutes)
    python benchmarks/bench.py --data-dir ../shared/datasets --studies reuters_units --seeds 3 --jobs 2

For each study and seed count N it runs (a) the notebook reference, `notebook_reference.py`, once per
variant and seed in a fresh process, as a student runs a notebook per variant (and again per seed),
and (b) `nnlab run --seeds N` on the study's config, with the same epochs, seeds and data. Measured
for each: total wall time, peak resident memory of the whole process tree (sampled every 20 ms and
checked against the kernel's per-process peak), seconds per epoch, and test accuracy per variant.
Prints the table with the ratios and writes everything, with the machine and versions, to
benchmarks/results/. Run it on an otherwise idle machine: it measures time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
STUDIES = ("reuters_units", "imdb_layers", "mnist_baseline")
QUICK = {"subset": 2000, "epochs": 4}


def measure(command: list[str]) -> dict:
    """Run a command; its wall time, exit status, output and the peak RSS of its whole process tree:
    the larger of the tree's sum sampled every 20 ms and the kernel's own peak for the process (wait4)."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=err, text=True, cwd=ROOT)
        peak, done = [0], threading.Event()

        def sample() -> None:
            root = psutil.Process(process.pid)
            while not done.is_set():
                try:
                    tree = [root] + root.children(recursive=True)
                    peak[0] = max(peak[0], sum(p.memory_info().rss for p in tree))
                except psutil.Error:
                    pass
                done.wait(0.02)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        done.set()
        sampler.join()
        out.seek(0), err.seek(0)
        return {"wall_s": wall, "peak_rss_bytes": max(peak[0], usage.ru_maxrss * 1024),  # ru_maxrss: KiB on Linux
                "returncode": process.returncode, "stdout": out.read(), "stderr": err.read()}


def reference_specs(study, data_dir: str | None, subset: int | None) -> list[tuple[str, dict]]:
    """What each variant and seed asks of the notebook: the book's code with the study's settings."""
    from nnlab.data import load_dataset, validation_count

    specs = []
    for variant in study.variants:
        config = variant.config
        if config.optimizer.name != "rmsprop" or config.optimizer.params or config.model.output_activation:
            raise SystemExit(f"{study.name}/{variant.id}: the notebook reference writes the book's rmsprop nets only")
        dataset = load_dataset(config.dataset, data_dir)
        held_out = validation_count(config.validation, len(dataset.x_train), dataset.full_train_size)
        specs.append((variant.id, {
            "dataset": config.dataset.name, "num_words": config.dataset.num_words or 10000, "data_dir": data_dir,
            "subset": subset, "units": config.model.widths, "activation": config.model.activation,
            "loss": config.loss, "validation": held_out, "epochs": config.epochs,
            "batch_size": config.batch_size, "seed": 0}))
    return [(f"{variant_id}/seed-{seed}" if len(study.seeds) > 1 else variant_id, {**spec, "seed": seed})
            for variant_id, spec in specs for seed in study.seeds]


def run_reference(study, data_dir, subset) -> dict:
    variants, wall, peak = {}, 0.0, 0
    for variant_id, spec in reference_specs(study, data_dir, subset):
        run = measure([sys.executable, str(HERE / "notebook_reference.py"), json.dumps(spec)])
        if run["returncode"] != 0:
            raise SystemExit(f"notebook reference failed on {study.name}/{variant_id}:\n{run['stderr'][-3000:]}")
        figures = json.loads(run["stdout"].strip().splitlines()[-1])
        variants[variant_id] = {**figures, "wall_s": run["wall_s"], "peak_rss_bytes": run["peak_rss_bytes"]}
        wall += run["wall_s"]
        peak = max(peak, run["peak_rss_bytes"])
        print(f"  notebook  {variant_id:<18} {run['wall_s']:6.1f} s  test acc {figures['test_accuracy']:.4f}  "
              f"best epoch {figures['best_epoch']}", flush=True)
    return {"wall_s": wall, "peak_rss_bytes": peak, "variants": variants}


def run_nnlab(study, config_path: Path, data_dir, subset, epochs, jobs: int, executor: str = "local") -> dict:
    seeds = len(study.seeds)
    from nnlab.results import read_json, run_dir

    with tempfile.TemporaryDirectory(prefix="nnlab-bench-") as results:
        command = [str(Path(sys.executable).with_name("nnlab")), "run", str(config_path), "--results", results,
                   "--seeds", str(seeds), "--jobs", str(jobs), "--executor", executor]
        command += ["--data-dir", data_dir] if data_dir else []
        command += ["--subset", str(subset), "--epochs", str(epochs)] if subset else []
        run = measure(command)
        if run["returncode"] != 0:
            raise SystemExit(f"nnlab run failed on {study.name}:\n{run['stdout'][-2000:]}\n{run['stderr'][-2000:]}")
        variants = {}
        for variant in study.variants:
            for seed in study.seeds:
                name = f"{variant.id}/seed-{seed}" if seeds > 1 else variant.id
                metrics = read_json(run_dir(Path(results), study.name, variant.id, seed) / "metrics.json")
                variants[name] = {key: metrics[key] for key in
                                  ("best_epoch", "test_accuracy", "test_loss", "seconds_per_epoch", "wall_time_s")}
                print(f"  nnlab     {name:<18} {metrics['wall_time_s']:6.1f} s  test acc {metrics['test_accuracy']:.4f}  "
                      f"best epoch {metrics['best_epoch']}", flush=True)
    return {"wall_s": run["wall_s"], "peak_rss_bytes": run["peak_rss_bytes"], "variants": variants}


def environment() -> dict:
    import keras
    import numpy
    import tensorflow as tf

    from nnlab.provenance import cpu_name, git_state

    return {"when": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), "cpu": cpu_name(),
            "cores": os.cpu_count(), "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
            "platform": platform.platform(), "python": platform.python_version(), "tensorflow": tf.__version__,
            "keras": keras.__version__, "numpy": numpy.__version__, **git_state()}


def mean_epoch(figures: dict) -> float:
    return sum(v["seconds_per_epoch"] for v in figures["variants"].values()) / len(figures["variants"])


def print_table(rows: list[dict]) -> None:
    gb = 2**30
    print(f"\n{'study':<16} {'way':<22} {'wall s':>7} {'peak RSS':>9} {'s/epoch':>8}  test accuracy per variant")

    def line(study, way, figures):
        accuracies = "  ".join(f"{k} {v['test_accuracy']:.4f}" for k, v in figures["variants"].items())
        print(f"{study:<16} {way:<22} {figures['wall_s']:>7.1f} {figures['peak_rss_bytes'] / gb:>7.2f}GB "
              f"{mean_epoch(figures):>8.3f}  {accuracies}")

    for i, row in enumerate(rows):
        if i == 0 or (rows[i - 1]["study"], rows[i - 1]["seeds"]) != (row["study"], row["seeds"]):
            line(row["study"], f"notebook, {row['seeds']} seed{'s' * (row['seeds'] > 1)}", row["notebook"])
        threads = " threads" if row.get("executor") == "threads" else ""
        line(row["study"], f"nnlab --jobs {row['jobs']}{threads}", row["nnlab"])
        print(f"{'':<16} {'ratio':<22} {row['speedup']:>6.1f}x {row['memory_ratio']:>8.2f}x {row['epoch_speedup']:>7.1f}x"
              f"  (time: notebook / nnlab; memory: nnlab / notebook)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", default=os.environ.get("NNLAB_DATA_DIR"),
                        help="folder of Keras-format .npz files (default $NNLAB_DATA_DIR, else Keras' cache)")
    parser.add_argument("--studies", nargs="+", default=list(STUDIES), choices=STUDIES)
    parser.add_argument("--quick", action="store_true", help=f"first {QUICK['subset']} examples, {QUICK['epochs']} epochs")
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2],
                        help="nnlab's --jobs, one nnlab row per value (the notebook runs one variant at a time)")
    parser.add_argument("--threads", type=int, nargs="*", default=[2],
                        help="nnlab's --executor threads --jobs N, one row per value (runs side by side in one process)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 3],
                        help="seed counts, one comparison per value: the notebook trains each seed in a process "
                             "of its own, nnlab runs --seeds N")
    parser.add_argument("--out", type=Path, help="JSON file (default benchmarks/results/bench-<time>[-quick].json)")
    args = parser.parse_args()
    from nnlab.config import load_study

    subset, epochs = (QUICK["subset"], QUICK["epochs"]) if args.quick else (None, None)
    rows = []
    for name, seeds in [(name, seeds) for name in args.studies for seeds in args.seeds]:
        config_path = ROOT / "configs" / f"{name}.yaml"
        overrides = {"seeds": list(range(seeds)), **({"dataset.subset": subset, "epochs": epochs} if subset else {})}
        study = load_study(config_path, overrides)
        print(f"{name}: {len(study.variants)} variants x {seeds} seed{'s' * (seeds > 1)}", flush=True)
        notebook = run_reference(study, args.data_dir, subset)
        for jobs, executor in [(j, "local") for j in args.jobs] + [(j, "threads") for j in args.threads]:
            ours = run_nnlab(study, config_path, args.data_dir, subset, epochs, jobs, executor)
            rows.append({"study": name, "seeds": seeds, "jobs": jobs, "executor": executor, "notebook": notebook, "nnlab": ours,
                         "speedup": notebook["wall_s"] / ours["wall_s"],
                         "memory_ratio": ours["peak_rss_bytes"] / notebook["peak_rss_bytes"],
                         "epoch_speedup": mean_epoch(notebook) / mean_epoch(ours)})
    print_table(rows)
    out = args.out or HERE / "results" / f"bench-{dt.datetime.now():%Y%m%d-%H%M%S}{'-quick' if args.quick else ''}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"environment": environment(), "quick": args.quick,
                               "subset": subset, "epochs": epochs, "studies": rows}, indent=2) + "\n")
    print(f"\nwrote {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")


if __name__ == "__main__":
    main()
