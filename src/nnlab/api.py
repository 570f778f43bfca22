"""nnlab from Python: what `nnlab run`, `nnlab suite` and `nnlab report` do, for a notebook, a script
or a test. The command line is a thin shell over these (options, messages, exit codes).

    import nnlab

    # nnlab run configs/reuters_units.yaml --subset 1500 --epochs 3 --seeds 2 --data-dir ../shared/datasets
    studies = nnlab.run_studies(["configs/reuters_units.yaml"], data_dir="../shared/datasets",
                                subset=1500, epochs=3, seeds=2)
    for study in studies:
        print(study.name, [(o.variant, o.seed, o.status) for o in study.outcomes])

    # nnlab suite experiments/chapter3.yaml --jobs 2
    nnlab.run_suite("experiments/chapter3.yaml", data_dir="../shared/datasets", jobs=2)

    # the same settings as one object, for several calls
    options = nnlab.RunOptions(data_dir="../shared/datasets", seeds=3, jobs=2)
    nnlab.run_studies(["configs/imdb_units.yaml"], options=options)

    # nnlab report
    markdown_path, html_path = nnlab.write_report("results")

Finished runs are skipped, as on the command line, so calling again resumes. A bad config raises
errors.ConfigError before anything trains; a run that fails or diverges does not raise: its outcome
says so (`StudyOutcomes.not_ok`). Nothing here sets anything process-wide, at import or when called:
a notebook keeps its matplotlib backend and TensorFlow's log level (the CLI and the workers it
spawns call process.set_up); pass `verbose=True` to let TensorFlow print in the workers too (it sets
NNLAB_VERBOSE for this process and its workers).
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import os
from dataclasses import dataclass
from pathlib import Path

from . import progress, report
from . import results as run_files
from .config import DEFAULT_MAX_RUNS, Study, command_line_overrides, distinct_names, load_study
from .executors import InlinePool, process_pool, thread_pool
from .runner import NOT_OK, RunContext, RunOutcome, Submitted, outcome_of, preflight, run_guarded, run_study, submit_study
from .search import bobyqa, lipo
from .search.driver import run_search
from .study_outputs import write_study_outputs
from .suites import SuiteConfig, load_suite


@dataclass(frozen=True)
class Execution:
    """Where and how runs execute. Defaults: one run after another in this process.

    Args:
        jobs: runs trained at once in worker processes that share the cores (no more than there are
            runs). The numbers do not depend on it: each run computes with its config's `threads`.
            Defaults to 1 (the command line's default is the cores).
        executor: "local" (this machine: `jobs` worker processes), "threads" (this process: `jobs` runs
            side by side as threads, one TensorFlow for all) or "ray" (a Ray
            task per run). Defaults to "local".
        ray_address: a running Ray cluster ("auto", "host:6379", "ray://host:10001"); None starts a
            local Ray for the call. Defaults to None.
        cpus_per_run, gpus_per_run: what each Ray task declares. Default to 1 and 0.
    """

    jobs: int = 1
    executor: str = "local"
    ray_address: str | None = None
    cpus_per_run: float = 1
    gpus_per_run: float = 0

    def pool(self, display, root: Path, runs: int | None = None, threads: int | None = None):
        """The executor for `runs` runs (None: as many as there may be): no more workers than runs.
        Runs at another thread count than this process was pinned to by earlier runs (a notebook's
        second call) train in a worker process of their own (process.use_threads)."""
        from . import process

        jobs = min(self.jobs, max(1, runs)) if runs is not None else self.jobs
        if self.executor == "local" and jobs == 1 and process.pinned_threads() not in (None, threads):
            return process_pool(1, display)
        if self.executor == "threads":
            return thread_pool(jobs, display, root / "tensorflow.log")
        if self.executor == "ray":
            from .ray_executor import ray_pool  # Ray is an optional extra: loaded only when asked for

            return ray_pool(self.ray_address, self.cpus_per_run, self.gpus_per_run, display)
        if jobs > 1:
            return process_pool(jobs, display)
        return contextlib.nullcontext(InlinePool(display))


@dataclass(frozen=True)
class RunOptions:
    """What `nnlab run`, `nnlab suite`, run_studies, run_suite and nnlab.run share: one object, so an
    option is added in one place (here, and cli.run_options for its flag). Every field defaults to
    what the configs or the manifest say.

    Args:
        results: the folder the run folders go in. Defaults to "results".
        data_dir: the folder holding Keras-format imdb.npz, reuters.npz, mnist.npz. Defaults to
            None: the NNLAB_DATA_DIR environment variable if set, else Keras' own cache and download.
        subset, epochs, seeds, threads, trials: the first N train and test examples only; the epochs of
            every variant; seeds 0..N-1; N TensorFlow threads per run; N trials a search (a search
            study's budget). Default to None (as the configs say).
        force: re-run finished runs. Defaults to False.
        max_runs: refuse a study of more runs. Defaults to 10,000.
        only: -k patterns: only the variants they match (nnlab.variant_filter). Defaults to ().
        jobs, executor, ray_address, cpus_per_run, gpus_per_run: where runs execute (`Execution`),
            each None to take it from the manifest, else Execution's default; `execution` gives
            them as one object instead.
        quiet, verbose: print only each study's table; let TensorFlow print. Default to False.
        require_clean: refuse to start from a git checkout with uncommitted changes. Defaults to False.

    Example:

        >>> RunOptions(seeds=2, jobs=4).overrides()
        {'seeds': [0, 1]}
        >>> RunOptions(jobs=4).execution_over(Execution(executor="threads"))
        Execution(jobs=4, executor='threads', ray_address=None, cpus_per_run=1, gpus_per_run=0)
    """

    results: str | Path = "results"
    data_dir: str | None = None
    subset: int | None = None
    epochs: int | None = None
    seeds: int | None = None
    threads: int | None = None
    trials: int | None = None
    force: bool = False
    max_runs: int = DEFAULT_MAX_RUNS
    only: tuple[str, ...] = ()
    jobs: int | None = None
    executor: str | None = None
    ray_address: str | None = None
    cpus_per_run: float | None = None
    gpus_per_run: float | None = None
    execution: Execution | None = None
    quiet: bool = False
    verbose: bool = False
    require_clean: bool = False

    @classmethod
    def of(cls, options: RunOptions | None = None, **given) -> RunOptions:
        """`options` (or the defaults) with each setting given by keyword that is not None."""
        given = {name: value for name, value in given.items() if value is not None}
        if "only" in given:
            given["only"] = tuple(given["only"])
        return dataclasses.replace(options or cls(), **given)

    def overrides(self) -> dict:
        """The dotted keys --subset, --epochs, --seeds and --threads set in every variant."""
        return command_line_overrides(self.subset, self.epochs, self.seeds, self.threads, self.trials)

    def execution_over(self, default: Execution) -> Execution:
        """Where runs execute: `execution` if given, else `default` with each setting given here."""
        if self.execution is not None:
            if self.jobs is not None:
                raise ValueError("give jobs inside execution (Execution(jobs=...)), or jobs alone, not both")
            return self.execution
        given = {name: getattr(self, name) for name in ("jobs", "executor", "ray_address", "cpus_per_run", "gpus_per_run")}
        return dataclasses.replace(default, **{name: value for name, value in given.items() if value is not None})


@dataclass(frozen=True)
class StudyOutcomes:
    """One study's runs as they ended: finished now, found finished, failed, diverged or locked."""

    study: Study
    outcomes: list[RunOutcome]
    results: Path

    @property
    def name(self) -> str:
        return self.study.name

    @property
    def not_ok(self) -> list[RunOutcome]:
        return [o for o in self.outcomes if o.status in NOT_OK]



def load_configs(configs: list[str | Path], subset: int | None = None, epochs: int | None = None, seeds: int | None = None,
         max_runs: int = DEFAULT_MAX_RUNS) -> list[Study]:
    """Every config read, expanded and validated (errors.ConfigError names the file and key of the
    first fault), before anything trains. `subset`, `epochs`, `seeds`: as run_studies'."""
    return [load_study(path, command_line_overrides(subset, epochs, seeds), max_runs) for path in configs]


def run_studies(configs: list[str | Path | Study], results: str | Path | None = None, data_dir: str | None = None, *,
                options: RunOptions | None = None, display: progress.Display | None = None, **settings) -> list[StudyOutcomes]:
    """Run every variant and seed of each study, skipping finished runs, and write each study's tables.

    Args:
        configs: config paths (read with `load_configs`) or studies already loaded (then subset,
            epochs, seeds and threads are theirs already).
        results, data_dir: as RunOptions'; given here, they replace the options'.
        options: a RunOptions; or its fields as keywords (`seeds=2, jobs=2, quiet=True`), which replace
            the options' where given. Defaults to RunOptions(): one run after another in this process.
        display: what is shown while runs train (nnlab.progress); replaces quiet and verbose.

    Returns:
        One StudyOutcomes per study, in order.
    """
    options = RunOptions.of(options, results=results, data_dir=data_dir, **settings)
    if options.require_clean:
        _require_clean()
    studies = distinct_names([c if isinstance(c, Study) else load_study(c, options.overrides(), options.max_runs) for c in configs])
    studies = [study.selecting(options.only) for study in studies] if options.only else studies
    execution = options.execution_over(Execution())
    if options.verbose:
        os.environ["NNLAB_VERBOSE"] = "1"  # read where runs train: this process, its workers, Ray's
    data_dir = options.data_dir if options.data_dir is not None else os.environ.get("NNLAB_DATA_DIR") or None
    # Ray's workers may start elsewhere: every path they are given is absolute (and must be shared).
    root = Path(options.results).absolute()
    data_dir = str(Path(data_dir).absolute()) if data_dir else None
    force = options.force
    display = display or progress.choose(options.quiet, options.verbose)
    studies = [study for study in studies if study.selected]  # -k: a study none of whose variants match is left out
    preflight(studies, root, data_dir, force)  # a fault of the last study must not wait for the first to train
    strategies = {s.strategy for study in studies if study.search for s in study.search.searches()}
    if "lipo" in strategies:
        lipo.require()  # an extra that is missing: one line now, not after the other studies have trained
    if "bobyqa" in strategies:
        bobyqa.require()
    for study in studies:  # BOBYQA's start, the config's own settings, must lie in its space: now, not mid-suite
        if study.search and "bobyqa" in {s.strategy for s in study.search.searches()}:
            bobyqa.start(study.search, study.variants[0].config, study.path)
    runs = sum(study.run_count for study in studies)
    display.expect(runs)
    out = []
    threads = next((v.config.threads for study in studies for v in study.variants), None)  # one (preflight)
    with display, execution.pool(display, root, runs, threads) as pool:
        where = f", on Ray ({pool.capacity} at a time)" if execution.executor == "ray" else (
            f", {pool.capacity} at a time" if pool.capacity > 1 else "")
        ahead: dict[int, Submitted] = {}  # studies whose runs the pool holds already

        def queue(k: int) -> None:  # study k's runs into the pool, once (a search submits its own)
            if k < len(studies) and not studies[k].search and k not in ahead:
                ahead[k] = submit_study(studies[k], root, pool, data_dir, force)

        for i, study in enumerate(studies):
            queue(i)
            # With workers, the next study's runs are queued behind this one's: a worker that finishes
            # early takes them at once instead of idling until this study's last run ends. Behind a
            # search's first trials: a batch of trials then waits for its slowest without an idle core.
            queue_next = functools.partial(queue, i + 1) if pool.capacity > 1 else lambda: None
            display.line(f"== study {i + 1}/{len(studies)} {study.name}: {study.what_runs()} ({study.path}){where}")
            if study.search:
                outcomes = run_search(study, root, pool, data_dir, force, started=queue_next)
            else:
                queue_next()
                outcomes = run_study(study, root, pool, data_dir, force, submitted=ahead.pop(i))
                outcomes = _after_others(study, outcomes, root, pool, data_dir)
            pool.settle()
            _print_table(outcomes, display.summary)
            display.summary(f"results: {root / study.name}")
            out.append(StudyOutcomes(study, outcomes, root / study.name))
    return out


def _after_others(study: Study, outcomes: list[RunOutcome], root: Path, pool, data_dir: str | None) -> list[RunOutcome]:
    """A run another nnlab process was running when this one came to it ("locked": two commands over
    one results folder) is waited for, then taken again: found finished, it counts as done (skipped,
    as a run finished earlier would); left unfinished (the other process was stopped), it is trained
    here. Then the study's summary is written again, with those runs. Waiting holds no lock, so two
    commands waiting for each other's runs cannot be stuck. A search's runs are left as they ended."""
    variants = {variant.id: variant for variant in study.selected}
    if study.search or not any(o.status == "locked" and o.variant in variants for o in outcomes):
        return outcomes
    out = []
    for outcome in outcomes:
        while outcome.status == "locked" and outcome.variant in variants:
            context = RunContext.of(study.name, variants[outcome.variant], outcome.seed, root, data_dir)
            pool.display({"kind": "note", "text": f"{context.tag}: waiting for the other nnlab process running it to finish"})
            with run_files.writing_in(context.folder):
                pass  # its lock is free: the other process finished the run, or stopped
            outcome = outcome_of(pool.submit(run_guarded, context, pool.echo), pool, context)
        out.append(outcome)
    write_study_outputs(study, root, lambda text: pool.display({"kind": "warning", "text": text}))
    return out


def run_suite(manifest: str | Path, results: str | Path | None = None, data_dir: str | None = None, *,
              options: RunOptions | None = None, display: progress.Display | None = None, **settings) -> list[StudyOutcomes]:
    """Every study of a suite manifest (experiments/*.yaml) with the suite's seeds (`seeds` replaces
    them with 0..N-1); where runs execute defaults to what the manifest sets (jobs:, executor:,
    ray_address:). Arguments as run_studies'."""
    options = RunOptions.of(options, results=results, data_dir=data_dir, **settings)
    suite, studies = load_suite(manifest, options.overrides(), options.max_runs)
    execution = options.execution_over(suite_execution(suite))
    return run_studies(studies, options=dataclasses.replace(options, execution=execution, jobs=None), display=display)


def suite_execution(suite: SuiteConfig, jobs: int = 1) -> Execution:
    """The manifest's execution settings; `jobs` where it sets none (the command line: the cores)."""
    return Execution(jobs=suite.jobs or jobs, executor=suite.executor, ray_address=suite.ray_address)


def _require_clean() -> None:
    """require_clean: a run made from uncommitted code cannot be repeated from any commit."""
    from .errors import NnlabError
    from .provenance import git_state

    state = git_state()
    if state["commit"] is None:
        raise NnlabError("--require-clean: nnlab is not running from a git checkout, so no commit would "
                         "repeat these runs; install it editable from a clone (make install)")
    if state["dirty"]:
        raise NnlabError(f"--require-clean: the checkout at {state['commit'][:12]} has uncommitted changes "
                         "(git status): commit them first, so that every run repeats from its commit")


def reproduce_runs(results: str | Path = "results", sample: int | None = None, sample_seed: int = 0,
                   scratch: str | Path | None = None, data_dir: str | None = None, execution: Execution | None = None,
                   quiet: bool = False, display: progress.Display | None = None):
    """Train recorded runs again from their own config and seed (`sample` of them, drawn with
    `sample_seed`; all by default) into `scratch` (a temporary folder, removed after, by default), and
    judge each against what `results` recorded (nnlab.reproduce). Returns (findings, skipped lines)."""
    import tempfile

    from . import reproduce

    reproduce.check_sample(sample)
    recorded, skipped = reproduce.plan(Path(results), sample, sample_seed)
    if not recorded:
        raise reproduce.NnlabError(f"{results} holds no finished, tested run to repeat"
                                   + (f" ({'; '.join(skipped)})" if skipped else ""))
    data_dir = data_dir if data_dir is not None else os.environ.get("NNLAB_DATA_DIR") or None
    data_dir = str(Path(data_dir).absolute()) if data_dir else None
    execution = execution or Execution()
    display = display or progress.choose(quiet, False)
    with contextlib.ExitStack() as stack:
        root = Path(scratch).absolute() if scratch else Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="nnlab-reproduce-")))
        run_files.check_writable(root)
        root.mkdir(parents=True, exist_ok=True)
        contexts = [RunContext.of(r.study, r.variant, r.seed, root, data_dir, f"[{k}/{len(recorded)}] {r.name}")
                    for k, r in enumerate(recorded, 1)]
        display.expect(len(contexts))
        threads = recorded[0].variant.config.threads
        with display, execution.pool(display, root, len(contexts), threads) as pool:
            futures = [pool.submit(run_guarded, c, pool.echo) for c in contexts]
            outcomes = [outcome_of(f, pool, c) for f, c in zip(futures, contexts)]
            pool.settle()
        findings = [reproduce.judge(r, o.metrics or {"status": o.status}, c.folder, _environment_of(c.folder))
                    for r, o, c in zip(recorded, outcomes, contexts)]
    return findings, skipped


