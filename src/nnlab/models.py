"""Turn a model spec into the book's Keras MLP (a convolutional stack ahead of it where the spec has
one), its optimizer, loss and accuracy."""

from __future__ import annotations

import keras
import tensorflow as tf
from tensorflow.python.ops.linalg.sparse import sparse_csr_matrix_ops

from .optimizer_specs import OptimizerSpec, RegularizerSpec, ScheduleSpec
from .specs import IMAGE_SIDE, ModelSpec, is_binary


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
            takes_training = isinstance(layer, (keras.layers.Dropout, keras.layers.BatchNormalization))
            outputs = layer(outputs, training=training) if takes_training else layer(outputs)
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
    A hidden layer is Dense, then batch normalisation (batch_norm), then its activation (a function,
    or a LeakyReLU with the spec's negative_slope, or a learned-slope PReLU layer), then Dropout
    (its masks drawn from `seed`). Penalties (kernel_regularizer, bias_regularizer) are the hidden layers'."""
    units, activation = output_layer(num_classes, spec.output_activation)
    init = {"kernel_initializer": spec.kernel_initializer, "bias_initializer": spec.bias_initializer}
    # On the hidden layers, as the book's chapter 4 puts l2(0.001) on its two Dense(16) layers only.
    penalties = {"kernel_regularizer": build_regularizer(spec.kernel_regularizer),
                 "bias_regularizer": build_regularizer(spec.bias_regularizer)}
    hidden = list(zip(spec.widths, spec.layer_activations, spec.dropout_rates))
    layers, width_in = conv_layers(spec, init) if spec.conv else ([], input_width)
    for depth, (width, act, rate) in enumerate([*hidden, (units, activation, 0.0)]):
        output = depth == len(hidden)
        if spec.kernel_init_range is not None:  # a fresh instance per layer: each draws its own weights
            init = {**init, "kernel_initializer": keras.initializers.RandomUniform(*spec.kernel_init_range)}
        # Where the activation is its own layer (after batch norm, or a layer with parameters), Dense is linear.
        separate = not output and (spec.batch_norm or act == "prelu" or (act == "leaky_relu" and spec.negative_slope))
        dense_activation = None if separate else act
        options = init if output else {**init, **penalties}
        if depth == 0 and multi_hot:
            layers.append(MultiHotDense(width, input_width, activation=dense_activation, **options))
        else:
            layer = keras.layers.Dense(width, activation=dense_activation, **options)
            layer.build((None, width_in))
            layers.append(layer)
        width_in = width
        if separate:
            # Built here, as the Dense layers are: the optimizer is built on the variables that exist then.
            if spec.batch_norm:
                layers.append(keras.layers.BatchNormalization())
                layers[-1].build((None, width))
            layers.append(activation_layer(act, spec.negative_slope))
            layers[-1].build((None, width))
        if rate:
            layers.append(keras.layers.Dropout(rate, seed=seed + depth))
    return MLP(layers)


def conv_layers(spec: ModelSpec, init: dict) -> tuple[list[keras.layers.Layer], int]:
    """The convolutional stack ahead of the Dense layers (spec.conv): the flat 784-pixel row read as a
    28 x 28 x 1 image, each convolution and pooling as Keras has it, then flattened; each layer built
    here, as the Dense ones are. Returns the layers and the flattened width the first Dense reads.
    The convolutions take the net's initialisers (kernel_init_range included); the penalties stay the
    hidden Dense layers', as the model spec says."""
    shape = (None, IMAGE_SIDE, IMAGE_SIDE, 1)
    layers = [keras.layers.Reshape(shape[1:])]
    for layer in spec.conv:
        if layer.type == "conv2d":
            if spec.kernel_init_range is not None:
                init = {**init, "kernel_initializer": keras.initializers.RandomUniform(*spec.kernel_init_range)}
            made = keras.layers.Conv2D(layer.filters, layer.kernel, strides=layer.stride, padding=layer.padding,
                                       activation=layer.activation, **init)
        else:
            pooling = keras.layers.MaxPooling2D if layer.type == "max_pooling2d" else keras.layers.AveragePooling2D
            made = pooling(layer.size, strides=layer.stride or layer.size, padding=layer.padding)
        made.build(shape)
        shape = made.compute_output_shape(shape)
        layers.append(made)
    layers.append(keras.layers.Flatten())
    return layers, int(shape[1] * shape[2] * shape[3])


def activation_layer(name: str, negative_slope: float | None) -> keras.layers.Layer:
    if name == "prelu":
        return keras.layers.PReLU()
    if name == "leaky_relu":
        return keras.layers.LeakyReLU(negative_slope=negative_slope if negative_slope is not None else 0.2)
    return keras.layers.Activation(name)


def build_regularizer(spec: RegularizerSpec | None) -> keras.regularizers.Regularizer | None:
    if spec is None:
        return None
    if spec.name == "l1_l2":
        return keras.regularizers.L1L2(l1=spec.l1 or 0.0, l2=spec.l2 or 0.0)
    return {"l1": keras.regularizers.L1, "l2": keras.regularizers.L2}[spec.name](spec.factor)


def build_schedule(spec: ScheduleSpec, learning_rate: float, steps_per_epoch: int):
    """A Keras schedule; counts given in epochs become batch steps, which Keras counts in."""
    per = steps_per_epoch if spec.unit == "epoch" else 1
    schedules = keras.optimizers.schedules
    if spec.name == "piecewise_constant":
        return schedules.PiecewiseConstantDecay([int(b * per) for b in spec.boundaries], list(spec.values))
    if spec.name == "cosine_decay":
        return schedules.CosineDecay(learning_rate, int(spec.decay_steps * per), alpha=spec.alpha)
    if spec.name == "polynomial_decay":
        return schedules.PolynomialDecay(learning_rate, spec.decay_steps * per, end_learning_rate=spec.end_learning_rate,
                                         power=spec.power)
    decay = schedules.ExponentialDecay if spec.name == "exponential_decay" else schedules.InverseTimeDecay
    return decay(learning_rate, spec.decay_steps * per, spec.decay_rate, staircase=spec.staircase)


def build_optimizer(spec: OptimizerSpec, steps_per_epoch: int = 1) -> keras.optimizers.Optimizer:
    optimizer_class = type(keras.optimizers.get(spec.name))
    # Keras refuses a whole-number rate or momentum (`momentum: 0`); the schema has checked the range.
    params = {k: float(v) if isinstance(v, int) and not isinstance(v, bool) else v for k, v in spec.params.items()}
    if spec.schedule:
        start = params.get("learning_rate", optimizer_class().learning_rate)
        params["learning_rate"] = build_schedule(spec.schedule, float(keras.ops.convert_to_numpy(start)), steps_per_epoch)
    return optimizer_class(**params)
