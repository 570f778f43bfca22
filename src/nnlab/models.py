"""Turn a model spec into the book's Keras MLP, its optimizer, loss and accuracy."""

from __future__ import annotations

import keras
import tensorflow as tf
from tensorflow.python.ops.linalg.sparse import sparse_csr_matrix_ops

from .specs import ModelSpec, OptimizerSpec, ScheduleSpec, is_binary


def output_layer(num_classes: int, override: str | None) -> tuple[int, str]:
    """Units and activation of the output: one sigmoid unit for 0/1 labels, softmax otherwise."""
    if is_binary(num_classes):
        return 1, override or "sigmoid"
    return num_classes, override or "softmax"


class MLP(keras.Model):
    """The book's stack of Dense layers, called layer by layer. A subclassed model rather than
    `keras.Sequential` because its first layer may take a multi-hot batch as (rows, columns) indices."""

    def __init__(self, layers: list[keras.layers.Layer]):
        super().__init__()
        self.stack = layers

    def call(self, inputs, training=False):
        outputs = inputs
        for layer in self.stack:
            outputs = layer(outputs, training=training) if isinstance(layer, keras.layers.Dropout) else layer(outputs)
        return outputs


@tf.custom_gradient
def multi_hot_matmul(kernel, columns, row_ids, rows):
    """x @ kernel for a 0/1 matrix x given by the (row, column) of each 1: the sum of the kernel rows
    a row's words pick (gather-and-sum), ~nnz x units work instead of rows x width x units.

    The gradient is dense, like the book's Dense layer's: every word's weights see the optimizer's
    update each step (RMSprop's and Adam's moments decay for absent words too), so training follows
    the dense model's arithmetic, only in another summation order. It is x^T @ upstream through a CSR
    matrix, the sparse kernels Keras' own TensorFlow backend uses: 3-4x faster here than scattering
    with unsorted_segment_sum or sparse_dense_matmul's adjoint (benchmarks/README.md)."""
    outputs = tf.sparse.segment_sum(kernel, columns, row_ids, num_segments=rows)

    def gradient(upstream):
        indices = tf.stack([tf.cast(row_ids, tf.int64), tf.cast(columns, tf.int64)], axis=1)
        shape = tf.stack([tf.cast(rows, tf.int64), tf.cast(tf.shape(kernel)[0], tf.int64)])
        x = sparse_csr_matrix_ops.sparse_tensor_to_csr_sparse_matrix(indices, tf.ones(tf.shape(columns), kernel.dtype), shape)
        # Transposed first, not with transpose_a=True: that kernel's sums depend on the thread count,
        # and a run's numbers must not depend on --jobs.
        x_transposed = sparse_csr_matrix_ops.sparse_matrix_transpose(x, type=kernel.dtype)
        return sparse_csr_matrix_ops.sparse_matrix_mat_mul(x_transposed, upstream), None, None, None

    return outputs, gradient


class MultiHotDense(keras.layers.Dense):
    """`keras.layers.Dense` (same weights, initialisers and output) for a multi-hot input given as
    `(row_ids, columns, rows)`: for each 1 of the batch its row (sorted) and column, and the row count.

    Example: the batch [[0, 1, 0, 1], [1, 0, 0, 0]] is ([0, 0, 1], [1, 3, 0], 2); the layer returns
    activation([kernel[1] + kernel[3], kernel[0]] + bias), as Dense does on the dense batch."""

    def __init__(self, units: int, input_width: int, **kwargs):
        super().__init__(units, **kwargs)
        self.build((None, input_width))
        self.input_spec = None  # Dense's spec expects one dense tensor; this layer takes three

    def call(self, inputs):
        row_ids, columns, rows = inputs
        outputs = multi_hot_matmul(self.kernel.value, columns, row_ids, rows)
        if self.use_bias:
            outputs = outputs + self.bias
        return self.activation(outputs) if self.activation is not None else outputs


def build_model(spec: ModelSpec, input_width: int, num_classes: int, multi_hot: bool = False, seed: int = 0) -> MLP:
    """The MLP of the spec. With `multi_hot`, the first layer reads (row_ids, columns, rows) batches.
    With dropout, a Dropout layer (its masks drawn from `seed`) follows each hidden layer."""
    units, activation = output_layer(num_classes, spec.output_activation)
    init = {"kernel_initializer": spec.kernel_initializer, "bias_initializer": spec.bias_initializer}
    shapes = list(zip(spec.widths, spec.activations)) + [(units, activation)]
    layers, width_in = [], input_width
    for depth, (width, act) in enumerate(shapes):
        if depth == 0 and multi_hot:
            layers.append(MultiHotDense(width, input_width, activation=act, **init))
        else:
            layer = keras.layers.Dense(width, activation=act, **init)
            layer.build((None, width_in))
            layers.append(layer)
        width_in = width
        if spec.dropout and depth < len(shapes) - 1:
            layers.append(keras.layers.Dropout(spec.dropout, seed=seed + depth))
    return MLP(layers)


def build_schedule(spec: ScheduleSpec, learning_rate: float, steps_per_epoch: int):
    """A Keras schedule; counts given in epochs become batch steps, which Keras counts in."""
    per = steps_per_epoch if spec.unit == "epoch" else 1
    schedules = keras.optimizers.schedules
    if spec.name == "piecewise_constant":
        return schedules.PiecewiseConstantDecay([int(b * per) for b in spec.boundaries], list(spec.values))
    if spec.name == "cosine_decay":
        return schedules.CosineDecay(learning_rate, int(spec.decay_steps * per), alpha=spec.alpha)
    decay = schedules.ExponentialDecay if spec.name == "exponential_decay" else schedules.InverseTimeDecay
    return decay(learning_rate, spec.decay_steps * per, spec.decay_rate, staircase=spec.staircase)


def build_optimizer(spec: OptimizerSpec, steps_per_epoch: int = 1) -> keras.optimizers.Optimizer:
    optimizer_class = type(keras.optimizers.get(spec.name))
    params = spec.params
    if spec.schedule:
        start = params.get("learning_rate", optimizer_class().learning_rate)
        params["learning_rate"] = build_schedule(spec.schedule, float(keras.ops.convert_to_numpy(start)), steps_per_epoch)
    return optimizer_class(**params)
