"""A search study's part of the report: the `train` section of its two tested variants (the config
as written and the settings the search chose, over the study's seeds, with the comparison's
uncertainty), then the search itself: what it tried, how the best so far improved, and which
settings mattered by Optuna's importances."""

from __future__ import annotations

from pathlib import Path

from .. import dotted, plots, results
from ..grid import grid_labels
from ..i18n import N_, _, sentences
from ..kinds.train import report as train
from ..report_data import StudyResults
from ..report_parts import fmt, image, markdown_table
from . import figures
from .outputs import BEST, SEARCH_FILE


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
    tally = _(", ").join(_(STATUS_COUNTS[s]).format(n=sum(t["status"] == s for t in counted))
                         for s in ("ok", "pruned", "diverged", "failed") if any(t["status"] == s for t in counted))
    interrupted = len(trials) - len(counted)
    lines = train.section(root, study)
    pruning = search.get("pruning")
    what = _(SEARCH_WORDS.get(search["strategy"], SEARCH_WORDS["random"])).format(
        strategy=search["strategy"], seed=search["seed"], budget=search["budget"], space=", ".join(f"`{k}`" for k in search["space"]))
    if search.get("trials_at_once", 1) > 1:
        what += _(", proposed {n} at a time").format(n=search["trials_at_once"])
    scored = (_("Each trial trained with the study's first seed on the training split and was scored by the lowest {metric} "
                "of its epochs on the validation split; no trial saw the test set.") if search["direction"] == "minimize" else
              _("Each trial trained with the study's first seed on the training split and was scored by the highest {metric} "
                "of its epochs on the validation split; no trial saw the test set.")).format(metric=metric)
    pruned = _("Pruning: a trial stopped after epoch {warmup} or later when its best {metric} so far was worse than the "
               "{percentile}th percentile of the finished trials' at that epoch, once {startup} trials had finished.").format(
        warmup=pruning["warmup_epochs"], metric=metric, percentile=f"{pruning['percentile']:g}",
        startup=pruning["startup_trials"]) if pruning else ""
    counts = (_("Trials: {tally}; {n} interrupted and redone.") if interrupted else _("Trials: {tally}.")).format(
        tally=tally, n=interrupted)
    lines += [_("### The search"), "", sentences(what + _("."), scored, pruned, counts, _("Trial runs: `{folder}/<trial>/`.").format(
        folder=(study.folder / results.TRIALS).relative_to(root))), ""]
    best = search.get("best")
    if best:
        chosen = study.variant(BEST) if BEST in [v.name for v in study.variants] else None
        rows = [[f"`{key}`", _value(dotted.get(study.variant(study.baseline).runs[0].config, key)), _value(value)]
                for key, value in best["params"].items()]
        lines += [(_("Chosen: trial #{number} ({metric} {value}); its settings were retrained from scratch and tested as the "
                     "variant **{best}** over {n} seeds:") if chosen else
                   _("Chosen: trial #{number} ({metric} {value}); its settings were retrained from scratch and tested as the "
                     "variant **{best}**:")).format(number=best["number"], metric=metric, value=f"{best['value']:.4f}",
                                                    best=BEST, n=chosen.n if chosen else 0), ""]
        lines += markdown_table([_("setting"), study.baseline, BEST], rows) + [""]
    lines += markdown_table([_("trial"), _("status"), metric, _("epochs"), *grid_labels(list(search["space"])), "s", _("run")],
                            [[f"#{t['number']}" + (_(" (redo of #{n})").format(n=t["redo_of"]) if t.get("redo_of") is not None else ""),
                              f"**{_status(t)}**" if best and t["number"] == best["number"] else _status(t),
                              fmt(t["value"]), t["epochs"] or "—", *(_value(t["params"].get(k)) for k in search["space"]),
                              t["seconds"] if t["seconds"] is not None else "—", f"`{t['trial']}`"] for t in trials])
    lines += ["", _("The pruned trials' figure is their best when stopped; s: seconds the trial trained."), ""]
    fig = figures.search_progress([t["number"] for t in trials], [t["value"] for t in trials],
                                [t["status"] for t in trials], search["direction"], metric,
                                plots._("{study}: {metric} by trial, and the best so far").format(study=study.name, metric=metric))
    lines += [image(fig, root, f"{study.name}-search.png", f"{study.name} search progress"), ""]
    if search.get("importances"):
        ranked = _("; ").join(f"`{k}` {v:.2f}" for k, v in search["importances"].items())
        lines += [_("Which settings mattered, by Optuna's parameter importances (PED-ANOVA over the finished trials; they sum "
                    "to 1 and describe this search's trials, not a law): {ranked}.").format(ranked=ranked), ""]
        fig = figures.importance_bars(search["importances"], plots._("{study}: parameter importances").format(study=study.name))
        lines += [image(fig, root, f"{study.name}-importances.png", f"{study.name} parameter importances"), ""]
    elif search.get("importances_note"):
        lines += [_("No parameter importances: {why}.").format(why=search["importances_note"]), ""]
    return lines


STATUS_COUNTS = {"ok": N_("{n} ok"), "pruned": N_("{n} pruned"), "diverged": N_("{n} diverged"), "failed": N_("{n} failed")}
TRIAL_STATUS = {"ok": N_("ok"), "pruned": N_("pruned"), "diverged": N_("diverged"), "failed": N_("failed"),
                "interrupted": N_("interrupted")}


def _status(trial: dict) -> str:
    return _(TRIAL_STATUS.get(trial["status"], trial["status"]))


def _value(value) -> str:
    if value is None:
        return "default"
    return f"{value:.3g}" if isinstance(value, float) else str(value)


# How each strategy proposed its trials, as the section's first sentence says it.
SEARCH_WORDS = {
    "bayesian": N_("A {strategy} search (Optuna, TPE sampler, seed {seed}) of {budget} trials over {space}"),
    "random": N_("A {strategy} search (Optuna, seed {seed}) of {budget} trials over {space}"),
    "grid": N_("A {strategy} search (Optuna, seed {seed}) of {budget} trials over {space}"),
    "lipo": N_("A {strategy} search (dlib's LIPO with a trust region, seed {seed}) of {budget} trials over {space}"),
    "guess": N_("A guess-and-check search (the config's hand-picked guesses, in their order) of {budget} trials over {space}"),
    "bobyqa": N_("A {strategy} search (NLopt's BOBYQA, from the config's own settings) of {budget} trials over {space}"),
}
