"""The course's own exercises as it wrote them: its MNIST script under a clearly labelled protocol,
activation combinations per layer, weight penalties, batch norm, per-layer dropout, Leaky ReLU's
slope and PReLU, and a regression kind for its polynomial fit; each option refused before training
when it is wrong, and configs that do not use them keyed as before."""

import json

import numpy as np
import pytest
from click.testing import CliRunner

from conftest import BASE
from nnlab.cli import main
from nnlab.config import load_study
from nnlab.errors import ConfigError

MNIST = """\
name: course
dataset: {name: mnist, sample: true}
validation: {split: first, size: 100}
model: {hidden_layers: 2, units: 16, activation: sigmoid, output_activation: sigmoid, kernel_initializer: normal}
loss: categorical_crossentropy
optimizer: {name: adam}
epochs: 3
batch_size: 200
"""


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


# --- the course's script, labelled --------------------------------------------------------------

def test_keras_short_initializer_names_are_accepted_and_read_as_the_long_ones(write_config):
    study = load_study(write_config(BASE.replace("units: 8}", "units: 8, kernel_initializer: normal}")))
    assert study.variants[0].config.model.kernel_initializer == "normal"
    with pytest.raises(ConfigError, match="train the same runs"):
        load_study(write_config(BASE + "grid:\n  model.kernel_initializer: [normal, random_normal]\n"))


def test_a_sigmoid_output_under_cross_entropy_is_the_course_protocols_alone(write_config):
    with pytest.raises(ConfigError, match="allowed with protocol: course"):
        load_study(write_config(MNIST))
    study = load_study(write_config(MNIST + "protocol: course\n"))
    assert study.variants[0].config.model.output_activation == "sigmoid"


STUDENT = """\
name: student
dataset: {name: imdb, num_words: 1000, sample: true}
validation: {split: first, size: 100}
model: {hidden_layers: 2, units: 8, activation: relu, output_activation: relu}
loss: binary_crossentropy
epochs: 3
batch_size: 64
"""


def test_a_students_relu_output_under_binary_cross_entropy_runs_only_under_the_course_protocol(write_config):
    with pytest.raises(ConfigError, match="runs with protocol: course, flagged in the report"):
        load_study(write_config(STUDENT))
    assert load_study(write_config(STUDENT + "protocol: course\n")).variants[0].config.model.output_activation == "relu"
    with pytest.raises(ConfigError, match="does not give the probabilities"):  # the course's leave is for relu alone
        load_study(write_config(STUDENT.replace("output_activation: relu", "output_activation: linear") + "protocol: course\n"))


@pytest.mark.slow
def test_the_report_flags_a_relu_output_as_no_probability(tmp_path, write_config):
    config = write_config(STUDENT + "protocol: course\nseeds: [0, 1]\nbaseline: book\nvariants:\n"
                          "  - {name: book, model.output_activation: sigmoid}\n  - name: slip\n")
    assert invoke("run", config, "--results", tmp_path).exit_code == 0
    assert invoke("report", "--results", tmp_path).exit_code == 0
    report = (tmp_path / "report.md").read_text()
    assert "slip ends in a relu unit under binary cross-entropy: not a probability" in report
    assert "book end in" not in report


@pytest.mark.parametrize("extra, message", [
    ("validation: {split: test}\nretrain: false\n", "allowed only as the course's script, with protocol: course"),
    ("protocol: course\nvalidation: {split: test}\n", "set retrain: false"),
    ("protocol: course\nretrain: false\nvalidation: {split: test, size: 100}\n", "leave size out"),
    ("validation: {split: random}\n", "needs size"),
])
def test_validating_on_the_test_set_is_refused_unless_labelled_as_the_course_did(write_config, extra, message):
    with pytest.raises(ConfigError, match=message):
        plain = MNIST.replace("output_activation: sigmoid, ", "").replace("validation: {split: first, size: 100}\n", "")
        load_study(write_config(plain + extra))


def test_the_course_protocol_is_keyed_apart_and_shipped_configs_keep_their_keys(write_config):
    plain = load_study(write_config(MNIST.replace("output_activation: sigmoid, ", ""))).variants[0].config
    labelled = load_study(write_config(MNIST.replace("output_activation: sigmoid, ", "") + "protocol: course\n")).variants[0].config
    assert plain.fingerprint() != labelled.fingerprint()


# --- activation combinations, penalties, layers ---------------------------------------------------

def test_a_grid_over_every_layers_activation_names_its_variants_readably(write_config):
    study = load_study(write_config(BASE.replace("categorical_crossentropy", "mse")
                                    + "grid:\n  model.activations: [[relu, softmax], [tanh, sigmoid]]\n"))
    assert [v.id for v in study.variants] == ["activations-relu-softmax", "activations-tanh-sigmoid"]
    model = study.variants[1].config.model
    assert (model.activation, model.output_activation) == (["tanh"], "sigmoid")
    written_out = load_study(write_config(BASE.replace("categorical_crossentropy", "mse").replace(
        "units: 8}", "units: 8, activation: [tanh], output_activation: sigmoid}")))
    assert written_out.variants[0].config.fingerprint() == study.variants[1].config.fingerprint()


