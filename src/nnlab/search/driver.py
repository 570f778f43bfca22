"""Run a study's search: Optuna proposes settings, each trial trains as an ordinary run (the search
phase alone, on the validation split) on whatever executor the command uses, and when the budget is
spent the best trial's settings and the study's config as written are each retrained and tested
over the study's seeds, like any two variants.

    results/<study>/search.sqlite3               Optuna's storage: every trial, its settings and curve
    results/<study>/trials/<trial-id>/seed-<s>/  a trial's run folder (config, curves, provenance)
    results/<study>/best/, baseline/             the chosen settings and the config as written, tested
    results/<study>/search.json, trials.csv      what the report reads

Only this process writes the storage (ask and tell); workers only train. A search killed at any
point, kill -9 included, resumes with the same command: finished trials stay finished, a trial that
was running is marked interrupted and its settings are queued again, and since a trial's folder is
named after its settings, a run that had finished before its result was told is read, not redone.

Optuna (and SQLAlchemy under it) is imported in the functions that use it: it takes a second to
load, and every `nnlab run` imports this module, searching or not.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import itertools
import json
import math
import random
from collections.abc import Callable
from concurrent.futures import as_completed
from pathlib import Path

from .. import records, results
from ..config import Study, search_variant
from ..errors import NnlabError, StorageError
from ..runner import RunContext, RunOutcome, outcome_of, run_all, run_guarded, write_study_outputs
from ..selection import Rule
from . import lipo
from .pruning import FinishedTrial, PruneCheck
from .spec import Range, SearchSpec, trial_id

STORAGE = "search.sqlite3"
SEARCH_FILE = "search.json"
SEARCHES = "searches"  # a comparison's searches: <strategy>-seed-<k>.sqlite3, .json, .trials.csv
COMPARISON_FILE = "comparison.json"
CHOSEN = "chosen-"  # a comparison's tested choice: chosen-<the settings' hash>
KEY_ATTR = "nnlab_search_key"
COUNTED = ("ok", "pruned", "diverged", "failed")  # statuses that spend the budget; "interrupted" does not
BEST = "best"


def run_search(study: Study, root: Path, pool, data_dir: str | None = None, force: bool = False,
               started: Callable[[], None] | None = None) -> list[RunOutcome]:
    """The study's search (or searches, with compare), then its choice against the baseline over the
    study's seeds. `started()` is called once, when the first trials are in the pool: a suite then
    queues the next study's runs behind them, to fill the time a batch of trials waits for its last."""
    started = _once(started)
    if study.search.compare:
        with _storage_faults(Path(root) / study.name / SEARCHES):
            return _compare(study, root, pool, data_dir, force, started)
    with _storage_faults(Path(root) / study.name / STORAGE):
        return _search(study, root, pool, data_dir, force, started)


def _once(callback: Callable[[], None] | None) -> Callable[[], None]:
    called = []

    def call() -> None:
        if callback is not None and not called:
            called.append(True)
            callback()
    return call


# SQLite's words for the storage faults nnlab's own writes meet as an OSError (errors.STORAGE_FAULTS).
SQLITE_FAULTS = {
    "database or disk is full": ("the disk is full", "free some space"),
    "readonly database": ("permission denied", "give yourself write permission on the results folder"),
    "unable to open database file": ("its folder vanished or cannot be written", "put the results folder back, or use another --results"),
    "disk I/O error": ("an input/output error (a failing disk or a lost network mount)", "check the disk or the mount"),
}


@contextlib.contextmanager
def _storage_faults(path: Path):
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


def _search(study: Study, root: Path, pool, data_dir: str | None, force: bool, started) -> list[RunOutcome]:
    spec, baseline = study.search, study.variants[0]
    folder = Path(root) / study.name
    search, failed = _search_trials(study, spec, folder / STORAGE, study.name, root, pool, data_dir, force,
                                    lambda search: write_search_files(folder, search, spec, pool.capacity),
                                    started=started)
    _require_a_finished_trial(study, search, folder)
    chosen = search_variant(study, BEST, search.best_trial.params)
    pool.settle()
    pool.display({"kind": "note", "text": f"{study.name}: the search chose trial #{search.best_trial.number} ({spec.metric} "
                  f"{search.best_value:.4f}): " + ", ".join(f"{k}={_show(v)}" for k, v in chosen.overrides.items())})
    final = Study(study.name, study.path, [baseline, chosen], spec)
    runs = [(variant, s) for variant in final.variants for s in study.seeds]
    outcomes = run_all(final, runs, root, pool, data_dir, force)
    write_study_outputs(final, root, lambda text: pool.display({"kind": "warning", "text": text}))
    write_search_files(folder, search, spec, pool.capacity, importances=True)
    return failed + outcomes


