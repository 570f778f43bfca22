"""Issue 22: the report says *why* a variant differs from its baseline, from measured curves only.

nnlab.diagnostics on synthetic curves whose answers are known (one that never overfits, one that
overfits at epoch 3, a diverged one, a flat one); the "why" sentences built from them over seeds;
reference figures from elsewhere checked against the seeds. No training: curves are written by hand.
"""

import json
import math
from pathlib import Path

import pytest
import yaml

from conftest import train_metrics
from nnlab import report
from nnlab.conclusions import CURVES_CAN_AND_CANNOT, analyse
from nnlab.diagnostics import diagnose, epochs_to_reach, slope
from nnlab.kinds.train import claims, learning, why
from nnlab.kinds.train.report import size_of
from nnlab.report_data import Run, StudyResults, VariantStats


def curves(val_loss, loss=None, val_accuracy=None, accuracy=None, **extra):
    n = len(val_loss)
    return {"val_loss": list(val_loss), "loss": list(loss or [v * 0.8 for v in val_loss]),
            "val_accuracy": list(val_accuracy or [0.5 + 0.02 * min(e, 10) for e in range(n)]),
            "accuracy": list(accuracy or [0.5 + 0.025 * e for e in range(n)]), **extra}


# --- one run's curves ---------------------------------------------------------------------------

def test_a_curve_that_never_overfits_is_still_improving_with_nothing_climbing():
    d = diagnose(curves([1.0, 0.8, 0.6, 0.5, 0.45, 0.42]))
    assert d.state == "still improving" and d.lowest_epoch == 6
    assert d.rise_per_epoch is None and d.climb == 0.0  # no pace of a climb that has not begun
    assert d.accuracy_gap_at_last is None  # nor anything "past its best epoch": its best is its last


def test_a_variant_still_improving_at_its_last_epoch_is_not_said_to_climb_more_slowly_than_one_that_overfits():
    """imdb_linear's no-hidden-layer net was said to climb 'more slowly (0 against ...)' from a 0 that
    stood for no climb at all."""
    base = variant("base", [overfitting_at(low, 0.02) for low in (6, 7, 6)], [0.80, 0.80, 0.81])
    rising = variant("rising", [curves([1.0 - 0.03 * e for e in range(12)]) for _ in range(3)], [0.80, 0.81, 0.80])
    text = sentence(study_of(base, rising), "rising")
    assert "climbs more slowly" not in text and "(0 against" not in text
    assert "still falling at the last epoch" in text


def test_a_curve_that_overfits_at_epoch_3_is_measured_from_its_lowest_point():
    d = diagnose(curves([0.9, 0.6, 0.5, 0.55, 0.6, 0.65, 0.7], loss=[0.9, 0.55, 0.4, 0.3, 0.2, 0.15, 0.1],
                        accuracy=[0.6, 0.75, 0.85, 0.9, 0.93, 0.95, 0.97], val_accuracy=[0.6, 0.77, 0.8, 0.8, 0.79, 0.79, 0.78]))
    assert d.state == "overfits" and d.lowest_epoch == 3
    assert d.rise_per_epoch == pytest.approx(0.05) and d.climb == pytest.approx(0.2)
    assert d.gap_at_best == pytest.approx(0.1) and d.gap_at_last == pytest.approx(0.6)
    assert d.accuracy_gap_at_best == pytest.approx(0.05) and d.accuracy_gap_at_last == pytest.approx(0.19)
    assert d.epochs_to_95 == 2  # 0.77 >= 0.95 * 0.80


def test_the_gaps_are_read_at_the_epoch_the_selection_rule_chose():
    history = curves([0.9, 0.6, 0.5, 0.55, 0.6], loss=[0.9, 0.5, 0.4, 0.3, 0.2])
    assert diagnose(history, best_epoch=4).gap_at_best == pytest.approx(0.25)
    assert diagnose(history, best_epoch=99).gap_at_best == pytest.approx(0.1)  # out of range: the lowest's


def test_a_diverged_curve_gives_no_measure_but_its_state():
    d = diagnose(curves([0.9, 0.7, math.nan, math.nan], loss=[0.9, 5.0, math.inf, math.nan]))
    assert d.state == "diverged" and d.lowest_epoch is None and d.rise_per_epoch is None and d.epochs_to_95 is None


