"""The course's small problems run as study kinds through the same CLI, layout and report."""

import json
import re

import numpy as np
import pytest
from click.testing import CliRunner

from conftest import BASE, CONFIGS
from nnlab import report
from nnlab.cli import main
from nnlab.config import load_study
from nnlab.kinds.activation_gallery import run as activation_gallery
from nnlab.kinds.activation_gallery.schema import Config as GalleryConfig
from nnlab.kinds.lr_decay_demo import run as lr_decay_demo
from nnlab.kinds.lr_decay_demo.schema import Config as DecayConfig
from nnlab.kinds.xor import run as xor
from nnlab.kinds.xor.run import fit_xor
from nnlab.kinds.xor.schema import Config as XorConfig

XOR = {"name": "x", "kind": "xor", "steps": 2000, "repeats": 6, "learning_rate": 0.05}


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def run_xor(config):
    return xor.run(config.name, "default", config, 0)


@pytest.mark.slow
def test_each_xor_repeat_trains_as_an_independent_net():
    many = fit_xor(XorConfig(**XOR), seed=3)
    alone = fit_xor(XorConfig(**{**XOR, "repeats": 1}), seed=3)
    np.testing.assert_allclose(many["w1"][0], alone["w1"][0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(many["out"][0], alone["out"][0], rtol=1e-5, atol=1e-6)
    assert not np.allclose(many["w1"][0], many["w1"][1])


@pytest.mark.slow  # 80,000 pairwise comparisons: seconds
def test_no_xor_repeat_starts_from_a_rescaled_copy_of_another_repeats_weights():
    # Every repeat of seeds 0 and 1, each kernel draw flattened; any two that agree up to a factor on
    # their common length are one random stream used twice (as repeat i's W2 and repeat i+2's W1 once were).
    draws = []
    for seed in (0, 1):
        w1, _, w2, _ = xor.initial_parameters(XorConfig(**{**XOR, "repeats": 100, "model": {"units": 8}}), seed)
        draws += [(seed, i, "W1", w1[i].ravel()) for i in range(100)] + [(seed, i, "W2", w2[i].ravel()) for i in range(100)]
    for a in range(len(draws)):
        for b in range(a + 1, len(draws)):
            x, y = draws[a][3], draws[b][3]
            k = min(len(x), len(y))
            ratio = x[:k] / y[:k]
            assert not np.allclose(ratio, ratio[0], rtol=1e-4), f"{draws[a][:3]} is a rescaled {draws[b][:3]}"


def test_xor_initialiser_seeds_are_distinct_and_do_not_depend_on_the_number_of_repeats():
    seeds = np.concatenate([xor.initial_seeds(seed, 100) for seed in range(3)])
    assert len(np.unique(seeds)) == seeds.size == 3 * 100 * 4
    np.testing.assert_array_equal(xor.initial_seeds(2, 5), xor.initial_seeds(2, 100)[:5])


@pytest.mark.slow
def test_a_wider_leaky_net_solves_xor_and_reports_rates():
    output = run_xor(XorConfig(**{**XOR, "model": {"units": 8, "activation": "leaky_relu"}, "steps": 4000}))
    metrics = output.metrics
    assert metrics["solved"] >= 4 and metrics["solved_rate"] == metrics["solved"] / metrics["repeats"]
    assert metrics["dead_unit_rate"] == metrics["runs_with_dead_unit"] / metrics["repeats"]
    example = metrics["example"]
    assert example["solved"] and np.all(np.abs(np.array(example["predictions"]) - [0, 1, 1, 0]) < 0.5)
    assert set(output.figures) == {"curves.png"}


@pytest.mark.slow
def test_zero_initialisation_keeps_hidden_units_identical_and_cannot_learn_xor():
    for activation in ("relu", "sigmoid"):
        metrics = run_xor(XorConfig(**{**XOR, "model": {"activation": activation, "kernel_initializer": "zeros"}})).metrics
        assert metrics["identical_units_rate"] == 1.0 and metrics["solved"] == 0, activation


@pytest.mark.slow  # TensorFlow computes it
def test_the_lr_decay_demo_reproduces_the_course_table():
    metrics = lr_decay_demo.run("d", "default", DecayConfig(name="d", kind="lr_decay_demo"), 0).metrics
    first, last = metrics["rows"][0], metrics["rows"][-1]
    assert (first["epoch"], first["w"], first["loss"]) == (0, pytest.approx(2.6), 36.0)
    assert first["lr"] == float(np.float32(0.2))  # float32, as the course's TensorFlow code computes it
    assert [f"{first[k]:f}" for k in ("w", "loss", "lr")] == ["2.600000", "36.000000", "0.200000"]  # its first printed line
    assert last["epoch"] == 39 and f"{last['w']:f}" == "-0.999999"
    assert last["lr"] == pytest.approx(0.2 * 0.99 ** 39, rel=1e-6)


@pytest.mark.slow  # TensorFlow computes it
def test_the_gallery_differentiates_each_activation_automatically():
    config = GalleryConfig(name="g", kind="activation_gallery", activations=["sigmoid", "tanh", "relu"])
    output = activation_gallery.run("g", "default", config, 0)
    metrics, figures = output.metrics, output.figures
    table = {a["activation"]: a for a in metrics["activations"]}
    assert table["sigmoid"]["derivative_max"] == pytest.approx(0.25, abs=1e-4)
    assert table["tanh"]["derivative_at_0"] == pytest.approx(1.0)
    assert (table["relu"]["derivative_min"], table["relu"]["derivative_max"]) == (0.0, 1.0)
    assert "gallery.png" in figures


@pytest.mark.slow  # needs TensorFlow
def test_the_gallery_draws_leaky_relu_at_the_courses_slope_unless_told_otherwise():
    """The course's Leaky ReLU has slope 0.01 below zero; Keras' default is 0.2 (issue 35)."""
    course = GalleryConfig(name="g", kind="activation_gallery", activations=["leaky_relu"], x_min=-2.0, x_max=2.0)
    keras_own = GalleryConfig(name="g", kind="activation_gallery", activations=["leaky_relu"], x_min=-2.0, x_max=2.0,
                              leaky_slope=0.2)
    for config, slope in ((course, 0.01), (keras_own, 0.2)):
        (row,) = activation_gallery.run("g", "default", config, 0).metrics["activations"]
        assert row["activation"] == f"leaky_relu (slope {slope:g})"
        assert (row["min"], row["derivative_min"]) == (pytest.approx(-2 * slope), pytest.approx(slope))
    with pytest.raises(ValueError, match="no leaky_relu"):
        GalleryConfig(name="g", kind="activation_gallery", activations=["relu"], leaky_slope=0.1)


@pytest.mark.slow  # needs TensorFlow
def test_the_gallery_draws_prelu_and_rrelu_beside_leaky_relu_as_the_course_compares_them():
    """PReLU at its initial slope 0.25; RReLU at its test-time slope, the mean of 1/8 and 1/3, with its
    training-time slopes a band (Keras has no RReLU)."""
    config = GalleryConfig(name="g", kind="activation_gallery", activations=["prelu", "rrelu"], x_min=-2.0, x_max=2.0)
    prelu, rrelu = activation_gallery.run("g", "default", config, 0).metrics["activations"]
    assert prelu["derivative_min"] == pytest.approx(0.25) and prelu["min"] == pytest.approx(-0.5)
    assert rrelu["derivative_min"] == pytest.approx((1 / 8 + 1 / 3) / 2, rel=1e-6)
    assert rrelu["activation"].startswith("rrelu (slope 0.229 at test; 0.125 to 0.333 in training)")


@pytest.mark.slow
def test_rrelu_draws_its_slopes_from_the_seed_in_training_and_uses_their_mean_at_test():
    config = XorConfig(**{**XOR, "model": {"units": 4, "activation": "rrelu"}})
    first, again = fit_xor(config, seed=1), fit_xor(config, seed=1)
    np.testing.assert_array_equal(first["w1"], again["w1"])  # the same slopes, step by step
    assert not np.array_equal(first["w1"], fit_xor(config, seed=2)["w1"])
    # at test the negative part is scaled by the mean slope, not a random one: recompute the output
    pre = first["pre"]
    hidden = np.maximum(pre, 0) + (1 / 8 + 1 / 3) / 2 * np.minimum(pre, 0)
    out = np.einsum("rph,rho->rpo", hidden, first["w2"])[..., 0] + first["b2"]
    np.testing.assert_allclose(out, first["out"], rtol=1e-5, atol=1e-6)
    # training differs from a leaky ReLU fixed at that slope: the slopes were random
    leaky = fit_xor(XorConfig(**{**XOR, "model": {"units": 4, "activation": "leaky_relu"}}), seed=1)
    assert not np.allclose(first["w1"], leaky["w1"])


@pytest.mark.slow  # needs TensorFlow: its import alone takes seconds
def test_per_layer_activations_and_initialisers_come_from_yaml(write_config):
    from nnlab.models import build_model

    spec = load_study(write_config(BASE.replace("model: {hidden_layers: 1, units: 8}",
                      "model: {hidden_layers: 2, units: 8, activation: [tanh, elu], kernel_initializer: zeros}"))).variants[0].config.model
    model = build_model(spec, 20, 46)
    assert [layer.activation.__name__ for layer in model.layers] == ["tanh", "elu", "softmax"]
    assert not np.any(model.layers[0].get_weights()[0])


@pytest.mark.slow
def test_small_problems_run_through_the_cli_and_appear_in_the_report(tmp_path, write_config):
    xor = write_config("name: xor\nkind: xor\nsteps: 500\nrepeats: 4\nbaseline: relu\n"
                       "variants:\n  - name: relu\n  - {name: leaky, model.activation: leaky_relu}\n", "xor.yaml")
    result = invoke("run", xor, CONFIGS / "lr_decay_demo.yaml", CONFIGS / "activation_gallery.yaml", "--results", tmp_path)
    assert result.exit_code == 0, result.output
    assert "hidden 0: w = [" in result.output  # the learned weights of one run are printed
    assert "After 0 epoch, w is 2.600000, loss is 36.000000, lr is 0.200000" in result.output
    for run in ("xor/relu/seed-0/curves.png", "lr_decay_demo/decay/seed-0/curves.png",
                "activation_gallery/default/seed-0/gallery.png"):
        assert (tmp_path / run).is_file(), run
    md, html = report.build(tmp_path)
    text = md.read_text()
    for heading in ("## xor", "## lr_decay_demo", "## activation_gallery"):
        assert heading in text
    assert "**leaky** solves XOR in" in text and "Fisher's exact test" in text
    assert "Derivative never above 0.25 on this interval: sigmoid" in text
    linked = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
    assert linked and all((tmp_path / p).is_file() for p in linked)
    assert all(p.startswith("report_assets/") for p in linked)  # the report stands without the run folders
    assert len(re.findall(r'src="data:image/png;base64,', html.read_text())) == len(linked)


# --- nnlab show, for every kind and for damaged files --------------------------------------------

@pytest.mark.slow
def test_show_prints_every_kinds_run_its_settings_and_what_it_measured(tmp_path, write_config):
    configs = [write_config(BASE, "train.yaml"),
               write_config("name: x\nkind: xor\nsteps: 50\nrepeats: 3\n", "xor.yaml"),
               write_config("name: d\nkind: lr_decay_demo\nepochs: 5\n", "decay.yaml"),
               write_config("name: g\nkind: activation_gallery\nactivations: [relu, tanh]\npoints: 11\n", "gallery.yaml")]
    assert invoke("run", *configs, "--results", tmp_path).exit_code == 0
    expected = {"tiny": ["best epoch", "test       loss", "model      {"],
                "x": ["solved     ", "hidden units identical", "2-2-1, relu hidden units", "dataset    none"],
                "d": ["After 0 epoch, w is", "descent    (w - -1.0)^2 from w = 5.0"],
                "g": ["tanh       range -1.000 to 1.000", "gallery    relu, tanh on [-5.0, 5.0], 11 points"]}
    for study, texts in expected.items():
        shown = invoke("show", tmp_path / study / "default" / "seed-0")
        assert shown.exit_code == 0, shown.output
        assert f"run        {study} / default / seed 0" in shown.output
        for text in texts:
            assert text in shown.output, (study, text)
        assert "damaged" not in shown.output


def test_show_names_a_damaged_provenance_and_still_shows_the_measurements(tmp_path):
    folder = tmp_path / "s" / "default" / "seed-0"
    folder.mkdir(parents=True)
    (folder / "provenance.json").write_text('{"run_key": "abc", "config": {')  # cut off mid-write by hand
    (folder / "metrics.json").write_text(json.dumps(
        {"study": "s", "variant": "default", "seed": 0, "kind": "lr_decay_demo", "status": "ok", "run_key": "abc",
         "final_w": -0.99, "final_loss": 1e-4, "epochs": 2, "wall_time_s": 0.1,
         "rows": [{"epoch": 0, "w": 2.6, "loss": 36.0, "lr": 0.2}, {"epoch": 1, "w": 0.7, "loss": 12.96, "lr": 0.198}]}))
    shown = invoke("show", folder)
    assert shown.exit_code == 0, shown.output
    assert "After 1 epoch, w is 0.700000" in shown.output
    assert f"damaged    {folder / 'provenance.json'}: does not parse (JSONDecodeError: " in shown.output


def test_show_names_metrics_that_lack_what_the_kind_records(tmp_path):
    folder = tmp_path / "s" / "default" / "seed-0"
    folder.mkdir(parents=True)
    (folder / "metrics.json").write_text(json.dumps({"kind": "xor", "status": "ok", "run_key": "abc"}))
    shown = invoke("show", folder)
    assert shown.exit_code == 0, shown.output
    assert f"damaged    {folder / 'metrics.json'}: lacks what such a run records (KeyError: 'solved')" in shown.output


def test_show_of_a_folder_without_a_run_says_so(tmp_path):
    shown = invoke("show", tmp_path)
    assert shown.exit_code == 1 and "holds no nnlab run" in shown.output


@pytest.mark.slow
@pytest.mark.parametrize("optimizer", ["adam", "adagrad"])
def test_an_adaptive_optimizer_steps_each_xor_repeat_on_its_own_gradient(optimizer):
    """Adam's and Adagrad's accumulators are per element, so a repeat trained beside five others ends
    where it ends alone (the dying-ReLU study sets Adagrad against SGD)."""
    config = {**XOR, "optimizer": optimizer, "learning_rate": 0.1}
    many = fit_xor(XorConfig(**config), seed=3)
    alone = fit_xor(XorConfig(**{**config, "repeats": 1}), seed=3)
    np.testing.assert_allclose(many["w1"][0], alone["w1"][0], rtol=1e-4, atol=1e-5)
    plain = fit_xor(XorConfig(**{**config, "optimizer": "sgd"}), seed=3)
    assert not np.allclose(many["w1"][0], plain["w1"][0])  # it is not SGD under another name
