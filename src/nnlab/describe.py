"""The lines people read about a small problem's run: no TensorFlow here, so the report stays light."""

from __future__ import annotations

import numpy as np


def describe_solution(example: dict) -> str:
    """The learned weights of one run, as the course prints them."""
    lines = [f"repeat {example['repeat']} ({'solved' if example['solved'] else 'NOT solved'}), init seed {example['init_seed']}"]
    for j, (col, bias) in enumerate(zip(np.array(example["W1"]).T, example["b1"])):
        lines.append(f"  hidden {j}: w = [{col[0]:+.4f}, {col[1]:+.4f}], b = {bias:+.4f}, out weight {example['W2'][j]:+.4f}")
    lines.append(f"  output bias {example['b2']:+.4f}; predictions for (0,0),(0,1),(1,0),(1,1): "
                 + ", ".join(f"{p:.3f}" for p in example["predictions"]))
    return "\n".join(lines)


def headline(kind: str, m: dict) -> str:
    """The line the CLI prints when a run of a small problem finishes."""
    if kind == "xor":
        return (f"solved {m['solved']}/{m['repeats']} ({m['solved_rate']:.0%}); runs with a dead hidden unit "
                f"{m['dead_unit_rate']:.0%}; hidden units identical {m['identical_units_rate']:.0%}\n"
                + describe_solution(m["example"]))
    if kind == "lr_decay_demo":
        first, last = m["rows"][0], m["rows"][-1]
        return "\n".join(f"After {r['epoch']} epoch, w is {r['w']:f}, loss is {r['loss']:f}, lr is {r['lr']:f}"
                         for r in (first, last))
    steepest = max(m["activations"], key=lambda a: a["derivative_max"])
    return (f"{len(m['activations'])} activations on [{m['interval'][0]}, {m['interval'][1]}]; "
            f"largest derivative {steepest['derivative_max']:.3f} ({steepest['activation']})")
