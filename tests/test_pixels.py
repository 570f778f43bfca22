"""Issue 35.3, normalisation: MNIST's pixels reach the net scaled by 255 (the book's and the course's),
raw, or standardized by the training rows' own mean and deviation. A setting of the data, so it is
checked like one: refused where there are no pixels, keyed only where it is not the default."""

import doctest

import numpy as np
import pytest

from nnlab.config import config_of, load_study
from nnlab.errors import ConfigError

MNIST = {"name": "norm", "dataset": {"name": "mnist", "sample": True}, "validation": {"split": "first", "size": 100},
         "loss": "categorical_crossentropy", "epochs": 2, "batch_size": 32, "model": {"hidden_layers": 1, "units": 16}}


def test_pixels_default_to_the_books_division_by_255_and_leave_the_run_key_alone():
    scaled = config_of({**MNIST, "dataset": {**MNIST["dataset"], "pixels": "scaled"}})
    assert config_of(MNIST).dataset.pixels == "scaled"
    assert config_of(MNIST).fingerprint() == scaled.fingerprint()  # old runs stay valid
    assert config_of({**MNIST, "dataset": {**MNIST["dataset"], "pixels": "raw"}}).fingerprint() != scaled.fingerprint()


def test_pixels_on_a_text_dataset_is_refused_naming_the_file_and_key(write_config):
    path = write_config("name: t\ndataset: {name: imdb, sample: true, pixels: raw}\nloss: binary_crossentropy\n"
                        "epochs: 1\nbatch_size: 8\n")
    with pytest.raises(ConfigError, match=r"(?s)study.yaml.*dataset.*pixels applies only to images"):
        load_study(path)
    path = write_config("name: t\ndataset: {name: mnist, pixels: unit}\nloss: categorical_crossentropy\nepochs: 1\n"
                        "batch_size: 8\n")
    with pytest.raises(ConfigError, match=r"(?s)dataset.pixels.*scaled.*raw.*standardized"):
        load_study(path)


@pytest.mark.slow
def test_the_transform_doctest_and_standardized_pixels_use_the_rows_being_trained_on_only():
    from nnlab import training
    from nnlab.data import load_dataset, split_validation
    from nnlab.features import Pixels

    assert doctest.testmod(training, verbose=False).failed == 0
    config = config_of({**MNIST, "dataset": {**MNIST["dataset"], "pixels": "standardized"}})
    data = load_dataset(config.dataset)
    x_train, _y, x_val, _yv = split_validation(data.x_train, data.y_train, config.validation, len(data.x_train))
    trainer = training.Trainer(config, 0, data.num_classes, x_train)
    labels = np.eye(10, dtype=np.float32)
    trainer.fit(x_train, labels[_y], 1, validation=(x_val, labels[_yv]))
    values = x_train.values.astype(np.float64)
    assert float(trainer.program.pixel_shift.numpy()) == pytest.approx(values.mean() / 255, rel=1e-6)
    assert float(trainer.program.pixel_factor.numpy()) == pytest.approx(255 / values.std(), rel=1e-6)
    everything = np.concatenate([x_train.values, x_val.values]).astype(np.float64)
    assert abs(values.mean() - everything.mean()) > 1e-3  # the validation rows would have moved it
    assert isinstance(x_train, Pixels)


@pytest.mark.slow
def test_each_pixels_setting_trains_its_own_net_from_the_same_start():
    from nnlab.kinds.train.run import dataset, run

    losses = {}
    for pixels in ("scaled", "raw", "standardized"):
        config = config_of({**MNIST, "retrain": False, "dataset": {**MNIST["dataset"], "pixels": pixels}})
        losses[pixels] = run("norm", pixels, config, 0, dataset(config, None)).files["search_history.json"]["loss"]
    assert len({tuple(loss) for loss in losses.values()}) == 3
    assert losses["raw"][0] > 10 * losses["scaled"][0]  # 0-255 inputs into weights drawn for 0-1 ones


def test_variants_that_differ_only_in_how_pixels_are_scaled_are_paired_by_their_seeds():
    """The seed gives both the same initial weights, data order and split: the pixels' scale moves none."""
    from pathlib import Path

    from nnlab.pairing import paired
    from nnlab.report_data import Run, StudyResults, VariantStats

    def variant(pixels):
        config = config_of({**MNIST, "dataset": {**MNIST["dataset"], "pixels": pixels}}).model_dump(mode="json")
        return VariantStats(pixels, [Run(Path(f"/x/{pixels}/seed-{s}"), {"seed": s, "status": "ok", "test_accuracy": 0.9}, config,
                                         None, None) for s in (0, 1, 2)])

    scaled, raw = variant("scaled"), variant("raw")
    assert paired(StudyResults("s", Path("/x"), [scaled, raw]), scaled, raw)
