"""Run a study: for each variant and seed, search -> pick best epoch -> retrain -> test -> write.

The path of one run, top to bottom, is `run_one`; `run_study` checks every variant's data first,
then loops over runs, skips finished ones, isolates failures, and writes the study's summary.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import multiprocessing
import os
import time
import traceback
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # keep TensorFlow's start-up chatter off the progress display

import numpy as np  # noqa: E402

from . import describe, plots, provenance, results  # noqa: E402
from .config import RunConfig, Study, Variant  # noqa: E402
from .data import Dataset, encode_labels, load_dataset, split_validation, validation_count  # noqa: E402
from .errors import NnlabError  # noqa: E402
from .selection import best_epoch  # noqa: E402

Echo = Callable[[str], None]
NOT_OK = ("diverged", "failed", "locked")


@dataclass(frozen=True)
class RunOutcome:
    variant: str
    seed: int
    status: str  # ok | diverged | failed | locked
    metrics: dict | None
    skipped: bool = False


def run_key(config: RunConfig, seed: int, dataset_sha256: str) -> str:
    """What decides a run's numbers: the config, the seed, the data and the run format of the code."""
    parts = [config.fingerprint(), seed, dataset_sha256, provenance.RUN_FORMAT]
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:16]


def check_study(study: Study, data_dir: str | None) -> None:
    """Load each variant's data and size its validation split, so a bad value fails before training."""
    for variant in study.variants:
        if variant.config.kind != "train":
            continue
        data = load_dataset(variant.config.dataset, data_dir)
        try:
            validation_count(variant.config.validation, len(data.x_train), data.full_train_size)
        except NnlabError as exc:
            raise NnlabError(f"{study.path}: variant '{variant.id}': {exc}") from None


def run_study(study: Study, root: Path, data_dir: str | None = None, force: bool = False,
              echo: Echo = print, pool: Executor | None = None) -> list[RunOutcome]:
    """Every run of the study, in this process or, given a pool, in its worker processes."""
    results.check_writable(root)
    check_study(study, data_dir)
    runs = [(variant, seed) for variant in study.variants for seed in variant.config.seeds]
    tags = [f"[{k}/{len(runs)}] {study.name}/{variant.id} seed {seed}" for k, (variant, seed) in enumerate(runs, 1)]
    if pool is None:
        outcomes = [_run_guarded(study, variant, seed, root, data_dir, force, tag, echo)
                    for (variant, seed), tag in zip(runs, tags)]
    else:
        futures = [pool.submit(_run_guarded, study, variant, seed, root, data_dir, force, tag, _print_line)
                   for (variant, seed), tag in zip(runs, tags)]
        outcomes = [future.result() for future in futures]
    write_study_outputs(study, root)
    return outcomes


def worker_pool(jobs: int) -> ProcessPoolExecutor:
    """`jobs` worker processes that share the cores: each gets cores // jobs TensorFlow threads, so N
    workers do not oversubscribe the machine. Spawned, not forked: TensorFlow is not fork-safe."""
    threads = max(1, (os.cpu_count() or 1) // jobs)
    return ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn"),
                               initializer=_worker_setup, initargs=(threads,))


def _worker_setup(threads: int) -> None:
    # Read by TensorFlow when it initialises, which happens after this in the worker.
    os.environ["TF_NUM_INTRAOP_THREADS"] = os.environ["OMP_NUM_THREADS"] = str(threads)
    os.environ["TF_NUM_INTEROP_THREADS"] = "1"


def _print_line(line: str) -> None:
    """A worker's progress line, straight to the terminal the workers share with the CLI."""
    print(line, flush=True)


