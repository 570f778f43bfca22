"""An `xor` run: `repeats` 2-H-1 nets trained at once, full-batch, each from its own initialisation;
how often it solves XOR, how often a ReLU unit dies, whether symmetric initial weights ever break."""

from __future__ import annotations

import inspect
import time
from pathlib import Path

import numpy as np

from ... import results
from ...spec_tables import PRELU_INITIAL_SLOPE, RRELU_SLOPES
from . import figures
from .schema import Config

# --- before anything trains: nothing to load

def dataset(config: Config, data_dir: str | None) -> None:
    return None


def preflight(config: Config, data: None) -> None:
    pass


# --- one run -------------------------------------------------------------------------------------

XOR_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
XOR_Y = np.array([0, 1, 1, 0], dtype=np.float32)
CHECKPOINTS = 100  # loss samples kept per XOR run for the curves

def initial_seeds(seed: int, repeats: int) -> np.ndarray:
    """(repeats, 4) initializer seeds, one row per repeat for its W1, b1, W2 and b2. Each repeat is a
    child of numpy's SeedSequence(seed), so the draws of every repeat (and of every seed) come from
    independent streams, and repeat i is the same whatever the number of repeats."""
    children = np.random.SeedSequence(seed).spawn(repeats)
    # Keras seeds are int32-sized; 31 bits keep them positive on every backend.
    return np.array([child.generate_state(4) >> 1 for child in children], dtype=np.int64)


def _initial(name: str, shape: tuple[int, ...], seeds, fan_in: int) -> np.ndarray:
    """One draw of a Keras initializer per repeat, each from its own seed, stacked; torch_default is
    PyTorch's nn.Linear default, uniform in ±1/√fan_in, drawn by numpy from the same seeds."""
    if name == "torch_default":
        bound = 1 / np.sqrt(fan_in)
        return np.stack([np.random.default_rng(int(s)).uniform(-bound, bound, shape) for s in seeds]).astype(np.float32)
    import keras  # TensorFlow loads only in the process that trains

    cls = type(keras.initializers.get(name))
    takes_seed = "seed" in inspect.signature(cls.__init__).parameters
    draws = [(cls(seed=int(s)) if takes_seed else cls())(shape) for s in seeds]
    return np.stack([keras.ops.convert_to_numpy(d) for d in draws]).astype(np.float32)


def initial_parameters(config: Config, seed: int) -> list[np.ndarray]:
    """W1 (repeats, 2, H), b1 (repeats, H), W2 (repeats, H, 1), b2 (repeats, 1) before training."""
    m, h = config.model, config.model.units
    seeds = initial_seeds(seed, config.repeats)
    return [_initial(m.kernel_initializer, (2, h), seeds[:, 0], 2), _initial(m.bias_initializer, (h,), seeds[:, 1], 2),
            _initial(m.kernel_initializer, (h, 1), seeds[:, 2], h), _initial(m.bias_initializer, (1,), seeds[:, 3], h)]


