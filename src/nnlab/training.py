"""Seeded, deterministic training of one model, an epoch per compiled TensorFlow call.

Why not `model.fit`: on the book's small nets fit spends most of an epoch outside the arithmetic
(slicing and converting numpy batches, a Python round trip per step, validation through a second
pipeline). Here a run's data becomes tensors once, an epoch (shuffled batches gathered in the graph,
forward pass, loss, gradients, the Keras optimizer's update) is one graph call, and the graph traced
for the search is reused by the retrain. The arithmetic is Keras': its layers, losses, optimizers and
schedules; benchmarks/README.md has the measurements behind this.

    trainer = Trainer(config, seed, num_classes, x_train)
    history, seconds = trainer.fit(x_train, y_train, epochs=20, validation=(x_val, y_val))
    history, seconds = trainer.fit(x_all, y_all, epochs=best)   # a fresh start from the same seed
    test = trainer.evaluate(x_test, y_test)                       # {"loss": ..., "accuracy": ...}

One trace per shape: the runs of one process whose graphs would be the same (a variant's seeds,
variants that differ only in the learning rate or the initialiser) share one `Program` (model,
optimizer, compiled epoch and evaluation), each run assigning its own initial values to its variables.
Tracing and graph optimisation cost 5-10 steady epochs of the book's nets; the numbers are those of a
fresh model, bit for bit (tests/test_reproducibility.py).
"""

from __future__ import annotations

import json
import math
import random
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

import keras
import numpy as np
import tensorflow as tf

from . import process
from .features import PIXEL_SCALE, Features, MultiHot, Pixels
from .kinds.train.schema import Config as RunConfig
from .models import build_model, build_optimizer
from .selection import Rule
from .specs import is_binary

# (phase, epoch, epochs, logs) -> None; the CLI turns it into a progress line.
EpochReporter = Callable[[str, int, int, dict], None]


def seed_everything(seed: int) -> None:
    """Python, numpy and TensorFlow seeds plus deterministic TF ops: same seed, same numbers."""
    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()


def seed_run(seed: int) -> None:
    """seed_everything without TensorFlow's global seed, for a Trainer: what `keras.utils.set_random_seed`
    seeds otherwise (Python's and numpy's generators, Keras' global seed generator, which Keras'
    initialisers draw from), and deterministic TF ops. Setting TensorFlow's seed clears its cache of
    instantiated graphs, which cost a reused program 0.2-0.3 s at its next call; and nothing a Trainer
    computes draws from it: the shuffle is numpy's (epoch_order), dropout's masks come from Keras'
    seeded generators, the initialisers' from Keras' global one. tests/test_trace_reuse.py checks
    that the initial weights are those of keras.utils.set_random_seed."""
    try:
        from keras.src.backend.common import global_state
        from keras.src.random.seed_generator import GLOBAL_SEED_GENERATOR
        from keras.src.utils.rng_utils import GLOBAL_RANDOM_SEED
    except ImportError:  # another Keras: its own function, slower by the cache it clears
        seed_everything(seed)
        return
    global_state.set_global_attribute(GLOBAL_RANDOM_SEED, seed)
    global_state.set_global_attribute(GLOBAL_SEED_GENERATOR, None)  # recreated from the seed when drawn
    random.seed(seed)
    np.random.seed(seed)
    tf.config.experimental.enable_op_determinism()


def epoch_order(seed: int, epoch: int, rows: int) -> np.ndarray:
    """The shuffled order of one epoch's examples: a function of the run's seed and the epoch alone,
    so a run's batches never depend on what ran before it in the process."""
    return np.random.default_rng([seed, epoch]).permutation(rows).astype(np.int32)


# Each thread's programs by shape (program_key), the most recently used last: a thread's runs follow
# one another, while runs side by side as threads (--executor threads) never share a model. Bounded:
# a worker that lives for a whole suite meets many shapes, and each holds its model's weights twice.
_THREAD = threading.local()
MAX_PROGRAMS = 8


def _programs() -> OrderedDict[str, Program]:
    if not hasattr(_THREAD, "programs"):
        _THREAD.programs = OrderedDict()
    return _THREAD.programs