def test_a_flat_curve_is_flat_even_when_its_lowest_is_last():
    d = diagnose(curves([0.0900, 0.0899, 0.0897, 0.0895, 0.0893]))
    assert d.state == "flat"


def test_a_late_minimum_with_a_small_wobble_after_it_has_levelled_off_not_overfitted():
    d = diagnose(curves([0.3, 0.2, 0.1, 0.08, 0.07, 0.071, 0.0715]))
    assert d.state == "levelled off" and d.lowest_epoch == 5


def test_the_gradient_ratio_is_the_first_hidden_layers_norm_over_the_outputs_in_the_first_epoch():
    history = curves([0.5, 0.4], gradient_norm_1=[0.001, 0.002], gradient_norm_2=[0.01, 0.01], gradient_norm_3=[0.1, 0.2])
    assert diagnose(history).gradient_ratio == pytest.approx(0.01)
    assert diagnose(curves([0.5, 0.4])).gradient_ratio is None


def test_slope_and_epochs_to_reach_on_plain_lists():
    assert slope([1.0, 2.0, 3.0]) == pytest.approx(1.0) and slope([4.0]) == 0.0
    assert epochs_to_reach([0.1, 0.5, 0.96, 1.0], 0.95) == 3 and epochs_to_reach([], 0.95) is None


# --- over seeds, against the baseline ------------------------------------------------------------

CONFIG = {"name": "synth", "kind": "train", "dataset": {"name": "reuters", "num_words": 10000},
          "validation": {"split": "first", "size": 1000}, "loss": "categorical_crossentropy",
          "optimizer": {"name": "rmsprop"}, "epochs": 12, "batch_size": 512, "baseline": "base",
          "selection": {"metric": "val_loss", "mode": "min"}}


def overfitting_at(lowest: int, rise: float, epochs: int = 12, wobble: float = 0.0) -> dict:
    """Validation loss falling to `lowest`, then rising by `rise` an epoch."""
    val = [1.0 - 0.05 * e + wobble for e in range(lowest)]
    val += [val[-1] + rise * k for k in range(1, epochs - lowest + 1)]
    return curves(val, loss=[1.0 - 0.07 * e for e in range(epochs)])


def variant(name: str, histories: list[dict], tests: list[float], units: int = 64) -> VariantStats:
    runs = []
    for seed, (history, test) in enumerate(zip(histories, tests)):
        config = {**CONFIG, "variant": name, "seed": seed, "model": {"hidden_layers": 2, "units": units, "activation": "relu"}}
        best = history["val_loss"].index(min(history["val_loss"])) + 1
        metrics = train_metrics(study="synth", variant=name, seed=seed, status="ok", run_key=f"{name}-{seed}", best_epoch=best,
                                best_val_loss=min(history["val_loss"]), best_val_accuracy=0.8, test_accuracy=test)
        runs.append(Run(Path(f"/nowhere/{name}/seed-{seed}"), metrics, config, None, history))
    return VariantStats(name, runs)


def study_of(*variants: VariantStats) -> StudyResults:
    return StudyResults("synth", Path("/nowhere"), list(variants))


def sentence(study: StudyResults, name: str) -> str:
    ours, base = study.variant(name), study.variant("base")
    sizes = (size_of(ours.spec)[0], size_of(base.spec)[0])
    return why.why_sentence(study, ours, base, analyse(study).verdicts.get(name), sizes)


def test_a_variant_that_overfits_sooner_on_every_seed_is_said_to_overfit_sooner():
    base = variant("base", [overfitting_at(8, 0.02, wobble=w) for w in (0, 0.01, -0.01, 0.02, 0.0)], [0.80, 0.79, 0.81, 0.80, 0.80])
    wide = variant("wide", [overfitting_at(low, 0.06, wobble=w) for low, w in zip((4, 5, 4, 3, 4), (0, 0.01, -0.01, 0.02, 0))],
                   [0.80, 0.80, 0.79, 0.81, 0.80], units=128)
    text = sentence(study_of(base, wide), "wide")
    assert "its validation loss is lowest 4.0 epochs earlier (epoch 4.0 against 8.0" in text
    assert "climbs 3× as fast" in text and "Read together: it starts to overfit sooner" in text
    # the climb is past the best epoch, which the retrained model never trains: said so, after what is not
    assert "past its best epoch, where only the full-epochs model trains: it overfits faster" in text
    assert "parameters" in text  # the capacity it was given, as context: units 128 against 64
    assert text.endswith("does not reach the test figure beyond seed noise.")


