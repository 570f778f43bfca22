"""What a `functions_gallery` run records: each softmax, each (p, q)'s cross-entropy and relative
entropy (by Keras and by the formula), and the one neuron's curves under both costs."""

from __future__ import annotations

from pathlib import Path

FIELDS = ("study", "variant", "seed", "status", "softmax", "entropies", "slowdown", "wall_time_s")


def check(folder: Path, metrics: dict, files: dict, trial: bool) -> list[tuple[str, str]]:
    return [] if (folder / "slowdown.png").is_file() else [("slowdown.png", "is missing")]


def headline(metrics: dict) -> str:
    s = metrics["slowdown"]
    return (f"done: {len(metrics['softmax'])} softmax, {len(metrics['entropies'])} (p, q) pairs; one neuron after "
            f"{s['epochs']} epochs: output {s['quadratic']['output'][-1]:.3f} (quadratic cost) vs "
            f"{s['cross_entropy']['output'][-1]:.3f} (cross-entropy), target {s['target']}")


def show(config: dict | None, metrics: dict | None) -> list[tuple[str, str]]:
    if config is not None:
        return [("softmax of", str(config["softmax_inputs"])),
                ("neuron", f"σ(w x + b) from w = {config['neuron']['w']}, b = {config['neuron']['b']}, x = "
                           f"{config['neuron']['x']}, target {config['neuron']['target']}")]
    lines = [("status", metrics["status"])]
    lines += [("softmax", f"{row['z']} -> {', '.join(f'{v:.4f}' for v in row['keras'])}") for row in metrics["softmax"]]
    lines += [("H, KL", f"p {e['p']}, q {e['q']}: H(p, q) = {e['cross_entropy']:.4f}, KL(p || q) = {e['kl']:.4f}")
              for e in metrics["entropies"]]
    return lines