def forget_programs() -> None:
    """Drop this thread's compiled programs (the next run traces afresh, as a new process would)."""
    _programs().clear()


def program_key(config: RunConfig, num_classes: int, x: Features) -> str:
    """What a run's traced graphs depend on: everything but its seed, its initial values (the
    initialisers), its learning rate (a variable the graph reads, unless a schedule computes it in the
    graph) and what decides its data, epochs and selection rather than its arithmetic."""
    model = config.model.model_dump(mode="json", exclude={"kernel_initializer", "bias_initializer", "kernel_init_range"})
    optimizer = config.optimizer.model_dump(mode="json")
    if not config.optimizer.schedule:
        optimizer.pop("learning_rate", None)
    return json.dumps({"model": model, "optimizer": optimizer, "loss": config.loss, "batch_size": config.batch_size,
                       "gradient_norms": config.record.gradient_norms, "num_classes": num_classes,
                       "input": [isinstance(x, MultiHot), x.width]}, sort_keys=True)


def pixel_transform(x: Pixels, pixels: str) -> tuple[float, float]:
    """(shift, scale) that pixels are read with, (pixel - shift) / scale, by dataset.pixels: scaled is
    the book's / 255, raw leaves 0-255 as they are, standardized takes the mean and standard deviation
    of every pixel of `x`, the rows being trained on (one pair for all 784, as torchvision's MNIST
    Normalize((0.1307,), (0.3081,)) does: a pixel that is 0 in every training image has no deviation
    of its own to divide by).

    >>> x = Pixels(np.array([[0, 255], [255, 0]], dtype=np.uint8))
    >>> pixel_transform(x, "scaled"), pixel_transform(x, "raw"), pixel_transform(x, "standardized")
    ((0.0, 255.0), (0.0, 1.0), (127.5, 127.5))
    """
    if pixels == "scaled":
        return 0.0, PIXEL_SCALE
    if pixels == "raw":
        return 0.0, 1.0
    values = x.values.astype(np.float64)
    return float(values.mean()), float(values.std()) or 1.0