def _environment_of(folder: Path) -> dict | None:
    import json

    try:
        return json.loads((folder / "provenance.json").read_text()).get("environment")
    except (OSError, ValueError):
        return None


def write_report(results: str | Path = "results", warn=None, patterns: list[str] | tuple[str, ...] = (),
                 lang: str = "en", references: list[str | Path] | tuple[str | Path, ...] = ()) -> tuple[Path, Path]:
    """report.md and a self-contained report.html from every run under `results`; `warn(text)` hears
    of each damaged run left out and each section that could not be written. `patterns` (-k): only
    the variants they match (nnlab.variant_filter); the report's front page names them. `lang`: "zh"
    writes report.zh.md, report.zh.html and site/zh/ instead, the same numbers in Chinese. Defaults
    to "en". `references`: files of figures from a notebook (nnlab.reference_file), each checked in its
    study's claims table beside the config's own; none by default."""
    return report.build(Path(results), warn=warn, patterns=tuple(patterns), lang=lang,
                        references=tuple(Path(p) for p in references))



def _print_table(outcomes: list[RunOutcome], write) -> None:
    write(f"{'variant':<24} {'seed':>4} {'status':>8} {'best epoch':>10} {'val acc':>8} {'test acc':>8} {'test loss':>9}")
    for o in outcomes:
        m = o.metrics or {}
        if o.status != "ok" or "best_epoch" not in m:
            write(f"{o.variant:<24} {o.seed:>4} {o.status:>8}")
            continue
        write(f"{o.variant:<24} {o.seed:>4} {o.status:>8} {m['best_epoch']:>10} {m['best_val_accuracy']:>8.4f} "
              f"{m['test_accuracy']:>8.4f} {m['test_loss']:>9.4f}")
