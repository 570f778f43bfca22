"""The homework's answer table, a row per variant in the assignment's order: what changed, each seed's
best epoch, the retrained model's test accuracy on how many examples, the difference from the baseline
with its interval, better / worse / cannot tell, the curves' reason, the same model trained on to the
last epoch (never used to choose anything), and the student's and the book's figures checked."""

from __future__ import annotations

from ...conclusions import analyse
from ...i18n import N_, _
from ...pairing import compare_by_seed, paired
from ...report_data import StudyResults, VariantStats
from ...report_parts import fmt
from ...stats import compare, mean_sd, p_is
from . import claims, why

ANSWER_HEADER = [N_("study"), N_("variant"), N_("what changed"), N_("best epoch (each seed)"),
                 N_("test accuracy, retrained (examples)"), N_("against the baseline (95% CI)"), N_("better / worse?"),
                 N_("why, from the curves"),
                 N_("after all the epochs instead: test accuracy; gain from stopping at the best epoch, pts (95% CI); "
                    "against the baseline then"), N_("figures from elsewhere")]


def answer_header() -> list[str]:
    """ANSWER_HEADER in the report's language."""
    return [_(column) for column in ANSWER_HEADER]


def answer_rows(study: StudyResults) -> list[list[str]]:
    """"Did test accuracy get better or worse than the baseline, and why?" for each variant of a
    training study, in the config's order: what changed, the best epoch with every seed's, the retrained
    model's test accuracy and on how many examples, the adjusted verdict, the curves' reason in one
    clause, and the verdicts on figures from elsewhere (the student's, the book's)."""
    analysis = analyse(study)
    base = study.variant(study.baseline)
    checked = claims.checks(study, analysis) if study.references else []
    rows = []
    for v in study.variants:
        epochs = sorted((r.metrics["seed"], r.metrics["best_epoch"]) for r in v.runs if r.ok and r.metrics.get("best_epoch"))
        seeds = ", ".join(str(e) for _seed, e in epochs)
        examples = {(r.metrics.get("train_examples") or 0) + (r.metrics.get("validation_examples") or 0)
                    if r.config.get("retrain", True) else r.metrics.get("train_examples") or 0 for r in v.runs if r.ok}
        on = _(" (on {examples})").format(examples=f"{next(iter(examples)):,}") if len(examples) == 1 and next(iter(examples)) else ""
        mine = [c for c in checked if c.variant == v.name]
        figures = _("; ").join(_("{who} {figures}").format(who=_whose(source), figures=_(", ").join(
            _("{figure} {stated} {verdict}").format(figure=_(claims.NAMES.get(c.figure, c.figure.replace('_', ' '))),
                                                    stated=claims.stated_short(c), verdict=_(c.verdict.split(' (')[0]))
            for c in mine if c.source == source)) for source in dict.fromkeys(c.source for c in mine)) or "—"
        head = [study.name, study.label(v), "—" if v.name == base.name else _changed(v, base),
                f"{fmt(*v.mean_sd('best_epoch'), digits=1)} ({seeds})" if epochs else "—",
                fmt(*v.mean_sd("test_accuracy")) + on]
        if v.name == base.name:
            rows.append(head + ["—", _("the baseline"), "—", full_epochs_cell(v), figures])
            continue
        verdict = analysis.verdicts.get(v.name)
        rows.append(head + [*_answer(verdict, analysis), why.reason(study, v, base) if verdict else "—",
                            full_epochs_cell(v, base, paired(study, v, base)), figures])
    return rows


