"""What a training study's numbers allow one to say, for its report section and the front page:

    choose(study)        the variant the validation split prefers (never the test set), and those the
                         seeds cannot tell from it
    analyse(study)       every variant against the baseline: Welch's or the paired t-test as the seeds
                         allow, p-values adjusted over the study, the difference the seeds could detect
    book_verdict(study)  where one run of the baseline lands, against the book's published (one-run) figure
    finding, comparison_sentence, method_sentence, detectable_sentence   the sentences that say it

The statistics themselves (tests, corrections, power) are nnlab.stats, on scipy.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from .i18n import N_, _, sentences
from .pairing import compare_variants, pair_spread
from .report_data import StudyResults, VariantStats
from .report_parts import HOW_TO_READ, fmt
from .selection import Rule
from .stats import (
    ALPHA,
    Comparison,
    adjust,
    correction,
    detectable_difference,
    p_is,
    p_text,
    undetectable_reason,
)

# The report's one paragraph on what its "why" sentences (kinds/train/why.py) can and cannot establish.
CURVES_CAN_AND_CANNOT = N_(
    "Beside each comparison with the baseline, each variant's validation-phase curves are measured per seed "
    "(nnlab/diagnostics.py): the epoch of the lowest validation loss and that loss itself, the validation "
    "accuracy and the training-minus-validation accuracy gap at the best epoch, the epochs to 95% of the best "
    "validation accuracy, where recorded the first hidden layer's gradient norm against the output layer's; "
    "and, past the best epoch, the slope of the climb and the gap at the last epoch. The retrained model "
    "trains only up to the best epoch's count, so what happens past it is read as the full-epochs model's "
    "story, said to be so, never as a reason for the retrained test figure. Each measure is set against the "
    "baseline's over seeds as test accuracy is (paired where the "
    "seeds pair the runs, else Welch's), Holm-adjusted over the measures of that one comparison. A *why* "
    "sentence names only differences beyond seed noise and reads only those in plain words (\"it starts to overfit "
    "sooner\", \"it learns more slowly\"); where none is, it says that the curves do not single out a reason. "
    "**What this establishes:** how the variant's training differed from the baseline's, measured, with its "
    "uncertainty. **What it cannot:** that this difference caused the difference in test accuracy. Across "
    "variants that differ in one setting the measures and the test figure move together; that is a "
    "correlation, not a controlled experiment on the mechanism, and different mechanisms can draw the same "
    "curves. The measures come from one validation split and the epochs trained; the training figures are "
    "Keras' running means over an epoch's batches with dropout on and any weight penalty in the loss, so a "
    "regularised net's gap is not a pure measure of memorising; the climb's slope is in the loss's units and "
    "is compared only between variants trained on the same loss. Few seeds hide real differences: with 3 "
    "seeds a curve measure is rarely told from noise (`experiments/chapter3.yaml` runs the homework with 10)."
)


@dataclass(frozen=True)
class Verdict:
    """A variant against the study's baseline on test accuracy."""

    variant: str
    comparison: Comparison
    adjusted_p: float | None
    detectable: float | None  # the smallest difference this pair's seeds find with 80% power
    undetectable: str | None = None  # why there is no such figure, in words ("2 seeds: too few ...")

    @property
    def beyond_noise(self) -> bool:
        """By the adjusted p-value (callers say apart the cases without one: one seed, no spread)."""
        return self.adjusted_p is not None and self.adjusted_p < ALPHA


@dataclass(frozen=True)
class Choice:
    """The variant the validation split prefers, and those it cannot tell from it."""

    variant: VariantStats
    metric: str
    why: str
    tied: list[str]
    test_rank: int
    ranked: int


@dataclass(frozen=True)
class Analysis:
    choice: Choice | None
    verdicts: dict[str, Verdict]
    method: str  # the correction for many comparisons
    comparisons: int
    detectable: float | None  # the study's smallest detectable difference (pooled spread)
    seeds: int
    paired: bool  # every comparison is paired
    undetectable: str | None = None  # why the study has no detectable difference, in words


