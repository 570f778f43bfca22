"""The `xor` kind: the 2-H-1 net of the course on the four XOR points, trained full-batch from many
initialisations at once; how often it solves XOR, how often a ReLU unit dies, whether symmetric
initial weights ever break. Also the zero-initialisation exercise (configs/zero_init.yaml).
"""

from __future__ import annotations

import inspect
import statistics
import time
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import Field, StrictInt

from .. import plots, results
from ..report_data import StudyResults, VariantStats
from ..report_parts import copied_image, image, markdown_table
from ..specs import Activation, Initializer, Strict, StudyBase

NAME = "xor"
# The kind's own run format (runner.run_key): 2 since each repeat draws from its own SeedSequence
# child. Before, repeat i drew W1, b1, W2, b2 from seeds s+i .. s+i+3, so repeat i's W2 was a rescaled
# row of repeat (i+2)'s W1: the "independent" initialisations were not.
REVISION = 2

# The course's net has 2 to 8 hidden units and 100 repeats; every repeat trains in the same batch, so
# memory grows with repeats x units.
MAX_UNITS = 1_024
MAX_REPEATS = 10_000
# Memory does not grow with steps (the curve keeps 100 samples), time does: 100x the course's 10,000.
MAX_STEPS = 1_000_000


class XorModel(Strict):
    units: StrictInt = Field(2, gt=0, le=MAX_UNITS)
    activation: Activation = "relu"
    kernel_initializer: Initializer = "glorot_uniform"
    bias_initializer: Initializer = "zeros"


class Config(StudyBase):
    """The 2-H-1 network on the four XOR points, trained full-batch many times from different seeds."""

    kind: Literal["xor"]
    model: XorModel = XorModel()
    learning_rate: float = Field(0.01, gt=0)
    steps: StrictInt = Field(10000, gt=0, le=MAX_STEPS, description="full-batch SGD steps on MSE")
    repeats: StrictInt = Field(100, gt=0, le=MAX_REPEATS, description="independent initialisations drawn from each seed")


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


def _initial(name: str, shape: tuple[int, ...], seeds) -> np.ndarray:
    """One draw of a Keras initializer per repeat, each from its own seed, stacked."""
    import keras

    cls = type(keras.initializers.get(name))
    takes_seed = "seed" in inspect.signature(cls.__init__).parameters
    draws = [(cls(seed=int(s)) if takes_seed else cls())(shape) for s in seeds]
    return np.stack([keras.ops.convert_to_numpy(d) for d in draws]).astype(np.float32)


def initial_parameters(config: Config, seed: int) -> list[np.ndarray]:
    """W1 (repeats, 2, H), b1 (repeats, H), W2 (repeats, H, 1), b2 (repeats, 1) before training."""
    m, h = config.model, config.model.units
    seeds = initial_seeds(seed, config.repeats)
    return [_initial(m.kernel_initializer, (2, h), seeds[:, 0]), _initial(m.bias_initializer, (h,), seeds[:, 1]),
            _initial(m.kernel_initializer, (h, 1), seeds[:, 2]), _initial(m.bias_initializer, (1,), seeds[:, 3])]


def fit_xor(config: Config, seed: int) -> dict[str, np.ndarray]:
    """Train `repeats` independent 2-H-1 nets at once: the parameters carry a leading repeat axis
    and the summed loss gives each net exactly its own gradient, so one loop trains them all."""
    import keras
    import tensorflow as tf  # loaded only in the process that trains

    from ..training import seed_everything

    seed_everything(seed)
    n = config.repeats
    params = [tf.Variable(p) for p in initial_parameters(config, seed)]
    activation = keras.activations.get(config.model.activation)
    x, y = tf.constant(XOR_X), tf.constant(XOR_Y)

    def forward():
        pre = tf.einsum("pi,rih->rph", x, params[0]) + params[1][:, None, :]
        out = tf.einsum("rph,rho->rpo", activation(pre), params[2])[..., 0] + params[3]
        return pre, out

    @tf.function
    def steps(count):
        losses = tf.zeros([n])
        for _ in tf.range(count):
            with tf.GradientTape() as tape:
                _, out = forward()
                losses = tf.reduce_mean((out - y) ** 2, axis=1)
                total = tf.reduce_sum(losses)
            grads = tape.gradient(total, params)
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
    w1, b1, w2, b2 = (p.numpy() for p in params)
    return {"w1": w1, "b1": b1, "w2": w2, "b2": b2, "pre": pre, "out": out, "curve": np.array(curve),
            "steps": np.array(at), "init_seeds": initial_seeds(seed, n)}


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
    metrics = {"study": study, "variant": variant_id, "seed": seed, "kind": NAME, "status": "ok", **metrics,
               "wall_time_s": round(time.time() - start_time, 2)}
    fig = plots.xor_curves(f["steps"].tolist(), f["curve"], solved, f"{config.name}: loss of {n} runs")
    return results.RunOutput(metrics, {}, {"curves.png": fig}, None)


