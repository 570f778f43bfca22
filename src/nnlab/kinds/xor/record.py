"""What an `xor` run records (FIELDS; the learned weights of one example repeat), the rule a
finished one obeys on disk, its console line and `nnlab show`'s lines."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ...i18n import _

FIELDS = ("study", "variant", "seed", "status", "repeats", "solved", "solved_rate", "runs_with_dead_unit",
          "dead_unit_rate", "mean_dead_units", "identical_units_rate", "final_loss_median", "final_loss_mean",
          "example", "wall_time_s")


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
                ("training", f"{config['steps']} full-batch {config.get('optimizer', 'sgd')} steps at lr {config['learning_rate']} "
                             f"on {config.get('loss', 'mse')}, "
                             f"{config['repeats']} initialisations")]
    m = metrics
    return [("status", m["status"]),
            ("solved", f"{m['solved']}/{m['repeats']} ({m['solved_rate']:.0%}); median final MSE {m['final_loss_median']:.3g}"),
            ("units", f"runs with a dead hidden unit {m['dead_unit_rate']:.0%} (mean {m['mean_dead_units']:.2f} dead units); "
                      f"hidden units identical {m['identical_units_rate']:.0%}"),
            ("example", describe_solution(m["example"])), ("time", f"{m['wall_time_s']:.1f}s")]


def _init_text(example: dict) -> str:
    if "init_seeds" in example:
        return _("initializer seeds (W1, b1, W2, b2) {seeds}").format(seeds=", ".join(map(str, example["init_seeds"])))
    return _("init seed {seed}").format(seed=example["init_seed"])  # a run of the kind's first revision


def describe_solution(example: dict) -> str:
    """The learned weights of one run, as the course prints them (in the report's language: the
    console's lines are English)."""
    lines = [(_("repeat {repeat} (solved), {init}") if example["solved"] else _("repeat {repeat} (NOT solved), {init}")).format(
        repeat=example["repeat"], init=_init_text(example))]
    for j, (col, bias) in enumerate(zip(np.array(example["W1"]).T, example["b1"])):
        lines.append("  " + _("hidden {j}: w = [{w0}, {w1}], b = {b}, out weight {out}").format(
            j=j, w0=f"{col[0]:+.4f}", w1=f"{col[1]:+.4f}", b=f"{bias:+.4f}", out=f"{example['W2'][j]:+.4f}"))
    lines.append("  " + _("output bias {b}; predictions for (0,0),(0,1),(1,0),(1,1): {predictions}").format(
        b=f"{example['b2']:+.4f}", predictions=", ".join(f"{p:.3f}" for p in example["predictions"])))
    return "\n".join(lines)
