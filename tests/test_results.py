"""Result files are written whole or not at all, and a finished run is never silently replaced."""

import json

import pytest

from nnlab import results
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
    assert results.completed_metrics(folder, "abc") is None
    results.write_json(folder / results.METRICS, {"config_fingerprint": "abc", "test_accuracy": 0.8})
    assert results.completed_metrics(folder, "abc")["test_accuracy"] == 0.8


def test_a_finished_run_of_another_config_is_kept_and_reported(tmp_path):
    folder = tmp_path / "run"
    results.write_json(folder / results.METRICS, {"config_fingerprint": "old"})
    with pytest.raises(NnlabError, match="different config.*--force"):
        results.completed_metrics(folder, "new")


def test_the_summary_has_one_row_per_run_in_csv_and_json(tmp_path):
    rows = results.summary_rows([{"variant": "a", "seed": 0, "test_accuracy": 0.5, "extra": 1},
                                 {"variant": "b", "seed": 0, "test_accuracy": 0.6}])
    results.write_summary(tmp_path, rows)
    lines = (tmp_path / "summary.csv").read_text().splitlines()
    assert lines[0].startswith("variant,seed,status,best_epoch") and len(lines) == 3
    assert json.loads((tmp_path / "summary.json").read_text())[1]["test_accuracy"] == 0.6
