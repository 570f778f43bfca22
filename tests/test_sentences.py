"""Issue 32: every sentence the report prints is true. Each class of false sentence the committed
report held is a rule of the generator, tested here on made-up studies that exhibit it (curves and
figures written by hand; nothing trains)."""

import copy
from pathlib import Path

import pytest

from conftest import train_metrics
from nnlab.changes import settings_changed
from nnlab.conclusions import analyse, method_sentence
from nnlab.kinds.train import why
from nnlab.report_data import Run, StudyResults, VariantStats
from nnlab.stats import Comparison
from test_diagnostics import CONFIG, curves, overfitting_at


def variant(name: str, histories: list[dict], tests: list[float], **settings) -> VariantStats:
    """A variant of made-up runs; `settings` change its config (dotted keys: optimizer__name)."""
    runs = []
    for seed, (history, test) in enumerate(zip(histories, tests)):
        config = copy.deepcopy({**CONFIG, "variant": name, "seed": seed,
                                "model": {"hidden_layers": 2, "units": 64, "activation": "relu"}})
        for key, value in settings.items():
            *parents, last = key.split("__")
            node = config
            for part in parents:
                node = node.setdefault(part, {})
            node[last] = value
        best = history["val_loss"].index(min(history["val_loss"])) + 1
        metrics = train_metrics(study="synth", variant=name, seed=seed, status="ok", run_key=f"{name}-{seed}", best_epoch=best,
                                best_val_loss=min(history["val_loss"]), best_val_accuracy=0.8, test_accuracy=test)
        runs.append(Run(Path(f"/nowhere/{name}/seed-{seed}"), metrics, config, None, history))
    return VariantStats(name, runs)


def said(*variants: VariantStats, name: str) -> str:
    study = StudyResults("synth", Path("/nowhere"), list(variants))
    return why.why_sentence(study, study.variant(name), study.variant("base"), analyse(study).verdicts.get(name))


def read_together(text: str) -> str:
    return text.split("Read together:")[1] if "Read together:" in text else ""


TESTS = [0.80, 0.81, 0.79, 0.80]


def with_gap(history: dict, gap: float) -> dict:
    """The curves with training accuracy `gap` above validation accuracy (below, for a negative gap)."""
    return {**history, "accuracy": [v + gap for v in history["val_accuracy"]]}


# --- 1. a sign read backwards ----------------------------------------------------------------------

def test_a_gap_below_zero_is_said_below_and_a_larger_one_is_wider_whatever_its_sign():
    base = variant("base", [with_gap(overfitting_at(6, 0.02), -0.006 + n) for n in (0, 0.001, -0.001, 0.0005)], TESTS)
    soft = variant("soft", [with_gap(overfitting_at(6, 0.02), -0.017 + n) for n in (0, 0.0012, -0.001, 0.0004)], TESTS,
                   model__activation="softplus")
    text = said(base, soft, name="soft")
    assert "1.7 points below its validation accuracy (against 0.6 points below" in text
    assert "-1.7 points" not in text and "points above" not in text
    assert "a wider generalisation gap" in read_together(text) and "narrower" not in text


def test_gaps_of_opposite_signs_are_neither_wider_nor_narrower():
    d = why.Difference(why.MEASURES[2], -0.01, 0.02, Comparison(-0.03, -0.04, -0.02, 0.001, True), 0.001)
    assert why.gap_direction(d) == 0
    assert why.gap_direction(why.Difference(why.MEASURES[2], -0.02, -0.01, Comparison(-0.01, -0.02, 0.0, 0.01, True), 0.01)) == 1


# --- 2. a state that contradicts another -------------------------------------------------------------

def test_a_variant_that_barely_learns_gets_the_sentence_of_its_state_not_the_overfitting_words():
    base = variant("base", [overfitting_at(6, 0.02, wobble=w) for w in (0, 0.01, -0.01, 0.005)], TESTS)
    flat = variant("flat", [curves([0.0900, 0.0899, 0.0898, 0.0897, 0.0896, 0.0895, 0.0894, 0.0893, 0.0892, 0.0891, 0.0890, 0.0889 - w])
                            for w in (0, 0.0001, 0.0002, 0.00005)], [0.11, 0.1, 0.11, 0.1], optimizer__name="sgd")
    text = said(base, flat, name="flat")
    reading = read_together(text)
    assert "it barely learns" in reading
    assert "overfit" not in reading and "generalisation gap" not in reading and "comes near its own best sooner" not in reading


