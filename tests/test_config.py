"""A study config is validated whole, before training, and expands to named variants."""

import subprocess
import sys

import pytest

from conftest import BASE, CONFIGS
from nnlab.config import load_study
from nnlab.errors import ConfigError
from nnlab.specs import ACTIVATIONS, OPTIMIZER_PARAMS
from nnlab.suites import load_suite


def test_grid_expands_to_the_cartesian_product_with_readable_ids(write_config):
    study = load_study(write_config(BASE + "grid:\n  model.units: [8, 16]\n  model.activation: [relu, tanh]\n"))
    assert [v.id for v in study.variants] == [
        "units-8_activation-relu", "units-8_activation-tanh", "units-16_activation-relu", "units-16_activation-tanh"]
    assert study.variants[3].config.model.units == 16
    assert study.variants[3].config.model.activation == "tanh"


def test_named_variants_cover_non_cartesian_studies(write_config):
    study = load_study(write_config(BASE + "variants:\n  - name: base\n  - name: mse\n    loss: mse\n"))
    assert [(v.id, v.config.loss) for v in study.variants] == [("base", "categorical_crossentropy"), ("mse", "mse")]


def test_named_variants_combine_with_a_grid(write_config):
    study = load_study(write_config(BASE + "variants:\n  - name: a\n  - name: b\n    epochs: 3\ngrid:\n  model.units: [4, 8]\n"))
    assert [v.id for v in study.variants] == ["a_units-4", "a_units-8", "b_units-4", "b_units-8"]


def test_a_config_without_grid_is_one_default_variant(write_config):
    study = load_study(write_config(BASE))
    assert [v.id for v in study.variants] == ["default"]
    assert study.seeds == [0]


def test_baseline_defaults_to_the_first_variant_and_must_exist(write_config):
    assert load_study(write_config(BASE + "grid: {model.units: [4, 8]}\n")).baseline == "units-4"
    with pytest.raises(ConfigError, match="baseline: 'units-5' is not a variant"):
        load_study(write_config(BASE + "baseline: units-5\ngrid: {model.units: [4, 8]}\n"))


def test_overrides_apply_to_every_variant(write_config):
    study = load_study(write_config(BASE + "grid: {model.units: [4, 8]}\n"), {"epochs": 7, "dataset.subset": 30})
    assert {(v.config.epochs, v.config.dataset.subset) for v in study.variants} == {(7, 30)}


def test_a_typo_in_a_key_names_the_file_the_key_and_a_suggestion(write_config):
    path = write_config(BASE.replace("hidden_layers", "hiden_layers"))
    with pytest.raises(ConfigError) as err:
        load_study(path)
    message = str(err.value)
    assert str(path) in message
    assert "model.hiden_layers: unknown key (did you mean 'hidden_layers'?)" in message
    assert "allowed here: hidden_layers, units, activation, output_activation" in message


def test_a_typo_at_the_top_level_is_caught_too(write_config):
    with pytest.raises(ConfigError, match=r"epoch: unknown key \(did you mean 'epochs'\?\)"):
        load_study(write_config(BASE + "epoch: 3\n"))


def test_a_string_where_a_number_belongs_is_refused(write_config):
    with pytest.raises(ConfigError, match=r"batch_size: Input should be a valid integer.*'big'"):
        load_study(write_config(BASE.replace("batch_size: 64", "batch_size: big")))


def test_negative_units_are_refused(write_config):
    with pytest.raises(ConfigError, match="model: units must be positive integers, got -3"):
        load_study(write_config(BASE.replace("units: 8", "units: -3")))


def test_a_bad_value_in_the_grid_names_the_variant(write_config):
    with pytest.raises(ConfigError, match=r"variant 'units--3': model: units must be positive"):
        load_study(write_config(BASE + "grid: {model.units: [8, -3]}\n"))


