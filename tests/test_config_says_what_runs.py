"""Issue 31: a config that validates runs the study it says, or is refused before anything trains.

Each class of mistake a careless student makes is refused with the file, the key and what is allowed,
or, where a grid makes a setting pointless in some of its cells, folded so that one run is trained and
counted once, and said so. Nothing here trains."""

import math
import shutil

import pytest
from click.testing import CliRunner

from conftest import BASE, CONFIGS
from nnlab.cli import main
from nnlab.config import load_study
from nnlab.errors import ConfigError
from nnlab.spec_tables import OUTPUT_RANGES

IMDB = BASE.replace("{name: reuters, num_words: 1000, sample: true}", "{name: imdb, num_words: 1000, sample: true}").replace(
    "categorical_crossentropy", "binary_crossentropy")


def refused(write_config, text: str, *needles: str) -> str:
    path = write_config(text)
    with pytest.raises(ConfigError) as error:
        load_study(path)
    message = str(error.value)
    assert str(path) in message, message
    for needle in needles:
        assert needle in message, message
    return message


# --- 1. settings that contradict each other --------------------------------------------------------

def test_a_selection_mode_against_its_metric_is_refused_and_a_missing_mode_follows_the_metric(write_config):
    refused(write_config, BASE + "selection: {metric: val_accuracy, mode: min}\n", "selection", "use mode max")
    refused(write_config, BASE + "selection: {metric: val_loss, mode: max}\n", "selection", "use mode min")
    study = load_study(write_config(BASE + "selection: {metric: val_accuracy}\n"))
    assert study.variants[0].config.selection.mode == "max"
    explicit = load_study(write_config(BASE + "selection: {metric: val_accuracy, mode: max}\n", "explicit.yaml"))
    assert explicit.variants[0].config.fingerprint() == study.variants[0].config.fingerprint()


@pytest.mark.parametrize("text, needles", [
    # one softmax unit is a constant 1: under mse on 0/1 labels nothing can be learned
    (IMDB.replace("binary_crossentropy", "mse").replace("units: 8}", "units: 8, output_activation: softmax}"),
     ("always gives 1", "use sigmoid")),
    (IMDB.replace("binary_crossentropy", "mae").replace("units: 8}", "units: 8, output_activation: softmax}"), ("always gives 1",)),
    # a relu or linear output is not a probability for a cross-entropy (the relu case was refused before)
    (IMDB.replace("units: 8}", "units: 8, output_activation: relu}"), ("does not give the probabilities", "use sigmoid")),
    (IMDB.replace("units: 8}", "units: 8, output_activation: linear}"), ("does not give the probabilities",)),
    (BASE.replace("units: 8}", "units: 8, output_activation: tanh}"), ("does not give the probabilities", "use softmax")),
    # one hidden softmax unit passes a constant on: the rest of the net learns nothing
    (BASE.replace("units: 8}", "units: 1, activation: softmax}"), ("always outputs 1",)),
])
def test_an_output_layer_that_cannot_give_what_its_loss_needs_is_refused(write_config, text, needles):
    refused(write_config, text, *needles)


def test_the_output_rule_is_one_rule_over_every_activation():
    """Every activation named in the schema has a range, and the rule accepts exactly those that reach
    both labels (mse) or are a probability (binary cross-entropy) on one output unit."""
    from nnlab.kinds.train.schema import output_fault
    from nnlab.spec_tables import ACTIVATIONS

    assert set(OUTPUT_RANGES) == set(ACTIVATIONS)
    mse_ok = {a for a in ACTIVATIONS if output_fault("mse", a, 1, "imdb") is None}
    bce_ok = {a for a in ACTIVATIONS if output_fault("binary_crossentropy", a, 1, "imdb") is None}
    assert bce_ok == {"sigmoid", "hard_sigmoid"}
    assert mse_ok == {a for a, (low, high) in OUTPUT_RANGES.items() if low <= 0 and high >= 1} - {"softmax"}
    assert output_fault("mse", "softmax", 46, "reuters") is None
    assert output_fault("categorical_crossentropy", "softmax", 46, "reuters") is None