# --- 3. a variant that changed several things ----------------------------------------------------------

def test_every_comparison_names_what_differs_and_several_differences_are_not_attributed_to_one():
    base = variant("base", [overfitting_at(8, 0.02, wobble=w) for w in (0, 0.01, -0.01, 0.005)], TESTS)
    both = variant("both", [overfitting_at(4, 0.06, wobble=w) for w in (0, 0.01, -0.01, 0.005)], TESTS,
                   loss="mse", optimizer__name="adam")
    one = variant("one", [overfitting_at(4, 0.06, wobble=w) for w in (0, 0.01, -0.01, 0.005)], TESTS, model__units=128)
    text = said(base, both, one, name="both")
    assert "It differs from the baseline in 2 settings, loss (mse, against categorical_crossentropy) and optimizer.name " \
           "(adam, against rmsprop), so what follows cannot be attributed to one of them." in text
    assert "It differs from the baseline in one setting: model.units (128, against 64)." in said(base, both, one, name="one")


def test_settings_changed_reads_the_configs_not_the_names():
    a = {**CONFIG, "variant": "x", "seed": 1, "optimizer": {"name": "sgd", "schedule": {"name": "exponential_decay"}}}
    b = {**CONFIG, "variant": "y", "seed": 2, "optimizer": {"name": "sgd", "schedule": None}}
    assert settings_changed(a, b) == [("optimizer.schedule", {"name": "exponential_decay"}, None)]


# --- 4. a measure read in the wrong regime ------------------------------------------------------------

def with_gradients(history: dict, first: float, output: float) -> dict:
    return {**history, "gradient_norm_1": [first] * len(history["val_loss"]), "gradient_norm_2": [output] * len(history["val_loss"])}


def test_ratios_of_exploding_gradients_are_not_read_as_a_gradient_that_shrinks_less():
    """mnist_gradients' numbers: ReLU with weights in [0, 1] (norms 7.7e3 and 7.3e5: a ratio of 0.01)
    against the sigmoid net (0.00028 and 0.25: a ratio of 0.001)."""
    base = variant("base", [with_gradients(overfitting_at(6, 0.02), 0.00028 * k, 0.247) for k in (1, 1.1, 0.9, 1.05)], TESTS)
    hot = variant("hot", [with_gradients(overfitting_at(6, 0.02), 7.74e3 * k, 7.33e5) for k in (1, 1.2, 0.8, 1.1)], TESTS,
                  model__kernel_init_range=[0.0, 1.0], model__activation="relu")
    reading = read_together(said(base, hot, name="hot"))
    assert "its gradients explode" in reading and "shrinks less" not in reading


def test_two_nets_whose_gradients_both_explode_are_not_ranked_by_their_ratio():
    base = variant("base", [with_gradients(overfitting_at(6, 0.02), 7.74e3 * k, 7.33e5) for k in (1, 1.1, 0.9, 1.05)], TESTS)
    clipped = variant("clipped", [with_gradients(overfitting_at(6, 0.02), 8.9e4 * k, 2.3e7) for k in (1, 1.2, 0.8, 1.1)], TESTS,
                      optimizer__clipnorm=1.0)
    reading = read_together(said(base, clipped, name="clipped"))
    assert "both exploding" in reading and "shrinks" not in reading


def test_a_vanished_gradient_against_an_ordinary_one_is_called_so():
    base = variant("base", [with_gradients(overfitting_at(6, 0.02), 0.3 * k, 1.0) for k in (1, 1.1, 0.9, 1.05)], TESTS)
    dead = variant("dead", [with_gradients(overfitting_at(6, 0.02), 1e-8 * k, 1.0) for k in (1, 1.2, 0.8, 1.1)], TESTS,
                   model__activation="sigmoid")
    reading = read_together(said(base, dead, name="dead"))
    assert "its gradient all but vanishes before the first hidden layer" in reading and "shrinks more" not in reading


# --- 7. one reason counted twice ---------------------------------------------------------------------

