"""Beside the test figure of the model retrained for its best epoch count, a run records the test
figure of the same retrain trained on to all the epochs (issue 33: does stopping at the best epoch
help?), without changing the first: the report can answer the student's claim, never choose by it."""

import json

import pytest
from click.testing import CliRunner

from conftest import BASE
from nnlab.cli import main
from nnlab.config import load_study

pytestmark = pytest.mark.slow  # every test here trains

LONGER = BASE.replace("epochs: 2", "epochs: 6") + "seeds: [0, 1]\n"


def metrics_and_retrain(run):
    return json.loads((run / "metrics.json").read_text()), json.loads((run / "retrain_history.json").read_text())


def test_training_on_past_the_best_epoch_leaves_the_best_epochs_test_figure_as_it_was(tmp_path, write_config):
    shown = write_config(LONGER)
    alone = write_config(LONGER.replace("name: tiny", "name: alone") + "record: {full_epochs_test: false}\n", "alone.yaml")
    for config in (shown, alone):
        result = CliRunner().invoke(main, ["run", str(config), "--results", str(tmp_path), "--jobs", "1"])
        assert result.exit_code == 0, result.output
    for seed in (0, 1):
        (full, full_retrain), (short, short_retrain) = (metrics_and_retrain(tmp_path / s / "default" / f"seed-{seed}")
                                                        for s in ("tiny", "alone"))
        best = short["best_epoch"]
        assert full["best_epoch"] == best and full["retrain_epochs"] == short["retrain_epochs"] == best
        assert (full["test_loss"], full["test_accuracy"]) == (short["test_loss"], short["test_accuracy"])
        assert len(full_retrain["loss"]) == 6 and len(short_retrain["loss"]) == best
        assert full_retrain["loss"][:best] == short_retrain["loss"]
        assert full["full_epochs"] == 6 and 0 <= full["full_epochs_test_accuracy"] <= 1
        assert "full_epochs_test_accuracy" not in short
    verified = CliRunner().invoke(main, ["verify", str(tmp_path)])
    assert verified.exit_code == 0, verified.output


def test_switching_it_off_where_nothing_is_retrained_is_refused(write_config):
    from nnlab.errors import ConfigError

    with pytest.raises(ConfigError, match="record.full_epochs_test"):
        load_study(write_config(BASE + "retrain: false\nrecord: {full_epochs_test: false}\n"))
