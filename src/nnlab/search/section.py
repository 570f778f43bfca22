"""A search study's part of the report: the `train` section of its two tested variants (the config
as written and the settings the search chose, over the study's seeds, with the comparison's
uncertainty), then the search itself: what it tried, how the best so far improved, and which
settings mattered by Optuna's importances."""

from __future__ import annotations

from pathlib import Path

from .. import plots, results
from ..config import grid_labels
from ..kinds.train import report as train
from ..report_data import StudyResults
from ..report_parts import fmt, image, markdown_table
from .driver import BEST, SEARCH_FILE


def holds_search(study: StudyResults) -> bool:
    """A search's study with a readable search.json (a damaged one, rewritten by the next `nnlab run`,
    leaves the study its training section alone)."""
    try:
        return isinstance(results.read_json(study.folder / SEARCH_FILE), dict)
    except (OSError, ValueError):
        return False


def section(root: Path, study: StudyResults) -> list[str]:
    search = results.read_json(study.folder / SEARCH_FILE)
    trials, metric = search["trials"], search["metric"]
    counted = [t for t in trials if t["status"] != "interrupted"]
    tally = ", ".join(f"{sum(t['status'] == s for t in counted)} {s}" for s in ("ok", "pruned", "diverged", "failed")
                      if any(t["status"] == s for t in counted))
    interrupted = len(trials) - len(counted)
    lines = train.section(root, study)
    pruning = search.get("pruning")
    lines += ["### The search", "",
              f"A {search['strategy']} search (Optuna{', TPE sampler' if search['strategy'] == 'bayesian' else ''}, "
              f"seed {search['seed']}) of {search['budget']} trials over {', '.join(f'`{k}`' for k in search['space'])}"
              + (f", proposed {search['trials_at_once']} at a time" if search.get("trials_at_once", 1) > 1 else "") + ". "
              f"Each trial trained with the study's first seed on the training split and was scored by the "
              f"{'lowest' if search['direction'] == 'minimize' else 'highest'} {metric} of its epochs on the validation "
              "split; no trial saw the test set. " +
              (f"Pruning: a trial stopped after epoch {pruning['warmup_epochs']} or later when its best {metric} so far was "
               f"worse than the {pruning['percentile']:g}th percentile of the finished trials' at that epoch, once "
               f"{pruning['startup_trials']} trials had finished. " if pruning else "") +
              f"Trials: {tally}" + (f"; {interrupted} interrupted and redone" if interrupted else "") + ". "
              f"Trial runs: `{(study.folder / results.TRIALS).relative_to(root)}/<trial>/`.", ""]
    best = search.get("best")
    if best:
        chosen = study.variant(BEST) if BEST in [v.name for v in study.variants] else None
        rows = [[f"`{key}`", _value(_config_value(study.variant(study.baseline).runs[0].config, key)), _value(value)]
                for key, value in best["params"].items()]
        lines += [f"Chosen: trial #{best['number']} ({metric} {best['value']:.4f}); its settings were retrained from "
                  f"scratch and tested as the variant **{BEST}**" + (f" over {chosen.n} seeds" if chosen else "") + ":", ""]
        lines += markdown_table(["setting", study.baseline, BEST], rows) + [""]
    lines += markdown_table(["trial", "status", metric, "epochs", *grid_labels(list(search["space"])), "s", "run"],
                            [[f"#{t['number']}" + (f" (redo of #{t['redo_of']})" if t.get("redo_of") is not None else ""),
                              f"**{t['status']}**" if best and t["number"] == best["number"] else t["status"],
                              fmt(t["value"]), t["epochs"] or "—", *(_value(t["params"].get(k)) for k in search["space"]),
                              t["seconds"] if t["seconds"] is not None else "—", f"`{t['trial']}`"] for t in trials])
    lines += ["", "The pruned trials' figure is their best when stopped; s: seconds the trial trained.", ""]
    fig = plots.search_progress([t["number"] for t in trials], [t["value"] for t in trials],
                                [t["status"] for t in trials], search["direction"], metric,
                                f"{study.name}: {metric} by trial, and the best so far")
    lines += [image(fig, root, f"{study.name}-search.png", f"{study.name} search progress"), ""]
    if search.get("importances"):
        ranked = "; ".join(f"`{k}` {v:.2f}" for k, v in search["importances"].items())
        lines += ["Which settings mattered, by Optuna's parameter importances (PED-ANOVA over the finished trials; "
                  f"they sum to 1 and describe this search's trials, not a law): {ranked}.", ""]
        fig = plots.importance_bars(search["importances"], f"{study.name}: parameter importances")
        lines += [image(fig, root, f"{study.name}-importances.png", f"{study.name} parameter importances"), ""]
    elif search.get("importances_note"):
        lines += [f"No parameter importances: {search['importances_note']}.", ""]
    return lines


def _config_value(config: dict, dotted: str):
    node = config
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _value(value) -> str:
    if value is None:
        return "default"
    return f"{value:.3g}" if isinstance(value, float) else str(value)