def test_a_narrower_gap_at_an_earlier_best_epoch_is_not_a_second_reason():
    """The default curves' gap grows by half a point an epoch, so an earlier lowest epoch has a smaller
    gap there by construction; at the last epoch the gaps are the same."""
    base = variant("base", [overfitting_at(8, 0.02, wobble=w) for w in (0, 0.01, -0.01, 0.005)], TESTS)
    early = variant("early", [overfitting_at(low, 0.02, wobble=w) for low, w in zip((4, 4, 5, 4), (0, 0.01, -0.01, 0.005))], TESTS,
                    model__units=128)
    text = said(base, early, name="early")
    assert "starts to overfit sooner" in read_together(text)
    assert "generalisation gap" not in read_together(text)


# --- 8. text that does not parse ----------------------------------------------------------------------

def difference(key: str, ours: float, theirs: float) -> why.Difference:
    measure = next(m for m in why.MEASURES if m.key == key)
    return why.Difference(measure, ours, theirs, Comparison(ours - theirs, ours - theirs - 1, ours - theirs + 1, 0.001, True), 0.001)


def test_a_pace_far_below_the_baselines_is_said_as_a_factor_not_as_zero_times():
    text = why._measured(difference("rise_per_epoch", 0.0003, 0.01))
    assert "0.0×" not in text and "33× more slowly" in text and "after its lowest point" in text


def test_a_difference_that_vanishes_at_the_digits_shown_is_no_difference():
    assert not why._visible(difference("lowest_epoch", 4.67, 4.70))
    assert why._visible(difference("lowest_epoch", 4.6, 4.75))


def test_the_method_sentence_names_welchs_test_with_its_own_reason_when_no_comparison_is_paired():
    base = variant("base", [overfitting_at(6, 0.02)] * 3, [0.80, 0.81, 0.79])
    other = variant("other", [overfitting_at(6, 0.02)] * 3, [0.78, 0.80, 0.79], model__units=128)
    study = StudyResults("synth", Path("/nowhere"), [base, other])
    text = method_sentence(study, analyse(study))
    assert "Welch's t-test" in text and "where they do not" not in text


def test_the_baseline_is_never_called_the_baseline_baseline():
    from nnlab.conclusions import baselines

    assert baselines("baseline") == "the baseline's" and baselines("units-64") == "the baseline units-64's"
    assert "baseline baseline" not in baselines("baseline").capitalize()


# --- 5. a winner inside chance ---------------------------------------------------------------------

def test_xor_names_a_variant_that_solves_most_often_only_beyond_chance():
    from nnlab.kinds.xor.report import most_often

    close = {"xent-adam": {"solved": 78, "runs": 300, "solved_rate": 78 / 300}, "sgd": {"solved": 73, "runs": 300, "solved_rate": 73 / 300}}
    scored = [VariantStats(name, []) for name in close]
    text = most_often(scored, close)
    assert text.startswith("no one variant leads beyond chance: the two that solve XOR most often") and "**" not in text
    apart = {**close, "sgd": {"solved": 20, "runs": 300, "solved_rate": 20 / 300}}
    assert most_often(scored, apart).startswith("**xent-adam** solves XOR most often, beyond chance against the next")


def xor_variant(name: str, solved: int, dead: int, **model) -> VariantStats:
    metrics = {"status": "ok", "seed": 0, "repeats": 100, "solved": solved, "runs_with_dead_unit": dead,
               "identical_units_rate": 0.0, "final_loss_median": 0.1}
    config = {"variant": name, "kind": "xor", "learning_rate": 0.01, "model": {"units": 2, "activation": "relu", **model}}
    return VariantStats(name, [Run(Path(f"/nowhere/{name}/seed-0"), metrics, config, None, None)])


def test_xor_verdicts_use_p_values_adjusted_over_the_studys_comparisons_and_no_tie_is_attributed():
    from nnlab.kinds.xor.report import fisher_family, xor_sentence

    base = xor_variant("relu", 30, 60)
    # 45/100 against 30/100: beyond chance alone, one of five comparisons with the baseline
    others = [xor_variant("a", 45, 60, activation="elu"), xor_variant("b", 30, 60, activation="tanh", units=4)]
    others += [xor_variant(f"c{k}", 31, 60, activation="softplus") for k in range(3)]
    solved = fisher_family([(45, 100, 30, 100)] + [(30, 100, 30, 100)] + [(31, 100, 30, 100)] * 3)
    dead = fisher_family([(60, 100, 60, 100)] * 5)
    assert solved[0][0] < 0.05 < solved[0][1]  # beyond chance alone, not once the five are adjusted together
    text = xor_sentence(others[0], base, solved[0], dead[0])
    assert "not distinguishable from chance" in text and "adjusted" in text
    tie = xor_sentence(others[1], base, solved[1], dead[1])  # the same count, two settings changed
    assert "It differs from the baseline in 2 settings:" in tie and "cannot be attributed" not in tie


