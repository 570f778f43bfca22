"""What is on disk is what was recorded (as `git fsck` checks a repository): the full checks of one
run folder, and what happens to a damaged one. The reading half (parse, checksums, move aside) is
nnlab.records; this adds the rules that need the schemas and the kinds.

    check_run(folder)                 no damage (nnlab.records); the run key matches the recorded
                                      config, seed and dataset; metrics.json holds what its kind
                                      records (kinds/<kind>/record.py: FIELDS) and obeys its kind's
                                      rules (check: the best epoch is what the selection rule gives on
                                      the recorded curve, the test figures and the figures exist)
    completed_metrics(folder, key)    a finished run's metrics, or None: a damaged run is made
                                      unfinished (its damaged files moved aside, kept) to be redone

`nnlab run` checks a finished run before skipping it, and `nnlab verify` (nnlab/verify.py) checks
every run folder under a results folder. Nothing here imports TensorFlow.
"""

from __future__ import annotations

from pathlib import Path

from . import kinds, results
from .config import config_of
from .errors import NnlabError
from .provenance import run_key
from .records import Problem, inspect, move_aside


def check_run(folder: Path) -> tuple[dict | None, list[Problem]]:
    """A finished run's metrics (None when metrics.json cannot be read) and its problems, [] when
    everything on disk is what the run recorded and obeys its kind's rules."""
    metrics, parsed, problems = inspect(folder)
    if metrics is None or problems:  # the rules below read these files: their complaints would only repeat these
        return metrics, problems
    problems += _key_problems(folder, metrics, parsed.get("provenance.json"))
    kind = kinds.of_record(metrics)
    if kind is None:
        return metrics, problems + [Problem(results.METRICS, f"names kind '{metrics.get('kind')}', which nnlab does not know")]
    trial = is_trial(folder, metrics)
    missing = kind.missing(metrics, trial)
    if missing:
        return metrics, problems + [Problem(results.METRICS, f"lacks what a {kind.name} run records: {', '.join(missing)}")]
    problems += [Problem(file, what) for file, what in kind.record.check(folder, metrics, parsed, trial)]
    return metrics, problems


def is_trial(folder: Path, metrics: dict) -> bool:
    """Whether a run is a search's trial, as its metrics record it; runs recorded before they said so
    tell it by their place (results/<study>/trials/<trial>/seed-<n>/)."""
    recorded = metrics.get("trial")
    return recorded if isinstance(recorded, bool) else results.in_trials(folder)


def _key_problems(folder: Path, metrics: dict, provenance: object) -> list[Problem]:
    """The run key, computed again from the config, seed and dataset recorded in provenance.json,
    must be the key the metrics were recorded under."""
    if not isinstance(provenance, dict):
        return [Problem("provenance.json", "is missing: what made the run is unknown")]
    try:
        config = config_of(provenance["config"])
        seed, dataset = provenance["seed"], provenance.get("dataset")
        run_format = provenance["environment"]["run_format"]
    except (KeyError, TypeError, NnlabError) as exc:
        return [Problem("provenance.json", f"does not describe a run nnlab can repeat ({exc})")]
    trial = is_trial(folder, metrics)
    # Runs recorded before kinds had revisions were all of their kind's first.
    key = run_key(config, seed, dataset["sha256"] if dataset else "no dataset", trial, run_format,
                  provenance.get("kind_revision", 1))
    problems = []
    if provenance.get("run_key") != metrics["run_key"]:
        problems.append(Problem(results.METRICS, f"run_key {metrics['run_key']} is not provenance.json's {provenance.get('run_key')}"))
    if key != metrics["run_key"]:
        problems.append(Problem(results.METRICS, f"run_key {metrics['run_key']} does not match the recorded config, "
                                                 f"seed and dataset (they give {key})"))
    if metrics.get("seed") not in (None, seed):
        problems.append(Problem(results.METRICS, f"seed {metrics['seed']} is not the recorded seed {seed}"))
    if folder.name != f"seed-{seed}":
        problems.append(Problem("", f"holds the run of seed {seed}, not of its folder's name"))
    return problems


def completed_metrics(folder: Path, key: str, warn=None) -> dict | None:
    """The metrics of a finished run with this key, None if it is unfinished. A finished run of
    another key is refused (RunFolderTaken: the user chooses). A damaged one (a file that does not
    parse or differs from what the run recorded) is made unfinished: the damaged files and
    metrics.json are moved aside, `warn(text)` says so, and None sends the run to be redone."""
    if not (folder / results.METRICS).is_file():
        return None
    metrics, problems = check_run(folder)
    if metrics is not None and metrics["run_key"] != key:
        raise results.RunFolderTaken(
            f"{folder} holds a finished run with another config, dataset or nnlab run format "
            f"(key {metrics['run_key']}, now {key}); it is kept as it is. "
            "Use --force to replace it, or --results to write elsewhere.")
    if not problems:
        return metrics
    moved = move_aside(folder, [p.file for p in problems if p.file] + [results.METRICS])
    if warn:
        warn(f"damaged: {'; '.join(p.what if not p.file else f'{p.file} {p.what}' for p in problems)}. "
             f"Kept as {', '.join(moved)}; the run is redone.")
    return None
