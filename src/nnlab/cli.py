"""The `nnlab` command line: run, suite, list, validate, show and report."""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

import click

from . import __version__, process
from .config import DEFAULT_MAX_RUNS, load_study
from .errors import MissingExtra, NnlabError, StorageError, write_error_log
from .specs import MAX_SEEDS

CONFIG = click.argument("configs", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
RESULTS = click.option("--results", "results_dir", default="results", show_default=True,
                       type=click.Path(file_okay=False, path_type=Path), help="Folder the run folders go in.")
DATA_DIR = click.option("--data-dir", type=click.Path(file_okay=False), envvar="NNLAB_DATA_DIR", show_envvar=True,
                        help="Folder holding Keras-format imdb.npz, reuters.npz, mnist.npz. "
                             "Default: Keras' cache (~/.keras/datasets), downloading if needed.")
SUBSET = click.option("--subset", type=click.IntRange(min=1),
                      help="Keep only the first N train and N test examples (smoke runs).")
EPOCHS = click.option("--epochs", type=click.IntRange(min=1), help="Override the epochs of every variant.")
FORCE = click.option("--force", is_flag=True, help="Re-run runs that already have complete results.")
JOBS = click.option("--jobs", type=click.IntRange(min=1), default=None,
                    help="Train N runs at once in N worker processes that share the cores. Default 1 "
                         "(a suite manifest may set jobs:). Results are the same whatever N.")
EXECUTOR = click.option("--executor", type=click.Choice(["local", "ray"]), default=None,
                        help="local: this machine (with --jobs); ray: a Ray task per run, on the cluster at "
                             "--ray-address or on a local Ray started for the command. Default local "
                             "(a suite manifest may set executor:).")
RAY_ADDRESS = click.option("--ray-address", envvar="RAY_ADDRESS", show_envvar=True, default=None,
                           help="A running Ray cluster (auto, host:6379 or ray://host:10001). Default: a local Ray.")
CPUS = click.option("--cpus-per-run", type=click.FloatRange(min=0, min_open=True), default=1, show_default=True,
                    help="Ray: CPUs each run declares (and the TensorFlow threads it uses).")
QUIET = click.option("--quiet", "-q", is_flag=True, help="Print only each study's summary table, nothing while runs train.")
VERBOSE = click.option("--verbose", "-v", is_flag=True,
                       help="Let TensorFlow print to the terminal (by default it goes to each run's tensorflow.log).")
GPUS = click.option("--gpus-per-run", type=click.FloatRange(min=0), default=0, show_default=True,
                    help="Ray: GPUs each run declares (Ray shows the run only those).")
MAX_RUNS = click.option("--max-runs", type=click.IntRange(min=1), default=DEFAULT_MAX_RUNS, show_default=True,
                        help="Refuse a study of more runs than this (variants x seeds, or a search's trials and tested "
                             "runs), counted before anything is expanded: a slip in a grid can ask for millions.")


def execution_options(command):
    """Where and how runs execute, and what the console shows: the same for `run` and `suite`."""
    for option in reversed((JOBS, EXECUTOR, RAY_ADDRESS, CPUS, GPUS, QUIET, VERBOSE)):
        command = option(command)
    return command


class NotInstalled(click.ClickException):
    """An optional extra that is not installed: one line saying how to install it, exit status 2."""

    exit_code = 2


def _execution(jobs, executor, ray_address, cpus_per_run, gpus_per_run, quiet, verbose, manifest=None) -> dict:
    if verbose:
        os.environ["NNLAB_VERBOSE"] = "1"  # read where runs train: this process, its workers, Ray's
    return {"jobs": jobs or (manifest.jobs if manifest else 1), "executor": executor or (manifest.executor if manifest else "local"),
            "ray_address": ray_address or (manifest.ray_address if manifest else None),
            "cpus_per_run": cpus_per_run, "gpus_per_run": gpus_per_run, "quiet": quiet, "verbose": verbose}


def _overrides(subset: int | None, epochs: int | None, seeds: int | None = None) -> dict:
    out = {}
    if seeds is not None:
        out["seeds"] = list(range(seeds))
    if subset is not None:
        out["dataset.subset"] = subset
    if epochs is not None:
        out["epochs"] = epochs
    return out


def _load_all(configs, overrides=None, max_runs=DEFAULT_MAX_RUNS):
    try:
        return [load_study(path, overrides, max_runs) for path in configs]
    except NnlabError as exc:
        raise click.ClickException(str(exc)) from None


class Unexpected(click.ClickException):
    """A fault in nnlab itself (a bug, or a case it does not know): one line and where the full
    traceback was written, exit status 70 (EX_SOFTWARE)."""

    exit_code = 70


class Main(click.Group):
    """The nnlab command. No command ends in a raw traceback: nnlab's own errors are one line (exit 1),
    any other exception is one line naming it and a log file holding the traceback (`--debug` prints
    the traceback instead), and a closed pipe (`nnlab list ... | head`) ends quietly."""

    def make_context(self, info_name, args, parent=None, **extra):
        command_line = [info_name or "nnlab", *args]  # before click consumes them: for the error log
        ctx = super().make_context(info_name, args, parent, **extra)
        ctx.meta["nnlab.command_line"] = command_line
        return ctx

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort, KeyboardInterrupt):
            raise
        except NnlabError as exc:
            raise click.ClickException(str(exc)) from None
        except BrokenPipeError:
            # The reader went away: nothing more can be shown, and Python's own flush at exit would
            # complain about the same pipe, so stdout goes to /dev/null first.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(1)
        except Exception as exc:
            if ctx.params.get("debug"):
                raise
            log = _error_log(exc, ctx.meta.get("nnlab.command_line", sys.argv))
            where = f"the full traceback is in {log}" if log else "no log file could be written"
            raise Unexpected(f"nnlab failed unexpectedly: {type(exc).__name__}: {exc}\n"
                             f"  {where}; `nnlab --debug ...` prints it here. Finished runs are intact.") from None


