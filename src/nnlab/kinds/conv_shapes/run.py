"""A `conv_shapes` run: each convolution by the formula and by a built Keras Conv2D (ZeroPadding2D for
the padding, as Keras' own padding is only 'valid' or 'same'), and the pooling by a plain loop and by
Keras' MaxPooling2D and AveragePooling2D."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from ... import results
from .schema import TRAIN_EXAMPLES, Config


def dataset(config: Config, data_dir: str | None) -> None:
    return None


def preflight(config: Config, data: None) -> None:
    pass


def output_width(width: int, kernel: int, stride: int, padding: int) -> int:
    """W2 = (W1 - F + 2P) / S + 1, rounded down where S does not divide (as every framework does)."""
    return (width - kernel + 2 * padding) // stride + 1


def pooled(matrix: np.ndarray, size: int, how) -> np.ndarray:
    rows, cols = matrix.shape[0] // size, matrix.shape[1] // size
    return np.array([[how(matrix[i * size:(i + 1) * size, j * size:(j + 1) * size]) for j in range(cols)] for i in range(rows)])


def depth_sum(x: np.ndarray, kernel: np.ndarray, bias: np.ndarray, stride: int, padding: int) -> np.ndarray:
    """The course's formula, summed term by term: a_ij = Σ_d Σ_m Σ_n w_dmn · x_d,(iS+m),(jS+n) + w_b for
    each filter, over the input padded with P zeros on every side (x: W x W x D; kernel: F x F x D x K,
    Keras' layout). The activation f is left out: it is applied to the sum alike on both sides.

        >>> x = np.arange(9.0).reshape(3, 3, 1); w = np.ones((2, 2, 1, 1))
        >>> depth_sum(x, w, np.array([0.5]), stride=1, padding=0)[:, :, 0].tolist()
        [[8.5, 12.5], [20.5, 24.5]]
    """
    x = np.pad(x, ((padding, padding), (padding, padding), (0, 0)))
    size, depth, filters = kernel.shape[0], kernel.shape[2], kernel.shape[3]
    side = (x.shape[0] - size) // stride + 1
    out = np.zeros((side, side, filters))
    for i in range(side):
        for j in range(side):
            for k in range(filters):
                total = bias[k]
                for d in range(depth):
                    for m in range(size):
                        for n in range(size):
                            total += kernel[m, n, d, k] * x[i * stride + m, j * stride + n, d]
                out[i, j, k] = total
    return out


LEARNING_RATE = 0.05  # Adam's: the problem is a least-squares fit of a linear layer, which it solves in a few hundred steps


def train_layer(c, seed: int, steps: int) -> dict:
    """The layer of case `c` trained as any layer is: from Keras' initial weights (seeded), full-batch
    Adam on the mean squared error between its outputs and those of a target layer of the same shape
    whose weights are drawn uniform in [-1, 1], on TRAIN_EXAMPLES inputs drawn likewise. Returns the
    loss before and after, and how far the learned weights end from the target's."""
    import keras
    import tensorflow as tf

    rng = np.random.default_rng([seed, 1])  # apart from the depth-sum draws
    keras.utils.set_random_seed(seed)

    def layer_model():
        padding = [keras.layers.ZeroPadding2D(c.padding)] if c.padding else []
        return keras.Sequential([keras.Input((c.width, c.width, c.channels)), *padding,
                                 keras.layers.Conv2D(c.filters, c.kernel, strides=c.stride)])
    target, student = layer_model(), layer_model()
    weights = [rng.uniform(-1, 1, w.shape).astype(np.float32) for w in target.layers[-1].get_weights()]
    target.layers[-1].set_weights(weights)
    x = rng.uniform(-1, 1, (TRAIN_EXAMPLES, c.width, c.width, c.channels)).astype(np.float32)
    y = keras.ops.convert_to_numpy(target(x))
    student.compile(optimizer=keras.optimizers.Adam(LEARNING_RATE), loss="mse")
    before = float(student.evaluate(x, y, batch_size=TRAIN_EXAMPLES, verbose=0))
    # One fit over the same full batch `steps` times: one Keras epoch, so not `steps` epochs' overhead.
    student.fit(tf.data.Dataset.from_tensors((x, y)).repeat(steps), epochs=1, verbose=0)
    after = float(student.evaluate(x, y, batch_size=TRAIN_EXAMPLES, verbose=0))
    learned = student.layers[-1].get_weights()
    return {"steps": steps, "examples": TRAIN_EXAMPLES, "loss_before": before, "loss_after": after,
            "weights_max_difference": float(max(np.abs(a - b).max() for a, b in zip(learned, weights)))}


def run(study: str, variant_id: str, config: Config, seed: int, data=None, progress=None) -> results.RunOutput:
    import keras  # TensorFlow loads only in the process that computes

    start_time = time.time()
    convolutions = []
    for c in config.convolutions:
        layers = ([keras.layers.ZeroPadding2D(c.padding)] if c.padding else []) + [keras.layers.Conv2D(c.filters, c.kernel, strides=c.stride)]
        model = keras.Sequential([keras.Input((c.width, c.width, c.channels)), *layers])
        shape = model.output_shape
        formula = output_width(c.width, c.kernel, c.stride, c.padding)
        # The depth-D sum: a seeded input and seeded weights through the built layer and through the formula.
        rng = np.random.default_rng(seed)
        x = rng.uniform(-1, 1, (c.width, c.width, c.channels)).astype(np.float32)
        conv = model.layers[-1]
        kernel, bias = (rng.uniform(-1, 1, w.shape).astype(np.float32) for w in conv.get_weights())
        conv.set_weights([kernel, bias])
        by_keras = keras.ops.convert_to_numpy(model(x[None]))[0].astype(np.float64)
        by_formula = depth_sum(x.astype(np.float64), kernel.astype(np.float64), bias.astype(np.float64), c.stride, c.padding)
        convolutions.append({**c.model_dump(), "formula_width": formula, "formula_exact": (c.width - c.kernel + 2 * c.padding) % c.stride == 0,
                             "formula_parameters": (c.kernel * c.kernel * c.channels + 1) * c.filters,
                             "keras_shape": list(shape[1:]), "keras_parameters": int(model.count_params()),
                             "depth_sum_max_difference": float(np.abs(by_keras - by_formula).max()),
                             "depth_sum_example": {"keras": float(by_keras[0, 0, 0]), "formula": float(by_formula[0, 0, 0])},
                             "trained": train_layer(c, seed, config.train_steps)})
    matrix = np.array(config.pooling_input, dtype=np.float32)
    x = matrix[None, :, :, None]
    pooling = {"input": matrix.tolist(), "size": config.pool}
    for name, layer, how in (("max", keras.layers.MaxPooling2D(config.pool), np.max),
                             ("average", keras.layers.AveragePooling2D(config.pool), np.mean)):
        pooling[name] = pooled(matrix, config.pool, how).tolist()
        pooling[f"{name}_keras"] = keras.ops.convert_to_numpy(layer(x))[0, :, :, 0].tolist()
    agree = all(c["keras_shape"] == [c["formula_width"], c["formula_width"], c["filters"]]
                and c["keras_parameters"] == c["formula_parameters"] for c in convolutions) and all(
        np.allclose(pooling[n], pooling[f"{n}_keras"]) for n in ("max", "average"))
    metrics = {"study": study, "variant": variant_id, "seed": seed, "status": "ok", "convolutions": convolutions,
               "pooling": pooling, "all_agree": bool(agree), "wall_time_s": round(time.time() - start_time, 2)}
    return results.RunOutput(metrics, {}, {}, None)


def summarize(study_name: str, study_dir: Path, rows: list[dict], first_histories: dict) -> None:
    results.write_flat_summary(study_dir, rows)