def check(folder: Path, metrics: dict, files: dict, trial: bool) -> list[tuple[str, str]]:
    """What a finished run of this kind must show on disk (nnlab verify): its figure."""
    return [] if (folder / "curves.png").is_file() else [("curves.png", "is missing")]


def headline(metrics: dict) -> str:
    return (f"done ({metrics['wall_time_s']:.1f}s): solved {metrics['solved']}/{metrics['repeats']} "
            f"({metrics['solved_rate']:.0%}); runs with a dead hidden unit "
            f"{metrics['dead_unit_rate']:.0%}; hidden units identical {metrics['identical_units_rate']:.0%}\n"
            + describe_solution(metrics["example"]))


def show(config: dict | None, metrics: dict | None) -> list[tuple[str, str]]:
    if config is not None:
        m = config["model"]
        return [("model", f"2-{m['units']}-1, {m['activation']} hidden units, initialisers {m['kernel_initializer']} / "
                          f"{m['bias_initializer']}"),
                ("training", f"{config['steps']} full-batch SGD steps at lr {config['learning_rate']} on MSE, "
                             f"{config['repeats']} initialisations")]
    m = metrics
    return [("status", m["status"]),
            ("solved", f"{m['solved']}/{m['repeats']} ({m['solved_rate']:.0%}); median final MSE {m['final_loss_median']:.3g}"),
            ("units", f"runs with a dead hidden unit {m['dead_unit_rate']:.0%} (mean {m['mean_dead_units']:.2f} dead units); "
                      f"hidden units identical {m['identical_units_rate']:.0%}"),
            ("example", describe_solution(m["example"])), ("time", f"{m['wall_time_s']:.1f}s")]


def _init_text(example: dict) -> str:
    if "init_seeds" in example:
        return "initializer seeds (W1, b1, W2, b2) " + ", ".join(map(str, example["init_seeds"]))
    return f"init seed {example['init_seed']}"  # a run of the kind's first revision


def describe_solution(example: dict) -> str:
    """The learned weights of one run, as the course prints them."""
    lines = [f"repeat {example['repeat']} ({'solved' if example['solved'] else 'NOT solved'}), {_init_text(example)}"]
    for j, (col, bias) in enumerate(zip(np.array(example["W1"]).T, example["b1"])):
        lines.append(f"  hidden {j}: w = [{col[0]:+.4f}, {col[1]:+.4f}], b = {bias:+.4f}, out weight {example['W2'][j]:+.4f}")
    lines.append(f"  output bias {example['b2']:+.4f}; predictions for (0,0),(0,1),(1,0),(1,1): "
                 + ", ".join(f"{p:.3f}" for p in example["predictions"]))
    return "\n".join(lines)


# --- the study and the report ------------------------------------------------------------------

def summarize(study_name: str, study_dir: Path, rows: list[dict], first_histories: dict) -> None:
    results.write_flat_summary(study_dir, rows)


def rates(variant: VariantStats) -> dict[str, float | int]:
    """Over every finished run of a variant, all its initialisations pooled: counts and shares."""
    ms = [r.metrics for r in variant.runs if r.ok]
    runs = sum(m["repeats"] for m in ms)
    solved = sum(m["solved"] for m in ms)
    return {"runs": runs, "solved": solved, "solved_rate": solved / runs,
            "dead_unit_rate": sum(m["runs_with_dead_unit"] for m in ms) / runs,
            "identical_rate": sum(m["identical_units_rate"] * m["repeats"] for m in ms) / runs,
            "final_loss_median": statistics.median(m["final_loss_median"] for m in ms)}