def poly_variant(name: str, epochs: list[float]) -> VariantStats:
    runs = [Run(Path(f"/nowhere/{name}/seed-{seed}"), {"status": "ok", "seed": seed, "epochs_to_fit": e, "min_val_mse": 0.1},
                {"variant": name}, None, None) for seed, e in enumerate(epochs)]
    return VariantStats(name, runs)


def test_poly_fit_names_the_fastest_fit_only_beyond_seed_noise():
    from nnlab.kinds.poly_fit.report import _lowest

    noisy = [poly_variant("a", [651, 1200, 180]), poly_variant("b", [700, 300, 1500])]
    text = _lowest(noisy, "epochs_to_fit", "the fewest epochs to fit the training sample", 0)
    assert text.startswith("no variant has the fewest epochs to fit the training sample beyond seed noise") and "**" not in text
    clear = [poly_variant("a", [100, 110, 105]), poly_variant("b", [700, 720, 690])]
    assert "**a**" in _lowest(clear, "epochs_to_fit", "the fewest epochs to fit the training sample", 0)


# --- 9. a verdict that does not contradict its own numbers ---------------------------------------------

def test_a_variant_still_improving_at_its_last_epoch_has_a_verdict_that_says_so():
    from nnlab.conclusions import comparison_sentence

    base = variant("base", [overfitting_at(6, 0.02, wobble=w) for w in (0, 0.01, -0.01)], [0.80, 0.81, 0.79])
    slow = variant("slow", [curves([1.0 - 0.03 * e - w for e in range(12)]) for w in (0, 0.01, 0.02)], [0.70, 0.72, 0.69],
                   optimizer__name="sgd")
    for run in slow.runs:
        run.metrics["epochs_run"] = 12
    study = StudyResults("synth", Path("/nowhere"), [base, slow])
    text = comparison_sentence(study, slow, analyse(study))
    assert "worse than the baseline beyond seed noise" in text
    assert "chose its last epoch on 3 of 3 seeds: still improving when training stopped" in text


def test_variants_whose_gradient_rows_are_identical_to_the_digits_shown_are_said_to_be():
    from nnlab.kinds.train.report import _norms_line

    line = _norms_line({"sigmoid": [0.00028, 0.1, 0.247], "sigmoid-weights-0-1": [0.0, 0.0, 0.519],
                        "sigmoid-weights-1-2": [0.0, 0.0, 0.519]})
    assert "sigmoid-weights-0-1 and sigmoid-weights-1-2 give the same norms in every layer to the digits shown: no gradient " \
           "reaches their first hidden layer at all" in line


def test_xor_and_poly_fit_comparisons_name_what_differs_too():
    from nnlab.kinds.poly_fit.report import _sentence

    base, twin = poly_variant("sgd_raw", [900, 950, 1000]), poly_variant("sgd_normalized", [100, 120, 110])
    for run in twin.runs:
        run.config["normalize"] = True
    text = _sentence(twin, base)
    assert text.endswith("It differs from sgd_raw in one setting: normalize (True, against none).")


def test_two_nets_that_both_barely_learn_are_said_to_and_nothing_more_is_read_from_their_curves():
    """mnist_gradients: sigmoid at lr 0.1 and at lr 1, both at chance, their gradient ratios 0.0011× and 0.0013×."""
    flat = [0.0900, 0.0899, 0.0898, 0.0897, 0.0896, 0.0895]
    base = variant("base", [with_gradients(curves(flat), 0.00028 * k, 0.247) for k in (1, 1.02, 0.98)], [0.1058] * 3)
    fast = variant("fast", [with_gradients(curves([v - 0.00001 * k for v in flat]), 0.00033 * k, 0.247) for k in (1, 1.02, 0.98)],
                   [0.1058] * 3, optimizer__learning_rate=1.0)
    text = said(base, fast, name="fast")
    reading = read_together(text)
    assert "it and the baseline both barely learn on every seed" in reading
    assert "shrinks" not in reading and "gap" not in reading
    assert text.endswith("Its test accuracy is the baseline's on every seed.")


