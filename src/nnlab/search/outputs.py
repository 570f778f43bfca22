"""What a search writes for the report: search.json and trials.csv (every trial, the best, the
settings' importances), and a comparison's comparison.json."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from .. import results
from .spec import SearchSpec, trial_id
from .storage import COUNTED, trial_status

CHOSEN = "chosen-"  # a comparison's tested choice: chosen-<the settings' hash>
BEST = "best"
SEARCH_FILE = "search.json"


SEARCHES = "searches"  # a comparison's searches: <strategy>-seed-<k>.sqlite3, .json, .trials.csv


COMPARISON_FILE = "comparison.json"


def comparison_record(spec: SearchSpec, done) -> dict:
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


def show_value(value) -> str:
    return f"{value:.3g}" if isinstance(value, float) else json.dumps(value) if isinstance(value, (list, dict)) else str(value)
