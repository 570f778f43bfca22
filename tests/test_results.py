"""Result files are written whole or not at all, and a finished run is never silently replaced."""

import json
import os

import pytest

from nnlab import integrity, results
from nnlab.errors import NnlabError


def test_an_atomic_write_replaces_the_file_in_one_step(tmp_path):
    path = tmp_path / "a" / "metrics.json"
    results.write_json(path, {"x": 1})
    results.write_json(path, {"x": 2})
    assert json.loads(path.read_text()) == {"x": 2}
    assert [p.name for p in path.parent.iterdir()] == ["metrics.json"]


def test_a_write_that_fails_half_way_leaves_the_old_file_and_no_temporary(tmp_path):
    path = tmp_path / "metrics.json"
    results.write_json(path, {"x": 1})
    with pytest.raises(TypeError):
        results.write_json(path, {"x": object()})  # not serialisable: fails before the rename
    assert json.loads(path.read_text()) == {"x": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["metrics.json"]


def test_a_run_is_complete_only_once_its_metrics_exist(tmp_path):
    folder = results.run_dir(tmp_path, "study", "units-64", 0)
    assert folder == tmp_path / "study" / "units-64" / "seed-0"
    assert integrity.completed_metrics(folder, "abc") is None
    folder.mkdir(parents=True)
    results.write_json(folder / results.METRICS, {"run_key": "abc", "status": "ok", "kind": "lr_decay_demo"})
    assert integrity.completed_metrics(folder, "abc") is None  # no provenance, no figure: not a whole run


def test_a_finished_run_of_another_config_is_kept_and_reported(tmp_path):
    folder = tmp_path / "run"
    results.write_json(folder / results.METRICS, {"run_key": "old", "status": "ok"})
    with pytest.raises(NnlabError, match="another config, dataset or nnlab run format.*--force"):
        integrity.completed_metrics(folder, "new")


def test_the_summary_has_one_row_per_run_and_one_per_variant_over_seeds(tmp_path):
    runs = [{"variant": "a", "seed": 0, "status": "ok", "test_accuracy": 0.5, "test_loss": 1.0, "best_epoch": 3},
            {"variant": "a", "seed": 1, "status": "ok", "test_accuracy": 0.7, "test_loss": 0.8, "best_epoch": 5},
            {"variant": "b", "seed": 0, "status": "diverged", "test_accuracy": None, "extra": 1}]
    results.write_summary(tmp_path, results.summary_rows(runs))
    lines = (tmp_path / "summary.csv").read_text().splitlines()
    assert lines[0].startswith("variant,seed,status,best_epoch") and len(lines) == 4
    assert json.loads((tmp_path / "summary.json").read_text())[1]["test_accuracy"] == 0.7
    a, b = json.loads((tmp_path / "variants.json").read_text())
    assert (a["n"], a["best_epoch_mean"]) == (2, 4.0)
    assert a["test_accuracy_mean"] == pytest.approx(0.6) and a["test_accuracy_sd"] == pytest.approx(0.1414, abs=1e-4)
    assert (b["runs"], b["n"], b["not_ok"], b["test_accuracy_mean"]) == (1, 0, ["diverged"], None)
    assert (tmp_path / "variants.csv").read_text().startswith("variant,runs,n,not_ok,test_accuracy_mean")


def test_a_results_folder_under_a_file_is_refused(tmp_path):
    (tmp_path / "notes.txt").write_text("")
    with pytest.raises(NnlabError, match="notes.txt is a file, not a folder"):
        results.check_writable(tmp_path / "notes.txt" / "results")


def test_an_unwritable_results_folder_is_refused(tmp_path):
    locked = tmp_path / "ro"
    locked.mkdir(mode=0o500)
    if os.access(locked, os.W_OK):
        pytest.skip("running as a user who can write anywhere (root)")
    with pytest.raises(NnlabError, match="not writable"):
        results.check_writable(locked / "results")


def test_a_run_folder_can_be_locked_by_one_process_only(tmp_path):
    folder = tmp_path / "run"
    with results.run_lock(folder):
        with pytest.raises(results.RunLocked, match="another nnlab process"):
            with results.run_lock(folder):
                pass
    with results.run_lock(folder):  # released again: the next run may go
        pass


def test_every_finished_run_of_a_changed_config_is_named_before_anything_trains(tmp_path):
    """A suite stopped at the first such run, hours in (a study's revision bumped after the others
    trained); preflight names them all at once, with the command that replaces them, and --force passes."""
    from nnlab.config import load_study
    from nnlab.runner import RunContext, preflight
    from nnlab.shipped import resolve

    study = load_study(resolve("lr_decay_demo", "configs"))
    variant, seed = study.variants[0], study.seeds[0]
    folder = results.run_dir(tmp_path, study.name, variant.id, seed)
    folder.mkdir(parents=True)
    results.write_json(folder / results.METRICS, {"run_key": "from-an-older-config", "status": "ok"})
    with pytest.raises(NnlabError, match=rf"1 finished runs under .* \(lr_decay_demo.yaml: {variant.id}/seed-{seed}\)\. "
                                         rf"Nothing has trained\. To replace them: nnlab run .*lr_decay_demo.yaml --force"):
        preflight([study], tmp_path, None)
    preflight([study], tmp_path, None, force=True)
    results.write_json(folder / results.METRICS, {"run_key": RunContext.of(study.name, variant, seed, tmp_path, None).key})
    preflight([study], tmp_path, None)  # the run its config gives: nothing to refuse