@pytest.mark.parametrize("model, message", [
    ("activations: [relu, relu, softmax]", r"hidden_layers \+ 1 = 2 names"),
    ("activations: [relu, softmax], activation: tanh", "leave out activation"),
    ("activations: [relu, prelu]", "prelu is for hidden layers"),
    ("kernel_regularizer: {name: l2}", "l2 needs a factor"),
    ("kernel_regularizer: {name: l2, factor: -1}", "greater than 0"),
    ("kernel_regularizer: {name: l1_l2, factor: 0.1}", "l1_l2 takes l1 and l2 factors"),
    ("kernel_regularizer: {name: l3, factor: 0.1}", "l1_l2"),
    ("bias_regularizer: {name: l2, factor: 0.1, scale: 2}", "scale"),
    ("dropout: [0.5, 0.5]", "dropout lists 2 rates but hidden_layers is 1"),
    ("dropout: 1.0", r"dropout rates must lie in \[0, 1\)"),
    ("negative_slope: 0.01", "no hidden layer uses leaky_relu"),
    ("activation: leaky_relu, negative_slope: 2", "less than 1"),
])
def test_each_new_model_option_is_refused_before_training_when_wrong(write_config, model, message):
    with pytest.raises(ConfigError, match=message) as error:
        load_study(write_config(BASE.replace("units: 8}", f"units: 8, {model}}}")))
    assert "study.yaml" in str(error.value)


def test_the_polynomial_fit_is_checked_before_it_trains(write_config):
    with pytest.raises(ConfigError, match="x_range must run from low to high"):
        load_study(write_config("name: p\nkind: poly_fit\nx_range: [5, 1]\n"))
    with pytest.raises(ConfigError, match="units"):
        load_study(write_config("name: p\nkind: poly_fit\nmodel: {units: [5, 0]}\n"))


# --- what runs -----------------------------------------------------------------------------------

@pytest.mark.slow
def test_the_course_script_reports_its_last_epoch_and_is_flagged_optimistic_beside_the_honest_twin(tmp_path, write_config):
    config = write_config(MNIST + "protocol: course\nseeds: [0, 1]\nbaseline: nnlab\nvariants:\n  - name: nnlab\n"
                          "  - {name: course, validation: {split: test}, retrain: false}\n")
    assert invoke("run", config, "--results", tmp_path).exit_code == 0
    metrics = json.loads((tmp_path / "course" / "course" / "seed-0" / "metrics.json").read_text())
    history = json.loads((tmp_path / "course" / "course" / "seed-0" / "search_history.json").read_text())
    assert metrics["last_epoch_test_accuracy"] == history["val_accuracy"][-1]  # what the script prints
    assert metrics["test_accuracy"] == pytest.approx(history["val_accuracy"][metrics["best_epoch"] - 1])
    honest = json.loads((tmp_path / "course" / "nnlab" / "seed-0" / "metrics.json").read_text())
    assert metrics["train_examples"] == honest["train_examples"] + honest["validation_examples"]  # all of train
    assert metrics["validation_examples"] == metrics["test_examples"]  # validated on the test set
    assert invoke("report", "--results", tmp_path).exit_code == 0
    report = (tmp_path / "report.md").read_text()
    assert "| course † |" in report and "**optimistic**" in report and "not a probability distribution" in report
    assert "Not in this table: course" in report  # never the source of a "chosen on validation" headline
    assert "the same net, nnlab's protocol" in report and "nnlab: " in report


@pytest.mark.slow
def test_penalties_batch_norm_prelu_and_leaky_slope_train_and_check_out(tmp_path, write_config):
    config = write_config(BASE.replace("units: 8}", "units: 8, batch_norm: true}") + "variants:\n  - name: plain\n"
                          "  - {name: l2-both, model.kernel_regularizer: {name: l2, factor: 0.01}, model.bias_regularizer: {name: l1_l2, l1: 0.01}}\n"
                          "  - {name: prelu, model.activation: prelu}\n"
                          "  - {name: leaky, model.activation: leaky_relu, model.negative_slope: 0.01, model.dropout: 0.5}\n")
    result = invoke("run", config, "--results", tmp_path)
    assert result.exit_code == 0, result.output
    loss = {v: json.loads((tmp_path / "tiny" / v / "seed-0" / "search_history.json").read_text())["loss"][0]
            for v in ("plain", "l2-both")}
    assert loss["l2-both"] > loss["plain"]  # the penalty is in the training loss
    assert invoke("verify", tmp_path).exit_code == 0


@pytest.mark.slow
def test_the_polynomial_fit_draws_its_sample_from_the_seed_and_overfits(tmp_path, write_config):
    from nnlab.kinds.poly_fit.run import sample
    from nnlab.kinds.poly_fit.schema import Config

    config = write_config("name: p\nkind: poly_fit\nepochs: 3000\nrepeats: 4\nseeds: [0, 1]\ngrid:\n  normalize: [false, true]\n")
    result = invoke("run", config, "--results", tmp_path)
    assert result.exit_code == 0, result.output
    folder = tmp_path / "p" / "normalize-false" / "seed-1"
    recorded = json.loads((folder / "data.json").read_text())
    again = sample(Config(name="p", kind="poly_fit"), 1)
    np.testing.assert_allclose(recorded["x_train"], again["x_train"])  # the run's sample, from its seed alone
    metrics = json.loads((folder / "metrics.json").read_text())
    assert metrics["final_train_mse"] < metrics["noise_floor"] < metrics["final_val_mse"]  # it fits the noise
    assert metrics["final_val_mse"] > metrics["min_val_mse"]  # and validation rises after its lowest
    assert (folder / "fit.png").is_file() and invoke("verify", tmp_path).exit_code == 0
    assert invoke("report", "--results", tmp_path).exit_code == 0
    assert "normalize-true** against normalize-false, paired by seed" in (tmp_path / "report.md").read_text()
