"""A study config is validated whole, before training, and expands to named variants."""

import subprocess
import sys
import time

import pytest
from click.testing import CliRunner

from conftest import BASE, CONFIGS, ROOT, shipped_configs
from nnlab.cli import main
from nnlab.config import load_study
from nnlab.errors import ConfigError
from nnlab.kinds.train.schema import parameter_count
from nnlab.optimizer_specs import OPTIMIZER_PARAMS
from nnlab.spec_tables import ACTIVATIONS
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
    for path in shipped_configs():
        assert load_study(path).variants, path
    suites = sorted((CONFIGS.parent / "experiments").glob("*.yaml"))
    assert CONFIGS.parent / "experiments" / "course.yaml" in suites and len(suites) >= 4, suites
    for path in suites:
        suite, studies = load_suite(path)
        assert len(studies) == len(suite.studies) and all(s.seeds == suite.seed_list for s in studies)


def test_the_fingerprint_changes_with_what_changes_the_numbers(write_config):
    a, b = load_study(write_config(BASE + "grid: {model.units: [4, 8]}\n")).variants
    assert a.config.fingerprint() != b.config.fingerprint()
    renamed = load_study(write_config(BASE.replace("name: tiny", "name: other"), "other.yaml")).variants[0]
    assert renamed.config.fingerprint() == load_study(write_config(BASE)).variants[0].config.fingerprint()


@pytest.mark.slow  # imports Keras: TensorFlow's import alone takes seconds
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


# --- sizes a slip can blow up, refused before any work that grows with them --------------------------

def numbers(count: int) -> str:
    return "[" + ", ".join(str(i) for i in range(1, count + 1)) + "]"


def refused_quickly(path, **kwargs) -> str:
    start = time.perf_counter()
    with pytest.raises(ConfigError) as err:
        load_study(path, **kwargs)
    # Refused before expanding takes ~1 s at most on 2 cores; expanding first took over a minute (a
    # million-run grid, an alias bomb). 10 s tells the two apart even on a machine busy with training.
    assert time.perf_counter() - start < 10, "refused only after expanding what it refuses"
    return str(err.value)


def test_a_million_variant_grid_is_refused_at_once_with_its_count_and_the_way_out(write_config):
    path = write_config(BASE + f"seeds: [0, 1, 2]\ngrid:\n  model.units: {numbers(100)}\n  epochs: {numbers(100)}\n"
                               f"  batch_size: {numbers(100)}\n")
    assert refused_quickly(path) == (
        f"{path}: grid: 100 x 100 x 100 values = 1,000,000 variants x 3 seeds = 3,000,000 runs, above the limit of "
        f"10,000 runs; raise it with --max-runs, or explore a large space with search: and a trial budget "
        f"(docs/search.md)")
    assert (ROOT / "docs" / "search.md").read_text().startswith("# Hyperparameter search\n"), "the message points at this page"


def test_a_grid_of_3000_by_3001_values_is_refused_at_once(write_config):
    message = refused_quickly(write_config(BASE + f"grid:\n  model.units: {numbers(3000)}\n  epochs: {numbers(3001)}\n"))
    assert "grid: 3,000 x 3,001 values = 9,003,000 variants x 1 seed = 9,003,000 runs" in message


def test_max_runs_raises_the_limit_from_the_command_line(write_config):
    path = write_config(BASE + f"grid:\n  model.units: {numbers(12)}\n  epochs: {numbers(10)}\n")  # 120 runs
    refused = CliRunner().invoke(main, ["validate", str(path), "--max-runs", "100"])
    assert refused.exit_code == 1 and "= 120 runs, above the limit of 100 runs" in refused.output
    assert CliRunner().invoke(main, ["validate", str(path)]).output == f"{path}: ok (120 variants x 1 seeds)\n"
    assert CliRunner().invoke(main, ["list", str(path), "--max-runs", "100"]).exit_code == 1
    for command in ("run", "suite", "list", "validate"):
        assert "--max-runs" in CliRunner().invoke(main, [command, "--help"]).output, command