def _run_guarded(study, variant, seed, root, data_dir, force, tag, echo) -> RunOutcome:
    """One run under its lock; an exception or divergence is recorded and the suite goes on."""
    folder = results.run_dir(root, study.name, variant.id, seed)
    train_kind = variant.config.kind == "train"
    data = load_dataset(variant.config.dataset, data_dir) if train_kind else None
    key = run_key(variant.config, seed, data.source["sha256"] if data else "no dataset")
    try:
        with results.run_lock(folder):
            done = None if force else results.completed_metrics(folder, key)
            if done:
                echo(f"{tag}: already complete ({done['status']}), skipped (--force re-runs it)")
                return RunOutcome(variant.id, seed, done["status"], done, skipped=True)
            echo(f"{tag}: starting")
            if train_kind:
                metrics = run_one(study.name, variant, seed, folder, data, key, _epoch_printer(tag, echo))
            else:
                metrics = run_teaching(study.name, variant, seed, folder, key)
    except results.RunLocked as exc:
        echo(f"{tag}: skipped: {exc}")
        return RunOutcome(variant.id, seed, "locked", None)
    except NnlabError:
        raise
    except Exception as exc:  # noqa: BLE001 - one broken variant must not cost the others
        results.write_json(folder / results.FAILURE, {
            "study": study.name, "variant": variant.id, "seed": seed, "run_key": key, "status": "failed",
            "error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc(), "when": provenance.now()})
        echo(f"{tag}: FAILED: {type(exc).__name__}: {exc} (traceback in {folder / results.FAILURE})")
        return RunOutcome(variant.id, seed, "failed", None)
    if not train_kind:
        echo(f"{tag}: done ({metrics['wall_time_s']:.1f}s): {describe.headline(variant.config.kind, metrics)}")
    elif metrics["status"] == "diverged":
        echo(f"{tag}: DIVERGED at epoch {metrics['diverged_epoch']} (non-finite loss); not retrained")
    else:
        echo(f"{tag}: best epoch {metrics['best_epoch']}, test accuracy {metrics['test_accuracy']:.4f}, "
             f"test loss {metrics['test_loss']:.4f} ({metrics['wall_time_s']:.0f}s)")
    return RunOutcome(variant.id, seed, metrics["status"], metrics)


def run_one(study: str, variant: Variant, seed: int, folder: Path, data: Dataset, key: str,
            report=None) -> dict:
    from .training import Trainer  # TensorFlow loads only in the process that trains

    config = variant.config
    started, start_time = provenance.now(), time.time()
    x_train, y_train, x_val, y_val = split_validation(data.x_train, data.y_train, config.validation,
                                                      data.full_train_size)
    labels = lambda y: encode_labels(y, data.num_classes, config.loss)  # noqa: E731

    trainer = Trainer(config, seed, data.num_classes, x_train)
    search, seconds = trainer.fit(x_train, labels(y_train), config.epochs, validation=(x_val, labels(y_val)),
                                  phase="search", report=report, keep_best=not config.retrain)
    diverged = _first_non_finite(search["loss"])
    best, retrain_history, test = None, None, {"loss": None, "accuracy": None}
    if diverged is None:
        best = best_epoch(search, config.selection.metric, config.selection.mode)
        if config.retrain:
            # From the seed's initial weights again, on train + validation, for exactly the chosen epochs.
            retrain_history, _ = trainer.fit(data.x_train, labels(data.y_train), best, phase="retrain", report=report)
        test = trainer.evaluate(data.x_test, labels(data.y_test))

    metrics = {
        "study": study, "variant": variant.id, "seed": seed, "status": "ok" if diverged is None else "diverged",
        "protocol": "retrain" if config.retrain else "best-epoch weights, no retrain",
        "best_epoch": best, "selection": config.selection.model_dump(),
        "best_val_loss": search["val_loss"][best - 1] if best else None,
        "best_val_accuracy": search["val_accuracy"][best - 1] if best else None,
        "test_loss": test["loss"], "test_accuracy": test["accuracy"],
        "epochs_run": len(search["loss"]), "retrain_epochs": len(retrain_history["loss"]) if retrain_history else 0,
        "diverged_epoch": diverged,
        "train_examples": len(x_train), "validation_examples": len(x_val), "test_examples": len(data.x_test),
        # Label counts let the report state the trivial baselines (majority class, random guessing).
        "train_label_counts": np.bincount(data.y_train, minlength=data.num_classes).tolist(),
        "test_label_counts": np.bincount(data.y_test, minlength=data.num_classes).tolist(),
        "wall_time_s": round(time.time() - start_time, 2),
        "seconds_per_epoch": round(sum(seconds) / len(seconds), 3),
        "run_key": key, "config_fingerprint": config.fingerprint(),
    }
    _write_config_and_provenance(folder, variant, seed, key, data.source, started)
    results.write_json(folder / "search_history.json", search)
    if retrain_history:
        results.write_json(folder / "retrain_history.json", retrain_history)
    fig = plots.learning_curves(search, best, f"{study} / {variant.id} / seed {seed}")
    results.save_figure(fig, folder / "curves.png")
    plots.plt.close(fig)
    (folder / results.FAILURE).unlink(missing_ok=True)
    results.write_json(folder / results.METRICS, metrics)  # last: its presence marks the run complete
    return metrics


def run_teaching(study: str, variant: Variant, seed: int, folder: Path, key: str) -> dict:
    """A small problem of the course (XOR, LR decay, gallery): same files, same completeness rule."""
    from . import teaching  # TensorFlow loads only in the process that trains

    config = variant.config
    started, start_time = provenance.now(), time.time()
    found, figures = teaching.RUNNERS[config.kind](config, seed)
    metrics = {"study": study, "variant": variant.id, "seed": seed, "kind": config.kind, "status": "ok", **found,
               "wall_time_s": round(time.time() - start_time, 2), "run_key": key,
               "config_fingerprint": config.fingerprint()}
    _write_config_and_provenance(folder, variant, seed, key, None, started)
    for name, fig in figures.items():
        results.save_figure(fig, folder / name)
        plots.plt.close(fig)
    (folder / results.FAILURE).unlink(missing_ok=True)
    results.write_json(folder / results.METRICS, metrics)  # last: its presence marks the run complete
    return metrics


def _write_config_and_provenance(folder: Path, variant: Variant, seed: int, key: str, source: dict | None,
                                 started: str) -> dict:
    resolved = {"variant": variant.id, "seed": seed, "overrides": variant.overrides,
                **variant.config.model_dump(mode="json")}
    results.write_yaml(folder / "config.yaml", resolved)
    results.write_json(folder / "provenance.json", {
        "run_key": key, "config_fingerprint": variant.config.fingerprint(), "seed": seed, "config": resolved,
        "dataset": source, "environment": _environment(), "started": started, "ended": provenance.now()})
    return resolved


@functools.lru_cache(maxsize=1)
def _environment() -> dict:
    return provenance.environment()


def _first_non_finite(values: list[float]) -> int | None:
    return next((i + 1 for i, v in enumerate(values) if not math.isfinite(v)), None)


def write_study_outputs(study: Study, root: Path) -> None:
    """Summary tables and validation overlay over every finished run of the study's variants."""
    rows, curves, best = [], {}, {}
    for variant in study.variants:
        for seed in variant.config.seeds:
            folder = results.run_dir(root, study.name, variant.id, seed)
            if (folder / results.METRICS).is_file():
                metrics = results.read_json(folder / results.METRICS)
            elif (folder / results.FAILURE).is_file():
                metrics = results.read_json(folder / results.FAILURE)
            else:
                continue
            rows.append(metrics)
            if variant.id not in curves and (folder / "search_history.json").is_file():
                curves[variant.id] = results.read_json(folder / "search_history.json")
                best[variant.id] = metrics.get("best_epoch")
    if not rows:
        return
    study_dir = Path(root) / study.name
    if study.variants[0].config.kind != "train":
        results.write_json(study_dir / "summary.json", [{k: v for k, v in r.items() if not isinstance(v, (dict, list))} for r in rows])
        return
    results.write_summary(study_dir, results.summary_rows(rows))
    if curves:
        fig = plots.validation_overlay(curves, best, f"{study.name}: validation curves (first seed)")
        results.save_figure(fig, study_dir / "val_curves.png")
        plots.plt.close(fig)


def _epoch_printer(tag: str, echo: Echo):
    def report(phase: str, epoch: int, epochs: int, logs: dict) -> None:
        figures = "  ".join(f"{k} {v:.4f}" for k, v in logs.items() if k in ("loss", "accuracy", "val_loss", "val_accuracy"))
        echo(f"{tag} {phase} epoch {epoch:>3}/{epochs}  {figures}")
    return report
