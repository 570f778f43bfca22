"""Run studies: check everything once, then every variant and seed under its lock, recording each
run's outcome, whatever its kind (nnlab/kinds/), in the results folder.

    preflight(studies, root, data_dir)      once, before anything trains
    run_study(study, root, pool, ...)       every run of one study on an executor (nnlab.executors),
                                            then the study's summary
    submit_study(study, root, pool, ...)    a study's runs handed to the pool without waiting (a suite
                                            queues the next study's behind this one's)
    RunContext.of(...)                      one run's fixed inputs, its key and folder computed once
    run_guarded(context, echo)              one run, in whatever process the executor gives it
                                            (a search's trials too: nnlab.search.driver)

What one run computes belongs to its kind; what every run shares lives here: the run key, the lock,
skipping finished runs, recording a failure and going on, and the order files are written in
(metrics.json last: its presence marks a run complete).
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import functools
import json
import os
import platform
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from . import integrity, kinds, plots, process, provenance, results, run_store
from ._version import __version__
from .config import Study, Variant
from .data import dataset_file
from .errors import Fatal, NnlabError, StorageError
from .study_outputs import write_study_outputs

Echo = Callable[[dict], None]  # a progress event (nnlab.progress)
NOT_OK = ("diverged", "failed", "locked")
TENSORFLOW_LOG = "tensorflow.log"  # what TensorFlow printed while the run trained (--verbose: the terminal)
NO_DATASET = "no dataset"  # the dataset part of the key of a kind that makes its own inputs


@dataclass(frozen=True)
class RunOutcome:
    variant: str
    seed: int
    status: str  # ok | diverged | failed | locked
    metrics: dict | None
    skipped: bool = False


@dataclass(frozen=True)
class RunContext:
    """One run's fixed inputs, made once where the runs are planned and handed whole to whatever
    process executes the run (pickled for --jobs and Ray): its key and its folder are computed here
    and nowhere else. `trial`: a search's trial (the search phase alone, in the study's trials/
    folder); `force`: redo it even if it is finished; `tag`: its name on the console."""

    study: str
    variant: Variant
    seed: int
    root: Path
    data_dir: str | None
    key: str
    folder: Path
    tag: str
    trial: bool = False
    force: bool = False

    @classmethod
    def of(cls, study: str, variant: Variant, seed: int, root: Path, data_dir: str | None, tag: str = "",
           trial: bool = False, force: bool = False) -> RunContext:
        data = kinds.of(variant.config).run.dataset(variant.config, data_dir)  # cached: loaded once per process
        key = provenance.run_key(variant.config, seed, data.source["sha256"] if data else NO_DATASET, trial)
        folder = (results.trial_dir if trial else results.run_dir)(root, study, variant.id, seed)
        return cls(study, variant, seed, Path(root), data_dir, key, folder, tag or f"{study}/{variant.id} seed {seed}",
                   trial, force)


def preflight(studies: list[Study], root: Path, data_dir: str | None, force: bool = False) -> None:
    """Everything that can be known to fail before training, checked once for all studies: a results
    folder we cannot write, a dataset that is missing (every study's, before the first trains), each
    variant's own checks (a validation split its data cannot hold), and (unless `force`) finished
    runs made with another config than their study's config now asks: all of them named at once, not
    the first after hours of the others training."""
    results.check_writable(root)
    threads = {(variant.config.threads, study.path) for study in studies for variant in study.variants}
    if len({count for count, _ in threads}) > 1:
        asked = "; ".join(f"{path}: {count}" for count, path in sorted(threads, key=lambda t: (t[0], str(t[1]))))
        raise NnlabError(f"threads: one command computes at one thread count, and these studies ask for several "
                         f"({asked}): run each count in a command of its own, or give --threads")
    for study in studies:
        results.check_study_source(root, study.name, study.path)
    for study in studies:
        for spec in {v.config.dataset for v in study.variants if hasattr(v.config, "dataset")}:
            dataset_file(spec.name, data_dir, spec.sample)
    for study in studies:
        for variant in study.variants:
            run = kinds.of(variant.config).run
            try:
                run.preflight(variant.config, run.dataset(variant.config, data_dir))
            except NnlabError as exc:
                raise NnlabError(f"{study.path}: variant '{variant.id}': {exc}") from None
    if not force:
        _refuse_changed_runs(studies, root, data_dir)
    # Only now, with nothing left to refuse, is anything written under the results folder.
    with results.storage_faults(root, "creating"):
        Path(root).mkdir(parents=True, exist_ok=True)  # once: a run never creates it again (write_bytes)


def _refuse_changed_runs(studies: list[Study], root: Path, data_dir: str | None) -> None:
    """NnlabError naming every run folder whose finished run has another key than its config now gives
    (a config edited, a study's revision bumped, another dataset file), with the command per study
    that replaces them. A search's variants are known only as it runs; it checks its own."""
    changed: dict[Path, list[str]] = {}
    for study in studies:
        if study.search:
            continue
        for variant in study.selected:
            for seed in variant.config.seeds:
                folder = results.run_dir(root, study.name, variant.id, seed)
                if not (folder / results.METRICS).is_file():
                    continue
                try:
                    recorded = json.loads((folder / results.METRICS).read_text()).get("run_key")
                except (OSError, ValueError, AttributeError):
                    continue  # damaged: the run itself moves it aside and redoes it (integrity)
                if recorded and recorded != RunContext.of(study.name, variant, seed, root, data_dir).key:
                    changed.setdefault(study.path, []).append(f"{variant.id}/seed-{seed}")
    if changed:
        listed = "; ".join(f"{path.name}: {', '.join(runs[:6])}{f' and {len(runs) - 6} more' if len(runs) > 6 else ''}"
                           for path, runs in changed.items())
        commands = "; ".join(f"nnlab run {path} --force --results {root}" for path in changed)
        raise NnlabError(f"{sum(map(len, changed.values()))} finished runs under {root} were made with another config, "
                         f"dataset or nnlab run format than their study's config now gives ({listed}). Nothing has "
                         f"trained. To replace them: {commands}; or write elsewhere with --results.")


def run_study(study: Study, root: Path, pool, data_dir: str | None = None, force: bool = False,
              submitted: Submitted | None = None) -> list[RunOutcome]:
    """Every run of the study on the pool (nnlab.executors), then the study's summary. Call
    `preflight` first. `submitted`: the study's runs, submitted already (`submit_study`)."""
    outcomes = collect(submitted or submit_study(study, root, pool, data_dir, force), pool)
    write_study_outputs(study, root, lambda text: pool.display({"kind": "warning", "text": text}))
    return outcomes


@dataclass(frozen=True)
class Submitted:
    """Runs handed to a pool, with their futures in the same order."""

    contexts: list[RunContext]
    futures: list


def submit_study(study: Study, root: Path, pool, data_dir: str | None = None, force: bool = False) -> Submitted:
    """Every run of the study handed to the pool, without waiting for any: a suite submits the next
    study's runs so, before it waits for this one's, and no worker idles at the boundary."""
    runs = [(variant, seed) for variant in study.selected for seed in variant.config.seeds]
    return submit_runs(study, runs, root, pool, data_dir, force)


def run_all(study: Study, runs: list[tuple[Variant, int]], root: Path, pool, data_dir: str | None,
            force: bool) -> list[RunOutcome]:
    """The given (variant, seed) runs, all submitted at once; their outcomes in the same order."""
    return collect(submit_runs(study, runs, root, pool, data_dir, force), pool)


def submit_runs(study: Study, runs: list[tuple[Variant, int]], root: Path, pool, data_dir: str | None,
                force: bool) -> Submitted:
    results.record_study_source(root, study.name, study.path)  # with its first runs: which file made the folder
    contexts = [RunContext.of(study.name, variant, seed, root, data_dir,
                              f"[{k}/{len(runs)}] {study.name}/{variant.id} seed {seed}", force=force)
                for k, (variant, seed) in enumerate(runs, 1)]
    # Runs finished before the store knew them (an older nnlab, another command's) are shared too.
    run_store.index_finished(root, {c.key for c in contexts if not (c.folder / results.METRICS).is_file()})
    return Submitted(contexts, [pool.submit(run_guarded, context, pool.echo) for context in contexts])


def collect(submitted: Submitted, pool) -> list[RunOutcome]:
    """The outcomes of submitted runs, in their order. A fault that stops the command (errors.Fatal:
    the disk is full, say) stops it as soon as any run meets it, not when the runs before it in this
    order have finished."""
    raise_first_fatal(submitted.futures)
    return [outcome_of(future, pool, context) for future, context in zip(submitted.futures, submitted.contexts)]


def raise_first_fatal(futures) -> None:
    """Wait for the futures; raise the first errors.Fatal any of them ends with, at once."""
    pending = set(futures)
    while pending:
        done, pending = concurrent.futures.wait(pending, return_when=concurrent.futures.FIRST_EXCEPTION)
        for future in done:
            if isinstance(future.exception(), Fatal):
                raise future.exception()


def outcome_of(future, pool, context: RunContext) -> RunOutcome:
    """A submitted run's outcome; a run whose worker died (after the executor's retry) is recorded
    here as failed, and the others go on."""
    try:
        return future.result()
    except Exception as exc:
        if not pool.lost(exc):
            raise
        record_failure(context, exc, "the worker running it died, and again when retried")
        pool.display({"kind": "end", "tag": context.tag, "status": "failed",
                      "text": f"FAILED: its worker died twice ({type(exc).__name__}); recorded in "
                              f"{context.folder / results.FAILURE}"})
        return RunOutcome(context.variant.id, context.seed, "failed", None)


def run_guarded(context: RunContext, echo: Echo, stop=None) -> RunOutcome:
    """One run under its lock. Any exception inside it, nnlab's own included (a validation metric that
    is never finite, say), is recorded as that run's failure and the suite goes on; a fault that
    stops the command (errors.Fatal: the results folder cannot be written) is raised, naming the run.

    A search's trial (context.trial) may be ended early by `stop(history)`."""
    c = context
    variant, run = c.variant, kinds.of(c.variant.config).run
    process.use_threads(variant.config.threads)  # before anything starts TensorFlow in this process
    data = run.dataset(variant.config, c.data_dir)
    where = c.tag.split("] ", 1)[-1]
    try:
        results.make_run_folder(c.root, c.folder)
        with results.run_lock(c.folder):
            warn = lambda text: echo({"kind": "warning", "text": f"{c.tag}: {text}"})
            done = None if c.force else integrity.completed_metrics(c.folder, c.key, warn)
            if done:
                if not c.trial and run_store.holder(c.root, c.key) is None:  # killed before its entry was written
                    with run_store.claim(c.root, c.key):  # which also clears what a killed write left there
                        run_store.point(c.root, c.key, c.folder)
                echo({"kind": "end", "tag": c.tag, "status": done["status"], "skipped": True,
                      "text": f"already complete ({done['status']}), skipped (--force re-runs it)"})
                return RunOutcome(variant.id, c.seed, done["status"], done, skipped=True)
            # The same run in another study of this results folder is trained once (nnlab.run_store):
            # under its key's lock, a second study waits for the first and copies its record.
            with contextlib.nullcontext() if c.trial else run_store.claim(c.root, c.key):
                twin = None if c.trial or c.force else _finished_twin(c)
                if twin is not None:
                    metrics = run_store.copy_run(twin, c.folder, c.root, c.study, _resolved(c))
                    echo({"kind": "end", "tag": c.tag, "status": metrics["status"],
                          "text": f"the same run as {metrics['same_run_as']}: copied, not trained again"})
                    return RunOutcome(variant.id, c.seed, metrics["status"], metrics)
                echo({"kind": "start", "tag": c.tag})
                started = provenance.now()
                progress = _epoch_printer(c.tag, echo)
                # A kind other than train seeds and draws from the process's generators all through its
                # run: beside runs in other threads (--executor threads), it has them to itself.
                alone = process.SEEDING if variant.config.kind != "train" else contextlib.nullcontext()
                with native_output_to(c.folder / TENSORFLOW_LOG), alone:
                    if c.trial:
                        output = run.run_trial(c.study, variant.id, variant.config, c.seed, data, progress, stop)
                    else:
                        output = run.run(c.study, variant.id, variant.config, c.seed, data, progress)
                # What every run records whatever its kind, beside what the kind measured.
                metrics = {**output.metrics, "kind": variant.config.kind, "trial": c.trial, "run_key": c.key,
                           "config_fingerprint": variant.config.fingerprint()}
                _write_run(c, output, metrics, started)
                if not c.trial:
                    run_store.point(c.root, c.key, c.folder)
    except results.RunLocked as exc:
        echo({"kind": "end", "tag": c.tag, "status": "locked", "text": f"skipped: {exc}"})
        return RunOutcome(variant.id, c.seed, "locked", None)
    except StorageError as exc:
        raise StorageError(f"stopped in {where}: {exc.message}", exc.advice) from None
    except Fatal:
        raise  # a finished run of another config: the user must choose (--force or --results)
    except Exception as exc:  # one broken variant must not cost the others
        try:
            record_failure(c, exc, traceback.format_exc())
        except StorageError as fault:
            raise StorageError(f"stopped in {where}: {fault.message}", fault.advice) from None
        echo({"kind": "end", "tag": c.tag, "status": "failed",
              "text": f"FAILED: {type(exc).__name__}: {exc} (traceback in {c.folder / results.FAILURE})"})
        return RunOutcome(variant.id, c.seed, "failed", None)
    echo({"kind": "end", "tag": c.tag, "status": metrics["status"], "text": kinds.of(variant.config).record.headline(metrics)})
    return RunOutcome(variant.id, c.seed, metrics["status"], metrics)


def _finished_twin(context: RunContext) -> Path | None:
    """Another folder of this results folder that holds this very run, finished and whole (checked as
    `nnlab verify` checks it), or None."""
    twin = run_store.holder(context.root, context.key)
    if twin is None or twin.resolve() == context.folder.resolve() or not (twin / results.METRICS).is_file():
        return None
    metrics, problems = integrity.check_run(twin)
    if problems or not metrics or metrics.get("run_key") != context.key or metrics.get("status") not in ("ok", "diverged"):
        return None
    return twin


def record_failure(context: RunContext, exc: BaseException, details: str) -> None:
    results.write_json(context.folder / results.FAILURE, {
        "study": context.study, "variant": context.variant.id, "seed": context.seed, "kind": context.variant.config.kind,
        "trial": context.trial, "run_key": context.key, "status": "failed",
        "error": f"{type(exc).__name__}: {exc}", "traceback": details, "when": provenance.now()})


def _write_run(context: RunContext, output: results.RunOutput, metrics: dict, started: str) -> None:
    """Config and provenance, the kind's files and figures, their checksums, then metrics.json last
    (its presence marks the run complete; the checksums cover it too)."""
    folder, variant, seed = context.folder, context.variant, context.seed
    resolved = _resolved(context)
    contents = {"config.yaml": results.yaml_bytes(resolved),
                "provenance.json": results.json_bytes({
                    "run_key": context.key, "config_fingerprint": variant.config.fingerprint(), "seed": seed,
                    "config": resolved, "kind_revision": variant.config.REVISION,
                    "dataset": output.dataset, "environment": _environment(), "started": started, "ended": provenance.now()})}
    contents |= {name: results.json_bytes(content) for name, content in output.files.items()}
    for name, figure in output.figures.items():
        contents[name] = _png(figure)
    contents[results.METRICS] = results.json_bytes(metrics)
    results.write_record(folder, contents)


def _resolved(context: RunContext) -> dict:
    """The run's config as its folder records it (config.yaml, provenance.json's config)."""
    variant = context.variant
    return {"variant": variant.id, "seed": context.seed, "overrides": variant.overrides,
            **variant.config.model_dump(mode="json")}


def _png(figure) -> bytes:
    """A run's figure as PNG: drawn already on the drawing thread (a Future: drawing.in_background,
    waited for here, before the record is written), or a figure to render now."""
    if isinstance(figure, concurrent.futures.Future):
        return figure.result()
    try:
        return results.figure_bytes(figure)
    finally:
        plots.plt.close(figure)


@functools.lru_cache(maxsize=1)
def _environment() -> dict:
    """Versions and host, as provenance.json records them; read once per process, in the one that
    trains (TensorFlow is loaded there already)."""
    import keras
    import numpy
    import tensorflow as tf

    return {
        "nnlab": __version__, "run_format": provenance.RUN_FORMAT, **provenance.git_state(),
        "python": platform.python_version(), "tensorflow": tf.__version__, "keras": keras.__version__,
        "numpy": numpy.__version__, "platform": platform.platform(), "cpu": provenance.cpu_name(),
        "gpus": [d.name for d in tf.config.list_physical_devices("GPU")], "argv": sys.argv,
        # What decides the kernels, and so the last digits (docs/reproducibility.md: Determinism).
        "threads": process.pinned_threads(), "cpu_facts": provenance.cpu_facts(), "onednn": provenance.onednn(),
    }


@contextlib.contextmanager
def native_output_to(log: Path):
    """What TensorFlow and Keras print while a run trains (start-up chatter, retracing warnings),
    into the run's log instead of the terminal: they write to file descriptor 2 from C++ and Python
    alike, so that descriptor is pointed at the log for the run. `--verbose` (NNLAB_VERBOSE) leaves
    it alone. A TensorFlow error still reaches the user: it raises, and the run's failure says it."""
    if os.environ.get("NNLAB_VERBOSE") or process.THREADED.is_set():  # a thread pool points fd 2 at its own log
        yield
        return
    with results.stderr_into(log):
        yield


def _epoch_printer(tag: str, echo: Echo):
    def report(phase: str, epoch: int, epochs: int, logs: dict) -> None:
        if process.STOPPING.is_set():  # its thread pool is stopping: leave the run unfinished
            raise process.Stopped()
        echo({"kind": "epoch", "tag": tag, "phase": phase, "epoch": epoch, "epochs": epochs, "logs": logs})
    return report
