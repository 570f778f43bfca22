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

import math
from collections.abc import Callable
from concurrent.futures import as_completed
from pathlib import Path

from .. import results
from ..config import Study, search_variant
from ..errors import NnlabError
from ..runner import RunContext, RunOutcome, outcome_of, run_all, run_guarded
from ..selection import Rule
from ..study_outputs import write_study_outputs
from . import bobyqa, lipo
from .outputs import BEST, CHOSEN, COMPARISON_FILE, SEARCHES, comparison_record, show_value, write_search_files
from .propose import ask
from .pruning import PruneCheck
from .spec import SearchSpec, trial_id
from .storage import STORAGE, budget_spent, finished_trials, open_search, requeue_interrupted, storage_faults


def run_search(study: Study, root: Path, pool, data_dir: str | None = None, force: bool = False,
               started: Callable[[], None] | None = None) -> list[RunOutcome]:
    """The study's search (or searches, with compare), then its choice against the baseline over the
    study's seeds. `started()` is called once, when the first trials are in the pool: a suite then
    queues the next study's runs behind them, to fill the time a batch of trials waits for its last."""
    started = _once(started)
    if study.search.compare:
        with storage_faults(Path(root) / study.name / SEARCHES):
            return _compare(study, root, pool, data_dir, force, started)
    with storage_faults(Path(root) / study.name / STORAGE):
        return _search(study, root, pool, data_dir, force, started)


def _once(callback: Callable[[], None] | None) -> Callable[[], None]:
    called = []

    def call() -> None:
        if callback is not None and not called:
            called.append(True)
            callback()
    return call


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
                  f"{search.best_value:.4f}): " + ", ".join(f"{k}={show_value(v)}" for k, v in chosen.overrides.items())})
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
    if spec.strategy == "bobyqa":
        bobyqa.require()
        bobyqa.start(spec, study.variants[0].config, study.path)  # a start outside the space: refused before any trial
    seed = study.seeds[0]  # trials train with the study's first seed; the final comparison uses all
    search = open_search(storage, name, spec, RunContext.of(study.name, study.variants[0], seed, root, data_dir).key, force,
                   pool.display)
    requeue_interrupted(search, pool.display)
    failed: list[RunOutcome] = []
    while (spent := budget_spent(search)) < spec.budget:
        # Proposed a batch at a time, the next when the last has finished: what each trial is
        # proposed from is then the same in every run with the same number of trials at once.
        batch = {}
        at_once = 1 if spec.strategy == "bobyqa" else pool.capacity  # BOBYQA's next point needs the last one's figure
        for position in range(spent, min(spent + at_once, spec.budget)):
            trial, variant = ask(search, study, spec, position)
            tag = f"[{label}trial #{trial.number}, {position + 1}/{spec.budget}] {study.name}/{variant.id} seed {seed}"
            pool.display({"kind": "note", "text": f"{tag}: " + ", ".join(f"{k}={show_value(v)}" for k, v in trial.params.items())})
            stop = PruneCheck(spec.pruning, spec.direction, spec.metric, finished_trials(search)) if spec.pruning else None
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
        results.write_json(folder / COMPARISON_FILE, comparison_record(spec, done))
    return failed + outcomes


# --- the storage ---------------------------------------------------------------------------------


# --- ask and tell --------------------------------------------------------------------------------


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


