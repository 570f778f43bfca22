"""Why a variant's test accuracy moved, or did not: its learning curves measured (nnlab.diagnostics)
and set against the baseline's over seeds, paired where the seeds pair the runs, Holm-adjusted over
the measures of one comparison. A sentence names a difference only when it is beyond seed noise,
and reads it ("it starts to overfit sooner") only from such differences; where none is, it says that
the curves do not single out a reason.

    diagnoses(variant)                 each seed's Diagnosis
    differences(study, variant, base)  every measure against the baseline, with its interval
    why_sentence(study, variant, base, verdict)
    table(study)                       the measures per variant, mean ± sd over seeds
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ...changes import changed_sentence
from ...conclusions import Verdict, points
from ...diagnostics import STATES, Diagnosis
from ...i18n import N_, _, sentences
from ...pairing import compare_by_seed, paired
from ...report_data import StudyResults, VariantStats
from ...stats import ALPHA, Comparison, adjust, mean_sd
from .gradients import gradient_regime


@dataclass(frozen=True)
class Measure:
    key: str  # the Diagnosis field
    header: str  # its column in the table
    loss_scaled: bool  # in the loss's units: compared only between variants trained on the same loss
    log: bool = False  # a ratio: compared as log10, shown as a factor
    # Past the best epoch: the retrained model (trained for the best epoch's count) never sees this
    # stretch, so it explains the full-epochs model's figure, not the retrained test figure.
    after_best: bool = False


MEASURES = (
    Measure("lowest_epoch", N_("lowest val loss at epoch"), False),
    Measure("lowest_val_loss", N_("lowest val loss"), True),
    Measure("val_accuracy_at_best", N_("val accuracy, best epoch"), False),
    Measure("accuracy_gap_at_best", N_("train − val accuracy, best epoch"), False),
    Measure("epochs_to_95", N_("epochs to 95% of best val accuracy"), False),
    Measure("gradient_ratio", N_("first-layer / output gradient, epoch 1"), False, log=True),
    Measure("rise_per_epoch", N_("val loss rise / epoch after it"), True, after_best=True),
    Measure("accuracy_gap_at_last", N_("train − val accuracy, last epoch"), False, after_best=True),
)
# States that set a variant apart when every one of its seeds is in it and no seed of the baseline is.
TELLING_STATES = ("diverged", "flat", "still improving")


def diagnoses(variant: VariantStats) -> dict[int, Diagnosis]:
    """Each seed's Diagnosis from its search-phase curves (a diverged run's too: its state says so)."""
    return {r.metrics["seed"]: r.diagnosis for r in variant.runs if r.history and r.metrics.get("status") in ("ok", "diverged")}


def measure_value(diagnosis: Diagnosis, measure: Measure) -> float | None:
    value = getattr(diagnosis, measure.key)
    if value is None or not math.isfinite(value):
        return None
    if measure.log:
        return math.log10(value) if value > 0 else None
    return float(value)


@dataclass(frozen=True)
class Difference:
    """One measure of a variant against the baseline's (means over seeds; for a log measure, log10)."""

    measure: Measure
    variant: float
    baseline: float
    comparison: Comparison
    adjusted_p: float | None

    @property
    def beyond_noise(self) -> bool:
        c = self.comparison
        if c.p_value is None:  # no spread: beyond only if every seed moved by the same nonzero amount
            return c.low is not None and c.difference != 0
        return self.adjusted_p is not None and self.adjusted_p < ALPHA

    @property
    def sign(self) -> int:
        return (self.comparison.difference > 0) - (self.comparison.difference < 0)


def differences(study: StudyResults, variant: VariantStats, base: VariantStats) -> list[Difference]:
    """Every measure both variants have on two or more seeds (loss-scaled ones only under the same
    loss), paired over common seeds where the seeds pair the runs, Holm-adjusted together; computed
    once per study and pair, whoever asks."""
    return study.computed(("differences", variant.name, base.name), lambda: _differences(study, variant, base))


