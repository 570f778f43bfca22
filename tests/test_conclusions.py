"""Issue 13: the report chooses on validation, never on the test set, corrects for many comparisons
and says what its seeds could have detected. Built from hand-written run folders (no training)."""

import json

import pytest
import yaml

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
        (folder / "metrics.json").write_text(json.dumps({
            "study": "synth", "variant": variant, "seed": seed, "status": "ok", "run_key": f"{variant}-{seed}",
            "best_epoch": 9, "best_val_loss": val_loss, "best_val_accuracy": 0.82, "test_loss": 0.9,
            "test_accuracy": test_accuracy, "wall_time_s": 5.0, "seconds_per_epoch": 0.2}))


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
    assert "**units-128** comes first" in found and "units-32" not in found
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
    assert "not distinguishable from seed noise: with 3 seeds, differences below" in sentence
    assert "adjusted over the study's 2 comparisons with the baseline (Holm's step-down correction" in text
    assert "With 3 seeds per variant, a Welch's t-test at α = 0.05 finds a true difference" in text


def test_the_book_figure_is_a_verdict_on_the_baseline_interval(tmp_path):
    write_runs(tmp_path, "units-64", [0.85] * 3, [0.797, 0.801, 0.799], 64)
    write_runs(tmp_path, "units-32", [0.86] * 3, [0.790, 0.794, 0.792], 32)
    text = report.build(tmp_path)[0].read_text()
    assert headline_row(text)[-1] == "≈ 0.78–0.80: consistent (95% CI 0.794–0.804)"
    assert ("The book's figure for this net (DLwP §3.5): ≈ 0.78–0.80. The baseline units-64's mean test accuracy "
            "is consistent (95% CI 0.794–0.804): its 95% interval overlaps the published figure.") in text