# --- 2. settings that do nothing -------------------------------------------------------------------

@pytest.mark.parametrize("setting", ["batch_norm: true", "dropout: 0.5", "activation: tanh", "units: 16",
                                     "kernel_regularizer: {name: l2, factor: 0.001}"])
def test_a_per_layer_option_with_no_hidden_layer_is_refused(write_config, setting):
    refused(write_config, BASE.replace("{hidden_layers: 1, units: 8}", f"{{hidden_layers: 0, {setting}}}"),
            "does nothing", "hidden_layers is 0")


def test_a_validation_seed_with_a_split_that_draws_nothing_is_refused(write_config):
    refused(write_config, BASE.replace("size: 50}", "size: 50, seed: 3}"), "validation.seed", "does nothing", "split first")
    load_study(write_config(BASE.replace("{split: first, size: 50}", "{split: random, size: 50, seed: 3}")))


def test_a_grid_cell_where_a_key_does_nothing_is_folded_into_one_variant_trained_once(write_config):
    study = load_study(write_config(BASE + "grid: {model.hidden_layers: [0, 1, 2], model.units: [16, 64]}\n"))
    ids = [v.id for v in study.variants]
    assert ids == ["hidden_layers-0", "hidden_layers-1_units-16", "hidden_layers-1_units-64",
                   "hidden_layers-2_units-16", "hidden_layers-2_units-64"]
    assert study.run_count == 5
    assert len({v.config.fingerprint() for v in study.variants}) == 5
    assert any("hidden_layers-0_units-16, hidden_layers-0_units-64 train the same runs" in note for note in study.notes)


def test_a_setting_kept_where_it_matters_is_reset_where_it_does_not(write_config):
    """A base dropout of 0.3 over hidden_layers 0 and 2: the zero-layer run is keyed as the plain net."""
    study = load_study(write_config(BASE.replace("units: 8}", "units: 8, dropout: 0.3}") + "grid: {model.hidden_layers: [0, 2]}\n"))
    zero, two = study.variants
    plain = load_study(write_config(BASE.replace("hidden_layers: 1, units: 8", "hidden_layers: 0"), "plain.yaml"))
    assert zero.config.fingerprint() == plain.variants[0].config.fingerprint()
    assert two.config.model.dropout == 0.3


def test_a_grid_over_two_spellings_of_one_setting_is_still_refused_as_duplicates(write_config):
    refused(write_config, BASE + "grid: {model.kernel_initializer: [normal, random_normal]}\n", "train the same runs")


def test_a_leaky_slope_in_a_grid_over_activations_applies_to_its_leaky_cells(write_config):
    study = load_study(write_config(BASE.replace("units: 8}", "units: 8, negative_slope: 0.01}")
                                    + "grid: {model.activation: [relu, leaky_relu]}\n"))
    relu, leaky = study.variants
    assert relu.config.model.negative_slope is None and leaky.config.model.negative_slope == 0.01
    refused(write_config, BASE.replace("units: 8}", "units: 8, negative_slope: 0.01}"), "negative_slope", "does nothing")


def test_a_schedule_parameter_the_schedule_does_not_read_is_refused(write_config):
    refused(write_config, BASE + "optimizer: {name: sgd, schedule: {name: cosine_decay, decay_steps: 5, staircase: true}}\n",
            "does not read staircase")
    refused(write_config, BASE + "optimizer: {name: sgd, schedule: {name: exponential_decay, decay_steps: 5, decay_rate: 0.5, "
                                 "alpha: 0.1}}\n", "does not read alpha")


# --- 3. values Keras would refuse, checked by the schema -------------------------------------------

@pytest.mark.parametrize("optimizer, needles", [
    ("{name: sgd, momentum: 1.5}", ("momentum must lie in [0, 1]",)),
    ("{name: sgd, momentum: -0.1}", ("momentum must lie in [0, 1]",)),
    ("{name: adam, beta_1: 1}", ("beta_1 must lie in [0, 1)",)),
    ("{name: adam, epsilon: 0}", ("epsilon must lie in (0, inf]",)),
    ("{name: rmsprop, clipnorm: 1, clipvalue: 0.5}", ("give one of clipnorm, clipvalue and global_clipnorm",)),
])
def test_optimizer_values_keras_refuses_or_divides_by_zero_are_refused(write_config, optimizer, needles):
    refused(write_config, BASE + f"optimizer: {optimizer}\n", "optimizer", *needles)