class Trainer:
    """One run: its config and seed, on the program (model, optimizer, graphs) of its shape. A later
    Trainer of the same shape in the same thread takes the program over (its own initial values
    assigned), so a thread trains one run at a time, as the runner does.

    Args:
        config: the run's config (model, loss, optimizer, batch size, selection rule).
        seed: draws the initial weights (Keras' initialisers) and each epoch's shuffle.
        num_classes: 2 gives one sigmoid unit, more a softmax (unless the config says otherwise).
        x: any input of the run (its width and encoding decide the first layer).
    """

    def __init__(self, config: RunConfig, seed: int, num_classes: int, x: Features):
        self.config, self.seed = config, seed
        with process.SEEDING:  # the generators are the process's: runs side by side take turns
            seed_run(seed)
            # The model a fresh process would build from the seed: its values are this run's start.
            fresh = build_model(config.model, x.width, num_classes, multi_hot=isinstance(x, MultiHot), seed=seed)
        key = program_key(config, num_classes, x)
        programs = _programs()
        program = programs.pop(key, None)
        if program is None:
            program = Program(config, num_classes, x, fresh)
        else:
            # Every variable, the dropout layers' seed states too (a run's masks follow its seed).
            for variable, value in zip(program.model.variables, fresh.variables):
                variable.assign(value.numpy())
        programs[key] = program
        while len(programs) > MAX_PROGRAMS:
            programs.popitem(last=False)
        self.program = program
        self.model = program.model
        self._initial_weights = self.model.get_weights()
        # This run's learning rate as the optimizer stores it (float32), for a program another rate built.
        self._rate = None if config.optimizer.schedule else build_optimizer(config.optimizer).learning_rate.numpy()

    # --- the public steps ------------------------------------------------------------------------

    def fit(self, x: Features, y: np.ndarray, epochs: int, validation: tuple[Features, np.ndarray] | None = None,
            phase: str = "train", report: EpochReporter | None = None,
            keep_best: bool = False, stop: Callable[[dict], bool] | None = None,
            after_epoch: Callable[[int], None] | None = None) -> tuple[dict[str, list[float]], list[float]]:
        """Train from the seed's initial weights with a fresh optimizer; return the per-epoch history
        and the seconds of each epoch (kept apart: timings differ between reruns, histories must not).

        Stops after an epoch whose training loss is not finite (as Keras' TerminateOnNaN does), or
        when `stop(history)` says so (a search pruning a hopeless trial). With keep_best, the model
        ends with the weights of its best epoch by `config.selection`. `after_epoch(epoch)` sees the
        model as each epoch (from 1) leaves it: evaluating there draws nothing from any generator, so
        the epochs after it are those of a fit that did not look."""
        program = self.program
        inputs, labels = program.tensors(x, y)
        held_out = program.tensors(*validation) if validation is not None else None
        self.model.set_weights(self._initial_weights)
        program.restart(len(x), self._rate)
        if not isinstance(x, MultiHot):  # validation and test are read with the training rows' shift and scale
            program.set_pixels(*pixel_transform(x, self.config.dataset.pixels))
        history: dict[str, list[float]] = {"loss": [], "accuracy": []}
        if held_out is not None:
            history.update(val_loss=[], val_accuracy=[])
        history["learning_rate"] = []
        history.update({f"gradient_norm_{k}": [] for k in range(1, len(program.norms_of) + 1)})
        seconds, best_weights = [], None
        for epoch in range(epochs):
            rate = program.learning_rate()
            started = time.perf_counter()
            loss_sum, correct, *norms = program.epoch_graph(inputs, labels, tf.constant(epoch_order(self.seed, epoch, len(x))))
            logs = {"loss": float(loss_sum) / len(x), "accuracy": float(correct) / len(x)}
            if norms:  # summed over the epoch's batches: their mean
                batches = math.ceil(len(x) / self.config.batch_size)
                logs.update({f"gradient_norm_{k}": float(v) / batches for k, v in enumerate(norms[0].numpy(), 1)})
            if held_out is not None:
                loss_sum, correct = program.evaluate_graph(*held_out)
                logs.update(val_loss=float(loss_sum) / len(validation[1]), val_accuracy=float(correct) / len(validation[1]))
            seconds.append(time.perf_counter() - started)
            logs["learning_rate"] = rate
            for key, value in logs.items():
                history[key].append(value)
            if report:
                report(phase, epoch + 1, epochs, logs)
            if not math.isfinite(logs["loss"]):
                break
            if after_epoch is not None:
                after_epoch(epoch + 1)
            if keep_best and Rule.of(self.config.selection).is_best_so_far(history):
                best_weights = self.model.get_weights()
            if stop is not None and epoch + 1 < epochs and stop(history):
                break
        if best_weights is not None:
            self.model.set_weights(best_weights)
        return history, seconds

    def evaluate(self, x: Features, y: np.ndarray) -> dict[str, float]:
        loss_sum, correct = self.program.evaluate_graph(*self.program.tensors(x, y))
        return {"loss": float(loss_sum) / len(y), "accuracy": float(correct) / len(y)}


