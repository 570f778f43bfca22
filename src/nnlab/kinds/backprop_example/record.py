"""What a `backprop_example` run records: the forward pass, every gradient three ways (the chain rule
written out, TensorFlow's automatic differentiation, central finite differences), how far they
disagree, and one update step."""

from __future__ import annotations

from pathlib import Path

FIELDS = ("study", "variant", "seed", "status", "forward", "gradients", "largest_disagreement", "learning_rate",
          "updated_weights", "error_after_step", "wall_time_s")
WEIGHTS = ("w1", "w2", "w3", "w4", "w5", "w6", "w7", "w8")
FORWARD = ("net_h1", "out_h1", "net_h2", "out_h2", "net_o1", "out_o1", "net_o2", "out_o2", "E_o1", "E_o2", "E_total")


def check(folder: Path, metrics: dict, files: dict, trial: bool) -> list[tuple[str, str]]:
    """Nothing on disk beyond metrics.json; its three gradients must be there for every weight."""
    gradients = metrics.get("gradients") or {}
    missing = [w for w in WEIGHTS if set(gradients.get(w, {})) != {"chain_rule", "autodiff", "finite_difference"}]
    return [("metrics.json", f"lacks the three gradients of {', '.join(missing)}")] if missing else []


def headline(metrics: dict) -> str:
    f, g = metrics["forward"], metrics["gradients"]
    return (f"done: E_total {f['E_total']:.9f}, dE/dw5 {g['w5']['chain_rule']:.9f}; chain rule, autodiff and finite "
            f"differences agree to {metrics['largest_disagreement']:.1e}; after one step at lr "
            f"{metrics['learning_rate']}: E_total {metrics['error_after_step']:.9f}")


def show(config: dict | None, metrics: dict | None) -> list[tuple[str, str]]:
    if config is not None:
        return [("example", f"inputs {config['inputs']}, targets {config['targets']}, w1-w8 {config['weights']}, "
                            f"b1, b2 {config['biases']}; lr {config['learning_rate']}")]
    f = metrics["forward"]
    return ([("status", metrics["status"])] + [(name, f"{f[name]:.9f}") for name in FORWARD]
            + [(f"dE/d{w}", f"{metrics['gradients'][w]['chain_rule']:.9f}") for w in WEIGHTS]
            + [("agreement", f"{metrics['largest_disagreement']:.1e}"),
               ("after step", f"E_total {metrics['error_after_step']:.9f}")])