def _search_trials(study: Study, spec: SearchSpec, storage: Path, name: str, root: Path, pool, data_dir: str | None,
                   force: bool, written, label: str = "", started=lambda: None):
    """One search's trials until its budget is spent, resuming what `storage` holds; `written(search)`
    after each trial is told. Returns the Optuna study and the trials that failed."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    if spec.strategy == "lipo":
        lipo.require()
    seed = study.seeds[0]  # trials train with the study's first seed; the final comparison uses all
    search = _open(storage, name, spec, RunContext.of(study.name, study.variants[0], seed, root, data_dir).key, force,
                   pool.display)
    _requeue_interrupted(search, pool.display)
    failed: list[RunOutcome] = []
    while (spent := _spent(search)) < spec.budget:
        # Proposed a batch at a time, the next when the last has finished: what each trial is
        # proposed from is then the same in every run with the same number of trials at once.
        batch = {}
        for position in range(spent, min(spent + pool.capacity, spec.budget)):
            trial, variant = _ask(search, study, spec, position)
            tag = f"[{label}trial #{trial.number}, {position + 1}/{spec.budget}] {study.name}/{variant.id} seed {seed}"
            pool.display({"kind": "note", "text": f"{tag}: " + ", ".join(f"{k}={_show(v)}" for k, v in trial.params.items())})
            stop = PruneCheck(spec.pruning, spec.direction, spec.metric, _finished(search)) if spec.pruning else None
            context = RunContext.of(study.name, variant, seed, root, data_dir, tag, trial=True, force=force)
            batch[pool.submit(run_guarded, context, pool.echo, stop)] = (trial, context)
        started()
        for future in as_completed(batch):
            trial, context = batch[future]
            outcome = outcome_of(future, pool, context)
            _tell(search, trial, outcome, context.folder, spec)
            failed += [outcome] if outcome.status == "failed" else []
            written(search)
    return search, failed


def _require_a_finished_trial(study: Study, search, folder: Path) -> None:
    import optuna

    if not search.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,)):
        raise NnlabError(f"{study.name}: no trial of the search finished (see {folder / results.TRIALS}); "
                         "nothing to retrain. Check the space (a learning rate that diverges?) and run again with --force")


# --- a comparison of strategies ------------------------------------------------------------------

def _compare(study: Study, root: Path, pool, data_dir: str | None, force: bool, started) -> list[RunOutcome]:
    """Each compared strategy's search from each search seed, one after another, over one trials/
    folder: a trial whose settings another search already trained is read back, not retrained. Then
    every search's choice (one variant per distinct choice) and the config as written, over the
    study's seeds; comparison.json says which search chose what."""
    spec, baseline = study.search, study.variants[0]
    folder = Path(root) / study.name
    searches = spec.searches()
    failed: list[RunOutcome] = []
    done = []
    for k, sub in enumerate(searches, 1):
        pool.display({"kind": "note", "text": f"{study.name}: search {k}/{len(searches)}, {sub.strategy} from search "
                                              f"seed {sub.seed}"})
        search, lost = _search_trials(study, sub, folder / SEARCHES / f"{sub.label}.sqlite3", f"{study.name}-{sub.label}",
                                      root, pool, data_dir, force,
                                      lambda search, sub=sub: write_search_files(folder / SEARCHES, search, sub,
                                                                                 pool.capacity, stem=sub.label), f"{sub.label} ",
                                      started)
        _require_a_finished_trial(study, search, folder)
        failed += lost
        done.append((sub, search))
    chosen: dict[str, object] = {}
    for _, search in done:
        params = search.best_trial.params
        variant_id = CHOSEN + trial_id(params).removeprefix("trial-")
        chosen.setdefault(variant_id, search_variant(study, variant_id, params))
    pool.settle()
    final = Study(study.name, study.path, [baseline, *chosen.values()], spec)
    pool.display({"kind": "note", "text": f"{study.name}: {len(done)} searches chose {len(chosen)} distinct settings; each, "
                                          f"and the baseline, x {len(study.seeds)} seeds"})
    outcomes = run_all(final, [(variant, s) for variant in final.variants for s in study.seeds], root, pool, data_dir, force)
    write_study_outputs(final, root, lambda text: pool.display({"kind": "warning", "text": text}))
    with results.writing_in(folder):
        results.write_json(folder / COMPARISON_FILE, _comparison(spec, done))
    return failed + outcomes