def _differences(study: StudyResults, variant: VariantStats, base: VariantStats) -> list[Difference]:
    ours, theirs = diagnoses(variant), diagnoses(base)
    same_loss = variant.runs[0].config.get("loss") == base.runs[0].config.get("loss")
    pair, found = paired(study, variant, base), []
    for measure in MEASURES:
        if measure.loss_scaled and not same_loss:
            continue
        x = {s: v for s, d in ours.items() if (v := measure_value(d, measure)) is not None}
        y = {s: v for s, d in theirs.items() if (v := measure_value(d, measure)) is not None}
        if len(x) < 2 or len(y) < 2:
            continue
        found.append((measure, mean_sd(list(x.values()))[0], mean_sd(list(y.values()))[0], compare_by_seed(x, y, pair)))
    adjusted = adjust([c.p_value for *_, c in found], "Holm")
    return [Difference(m, a, b, c, p) for (m, a, b, c), p in zip(found, adjusted)]


def state_counts(diagnosed: dict[int, Diagnosis]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for d in diagnosed.values():
        counts[d.state] = counts.get(d.state, 0) + 1
    return counts


def telling_states(variant: VariantStats, base: VariantStats) -> list[tuple[str, str]]:
    """(state, whose) for each telling state every seed of one side is in and no seed of the other."""
    ours, theirs = diagnoses(variant), diagnoses(base)
    found = []
    for state in TELLING_STATES:
        a, b = state_counts(ours).get(state, 0), state_counts(theirs).get(state, 0)
        if len(ours) >= 2 and a == len(ours) and b == 0:
            found.append((state, "variant"))
        elif len(theirs) >= 2 and b == len(theirs) and a == 0:
            found.append((state, "baseline"))
        elif state in ("flat", "diverged") and len(ours) >= 2 and len(theirs) >= 2 and a == len(ours) and b == len(theirs):
            found.append((state, "both"))  # neither learns: nothing in their curves tells them apart
    return found


# --- sentences ----------------------------------------------------------------------------------

def _interval(d: Difference, unadjusted: bool = False) -> str:
    c = d.comparison
    if c.p_value is None:
        return _("the same difference on every seed")
    ci = _("95% CI unadjusted") if unadjusted else _("95% CI")
    if d.measure.log:
        return _("{ci} ×{low} to ×{high}").format(ci=ci, low=f"{10 ** c.low:.3g}", high=f"{10 ** c.high:.3g}")
    if _in_points(d.measure):
        return _("{ci} {low} to {high} points").format(ci=ci, low=f"{c.low * 100:+.1f}", high=f"{c.high * 100:+.1f}")
    if d.measure.key == "rise_per_epoch":
        return _("{ci} {low} to {high} per epoch").format(ci=ci, low=f"{c.low:+.3g}", high=f"{c.high:+.3g}")
    if d.measure.key == "lowest_val_loss":
        return _("{ci} {low} to {high}").format(ci=ci, low=f"{c.low:+.3g}", high=f"{c.high:+.3g}")
    return _("{ci} {low} to {high} epochs").format(ci=ci, low=f"{c.low:+.1f}", high=f"{c.high:+.1f}")


def _measured(d: Difference, with_p: bool = False) -> str:
    """One measured difference in words, with its interval (and its adjusted p, for one within noise)."""
    key, a, b, diff = d.measure.key, d.variant, d.baseline, d.comparison.difference
    if key == "lowest_epoch":
        text = (_("its validation loss is lowest {n} epochs later") if diff > 0 else
                _("its validation loss is lowest {n} epochs earlier")).format(n=f"{abs(diff):.1f}")
        detail = _("epoch {a} against {b}").format(a=f"{a:.1f}", b=f"{b:.1f}")
    elif key == "lowest_val_loss":
        text = _("its lowest validation loss is higher") if diff > 0 else _("its lowest validation loss is lower")
        detail = _("{a} against {b}").format(a=f"{a:.3g}", b=f"{b:.3g}")
    elif key == "val_accuracy_at_best":
        text = (_("at its best epoch its validation accuracy is {points} higher") if diff > 0 else
                _("at its best epoch its validation accuracy is {points} lower")).format(points=points(abs(diff)))
        detail = _("{a} against {b}").format(a=f"{a:.4f}", b=f"{b:.4f}")
    elif key == "rise_per_epoch":
        if a > 0 and b > 0:
            text = (_("after its lowest point, its validation loss climbs {factor}× as fast") if a >= b else
                    _("after its lowest point, its validation loss climbs {factor}× more slowly")).format(
                        factor=f"{a / b:.2g}" if a >= b else f"{b / a:.2g}")
        else:
            text = (_("after its lowest point, its validation loss climbs faster") if diff > 0 else
                    _("after its lowest point, its validation loss climbs more slowly"))
        detail = _("{a} against {b} per epoch").format(a=f"{a:.3g}", b=f"{b:.3g}")
    elif key in ("accuracy_gap_at_best", "accuracy_gap_at_last"):
        text = (_("at its best epoch its training accuracy is {gap} its validation accuracy") if key == "accuracy_gap_at_best"
                else _("at the last epoch its training accuracy is {gap} its validation accuracy")).format(gap=_above(a))
        detail = _("against {gap}").format(gap=_above(b))
    elif key == "epochs_to_95":
        text = _("it takes {n} epochs to reach 95% of its best validation accuracy").format(n=f"{a:.1f}")
        detail = _("against {b}").format(b=f"{b:.1f}")
    else:  # gradient_ratio, as log10
        text = _("in the first epoch its first hidden layer's gradient is {ratio}× the output layer's").format(ratio=f"{10 ** a:.3g}")
        detail = _("against {b}×").format(b=f"{10 ** b:.3g}")
    p = _(", adjusted p = {p}").format(p=f"{d.adjusted_p:.2g}") if with_p and d.adjusted_p is not None else ""
    unadjusted = with_p and d.comparison.p_value is not None  # beside a verdict that is adjusted
    return _("{text} ({detail}; {interval}{p})").format(text=text, detail=detail, interval=_interval(d, unadjusted), p=p)


def _in_points(measure: Measure) -> bool:
    return measure.key.startswith("accuracy_gap") or measure.key == "val_accuracy_at_best"


def _above(gap: float) -> str:
    """A training-minus-validation gap in words, its sign read: -0.013 is 1.3 points below."""
    return (_("{points} above") if gap >= 0 else _("{points} below")).format(points=points(abs(gap)))


def gap_direction(d: Difference) -> int:
    """+1 a wider gap than the baseline's, -1 a narrower one, 0 where the two gaps have opposite signs
    (training accuracy above validation on one side, below on the other: neither is wider)."""
    if d.variant * d.baseline < 0:
        return 0
    return (abs(d.variant) > abs(d.baseline)) - (abs(d.variant) < abs(d.baseline))


def _regime(variant: VariantStats) -> str | None:
    ends = [(d.gradient_first, d.gradient_output) for d in diagnoses(variant).values()]
    ends = [(a, b) for a, b in ends if a is not None and b is not None]
    if not ends:
        return None
    return gradient_regime(*(mean_sd([e[k] for e in ends])[0] for k in (0, 1)))


def _visible(d: Difference) -> bool:
    """Whether the two means differ at the digits the sentence shows ("epoch 4.7 against 4.7" is no difference)."""
    key, a, b = d.measure.key, d.variant, d.baseline
    if key == "val_accuracy_at_best":  # its difference in points, beside the two at 4 decimals
        return f"{a * 100:.1f}" != f"{b * 100:.1f}" and f"{a:.4f}" != f"{b:.4f}"
    if _in_points(d.measure):
        return f"{a * 100:.1f}" != f"{b * 100:.1f}"
    if key in ("rise_per_epoch", "lowest_val_loss"):
        return f"{a:.3g}" != f"{b:.3g}"
    if d.measure.log:
        return f"{10 ** a:.3g}" != f"{10 ** b:.3g}"
    return f"{a:.1f}" != f"{b:.1f}"


def _readings(found: list[Difference], states: list[tuple[str, str]], epochs: int,
              regimes: tuple[str | None, str | None] = (None, None), overfitting: tuple[int, int] = (1, 1)) -> list[str]:
    """What the differences beyond noise read as, in plain words: only from those. Where one side
    barely learns or diverges, only that is said: its curves have no overfitting to read."""
    stuck = [(state, whose) for state, whose in states if state in ("flat", "diverged")]
    beyond = {d.measure.key: d for d in found if d.beyond_noise and _visible(d)} if not stuck else {}
    by = {key: d.sign for key, d in beyond.items()}
    overfits = 2 * overfitting[0] > overfitting[1]  # (seeds whose curve overfits, seeds)
    overfits_text = _("its curve overfits on {n} of {seeds} seeds").format(n=overfitting[0], seeds=overfitting[1])
    out, after = [], []  # up to the best epoch (what the retrained model is); past it (the full-epochs model only)
    onset, pace = by.get("lowest_epoch"), by.get("rise_per_epoch")
    if onset:
        if overfits:
            out.append(_("it starts to overfit sooner") if onset == -1 else _("it starts to overfit later"))
        else:  # its curves mostly level off or still improve: "overfits" would say what they do not
            out.append((_("its validation loss is lowest sooner ({overfitting})") if onset == -1 else
                        _("its validation loss is lowest later ({overfitting})")).format(overfitting=overfits_text))
    if by.get("val_accuracy_at_best"):
        out.append(_("at its best epoch its validation accuracy is higher") if by["val_accuracy_at_best"] == 1 else
                   _("at its best epoch its validation accuracy is lower"))
    if by.get("lowest_val_loss"):
        out.append(_("its lowest validation loss is higher") if by["lowest_val_loss"] == 1 else _("its lowest validation loss is lower"))
    # The gap at the best epoch follows from where that epoch is: with the lowest epoch moved, it is the
    # same reason again, so it is not read beside it.
    gap_words = {1: N_("its training accuracy pulls further ahead of its validation accuracy (a wider generalisation gap)"),
                 -1: N_("its training and validation accuracy stay closer (a narrower generalisation gap)"),
                 0: N_("its training accuracy and its validation accuracy change places against the baseline's")}
    # Nor beside a validation accuracy at the best epoch that moved the gap's way (lower validation
    # accuracy is a wider training-minus-validation gap by arithmetic, not a second finding).
    same_again = by.get("val_accuracy_at_best") and "accuracy_gap_at_best" in beyond and \
        gap_direction(beyond["accuracy_gap_at_best"]) == -by["val_accuracy_at_best"]
    if "accuracy_gap_at_best" in beyond and not onset and not same_again:
        out.append(_("at its best epoch {gap}").format(gap=_(gap_words[gap_direction(beyond["accuracy_gap_at_best"])])))
    if by.get("epochs_to_95"):
        # Against its own best: a net with a lower best can reach 95% of it sooner (raw MNIST pixels).
        out.append(_("it takes longer to come near its own best") if by["epochs_to_95"] == 1 else _("it comes near its own best sooner"))
    ours, theirs = regimes
    if "gradient_ratio" in beyond and ours == theirs == "ordinary":
        out.append(_("its gradient shrinks more on its way back to the input") if by["gradient_ratio"] == -1 else
                   _("its gradient shrinks less on its way back to the input"))
    elif ours and theirs and ours == theirs != "ordinary":
        out.append(_("its gradients and the baseline's are both {regime}, so the ratio between their layers does not "
                     "rank them").format(regime=_(REGIME_WORDS[ours])))
    elif ours and theirs and ours != theirs:
        mine = {"exploding": N_("its gradients explode (norms far above 1 in every layer, from the weights' scale)"),
                "vanishing": N_("its gradient all but vanishes before the first hidden layer (a hundredth of the output's "
                                "or less: vanishing gradients)"),
                "ordinary": N_("its gradient reaches the first hidden layer at more than a hundredth of the output's")}[ours]
        yours = {"exploding": N_("the baseline's explode"), "vanishing": N_("the baseline's all but vanishes"),
                 "ordinary": N_("the baseline's reaches it at more than a hundredth")}[theirs]
        out.append(_("{mine}, while {yours}").format(mine=_(mine), yours=_(yours)))
    if pace:
        if overfits:
            after.append(_("it overfits faster") if pace == 1 else _("it overfits more slowly"))
        else:
            climbs = _("its validation loss climbs faster") if pace == 1 else _("its validation loss climbs less")
            after.append(climbs + ("" if any(overfits_text in text for text in out) else f" ({overfits_text})"))
    if "accuracy_gap_at_last" in beyond:
        after.append(_("by the last epoch {gap}").format(gap=_(gap_words[gap_direction(beyond["accuracy_gap_at_last"])])))
    if after:
        past = _("past its best epoch, where only the full-epochs model trains: {readings}").format(readings=_("; ").join(after))
        out.append(past if out else _("up to its best epoch nothing measured differs beyond seed noise; {past}").format(past=past))
    if any(whose == "both" for _state, whose in stuck):
        out = []  # two nets that do not learn: the measures of their curves are noise about nothing
    for state, whose in states:
        if whose == "both":
            out.append((_("it and the baseline both barely learn on every seed ({state}), so their curves cannot say why "
                          "they differ") if state == "flat" else
                        _("it and the baseline both diverge on every seed ({state}), so their curves cannot say why they "
                          "differ")).format(state=_(STATES[state]).replace("its ", "the ", 1)))
            continue
        variant_word = N_("this variant") if any(w == "baseline" for _state, w in states) else N_("it")
        who = _(variant_word) if whose == "variant" else _("the baseline")
        if state == "still improving":
            out.append(_("{who} has not finished learning: its validation loss is still falling at the last epoch ({epochs}) "
                         "on every seed").format(who=who, epochs=epochs))
        elif state == "flat":
            out.append(_("{who} barely learns: {state} on every seed").format(
                who=who, state=_(STATES["flat"]).replace("its ", "the ", 1)))
        else:
            out.append(_("{who} diverges on every seed").format(who=who))
    return out


REGIME_WORDS = {"exploding": N_("exploding"), "vanishing": N_("vanishing")}


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + _(".")


def reason(study: StudyResults, variant: VariantStats, base: VariantStats) -> str:
    """The curves' account in one clause, for an answer table: what the readings say, or that the curves
    single out no reason (the why sentence beside the comparison gives the measures)."""
    found = differences(study, variant, base)
    states = telling_states(variant, base)
    if not found and not states:
        return _("too few seeds with curves to say")
    stuck = any(state in ("flat", "diverged") for state, _whose in states)
    beyond = [d for d in found if d.beyond_noise and _visible(d)] if not stuck else []
    if not beyond and not states:
        return _("the curves single out no reason (no measure beyond seed noise)")
    ours = diagnoses(variant)
    readings = _readings(found, states, max((d.epochs for d in ours.values()), default=0), (_regime(variant), _regime(base)),
                         (sum(d.state == "overfits" for d in ours.values()), len(ours)))
    return _("; ").join(readings) if readings else _("its curves differ, but point no one way")


def why_sentence(study: StudyResults, variant: VariantStats, base: VariantStats, verdict: Verdict | None,
                 parameters: tuple[int, int] | None = None) -> str:
    """The curves' account of a comparison with the baseline. `parameters`: (variant's, baseline's)."""
    found = differences(study, variant, base)
    states = telling_states(variant, base)
    epochs = max((d.epochs for d in diagnoses(variant).values()), default=0)
    if not found and not states:
        return _("*Why, from the curves:* {changed} Too few seeds with curves on one side to compare them.").format(
            changed=changed_sentence(variant, base))
    stuck = any(state in ("flat", "diverged") for state, _whose in states)
    beyond = [d for d in found if d.beyond_noise and _visible(d)] if not stuck else []
    if found:
        head = (_("*Why, from the curves* (one measure, paired over seeds):") if len(found) == 1 else
                _("*Why, from the curves* ({n} measures, paired over seeds, Holm-adjusted together):")
                if any(d.comparison.paired for d in found) else
                _("*Why, from the curves* ({n} measures, Welch's, over seeds, Holm-adjusted together):")).format(n=len(found))
    else:
        head = _("*Why, from the curves:*")
    head = sentences(head, changed_sentence(variant, base))
    parts = []
    if parameters and not 0.95 <= parameters[0] / parameters[1] <= 1.05:  # a few PReLU slopes are not capacity
        parts.append(_("it has {ratio}× the baseline's parameters ({ours} against {theirs})").format(
            ratio=f"{parameters[0] / parameters[1]:.2g}", ours=f"{parameters[0]:,}", theirs=f"{parameters[1]:,}"))
    if beyond:  # up to the best epoch first; past it, said to be so (the retrained model never trains there)
        now = [_measured(d) for d in beyond if not d.measure.after_best]
        later = [_measured(d) for d in beyond if d.measure.after_best]
        parts.append(_("; ").join(now + ([_("past its best epoch, {measures}").format(measures=_("; ").join(later))] if later else [])))
    ours = diagnoses(variant)
    overfitting = (sum(d.state == "overfits" for d in ours.values()), len(ours))
    readings = _readings(found, states, epochs, (_regime(variant), _regime(base)), overfitting)
    if beyond or states:
        reading = (_("Read together: {readings}.").format(readings=_("; ").join(readings)) if readings else
                   _("These differences point no one way."))
        text = sentences(head, *([_sentence(_("; ").join(parts))] if parts else []), reading)
    else:
        closest = sorted((d for d in found if d.comparison.low is not None and _visible(d)),
                         key=lambda d: (d.adjusted_p if d.adjusted_p is not None else 1.0))[:2]
        within = _(" (closest: {measures})").format(measures=_("; ").join(_measured(d, with_p=True) for d in closest)) if closest else ""
        if parts:
            text = sentences(head, _sentence(_("{parts}, but the curves do not single out a reason: no measured difference is "
                                            "beyond seed noise{closest}").format(parts=_("; ").join(parts), closest=within)))
        else:
            text = sentences(head, _sentence(_("the curves do not single out a reason: no measured difference is beyond seed "
                                               "noise{closest}").format(closest=within)))
    return sentences(text, _test_side(verdict, bool(readings) and bool(beyond or states)))


def _test_side(verdict: Verdict | None, explained: bool) -> str:
    if verdict is None or verdict.comparison.low is None:
        return ""
    c = verdict.comparison
    if c.p_value is None and not c.difference:
        return _("Its test accuracy is the baseline's on every seed.")
    if verdict.beyond_noise:
        return _("Its test accuracy is higher beyond seed noise.") if c.difference > 0 else _("Its test accuracy is lower beyond seed noise.")
    if c.p_value is None and c.difference:
        return (_("Its test accuracy is higher on every seed by the same amount.") if c.difference > 0 else
                _("Its test accuracy is lower on every seed by the same amount."))
    if explained:
        return _("Its test accuracy is not distinguishable from the baseline's: the difference in how it learns does "
                 "not reach the test figure beyond seed noise.")
    return _("Its test accuracy is not distinguishable from the baseline's.")