def section(root: Path, study: StudyResults) -> list[str]:
    c = study.config
    scored = [v for v in study.variants if v.n]
    shares = {v.name: rates(v) for v in scored}
    best = max(scored, key=lambda v: shares[v.name]["solved_rate"], default=None)
    found = (f"**{best.name}** solves XOR most often ({shares[best.name]['solved']}/{shares[best.name]['runs']} runs); "
             + "; ".join(f"{v.name} {shares[v.name]['solved']}/{shares[v.name]['runs']}" for v in scored if v is not best) + "."
             if best else "no run finished.")
    lines = study.heading(found) + [
        f"A 2-H-1 net (H hidden units, see the variant) on the four XOR points, {c['steps']} full-batch SGD steps at "
        f"lr {c['learning_rate']} on MSE, {c['repeats']} initialisations per variant and seed. Solved: every "
        "output within 0.5 of its target. Dead unit: a hidden unit whose pre-activation is ≤ 0 on all four "
        "points (for ReLU it then never learns again). Identical units: all hidden units end with the same "
        "weights (symmetry never broken).", ""]
    rows = []
    for v in study.variants:
        if v.name not in shares:
            rows.append([v.name] + ["—"] * 6)
            continue
        x = shares[v.name]
        low, high = proportion_interval(x["solved"], x["runs"])
        rows.append([study.label(v), x["runs"], x["solved"], f"{x['solved_rate']:.2f} ({low:.2f}–{high:.2f})",
                     f"{x['dead_unit_rate']:.2f}", f"{x['identical_rate']:.2f}", f"{x['final_loss_median']:.3g}"])
    lines += markdown_table(["variant", "runs", "solved", "solved rate (95% Wilson CI)", "runs with a dead unit",
                             "units identical", "median final MSE"], rows)
    lines.append("")
    base = study.variant(study.baseline)
    if base.name in shares:
        lines += [f"- {xor_sentence(v, base)}" for v in scored if v.name != study.baseline]
    if scored:
        fig = plots.rate_bars([v.name for v in scored],
                              {"solved": [shares[v.name]["solved_rate"] for v in scored],
                               "run with a dead unit": [shares[v.name]["dead_unit_rate"] for v in scored],
                               "units identical": [shares[v.name]["identical_rate"] for v in scored]},
                              ["tab:green", "tab:red", "tab:grey"], f"{study.name}: share of runs", "fraction of runs")
        lines += ["", image(fig, root, f"{study.name}-rates.png", f"{study.name} rates")]
        example = next((r for v in scored for r in v.runs if r.ok and r.metrics["example"]["solved"]), None)
        if example:
            lines += ["", f"Learned weights of one successful run ({example.metrics['variant']}, seed "
                      f"{example.metrics['seed']}):", "", "```", describe_solution(example.metrics["example"]), "```"]
        for v in scored:
            lines += ["", copied_image(root, v.runs[0].folder / "curves.png", f"{study.name}-{v.name}-curves.png",
                                       f"{study.name} {v.name} loss curves")]
    return lines + [""]


def proportion_interval(successes: int, total: int) -> tuple[float, float]:
    from scipy import stats as scipy_stats

    interval = scipy_stats.binomtest(successes, total).proportion_ci(0.95, method="wilson")
    return float(interval.low), float(interval.high)


def xor_sentence(v: VariantStats, base: VariantStats) -> str:
    from scipy import stats as scipy_stats

    ours, theirs = rates(v), rates(base)
    (a, n), (b, m) = (ours["solved"], ours["runs"]), (theirs["solved"], theirs["runs"])
    p = scipy_stats.fisher_exact([[a, n - a], [b, m - b]]).pvalue
    verdict = (f"{'more' if a / n > b / m else 'less'} often than the baseline beyond chance" if p < 0.05
               else "not distinguishable from chance")
    return (f"**{v.name}** solves XOR in {a}/{n} runs vs {b}/{m} for {base.name} (difference "
            f"{a / n - b / m:+.2f}; Fisher's exact test p = {p:.3g}): {verdict}.")