def analyse(study: StudyResults) -> Analysis:
    """Every comparison with the baseline (Welch's or paired, as the seeds allow), its p-value adjusted
    over the study's comparisons, what the seeds could detect, and the variant validation chooses;
    once per study, whoever asks."""
    return study.computed(("analysis",), lambda: _analyse(study))


def _analyse(study: StudyResults) -> Analysis:
    base = study.variant(study.baseline)
    others = [v for v in study.variants if v.name != base.name and v.values("test_accuracy") and base.values("test_accuracy")]
    comparisons = {v.name: compare_variants(study, v, base, "test_accuracy") for v in others}
    tested = sum(c.p_value is not None for c in comparisons.values())
    method = correction(tested)
    adjusted = dict(zip(comparisons, adjust([c.p_value for c in comparisons.values()], method)))
    verdicts, pair_spreads = {}, []
    for v in others:
        sd, n, is_paired = pair_spread(study, v, base)
        pair_spreads.append(sd)
        verdicts[v.name] = Verdict(v.name, comparisons[v.name], adjusted[v.name], detectable_difference(sd, n, is_paired),
                                   undetectable_reason(sd, n))
    # The study's typical spread: the median over its variants (or its pairs), so one unstable variant
    # (a diverging activation, say) does not make every difference look undetectable.
    all_paired = bool(others) and all(comparisons[v.name].paired for v in others)
    spreads = pair_spreads if all_paired else [v.mean_sd("test_accuracy")[1] for v in study.variants]
    known = [sd for sd in spreads if sd is not None]
    spreads = [sd for sd in known if sd]
    pooled = statistics.median(spreads) if spreads else (0.0 if known else None)  # 0: no seed moved at all
    # The study's seeds: most variants' finished count, so one variant whose other seeds diverged does not
    # make the whole study read as one of a single seed (its own comparison says what it lacks).
    seeds = statistics.median_low([v.n for v in study.variants if v.n] or [0])
    detectable = detectable_difference(pooled, seeds, all_paired)
    return Analysis(choose(study), verdicts, method, tested, detectable, seeds, all_paired,
                    None if detectable is not None else undetectable_reason(pooled, seeds) or "the power figure could not be computed")


def choose(study: StudyResults) -> Choice | None:
    """The variant with the best validation figure at the best epoch, mean over seeds (the study's
    selection metric; validation accuracy when the variants' losses differ, as losses on different
    scales do not compare). Never the test set. Variants whose validation figures the seeds cannot
    tell from the chosen one's (adjusted p >= 0.05, or one seed a side) are named as tied with it; one with a
    single finished seed against a chosen one of several is not (nothing was compared)."""
    return study.computed(("choice",), lambda: _choose(study))


def _choose(study: StudyResults) -> Choice | None:
    rule, why = Rule.of(study.config.get("selection")), ""
    if len({r.config.get("loss") for r in study.runs}) > 1:
        rule, why = Rule("val_accuracy", "max"), ", as the variants' losses differ"
    metric = rule.metric
    key = f"best_{metric}"
    scored = [v for v in study.variants if v.values(key) and not v.validated_on_test]  # their "validation" is the test set
    if not scored:
        return None
    chosen = rule.best(scored, key=lambda v: v.mean_sd(key)[0])
    rivals = [v for v in scored if v is not chosen]
    checks = [compare_variants(study, v, chosen, key) for v in rivals]
    adjusted = adjust([c.p_value for c in checks])
    # A rival with one finished value is not "one the seeds cannot tell apart": nothing was compared.
    lone = len(chosen.values(key)) > 1
    tied = [v.name for v, c, p in zip(rivals, checks, adjusted)
            if (p is None and (c.low is None or c.difference == 0) and not (lone and len(v.values(key)) < 2))
            or (p is not None and p >= ALPHA)]
    by_test = sorted((v for v in scored if v.values("test_accuracy")), key=lambda v: -v.mean_sd("test_accuracy")[0])
    rank = next((i for i, v in enumerate(by_test, 1) if v is chosen), 0)
    return Choice(chosen, metric, why, tied, rank, len(by_test))


def points(difference: float) -> str:
    """A difference of accuracies in percentage points, as people say it."""
    return _("{points} points").format(points=f"{difference * 100:.1f}")


