"""The notebook way: one study variant as *Deep Learning with Python* writes it, in a process of its own.

This is the reference `make bench` measures nnlab against, so it keeps the book's code pattern on
purpose, slow parts included: Keras' own `load_data`, `vectorize_sequences` with a Python loop into a
float64 `np.zeros` matrix, `to_categorical` labels, `model.fit` on numpy arrays with the first
examples held out for validation, the best epoch read off `val_loss`, a new model refitted on the
whole training set for that many epochs, `model.evaluate` on the test set. What it adds to the book:
a seed (`keras.utils.set_random_seed`) and a local data file (Keras' `get_file` is pointed at it,
since this machine cannot download). It prints one JSON line with its figures.

    python benchmarks/notebook_reference.py '{"dataset": "reuters", "data_dir": "../shared/datasets",
        "units": [64, 64], "activation": "relu", "loss": "categorical_crossentropy",
        "validation": 1000, "epochs": 20, "batch_size": 512, "seed": 0}'
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import time
from unittest import mock

STARTED = time.perf_counter()


def load(name: str, data_dir: str | None, num_words: int):
    import keras

    module = importlib.import_module(f"keras.src.datasets.{name}")
    kwargs = {} if name == "mnist" else {"num_words": num_words}
    if not data_dir:
        return getattr(keras.datasets, name).load_data(**kwargs)
    with mock.patch.object(module, "get_file", return_value=os.path.join(data_dir, f"{name}.npz")):
        return getattr(keras.datasets, name).load_data(**kwargs)


def vectorize_sequences(sequences, dimension=10000):
    import numpy as np

    results = np.zeros((len(sequences), dimension))
    for i, sequence in enumerate(sequences):
        for j in sequence:
            results[i, j] = 1.
    return results


def build_model(spec: dict, outputs: int, activation: str):
    import keras
    from keras import layers

    model = keras.Sequential([layers.Dense(units, activation=spec["activation"]) for units in spec["units"]]
                             + [layers.Dense(outputs, activation=activation)])
    model.compile(optimizer="rmsprop", loss=spec["loss"], metrics=["accuracy"])
    return model


def main(spec: dict) -> dict:
    import keras
    import numpy as np
    from keras.utils import to_categorical

    keras.utils.set_random_seed(spec["seed"])
    name, subset = spec["dataset"], spec.get("subset")
    (train_data, train_labels), (test_data, test_labels) = load(name, spec.get("data_dir"), spec.get("num_words", 10000))
    if subset:
        train_data, train_labels, test_data, test_labels = (train_data[:subset], train_labels[:subset],
                                                            test_data[:subset], test_labels[:subset])
    if name == "mnist":
        x_train = train_data.reshape((len(train_data), 28 * 28)).astype("float32") / 255
        x_test = test_data.reshape((len(test_data), 28 * 28)).astype("float32") / 255
    else:
        x_train = vectorize_sequences(train_data, spec.get("num_words", 10000))
        x_test = vectorize_sequences(test_data, spec.get("num_words", 10000))
    if name == "imdb":
        y_train, y_test = np.asarray(train_labels).astype("float32"), np.asarray(test_labels).astype("float32")
        outputs, activation = 1, "sigmoid"
    else:
        classes = 46 if name == "reuters" else 10
        y_train, y_test = to_categorical(train_labels, classes), to_categorical(test_labels, classes)
        outputs, activation = classes, "softmax"
    prepared = time.perf_counter()

    held_out = spec["validation"]
    x_val, partial_x_train = x_train[:held_out], x_train[held_out:]
    y_val, partial_y_train = y_train[:held_out], y_train[held_out:]
    model = build_model(spec, outputs, activation)
    fit_started = time.perf_counter()
    history = model.fit(partial_x_train, partial_y_train, epochs=spec["epochs"], batch_size=spec["batch_size"],
                        validation_data=(x_val, y_val), verbose=0)
    search_seconds = time.perf_counter() - fit_started
    val_loss = history.history["val_loss"]
    best_epoch = int(np.argmin(val_loss)) + 1

    model = build_model(spec, outputs, activation)
    refit_started = time.perf_counter()
    model.fit(x_train, y_train, epochs=best_epoch, batch_size=spec["batch_size"], verbose=0)
    refit_seconds = time.perf_counter() - refit_started
    test_loss, test_accuracy = model.evaluate(x_test, y_test, verbose=0)
    return {"best_epoch": best_epoch, "test_accuracy": float(test_accuracy), "test_loss": float(test_loss),
            "seconds_per_epoch": (search_seconds + refit_seconds) / (spec["epochs"] + best_epoch),
            "prepare_seconds": prepared - STARTED, "wall_time_s": time.perf_counter() - STARTED,
            "x_train_bytes": int(x_train.nbytes)}


if __name__ == "__main__":
    print(json.dumps(main(json.loads(sys.argv[1]))))
