"""The course's worked examples with the course's own numbers: backpropagation to 9 digits, softmax,
cross-entropy and relative entropy, convolution shapes and parameter counts, pooling; the dying-ReLU
sweep and the course's own XOR code; each variant's parameters and multiply-adds in the report."""

import json
import math

import numpy as np
import pytest
from click.testing import CliRunner

from conftest import CONFIGS
from nnlab.cli import main
from nnlab.config import load_study
from nnlab.errors import ConfigError
from nnlab.kinds.backprop_example import run as backprop
from nnlab.kinds.backprop_example.report import COURSE, agrees
from nnlab.kinds.backprop_example.schema import Config as BackpropConfig
from nnlab.kinds.conv_shapes.run import output_width, pooled
from nnlab.kinds.functions_gallery.run import cross_entropy_formula, kl_formula, softmax_formula
from nnlab.kinds.train.report import size_of

COURSE_EXAMPLE = BackpropConfig(name="b", kind="backprop_example")


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_the_backprop_forward_pass_gives_the_course_figures_to_the_digits_it_prints():
    forward = backprop.forward(COURSE_EXAMPLE, COURSE_EXAMPLE.weights)
    assert {k: f"{forward[k]:.9f}" for k in ("out_h1", "out_h2", "net_o1", "out_o2", "E_o1", "E_o2", "E_total")} == {
        "out_h1": "0.593269992", "out_h2": "0.596884378", "net_o1": "1.105905967", "out_o2": "0.772928465",
        "E_o1": "0.274811083", "E_o2": "0.023560026", "E_total": "0.298371109"}
    assert forward["net_h1"] == pytest.approx(0.3775, abs=1e-12)
    # The course prints out_o1 = 0.75136079, which its own net_o1 does not give: σ(1.105905967) = 0.751365070.
    assert f"{forward['out_o1']:.9f}" == "0.751365070" and not agrees(forward["out_o1"], COURSE["out_o1"])


def test_the_chain_rule_written_out_matches_finite_differences_and_the_course_dE_dw5():
    w = COURSE_EXAMPLE.weights
    chain = backprop.chain_rule(COURSE_EXAMPLE, backprop.forward(COURSE_EXAMPLE, w), w)
    assert f"{chain[4]:.9f}" == "0.082167041"  # ∂E_total/∂w5, the course's next figure
    np.testing.assert_allclose(chain, backprop.finite_differences(COURSE_EXAMPLE, w), atol=1e-9)


def test_softmax_cross_entropy_and_relative_entropy_by_their_formulas():
    assert [round(v, 2) for v in softmax_formula([1, 2, 5, 3])] == [0.02, 0.04, 0.83, 0.11]  # the course: ≈ 0.01, ...
    assert all(abs(v - p) <= 0.01 for v, p in zip(softmax_formula([1, 2, 5, 3]), (0.01, 0.04, 0.83, 0.11)))
    assert softmax_formula([3, 1, -3]) == pytest.approx([0.8789, 0.1189, 0.0022], abs=1e-4)
    p, q = [0.1, 0.2, 0.7], [0.05, 0.10, 0.85]
    assert kl_formula(p, q) == pytest.approx(cross_entropy_formula(p, q) - cross_entropy_formula(p, p))
    assert cross_entropy_formula([0, 0, 1], q) == pytest.approx(-math.log(0.85))


def test_convolution_output_sizes_and_pooling_as_the_course_gives_them():
    assert output_width(5, 3, 2, 0) == 2
    assert output_width(5, 3, 2, 1) == 3  # the course's 7x7x3 volume: a 5x5x3 input drawn with its padding of 1
    assert (3 * 3 * 3 + 1) * 2 == 56
    matrix = np.array([[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]], dtype=float)
    assert pooled(matrix, 2, np.max).tolist() == [[6, 8], [3, 4]]
    assert pooled(matrix, 2, np.mean).tolist() == [[3.25, 5.25], [2, 2]]


def test_each_training_variant_is_sized_as_the_course_counts_complexity():
    from nnlab.config import config_of

    common = {"name": "sized", "validation": {"size": 1000}, "epochs": 20, "batch_size": 512}
    imdb = config_of({**common, "dataset": {"name": "imdb", "num_words": 10000}, "loss": "binary_crossentropy",
                      "model": {"hidden_layers": 2, "units": 16, "activation": "relu"}})
    assert size_of(imdb) == (160_305, 10000 * 16 + 16 * 16 + 16)  # the book's IMDB net: 160,305 parameters
    mnist = config_of({**common, "dataset": {"name": "mnist"}, "loss": "categorical_crossentropy",
                       "model": {"hidden_layers": 1, "units": 512, "activation": "relu"}})
    assert size_of(mnist) == (784 * 512 + 512 + 512 * 10 + 10, 784 * 512 + 512 * 10)
    batch_normed = config_of({**common, "dataset": {"name": "mnist"}, "loss": "categorical_crossentropy",
                              "model": {"hidden_layers": 1, "units": 512, "batch_norm": True, "activation": "prelu"}})
    assert size_of(batch_normed)[0] == size_of(mnist)[0] + 2 * 512 + 512  # a scale and a shift per unit, a slope per unit