def fit_xor(config: Config, seed: int) -> dict[str, np.ndarray]:
    """Train `repeats` independent 2-H-1 nets at once: the parameters carry a leading repeat axis
    and the summed loss gives each net exactly its own gradient, so one loop trains them all."""
    import keras  # TensorFlow and its callers load only in the process that trains
    import tensorflow as tf

    from ...training import seed_everything

    seed_everything(seed)
    n = config.repeats
    params = [tf.Variable(p) for p in initial_parameters(config, seed)]
    if config.model.activation == "prelu":  # its slopes, one per unit of every repeat, from PReLU's 0.25
        params.append(tf.Variable(np.full((n, config.model.units), PRELU_INITIAL_SLOPE, np.float32)))
        activation = lambda z, training: tf.maximum(z, 0.0) + params[4][:, None, :] * tf.minimum(z, 0.0)
    elif config.model.activation == "rrelu":
        activation = _rrelu(seed)
    else:
        keras_activation = keras.activations.get(config.model.activation)
        activation = lambda z, training: keras_activation(z)
    x, y = tf.constant(XOR_X), tf.constant(XOR_Y)
    # Adam and Adagrad work element by element: each repeat's parameters still see only their own gradient.
    stepper = {"adam": keras.optimizers.Adam, "adagrad": keras.optimizers.Adagrad}.get(config.optimizer)
    stepper = stepper(config.learning_rate) if stepper is not None else None
    if stepper is not None:
        stepper.build(params)

    def forward(training=False):
        pre = tf.einsum("pi,rih->rph", x, params[0]) + params[1][:, None, :]
        out = tf.einsum("rph,rho->rpo", activation(pre, training), params[2])[..., 0] + params[3]
        return pre, out

    def loss_of(out):
        if config.loss == "binary_crossentropy":
            return tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=tf.broadcast_to(y, tf.shape(out)), logits=out), axis=1)
        return tf.reduce_mean((out - y) ** 2, axis=1)

    @tf.function
    def steps(count):
        losses = tf.zeros([n])
        for _ in tf.range(count):
            with tf.GradientTape() as tape:
                _, out = forward(training=True)
                losses = loss_of(out)
                total = tf.reduce_sum(losses)
            grads = tape.gradient(total, params)
            if stepper is not None:
                stepper.apply(grads, params)
            else:
                for p, g in zip(params, grads):
                    p.assign_sub(config.learning_rate * g)
        return losses

    per_chunk = max(1, config.steps // CHECKPOINTS)
    curve, at, done = [], [], 0
    while done < config.steps:
        count = min(per_chunk, config.steps - done)
        curve.append(steps(tf.constant(count)).numpy())
        done += count
        at.append(done)
    pre, out = (t.numpy() for t in forward())
    if config.loss == "binary_crossentropy":
        out = 1 / (1 + np.exp(-out))  # the prediction is the logit's sigmoid
    w1, b1, w2, b2 = (p.numpy() for p in params[:4])
    return {"w1": w1, "b1": b1, "w2": w2, "b2": b2, "pre": pre, "out": out, "curve": np.array(curve),
            "steps": np.array(at), "init_seeds": initial_seeds(seed, n)}


def _rrelu(seed: int):
    """RReLU as a function of (z, training): in training a fresh slope for every negative input at every
    step, uniform in RRELU_SLOPES, from a generator of the run's seed (so a rerun draws the same ones);
    at test their mean. Each repeat's inputs draw their own slopes, so the repeats stay independent."""
    import tensorflow as tf

    lower, upper = RRELU_SLOPES
    generator = tf.random.Generator.from_seed(seed)

    def activation(z, training):
        slope = generator.uniform(tf.shape(z), lower, upper) if training else (lower + upper) / 2
        return tf.maximum(z, 0.0) + slope * tf.minimum(z, 0.0)
    return activation


def run(study: str, variant_id: str, config: Config, seed: int, data=None, progress=None) -> results.RunOutput:
    start_time = time.time()
    f = fit_xor(config, seed)
    n = config.repeats
    solved = np.all(np.abs(f["out"] - XOR_Y) < 0.5, axis=1)
    dead = np.all(f["pre"] <= 0, axis=1)  # (repeat, unit): never active on any of the four points
    w1, b1 = f["w1"], f["b1"]
    identical = np.all(np.isclose(w1, w1[:, :, :1]), axis=(1, 2)) & np.all(np.isclose(b1, b1[:, :1]), axis=1)
    final = f["curve"][-1]
    example = int(np.argmax(solved)) if solved.any() else 0
    metrics = {
        "repeats": n, "solved": int(solved.sum()), "solved_rate": float(solved.mean()),
        "runs_with_dead_unit": int(dead.any(axis=1).sum()), "dead_unit_rate": float(dead.any(axis=1).mean()),
        "mean_dead_units": float(dead.sum(axis=1).mean()), "identical_units_rate": float(identical.mean()),
        "final_loss_median": float(np.median(final)), "final_loss_mean": float(final.mean()),
        "example": {"repeat": example, "solved": bool(solved[example]), "init_seeds": f["init_seeds"][example].tolist(),
                    "W1": w1[example].tolist(), "b1": b1[example].tolist(), "W2": f["w2"][example][:, 0].tolist(),
                    "b2": float(f["b2"][example][0]), "predictions": f["out"][example].tolist()},
    }
    metrics = {"study": study, "variant": variant_id, "seed": seed, "status": "ok", **metrics,
               "wall_time_s": round(time.time() - start_time, 2)}
    fig = figures.xor_curves(f["steps"].tolist(), f["curve"], solved, f"{config.name}: loss of {n} runs")
    return results.RunOutput(metrics, {}, {"curves.png": fig}, None)



def summarize(study_name: str, study_dir: Path, rows: list[dict], first_histories: dict) -> None:
    results.write_flat_summary(study_dir, rows)