def test_a_variant_whose_curves_level_off_is_not_said_to_overfit():
    """reuters_layers' 1-layer net: its validation loss climbs more slowly than the baseline's, but by
    under 5% of its lowest (levelled off on every seed): "it overfits more slowly" would say what it does not."""
    base = variant("base", [overfitting_at(6, 0.03, wobble=w) for w in (0, 0.01, -0.01, 0.005)], TESTS)
    calm = variant("calm", [overfitting_at(6, 0.002 + w / 10, wobble=w) for w in (0, 0.01, -0.01, 0.005)], TESTS, model__hidden_layers=1)
    reading = read_together(said(base, calm, name="calm"))
    assert "overfits more slowly" not in reading
    assert ("up to its best epoch nothing measured differs beyond seed noise; past its best epoch, where only the "
            "full-epochs model trains: its validation loss climbs less (its curve overfits on 0 of 4 seeds)") in reading


def test_the_closest_differences_within_noise_say_their_intervals_are_unadjusted():
    base = variant("base", [overfitting_at(low, 0.02) for low in (6, 8, 7)], [0.80, 0.79, 0.81])
    other = variant("other", [overfitting_at(low, 0.02) for low in (8, 7, 8)], [0.80, 0.81, 0.79])
    text = said(base, other, name="other")
    assert "closest" in text and "95% CI unadjusted" in text


# --- figures from elsewhere, checked as the sentences read them ------------------------------------------

def test_a_claim_of_no_difference_within_noise_is_not_contradicted_but_never_holds():
    from nnlab.kinds.train import claims
    from test_diagnostics import checked

    base = variant("base", [overfitting_at(8, 0.02)] * 3, [0.80, 0.81, 0.79])
    other = variant("other", [overfitting_at(8, 0.02)] * 3, [0.79, 0.81, 0.80], model__units=32)
    study = StudyResults("synth", Path("/nowhere"), [base, other])
    check = checked(study, variant="other", source="a student", test_accuracy="same")
    assert check.verdict == claims.CONSISTENT and check.verdict != claims.HOLDS and "does not show them equal" in check.verdict


def test_an_overfitting_claim_is_judged_by_the_comparison_the_why_sentence_makes():
    from nnlab.kinds.train import claims
    from test_diagnostics import checked

    base = variant("base", [overfitting_at(6, 0.02, wobble=w) for w in (0, 0.01, -0.01)], TESTS[:3])
    steep = variant("steep", [overfitting_at(6, r) for r in (0.021, 0.035, 0.05)], TESTS[:3], model__hidden_layers=3)
    study = StudyResults("synth", Path("/nowhere"), [base, steep])
    check = checked(study, variant="steep", source="a student", overfitting="more")
    text = said(base, steep, name="steep")
    within = "no measured difference is beyond seed noise" in text
    assert (check.verdict == claims.UNSUPPORTED) == within and "Holm-adjusted" in check.why


def test_identical_seeds_give_no_prediction_interval_and_epochs_stay_within_the_run():
    from nnlab.kinds.train import claims
    from test_diagnostics import checked

    base = variant("base", [overfitting_at(6, 0.02)] * 3, [0.80, 0.81, 0.79])
    same = variant("same", [overfitting_at(6, 0.02)] * 3, [0.80, 0.81, 0.79], model__units=32)
    study = StudyResults("synth", Path("/nowhere"), [base, same])
    assert checked(study, variant="same", source="s", best_epoch=6).verdict == claims.UNCHECKED
    early = variant("early", [overfitting_at(low, 0.02) for low in (1, 2, 4)], TESTS[:3], model__units=16)
    check = checked(StudyResults("synth", Path("/nowhere"), [base, early]), variant="early", source="s", best_epoch=1)
    assert not check.interval.startswith("-") and float(check.interval.split(" to ")[0]) >= 1


# --- a reason for the retrained test figure comes from the curves up to the best epoch -------------------

