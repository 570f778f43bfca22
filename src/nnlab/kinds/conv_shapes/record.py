"""What a `conv_shapes` run records: each convolution's output side and parameters by the formula and
by Keras, and the pooled matrices by a loop and by Keras."""

from __future__ import annotations

from pathlib import Path

FIELDS = ("study", "variant", "seed", "status", "convolutions", "pooling", "all_agree", "wall_time_s")


def check(folder: Path, metrics: dict, files: dict, trial: bool) -> list[tuple[str, str]]:
    return []  # everything is in metrics.json


def headline(metrics: dict) -> str:
    shapes = "; ".join(f"{c['width']}→{c['formula_width']} ({c['formula_parameters']} parameters)" for c in metrics["convolutions"])
    return f"done: {shapes}; formula and Keras {'agree' if metrics['all_agree'] else 'DISAGREE'}"


def show(config: dict | None, metrics: dict | None) -> list[tuple[str, str]]:
    if config is not None:
        return [("convolutions", str(config["convolutions"])), ("pooling", f"{config['pool']}x{config['pool']} of {config['pooling_input']}")]
    return [("status", metrics["status"]), ("agree", str(metrics["all_agree"]))] + [
        ("conv", f"{c['width']}x{c['width']}x{c['channels']}, {c['filters']} of {c['kernel']}x{c['kernel']}, S {c['stride']}, "
                 f"P {c['padding']} -> {c['formula_width']}x{c['formula_width']}x{c['filters']}, {c['formula_parameters']} parameters")
        for c in metrics["convolutions"]]
