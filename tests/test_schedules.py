"""Learning-rate schedules: counted in epochs, checked in the config, recorded per epoch."""

import json

import pytest
from click.testing import CliRunner

from conftest import BASE
from nnlab.cli import main
from nnlab.config import load_study


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.mark.slow
def test_a_schedule_shows_in_the_learning_rate_history(tmp_path, write_config):
    schedule = "optimizer: {name: sgd, learning_rate: 0.1, schedule: {name: exponential_decay, decay_steps: 1, decay_rate: 0.5, staircase: true}}\n"
    config = write_config(BASE.replace("epochs: 2", "epochs: 3") + schedule)
    assert invoke("run", config, "--results", tmp_path).exit_code == 0
    history = json.loads((tmp_path / "tiny" / "default" / "seed-0" / "search_history.json").read_text())
    assert history["learning_rate"] == pytest.approx([0.1, 0.05, 0.025])


def test_schedules_need_their_parameters(write_config):
    from nnlab.errors import ConfigError

    with pytest.raises(ConfigError, match="schedule exponential_decay needs decay_rate"):
        load_study(write_config(BASE + "optimizer: {name: sgd, schedule: {name: exponential_decay, decay_steps: 2}}\n"))
    with pytest.raises(ConfigError, match="one more value than boundaries"):
        load_study(write_config(BASE + "optimizer: {name: sgd, schedule: {name: piecewise_constant, boundaries: [2], values: [0.1]}}\n"))


@pytest.mark.slow
def test_polynomial_decay_runs_a_straight_line_from_the_rate_to_its_end_in_epochs(tmp_path, write_config):
    """The course names polynomial decay among the schedule families (issue 35): power 1 is a straight line."""
    schedule = ("optimizer: {name: sgd, learning_rate: 0.1, schedule: {name: polynomial_decay, decay_steps: 4, "
                "end_learning_rate: 0.02}}\n")
    config = write_config(BASE.replace("epochs: 2", "epochs: 5") + schedule)
    assert invoke("run", config, "--results", tmp_path).exit_code == 0
    history = json.loads((tmp_path / "tiny" / "default" / "seed-0" / "search_history.json").read_text())
    assert history["learning_rate"] == pytest.approx([0.1, 0.08, 0.06, 0.04, 0.02])  # held at its end after decay_steps


def test_polynomial_decay_needs_its_end_and_only_it_reads_power(write_config):
    from nnlab.errors import ConfigError

    with pytest.raises(ConfigError, match="schedule polynomial_decay needs end_learning_rate"):
        load_study(write_config(BASE + "optimizer: {name: sgd, schedule: {name: polynomial_decay, decay_steps: 4}}\n"))
    with pytest.raises(ConfigError, match="does not read power"):
        load_study(write_config(BASE + "optimizer: {name: sgd, schedule: {name: cosine_decay, decay_steps: 4, power: 2}}\n"))
