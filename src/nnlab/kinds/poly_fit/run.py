"""A `poly_fit` run: the sample drawn from the seed, then `repeats` 1-H-...-1 nets fitted to it at once,
full-batch. The parameters carry a leading repeat axis and the summed loss gives each net exactly its
own gradient (Adam and SGD update element by element), so one loop of 5000 epochs trains them all
in seconds, as the XOR kind does."""

from __future__ import annotations

import inspect
import time
from pathlib import Path

import numpy as np

from ... import results
from . import figures
from .schema import Config

CHECKPOINTS = 100  # MSE samples kept per run for the curves
GRID = 200  # points the fitted curves are drawn at


def dataset(config: Config, data_dir: str | None) -> None:
    return None  # the sample is drawn from the run's seed (and recorded in its data.json)


def preflight(config: Config, data: None) -> None:
    pass


def truth(config: Config, x: np.ndarray) -> np.ndarray:
    return np.polynomial.polynomial.polyval(x, config.coefficients)


def sample(config: Config, seed: int) -> dict[str, np.ndarray]:
    """The training and validation samples: x uniform on the interval, y the polynomial plus noise.
    A function of the seed alone (numpy's generator seeded by [seed, 0] and [seed, 1])."""
    low, high = config.x_range
    out = {}
    for part, (count, stream) in {"train": (config.train_points, 0), "val": (config.validation_points, 1)}.items():
        rng = np.random.default_rng([seed, stream])
        x = np.sort(rng.uniform(low, high, count))
        out[f"x_{part}"], out[f"y_{part}"] = x, truth(config, x) + config.noise * rng.standard_normal(count)
    return out


def _initial(name: str, shape: tuple[int, ...], seeds) -> np.ndarray:
    import keras  # TensorFlow loads only in the process that trains

    cls = type(keras.initializers.get(name))
    takes_seed = "seed" in inspect.signature(cls.__init__).parameters
    draws = [(cls(seed=int(s)) if takes_seed else cls())(shape) for s in seeds]
    return np.stack([keras.ops.convert_to_numpy(d) for d in draws]).astype(np.float32)