def full_epochs_cell(v: VariantStats, base: VariantStats | None = None, pair: bool = False) -> str:
    """The same retrain trained on to all the epochs, tested there (never used to choose anything),
    and what stopping at the best epoch changed: paired per seed (one retrain gives both figures).
    With `base` (another variant than the baseline), also its difference from the baseline's figure
    after all the epochs (`pair`: seed by seed), since a verdict can depend on where training stops.

    >>> from types import SimpleNamespace as R
    >>> runs = [R(ok=True, metrics={"seed": k, "test_accuracy": a, "full_epochs_test_accuracy": f, "full_epochs": 20})
    ...         for k, (a, f) in enumerate([(0.80, 0.78), (0.79, 0.78), (0.81, 0.785)])]
    >>> full_epochs_cell(R(runs=runs))
    '0.7817 ± 0.0029 (20 epochs); stopping: +1.8 pts (-0.1 to +3.7), better on 3, worse on 0 of 3 seeds'
    >>> full_epochs_cell(R(runs=runs[:1]))
    '0.7800 (20 epochs); stopping: +2.0 pts on its one seed'
    >>> full_epochs_cell(R(runs=[R(ok=True, metrics={"seed": 0, "test_accuracy": 0.8})]))
    '— (not recorded: record.full_epochs_test)'
    """
    pairs = [(r.metrics["test_accuracy"], r.metrics["full_epochs_test_accuracy"]) for r in v.runs
             if r.ok and r.metrics.get("full_epochs_test_accuracy") is not None and r.metrics.get("test_accuracy") is not None]
    if not pairs:
        return _("— (not recorded: record.full_epochs_test)")
    epochs = sorted({r.metrics["full_epochs"] for r in v.runs if r.ok and r.metrics.get("full_epochs")})
    stopped, full = [a for a, f in pairs], [f for a, f in pairs]
    figure = _("{figure} ({epochs} epochs)").format(figure=fmt(*mean_sd(full)), epochs="/".join(map(str, epochs)))
    c = compare(stopped, full, paired=True)
    if c.low is None:
        return _("{figure}; stopping: {difference} pts on its one seed").format(figure=figure, difference=f"{c.difference * 100:+.1f}")
    better, worse = sum(a > f for a, f in pairs), sum(a < f for a, f in pairs)
    cell = _("{figure}; stopping: {difference} pts ({low} to {high}), better on {better}, worse on {worse} of {seeds} seeds").format(
        figure=figure, difference=f"{c.difference * 100:+.1f}", low=f"{c.low * 100:+.1f}", high=f"{c.high * 100:+.1f}",
        better=better, worse=worse, seeds=len(pairs))
    return cell + (_against_base_after_all(v, base, pair) if base is not None and base is not v else "")


def _against_base_after_all(v: VariantStats, base: VariantStats, pair: bool) -> str:
    """'; against the baseline after all the epochs: ...' where both recorded their full-epochs figures.

    >>> from types import SimpleNamespace as R
    >>> run = lambda seed, f: R(ok=True, metrics={"seed": seed, "full_epochs_test_accuracy": f})
    >>> v, b = R(runs=[run(0, 0.80), run(1, 0.81)]), R(runs=[run(0, 0.78), run(1, 0.785)])
    >>> _against_base_after_all(v, b, pair=True)
    '; against the baseline after all the epochs: +2.3 pts (-0.9 to +5.4)'
    """
    mine, theirs = ({r.metrics["seed"]: r.metrics["full_epochs_test_accuracy"] for r in x.runs
                     if r.ok and r.metrics.get("full_epochs_test_accuracy") is not None} for x in (v, base))
    common = set(mine) & set(theirs)
    if (pair and len(common) < 2) or len(mine) < 2 or len(theirs) < 2:
        return ""
    c = compare_by_seed(mine, theirs, pair)
    if c.low is None:
        return _("; against the baseline after all the epochs: {difference} pts").format(difference=f"{c.difference * 100:+.1f}")
    return _("; against the baseline after all the epochs: {difference} pts ({low} to {high})").format(
        difference=f"{c.difference * 100:+.1f}", low=f"{c.low * 100:+.1f}", high=f"{c.high * 100:+.1f}")


def _whose(source: str) -> str:
    """A reference's source in a word or two, for a table cell (the section names it in full)."""
    for mark, word in (("DLwP", N_("the book:")), ("student", N_("a student:")), ("course", N_("the course:"))):
        if mark in source:
            return _(word)
    return f"{source.split(' (')[0][:40]}:"


def _changed(v: VariantStats, base: VariantStats) -> str:
    from ...changes import setting_text, settings_changed  # plain functions of two configs

    changed = settings_changed(v.runs[0].settings, base.runs[0].settings)
    return "; ".join(_("{key} {value} (baseline {baseline})").format(key=key, value=setting_text(a), baseline=setting_text(b))
                     for key, a, b in changed) or _("nothing")


def _answer(verdict, analysis) -> tuple[str, str]:
    """(difference with its interval, the verdict in a word) — the same verdict as the section's sentence."""
    if verdict is None or verdict.comparison.low is None:
        return "—", _("cannot tell (one seed a side)")
    c = verdict.comparison
    difference = _("{difference} pts ({low} to {high})").format(
        difference=f"{c.difference * 100:+.1f}", low=f"{c.low * 100:+.1f}", high=f"{c.high * 100:+.1f}")
    if c.p_value is None:
        return difference, (_("same on every seed") if not c.difference else
                            _("better on every seed") if c.difference > 0 else _("worse on every seed"))
    p, one = p_is(verdict.adjusted_p), analysis.comparisons <= 1  # one comparison: nothing was adjusted
    if verdict.beyond_noise:
        return difference, _({(True, False): N_("**better** (adjusted p {p})"), (False, False): N_("**worse** (adjusted p {p})"),
                              (True, True): N_("**better** (p {p})"), (False, True): N_("**worse** (p {p})")}[
                                 c.difference > 0, one]).format(p=p)
    return difference, (_("cannot tell (p {p})") if one else _("cannot tell (adjusted p {p})")).format(p=p)
