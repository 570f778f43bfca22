"""`nnlab reproduce`: recorded runs trained again from their config and seed, each judged identical,
different in the last digits (with the likely cause), or different beyond seed noise (issue 34)."""

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import BASE
from nnlab.cli import main
from nnlab.config import load_study
from nnlab.reproduce import Recorded, judge


def recorded(test_accuracy=0.80, noise=0.01, environment=None, **figures) -> Recorded:
    variant = load_study_variant()
    metrics = {"status": "ok", "best_epoch": 5, "best_val_loss": 0.5, "best_val_accuracy": 0.8, "test_loss": 0.6,
               "test_accuracy": test_accuracy, **figures}
    return Recorded("tiny", variant, 0, metrics, noise, None, environment)


def load_study_variant():
    import tempfile

    folder = Path(tempfile.mkdtemp())
    (folder / "study.yaml").write_text(BASE)
    return load_study(folder / "study.yaml").variants[0]


def test_the_same_figures_are_identical():
    r = recorded()
    assert judge(r, dict(r.metrics), None, None).state == "identical"


def test_a_difference_within_the_seeds_spread_is_the_last_digits_with_its_cause():
    r = recorded(environment={"threads": 1, "onednn": {"isa": "avx2"}, "cpu_facts": {"vendor": "GenuineIntel"}})
    fresh = {**r.metrics, "test_loss": 0.6000001}
    finding = judge(r, fresh, None, {"threads": 1, "onednn": {"isa": "avx512_core_bf16"}, "cpu_facts": {"vendor": "AuthenticAMD"}})
    assert finding.state == "last digits"
    assert "largest difference 1e-07 (test loss)" in finding.text and "test accuracy the same" in finding.text
    assert "cpu_facts.vendor (GenuineIntel → AuthenticAMD)" in finding.text
    assert "onednn.isa (avx2 → avx512_core_bf16)" in finding.text


def test_a_test_accuracy_beyond_the_seeds_spread_is_a_failure():
    r = recorded(noise=0.004)
    finding = judge(r, {**r.metrics, "test_accuracy": 0.79}, None, None)
    assert finding.state == "beyond noise" and "DIFFERS BEYOND SEED NOISE" in finding.text
    assert "summary.csv" in finding.text  # the recorded side keeps no provenance to name a cause


@pytest.mark.slow
def test_reproduce_repeats_a_results_folder_and_fails_only_beyond_seed_noise(tmp_path, write_config):
    config = write_config(BASE + "seeds: [0, 1, 2]\n")
    assert CliRunner().invoke(main, ["run", str(config), "--results", str(tmp_path / "r")]).exit_code == 0
    result = CliRunner().invoke(main, ["reproduce", str(tmp_path / "r"), "--sample", "2"])
    assert result.exit_code == 0, result.output
    assert result.output.count("identical to the last bit") == 2 and "2 run(s) repeated: 2 identical." in result.output
    # A recorded figure edited by more than the seeds spread (its checksum kept in step): a failure.
    run = tmp_path / "r" / "tiny" / "default" / "seed-1"
    metrics = json.loads((run / "metrics.json").read_text())
    metrics["test_accuracy"] = 1.0  # the tiny data's seeds spread widely: far beyond them
    (run / "metrics.json").write_text(json.dumps(metrics))
    (run / "checksums.sha256").unlink()
    result = CliRunner().invoke(main, ["reproduce", str(tmp_path / "r"), "--scratch", str(tmp_path / "again")])
    assert result.exit_code == 1, result.output
    assert "tiny/default seed 1: DIFFERS BEYOND SEED NOISE" in result.output


@pytest.mark.slow
def test_the_committed_reports_summary_is_repeated_from_the_shipped_config(tmp_path):
    """Where only summary.csv is kept, the run is repeated from the shipped config of that name."""
    committed = Path(__file__).parent.parent / "results" / "imdb_regularization" / "summary.csv"
    (tmp_path / "imdb_regularization").mkdir()
    shutil.copy(committed, tmp_path / "imdb_regularization" / "summary.csv")
    from nnlab.reproduce import plan

    runs, skipped = plan(tmp_path, sample=1)
    assert len(runs) == 1 and not skipped and runs[0].folder is None
    assert runs[0].variant.config.name == "imdb_regularization"