def test_where_no_curve_measure_is_beyond_noise_the_sentence_says_the_curves_do_not_single_out_a_reason():
    base = variant("base", [overfitting_at(low, 0.02) for low in (6, 8, 7)], [0.80, 0.79, 0.81])
    other = variant("other", [overfitting_at(low, 0.02) for low in (7, 6, 8)], [0.80, 0.81, 0.79])
    text = sentence(study_of(base, other), "other")
    assert "curves do not single out a reason: no measured difference is beyond seed noise" in text
    assert "Read together" not in text and "overfits" not in text.split("closest")[0]


def test_a_variant_that_learns_nothing_is_said_to_barely_learn_and_one_still_learning_to_be_unfinished():
    base = variant("base", [overfitting_at(6, 0.02) for _ in range(3)], [0.80, 0.80, 0.80])
    flat = variant("flat", [curves([0.09, 0.0899, 0.0898, 0.0899, 0.0897]) for _ in range(3)], [0.1, 0.11, 0.1])
    slow = variant("slow", [curves([1.0 - 0.03 * e for e in range(12)]) for _ in range(3)], [0.7, 0.71, 0.7])
    study = study_of(base, flat, slow)
    assert "it barely learns" in sentence(study, "flat")
    assert "it has not finished learning: its validation loss is still falling at the last epoch (12) on every seed" in sentence(study, "slow")


def test_the_table_gives_each_variants_measures_and_its_seeds_states():
    base = variant("base", [overfitting_at(6, 0.02) for _ in range(3)], [0.80, 0.80, 0.80])
    header, rows = learning.table(study_of(base))
    assert header[:3] == ["variant", "curves (seeds)", "lowest val loss at epoch"]
    assert rows[0][1] == "overfits 3/3" and rows[0][2] == "6.0 ± 0.0"


# --- figures from elsewhere ---------------------------------------------------------------------

def checked(study: StudyResults, **reference) -> claims.Check:
    study.references = [reference]  # as the study folder's references.json gives them
    return claims.checks(study, analyse(study))[0]


@pytest.fixture
def units_study():
    base = variant("base", [overfitting_at(low, 0.02) for low in (8, 9, 8, 9, 8)], [0.790, 0.795, 0.792, 0.788, 0.791])
    wide = variant("wide", [overfitting_at(low, 0.05) for low in (4, 5, 4, 5, 4)], [0.780, 0.778, 0.783, 0.779, 0.781], units=128)
    return study_of(base, wide)


def test_a_single_runs_figure_holds_where_one_more_run_could_land(units_study):
    assert checked(units_study, variant="wide", source="a student", best_epoch=5).verdict == claims.HOLDS
    missed = checked(units_study, variant="wide", source="a student", best_epoch=[10, 12])
    assert missed.verdict == claims.FAILS and "misses" in missed.why


def test_a_claim_of_higher_test_accuracy_is_contradicted_when_the_seeds_show_it_lower(units_study):
    check = checked(units_study, variant="wide", source="a student", said="test a tiny bit better", test_accuracy="higher")
    assert check.verdict == claims.CONTRADICTED and "beyond seed noise" in check.why


def test_a_direction_the_seeds_cannot_show_is_not_supported_and_overfitting_is_read_from_the_climb(units_study):
    assert checked(units_study, variant="wide", source="s", overfitting="more").verdict == claims.HOLDS
    assert checked(units_study, variant="wide", source="s", overfitting="less").verdict == claims.CONTRADICTED
    noisy = variant("noisy", [overfitting_at(low, 0.02) for low in (7, 9, 8, 10, 8)], [0.79, 0.80, 0.78, 0.79, 0.80])
    study = study_of(units_study.variant("base"), noisy)
    assert checked(study, variant="noisy", source="s", best_val_accuracy="higher").verdict == claims.UNSUPPORTED


def timed(v: VariantStats, seconds: list[float]) -> VariantStats:
    for run, s in zip(v.runs, seconds):
        run.metrics["seconds_per_epoch"] = s
    return v


