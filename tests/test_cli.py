"""End to end through the CLI: real configs run on tiny data and leave the documented results."""

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from conftest import BASE, CONFIGS
from nnlab.cli import main

RUN_FILES = {"config.yaml", "search_history.json", "retrain_history.json", "metrics.json", "curves.png",
             "provenance.json", "checksums.sha256"}


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def test_every_command_has_help():
    assert set(main.commands) >= {"run", "suite", "list", "validate", "show", "report"}
    for command in [[]] + [[name] for name in main.commands]:
        result = invoke(*command, "--help")
        assert result.exit_code == 0 and "Usage:" in result.output, command
        first_words = " ".join((main.commands[command[0]].help if command else main.help).split()[:4])
        assert first_words in " ".join(result.output.split()), command


@pytest.mark.slow
def test_quickstart_runs_on_the_bundled_sample_and_writes_every_result(tmp_path):
    result = invoke("run", CONFIGS / "quickstart.yaml", "--results", tmp_path, "--epochs", "3")
    assert result.exit_code == 0, result.output
    assert "[1/2] quickstart/units-16 seed 0 search: 3/3 epochs  loss" in result.output  # a line per phase
    study = tmp_path / "quickstart"
    for variant in ("units-16", "units-64"):
        run = study / variant / "seed-0"
        assert {p.name for p in run.iterdir() if not p.name.startswith(".")} - {"tensorflow.log"} == RUN_FILES
        metrics = json.loads((run / "metrics.json").read_text())
        assert 1 <= metrics["best_epoch"] <= 3 and metrics["retrain_epochs"] == metrics["best_epoch"]
        # The accuracy is what the files say: test hits over the 120 test wires of the sample.
        assert round(metrics["test_accuracy"] * 120, 6).is_integer()
        assert metrics["test_accuracy"] > 0.2  # far above random guessing over 46 topics (~0.1)
        assert (metrics["train_examples"], metrics["validation_examples"], metrics["test_examples"]) == (380, 100, 120)
        history = json.loads((run / "search_history.json").read_text())
        assert set(history) == {"loss", "accuracy", "val_loss", "val_accuracy", "learning_rate"}
        assert len(history["loss"]) == 3 and history["learning_rate"] == pytest.approx([0.001] * 3)
    summary = json.loads((study / "summary.json").read_text())
    assert [row["variant"] for row in summary] == ["units-16", "units-64"]
    assert (study / "summary.csv").is_file() and (study / "val_curves.png").stat().st_size > 10_000

    again = invoke("run", CONFIGS / "quickstart.yaml", "--results", tmp_path, "--epochs", "3")
    assert again.exit_code == 0 and again.output.count("already complete (ok), skipped") == 2


def tensorflow_chatter(text: str) -> bool:
    """Whether `text` holds what TensorFlow's C++ runtime prints as it starts. Its lines differ by
    version and CPU (a oneDNN notice on some; TensorFlow 2.21 on this AMD EPYC prints none), but each comes through
    absl's logger, which first announces itself."""
    return any(mark in text for mark in ("absl::InitializeLog", "oneDNN", "cudart_stub", "cpu_feature_guard"))


@pytest.mark.slow
def test_the_console_shows_nnlabs_lines_only_a_line_per_phase_and_quiet_only_the_summary(tmp_path):
    """Not a terminal (a pipe): plain lines, one per run phase; TensorFlow's start-up chatter goes to
    each run's tensorflow.log (the process's own stderr included), --verbose lets it through."""
    command = [sys.executable, "-m", "nnlab.cli", "run", str(CONFIGS / "quickstart.yaml"), "--epochs", "2"]
    piped = subprocess.run(command + ["--results", str(tmp_path / "a")], capture_output=True, text=True, timeout=300)
    assert piped.returncode == 0, piped.stderr
    assert piped.stderr == ""
    lines = piped.stdout.splitlines()
    assert [line for line in lines if line.startswith("[1/2]")] == [
        line for line in lines if line.startswith("[1/2] quickstart/units-16 seed 0") and (
            " search: 2/2 epochs" in line or " retrain: " in line or ": best epoch" in line)]
    assert len([line for line in lines if line.startswith("[1/2]")]) == 3
    assert tensorflow_chatter((tmp_path / "a" / "quickstart" / "units-16" / "seed-0" / "tensorflow.log").read_text())

    quiet = subprocess.run(command + ["--results", str(tmp_path / "b"), "--quiet"], capture_output=True, text=True, timeout=300)
    assert quiet.returncode == 0 and quiet.stderr == ""
    assert quiet.stdout.splitlines()[0].startswith("variant ") and "results:" in quiet.stdout
    assert "[1/2]" not in quiet.stdout

    verbose = subprocess.run(command + ["--results", str(tmp_path / "c"), "--verbose"], capture_output=True, text=True, timeout=300)
    assert verbose.returncode == 0 and tensorflow_chatter(verbose.stderr)


def test_a_bad_config_fails_before_training_and_creates_no_results(tmp_path, write_config):
    bad = write_config(BASE.replace("units: 8", "units: -3"))
    result = CliRunner().invoke(main, ["run", str(bad), "--results", str(tmp_path / "out")])
    assert result.exit_code != 0
    assert f"{bad}: model: units must be positive integers, got -3" in result.output
    assert not (tmp_path / "out").exists()


def test_a_missing_dataset_fails_with_instructions(tmp_path, write_config):
    config = write_config(BASE.replace(", sample: true", ""))
    result = CliRunner().invoke(main, ["run", str(config), "--results", str(tmp_path), "--data-dir", str(tmp_path)])
    assert result.exit_code != 0 and "reuters.npz does not exist" in result.output


def test_list_and_validate_describe_the_variants():
    listed = invoke("list", CONFIGS / "imdb_loss.yaml")
    assert "binary_crossentropy" in listed.output and "mse  " in listed.output and "[baseline]" in listed.output
    assert "ok (3 variants x 1 seeds)" in invoke("validate", CONFIGS / "reuters_units.yaml").output
    search = invoke("list", CONFIGS / "reuters_search.yaml").output
    assert "a bayesian search of 20 trials" in search and "optimizer.learning_rate" in search and "'log': True" in search


@pytest.mark.slow
@pytest.mark.parametrize("config", ["reuters_units", "imdb_loss", "mnist_baseline"])
def test_shipped_studies_run_on_a_subset_of_the_real_data(real_data, tmp_path, config):
    result = invoke("run", CONFIGS / f"{config}.yaml", "--data-dir", real_data, "--results", tmp_path,
                    "--subset", "300", "--epochs", "2")
    assert result.exit_code == 0, result.output
    rows = json.loads((tmp_path / config / "summary.json").read_text())
    assert rows and all(row["test_examples"] == 300 for row in rows)


def test_a_validation_split_larger_than_the_training_set_fails_before_training(tmp_path, write_config):
    config = write_config(BASE.replace("size: 50", "size: 5000"))
    result = CliRunner().invoke(main, ["run", str(config), "--results", str(tmp_path / "out")])
    assert result.exit_code != 0
    assert "validation.size: 5000 leaves no training examples out of 480" in result.output
    assert "tiny/default seed 0" not in result.output  # the run's tag: a plain-output line per phase, had it trained
    assert not (tmp_path / "out" / "tiny").exists()