def detectable_sentence(analysis: Analysis) -> str:
    if analysis.detectable is None:
        if analysis.seeds < 2:
            return _("With fewer than two seeds per variant there is no estimate of seed noise, so nothing here "
                     "can be told from it.")
        return _("No detectable difference is stated ({why}); run with `--seeds 3` or more to learn how large a "
                 "difference these seeds could show.").format(why=analysis.undetectable)
    return (_("With {seeds} seeds per variant, a paired t-test at α = 0.05 finds a true difference in test accuracy of "
              "{points} with 80% power (at the study's median seed-to-seed spread); a smaller true difference is more "
              "often missed than found, so a 'not distinguishable' verdict below does not mean 'equal'.") if analysis.paired else
            _("With {seeds} seeds per variant, a Welch's t-test at α = 0.05 finds a true difference in test accuracy of "
              "{points} with 80% power (at the study's median seed-to-seed spread); a smaller true difference is more "
              "often missed than found, so a 'not distinguishable' verdict below does not mean 'equal'.")
            ).format(seeds=analysis.seeds, points=points(analysis.detectable))


def finding(study: StudyResults, analysis: Analysis | None = None) -> str:
    """One sentence: the variant the validation split prefers (never the test set), whether it stands
    out from the others on validation, and its test accuracy against the baseline's."""
    analysis = analysis or analyse(study)
    choice = analysis.choice
    if choice is None:
        return _("no run finished.")
    base = study.variant(study.baseline)
    chosen = choice.variant
    if len(study.variants) == 1:
        return _("test accuracy {accuracy} over {n} seed(s).").format(accuracy=fmt(*base.mean_sd("test_accuracy")), n=base.n)
    value = chosen.mean_sd(f"best_{choice.metric}")[0]
    label = _(METRIC_WORDS.get(choice.metric, choice.metric))
    why = _(", as the variants' losses differ") if choice.why else ""
    head = _("{found}by the validation split ({metric} at the best epoch, mean over seeds{why}) **{chosen}** comes first "
             "({value})").format(found=beyond_noise_lead(study, analysis), metric=label, why=why, chosen=chosen.name,
                                 value=f"{value:.4f}")
    if choice.tied:
        head += _(", but the seeds cannot tell it from {names} on validation, so the split does not single out one "
                  "variant").format(names=listed(choice.tied))
    if chosen.name == base.name or not base.values("test_accuracy"):
        return _("{head}; its test accuracy is {accuracy}.").format(head=head, accuracy=fmt(*chosen.mean_sd("test_accuracy")))
    verdict = analysis.verdicts.get(chosen.name)
    return _("{head}; on the test set {accuracy} against {baseline} {base_accuracy}, a difference of {difference} points, "
             "{noise}.").format(head=head, accuracy=fmt(*chosen.mean_sd("test_accuracy")), baseline=baselines(base.name),
                                base_accuracy=fmt(*base.mean_sd("test_accuracy")),
                                difference=f"{verdict.comparison.difference * 100:+.1f}", noise=_noise(verdict, analysis))


METRIC_WORDS = {"val_loss": N_("validation loss"), "val_accuracy": N_("validation accuracy")}


def beyond_noise_lead(study: StudyResults, analysis: Analysis) -> str:
    """Every result beyond seed noise on the test set, said before anything else a section finds
    ("" where there is none): what a reader most needs from a study is what it showed."""
    beyond = [(name, v) for name, v in analysis.verdicts.items() if v.beyond_noise]  # the validation choice's too
    if not beyond:
        return ""
    one = analysis.comparisons <= 1  # one comparison: its p is not adjusted (the section says no correction is needed)
    words = [_({(True, False): N_("**{name}** {points} higher (adjusted p {p})"), (False, False): N_("**{name}** {points} lower (adjusted p {p})"),
                (True, True): N_("**{name}** {points} higher (p {p})"), (False, True): N_("**{name}** {points} lower (p {p})")}[
                 v.comparison.difference > 0, one]).format(name=name, points=points(abs(v.comparison.difference)), p=p_is(v.adjusted_p))
             for name, v in beyond]
    return _("beyond seed noise, on the test set against {baseline} accuracy: {results}. Then, ").format(
        baseline=baselines(study.baseline), results=listed(words))