@pytest.mark.slow
def test_whole_numbers_for_float_parameters_reach_keras_as_floats():
    """Keras' SGD refuses `momentum: 0` (an int) and every optimizer an int rate, after the data loads."""
    pytest.importorskip("keras")
    from nnlab.models import build_optimizer
    from nnlab.optimizer_specs import OptimizerSpec

    optimizer = build_optimizer(OptimizerSpec(name="sgd", momentum=0, learning_rate=1))
    assert optimizer.momentum == 0.0 and math.isclose(float(optimizer.learning_rate.numpy()), 1.0)


@pytest.mark.parametrize("seeds, needle", [("[-1]", "greater than or equal to 0"), ("[4294967296]", "less than or equal to 4294967295")])
def test_seeds_outside_what_numpy_takes_are_refused_in_a_config(write_config, seeds, needle):
    refused(write_config, BASE + f"seeds: {seeds}\n", "seeds.0", needle)
    refused(write_config, BASE.replace("{split: first, size: 50}", f"{{split: random, size: 50, seed: {seeds[1:-1]}}}"),
            "validation.seed", needle)


def test_a_name_or_a_generated_variant_id_that_cannot_be_a_folder_name_is_refused(write_config):
    refused(write_config, BASE.replace("name: tiny", "name: " + "x" * 256), "name:", "255")
    long_values = ", ".join(["relu"] * 60)
    text = BASE.replace("hidden_layers: 1, units: 8", "hidden_layers: 60, units: 8") + f"grid: {{model.activation: [[{long_values}], tanh]}}\n"
    refused(write_config, text, "its id is", "255")


def test_a_whole_number_range_over_a_float_parameter_is_searched_as_real_numbers(write_config):
    study = load_study(write_config(BASE + "optimizer: {name: sgd}\nsearch:\n  strategy: random\n  trials: 3\n  space:\n"
                                           "    optimizer.momentum: {low: 0, high: 1}\n    model.units: {low: 4, high: 16}\n"))
    momentum, units = study.search.space["optimizer.momentum"], study.search.space["model.units"]
    assert not momentum.integer and (momentum.low, momentum.high) == (0.0, 1.0)
    assert units.integer


# --- 4. YAML a person misreads ---------------------------------------------------------------------

@pytest.mark.parametrize("line, needle", [
    ("epochs: 3", "key 'epochs' is written twice"),
    ("description: no", "read by YAML 1.1 as the boolean"),
    ("seeds: [010]", "leading zero"),
    ("description: 1:30", "base-60"),
    ("description: 2026-12-04", "as a date"),
    ("optimizer: {name: sgd, learning_rate: .nan}", "not a finite number"),
    ("optimizer: {name: sgd, learning_rate: .inf}", "not a finite number"),
])
def test_yaml_that_pyyaml_reads_otherwise_than_meant_is_refused_with_its_line(write_config, line, needle):
    message = refused(write_config, BASE + line + "\n", needle)
    assert f"line {BASE.count(chr(10)) + 1}" in message


def test_an_exponent_without_a_dot_is_the_number_it_looks_like(write_config):
    study = load_study(write_config(BASE + "optimizer: {name: adam, learning_rate: 1e-3}\n"))
    assert study.variants[0].config.optimizer.params["learning_rate"] == 0.001


def test_the_strict_reader_s_own_examples_hold():
    import doctest

    from nnlab import yaml_strict
    from nnlab.kinds.train import schema

    assert doctest.testmod(yaml_strict).failed == 0 and doctest.testmod(schema).failed == 0