class Program:
    """What is traced for one shape: the model and optimizer whose variables the graphs read, one
    epoch of training as one graph call, and the evaluation. Runs on it assign their own values.

    Args:
        config: the first run's config; what of it the graphs depend on is its `program_key`.
        num_classes, x: as Trainer's.
        model: the model to train (built from the first run's seed).
    """

    def __init__(self, config: RunConfig, num_classes: int, x: Features, model):
        self.batch_size, self.num_classes, self.optimizer_spec = config.batch_size, num_classes, config.optimizer
        self.multi_hot = isinstance(x, MultiHot)
        self.model = model
        self.penalised = bool(config.model.kernel_regularizer or config.model.bias_regularizer)
        # With record.gradient_norms, each Dense kernel's place among the trainable variables, in layer order.
        self.norms_of = [next(i for i, v in enumerate(self.model.trainable_variables) if v is layer.kernel)
                         for layer in self.model.stack if isinstance(layer, keras.layers.Dense)] if config.record.gradient_norms else []
        self.loss_function = keras.losses.get(config.loss)
        self._optimizers: dict[int | None, tuple] = {}  # by the epoch length a schedule counts (None: no schedule)
        # Shapes left open, so search, retrain, validation and test (other row counts) share one trace.
        if self.multi_hot:
            self._input_spec = (tf.TensorSpec([None], tf.int32), tf.TensorSpec([None], tf.int64))
        else:
            self._input_spec = tf.TensorSpec([None, x.width], tf.uint8)
        self._label_spec = None  # known at the first fit: depends on the loss's label encoding
        # Pixels reach the net as (pixel / 255 - shift) * factor: variables the graphs read, so each fit
        # sets its own (standardized: from the rows it trains on) and every pixels mode shares one trace.
        self.pixel_shift = tf.Variable(0.0, trainable=False, dtype=tf.float32)
        self.pixel_factor = tf.Variable(1.0, trainable=False, dtype=tf.float32)

    # --- set-up between phases ---------------------------------------------------------------------

    def restart(self, rows: int, rate) -> None:
        """A fresh optimizer for a fit of `rows` rows, with the run's learning rate (None: a schedule's).
        One optimizer and traced epoch serve every fit, except under a schedule that counts steps:
        its search and its retrain (epochs of other lengths) each keep their own."""
        steps = math.ceil(rows / self.batch_size) if self.optimizer_spec.schedule else None
        if steps not in self._optimizers:
            self.optimizer = build_optimizer(self.optimizer_spec, steps or 1)
            self.optimizer.build(self.model.trainable_variables)
            initial = [variable.numpy() for variable in self.optimizer.variables]
            train = self._train_batches_with_norms if self.norms_of else self._train_batches
            # Traced at its first call, with this optimizer: the graph keeps its variables.
            graph = tf.function(train, autograph=False, input_signature=[
                self._input_spec, self._label_spec, tf.TensorSpec([None], tf.int32)])
            self._optimizers[steps] = (self.optimizer, initial, graph)
        self.optimizer, initial, self.epoch_graph = self._optimizers[steps]
        for variable, value in zip(self.optimizer.variables, initial):
            variable.assign(value)
        if rate is not None:
            self.optimizer.learning_rate = rate

    def set_pixels(self, shift: float, scale: float) -> None:
        """Read pixels as (pixel - shift) / scale, computed as (pixel / 255 - shift / 255) * (255 / scale)."""
        self.pixel_shift.assign(shift / PIXEL_SCALE)
        self.pixel_factor.assign(PIXEL_SCALE / scale)

    def tensors(self, x: Features, y: np.ndarray):
        if self.multi_hot:
            inputs = (tf.constant(x.columns), tf.constant(x.row_splits))
        else:
            inputs = tf.constant(x.values)
        if is_binary(self.num_classes):
            y = y.reshape(-1, 1)  # the shape of the single sigmoid output
        labels = tf.constant(y)
        if self._label_spec is None:
            self._label_spec = tf.TensorSpec([None, *labels.shape[1:]], labels.dtype)
            self.evaluate_graph = tf.function(self._evaluate_batches, autograph=False,
                                              input_signature=[self._input_spec, self._label_spec])
        return inputs, labels

    def learning_rate(self) -> float:
        rate = self.optimizer.learning_rate  # a schedule's value at the current step, in Keras 3
        if callable(rate):
            rate = rate(self.optimizer.iterations)
        return float(keras.ops.convert_to_numpy(rate))

    # --- what runs inside the graphs ---------------------------------------------------------------

    def _batch(self, inputs, rows):
        """The model's input for some rows: (row_ids, columns, count) for multi-hot, scaled pixels else."""
        if self.multi_hot:
            columns, row_splits = inputs
            picked = tf.gather(tf.RaggedTensor.from_row_splits(columns, row_splits, validate=False), rows)
            return tf.cast(picked.value_rowids(), tf.int32), picked.flat_values, tf.shape(rows)[0]
        # The book's division by 255 exactly as every run before dataset.pixels computed it (TensorFlow
        # rewrites a division by a constant, so a division by a variable holding 255 gives other last
        # digits); the other modes then shift and scale that: for `scaled` by 0 and 1, which are exact.
        return (tf.cast(tf.gather(inputs, rows), tf.float32) / PIXEL_SCALE - self.pixel_shift) * self.pixel_factor

    def _loss_and_hits(self, labels, predictions):
        loss = tf.reduce_mean(self.loss_function(labels, predictions))
        if is_binary(self.num_classes):
            hits = tf.equal(tf.cast(predictions > 0.5, labels.dtype), labels)
        elif labels.dtype.is_integer:
            hits = tf.equal(tf.argmax(predictions, axis=-1), tf.cast(labels, tf.int64))
        else:
            hits = tf.equal(tf.argmax(predictions, axis=-1), tf.argmax(labels, axis=-1))
        return loss, tf.reduce_sum(tf.cast(hits, tf.float32))

    def _train_batches(self, inputs, labels, order):
        """One epoch: batches of `order`, each a forward pass, gradients and the optimizer's update.
        Returns the sums over examples of the loss (before each update, as Keras logs it) and hits."""
        def step(start, loss_sum, correct):
            objective, hits, _, rows = self._train_step(inputs, labels, order, start)
            return start + self.batch_size, loss_sum + objective * tf.cast(tf.shape(rows)[0], tf.float32), correct + hits

        return self._over_batches(step, tf.shape(order)[0])

    def _train_batches_with_norms(self, inputs, labels, order):
        """_train_batches, also summing each Dense kernel's gradient norm over the batches (record.gradient_norms)."""
        def step(start, loss_sum, correct, norm_sums):
            objective, hits, gradients, rows = self._train_step(inputs, labels, order, start)
            norms = tf.stack([tf.norm(gradients[i]) for i in self.norms_of])  # before the optimizer clips them
            return (start + self.batch_size, loss_sum + objective * tf.cast(tf.shape(rows)[0], tf.float32),
                    correct + hits, norm_sums + norms)

        _, loss_sum, correct, norm_sums = tf.while_loop(
            lambda start, *_: start < tf.shape(order)[0], step,
            (tf.constant(0), tf.constant(0.0), tf.constant(0.0), tf.zeros([len(self.norms_of)])))
        return loss_sum, correct, norm_sums

    def _train_step(self, inputs, labels, order, start):
        """One batch of `order` from `start`: forward pass, gradients, the optimizer's update. Returns the
        objective (before the update), the hits, the gradients and the batch's rows."""
        rows = order[start:start + self.batch_size]
        with tf.GradientTape() as tape:
            predictions = self.model(self._batch(inputs, rows), training=True)
            loss, hits = self._loss_and_hits(tf.gather(labels, rows), predictions)
            # The weight penalties (kernel_regularizer, bias_regularizer) are trained on, and logged in
            # the training loss, as Keras does; validation and test losses are the data's alone, so
            # variants with and without a penalty compare on the same figure.
            objective = loss + tf.add_n(self.model.losses) if self.penalised else loss
        variables = self.model.trainable_variables
        gradients = tape.gradient(objective, variables)
        self.optimizer.apply(gradients, variables)
        return objective, hits, gradients, rows

    def _evaluate_batches(self, inputs, labels):
        batch_size = self.batch_size
        count = tf.shape(labels)[0]

        def step(start, loss_sum, correct):
            rows = tf.range(start, tf.minimum(start + batch_size, count))
            predictions = self.model(self._batch(inputs, rows), training=False)
            loss, hits = self._loss_and_hits(tf.gather(labels, rows), predictions)
            return start + batch_size, loss_sum + loss * tf.cast(tf.shape(rows)[0], tf.float32), correct + hits

        return self._over_batches(step, count)

    @staticmethod
    def _over_batches(step, count):
        """(loss sum, hits) of `step` run from row 0 in strides until `count`. A plain tf.while_loop
        rather than an AutoGraph `for`: converting the source took most of the 0.8 s trace per run."""
        _, loss_sum, correct = tf.while_loop(lambda start, *_: start < count, step,
                                             (tf.constant(0), tf.constant(0.0), tf.constant(0.0)))
        return loss_sum, correct
