"""The `lr_decay_demo` kind: gradient descent on (w - target)^2 with lr = learning_rate * decay^epoch,
as the course prints it ("After 0 epoch, w is 2.600000, loss is 36.000000, lr is 0.200000")."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Literal

from pydantic import Field, StrictInt

from .. import plots, results
from ..report_data import StudyResults
from ..report_parts import image, markdown_table
from ..specs import MAX_EPOCHS, StudyBase

NAME = "lr_decay_demo"


class Config(StudyBase):
    """Gradient descent on (w - target)^2 with lr = learning_rate * decay_rate^epoch."""

    kind: Literal["lr_decay_demo"]
    w0: float = 5.0
    target: float = -1.0
    learning_rate: float = Field(0.2, gt=0)
    decay_rate: float = Field(0.99, gt=0, le=1)
    epochs: StrictInt = Field(40, gt=0, le=MAX_EPOCHS)


def dataset(config: Config, data_dir: str | None) -> None:
    return None


def preflight(config: Config, data: None) -> None:
    pass


def run(study: str, variant_id: str, config: Config, seed: int, data=None, progress=None) -> results.RunOutput:
    """Gradient descent on (w - target)^2; each row is the course's 'After k epoch, w is ..., loss is ...'
    line: w after the step, the loss that step reduced, and the rate it used."""
    import tensorflow as tf  # loaded only in the process that trains

    start_time = time.time()
    w = tf.Variable(config.w0, dtype=tf.float64)
    rows = []
    for epoch in range(config.epochs):
        rate = config.learning_rate * config.decay_rate ** epoch
        with tf.GradientTape() as tape:
            loss = (w - config.target) ** 2
        w.assign_sub(rate * tape.gradient(loss, w))
        rows.append({"epoch": epoch, "w": float(w.numpy()), "loss": float(loss.numpy()), "lr": rate})
    metrics = {"study": study, "variant": variant_id, "seed": seed, "kind": NAME, "status": "ok",
               "final_w": rows[-1]["w"], "final_loss": float((rows[-1]["w"] - config.target) ** 2),
               "epochs": config.epochs, "rows": rows, "wall_time_s": round(time.time() - start_time, 2)}
    return results.RunOutput(metrics, {}, {"curves.png": plots.lr_decay_curves({config.name: rows}, f"{config.name}")}, None)


def check(folder: Path, metrics: dict, files: dict, trial: bool) -> list[tuple[str, str]]:
    """What a finished run of this kind must show on disk (nnlab verify): its figure."""
    return [] if (folder / "curves.png").is_file() else [("curves.png", "is missing")]


def headline(metrics: dict) -> str:
    first, last = metrics["rows"][0], metrics["rows"][-1]
    lines = [f"After {r['epoch']} epoch, w is {r['w']:f}, loss is {r['loss']:f}, lr is {r['lr']:f}" for r in (first, last)]
    return f"done ({metrics['wall_time_s']:.1f}s): " + "\n".join(lines)


def show(config: dict | None, metrics: dict | None) -> list[tuple[str, str]]:
    if config is not None:
        return [("descent", f"(w - {config['target']})^2 from w = {config['w0']}, lr {config['learning_rate']} x "
                            f"{config['decay_rate']}^epoch, {config['epochs']} epochs")]
    rows = metrics["rows"]
    return [("status", metrics["status"])] + [
        ("epoch", f"After {r['epoch']} epoch, w is {r['w']:f}, loss is {r['loss']:f}, lr is {r['lr']:f}") for r in (rows[0], rows[-1])] + [
        ("final", f"w {metrics['final_w']:f}, loss {metrics['final_loss']:.3g}; {metrics['wall_time_s']:.1f}s")]


def summarize(study_name: str, study_dir: Path, rows: list[dict], first_histories: dict) -> None:
    results.write_flat_summary(study_dir, rows)


def section(root: Path, study: StudyResults) -> list[str]:
    c = study.config
    runs = {v.name: v.runs[0] for v in study.variants if v.n}
    found = ("after the last epoch " + "; ".join(f"{name}: w = {r.metrics['final_w']:.6f}, loss {r.metrics['final_loss']:.3g}"
                                                  for name, r in runs.items()) + "." if runs else "no run finished.")
    lines = study.heading(found) + [
        f"Gradient descent on (w − {c['target']})² from w = {c['w0']}, lr = {c['learning_rate']} · decay_rate^epoch, "
        f"{c['epochs']} epochs (TensorFlow GradientTape).", "",
    ]
    lines += markdown_table(["variant", "decay rate", "lr at the last epoch", "final w", "final loss"],
                            [[name, r.config.get("decay_rate"), f"{r.metrics['rows'][-1]['lr']:.6f}",
                              f"{r.metrics['final_w']:.6f}", f"{r.metrics['final_loss']:.3g}"] for name, r in runs.items()])
    for name, r in runs.items():
        rows = r.metrics["rows"]
        shown = rows[:3] + rows[-2:]
        lines += ["", f"{name}:", "", "```"] + [
            f"After {x['epoch']} epoch, w is {x['w']:f}, loss is {x['loss']:f}, lr is {x['lr']:f}" for x in shown] + ["```"]
    if runs:
        fig = plots.lr_decay_curves({n: r.metrics["rows"] for n, r in runs.items()}, f"{study.name}: w, loss and lr per epoch")
        lines += ["", image(fig, root, f"{study.name}.png", study.name)]
    return lines + [""]