@pytest.mark.parametrize("text, message", [
    ("kind: backprop_example\nweights: [0.1, 0.2]\n", "at least 8"),
    ("kind: conv_shapes\nconvolutions: [{width: 2, kernel: 5}]\n", "does not fit"),
    ("kind: conv_shapes\npooling_input: [[1, 2], [3]]\n", "every row as long"),
    ("kind: conv_shapes\nconvolutions: [{width: 4000, channels: 8, kernel: 3}]\n", "training the layer reads 64 inputs"),
    ("kind: functions_gallery\ndistributions: [{p: [0.5, 0.5], q: [1.0, 0.0]}]\n", "infinite"),
    ("kind: functions_gallery\ndistributions: [{p: [0.5, 0.6], q: [0.5, 0.5]}]\n", "summing to 1"),
    ("kind: xor\nmodel: {kernel_initializer: torch}\n", "torch_default"),
])
def test_the_worked_examples_are_checked_before_they_run(write_config, text, message):
    with pytest.raises(ConfigError, match=message):
        load_study(write_config("name: w\n" + text))


@pytest.mark.slow
def test_the_worked_example_studies_run_agree_with_keras_and_are_reported(tmp_path):
    configs = [CONFIGS / f"{name}.yaml" for name in ("backprop_example", "functions_gallery", "conv_shapes", "lr_decay_demo")]
    result = invoke("run", *configs, "--results", tmp_path)
    assert result.exit_code == 0, result.output
    bp = json.loads((tmp_path / "backprop_example" / "default" / "seed-0" / "metrics.json").read_text())
    assert bp["largest_disagreement"] < 1e-8  # chain rule vs TensorFlow's autodiff vs finite differences
    assert bp["error_after_step"] < bp["forward"]["E_total"]
    conv = json.loads((tmp_path / "conv_shapes" / "default" / "seed-0" / "metrics.json").read_text())
    assert conv["all_agree"] and [c["keras_shape"] for c in conv["convolutions"]] == [[2, 2, 1], [3, 3, 2], [4, 4, 2]]
    assert [c["keras_parameters"] for c in conv["convolutions"]] == [10, 56, 56]
    assert all(c["depth_sum_max_difference"] < 1e-5 for c in conv["convolutions"])  # the course's depth-D sum is Conv2D
    for c in conv["convolutions"]:  # each layer trained: it learns the target layer's weights from its outputs
        assert c["trained"]["loss_after"] < 1e-6 * c["trained"]["loss_before"] and c["trained"]["weights_max_difference"] < 1e-4
    gallery = json.loads((tmp_path / "functions_gallery" / "default" / "seed-0" / "metrics.json").read_text())
    assert gallery["softmax"][1]["keras"] == pytest.approx(softmax_formula([1, 2, 5, 3]))
    slow = gallery["slowdown"]  # from a saturated wrong start the quadratic cost learns far slower
    assert abs(slow["quadratic"]["dC_dw"][0]) < abs(slow["cross_entropy"]["dC_dw"][0]) / 10
    assert slow["cross_entropy"]["output"][-1] < slow["quadratic"]["output"][-1]
    table = (tmp_path / "lr_decay_demo" / "summary.csv").read_text().splitlines()
    assert table[0] == "variant,seed,epoch,w,loss,lr" and len(table) == 1 + 2 * 40  # the whole table, both variants
    decay = json.loads((tmp_path / "lr_decay_demo" / "decay" / "seed-0" / "metrics.json").read_text())["rows"]
    assert all(float(np.float32(row["w"])) == row["w"] for row in decay)  # float32, as the course's TensorFlow code (issue 32)
    assert f"{decay[0]['w']:f}" == "2.600000"  # the course's first printed row
    assert invoke("report", "--results", tmp_path).exit_code == 0
    front = (tmp_path / "report.md").read_text().split("## Contents")[1].split("\n## ")[1]  # the headline's section
    line = next(line for line in front.splitlines() if line.startswith("Not in this table either: "))
    assert all(name in line.split(": studies of other kinds")[0] for name in ("backprop_example", "functions_gallery",
                                                                             "conv_shapes", "lr_decay_demo"))
    report = (tmp_path / "report.md").read_text()
    assert "E_total = 0.298371109 and dE/dw5 = 0.082167041" in report and "printed 0.75136079" in report
    assert "The course's own next line, E_o1, uses out_o1 = 0.75136507, which is the computed value" in report  # issue 32
    assert "5×5×3 → 3×3×2 with 56 parameters" in report and invoke("verify", tmp_path).exit_code == 0
    assert "all 6 agree to the printed digits" in report  # the course's framework example of a decaying rate
    assert "against the built Keras layer: the largest difference over every output is" in report