def _error_log(exc: BaseException, command_line: list[str]) -> Path | None:
    return write_error_log(exc, f"command: {' '.join(command_line)}")


@click.group(cls=Main, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="nnlab")
@click.option("--debug", is_flag=True, envvar="NNLAB_DEBUG",
              help="On an unexpected error, print the full traceback instead of writing it to a log file.")
def main(debug):
    """Reproducible neural-network studies: every variant of an exercise, one command."""
    process.set_up()


@main.command()
@CONFIG
@RESULTS
@DATA_DIR
@SUBSET
@EPOCHS
@click.option("--seeds", type=click.IntRange(min=1, max=MAX_SEEDS),
              help="Run every variant with seeds 0..N-1 instead of the config's seeds.")
@FORCE
@MAX_RUNS
@execution_options
def run(configs, results_dir, data_dir, subset, epochs, seeds, force, max_runs, jobs, executor, ray_address, cpus_per_run,
        gpus_per_run, quiet, verbose):
    """Run every variant of each study CONFIG: train with validation, pick the best epoch,
    retrain on the full training set, test, and write results. A study with a search: block
    searches its space on the validation split, then retrains and tests the settings it chose.

    Finished runs are skipped, so running the same command again after a crash or Ctrl-C
    resumes where it stopped. Exits non-zero if any run failed or diverged."""
    studies = _load_all(configs, _overrides(subset, epochs, seeds), max_runs)  # every config is checked before any training
    _run_studies(studies, results_dir, data_dir, force,
                 _execution(jobs, executor, ray_address, cpus_per_run, gpus_per_run, quiet, verbose))


def _pool(execution: dict, display):
    from .executors import InlinePool, process_pool
    from .ray_executor import ray_pool

    if execution["executor"] == "ray":
        return ray_pool(execution["ray_address"], execution["cpus_per_run"], execution["gpus_per_run"], display)
    if execution["jobs"] > 1:
        return process_pool(execution["jobs"], display)
    return contextlib.nullcontext(InlinePool(display))


