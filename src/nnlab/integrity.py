"""What is on disk is what was recorded (as `git fsck` checks a repository): the checks of one run
folder, and what happens to a damaged one.

    check_run(folder)                 every file parses; each matches the sha256 recorded when the run
                                      finished; the run key matches the recorded config, seed and
                                      dataset; the kind's own rules (nnlab/kinds/: the best epoch is what
                                      the selection rule gives on the recorded curve, the test figures
                                      and the figures exist)
    completed_metrics(folder, key)    a finished run's metrics, or None: a damaged run is made
                                      unfinished (its damaged files moved aside, kept) to be redone

`nnlab run` checks a finished run before skipping it, `nnlab report` before reading it, and
`nnlab verify` (nnlab/verify.py) checks every run folder under a results folder. Nothing here
imports TensorFlow.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from . import results
from .errors import NnlabError

DAMAGED = ".damaged-"  # a damaged file moved aside: <name>.damaged-<UTC time>, kept for the user
PNG_START, PNG_END = b"\x89PNG\r\n\x1a\n", b"IEND\xaeB`\x82"


@dataclass(frozen=True)
class Problem:
    file: str  # the file's name in the run folder ("" for the run as a whole)
    what: str

    def line(self, folder: Path) -> str:
        return f"{folder / self.file if self.file else folder}: {self.what}"


def is_run_file(path: Path) -> bool:
    """A file a run wrote (not the lock, a temporary a killed writer left, or a file moved aside)."""
    return path.is_file() and not path.name.startswith(".") and DAMAGED not in path.name


def check_run(folder: Path, rules: bool = True) -> tuple[dict | None, list[Problem]]:
    """A finished run's metrics (None when metrics.json cannot be read) and its problems, [] when
    everything on disk is what the run recorded. Without `rules`, only damage: files that do not
    parse or differ from their recorded checksums (what a reader of the numbers must avoid)."""
    metrics, problems = _read_metrics(folder / results.METRICS)
    if metrics is None:
        return None, problems
    parsed: dict[str, object] = {}
    for path in sorted(p for p in folder.iterdir() if is_run_file(p) and p.name != results.METRICS):
        content, problem = parse_file(path)
        if problem:
            problems.append(Problem(path.name, problem))
        else:
            parsed[path.name] = content
    unreadable = {p.file for p in problems}
    problems += [p for p in _checksum_problems(folder, parsed.get(results.CHECKSUMS)) if p.file not in unreadable]
    if problems or not rules:  # the rules below read these files: their complaints would only repeat these
        return metrics, problems
    problems += _key_problems(folder, metrics, parsed.get("provenance.json"))
    from .kinds import KINDS

    kind = KINDS.get(metrics.get("kind", "train"))  # runs made before study kinds existed are training runs
    if kind is None:
        return metrics, problems + [Problem(results.METRICS, f"names kind '{metrics.get('kind')}', which nnlab does not know")]
    trial = folder.parent.parent.name == results.TRIALS
    problems += [Problem(file, what) for file, what in kind.check(folder, metrics, parsed, trial)]
    return metrics, problems


def _read_metrics(path: Path) -> tuple[dict | None, list[Problem]]:
    content, problem = parse_file(path)
    if problem:
        return None, [Problem(path.name, problem)]
    if not isinstance(content, dict) or not isinstance(content.get("run_key"), str) or "status" not in content:
        return None, [Problem(path.name, "is not a run's metrics (no run_key or status)")]
    return content, []


def parse_file(path: Path) -> tuple[object, str | None]:
    """The file's content and None, or None and what is wrong with it."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        return None, f"cannot be read ({exc.strerror})"
    if not data:
        return None, "is empty"
    try:
        if path.suffix == ".json":
            return json.loads(data), None
        if path.suffix == ".yaml":
            return yaml.safe_load(data), None
    except (ValueError, yaml.YAMLError) as exc:
        return None, f"does not parse ({type(exc).__name__}: {str(exc).splitlines()[0]})"
    if path.suffix == ".png" and not (data.startswith(PNG_START) and data.endswith(PNG_END)):
        return None, "is not a whole PNG image (truncated or damaged)"
    if path.name == results.CHECKSUMS:
        sums = {}
        for line in data.decode(errors="replace").splitlines():
            match = re.fullmatch(r"([0-9a-f]{64})  (\S+)", line)
            if not match:
                return None, f"has a line that is not '<sha256>  <file>': {line[:60]!r}"
            sums[match[2]] = match[1]
        return sums, None
    return data, None