def baselines(name: str) -> str:
    """"the baseline's", naming the variant unless its name is already that word.

        >>> baselines("units-64"), baselines("baseline")
        ("the baseline units-64's", "the baseline's")
    """
    return _("the baseline's") if name == "baseline" else _("the baseline {name}'s").format(name=name)


def listed(names: list[str]) -> str:
    """"a, b and c", in the report's language."""
    return _("{names} and {last}").format(names=_(", ").join(names[:-1]), last=names[-1]) if len(names) > 1 else names[0]


def _noise(verdict: Verdict, analysis: Analysis) -> str:
    c = verdict.comparison
    if c.low is None:
        return _("one seed a side gives no estimate of seed noise")
    if c.p_value is None:
        return _("identical on every seed") if not c.difference else _("the same on every seed, so exactly that")
    p = (_("adjusted p {p}, {method}").format(p=p_is(verdict.adjusted_p), method=analysis.method) if analysis.comparisons > 1
         else f"p {p_is(verdict.adjusted_p)}")
    if verdict.beyond_noise:
        return _("beyond seed noise ({p})").format(p=p)
    return _("not distinguishable from seed noise ({p}{corrected})").format(p=p, corrected=corrected_away(verdict, analysis))


def corrected_away(verdict: Verdict, analysis: Analysis) -> str:
    """Where the raw interval excludes zero but the adjusted p does not: that the correction for the
    study's several comparisons made the difference, so an interval beside the verdict is not misread."""
    c = verdict.comparison
    if c.low is None or verdict.beyond_noise or not (c.low > 0 or c.high < 0):
        return ""
    return _("; its own 95% interval, {low} to {high} points, excludes zero, but not after the {method} correction for "
             "the study's {n} comparisons").format(low=f"{c.low * 100:+.2f}", high=f"{c.high * 100:+.2f}",
                                                   method=analysis.method, n=analysis.comparisons)


def still_improving(variant: VariantStats) -> str:
    """A note where most of a variant's seeds chose their last epoch: still improving when training
    stopped, so its verdict is about a net that had not finished learning ("" otherwise)."""
    last = [r for r in variant.runs if r.ok and r.metrics.get("best_epoch") is not None
            and r.metrics.get("best_epoch") == (r.metrics.get("epochs_run") or r.config.get("epochs"))
            and not (r.diagnosis and r.diagnosis.state in ("flat", "diverged"))]  # a dead net's last epoch is noise
    if not variant.n or 2 * len(last) <= variant.n:
        return ""
    return _("It chose its last epoch on {last} of {n} seeds: still improving when training stopped, so this is a "
             "verdict on a net that had not finished learning (more epochs could change it).").format(last=len(last), n=variant.n)


