"""The `nnlab` command line (the classroom's assign, submit and grade are cli_classroom's). Click only:
options, messages and exit codes, over nnlab.api (what a notebook calls too). The commands that
train or report import their machinery when they run, so `nnlab validate` and `nnlab list` load
the schemas alone (no TensorFlow, matplotlib or report code) and answer in well under a second."""

from __future__ import annotations

import dataclasses
import os
import sys
from pathlib import Path

import click

from . import cli_classroom, process, variant_filter
from ._version import __version__
from .cli_options import (
    CONFIG,
    DATA_DIR,
    JOBS,
    KEYWORD,
    MAX_RUNS,
    QUIET,
    RESULTS,
    Shipped,
    cores,
    load_all,
    loaded,
    run_options,
    say_notes,
    selected,
)
from .config import load_study
from .errors import MissingExtra, NnlabError, StorageError, write_error_log
from .suites import load_suite


class NotInstalled(click.ClickException):
    """An optional extra that is not installed: one line saying how to install it, exit status 2."""

    exit_code = 2


class Unexpected(click.ClickException):
    """A fault in nnlab itself (a bug, or a case it does not know): one line and where the full
    traceback was written, exit status 70 (EX_SOFTWARE)."""

    exit_code = 70


class Main(click.Group):
    """The nnlab command, and the one place its errors become exit statuses. No command ends in a raw
    traceback: nnlab's own errors are one line (exit 1; an optional extra not installed: 2; a storage
    fault says that finished runs are intact), Ctrl-C during runs says how many finished (130),
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
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except KeyboardInterrupt:
            display = ctx.meta.get("nnlab.display")
            if display is None:
                raise
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
@run_options("Run every variant with seeds 0..N-1 instead of the config's seeds.")
def run(configs, options):
    """Run every variant of each study CONFIG (a path, or a shipped study's name: reuters_units;
    `nnlab init` copies them out to edit): train with validation, pick the best epoch,
    retrain on the full training set, test, and write results. A study with a search: block
    searches its space on the validation split, then retrains and tests the settings it chose.

    Finished runs are skipped, so running the same command again after a crash or Ctrl-C
    resumes where it stopped. Exits non-zero if any run failed or diverged."""
    from .api import Execution

    studies = selected(load_all(configs, options.max_runs, **_overriding(options)), options.only)  # all checked before any trains
    _run(studies, options.execution_over(Execution(jobs=cores())), options)


@main.command()
@click.argument("manifest", type=Shipped("experiments"))
@run_options("Run every study with seeds 0..N-1 instead of the suite's seeds (a smoke run's 2, say).")
def suite(manifest, options):
    """Run every study of a suite MANIFEST (experiments/*.yaml, or a shipped suite's name: chapter3)
    with the suite's seeds.

    Like `run`, it skips finished runs, so re-running after an interruption resumes."""
    from .api import suite_execution

    spec, studies = loaded(lambda overrides: load_suite(manifest, overrides, options.max_runs), **_overriding(options))
    say_notes(studies)
    studies = selected(studies, options.only)
    click.echo(f"suite {spec.name}: {len(studies)} studies, seeds {studies[0].seeds if studies else spec.seed_list}, "
               f"{sum(s.run_count for s in studies)} runs")
    _run(studies, options.execution_over(suite_execution(spec, jobs=cores())), options)


def _overriding(options) -> dict:
    """The options that change what a config asks for, by their flags' names (for _loaded's blame)."""
    return {"subset": options.subset, "epochs": options.epochs, "seeds": options.seeds, "threads": options.threads, "trials": options.trials}


def _run(studies, execution, options) -> None:
    """nnlab.api.run_studies on loaded studies; a run that did not end ok makes the exit status 1.
    Its faults and Ctrl-C are Main.invoke's, which the display tells how many runs finished."""
    from . import progress
    from .api import run_studies

    display = progress.choose(options.quiet, options.verbose)
    click.get_current_context().meta["nnlab.display"] = display
    done = run_studies(studies, options=dataclasses.replace(options, execution=execution, jobs=None), display=display)
    problems = [f"{study.name}/{o.variant} seed {o.seed}: {o.status}" for study in done for o in study.not_ok]
    if problems:
        raise click.ClickException(f"{len(problems)} run(s) did not finish ok:\n  " + "\n  ".join(problems))


@main.command()
@click.argument("results_dir", metavar="RESULTS", default="results",
                type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--sample", type=click.IntRange(min=1), default=None,
              help="Repeat K runs drawn at random (with --sample-seed), not all of them.")
@click.option("--sample-seed", type=int, default=0, show_default=True, help="Draws the sample: the same K runs each time.")
@click.option("--scratch", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Keep the repeated runs in this folder (resumes there). Default: a temporary folder, removed after.")
@DATA_DIR
@JOBS
@QUIET
def reproduce(results_dir, sample, sample_seed, scratch, data_dir, jobs, quiet):
    """Train the runs recorded under RESULTS again, each from its own config and seed, and say per run:
    identical to the last bit; differs in the last digits (the largest difference, and the provenance
    field that differs: CPU, oneDNN, versions, threads); or DIFFERS BEYOND SEED NOISE. Where only
    summary.csv is kept (the committed report), its runs are repeated from the shipped config of the
    same name. Exits 1 only if a run differs beyond seed noise or fails to finish."""
    from . import reproduce as judging
    from .api import Execution, reproduce_runs

    findings, skipped = reproduce_runs(results_dir, sample, sample_seed, scratch, data_dir,
                                       Execution(jobs or cores()), quiet)
    for finding in findings:
        click.echo(finding.text)
    for line in skipped:
        click.echo(f"not repeated: {line}")
    click.echo(judging.summary_line(findings))
    if any(f.state in ("beyond noise", "failed") for f in findings):
        sys.exit(1)


@main.command()
@RESULTS
@KEYWORD
@click.option("--lang", type=click.Choice(["en", "zh"]), default="en", show_default=True,
              help="The report's language: zh writes report.zh.md, report.zh.html and site/zh/ beside the English "
                   "report, the same numbers in the course's Chinese.")
@click.option("--references", "reference_files", multiple=True, type=click.Path(path_type=Path), metavar="FILE",
              help="A YAML file of figures from your own notebook (source:, figures: [{study, variant, best_epoch, "
                   "test_accuracy, ...}]), each checked in its study's claims table beside the config's own. Repeatable.")
def report(results_dir, patterns, lang, reference_files):
    """Write report.md and a self-contained report.html from every run under the results folder
    (with -k, of the matching variants only; the report says which it holds)."""
    from .api import write_report

    md_path, html_path = write_report(results_dir, warn=lambda text: click.echo(f"warning: {text}", err=True),
                                      patterns=patterns, lang=lang, references=reference_files)
    click.echo(f"wrote {md_path} and {html_path}")
    from .reference_file import summary

    for path in reference_files:
        click.echo(summary(path))


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

    lines = diff_lines(results_a, results_b)
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

    click.echo("\n".join(show_lines(run_dir)))


@main.command(name="list")
@CONFIG
@MAX_RUNS
@KEYWORD
def list_variants(configs, max_runs, patterns):
    """Print the variants each study CONFIG expands to (with -k, the matching ones)."""
    for study in selected(load_all(configs, max_runs=max_runs), patterns):
        shown = f" ({len(study.selected)} matching -k)" if study.patterns else ""
        click.echo(f"{study.name} ({study.path}): {len(study.variants)} variants{shown}, seeds {study.seeds}")
        if study.search:
            click.echo(f"  {study.what_runs()}; space:")
            for key, values in study.search.space.items():
                click.echo(f"  {key:<28} {values if isinstance(values, list) else values.model_dump(exclude_defaults=True)}")
        for variant in study.selected:
            changes = ", ".join(f"{k}={v}" for k, v in variant.overrides.items()) or "(base config)"
            mark = "  [baseline]" if variant.id == study.baseline else ""
            click.echo(f"  {variant.id:<28} {changes}{mark}")


@main.command()
@click.argument("results_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("config", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@KEYWORD
@click.option("--json", "as_json", is_flag=True, help="Print the states as JSON: counts and one entry per run.")
def status(results_dir, config, patterns, as_json):
    """What RESULTS_DIR holds, per study and variant: finished, diverged, failed, running (another
    process holds the run now), damaged, stale (made from another config) and, given a CONFIG or SUITE
    manifest, pending (asked for but not run). Trains nothing and reads no data; exits 0."""
    import json

    from . import status as run_status

    if config is None:
        states = [s for s in run_status.of_results(results_dir) if variant_filter.matches(s.variant, patterns)]
    else:
        studies = load_suite(config)[1] if "studies" in (_yaml_keys(config)) else [load_study(config)]
        states = run_status.of_studies(results_dir, selected(studies, patterns))
    if as_json:
        click.echo(json.dumps(run_status.as_json(states), indent=1))
    else:
        click.echo("\n".join(run_status.lines(states)))


def _yaml_keys(path: Path) -> set:
    """A manifest lists studies:, a study config does not (read only to tell which one `path` is)."""
    import yaml

    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, ValueError, yaml.YAMLError):  # ValueError: not UTF-8
        return set()  # load_study says what is wrong with it
    return set(data) if isinstance(data, dict) else set()


@main.command()
@click.argument("folder", default=".", type=click.Path(file_okay=False, path_type=Path))
def init(folder):
    """Copy the course's study configs and suites shipped with nnlab into FOLDER/configs and
    FOLDER/experiments (default: here), to edit and run. Refuses to overwrite any file."""
    from .shipped import copy_out, names

    written = copy_out(folder)
    click.echo(f"wrote {len(written)} files under {folder}: configs/ ({len(names('configs'))} studies), "
               f"experiments/ ({len(names('experiments'))} suites) and schema/ (for an editor's completion). "
               f"Try: nnlab run {Path(folder) / 'configs' / 'quickstart.yaml'}")


@main.group()
def export():
    """Finished runs into MLflow or TensorBoard (optional extras: pip install -e '.[export]')."""


@export.command(name="mlflow")
@click.argument("results_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--tracking-uri", default=None, envvar="MLFLOW_TRACKING_URI", show_envvar=True,
              help="Where the runs go: a SQLite file (sqlite:///mlflow.db here, sqlite:////abs/path/mlflow.db) or a "
                   "tracking server (http://host:5000). Default: MLflow's own. Not a folder: recent MLflow keeps its file store in "
                   "maintenance mode and refuses it unless MLFLOW_ALLOW_FILE_STORE=true.")
@click.option("--experiment", default=None, help="One experiment for every run. Default: one per study, nnlab/<study>.")
def export_mlflow(results_dir, tracking_uri, experiment):
    """Every finished run under RESULTS_DIR as an MLflow run: settings as params, per-epoch curves as
    metrics by epoch, test figures, run key and seed as tags, config and figures as artifacts. A run
    already there (the same run key) is skipped, so exporting twice creates nothing twice."""
    from .export import to_mlflow

    done = to_mlflow(results_dir, tracking_uri, experiment, warn=lambda text: click.echo(f"warning: {text}", err=True),
                     progress=_export_progress)
    click.echo(f"mlflow: {done.created} runs exported, {done.skipped} already there ({done.where})")


@export.command(name="tensorboard")
@click.argument("results_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("log_dir", type=click.Path(file_okay=False, path_type=Path))
def export_tensorboard(results_dir, log_dir):
    """Every finished run under RESULTS_DIR as TensorBoard event files under LOG_DIR/<study>/<variant>/
    seed-<n>: each curve as scalars per epoch, the settings as hparams. `tensorboard --logdir LOG_DIR`."""
    from .export import to_tensorboard

    done = to_tensorboard(results_dir, log_dir, warn=lambda text: click.echo(f"warning: {text}", err=True),
                          progress=_export_progress)
    click.echo(f"tensorboard: {done.created} runs written, {done.skipped} already there ({done.where})")


def _export_progress(done: int, total: int) -> None:
    if done % 50 == 0 or done == total:
        click.echo(f"  {done}/{total} runs", err=True)


@main.command()
@click.argument("what", type=click.Choice(["study", "suite"]), default="study")
def schema(what):
    """Print the JSON Schema of a study config (default) or of a suite manifest.

    An editor with the YAML language server (VS Code's YAML extension, Neovim, Helix) completes and
    checks keys as you type when a file's first line names it:

        # yaml-language-server: $schema=../schema/study.schema.json

    The shipped configs carry that line, and `nnlab init` writes schema/ beside them. Rules that tie
    keys together (a loss the output can give, a conv stack that fits) are `nnlab validate`'s."""
    import json

    from .editor_schema import SCHEMAS

    click.echo(json.dumps(SCHEMAS[what](), indent=1, ensure_ascii=False))


@main.command()
@CONFIG
@MAX_RUNS
def validate(configs, max_runs):
    """Check each study CONFIG without training."""
    for study in load_all(configs, max_runs=max_runs):
        click.echo(f"{study.path}: ok ({study.what_runs()})")


main.add_command(cli_classroom.assign), main.add_command(cli_classroom.submit), main.add_command(cli_classroom.grade)
if __name__ == "__main__":
    sys.exit(main())