def _run_studies(studies, results_dir: Path, data_dir, force: bool, execution: dict) -> None:
    from . import progress
    from .runner import NOT_OK, preflight, run_study
    from .search.driver import run_search

    # Ray's workers may start elsewhere: every path they are given is absolute (and must be shared).
    results_dir = results_dir.absolute()
    data_dir = str(Path(data_dir).absolute()) if data_dir else None
    display = progress.choose(execution["quiet"], execution["verbose"])
    problems = []
    try:
        preflight(studies, results_dir, data_dir)  # a fault of the last study must not wait for the first to train
        display.expect(sum(_run_count(study) for study in studies))
        with display, _pool(execution, display) as pool:
            where = f", on Ray ({pool.capacity} at a time)" if execution["executor"] == "ray" else (
                f", {pool.capacity} at a time" if pool.capacity > 1 else "")
            for i, study in enumerate(studies, 1):
                display.line(f"== study {i}/{len(studies)} {study.name}: {_what_runs(study)} ({study.path}){where}")
                outcomes = (run_search if study.search else run_study)(study, results_dir, pool, data_dir, force)
                pool.settle()
                _print_table(outcomes, display.summary)
                display.summary(f"results: {results_dir / study.name}")
                problems += [f"{study.name}/{o.variant} seed {o.seed}: {o.status}" for o in outcomes if o.status in NOT_OK]
    except KeyboardInterrupt:
        click.echo(f"\nStopped (Ctrl-C): {display.finished} run(s) finished in this command"
                   + (f", {display.skipped} were already complete" if display.skipped else "")
                   + "; runs in flight were left unfinished (nothing recorded for them). "
                   "Run the same command again to resume.", err=True)
        sys.exit(130)
    except StorageError as exc:
        advice = f"{exc.advice[0].upper()}{exc.advice[1:]}, then run" if exc.advice else "Run"
        raise click.ClickException(f"{exc.message}. Runs finished before it are intact; nothing half-written was "
                                   f"kept. {advice} the same command again to resume.") from None
    except MissingExtra as exc:
        raise NotInstalled(str(exc)) from None
    except NnlabError as exc:
        raise click.ClickException(str(exc)) from None
    if problems:
        raise click.ClickException(f"{len(problems)} run(s) did not finish ok:\n  " + "\n  ".join(problems))


def _run_count(study) -> int:
    """Runs a study will show on the bar: each variant x its seeds, or a search's trials and two tested variants."""
    if study.search:
        return study.search.budget + 2 * len(study.seeds)
    return sum(len(variant.config.seeds) for variant in study.variants)


@main.command()
@click.argument("manifest", type=click.Path(dir_okay=False, path_type=Path))
@RESULTS
@DATA_DIR
@SUBSET
@EPOCHS
@FORCE
@MAX_RUNS
@execution_options
def suite(manifest, results_dir, data_dir, subset, epochs, force, max_runs, jobs, executor, ray_address, cpus_per_run,
          gpus_per_run, quiet, verbose):
    """Run every study of a suite MANIFEST (experiments/*.yaml) with the suite's seeds.

    Like `run`, it skips finished runs, so re-running after an interruption resumes."""
    from .suites import load_suite

    try:
        spec, studies = load_suite(manifest, _overrides(subset, epochs), max_runs)
    except NnlabError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"suite {spec.name}: {len(studies)} studies, seeds {spec.seed_list}, "
               f"{sum(_run_count(s) for s in studies)} runs")
    _run_studies(studies, results_dir, data_dir, force,
                 _execution(jobs, executor, ray_address, cpus_per_run, gpus_per_run, quiet, verbose, spec))


@main.command()
@RESULTS
def report(results_dir):
    """Write report.md and a self-contained report.html from every run under the results folder."""
    from .report import build

    try:
        md_path, html_path = build(results_dir, warn=lambda text: click.echo(f"warning: {text}", err=True))
    except NnlabError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"wrote {md_path} and {html_path}")