def _comparison(spec: SearchSpec, done) -> dict:
    """What the report reads of a comparison: each search's trials in the order they were proposed
    (interrupted ones left out: they spent no budget) and the variant its choice was tested as."""
    searches = []
    for sub, search in done:
        counted = [t for t in search.get_trials(deepcopy=False) if t.user_attrs.get("status") in COUNTED]
        best = search.best_trial
        searches.append({"strategy": sub.strategy, "seed": sub.seed, "label": sub.label,
                         "trials": [{"number": t.number, "trial": t.user_attrs.get("run", "").split("/")[-1],
                                     "status": t.user_attrs.get("status"), "value": t.value, "params": t.params}
                                    for t in counted],
                         "best": {"number": best.number, "value": best.value, "params": best.params,
                                  "variant": CHOSEN + trial_id(best.params).removeprefix("trial-")}})
    return {"strategies": spec.compare.strategies, "seeds": spec.compare.seeds, "budget": spec.trials,
            "metric": spec.metric, "direction": spec.direction, "grid_points": spec.grid_points,
            "space": {k: v if isinstance(v, list) else v.model_dump() for k, v in spec.space.items()},
            "searches": searches}


# --- the storage ---------------------------------------------------------------------------------

def _open(path: Path, name: str, spec: SearchSpec, base_key: str, force: bool, display):
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


def _requeue_interrupted(search, display) -> None:
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


def _spent(search) -> int:
    """Trials that used the budget: finished, pruned, diverged or failed (not interrupted ones)."""
    return sum(t.user_attrs.get("status") in COUNTED for t in search.get_trials(deepcopy=False))


def _finished(search) -> tuple[FinishedTrial, ...]:
    import optuna

    states = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)
    return tuple(FinishedTrial(t.state.name, t.value, dict(t.intermediate_values))
                 for t in search.get_trials(deepcopy=False, states=states))


# --- ask and tell --------------------------------------------------------------------------------

def _ask(search, study: Study, spec: SearchSpec, position: int):
    """The settings of the budget's `position`-th trial, from a sampler seeded by the search's seed
    and that position (not Optuna's trial number, which interrupted trials also take), so a resumed
    search proposes what the uninterrupted one would have."""
    import optuna

    search.sampler = _sampler(spec, position)
    waiting = search.get_trials(deepcopy=False, states=(optuna.trial.TrialState.WAITING,))
    if spec.strategy == "grid" and not waiting:  # a point queued again after an interruption goes first
        search.enqueue_trial(_next_grid_point(search, spec))
    if spec.strategy == "lipo" and not waiting:
        search.enqueue_trial(lipo.next_params(spec, _told(search), position))
    trial = search.ask(_distributions(spec))
    variant = search_variant(study, trial_id(trial.params), trial.params)
    trial.set_user_attr("run", f"{results.TRIALS}/{variant.id}")
    return trial, variant


def _told(search) -> list[tuple[dict, float | None]]:
    """Every trial that spent the budget: its settings and its figure (a pruned one's best when
    stopped; None where it failed or diverged)."""
    out = []
    for t in search.get_trials(deepcopy=False):
        if t.user_attrs.get("status") not in COUNTED or not t.params:
            continue
        value = t.value if t.state.name == "COMPLETE" else (
            t.intermediate_values[t.last_step] if t.state.name == "PRUNED" and t.last_step is not None else None)
        out.append((t.params, value))
    return out


def _next_grid_point(search, spec: SearchSpec) -> dict:
    """The first point of the grid that no trial has taken, in the order `grid:` would list it, or
    (grid_order: shuffled) in an order drawn from the search seed. (Optuna's GridSampler ends a search
    with study.stop(), which only optimize() may call.)"""
    taken = [t.params for t in search.get_trials(deepcopy=False)
             if t.user_attrs.get("status") in COUNTED or t.state.name in ("RUNNING", "WAITING")]
    grid = spec.grid()
    if spec.grid_order == "shuffled":
        # A random order of the grid's points without listing the grid: the first `budget` of a seeded
        # sample of its indices (random.sample draws from a range without building it), each index
        # read as one value per key.
        lengths = [len(values) for values in grid.values()]
        order = random.Random(spec.seed).sample(range(math.prod(lengths)), spec.budget)
        points = (_grid_point(grid, lengths, index) for index in order)
    else:
        points = (dict(zip(grid, point)) for point in itertools.product(*grid.values()))
    for params in points:
        if params not in taken:
            return params
    raise AssertionError("the budget never exceeds the grid's size")


def _grid_point(grid: dict[str, list], lengths: list[int], index: int) -> dict:
    """The grid's point of this index, in the order itertools.product lists them (the last key fastest)."""
    point = {}
    for key, length in reversed(list(zip(grid, lengths))):
        index, k = divmod(index, length)
        point[key] = grid[key][k]
    return {key: point[key] for key in grid}


def _sampler(spec: SearchSpec, position: int):
    import optuna

    seed = spec.seed * 1_000_003 + position
    if spec.strategy in ("random", "lipo"):  # lipo: its point is queued; the sampler fills nothing
        return optuna.samplers.RandomSampler(seed=seed)
    return optuna.samplers.TPESampler(seed=seed, n_startup_trials=spec.startup_trials)


