"""Run studies: check everything once, then every variant and seed under its lock, recording each
run's outcome, whatever its kind (nnlab/kinds/), in the results folder.

    preflight(studies, root, data_dir)      once, before anything trains
    run_study(study, root, ...)             every run of one study, then the study's summary

What one run computes belongs to its kind; what every run shares lives here: the run key, the lock,
skipping finished runs, recording a failure and going on, and the order files are written in
(metrics.json last: its presence marks a run complete).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import multiprocessing
import os
import signal
import sys
import traceback
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from . import kinds, provenance, results
from .config import Study, Variant
from .data import dataset_file
from .errors import NnlabError
from .specs import StudyBase

Echo = Callable[[str], None]
NOT_OK = ("diverged", "failed", "locked")


@dataclass(frozen=True)
class RunOutcome:
    variant: str
    seed: int
    status: str  # ok | diverged | failed | locked
    metrics: dict | None
    skipped: bool = False


def run_key(config: StudyBase, seed: int, dataset_sha256: str) -> str:
    """What decides a run's numbers: the config, the seed, the data and the run format of the code."""
    parts = [config.fingerprint(), seed, dataset_sha256, provenance.RUN_FORMAT]
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:16]


def preflight(studies: list[Study], root: Path, data_dir: str | None) -> None:
    """Everything that can be known to fail before training, checked once for all studies: a results
    folder we cannot write, a dataset that is missing (every study's, before the first trains), and
    each variant's own checks (a validation split its data cannot hold)."""
    results.check_writable(root)
    for study in studies:
        for spec in {v.config.dataset for v in study.variants if hasattr(v.config, "dataset")}:
            dataset_file(spec.name, data_dir, spec.sample)
    for study in studies:
        for variant in study.variants:
            kind = kinds.of(variant.config)
            try:
                kind.preflight(variant.config, kind.dataset(variant.config, data_dir))
            except NnlabError as exc:
                raise NnlabError(f"{study.path}: variant '{variant.id}': {exc}") from None


def run_study(study: Study, root: Path, data_dir: str | None = None, force: bool = False,
              echo: Echo = print, pool: Executor | None = None) -> list[RunOutcome]:
    """Every run of the study, in this process or, given a pool, in its worker processes; then the
    study's summary. Call `preflight` first."""
    runs = [(variant, seed) for variant in study.variants for seed in variant.config.seeds]
    tags = [f"[{k}/{len(runs)}] {study.name}/{variant.id} seed {seed}" for k, (variant, seed) in enumerate(runs, 1)]
    if pool is None:
        outcomes = [run_guarded(study, variant, seed, root, data_dir, force, tag, echo)
                    for (variant, seed), tag in zip(runs, tags)]
    else:
        futures = [pool.submit(run_guarded, study, variant, seed, root, data_dir, force, tag, _print_line)
                   for (variant, seed), tag in zip(runs, tags)]
        outcomes = [future.result() for future in futures]
    write_study_outputs(study, root)
    return outcomes