def test_a_claim_of_faster_epochs_is_checked_against_each_seeds_timing_paired_with_the_baselines():
    base = timed(variant("base", [overfitting_at(6, 0.02) for _ in range(3)], [0.80, 0.80, 0.80]), [6.1, 6.3, 6.2])
    large = timed(variant("large", [overfitting_at(9, 0.02) for _ in range(3)], [0.80, 0.80, 0.80]), [1.8, 1.7, 1.9])
    small = timed(variant("small", [overfitting_at(4, 0.02) for _ in range(3)], [0.80, 0.80, 0.80]), [6.0, 6.6, 5.9])
    study = study_of(base, large, small)
    faster = checked(study, variant="large", source="the course", said="larger batches process data faster",
                     seconds_per_epoch="lower")
    assert faster.verdict == claims.HOLDS and faster.measured.startswith("1.80 ± 0.10")
    assert "against the baseline's 6.20: difference -4.40, beyond seed noise (paired" in faster.why
    assert checked(study, variant="large", source="s", seconds_per_epoch="higher").verdict == claims.CONTRADICTED
    assert checked(study, variant="small", source="s", seconds_per_epoch="higher").verdict == claims.UNSUPPORTED


def test_a_reference_to_a_variant_these_results_lack_is_listed_not_checked(units_study):
    assert checked(units_study, variant="gone", source="s", best_epoch=3).verdict == claims.UNCHECKED


# --- the section a reader sees ------------------------------------------------------------------

def write_study(root: Path, study: StudyResults, references: list[dict]) -> None:
    for v in study.variants:
        for run in v.runs:
            folder = root / "synth" / v.name / f"seed-{run.metrics['seed']}"
            folder.mkdir(parents=True)
            (folder / "config.yaml").write_text(yaml.safe_dump(run.config))
            (folder / "search_history.json").write_text(json.dumps(run.history))
            (folder / "metrics.json").write_text(json.dumps(run.metrics))
    (root / "synth" / "references.json").write_text(json.dumps(references))


@pytest.mark.slow  # renders a whole report with its figures: seconds
def test_the_report_section_holds_the_measures_the_why_the_gap_figure_and_the_checked_claims(tmp_path, units_study):
    write_study(tmp_path, units_study, [{"variant": "wide", "source": "a student's notebook", "said": "a bit better",
                                         "test_accuracy": "higher", "best_epoch": 4}])
    text = report.build(tmp_path)[0].read_text()
    assert "**How each variant learned**" in text and "| wide | overfits 5/5 |" in text
    assert "  - *Why, from the curves*" in text and "Read together: it starts to overfit sooner" in text
    assert "![synth generalisation gap](report_assets/synth-generalisation-gap.png)" in text
    assert (tmp_path / "report_assets" / "synth-generalisation-gap.png").stat().st_size > 0
    assert "<summary>Figures from elsewhere, checked: 1 of 2 checked figures hold</summary>" in text
    assert "“a bit better”" in text and "**contradicted**" in text
    assert "## How to read this report" in text and CURVES_CAN_AND_CANNOT in text


# --- references in a config ----------------------------------------------------------------------

STUDY = """name: refs
dataset: {name: reuters, num_words: 10000}
validation: {split: first, size: 1000}
loss: categorical_crossentropy
epochs: 20
batch_size: 512
baseline: units-64
grid:
  model.units: [32, 64]
"""


def test_a_reference_changes_no_run_key(write_config):
    from nnlab.config import load_study

    plain = load_study(write_config(STUDY, "plain.yaml"))
    cited = load_study(write_config(STUDY + "references:\n  - {variant: units-32, source: a book, best_epoch: 9}\n", "cited.yaml"))
    assert [v.config.fingerprint() for v in plain.variants] == [v.config.fingerprint() for v in cited.variants]
    assert cited.variants[0].config.references[0].best_epoch == 9


@pytest.mark.parametrize("reference, message", [
    ("{variant: units-32, source: s, best_epoch: soon}", "a figure is a number (15, 0.81), a range [low, high]"),
    ("{variant: units-32, source: s, best_epoch: [12, 8]}", "with low <= high"),
    ("{variant: units-32, source: s, overfitting: higher}", "overfitting"),
    ("{variant: units-32, source: s, best_epok: 9}", "best_epok"),
    ("{variant: units-32, source: s}", "states at least one of"),
])
def test_a_bad_reference_is_refused_naming_the_file_and_key(write_config, reference, message):
    from nnlab.config import load_study
    from nnlab.errors import ConfigError

    path = write_config(STUDY + f"references:\n  - {reference}\n")
    with pytest.raises(ConfigError) as refused:
        load_study(path)
    assert str(path) in str(refused.value) and message in str(refused.value)
