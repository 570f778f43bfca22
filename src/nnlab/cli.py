"""The `nnlab` command line: run, list and validate studies."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from . import __version__
from .config import load_study
from .errors import NnlabError

CONFIG = click.argument("configs", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))


def _overrides(subset: int | None, epochs: int | None) -> dict:
    out = {}
    if subset is not None:
        out["dataset.subset"] = subset
    if epochs is not None:
        out["epochs"] = epochs
    return out


def _load_all(configs, overrides=None):
    try:
        return [load_study(path, overrides) for path in configs]
    except NnlabError as exc:
        raise click.ClickException(str(exc)) from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="nnlab")
def main():
    """Reproducible neural-network studies: every variant of an exercise, one command."""


@main.command()
@CONFIG
@click.option("--results", "results_dir", default="results", show_default=True,
              type=click.Path(file_okay=False, path_type=Path), help="Folder the run folders go in.")
@click.option("--data-dir", type=click.Path(file_okay=False), envvar="NNLAB_DATA_DIR", show_envvar=True,
              help="Folder holding Keras-format imdb.npz, reuters.npz, mnist.npz. "
                   "Default: Keras' cache (~/.keras/datasets), downloading if needed.")
@click.option("--subset", type=click.IntRange(min=1), help="Keep only the first N train and N test examples (smoke runs).")
@click.option("--epochs", type=click.IntRange(min=1), help="Override the epochs of every variant.")
@click.option("--force", is_flag=True, help="Re-run runs that already have complete results.")
def run(configs, results_dir, data_dir, subset, epochs, force):
    """Run every variant of each study CONFIG: train with validation, pick the best epoch,
    retrain on the full training set, test, and write results."""
    studies = _load_all(configs, _overrides(subset, epochs))  # every config is checked before any training
    from .runner import run_study  # TensorFlow loads only once there is something to train

    try:
        for study in studies:
            click.echo(f"== {study.name}: {len(study.variants)} variants x {len(study.seeds)} seeds ({study.path})")
            outcomes = run_study(study, results_dir, data_dir=data_dir, force=force, echo=click.echo)
            _print_table(outcomes)
            click.echo(f"results: {results_dir / study.name}")
    except NnlabError as exc:
        raise click.ClickException(str(exc)) from None


@main.command(name="list")
@CONFIG
def list_variants(configs):
    """Print the variants each study CONFIG expands to."""
    for study in _load_all(configs):
        click.echo(f"{study.name} ({study.path}): {len(study.variants)} variants, seeds {study.seeds}")
        for variant in study.variants:
            changes = ", ".join(f"{k}={v}" for k, v in variant.overrides.items()) or "(base config)"
            mark = "  [baseline]" if variant.id == study.baseline else ""
            click.echo(f"  {variant.id:<28} {changes}{mark}")


@main.command()
@CONFIG
def validate(configs):
    """Check each study CONFIG without training."""
    for study in _load_all(configs):
        click.echo(f"{study.path}: ok ({len(study.variants)} variants x {len(study.seeds)} seeds)")


def _print_table(outcomes) -> None:
    click.echo(f"{'variant':<24} {'seed':>4} {'best epoch':>10} {'val acc':>8} {'test acc':>8} {'test loss':>9}")
    for o in outcomes:
        m = o.metrics
        click.echo(f"{o.variant:<24} {o.seed:>4} {m['best_epoch']:>10} {m['best_val_accuracy']:>8.4f} "
                   f"{m['test_accuracy']:>8.4f} {m['test_loss']:>9.4f}")


if __name__ == "__main__":
    sys.exit(main())
