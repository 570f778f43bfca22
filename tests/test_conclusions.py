"""Issue 13: the report chooses on validation, never on the test set, corrects for many comparisons
and says what its seeds could have detected. Built from hand-written run folders (no training)."""

import json

import pytest
import yaml

from conftest import train_metrics
from nnlab import report

CONFIG = {"name": "synth", "kind": "train", "description": "a synthetic study",
          "dataset": {"name": "reuters", "num_words": 10000}, "validation": {"split": "first", "size": 1000},
          "model": {"hidden_layers": 2, "units": 64, "activation": "relu"}, "loss": "categorical_crossentropy",
          "optimizer": {"name": "rmsprop"}, "epochs": 20, "batch_size": 512,
          "selection": {"metric": "val_loss", "mode": "min"}, "baseline": "units-64"}


def write_runs(root, variant: str, val_losses, test_accuracies, units: int):
    for seed, (val_loss, test_accuracy) in enumerate(zip(val_losses, test_accuracies)):
        folder = root / "synth" / variant / f"seed-{seed}"
        folder.mkdir(parents=True)
        config = {**CONFIG, "variant": variant, "seed": seed, "overrides": {"model.units": units},
                  "model": {**CONFIG["model"], "units": units}}
        (folder / "config.yaml").write_text(yaml.safe_dump(config))
        (folder / "metrics.json").write_text(json.dumps(train_metrics(
            study="synth", variant=variant, seed=seed, status="ok", run_key=f"{variant}-{seed}",
            best_epoch=9, best_val_loss=val_loss, best_val_accuracy=0.82, test_loss=0.9,
            test_accuracy=test_accuracy, wall_time_s=5.0, seconds_per_epoch=0.2)))


def headline_row(text: str) -> list[str]:
    row = next(line for line in text.splitlines() if line.startswith("| synth |"))
    return [cell.strip() for cell in row.strip("|").split("|")]


def test_the_front_page_names_the_validation_choice_even_where_another_variant_tests_better(tmp_path):
    write_runs(tmp_path, "units-64", [0.850, 0.852, 0.848], [0.797, 0.801, 0.799], 64)
    write_runs(tmp_path, "units-128", [0.800, 0.801, 0.799], [0.781, 0.779, 0.780], 128)  # best on validation
    write_runs(tmp_path, "units-32", [0.900, 0.902, 0.898], [0.812, 0.811, 0.813], 32)  # best on test
    text = report.build(tmp_path)[0].read_text()
    study, chosen, tied, accuracy, rank, *_ = headline_row(text)
    assert chosen == "**units-128** (validation loss)" and tied == "—"
    assert accuracy.startswith("0.780 ± 0.001") and rank == "3 of 3"  # the test ranking, only as a column
    found = next(line for line in text.splitlines() if line.startswith("**What it found:**"))
    lead, choice = found.split(" Then, ")  # every result beyond seed noise first (issue 32), then the validation choice
    assert "beyond seed noise" in lead and "**units-32** 1.3 points higher" in lead
    assert "**units-128** 1.9 points lower" in lead  # the list is complete: the validation choice's result too
    assert "**units-128** comes first" in choice and "units-32" not in choice
    assert "best variant" not in text


def test_variants_the_seeds_cannot_tell_apart_on_validation_are_named_not_ranked(tmp_path):
    write_runs(tmp_path, "units-64", [0.850, 0.80, 0.83], [0.797, 0.801, 0.799], 64)
    write_runs(tmp_path, "units-128", [0.820, 0.84, 0.81], [0.781, 0.779, 0.780], 128)
    text = report.build(tmp_path)[0].read_text()
    assert headline_row(text)[2] == "units-64"
    assert "the seeds cannot tell it from units-64 on validation, so the split does not single out one" in text


def test_verdicts_use_adjusted_p_values_and_null_verdicts_say_what_the_seeds_could_detect(tmp_path):
    write_runs(tmp_path, "units-64", [0.85] * 3, [0.797, 0.801, 0.799], 64)
    write_runs(tmp_path, "units-32", [0.86] * 3, [0.792, 0.796, 0.794], 32)   # raw p < 0.05, Holm over 2: not
    write_runs(tmp_path, "units-128", [0.87] * 3, [0.802, 0.790, 0.806], 128)  # noisy
    text = report.build(tmp_path)[0].read_text()
    sentence = next(line for line in text.splitlines() if line.startswith("- **units-32** vs units-64"))
    raw = float(sentence.split(", p = ")[1].split(",")[0])
    adjusted = float(sentence.split("adjusted ")[1].split(")")[0])
    assert raw < 0.05 <= adjusted and adjusted == pytest.approx(2 * raw, abs=2e-3)  # the smaller of two p-values
    assert "not distinguishable from seed noise; its own 95% interval, -0.95 to -0.05 points, excludes zero, but not after " \
           "the Holm correction for the study's 2 comparisons" in sentence
    assert "cannot be told" not in text  # one detectable difference per study, said once, never a threshold for a verdict
    assert "The p-values of the study's 2 comparisons with the baseline are adjusted with Holm's method" in text
    assert "With 3 seeds per variant, a Welch's t-test at α = 0.05 finds a true difference" in text


def test_the_book_figure_is_a_verdict_on_the_baseline_interval(tmp_path):
    write_runs(tmp_path, "units-64", [0.85] * 3, [0.797, 0.801, 0.799], 64)
    write_runs(tmp_path, "units-32", [0.86] * 3, [0.790, 0.794, 0.792], 32)
    text = report.build(tmp_path)[0].read_text()
    # the book ran its net once: its figure is set against where one run lands, not the mean's interval
    assert headline_row(text)[-1] == "≈ 0.78–0.80: consistent (one run lands in 0.789–0.809, 95%)"
    assert ("The book's figure for this net (DLwP §3.5, one run): ≈ 0.78–0.80. Against where one more run of the "
            "baseline `units-64` lands: consistent (one run lands in 0.789–0.809, 95%), which the published figure "
            "overlaps.") in text