def test_the_count_uses_the_seeds_that_will_run(write_config, tmp_path):
    path = write_config(BASE + f"grid: {{model.units: {numbers(40)}}}\n")  # 40 runs with the config's one seed
    assert len(load_study(path, max_runs=100).variants) == 40
    assert "40 variants x 3 seeds = 120 runs" in refused_quickly(path, overrides={"seeds": [0, 1, 2]}, max_runs=100)
    manifest = tmp_path / "suite.yaml"
    manifest.write_text(f"name: s\nseeds: 3\nstudies: [{path.name}]\n")
    with pytest.raises(ConfigError, match="40 variants x 3 seeds = 120 runs, above the limit of 100 runs"):
        load_suite(manifest, max_runs=100)


def test_a_named_variant_with_its_own_seeds_is_counted_with_them(write_config):
    path = write_config(BASE + f"variants:\n  - name: a\n  - name: b\n    seeds: [0, 1, 2]\n    epochs: 3\n"
                               f"grid: {{model.units: {numbers(30)}}}\n")
    assert "variants x grid: 2 named x 30 values = 60 variants with their seeds = 120 runs" in refused_quickly(path, max_runs=100)
    assert load_study(path).run_count == 30 + 90  # the progress bar expects the same runs


def test_a_search_is_counted_by_its_trial_budget_and_its_tested_runs(write_config):
    search = BASE + "seeds: [0, 1]\nsearch: {strategy: random, trials: 97, space: {model.units: [4, 8]}}\n"
    assert "search.trials: 97 trials + 2 x 2 seeds (the chosen settings and the baseline, tested) = 101 runs, above " \
           "the limit of 100 runs" in refused_quickly(write_config(search), max_runs=100)
    assert load_study(write_config(search), max_runs=101).search.budget == 97
    grid = BASE + f"search: {{strategy: grid, space: {{model.units: {{low: 1, high: 200}}, epochs: {numbers(60)}}}}}\n"
    assert "search.space: a grid of 200 x 60 values = 12,000 trials + 2 x 1 seed" in refused_quickly(write_config(grid))


def test_a_grid_search_over_a_huge_range_is_refused_without_listing_it(write_config):
    search = BASE + "search: {strategy: grid, trials: 20, space: {model.units: {low: 1, high: 1000000000000}}}\n"
    assert "the grid strategy tries each of the range's 1,000,000,000,000 values, above the limit of 10,000 per key" \
           in refused_quickly(write_config(search))


XOR = "name: x\nkind: xor\n"


@pytest.mark.parametrize("config, expected", [
    (BASE.replace("hidden_layers: 1", "hidden_layers: 1000"), "model.hidden_layers: Input should be less than or equal to 64 (got 1000)"),
    (BASE.replace("units: 8", "units: 640000"), "model: units may be at most 16,384 per layer, got 640000"),
    (BASE.replace("units: 8", "units: [8, 640000]").replace("hidden_layers: 1", "hidden_layers: 2"),
     "model: units may be at most 16,384 per layer, got [8, 640000]"),
    (BASE.replace("epochs: 2", "epochs: 2000000"), "epochs: Input should be less than or equal to 10000 (got 2000000)"),
    (BASE.replace("batch_size: 64", "batch_size: 64000000"), "batch_size: Input should be less than or equal to 1000000"),
    (BASE.replace("num_words: 1000", "num_words: 10000000"), "dataset.num_words: Input should be less than or equal to 1000000"),
    (BASE + f"seeds: {numbers(1001)}\n", "seeds: List should have at most 1000 items after validation, not 1001"),
    (XOR + "repeats: 100000\n", "repeats: Input should be less than or equal to 10000 (got 100000)"),
    (XOR + "steps: 100000000\n", "steps: Input should be less than or equal to 1000000 (got 100000000)"),
    (XOR + "model: {units: 5000}\n", "model.units: Input should be less than or equal to 1024 (got 5000)"),
    ("name: x\nkind: lr_decay_demo\nepochs: 2000000\n", "epochs: Input should be less than or equal to 10000"),
    ("name: x\nkind: activation_gallery\nactivations: [relu]\npoints: 100000000\n", "points: Input should be less than or equal to 1000000"),
])
def test_a_size_past_its_bound_is_refused_naming_the_bound(write_config, config, expected):
    message = refused_quickly(write_config(config))
    assert expected in message and len(message) < 400, message  # a long value is shortened, not printed whole