def run_guarded(study: Study, variant: Variant, seed: int, root: Path, data_dir: str | None, force: bool,
                tag: str, echo: Echo) -> RunOutcome:
    """One run under its lock. Any exception inside it, nnlab's own included (a validation metric that
    is never finite, say), is recorded as that run's failure and the suite goes on."""
    folder = results.run_dir(root, study.name, variant.id, seed)
    kind = kinds.of(variant.config)
    data = kind.dataset(variant.config, data_dir)
    key = run_key(variant.config, seed, data.source["sha256"] if data else "no dataset")
    try:
        with results.run_lock(folder):
            done = None if force else results.completed_metrics(folder, key)
            if done:
                echo(f"{tag}: already complete ({done['status']}), skipped (--force re-runs it)")
                return RunOutcome(variant.id, seed, done["status"], done, skipped=True)
            echo(f"{tag}: starting")
            started = provenance.now()
            output = kind.run(study.name, variant.id, variant.config, seed, data, _epoch_printer(tag, echo))
            metrics = {**output.metrics, "run_key": key, "config_fingerprint": variant.config.fingerprint()}
            _write_run(folder, variant, seed, key, output, metrics, started)
    except results.RunLocked as exc:
        echo(f"{tag}: skipped: {exc}")
        return RunOutcome(variant.id, seed, "locked", None)
    except results.RunFolderTaken:
        raise  # a finished run of another config: the user must choose (--force or --results)
    except Exception as exc:  # noqa: BLE001 - one broken variant must not cost the others
        results.write_json(folder / results.FAILURE, {
            "study": study.name, "variant": variant.id, "seed": seed, "run_key": key, "status": "failed",
            "error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc(), "when": provenance.now()})
        echo(f"{tag}: FAILED: {type(exc).__name__}: {exc} (traceback in {folder / results.FAILURE})")
        return RunOutcome(variant.id, seed, "failed", None)
    echo(f"{tag}: {kind.headline(metrics)}")
    return RunOutcome(variant.id, seed, metrics["status"], metrics)


def _write_run(folder: Path, variant: Variant, seed: int, key: str, output: results.RunOutput, metrics: dict,
               started: str) -> None:
    """Config and provenance, the kind's files and figures, then metrics.json last."""
    from . import plots

    resolved = {"variant": variant.id, "seed": seed, "overrides": variant.overrides,
                **variant.config.model_dump(mode="json")}
    results.write_yaml(folder / "config.yaml", resolved)
    results.write_json(folder / "provenance.json", {
        "run_key": key, "config_fingerprint": variant.config.fingerprint(), "seed": seed, "config": resolved,
        "dataset": output.dataset, "environment": _environment(), "started": started, "ended": provenance.now()})
    for name, content in output.files.items():
        results.write_json(folder / name, content)
    for name, fig in output.figures.items():
        results.save_figure(fig, folder / name)
        plots.plt.close(fig)
    (folder / results.FAILURE).unlink(missing_ok=True)
    results.write_json(folder / results.METRICS, metrics)  # last: its presence marks the run complete


@functools.lru_cache(maxsize=1)
def _environment() -> dict:
    return provenance.environment()


def write_study_outputs(study: Study, root: Path) -> None:
    """The study's summary over every finished (or failed) run of its variants, by its kind."""
    rows, first_histories = [], {}
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
            if variant.id not in first_histories and (folder / "search_history.json").is_file():
                first_histories[variant.id] = (results.read_json(folder / "search_history.json"),
                                               metrics.get("best_epoch"))
    if rows:
        kinds.of(study.variants[0].config).summarize(study.name, Path(root) / study.name, rows, first_histories)


# --- worker processes (--jobs N) -----------------------------------------------------------------

@contextlib.contextmanager
def worker_pool(jobs: int):
    """`jobs` worker processes that share the cores: each gets cores // jobs TensorFlow threads, so N
    workers do not oversubscribe the machine. Spawned, not forked: TensorFlow is not fork-safe.

    Ctrl-C (or any error) stops everything at once, as it does without workers: the runs in flight
    stay unfinished, their locks go with their processes, and the next `nnlab run` redoes them."""
    threads = max(1, (os.cpu_count() or 1) // jobs)
    pool = ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn"),
                               initializer=_worker_setup, initargs=(threads,))
    try:
        yield pool
    except BaseException:
        # Python < 3.14 has no terminate_workers(); shutdown() forgets the processes, so take them first.
        workers = list((getattr(pool, "_processes", None) or {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for process in workers:
            process.terminate()
        raise
    pool.shutdown(wait=True)


def _worker_setup(threads: int) -> None:
    from .cli import process_set_up

    process_set_up()  # a spawned worker is a new process: the same set-up as the CLI's
    # Ctrl-C reaches the whole process group; the CLI decides what stops (see worker_pool), not each worker
    # (TensorFlow would turn the interrupt into an error and the run would be recorded as failed).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Read by TensorFlow when it initialises, which happens after this in the worker.
    os.environ["TF_NUM_INTRAOP_THREADS"] = os.environ["OMP_NUM_THREADS"] = str(threads)
    os.environ["TF_NUM_INTEROP_THREADS"] = "1"


def _print_line(line: str) -> None:
    """A worker's progress line, straight to the terminal or pipe the workers share with the CLI: one
    write per line (atomic on a pipe below 4 KiB), so two workers' lines never splice mid-line."""
    try:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()
    except OSError:  # the reader is gone (a closed pipe): the line is lost, never the run
        pass


def _epoch_printer(tag: str, echo: Echo):
    def report(phase: str, epoch: int, epochs: int, logs: dict) -> None:
        figures = "  ".join(f"{k} {v:.4f}" for k, v in logs.items() if k in ("loss", "accuracy", "val_loss", "val_accuracy"))
        echo(f"{tag} {phase} epoch {epoch:>3}/{epochs}  {figures}")
    return report
