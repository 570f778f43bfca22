"""Optuna's storage of a search: opened (or set aside when it belongs to other settings), its SQLite
faults said in a line, what its trials came to, and a trial cut off with its process marked
interrupted and queued again. Optuna and SQLAlchemy are imported where they are used."""

from __future__ import annotations

import contextlib
import datetime as dt
from pathlib import Path

from .. import records
from ..errors import NnlabError, StorageError
from .pruning import FinishedTrial
from .spec import SearchSpec

STORAGE = "search.sqlite3"


KEY_ATTR = "nnlab_search_key"


COUNTED = ("ok", "pruned", "diverged", "failed")  # statuses that spend the budget; "interrupted" does not


# SQLite's words for the storage faults nnlab's own writes meet as an OSError (errors.STORAGE_FAULTS).
SQLITE_FAULTS = {
    "database or disk is full": ("the disk is full", "free some space"),
    "readonly database": ("permission denied", "give yourself write permission on the results folder"),
    "unable to open database file": ("its folder vanished or cannot be written", "put the results folder back, or use another --results"),
    "disk I/O error": ("an input/output error (a failing disk or a lost network mount)", "check the disk or the mount"),
}


@contextlib.contextmanager
def storage_faults(path: Path):
    """The search's storage refusing a write is a StorageError, as a run file's would be."""
    import sqlalchemy.exc

    try:
        yield
    except sqlalchemy.exc.OperationalError as exc:
        text = str(exc.orig or exc)
        fault = next((what for pattern, what in SQLITE_FAULTS.items() if pattern in text), None)
        if fault is None:
            raise
        raise StorageError(f"writing {path}: {fault[0]}", fault[1]) from None


def open_search(path: Path, name: str, spec: SearchSpec, base_key: str, force: bool, display):
    """A search's Optuna storage, created or reopened; refused if it holds another search. A damaged
    one is moved aside (kept) and the search starts a new record: its samplers are seeded by position,
    so it proposes the same trials again, and those whose run folders are finished are read back."""
    import optuna
    import sqlalchemy.exc

    folder = path.parent
    folder.mkdir(parents=True, exist_ok=True)
    key = spec.key(base_key)
    if path.exists():
        try:
            stored = optuna.load_study(study_name=name, storage=_url(path)).user_attrs.get(KEY_ATTR)
        except (sqlalchemy.exc.DatabaseError, KeyError) as exc:
            aside = records.move_aside(folder, [path.name])
            display({"kind": "warning", "text": f"{path} is damaged ({str(exc).splitlines()[0]}); kept as {', '.join(aside)}. "
                     "The search starts its record again; finished trials are read back from their folders, not retrained."})
            stored = key
        if stored != key:
            if not force:
                raise NnlabError(f"{path} holds a search with another space, budget, config or dataset (key {stored}, "
                                 f"now {key}); it is kept as it is. Use --force to start afresh (the old file is "
                                 "moved aside), or --results to search elsewhere.")
            aside = path.with_name(f"{path.stem}-{dt.datetime.now():%Y%m%d-%H%M%S}.sqlite3")
            path.rename(aside)
    search = optuna.create_study(study_name=name, storage=_url(path), direction=spec.direction, load_if_exists=True)
    search.set_user_attr(KEY_ATTR, key)
    return search


def _url(path: Path) -> str:
    return f"sqlite:///{path}"


def requeue_interrupted(search, display) -> None:
    """A trial left RUNNING was cut off with the process that asked for it (a trial of this one
    would be in flight, and none is yet): mark it interrupted and queue its settings again."""
    import optuna

    for stale in search.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,)):
        # Told by its number (Study.tell's public form); no status of nnlab's: a failed trial without
        # one is an interrupted trial (trial_status), since every trial nnlab finishes gets one.
        search.tell(stale.number, state=optuna.trial.TrialState.FAIL)
        if stale.params:
            search.enqueue_trial(stale.params, user_attrs={"redo_of": stale.number})
        display({"kind": "note", "text": f"trial #{stale.number} was interrupted; its settings are queued again"})


def trial_status(trial) -> str:
    """What became of a trial: ok, pruned, diverged or failed (nnlab's own record, set as it is told);
    interrupted (cut off with its process, told FAIL on resume without one); else Optuna's state."""
    status = trial.user_attrs.get("status")
    if status:
        return status
    return "interrupted" if trial.state.name == "FAIL" else trial.state.name.lower()


def budget_spent(search) -> int:
    """Trials that used the budget: finished, pruned, diverged or failed (not interrupted ones)."""
    return sum(t.user_attrs.get("status") in COUNTED for t in search.get_trials(deepcopy=False))


def finished_trials(search) -> tuple[FinishedTrial, ...]:
    import optuna

    states = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)
    return tuple(FinishedTrial(t.state.name, t.value, dict(t.intermediate_values))
                 for t in search.get_trials(deepcopy=False, states=states))