@pytest.mark.parametrize("change, expected", [
    (("epochs: 2", "epochs: 0"), "epochs: Input should be greater than 0"),
    (("num_words: 1000", "num_words: 3"), "dataset.num_words: Input should be greater than 3"),
    (("size: 50", "size: 1.5"), "size as a fraction must lie in (0, 1)"),
    (("name: reuters,", "name: cifar,"), "dataset.name: Input should be 'imdb', 'reuters' or 'mnist'"),
    (("units: 8}", "units: 8, activation: rleu}"), "model.activation: Input should be 'relu'"),
    (("loss: categorical_crossentropy", "loss: hinge"), "loss: Input should be 'binary_crossentropy'"),
])
def test_impossible_values_are_refused_with_what_is_allowed(write_config, change, expected):
    with pytest.raises(ConfigError) as err:
        load_study(write_config(BASE.replace(*change)))
    assert expected in str(err.value)


def test_a_loss_that_cannot_fit_the_labels_is_refused(write_config):
    imdb = BASE.replace("name: reuters", "name: imdb")
    with pytest.raises(ConfigError, match="imdb labels are 0/1"):
        load_study(write_config(imdb))
    with pytest.raises(ConfigError, match="reuters has many classes"):
        load_study(write_config(BASE.replace("categorical_crossentropy", "binary_crossentropy")))


def test_an_output_activation_that_breaks_the_loss_is_refused(write_config):
    # The course's slip: Dense(1, activation='relu') as the output of a binary classifier.
    imdb = BASE.replace("name: reuters", "name: imdb").replace("categorical_crossentropy", "binary_crossentropy")
    with pytest.raises(ConfigError, match="output_activation relu does not give the probabilities"):
        load_study(write_config(imdb.replace("units: 8}", "units: 8, output_activation: relu}")))


def test_optimizer_parameters_are_checked_against_the_optimizer(write_config):
    good = load_study(write_config(BASE + "optimizer: {name: sgd, learning_rate: 0.1, momentum: 0.9, nesterov: true}\n"))
    assert good.variants[0].config.optimizer.params == {"learning_rate": 0.1, "momentum": 0.9, "nesterov": True}
    with pytest.raises(ConfigError, match="adam takes no parameter 'momentum'"):
        load_study(write_config(BASE + "optimizer: {name: adam, momentum: 0.9}\n"))
    with pytest.raises(ConfigError, match="optimizer.name: Input should be"):
        load_study(write_config(BASE + "optimizer: {name: adamm}\n"))


def test_malformed_yaml_reports_line_and_column(write_config):
    path = write_config(BASE + "grid: {model.units: [8, 16}\n")
    with pytest.raises(ConfigError, match=r"malformed YAML at line 8, column \d+"):
        load_study(path)


def test_empty_grid_and_missing_file_are_refused(write_config, tmp_path):
    with pytest.raises(ConfigError, match="grid.model.units: must be a non-empty list"):
        load_study(write_config(BASE + "grid: {model.units: []}\n"))
    with pytest.raises(ConfigError, match="no such config file"):
        load_study(tmp_path / "missing.yaml")


def test_every_shipped_config_and_suite_is_valid():
    for path in sorted(CONFIGS.glob("*.yaml")):
        assert load_study(path).variants, path
    for path in sorted((CONFIGS.parent / "experiments").glob("*.yaml")):
        suite, studies = load_suite(path)
        assert len(studies) == len(suite.studies) and all(s.seeds == suite.seed_list for s in studies)


def test_the_fingerprint_changes_with_what_changes_the_numbers(write_config):
    a, b = load_study(write_config(BASE + "grid: {model.units: [4, 8]}\n")).variants
    assert a.config.fingerprint() != b.config.fingerprint()
    renamed = load_study(write_config(BASE.replace("name: tiny", "name: other"), "other.yaml")).variants[0]
    assert renamed.config.fingerprint() == load_study(write_config(BASE)).variants[0].config.fingerprint()


def test_static_tables_agree_with_the_installed_keras():
    import inspect

    import keras

    for name in ACTIVATIONS:
        assert callable(keras.activations.get(name)), name
    for name, params in OPTIMIZER_PARAMS.items():
        accepted = inspect.signature(type(keras.optimizers.get(name)).__init__).parameters
        assert set(params) <= set(accepted), (name, set(params) - set(accepted))


@pytest.mark.slow
def test_validation_does_not_import_tensorflow():
    # That is what keeps `nnlab validate` and the refusal of a bad config fast.
    code = ("import sys; from nnlab.cli import main; from nnlab.config import load_study; "
            f"load_study(r'{CONFIGS / 'reuters_units.yaml'}'); assert 'tensorflow' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)
