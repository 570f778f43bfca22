"""`nnlab status RESULTS [CONFIG|SUITE]`: what a results folder holds, per study and variant, without
training or loading any data.

    finished   metrics.json says ok (and, given a config, the run's recorded config is the one the
               config asks for now: else "stale", which the next `nnlab run` redoes)
    diverged   the run stopped on a loss that is not finite
    failed     it raised; failure.json says why (the next `nnlab run` tries again)
    running    another nnlab process holds the run's lock right now
    damaged    a file of it does not match its checksum or cannot be read (`nnlab verify` says which)
    pending    in the config but not run yet (only when a config or suite is given)

It reads what the runs recorded and does not hash the datasets: `nnlab verify` checks run keys in full.
"""

from __future__ import annotations

import fcntl
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import yaml

from . import records, results
from .config import Study, config_of

STATES = ("finished", "diverged", "failed", "running", "damaged", "stale", "pending")


@dataclass(frozen=True)
class RunState:
    study: str
    variant: str
    seed: int
    state: str


def locked(folder: Path) -> bool:
    """Whether another process holds the run folder's lock (nothing is created to find out)."""
    lock = folder / ".lock"
    if not lock.is_file():
        return False
    fd = os.open(lock, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # closing drops the lock taken to test it
    return False


def state_of(folder: Path, wanted=None) -> str:
    """One run folder's state; `wanted`: the config (a schema object) its variant asks for now."""
    if not folder.is_dir():
        return "pending"
    if locked(folder):
        return "running"
    metrics, problems = records.read_record(folder)
    if problems:
        return "damaged"
    if metrics is None:
        return "pending"  # begun and cut off: nothing recorded, the next run starts it again
    status = metrics.get("status")
    if status == "ok" and wanted is not None and not _same_config(folder, wanted):
        return "stale"
    return {"ok": "finished", "diverged": "diverged", "failed": "failed"}.get(status, "finished")


def _same_config(folder: Path, wanted) -> bool:
    """The run's config fingerprint as its key was made with (provenance.json), or for a run without
    one, its recorded config's, against the one the config asks for now."""
    try:
        recorded = results.read_json(folder / "provenance.json").get("config_fingerprint")
    except (OSError, ValueError, AttributeError):
        recorded = None
    try:
        recorded = recorded or config_of(yaml.safe_load((folder / "config.yaml").read_text())).fingerprint()
    except Exception:  # unreadable or from another nnlab: not what the config asks for now
        return False
    return recorded == wanted.fingerprint()


def of_studies(root: Path, studies: list[Study]) -> list[RunState]:
    """Every run the studies ask for (a search: its tested variants), in config order."""
    out = []
    for study in studies:
        variants = study.selected
        for variant in variants:
            for seed in variant.config.seeds:
                folder = results.run_dir(root, study.name, variant.id, seed)
                out.append(RunState(study.name, variant.id, seed, state_of(folder, variant.config)))
        if study.search and variants:  # its trials, and the choices: known once a search ends, so as they are
            out += of_trials(root / study.name, study.name)
            out += [r for r in of_folder(root / study.name, study.name) if r.variant not in {v.id for v in variants}]
    return out


def of_trials(folder: Path, study: str) -> list[RunState]:
    """A search's trial folders, counted as the variant "trials" (each its own seed-0 run)."""
    return [RunState(study, results.TRIALS, int(run.name.removeprefix("seed-")), state_of(run))
            for run in sorted((folder / results.TRIALS).glob("*/seed-*"))]


def of_folder(folder: Path, study: str) -> list[RunState]:
    """Every run folder under one study's folder (its trials not counted: `nnlab report` shows them)."""
    out = []
    for run in sorted(folder.glob("*/seed-*")):
        if run.parent.name == results.TRIALS or not run.name.removeprefix("seed-").isdigit():
            continue
        out.append(RunState(study, run.parent.name, int(run.name.removeprefix("seed-")), state_of(run)))
    return out


def of_results(root: Path) -> list[RunState]:
    return [r for folder in sorted(p for p in Path(root).iterdir() if p.is_dir() and not p.name.startswith("."))
            for r in of_folder(folder, folder.name) + of_trials(folder, folder.name)]


def lines(states: list[RunState]) -> list[str]:
    """Per study a line of counts, then per variant its counts and, for what is not finished, the seeds."""
    out = []
    for study in dict.fromkeys(s.study for s in states):
        mine = [s for s in states if s.study == study]
        out.append(f"{study}: {_counts(mine)}")
        for variant in dict.fromkeys(s.variant for s in mine):
            runs = [s for s in mine if s.variant == variant]
            unfinished = "" if variant == results.TRIALS else "; ".join(
                f"{state} seeds {', '.join(str(s.seed) for s in runs if s.state == state)}"
                for state in STATES if state != "finished" and any(s.state == state for s in runs))
            out.append(f"  {variant:<28} {_counts(runs)}" + (f"  ({unfinished})" if unfinished else ""))
    total = _counts(states)
    return out + [f"total: {total}" if states else "no runs"]


def _counts(states: list[RunState]) -> str:
    return ", ".join(f"{sum(s.state == state for s in states)} {state}" for state in STATES if any(s.state == state for s in states))


def as_json(states: list[RunState]) -> dict:
    return {"counts": {state: sum(s.state == state for s in states) for state in STATES},
            "runs": [asdict(s) for s in states]}