def test_what_happens_past_the_best_epoch_is_not_given_as_the_retrained_models_reason():
    """The retrained model trains for the best epoch's count: a steeper climb after that epoch is the
    full-epochs model's story, and the sentence says so instead of offering it as why the test moved."""
    base = variant("base", [overfitting_at(6, 0.02, wobble=w) for w in (0, 0.01, -0.01, 0.005)], TESTS)
    steep = variant("steep", [overfitting_at(6, 0.06, wobble=w) for w in (0, 0.01, -0.01, 0.005)], TESTS, model__hidden_layers=3)
    reading = read_together(said(base, steep, name="steep"))
    assert reading.lstrip().startswith("up to its best epoch nothing measured differs beyond seed noise; past its best epoch")
    assert "it overfits faster" in reading


def test_a_lower_validation_accuracy_at_the_best_epoch_is_read_as_such():
    """The retrained model's nearest measured relative: the validation accuracy at the epoch it stops."""
    base = variant("base", [overfitting_at(6, 0.02, wobble=w) for w in (0, 0.01, -0.01, 0.005)], TESTS)
    worse = variant("worse", [overfitting_at(6, 0.02, wobble=w) for w in (0, 0.01, -0.01, 0.005)], TESTS, model__units=8)
    for run in worse.runs:  # the same curve shape, every validation accuracy 3 points lower
        run.history["val_accuracy"] = [a - 0.03 for a in run.history["val_accuracy"]]
    study = StudyResults("synth", Path("/nowhere"), [base, worse])
    d = next(d for d in why.differences(study, worse, base) if d.measure.key == "val_accuracy_at_best")
    assert d.beyond_noise and d.sign == -1
    assert "at its best epoch its validation accuracy is lower" in read_together(said(base, worse, name="worse"))
    text = said(base, worse, name="worse")
    assert "at its best epoch its validation accuracy is 3.0 points lower (0.5700 against 0.6000" in text.lower()
    # its wider gap at that epoch is the lower validation accuracy again, by arithmetic: not a second reason
    assert "generalisation gap" not in read_together(text).split("past its best epoch")[0]


def test_a_seed_that_diverged_in_its_first_epoch_is_left_out_of_the_gradient_norms_not_a_crash():
    from nnlab.kinds.train.report import _first_epoch_norms

    def run(seed, norms):
        history = {"loss": [2.3 if norms[0] is not None else None], **{f"gradient_norm_{k}": [v] for k, v in enumerate(norms, 1)}}
        return Run(Path(f"/nowhere/v/seed-{seed}"), {"status": "ok", "seed": seed}, {"variant": "v"}, None, history)

    study = StudyResults("s", Path("/nowhere"), [VariantStats("v", [run(0, [0.2, 0.1]), run(1, [0.4, 0.3]), run(2, [None, None])])])
    assert _first_epoch_norms(study) == {"v": [pytest.approx(0.3), pytest.approx(0.2)]}


def test_a_setting_the_variants_do_not_share_is_said_by_variant_not_as_the_first_variants():
    """mnist_batch_size's line said "batch 1; up to 5 epochs", batch_size-1's, for a study of batches 1 to 1024."""
    import doctest

    from nnlab.kinds.train import report

    assert doctest.testmod(report).failed == 0


def test_what_a_study_asks_is_its_latest_runs_description_not_its_oldest():
    """reuters_search_methods kept its older runs when it gained two strategies; its heading gave their words."""
    def run(seed, words, ended):
        return Run(Path(f"/x/v/seed-{seed}"), {"status": "ok", "seed": seed}, {"variant": "v", "description": words},
                   {"ended": ended}, None)

    study = StudyResults("s", Path("/x"), [VariantStats("v", [run(0, "four strategies", "2026-12-05T10:00:00+00:00"),
                                                            run(1, "six strategies", "2026-12-06T03:00:00+00:00")])])
    assert study.asks == "six strategies"


