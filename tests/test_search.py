"""Hyperparameter search: the search: block is checked before training, every trial is a run in the
results layout that never sees the test set, the best settings are retrained and tested beside the
config as written, and a search killed at any point resumes without redoing a finished trial."""

import json
import signal
import subprocess
import sys

import pytest
from click.testing import CliRunner

from conftest import BASE, wait_for
from nnlab.cli import main
from nnlab.config import load_study
from nnlab.errors import ConfigError

SEARCH = BASE.replace("epochs: 2", "epochs: 4") + """\
seeds: [0, 1]
search:
  strategy: STRATEGY
  trials: TRIALS
  space:
    model.units: [4, 8, 16]
    optimizer.learning_rate: {low: 1.0e-3, high: 3.0e-2, log: true}
"""


def search_config(strategy: str, trials: int, seeds: str = "[0, 1]") -> str:
    return SEARCH.replace("STRATEGY", strategy).replace("TRIALS", str(trials)).replace("seeds: [0, 1]", f"seeds: {seeds}")


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def search_json(root):
    return json.loads((root / "tiny" / "search.json").read_text())


# --- the config ------------------------------------------------------------------------------------

@pytest.mark.parametrize("block, message", [
    ("{strategy: annealing, trials: 3, space: {model.units: [4]}}", "search.strategy"),
    ("{strategy: random, space: {model.units: [4, 8]}}", "needs a budget: trials: N"),
    ("{strategy: random, trials: 3, metric: test_accuracy, space: {model.units: [4]}}", "never looks at the test set"),
    ("{strategy: random, trials: 3, space: {model.units: [4, 0]}}", "search.space.model.units = 0"),
    ("{strategy: random, trials: 3, space: {model.unitz: [4]}}", "unitz"),
    ("{strategy: random, trials: 3, space: {optimizer.learning_rate: {low: 0.0, high: 0.1, log: true}}}", "log scale needs low > 0"),
    ("{strategy: grid, space: {optimizer.learning_rate: {low: 0.001, high: 0.1}}}", "list the values to try"),
    ("{strategy: random, trials: 3, space: {model.units: [4]}, budget: 3}", "budget"),
])
def test_a_bad_search_block_is_refused_before_training_naming_the_key(write_config, block, message):
    with pytest.raises(ConfigError) as error:
        load_study(write_config(BASE + f"search: {block}\n"))
    assert message in str(error.value) and "study.yaml" in str(error.value)


def test_search_and_grid_do_not_mix(write_config):
    with pytest.raises(ConfigError, match="put the values to try under search.space"):
        load_study(write_config(search_config("random", 2) + "grid: {model.units: [4, 8]}\n"))


def test_a_search_study_runs_its_config_as_written_as_the_baseline(write_config):
    study = load_study(write_config(search_config("random", 4)))
    assert [v.id for v in study.variants] == ["baseline"] and study.baseline == "baseline"
    assert study.search.budget == 4


def test_the_grid_budget_is_the_grid_size_unless_smaller(write_config):
    grid = BASE + "search: {strategy: grid, space: {model.units: [4, 8], model.hidden_layers: {low: 1, high: 3}}}\n"
    assert load_study(write_config(grid)).search.budget == 6
    capped = grid.replace("strategy: grid,", "strategy: grid, trials: 100,")
    assert load_study(write_config(capped)).search.budget == 6


# --- running ---------------------------------------------------------------------------------------

@pytest.mark.slow
def test_a_random_search_runs_trials_as_runs_then_tests_the_best_beside_the_baseline(tmp_path, write_config):
    result = invoke("run", write_config(search_config("random", 4)), "--results", tmp_path)
    assert result.exit_code == 0, result.output
    found = search_json(tmp_path)
    assert [t["status"] for t in found["trials"]] == ["ok"] * 4
    for trial in found["trials"]:  # each trial is a run folder like any other, with no test figure
        folder = tmp_path / "tiny" / "trials" / trial["trial"] / "seed-0"
        assert {"config.yaml", "provenance.json", "search_history.json", "curves.png", "metrics.json"} <= {p.name for p in folder.iterdir()}
        metrics = json.loads((folder / "metrics.json").read_text())
        assert "test_accuracy" not in metrics and metrics["best_val_loss"] == pytest.approx(trial["value"])
        assert (metrics["kind"], metrics["trial"]) == ("train", True)  # recorded, not guessed from the folder
    tested = json.loads((tmp_path / "tiny" / "best" / "seed-0" / "metrics.json").read_text())
    assert (tested["kind"], tested["trial"]) == ("train", False)
    best = min(found["trials"], key=lambda t: t["value"])
    assert found["best"]["number"] == best["number"]
    chosen = json.loads((tmp_path / "tiny" / "best" / "seed-0" / "provenance.json").read_text())["config"]
    assert chosen["model"]["units"] == best["params"]["model.units"]
    assert chosen["optimizer"]["learning_rate"] == best["params"]["optimizer.learning_rate"]
    variants = json.loads((tmp_path / "tiny" / "variants.json").read_text())
    assert [(v["variant"], v["n"]) for v in variants] == [("baseline", 2), ("best", 2)]
    assert "trial #" in result.output and "the search chose trial" in result.output

    assert invoke("report", "--results", tmp_path).exit_code == 0
    report = (tmp_path / "report.md").read_text()
    assert "### The search" in report and "no trial saw the test set" in report
    assert f"Chosen: trial #{best['number']}" in report and "**best** vs baseline: test accuracy" in report
    assert all(f"`{t['trial']}`" in report for t in found["trials"])  # every trial in the table, with its folder
    assert (tmp_path / "report_assets" / "tiny-search.png").is_file()
    assert (tmp_path / "report_assets" / "tiny-importances.png").is_file()