def test_the_bounds_themselves_are_allowed(write_config):
    load_study(write_config(BASE.replace("hidden_layers: 1, units: 8", "hidden_layers: 64, units: 8").replace("epochs: 2", "epochs: 10000")))
    load_study(write_config(BASE.replace("units: 8", "units: 16384") + f"seeds: [{', '.join(map(str, range(1000)))}]\n"))
    load_study(write_config(XOR + "repeats: 10000\nsteps: 1000000\nmodel: {units: 1024}\n"))


def test_the_parameter_count_is_keras_count_of_the_books_nets():
    assert parameter_count(784, [512], 10) == 407_050  # the book's MNIST net, as Keras' summary() counts it
    assert parameter_count(10_000, [64, 64], 46) == 647_214  # the book's Reuters net


def test_a_model_too_large_to_train_is_refused_with_its_parameter_count(write_config):
    path = write_config(BASE.replace("hidden_layers: 1, units: 8", "hidden_layers: 2, units: 16384"))
    assert refused_quickly(path) == (
        f"{path}: model: 2 hidden layers of 16,384 units on 1,000 inputs (dataset.num_words) and 46 outputs make "
        f"285,605,934 parameters (1.1 GB of float32 weights), above the limit of 100,000,000 (0.4 GB); "
        f"lower model.units or model.hidden_layers or dataset.num_words")
    imdb = BASE.replace("reuters, num_words: 1000", "imdb, num_words: 1000000").replace("categorical_", "binary_")
    assert "1 hidden layer of 128 units on 1,000,000 inputs (dataset.num_words) and 1 output make 128,000,257 parameters" \
           in refused_quickly(write_config(imdb.replace("units: 8", "units: 128")))
    mnist = BASE.replace("name: reuters, num_words: 1000, sample: true", "name: mnist")
    assert "hidden layers of 100, 16,384, 16,384 units on 784 inputs and 10 outputs make 270," in refused_quickly(
        write_config(mnist.replace("hidden_layers: 1, units: 8", "hidden_layers: 3, units: [100, 16384, 16384]")))
    load_study(write_config(mnist.replace("hidden_layers: 1, units: 8", "hidden_layers: 3, units: 4096")))  # 37 million


def test_a_config_file_over_a_mebibyte_is_refused_unread(write_config):
    path = write_config("name: x\ndescription: '" + "a" * 1024 * 1024 + "'\n")
    assert refused_quickly(path) == (f"{path}: {path.stat().st_size:,} bytes, above the limit of 1,048,576 bytes (1 MiB) for a config "
                                     f"file; a study's values fit in a few lines (grid:, variants:, search:)")


BILLION_LAUGHS = "name: x\na: &a [1, 1, 1, 1, 1, 1, 1, 1, 1]\n" + "".join(
    f"{n}: &{n} [{', '.join([f'*{p}'] * 9)}]\n" for p, n in zip("abcdefgh", "bcdefghi")) + "grid: {model.units: *i}\n"


def test_a_yaml_alias_bomb_is_refused_before_anything_walks_it(write_config):
    assert "values once its YAML aliases (*name) are expanded, above the limit of 1,000,000" in refused_quickly(
        write_config(BILLION_LAUGHS))
    assert "an alias (*name) stands inside the node it names" in refused_quickly(write_config("name: x\nd: &d [1, *d]\n"))


def test_aliases_that_share_a_setting_still_work(write_config):
    schedule = "{name: exponential_decay, decay_steps: 5, decay_rate: 0.5}"
    study = load_study(write_config(BASE + f"variants:\n  - {{name: a, optimizer.schedule: &s {schedule}}}\n"
                                           f"  - {{name: b, optimizer.name: sgd, optimizer.schedule: *s}}\n"))
    assert study.variants[0].config.optimizer.schedule == study.variants[1].config.optimizer.schedule