def test_a_variant_whose_other_seeds_diverged_is_not_told_to_run_more_seeds():
    def run(seed, status, test=None):
        metrics = train_metrics(study="s", variant="v", seed=seed, status=status, run_key=f"v-{seed}", best_epoch=3,
                                best_val_loss=0.5, best_val_accuracy=0.8, test_accuracy=test)
        if status == "diverged":
            metrics.update(diverged_epoch=1, test_accuracy=None)
        return Run(Path(f"/x/v/seed-{seed}"), metrics, {**CONFIG, "variant": "v", "seed": seed}, None, curves([0.5, 0.4, 0.3]))

    from nnlab.conclusions import comparison_sentence

    base = VariantStats("base", [Run(Path(f"/x/base/seed-{s}"), train_metrics(study="s", variant="base", seed=s, status="ok",
                                     run_key=f"b-{s}", best_epoch=3, best_val_loss=0.5, best_val_accuracy=0.8, test_accuracy=t),
                                     {**CONFIG, "variant": "base", "seed": s}, None, curves([0.5, 0.4, 0.3]))
                            for s, t in ((0, 0.8), (1, 0.81), (2, 0.79))])
    lone = VariantStats("v", [run(0, "ok", 0.5), run(1, "diverged"), run(2, "diverged")])
    study = StudyResults("s", Path("/x"), [base, lone])
    text = comparison_sentence(study, lone, analyse(study))
    assert "Only one seed finished on a side (seed 1: diverged at epoch 1; seed 2: diverged at epoch 1)" in text
    assert "--seeds 3" not in text


def test_a_run_made_before_a_key_existed_compares_as_its_default_and_an_unset_output_as_nnlabs():
    """Runs of batch sizes 16-1024 (older, no dataset.pixels or model.conv in config.yaml) were said to
    differ from batch 128's rerun in "dataset.pixels (none, against scaled) and model.conv (none, against none)"."""
    from nnlab.changes import changed_sentence
    from nnlab.config import config_of
    from nnlab.pairing import paired

    new = config_of({"name": "s", "dataset": {"name": "mnist"}, "validation": {"size": 100}, "loss": "categorical_crossentropy",
                     "epochs": 2, "batch_size": 128}).model_dump(mode="json")
    old = copy.deepcopy(new)
    old["batch_size"] = 16
    del old["dataset"]["pixels"], old["model"]["conv"]
    runs = lambda name, config: VariantStats(name, [Run(Path(f"/x/{name}/seed-{s}"), {"status": "ok", "seed": s, "test_accuracy": 0.9},
                                                        {**config, "variant": name}, None, None) for s in (0, 1)])
    a, b = runs("b16", old), runs("b128", new)
    assert changed_sentence(a, b) == "It differs from the baseline in one setting: batch_size (16, against 128)."
    assert paired(StudyResults("s", Path("/x"), [b, a]), a, b)
    relu = copy.deepcopy(new)
    relu["model"]["output_activation"] = "sigmoid"
    relu["protocol"] = "course"
    assert "model.output_activation (sigmoid, against softmax)" in changed_sentence(runs("r", relu), b)


def test_a_variant_left_with_one_seed_neither_makes_the_study_one_of_a_single_seed_nor_ties_with_the_choice():
    """mnist_gradients: relu-lr-1 diverged on 2 of 3 seeds; the study was said to have "fewer than two seeds per
    variant" and its choice "cannot be told from relu-lr-1"."""
    def run(name, seed, status, loss, test):
        metrics = train_metrics(study="s", variant=name, seed=seed, status=status, run_key=f"{name}-{seed}", best_epoch=3,
                                best_val_loss=loss, best_val_accuracy=0.8, test_accuracy=test)
        return Run(Path(f"/x/{name}/seed-{seed}"), metrics, {**CONFIG, "variant": name, "seed": seed}, None, curves([0.5, 0.4, 0.3]))

    base = VariantStats("base", [run("base", s, "ok", 0.50 + s / 100, 0.80) for s in range(3)])
    good = VariantStats("good", [run("good", s, "ok", 0.20 + s / 100, 0.95) for s in range(3)])
    lone = VariantStats("lone", [run("lone", 0, "ok", 0.10, 0.11), run("lone", 1, "diverged", None, None),
                                 run("lone", 2, "diverged", None, None)])
    for r in lone.runs[1:]:
        r.metrics.update(best_val_loss=None, test_accuracy=None)
    analysis = analyse(StudyResults("s", Path("/x"), [base, good, lone]))
    assert analysis.seeds == 3 and "fewer than two seeds" not in (analysis.undetectable or "")
    assert analysis.choice.variant.name in ("lone", "good") and "lone" not in analysis.choice.tied
