"""The `activation_gallery` kind: each activation and its derivative (by automatic differentiation)
over an interval, with the bounds that explain vanishing gradients."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import Field, StrictInt, model_validator

from .. import plots, results
from ..report_data import StudyResults
from ..report_parts import copied_image, markdown_table
from ..specs import Activation, StudyBase

NAME = "activation_gallery"

MAX_POINTS = 1_000_000  # ~1,000x the default 1,001; each activation's curve and derivative are kept and plotted


class Config(StudyBase):
    """Each activation and its derivative (by automatic differentiation) over an interval."""

    kind: Literal["activation_gallery"]
    activations: list[Activation] = Field(min_length=1)
    x_min: float = -5.0
    x_max: float = 5.0
    points: StrictInt = Field(1001, ge=3, le=MAX_POINTS)

    @model_validator(mode="after")
    def _interval(self) -> Config:
        if self.x_min >= self.x_max:
            raise ValueError(f"x_min must be below x_max, got {self.x_min} >= {self.x_max}")
        return self


def dataset(config: Config, data_dir: str | None) -> None:
    return None


def preflight(config: Config, data: None) -> None:
    pass


def run(study: str, variant_id: str, config: Config, seed: int, data=None, progress=None) -> results.RunOutput:
    """Each activation and its derivative, the derivative taken by automatic differentiation."""
    import keras
    import tensorflow as tf  # loaded only in the process that computes

    start_time = time.time()
    x = tf.constant(np.linspace(config.x_min, config.x_max, config.points), dtype=tf.float32)
    curves, table = {}, []
    for name in config.activations:
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = keras.activations.get(name)(x)
        dy = tape.gradient(y, x)
        y, dy = y.numpy(), dy.numpy()
        curves[name] = (y, dy)
        table.append({"activation": name, "min": float(y.min()), "max": float(y.max()),
                      "derivative_min": float(dy.min()), "derivative_max": float(dy.max()),
                      "derivative_at_0": float(dy[np.argmin(np.abs(x.numpy()))])})
    metrics = {"study": study, "variant": variant_id, "seed": seed, "kind": NAME, "status": "ok",
               "interval": [config.x_min, config.x_max], "points": config.points, "activations": table,
               "wall_time_s": round(time.time() - start_time, 2)}
    return results.RunOutput(metrics, {}, {"gallery.png": plots.activation_gallery(x.numpy(), curves, config.name)}, None)


def check(folder: Path, metrics: dict, files: dict, trial: bool) -> list[tuple[str, str]]:
    """What a finished run of this kind must show on disk (nnlab verify): its figure."""
    return [] if (folder / "gallery.png").is_file() else [("gallery.png", "is missing")]


def headline(m: dict) -> str:
    steepest = max(m["activations"], key=lambda a: a["derivative_max"])
    return (f"done ({m['wall_time_s']:.1f}s): {len(m['activations'])} activations on [{m['interval'][0]}, {m['interval'][1]}]; "
            f"largest derivative {steepest['derivative_max']:.3f} ({steepest['activation']})")


def show(config: dict | None, metrics: dict | None) -> list[tuple[str, str]]:
    if config is not None:
        return [("gallery", f"{', '.join(config['activations'])} on [{config['x_min']}, {config['x_max']}], {config['points']} points")]
    lines = [("status", metrics["status"])]
    for a in metrics["activations"]:
        lines.append((a["activation"], f"range {a['min']:.3f} to {a['max']:.3f}; derivative {a['derivative_min']:.3f} to "
                                       f"{a['derivative_max']:.3f}, at 0 {a['derivative_at_0']:.3f}"))
    return lines


def summarize(study_name: str, study_dir: Path, rows: list[dict], first_histories: dict) -> None:
    results.write_flat_summary(study_dir, rows)


def section(root: Path, study: StudyResults) -> list[str]:
    run = next((r for v in study.variants for r in v.runs if r.ok), None)
    if run is None:
        return study.heading("no run finished.")
    low, high = run.metrics["interval"]
    table = run.metrics["activations"]
    steepest = max(table, key=lambda a: a["derivative_max"])
    flat = [a["activation"] for a in table if a["derivative_max"] <= 0.25 + 1e-6]
    lines = study.heading(f"the steepest is {steepest['activation']} (derivative up to {steepest['derivative_max']:.3g}); "
                          + (f"{', '.join(flat)} never has a derivative above 0.25." if flat else
                             "every activation has a derivative above 0.25 somewhere."))
    lines += [f"Values and derivatives (automatic differentiation) sampled at {run.metrics['points']} points on "
              f"[{low}, {high}].", "",
              ]
    lines += markdown_table(["activation", "min f", "max f", "min f′", "max f′", "f′(0)"],
                            [[a["activation"]] + [f"{a[k]:.4f}" for k in ("min", "max", "derivative_min", "derivative_max",
                                                                           "derivative_at_0")] for a in table])
    small = [a["activation"] for a in table if a["derivative_max"] <= 0.25 + 1e-6]
    if small:
        lines += ["", f"Derivative never above 0.25 on this interval: {', '.join(small)}. Through k such layers "
                  "a gradient shrinks by at least 4^k, which is why deep sigmoid nets learn slowly (vanishing gradients)."]
    lines += ["", copied_image(root, run.folder / "gallery.png", f"{study.name}.png", study.name)]
    return lines + [""]