def _checksum_problems(folder: Path, sums: object) -> list[Problem]:
    """Runs from before checksums were recorded have none: their files are checked by parsing only."""
    if not isinstance(sums, dict):
        return []
    problems = []
    for name, recorded in sums.items():
        path = folder / name
        if not path.is_file():
            problems.append(Problem(name, f"is missing (listed in {results.CHECKSUMS})"))
        elif hashlib.sha256(path.read_bytes()).hexdigest() != recorded:
            problems.append(Problem(name, "differs from what the run recorded (its sha256 in "
                                          f"{results.CHECKSUMS}): edited or damaged since"))
    return problems


def _key_problems(folder: Path, metrics: dict, provenance: object) -> list[Problem]:
    """The run key, computed again from the config, seed and dataset recorded in provenance.json,
    must be the key the metrics were recorded under."""
    from .config import config_of
    from .runner import run_key

    if not isinstance(provenance, dict):
        return [Problem("provenance.json", "is missing: what made the run is unknown")]
    try:
        config = config_of(provenance["config"])
        seed, dataset = provenance["seed"], provenance.get("dataset")
        run_format = provenance["environment"]["run_format"]
    except (KeyError, TypeError, NnlabError) as exc:
        return [Problem("provenance.json", f"does not describe a run nnlab can repeat ({exc})")]
    trial = folder.parent.parent.name == results.TRIALS
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


def move_aside(folder: Path, names: list[str]) -> list[str]:
    """Rename each file to <name>.damaged-<UTC time> (kept for the user, never deleted); the new names."""
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S")
    moved = []
    for name in dict.fromkeys(names):
        source = folder / name
        if source.is_file():
            target = folder / f"{name}{DAMAGED}{stamp}"
            for n in range(2, 1000):  # a second damage within the same second keeps the first copy
                if not target.exists():
                    break
                target = folder / f"{name}{DAMAGED}{stamp}-{n}"
            with results.storage_faults(target, "moving a damaged file to"):
                source.rename(target)
            moved.append(target.name)
    if moved:
        results.fsync_folder(folder)
    return moved


def completed_metrics(folder: Path, run_key: str, warn=None) -> dict | None:
    """The metrics of a finished run with this key, None if it is unfinished. A finished run of
    another key is refused (RunFolderTaken: the user chooses). A damaged one (a file that does not
    parse or differs from what the run recorded) is made unfinished: the damaged files and
    metrics.json are moved aside, `warn(text)` says so, and None sends the run to be redone."""
    if not (folder / results.METRICS).is_file():
        return None
    metrics, problems = check_run(folder)
    if metrics is not None and metrics["run_key"] != run_key:
        raise results.RunFolderTaken(
            f"{folder} holds a finished run with another config, dataset or nnlab run format "
            f"(key {metrics['run_key']}, now {run_key}); it is kept as it is. "
            "Use --force to replace it, or --results to write elsewhere.")
    if not problems:
        return metrics
    moved = move_aside(folder, [p.file for p in problems if p.file] + [results.METRICS])
    if warn:
        warn(f"damaged: {'; '.join(p.what if not p.file else f'{p.file} {p.what}' for p in problems)}. "
             f"Kept as {', '.join(moved)}; the run is redone.")
    return None


def read_record(folder: Path) -> tuple[dict | None, list[Problem]]:
    """For readers (the report, the study summary, diff): what a run folder records, its metrics or
    its failure, if none of its files is damaged; (None, problems) if damaged; (None, []) unfinished."""
    if (folder / results.METRICS).is_file():
        return readable_run(folder)
    if (folder / results.FAILURE).is_file():
        return readable_failure(folder)
    return None, []


def readable_failure(folder: Path) -> tuple[dict | None, list[Problem]]:
    """A failed run's record (failure.json), or None and why it cannot be read."""
    content, problem = parse_file(folder / results.FAILURE)
    if problem or not isinstance(content, dict) or not {"variant", "seed", "status"} <= content.keys():
        return None, [Problem(results.FAILURE, problem or "is not a failed run's record")]
    return content, []


def readable_run(folder: Path) -> tuple[dict | None, list[Problem]]:
    """For readers (the report, the study summary, diff): a finished run's metrics if none of its
    files is damaged, else None and its problems. A reader moves nothing; the next `nnlab run`
    redoes the run (nnlab verify applies the full rules)."""
    metrics, problems = check_run(folder, rules=False)
    return (None, problems) if problems else (metrics, [])
