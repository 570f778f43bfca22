"""Reading a run folder back, as it was written: every file parses, each matches the sha256 recorded
when the run finished, and a damaged file is moved aside (kept), never deleted. What readers use
(the report, the study summary, diff, show); the rules a finished run obeys beyond its files (its
key, its kind's own) are nnlab.integrity's.

    damage(folder)         a finished run's metrics and what is damaged: files that do not parse or
                           differ from their recorded checksums (inspect: the parsed files too)
    read_record(folder)    what a run folder records, its metrics or its failure, if nothing is damaged
    move_aside(folder, names)   <name>.damaged-<UTC time>, for the user to inspect

Nothing here imports TensorFlow, a schema or a kind.
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


def damage(folder: Path) -> tuple[dict | None, list[Problem]]:
    """A finished run's metrics (None when metrics.json cannot be read) and its damage, [] when every
    file parses and matches its recorded checksum (what a reader of the numbers must avoid)."""
    metrics, _, problems = inspect(folder)
    return metrics, problems


def inspect(folder: Path) -> tuple[dict | None, dict[str, object], list[Problem]]:
    """A finished run's metrics (None when metrics.json cannot be read), every other run file parsed
    (by name), and the damage: files that do not parse or differ from their recorded checksums."""
    metrics, problems = _read_metrics(folder / results.METRICS)
    if metrics is None:
        return None, {}, problems
    parsed: dict[str, object] = {}
    for path in sorted(p for p in folder.iterdir() if is_run_file(p) and p.name != results.METRICS):
        content, problem = parse_file(path)
        if problem:
            problems.append(Problem(path.name, problem))
        else:
            parsed[path.name] = content
    unreadable = {p.file for p in problems}
    problems += [p for p in _checksum_problems(folder, parsed.get(results.CHECKSUMS)) if p.file not in unreadable]
    return metrics, parsed, problems


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
    metrics, problems = damage(folder)
    return (None, problems) if problems else (metrics, [])