@pytest.mark.slow
@pytest.mark.parametrize("jobs", [1, 2])
def test_the_same_seed_proposes_the_same_trials_for_the_same_number_at_once(tmp_path, write_config, jobs):
    """With --jobs 2 trials are proposed two at a time, each batch once the last has finished, so
    timing never decides what is proposed."""
    config = write_config(search_config("bayesian", 5, "[0]").replace("  space:", "  startup_trials: 2\n  space:"))
    for out in ("a", "b"):
        assert invoke("run", config, "--results", tmp_path / out, "--jobs", jobs).exit_code == 0
    a, b = (search_json(tmp_path / out)["trials"] for out in ("a", "b"))
    assert [(t["params"], t["value"]) for t in a] == [(t["params"], t["value"]) for t in b]


@pytest.mark.slow
def test_a_bayesian_search_with_pruning_stops_hopeless_trials_and_ranks_the_settings(tmp_path, write_config):
    config = search_config("bayesian", 8).replace("epochs: 4", "epochs: 6").replace(
        "  space:", "  startup_trials: 3\n  pruning: {startup_trials: 2, warmup_epochs: 1}\n  space:")
    config = config.replace("log: true}", "log: true}\n    model.dropout: {low: 0.0, high: 0.5}")
    result = invoke("run", write_config(config.replace("seeds: [0, 1]", "seeds: [0]")), "--results", tmp_path)
    assert result.exit_code == 0, result.output
    found = search_json(tmp_path)
    statuses = [t["status"] for t in found["trials"]]
    assert len(statuses) == 8 and statuses[:2] == ["ok", "ok"] and "pruned" in statuses
    for trial in found["trials"]:
        metrics = json.loads((tmp_path / "tiny" / "trials" / trial["trial"] / "seed-0" / "metrics.json").read_text())
        assert metrics["status"] == trial["status"]
        assert (metrics["epochs_run"] < 6) == (trial["status"] == "pruned")
    assert set(found["importances"]) == {"model.units", "optimizer.learning_rate", "model.dropout"}
    assert sum(found["importances"].values()) == pytest.approx(1.0)


@pytest.mark.slow
def test_a_grid_search_tries_every_point_once(tmp_path, write_config):
    config = BASE + "search: {strategy: grid, space: {model.units: [4, 8], optimizer.learning_rate: [0.001, 0.01]}}\n"
    assert invoke("run", write_config(config), "--results", tmp_path).exit_code == 0
    tried = sorted((t["params"]["model.units"], t["params"]["optimizer.learning_rate"]) for t in search_json(tmp_path)["trials"])
    assert tried == [(4, 0.001), (4, 0.01), (8, 0.001), (8, 0.01)]


@pytest.mark.slow
def test_a_search_killed_mid_way_resumes_its_budget_without_redoing_a_finished_trial(tmp_path, write_config):
    config = write_config(search_config("bayesian", 5).replace("epochs: 4", "epochs: 12").replace("seeds: [0, 1]", "seeds: [0]"))
    command = [sys.executable, "-m", "nnlab.cli", "run", str(config), "--results", str(tmp_path)]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    for line in proc.stdout:  # kill -9 while the third trial trains
        if line.startswith("[trial #2, 3/5]"):  # its settings, printed as it is proposed
            wait_for(tmp_path / "tiny" / "trials" / line.split("/")[2].split()[0] / "seed-0" / ".lock")
            proc.send_signal(signal.SIGKILL)
            break
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    trials = tmp_path / "tiny" / "trials"
    finished = {p.parent.parent.name: p.read_bytes() for p in trials.glob("*/seed-0/metrics.json")}
    assert len(finished) == 2

    rerun = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert "trial #2 was interrupted; its settings are queued again" in rerun.stdout
    assert not any(f"{name} seed 0 search:" in rerun.stdout for name in finished)  # none trained again
    assert {name: (trials / name / "seed-0" / "metrics.json").read_bytes() for name in finished} == finished
    found = search_json(tmp_path)
    counted = [t for t in found["trials"] if t["status"] != "interrupted"]
    assert len(counted) == 5 and [t["redo_of"] for t in counted if t["redo_of"] is not None] == [2]
    assert len({t["trial"] for t in counted}) == len(list(trials.iterdir())) == 5


@pytest.mark.slow
def test_a_changed_search_is_refused_not_mixed_into_the_old_one(tmp_path, write_config):
    config = search_config("random", 2, "[0]")
    assert invoke("run", write_config(config), "--results", tmp_path).exit_code == 0
    result = invoke("run", write_config(config.replace("trials: 2", "trials: 3")), "--results", tmp_path)
    assert result.exit_code == 1 and "holds a search with another space, budget" in result.output
