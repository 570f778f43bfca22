"""One trace per shape: the runs of one process that share a compiled program (a variant's seeds,
variants that differ only in their learning rate) number exactly as runs that trace their own."""

import pytest

from conftest import BASE
from nnlab.config import load_study

pytestmark = pytest.mark.slow  # every test here trains

DEEPER = BASE.replace("model: {hidden_layers: 1, units: 8}",
                      "model: {hidden_layers: 2, units: 8, dropout: 0.3, batch_norm: true, "
                      "kernel_regularizer: {name: l2, factor: 0.01}}") + "record: {gradient_norms: true}\n"
CASES = {
    "the book's net on multi-hot words": BASE,
    "dropout, batch norm, a penalty, gradient norms": DEEPER,
    "adam under a schedule that counts steps": BASE + "optimizer: {name: adam, learning_rate: 0.01, schedule: "
                                                      "{name: exponential_decay, decay_steps: 1, decay_rate: 0.5}}\n",
    "pixels": BASE.replace("{name: reuters, num_words: 1000, sample: true}", "{name: mnist, sample: true}")
                  .replace("size: 50", "size: 100").replace("categorical_crossentropy", "sparse_categorical_crossentropy"),
}


def train(config, seed: int):
    """A run's numbers as kinds/train/run.py computes them: search with validation, retrain, test."""
    from nnlab.data import encode_labels, load_dataset, split_validation
    from nnlab.training import Trainer

    data = load_dataset(config.dataset)
    x_train, y_train, x_val, y_val = split_validation(data.x_train, data.y_train, config.validation, data.full_train_size)
    labels = lambda y: encode_labels(y, data.num_classes, config.loss)
    trainer = Trainer(config, seed, data.num_classes, x_train)
    search, _ = trainer.fit(x_train, labels(y_train), config.epochs, validation=(x_val, labels(y_val)))
    retrain, _ = trainer.fit(data.x_train, labels(data.y_train), 2)
    return search, retrain, trainer.evaluate(data.x_test, labels(data.y_test)), trainer.program


def config_of(write_config, text: str, **changes):
    return load_study(write_config(text)).variants[0].config.model_copy(update=changes)


@pytest.mark.parametrize("case", list(CASES))
def test_seeds_that_share_one_trace_number_as_seeds_that_trace_their_own(write_config, case):
    from nnlab import training

    config = config_of(write_config, CASES[case])
    alone = []
    for seed in (0, 1, 2):
        training.forget_programs()  # as a process of its own would
        alone.append(train(config, seed)[:3])
    training.forget_programs()
    shared = [train(config, seed) for seed in (0, 1, 2)]
    assert [run[:3] for run in shared] == alone
    programs = {id(run[3]) for run in shared}
    assert len(programs) == 1, "the three seeds should have run on one program"
    # Traced once for all three seeds; under a schedule, once per epoch length (search, retrain).
    graphs = [graph for _, _, graph in shared[0][3]._optimizers.values()]
    assert len(graphs) == (2 if "schedule" in case else 1)
    assert [graph.experimental_get_tracing_count() for graph in graphs] == [1] * len(graphs)


def test_variants_that_differ_only_in_the_rate_or_initialiser_share_a_trace(write_config):
    from nnlab import training

    base = config_of(write_config, BASE)
    from nnlab.optimizer_specs import OptimizerSpec

    faster = base.model_copy(update={"optimizer": OptimizerSpec(**{**base.optimizer.model_dump(), "learning_rate": 0.01})})
    uniform = base.model_copy(update={"model": base.model.model_copy(update={"kernel_initializer": "he_uniform"})})
    wider = base.model_copy(update={"model": base.model.model_copy(update={"units": 16})})
    alone = []
    for config in (base, faster, uniform):
        training.forget_programs()
        alone.append(train(config, 0)[:3])
    training.forget_programs()
    shared = [train(config, 0) for config in (base, faster, uniform)]
    assert [run[:3] for run in shared] == alone
    # the rate and the initialiser did change the numbers: every pair differs (a != b != c never compares a with c)
    assert alone[0] != alone[1] and alone[1] != alone[2] and alone[0] != alone[2]
    assert len({id(run[3]) for run in shared}) == 1
    assert train(wider, 0)[3] is not shared[0][3]  # another shape: a program of its own


def test_a_trainer_draws_the_initial_weights_keras_set_random_seed_would():
    """Trainer seeds its run without TensorFlow's global seed (that clears TensorFlow's graph cache);
    the weights must be those of Keras' own seeding, whatever ran before in the process."""
    import keras
    import numpy as np

    from nnlab.models import build_model
    from nnlab.specs import ModelSpec
    from nnlab.training import seed_run

    spec = ModelSpec(hidden_layers=2, units=8, dropout=0.2)
    weights = []
    for seeding in (keras.utils.set_random_seed, seed_run):
        np.random.rand(3), keras.random.uniform((2,))  # what ran before must not matter
        seeding(7)
        model = build_model(spec, 30, 5, seed=7)
        weights.append([v.numpy() for v in model.variables])
    assert len(weights[0]) == len(weights[1]) > 0  # zip over none, or over the shorter, would compare nothing
    assert all(np.array_equal(a, b) for a, b in zip(*weights))