def test_deeply_nested_yaml_is_refused_not_a_crash(write_config):
    assert "nested more than 16 levels deep" in refused_quickly(write_config(BASE + "grid: {model.units: " + "[" * 40 + "]" * 40 + "}\n"))
    assert "malformed YAML: nested deeper than a config can be" in refused_quickly(write_config("d: " + "[" * 3000 + "]" * 3000))


def test_suite_seeds_are_bounded_before_they_are_spelled_out(tmp_path):
    manifest = tmp_path / "suite.yaml"
    manifest.write_text("name: s\nseeds: 100000000\nstudies: [x.yaml]\n")
    with pytest.raises(ConfigError, match="seeds: 100,000,000 seeds, above the limit of 1,000"):
        load_suite(manifest)
    result = CliRunner().invoke(main, ["run", str(CONFIGS / "quickstart.yaml"), "--seeds", "100000"])
    assert result.exit_code == 2 and "1<=x<=1000" in result.output


# --- variants that are the same run, and a search scored by another rule than its selection -------

def test_two_variants_that_train_the_same_runs_are_refused_naming_both(write_config):
    config = BASE + ("baseline: sgd\nvariants:\n  - {name: sgd, optimizer: {name: sgd}}\n"
                     "  - {name: sgd-at-0.01, optimizer: {name: sgd, learning_rate: 0.01}}\n")
    with pytest.raises(ConfigError) as refused:
        load_study(write_config(config))
    message = str(refused.value)
    assert "study.yaml: variants 'sgd' and 'sgd-at-0.01' train the same runs" in message
    assert "optimizer.learning_rate (not set vs 0.01)" in message


def test_a_layer_list_of_one_width_is_the_same_run_as_that_width(write_config):
    config = BASE + "variants:\n  - {name: plain, model.units: 8}\n  - {name: listed, model.units: [8]}\n"
    with pytest.raises(ConfigError, match="variants 'plain' and 'listed' train the same runs"):
        load_study(write_config(config))


def test_variants_that_differ_in_a_non_default_value_or_in_seeds_are_kept(write_config):
    config = BASE + ("variants:\n  - {name: sgd, optimizer: {name: sgd}}\n"
                     "  - {name: sgd-0.001, optimizer: {name: sgd, learning_rate: 0.001}}\n"
                     "  - {name: adam-0.01, optimizer: {name: adam, learning_rate: 0.01}}\n"
                     "  - {name: sgd-seed-5, optimizer: {name: sgd}, seeds: [5]}\n")
    assert [v.id for v in load_study(write_config(config)).variants] == ["sgd", "sgd-0.001", "adam-0.01", "sgd-seed-5"]


@pytest.mark.slow  # imports Keras: TensorFlow's import alone takes seconds
def test_the_optimizer_defaults_table_is_keras_own():
    import inspect

    import keras

    from nnlab.optimizer_specs import OPTIMIZER_DEFAULTS

    for name, defaults in OPTIMIZER_DEFAULTS.items():
        signature = inspect.signature(type(keras.optimizers.get(name)).__init__).parameters
        assert {key: signature[key].default for key in defaults} == pytest.approx(defaults), name


def test_a_search_metric_that_disagrees_with_the_selection_rule_is_refused(write_config):
    search = BASE + ("selection: {metric: val_loss, mode: min}\n"
                     "search: {strategy: random, trials: 2, metric: val_accuracy, space: {model.units: [4, 8]}}\n")
    with pytest.raises(ConfigError) as refused:
        load_study(write_config(search))
    assert ("study.yaml: search.metric: 'val_accuracy' (maximized) disagrees with selection: {metric: val_loss, "
            "mode: min}") in str(refused.value)


def test_a_search_without_a_metric_scores_trials_by_the_selection_rule(write_config):
    search = BASE + ("selection: {metric: val_accuracy, mode: max}\n"
                     "search: {strategy: random, trials: 2, space: {model.units: [4, 8]}}\n")
    spec = load_study(write_config(search)).search
    assert (spec.metric, spec.direction) == ("val_accuracy", "maximize")