@main.command()
@click.argument("results_a", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("results_b", type=click.Path(exists=True, file_okay=False, path_type=Path))
def diff(results_a, results_b):
    """Compare the studies of two results folders (RESULTS_A, RESULTS_B) variant by variant: test
    accuracy side by side, the difference B - A with its 95% CI over seeds, and whether it is within
    seed noise; then on how many runs (same seed) B reproduces A exactly. For after a version, a
    machine or a setting changed. A study without run folders is read from its summary.csv, so either
    side may be the committed report: `nnlab diff results MY_RESULTS`."""
    from .diff import diff_lines

    try:
        lines = diff_lines(results_a, results_b)
    except NnlabError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo("\n".join(lines))


@main.command()
@click.argument("results_dir", metavar="RESULTS", default="results",
                type=click.Path(exists=True, file_okay=False, path_type=Path))
def verify(results_dir):
    """Check every run folder under RESULTS (default: results), as `git fsck` checks a repository:
    every file parses and matches the sha256 the run recorded, each run key matches the recorded
    config, seed and dataset, each best epoch is what the selection rule gives on the recorded
    curve, finished runs have their test figures and figures. One line per problem; exits 1 if any."""
    from .verify import check_results, report_lines

    verdict = check_results(results_dir)
    click.echo("\n".join(report_lines(results_dir, verdict)))
    if verdict.problems:
        sys.exit(1)


@main.command()
@click.argument("run_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
def show(run_dir):
    """Print what made the run in RUN_DIR (provenance) and what it measured, for any kind of run;
    a damaged file is named, and the rest is still shown."""
    from .show import show_lines

    try:
        click.echo("\n".join(show_lines(run_dir)))
    except NnlabError as exc:
        raise click.ClickException(str(exc)) from None


@main.command(name="list")
@CONFIG
@MAX_RUNS
def list_variants(configs, max_runs):
    """Print the variants each study CONFIG expands to."""
    for study in _load_all(configs, max_runs=max_runs):
        click.echo(f"{study.name} ({study.path}): {len(study.variants)} variants, seeds {study.seeds}")
        if study.search:
            click.echo(f"  {_what_runs(study)}; space:")
            for key, values in study.search.space.items():
                click.echo(f"  {key:<28} {values if isinstance(values, list) else values.model_dump(exclude_defaults=True)}")
        for variant in study.variants:
            changes = ", ".join(f"{k}={v}" for k, v in variant.overrides.items()) or "(base config)"
            mark = "  [baseline]" if variant.id == study.baseline else ""
            click.echo(f"  {variant.id:<28} {changes}{mark}")


@main.command()
@CONFIG
@MAX_RUNS
def validate(configs, max_runs):
    """Check each study CONFIG without training."""
    for study in _load_all(configs, max_runs=max_runs):
        click.echo(f"{study.path}: ok ({_what_runs(study)})")


def _what_runs(study) -> str:
    if study.search:
        return (f"a {study.search.strategy} search of {study.search.budget} trials, then the chosen settings and the "
                f"baseline x {len(study.seeds)} seeds")
    return f"{len(study.variants)} variants x {len(study.seeds)} seeds"


def _print_table(outcomes, write=click.echo) -> None:
    write(f"{'variant':<24} {'seed':>4} {'status':>8} {'best epoch':>10} {'val acc':>8} {'test acc':>8} {'test loss':>9}")
    for o in outcomes:
        m = o.metrics or {}
        if o.status != "ok" or "best_epoch" not in m:
            write(f"{o.variant:<24} {o.seed:>4} {o.status:>8}")
            continue
        write(f"{o.variant:<24} {o.seed:>4} {o.status:>8} {m['best_epoch']:>10} {m['best_val_accuracy']:>8.4f} "
                   f"{m['test_accuracy']:>8.4f} {m['test_loss']:>9.4f}")


if __name__ == "__main__":
    sys.exit(main())
