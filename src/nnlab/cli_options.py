"""The flags the `nnlab` commands share, and `run_options`, which hands `run` and `suite` theirs as one
nnlab.api.RunOptions. A new option of a run is a flag here and a field of RunOptions."""

from __future__ import annotations

import functools
import os
from pathlib import Path

import click

from . import variant_filter
from .config import DEFAULT_MAX_RUNS, command_line_overrides, distinct_names, load_study
from .errors import NnlabError
from .spec_tables import MAX_SEEDS


class Shipped(click.ParamType):
    """A config or suite: a path, or the name of one shipped with nnlab (see `nnlab init`)."""

    name = "path-or-name"

    def __init__(self, folder: str):
        self.folder = folder

    def convert(self, value, param, ctx):
        from .shipped import names, resolve

        path = resolve(value, self.folder)
        what = "study" if self.folder == "configs" else "suite"
        if path.is_dir():
            self.fail(f"{value}: is a folder, not a {what} config file; give a .yaml file in it", param, ctx)
        if not path.is_file():
            self.fail(f"{value}: no such file, nor a {what} shipped with nnlab (shipped: {', '.join(names(self.folder))})",
                      param, ctx)
        return path


CONFIG = click.argument("configs", nargs=-1, required=True, type=Shipped("configs"))
RESULTS = click.option("--results", "results_dir", default="results", show_default=True,
                       type=click.Path(file_okay=False, path_type=Path), help="Folder the run folders go in.")
DATA_DIR = click.option("--data-dir", type=click.Path(file_okay=False), envvar="NNLAB_DATA_DIR", show_envvar=True,
                        help="Folder holding Keras-format imdb.npz, reuters.npz, mnist.npz. "
                             "Default: Keras' cache (~/.keras/datasets), downloading if needed.")
SUBSET = click.option("--subset", type=click.IntRange(min=1),
                      help="Keep only the first N train and N test examples (smoke runs).")
EPOCHS = click.option("--epochs", type=click.IntRange(min=1), help="Override the epochs of every variant.")
TRIALS = click.option("--trials", type=click.IntRange(min=1),
                      help="Override a search study's budget: N trials a search (smoke runs; a hand-picked list of "
                           "guesses needs at least N).")
FORCE = click.option("--force", is_flag=True, help="Re-run runs that already have complete results.")
JOBS = click.option("--jobs", type=click.IntRange(min=1), default=None, envvar="NNLAB_JOBS", show_envvar=True,
                    help="Train N runs at once in N worker processes. Default: the cores (a suite manifest may set "
                         "jobs:). The numbers do not depend on it: each run computes with its own --threads.")
THREADS = click.option("--threads", type=click.IntRange(min=1, max=1024), default=None,
                       help="TensorFlow threads each run computes with, instead of the configs' threads: (default 1). "
                            "It changes the last digits, so it is part of each run's key (docs/reproducibility.md: Determinism).")
EXECUTOR = click.option("--executor", type=click.Choice(["local", "threads", "ray"]), default=None,
                        help="local: this machine, --jobs worker processes; threads: --jobs runs side by side in "
                             "this process (one TensorFlow, a process's memory; the numbers of --jobs 1); "
                             "ray: a Ray task per run, on the cluster at "
                             "--ray-address or on a local Ray started for the command. Default local "
                             "(a suite manifest may set executor:).")
RAY_ADDRESS = click.option("--ray-address", envvar="RAY_ADDRESS", show_envvar=True, default=None,
                           help="A running Ray cluster (auto, host:6379 or ray://host:10001). Default: a local Ray.")
CPUS = click.option("--cpus-per-run", type=click.FloatRange(min=0, min_open=True), default=1, show_default=True,
                    help="Ray: CPUs each run declares (its TensorFlow threads are --threads).")
QUIET = click.option("--quiet", "-q", is_flag=True, help="Print only each study's summary table, nothing while runs train.")
VERBOSE = click.option("--verbose", "-v", is_flag=True,
                       help="Let TensorFlow print to the terminal (by default it goes to each run's tensorflow.log).")
GPUS = click.option("--gpus-per-run", type=click.FloatRange(min=0), default=0, show_default=True,
                    help="Ray: GPUs each run declares (Ray shows the run only those).")