def test_a_non_utf8_file_and_a_folder_are_named_as_what_they_are(tmp_path):
    bad = tmp_path / "latin1.yaml"
    bad.write_bytes(BASE.replace("tiny", "caf\xe9").encode("latin-1"))
    with pytest.raises(ConfigError, match="line 1: not UTF-8 text"):
        load_study(bad)
    with pytest.raises(ConfigError, match="is a folder, not a config file"):
        load_study(tmp_path)


# --- 5. two configs, one name --------------------------------------------------------------------------

def test_two_configs_with_one_name_in_one_command_are_refused(write_config, tmp_path):
    a, b = write_config(BASE, "a.yaml"), write_config(BASE + "seeds: [1]\n", "b.yaml")
    result = CliRunner().invoke(main, ["run", str(a), str(b), "--results", str(tmp_path / "r")])
    assert result.exit_code == 1 and "'tiny' is also the name of" in result.output
    assert not (tmp_path / "r").exists()


def test_a_second_config_with_the_name_of_a_study_already_in_the_results_is_refused(write_config, tmp_path):
    from nnlab import results

    a, b = write_config(BASE, "a.yaml"), write_config(BASE.replace("units: 8", "units: 16"), "b.yaml")
    root = tmp_path / "r"
    root.mkdir()
    results.record_study_source(root, "tiny", a)
    with pytest.raises(Exception, match=r"'tiny' is also the name of .*a\.yaml"):
        results.check_study_source(root, "tiny", b)
    results.check_study_source(root, "tiny", a)  # the same file: its own folder
    c = write_config(BASE, "copy.yaml")
    c.write_bytes(a.read_bytes())
    results.check_study_source(root, "tiny", c)  # a copy of the same config, with the results copied beside it
    a.write_text(BASE.replace("name: tiny", "name: renamed"))
    results.check_study_source(root, "tiny", b)  # the other file gave up the name


# --- 6. a copied config with a trimmed grid ------------------------------------------------------------

def test_references_to_variants_a_study_no_longer_has_are_left_out_with_one_note_naming_them_all(tmp_path):
    shutil.copy(CONFIGS / "reuters_units.yaml", tmp_path / "mine.yaml")
    path = tmp_path / "mine.yaml"
    path.write_text(path.read_text().replace("model.units: [32, 64, 128]", "model.units: [16, 64]"))
    study = load_study(path)
    assert [v.id for v in study.variants] == ["units-16", "units-64"]
    assert {r.variant for r in study.variants[0].config.references} == {"units-64"}
    (note,) = study.notes
    assert "units-128, units-32" in note and "left out 2 figures" in note
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 0 and note in result.output


# --- every refusal: fast, exit 1, no traceback -----------------------------------------------------

def test_every_refused_case_answers_before_anything_loads_with_exit_1_and_no_traceback(write_config, tmp_path, monkeypatch):
    """(How fast is measured, not asserted: a timed test fails on a loaded machine. Refused before the data
    loads, proven by a data loader that fails the test if it is called.)"""
    from nnlab.kinds.train import run as train_run

    monkeypatch.setattr(train_run, "load_dataset", lambda *a, **k: pytest.fail("the data was loaded for a refused config"))
    cases = [BASE + "selection: {metric: val_accuracy, mode: min}\n",
             BASE.replace("{hidden_layers: 1, units: 8}", "{hidden_layers: 0, batch_norm: true}"),
             BASE + "seeds: [-1]\n", BASE + "epochs: 3\n", BASE + "optimizer: {name: sgd, momentum: 2}\n"]
    for i, text in enumerate(cases):
        path = write_config(text, f"case{i}.yaml")
        for command in (["validate", str(path)], ["run", str(path), "--results", str(tmp_path / "r")]):
            result = CliRunner().invoke(main, command)
            assert result.exit_code == 1 and "Traceback" not in result.output and str(path) in result.output, result.output
    assert not (tmp_path / "r").exists()


def test_an_output_activation_written_out_at_its_default_is_the_same_run_as_one_left_out(write_config):
    refused(write_config, BASE + "variants:\n  - name: plain\n  - name: spelled\n    model.output_activation: softmax\n",
            "'plain' and 'spelled' train the same runs")