def _distributions(spec: SearchSpec) -> dict:
    from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

    if spec.strategy == "grid":
        return {k: CategoricalDistribution(v) for k, v in spec.grid().items()}
    out = {}
    for key, values in spec.space.items():
        if not isinstance(values, Range):
            out[key] = CategoricalDistribution(values)
        elif values.integer:
            out[key] = IntDistribution(values.low, values.high, log=values.log, step=values.step or 1)
        else:
            out[key] = FloatDistribution(float(values.low), float(values.high), log=values.log, step=values.step)
    return out


def _tell(search, trial, outcome: RunOutcome, folder: Path, spec: SearchSpec) -> None:
    """The trial's curve (best so far at each epoch) and its end: complete, pruned or failed."""
    from optuna.trial import TrialState

    trial.set_user_attr("status", outcome.status)
    history_path = folder / "search_history.json"
    if outcome.status not in ("ok", "pruned") or not history_path.is_file():
        search.tell(trial, state=TrialState.FAIL)
        return
    curve = Rule.for_direction(spec.metric, spec.direction).running_best(results.read_history(history_path)[spec.metric])
    for epoch, value in enumerate(curve, 1):
        if math.isfinite(value):
            trial.report(value, epoch)
    if outcome.status == "pruned":
        search.tell(trial, state=TrialState.PRUNED)
    elif math.isfinite(curve[-1]):
        search.tell(trial, curve[-1])
    else:
        search.tell(trial, state=TrialState.FAIL)


# --- what the report reads -----------------------------------------------------------------------

def write_search_files(folder: Path, search, spec: SearchSpec, at_once: int, importances: bool = False,
                       stem: str = "search") -> None:
    """<stem>.json (the search's settings, every trial, the best, importances) and its trials table,
    trials.csv (a comparison's searches: <label>.json and <label>.trials.csv under searches/)."""
    folder.mkdir(parents=True, exist_ok=True)
    with results.writing_in(folder):
        _write_search_files(folder, search, spec, at_once, importances, stem)


def _write_search_files(folder: Path, search, spec: SearchSpec, at_once: int, importances: bool, stem: str) -> None:
    trials = [{"number": t.number, "trial": t.user_attrs.get("run", "").split("/")[-1],
               "status": trial_status(t), "state": t.state.name,
               "value": t.value, "epochs": t.last_step, "params": t.params,
               "seconds": round(t.duration.total_seconds(), 1) if t.duration else None,
               "redo_of": t.user_attrs.get("redo_of")} for t in search.get_trials(deepcopy=False)]
    complete = [t for t in trials if t["state"] == "COMPLETE"]
    best = search.best_trial if complete else None
    data = {"strategy": spec.strategy, "budget": spec.budget, "metric": spec.metric, "direction": spec.direction,
            "seed": spec.seed, "trials_at_once": at_once, "pruning": spec.pruning.model_dump() if spec.pruning else None,
            "space": {k: v if isinstance(v, list) else v.model_dump() for k, v in spec.space.items()},
            "best": {"number": best.number, "value": best.value, "params": best.params} if best else None,
            "importances": None, "importances_note": None, "trials": trials}
    previous = folder / f"{stem}.json"
    if importances:
        data["importances"], data["importances_note"] = _importances(search, spec)
    elif previous.is_file():
        try:
            kept = results.read_json(previous)
            data["importances"], data["importances_note"] = kept.get("importances"), kept.get("importances_note")
        except (OSError, ValueError, AttributeError):
            pass  # damaged: the importances come back when the search ends (they are computed then)
    results.write_json(previous, data)
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(["number", "trial", "status", spec.metric, "epochs", *spec.space, "seconds"])
    for t in trials:
        writer.writerow([t["number"], t["trial"], t["status"], t["value"], t["epochs"],
                         *(t["params"].get(k) for k in spec.space), t["seconds"]])
    results.write_bytes(folder / ("trials.csv" if stem == "search" else f"{stem}.trials.csv"), text.getvalue().encode())


def _importances(search, spec: SearchSpec) -> tuple[dict | None, str | None]:
    """Optuna's parameter importances (its default evaluator, PED-ANOVA) over the finished trials."""
    import optuna

    varied = [k for k, v in spec.space.items() if not (isinstance(v, list) and len(v) == 1)]
    if len(varied) < 2:
        return None, "importances rank two or more varied settings; this search varies fewer"
    try:
        values = optuna.importance.get_param_importances(search)
    except (ValueError, RuntimeError) as exc:
        return None, f"Optuna could not rank the settings: {exc}"
    return {k: float(v) for k, v in values.items()}, None


def _show(value) -> str:
    return f"{value:.3g}" if isinstance(value, float) else json.dumps(value) if isinstance(value, (list, dict)) else str(value)