@pytest.mark.slow
def test_a_larger_rate_kills_more_relu_units_and_the_course_code_initialises_as_pytorch(tmp_path):
    from nnlab.kinds.xor.run import initial_parameters
    from nnlab.kinds.xor.schema import Config as XorConfig

    w1, b1, w2, b2 = initial_parameters(XorConfig(name="x", kind="xor", repeats=200, model={
        "units": 4, "kernel_initializer": "torch_default", "bias_initializer": "torch_default"}), seed=0)
    assert np.abs(w1).max() <= 1 / math.sqrt(2) and np.abs(b1).max() <= 1 / math.sqrt(2) and np.abs(b1).max() > 0.6
    assert np.abs(w2).max() <= 0.5 and np.abs(b2).max() <= 0.5  # fan_in 4: ±1/2
    result = invoke("run", CONFIGS / "xor_dying_relu.yaml", "--results", tmp_path)
    assert result.exit_code == 0, result.output
    runs = tmp_path / "xor_dying_relu"
    dead = {lr: json.loads((runs / f"learning_rate-{lr}_optimizer-sgd" / "seed-0" / "metrics.json").read_text())["dead_unit_rate"]
            for lr in ("0.01", "1.0")}
    assert dead["1.0"] > dead["0.01"]
    assert invoke("report", "--results", tmp_path).exit_code == 0
    assert "Runs with a dead hidden unit after training" in (tmp_path / "report.md").read_text()


@pytest.mark.parametrize("model, message", [
    ("kernel_init_range: [1.0, 0.0]", "from low to high"),
    ("kernel_init_range: [0.0, 1.0], kernel_initializer: he_normal", "replaces kernel_initializer"),
    ("kernel_init_range: [0.0]", "at least 2"),
])
def test_an_initialisation_range_is_checked_before_training(write_config, model, message):
    from conftest import BASE

    with pytest.raises(ConfigError, match=message):
        load_study(write_config(BASE.replace("units: 8}", f"units: 8, {model}}}")))


@pytest.mark.slow
def test_gradient_norms_are_recorded_per_layer_and_show_sigmoid_vanishing(tmp_path, write_config):
    from conftest import BASE

    config = write_config(BASE.replace("hidden_layers: 1, units: 8}", "hidden_layers: 5, units: 8, activation: sigmoid}")
                          + "record: {gradient_norms: true}\nretrain: false\nvariants:\n  - name: sigmoid\n"
                          "  - {name: relu, model.activation: relu}\n")
    assert invoke("run", config, "--results", tmp_path).exit_code == 0
    history = json.loads((tmp_path / "tiny" / "sigmoid" / "seed-0" / "search_history.json").read_text())
    norms = [history[f"gradient_norm_{k}"][0] for k in range(1, 7)]  # 5 hidden layers and the output
    assert "gradient_norm_7" not in history and norms[0] < norms[-1] / 10  # the first layer's gradient vanished
    assert invoke("report", "--results", tmp_path).exit_code == 0
    assert "weight-gradient norm" in (tmp_path / "report.md").read_text()
    assert (tmp_path / "report_assets" / "tiny-gradient-norms.png").is_file() and invoke("verify", tmp_path).exit_code == 0


@pytest.mark.slow
def test_a_run_with_an_initialisation_range_checks_out_and_is_not_redone(tmp_path, write_config):
    from conftest import BASE

    config = write_config(BASE.replace("units: 8}", "units: 8, kernel_init_range: [0.0, 1.0]}"))
    assert invoke("run", config, "--results", tmp_path).exit_code == 0
    verified = invoke("verify", tmp_path)
    assert verified.exit_code == 0, verified.output  # its recorded config, read back, is a valid config
    assert "already complete" in invoke("run", config, "--results", tmp_path).output


def test_the_depth_sum_is_the_formula_term_by_term():
    """One output by hand: a 2 x 2 x 2 input, one 2 x 2 x 2 filter of ones and a bias of 1 sum every value plus 1."""
    from nnlab.kinds.conv_shapes.run import depth_sum

    x = np.arange(8.0).reshape(2, 2, 2)
    assert depth_sum(x, np.ones((2, 2, 2, 1)), np.array([1.0]), stride=1, padding=0).tolist() == [[[29.0]]]
    assert depth_sum(x, np.ones((2, 2, 2, 1)), np.array([0.0]), stride=1, padding=1).shape == (3, 3, 1)
