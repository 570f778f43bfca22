"""`nnlab schema`: the JSON Schema an editor checks a config with as it is typed. It must take every
config nnlab ships and refuse what nnlab refuses for the shape of a key or value; the rules that tie
keys together stay `nnlab validate`'s, and a test below says which, so the division is a choice."""

import json

import jsonschema
import pytest
import yaml
from click.testing import CliRunner

from conftest import BASE, CONFIGS, shipped_configs
from nnlab.cli import main
from nnlab.config import load_study
from nnlab.editor_schema import study_schema, suite_schema
from nnlab.errors import ConfigError

SHIPPED_SCHEMAS = CONFIGS.parent / "src" / "nnlab" / "shipped" / "schema"
XOR = "name: x\nkind: xor\n"


def validator(schema):
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def problems(text: str) -> list[str]:
    return [error.message for error in validator(study_schema()).iter_errors(yaml.safe_load(text))]


def test_every_shipped_config_and_suite_passes_and_names_its_schema_on_its_first_line():
    study, suite = validator(study_schema()), validator(suite_schema())
    for path in shipped_configs():
        assert path.read_text().splitlines()[0] == "# yaml-language-server: $schema=../schema/study.schema.json", path
        assert not list(study.iter_errors(yaml.safe_load(path.read_text()))), path
    suites = sorted((CONFIGS.parent / "experiments").glob("*.yaml"))
    assert len(suites) >= 4
    for path in suites:
        assert path.read_text().splitlines()[0] == "# yaml-language-server: $schema=../schema/suite.schema.json", path
        assert not list(suite.iter_errors(yaml.safe_load(path.read_text()))), path


@pytest.mark.parametrize("config", [
    BASE + "epoch: 3\n",  # a typo at the top
    BASE.replace("hidden_layers: 1", "hiden_layers: 1"),  # and inside a block
    BASE.replace("batch_size: 64", "batch_size: big"),
    BASE.replace("epochs: 2", "epochs: 0"),
    BASE.replace("epochs: 2", "epochs: 2000000"),
    BASE.replace("num_words: 1000", "num_words: 3"),
    BASE.replace("name: reuters,", "name: cifar,"),
    BASE.replace("units: 8}", "units: 8, activation: rleu}"),
    BASE.replace("loss: categorical_crossentropy", "loss: hinge"),
    BASE.replace("hidden_layers: 1", "hidden_layers: 1000"),
    BASE + "optimizer: {name: adamm}\n",
    BASE + "seeds: [-1]\n",
    BASE + "grid: {model.units: []}\n",
    BASE + "variants: [{loss: mse}]\n",  # a variant without a name
    BASE + "variants: [{name: 'a b'}]\n",
    BASE + "grid: {model.units: [8, 16]}\nsearch: {strategy: random, trials: 4, space: {model.units: [8, 16]}}\n",
    BASE.replace("name: tiny", "name: tiny\nkind: xorr"),
    XOR + "repeats: 100000\n",
    XOR + "model: {units: 5000}\n",
    XOR + "dataset: {name: reuters}\n",  # a key of another kind
])
def test_what_nnlab_refuses_for_its_shape_the_schema_refuses_too(write_config, config):
    with pytest.raises(ConfigError):
        load_study(write_config(config))
    assert problems(config)


@pytest.mark.parametrize("config, rule", [
    (BASE.replace("categorical_crossentropy", "binary_crossentropy"), "reuters has many classes"),
    (BASE.replace("name: reuters, num_words: 1000, sample: true", "name: mnist, num_words: 1000"),
     "num_words applies only to"),
])
def test_rules_between_keys_are_left_to_validate_which_names_them(write_config, config, rule):
    assert not problems(config)
    with pytest.raises(ConfigError, match=rule):
        load_study(write_config(config))


def test_a_config_without_a_kind_is_checked_as_a_training_study():
    assert problems("name: x\nrepeats: 3\n")  # an xor key, and no dataset
    assert not problems(BASE)


def test_the_shipped_schema_files_are_what_nnlab_schema_prints():
    runner = CliRunner()
    for what in ("study", "suite"):
        result = runner.invoke(main, ["schema", what])
        assert result.exit_code == 0, result.output
        shipped = (SHIPPED_SCHEMAS / f"{what}.schema.json").read_text()
        assert json.loads(result.output) == json.loads(shipped), (
            f"{what}.schema.json is stale: nnlab schema {what} > src/nnlab/shipped/schema/{what}.schema.json")