KEYWORD = click.option("-k", "patterns", multiple=True, metavar="PATTERN", help=variant_filter.HELP)
MAX_RUNS = click.option("--max-runs", type=click.IntRange(min=1), default=DEFAULT_MAX_RUNS, show_default=True,
                        help="Refuse a study of more runs than this (variants x seeds, or a search's trials and tested "
                             "runs), counted before anything is expanded: a slip in a grid can ask for millions.")


def cores() -> int:
    """The cores this process may use (a container's or taskset's share, not the machine's): --jobs'
    default. Runs side by side, one thread each, use them without changing a number."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


REQUIRE_CLEAN = click.option("--require-clean", is_flag=True,
                              help="Refuse to start unless nnlab runs from a git checkout with no uncommitted changes, "
                                   "so that every run repeats from its commit (`make all-experiments` uses it).")


_OPTION_FIELDS = {"results_dir": "results", "patterns": "only"}  # click's parameter names -> RunOptions'


def run_options(seeds_help: str):
    """The options `run` and `suite` share, given to the command as one nnlab.api.RunOptions
    (`options`): a new option is a flag here and a field there."""
    seeds = click.option("--seeds", type=click.IntRange(min=1, max=MAX_SEEDS), help=seeds_help)
    flags = (RESULTS, DATA_DIR, SUBSET, EPOCHS, TRIALS, seeds, FORCE, MAX_RUNS, KEYWORD, JOBS, THREADS, EXECUTOR, RAY_ADDRESS,
             CPUS, GPUS, REQUIRE_CLEAN, QUIET, VERBOSE)

    def probe():  # the flags' own parameter names, read off click's record of them
        pass
    for flag in flags:
        probe = flag(probe)
    own = {param.name for param in probe.__click_params__}

    def decorate(command):
        @functools.wraps(command)
        def packed(**params):
            from .api import RunOptions  # the runner loads only in the commands that run (module docstring)

            names = [name for name in params if name in own]
            options = RunOptions(**{_OPTION_FIELDS.get(n, n): params.pop(n) for n in names})
            return command(options=options, **params)

        for flag in reversed(flags):
            packed = flag(packed)
        return packed

    return decorate


# --- the configs the commands name, loaded with the flags that change them ---------------------

def load_all(configs, max_runs=DEFAULT_MAX_RUNS, **options):
    studies = [loaded(lambda overrides, path=path: load_study(path, overrides, max_runs), **options) for path in configs]
    studies = distinct_names(studies)
    say_notes(studies)
    return studies


def loaded(load, **options):
    """load(overrides) with the overrides the command line's --subset, --epochs and --seeds give. A
    fault that only an option's value causes (--epochs 99999 where a kind allows 10,000; --seeds N past
    --max-runs) is blamed on that option, not on the config, which loads without it."""
    given = {name: value for name, value in options.items() if value is not None}
    try:
        return load(command_line_overrides(**given))
    except NnlabError as exc:
        fault = str(exc)
    if given and _loads(load, {}):
        culprit = next((name for name, value in given.items() if not _loads(load, command_line_overrides(**{name: value}))),
                       None)
        named = [culprit] if culprit else list(given)
        raise click.BadParameter(f"{' '.join(str(given[n]) for n in named)} does not fit {fault}",
                                 param_hint=" ".join(f"'--{n}'" for n in named))
    raise click.ClickException(fault)


def _loads(load, overrides) -> bool:
    try:
        load(overrides)
    except NnlabError:
        return False
    return True


def say_notes(studies) -> None:
    """What loading changed without refusing (grid cells folded, references left out), once per study."""
    for study in studies:
        for note in study.notes:
            click.echo(f"note: {study.path}: {note}", err=True)



def selected(studies, patterns):
    """The studies with -k applied (each keeps its variants for its summary); none matching is an error."""
    if not patterns:
        return studies
    chosen = [s.selecting(patterns) for s in studies]
    chosen = [s for s in chosen if s.selected]
    if not chosen:
        names = ", ".join(v.id for s in studies for v in s.variants)
        raise click.ClickException(f"-k {' -k '.join(patterns)}: no variant matches; the variants: {names}")
    return chosen