def comparison_sentence(study: StudyResults, variant: VariantStats, analysis: Analysis) -> str:
    base = study.variant(study.baseline)
    a, b = variant.values("test_accuracy"), base.values("test_accuracy")
    if not a or not b:
        return _("**{name}**: no finished run to compare ({problems}).").format(
            name=variant.name, problems="; ".join(variant.problems or base.problems))
    verdict = analysis.verdicts[variant.name]
    c = verdict.comparison
    (ea, _sd), (eb, _sd) = variant.mean_sd("best_epoch"), base.mean_sd("best_epoch")
    difference = (_("difference {difference}").format(difference=f"{c.difference:+.4f}") if round(c.difference, 4) else
                  _("no difference") if not c.difference else _("a difference below 0.0001"))
    head = _("**{name}** vs {base}: test accuracy {a} (n={na}) vs {b} (n={nb}), {difference}").format(
        name=variant.name, base=base.name, a=fmt(sum(a) / len(a)), na=len(a), b=fmt(sum(b) / len(b)), nb=len(b),
        difference=difference)
    epochs = _(". Best epoch {a} vs {b}").format(a=f"{ea:.1f}", b=f"{eb:.1f}")  # after the verdict, which is about test accuracy
    if c.low is None:
        unfinished = variant.problems if len(a) < 2 else base.problems
        if unfinished:  # it ran more seeds, but the others did not finish: more seeds are not the remedy
            return _("{head}. Only one seed finished on a side ({problems}), so there is no estimate of seed noise and no "
                     "verdict{epochs}.").format(head=head, problems="; ".join(unfinished), epochs=epochs)
        return _("{head}. With one seed on a side there is no estimate of seed noise: run with `--seeds 3` or more before "
                 "reading anything into this difference{epochs}.").format(head=head, epochs=epochs)
    if c.p_value is None:
        verdict_text = ((_("every seed gave the same figure, so it is better by exactly that") if c.difference > 0 else
                         _("every seed gave the same figure, so it is worse by exactly that")) if c.difference else
                        _("identical on every seed"))
        return sentences(_("{head}: {verdict}{epochs}.").format(head=head, verdict=verdict_text, epochs=epochs),
                         still_improving(variant))
    if verdict.beyond_noise:
        verdict_text = _("better than the baseline beyond seed noise") if c.difference > 0 else _("worse than the baseline beyond seed noise")
    else:
        verdict_text = _("not distinguishable from seed noise") + corrected_away(verdict, analysis) + _own_power(verdict, analysis)
    adjusted = _(", adjusted {p}").format(p=p_text(verdict.adjusted_p)) if analysis.comparisons > 1 else ""
    sentence = _("{head} (95% CI {low} to {high}; {test}, p {p}{adjusted}): {verdict}{epochs}.").format(
        head=head, low=f"{c.low:+.4f}", high=f"{c.high:+.4f}", test=_(TEST_WORDS[c.paired]), p=p_is(c.p_value),
        adjusted=adjusted, verdict=verdict_text, epochs=epochs)
    return sentences(sentence, still_improving(variant))


TEST_WORDS = {False: N_("Welch's two-sample t-test over seeds"), True: N_("paired t-test over seeds")}  # stats.TEST_NAMES


def _own_power(verdict: Verdict, analysis: Analysis) -> str:
    """The study states one detectable difference (detectable_sentence); a comparison says its own only
    where its seeds are noticeably noisier or quieter than the study's, and why there is none."""
    if verdict.detectable is None:
        return f" ({verdict.undetectable})" if verdict.undetectable else ""
    if analysis.detectable is None or not 2 / 3 <= verdict.detectable / analysis.detectable <= 1.5:
        more = analysis.detectable is None or verdict.detectable > analysis.detectable
        return (_("; this pair's seeds spread more than the study's, so it would find a true difference of {points} with 80% "
                  "power") if more else
                _("; this pair's seeds spread less than the study's, so it would find a true difference of {points} with 80% "
                  "power")).format(points=points(verdict.detectable))
    return ""


def method_sentence(study: StudyResults, analysis: Analysis) -> str:
    """How the comparisons below were made: the test each uses and why, and the correction."""
    kinds = {v.comparison.paired for v in analysis.verdicts.values() if v.comparison.low is not None}
    if not kinds or not analysis.comparisons:
        return ""
    if kinds == {True, False}:
        tests = _("a paired t-test over seeds where the two variants have the same data, layer shapes and initializers (the seeds "
                  "pair the runs) and Welch's t-test over seeds where they do not")
    elif kinds == {True}:
        tests = _("a paired t-test over seeds where the two variants have the same data, layer shapes and initializers (the seeds "
                  "pair the runs)")
    else:
        tests = _("Welch's t-test over seeds, as the variants' data, layer shapes or initializers differ")
    untested = len(analysis.verdicts) - analysis.comparisons
    if analysis.comparisons > 1:
        corrected = (_("The p-values of the study's {n} comparisons with the baseline that have one ({untested} gave the same "
                       "difference on every seed, so no p-value) are adjusted with {method}'s method; every verdict uses the "
                       "adjusted one.") if untested else
                     _("The p-values of the study's {n} comparisons with the baseline are adjusted with {method}'s method; every "
                       "verdict uses the adjusted one.")).format(n=analysis.comparisons, untested=untested, method=analysis.method)
    else:
        corrected = _("One comparison: no correction is needed.")
    return _("Each variant is compared with the baseline by {tests}. {corrected} ({how_to_read}.)").format(
        tests=tests, corrected=corrected, how_to_read=_(HOW_TO_READ))