def test_a_book_figure_outside_the_mean_interval_but_inside_where_one_run_lands_is_consistent(tmp_path):
    """The mean of 0.818 ± 0.004 excludes 0.80 (its 95% CI is 0.808–0.828); one run lands in 0.798–0.838, which overlaps it."""
    write_runs(tmp_path, "units-64", [0.85] * 3, [0.814, 0.822, 0.818], 64)
    write_runs(tmp_path, "units-32", [0.86] * 3, [0.790, 0.794, 0.792], 32)
    assert headline_row(report.build(tmp_path)[0].read_text())[-1].startswith("≈ 0.78–0.80: consistent (one run lands in 0.798–0.838, 95%)")


# --- the report never dies of one statistic ------------------------------------------------------

SEEDS_CASES = {1: ([0.797], [0.781]), 2: ([0.797, 0.801], [0.781, 0.779]), 3: ([0.797, 0.801, 0.799], [0.781, 0.779, 0.786])}


@pytest.mark.parametrize("seeds", [1, 2, 3])
@pytest.mark.parametrize("pairing", ["paired", "unpaired"])
def test_the_report_is_written_for_one_two_or_three_seeds_paired_or_not(tmp_path, seeds, pairing):
    base, other = SEEDS_CASES[seeds]
    write_runs(tmp_path, "units-64", [0.85] * seeds, base, 64)
    write_runs(tmp_path, "other", [0.84] * seeds, other, 64 if pairing == "paired" else 128)
    text = report.build(tmp_path)[0].read_text()
    sentence = next(line for line in text.splitlines() if line.startswith("- **other** vs units-64"))
    if seeds == 1:
        assert "With one seed on a side there is no estimate of seed noise" in sentence
        assert "With fewer than two seeds per variant there is no estimate of seed noise" in text
    elif seeds == 2:
        assert "(2 seeds: too few to state a detectable difference)" in sentence or "beyond seed noise" in sentence
        assert "No detectable difference is stated (2 seeds: too few to state a detectable difference)" in text
    else:
        design = "a paired t-test" if pairing == "paired" else "a Welch's t-test"
        assert f"With 3 seeds per variant, {design} at α = 0.05 finds a true difference" in text
    assert ("paired t-test over seeds" in sentence) == (pairing == "paired" and seeds > 1)


def test_two_paired_seeds_are_said_in_words_where_scipy_has_no_power_figure(tmp_path):
    # The case a new user met: --seeds 2 on a paired study; scipy's noncentral t with one degree of
    # freedom made the detectable difference NaN and `nnlab report` died with exit 70.
    write_runs(tmp_path, "units-64", [0.85, 0.86], [0.5881, 0.6008], 64)
    write_runs(tmp_path, "relu-2", [0.84, 0.85], [0.5873, 0.5899], 64)
    text = report.build(tmp_path)[0].read_text()
    assert "2 seeds: too few to state a detectable difference" in text


@pytest.mark.parametrize("pairing", ["paired", "unpaired"])
def test_zero_spread_between_seeds_is_said_in_words(tmp_path, pairing):
    write_runs(tmp_path, "units-64", [0.85] * 3, [0.8] * 3, 64)
    write_runs(tmp_path, "other", [0.84] * 3, [0.8] * 3, 64 if pairing == "paired" else 128)
    text = report.build(tmp_path)[0].read_text()
    sentence = next(line for line in text.splitlines() if line.startswith("- **other** vs units-64"))
    assert "identical on every seed" in sentence
    assert "no spread between seeds" in text


def test_a_section_that_fails_is_a_notice_naming_the_study_and_its_log_the_rest_is_written(tmp_path, monkeypatch):
    import shutil

    from nnlab.kinds.train import report as train

    write_runs(tmp_path, "units-64", [0.85] * 3, [0.797, 0.801, 0.799], 64)
    write_runs(tmp_path, "units-32", [0.86] * 3, [0.790, 0.794, 0.792], 32)
    shutil.copytree(tmp_path / "synth", tmp_path / "broken")
    copied = sorted((tmp_path / "broken").rglob("*.*"))
    assert {p.name for p in copied} >= {"metrics.json", "config.yaml"}  # the copy is renamed, not a loop over none
    for path in copied:
        path.write_text(path.read_text().replace("synth", "broken"))
    whole = train.section

    def section(root, study):
        if study.name == "broken":
            raise ZeroDivisionError("a statistic nobody foresaw")
        return whole(root, study)

    monkeypatch.setattr(train, "section", section)
    warnings = []
    text = report.build(tmp_path, warn=warnings.append)[0].read_text()
    notice = next(line for line in text.splitlines() if line.startswith("> **This section could not be written"))
    assert "ZeroDivisionError: a statistic nobody foresaw" in notice
    log = notice.split("the traceback is in ")[1].split(".**")[0]
    assert "a statistic nobody foresaw" in open(log).read() and "study broken" in open(log).read()
    assert warnings == [f"broken: the report's section could not be written (ZeroDivisionError: a statistic nobody "
                        f"foresaw); the traceback is in {log}"]
    assert text.count("> **This section could not be written") == 1
    assert "## synth" in text and "- **units-32** vs units-64" in text  # the other study's section is whole