def fit(config: Config, seed: int) -> dict:
    """Train the repeats; the curves (train and validation MSE per repeat at each checkpoint), the
    lowest validation MSE of each repeat and its epoch, and the fitted curves on a grid."""
    import keras  # TensorFlow and its callers load only in the process that trains
    import tensorflow as tf

    from ...training import seed_everything

    seed_everything(seed)
    data = sample(config, seed)
    mean, scale = (data["x_train"].mean(), data["x_train"].std() or 1.0) if config.normalize else (0.0, 1.0)
    widths = [1, *config.model.units, 1]
    n = config.repeats
    # Each repeat's layers draw from its own child of SeedSequence(seed): independent initialisations.
    seeds = np.array([child.generate_state(len(widths) - 1) >> 1 for child in np.random.SeedSequence(seed).spawn(n)])
    params = []
    for k, (fan_in, fan_out) in enumerate(zip(widths, widths[1:])):
        params += [tf.Variable(_initial(config.model.kernel_initializer, (fan_in, fan_out), seeds[:, k])),
                   tf.Variable(np.zeros((n, fan_out), np.float32))]
    activation = keras.activations.get(config.model.activation)
    features = lambda x: tf.constant(((x - mean) / scale).astype(np.float32))
    x_train, x_val = features(data["x_train"]), features(data["x_val"])
    y_train, y_val = (tf.constant(data[k].astype(np.float32)) for k in ("y_train", "y_val"))
    optimizer = (keras.optimizers.Adam if config.optimizer == "adam" else keras.optimizers.SGD)(config.learning_rate)
    optimizer.build(params)
    lowest, lowest_at = tf.Variable(tf.fill([n], np.inf)), tf.Variable(tf.zeros([n], tf.int32))
    # The first epoch each repeat's training MSE is within twice the noise (0: not yet): how fast it learns.
    fit_at, fit_bound = tf.Variable(tf.zeros([n], tf.int32)), tf.constant(2 * config.noise ** 2, tf.float32)

    def forward(x):
        h = tf.tile(x[None, :, None], [n, 1, 1])
        for k in range(0, len(params), 2):
            h = tf.einsum("rpi,rio->rpo", h, params[k]) + params[k + 1][:, None, :]
            if k < len(params) - 2:
                h = activation(h)
        return h[..., 0]

    mse = lambda x, y: tf.reduce_mean((forward(x) - y) ** 2, axis=1)

    @tf.function
    def epochs(first, count):
        train = val = tf.zeros([n])
        for epoch in tf.range(first, first + count):
            with tf.GradientTape() as tape:
                train = mse(x_train, y_train)
                total = tf.reduce_sum(train)
            optimizer.apply(tape.gradient(total, params), params)
            val = mse(x_val, y_val)
            fit_at.assign(tf.where((fit_at == 0) & (train <= fit_bound), epoch + 1, fit_at))
            better = val < lowest
            lowest.assign(tf.where(better, val, lowest))
            lowest_at.assign(tf.where(better, epoch + 1, lowest_at))
        return train, val

    per_chunk = max(1, config.epochs // CHECKPOINTS)
    train_curve, val_curve, at, done = [], [], [], 0
    while done < config.epochs:
        count = min(per_chunk, config.epochs - done)
        train, val = epochs(tf.constant(done), tf.constant(count))
        train_curve.append(train.numpy())
        val_curve.append(val.numpy())
        done += count
        at.append(done)
    grid = np.linspace(*config.x_range, GRID)
    return {"data": data, "epochs": np.array(at), "train": np.array(train_curve), "val": np.array(val_curve),
            "final_train": mse(x_train, y_train).numpy(), "final_val": mse(x_val, y_val).numpy(),
            "lowest": lowest.numpy(), "lowest_at": lowest_at.numpy(), "fit_at": fit_at.numpy(), "grid": grid,
            "fits": forward(features(grid)).numpy()}


def run(study: str, variant_id: str, config: Config, seed: int, data=None, progress=None) -> results.RunOutput:
    start_time = time.time()
    f = fit(config, seed)
    floor = config.noise ** 2  # what the true polynomial itself scores on fresh noisy points
    # A repeat whose loss stopped being finite (a rate too large for raw x, say) is counted, not averaged.
    finite = np.isfinite(f["final_train"]) & np.isfinite(f["final_val"])
    median = lambda values: float(np.median(values[finite])) if finite.any() else None
    reached = finite & (f["fit_at"] > 0)
    metrics = {
        "study": study, "variant": variant_id, "seed": seed, "status": "ok" if finite.any() else "diverged",
        "repeats": config.repeats, "diverged_repeats": int((~finite).sum()), "epochs": config.epochs,
        "normalize": config.normalize, "noise_floor": floor,
        "final_train_mse": median(f["final_train"]), "final_val_mse": median(f["final_val"]),
        "min_val_mse": median(f["lowest"]), "min_val_epoch": median(f["lowest_at"]),
        "overfit": median(f["final_val"] - f["lowest"]),
        # Median over the repeats that got there, with how many did: the first epoch of training MSE <= 2 sigma^2.
        "epochs_to_fit": float(np.median(f["fit_at"][reached])) if reached.any() else None,
        "repeats_fitted": int(reached.sum()),
        "wall_time_s": round(time.time() - start_time, 2),
    }
    files = {"data.json": {k: v.tolist() for k, v in f["data"].items()},
             "curves.json": {"epochs": f["epochs"].tolist(), "train_mse": f["train"].tolist(), "val_mse": f["val"].tolist(),
                             "grid": f["grid"].tolist(), "fits": f["fits"].tolist()}}
    figure = figures.poly_fit(f["data"], f["grid"], truth(config, f["grid"]), f["fits"], f["epochs"], f["train"], f["val"],
                            floor, f"{study} / {variant_id} / seed {seed}")
    return results.RunOutput(metrics, files, {"fit.png": figure}, None)


def summarize(study_name: str, study_dir: Path, rows: list[dict], first_histories: dict) -> None:
    results.write_flat_summary(study_dir, rows)
