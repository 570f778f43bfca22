"""The `lr_decay_demo` kind's part of the report: each variant's descent, the course's lines, a figure."""

from __future__ import annotations

from pathlib import Path

from ... import plots
from ...report_data import StudyResults
from ...report_parts import image, markdown_table


def section(root: Path, study: StudyResults) -> list[str]:
    c = study.config
    runs = {v.name: v.runs[0] for v in study.variants if v.n}
    found = ("after the last epoch " + "; ".join(f"{name}: w = {r.metrics['final_w']:.6f}, loss {r.metrics['final_loss']:.3g}"
                                                  for name, r in runs.items()) + "." if runs else "no run finished.")
    lines = study.heading(found) + [
        f"Gradient descent on (w − {c['target']})² from w = {c['w0']}, lr = {c['learning_rate']} · decay_rate^epoch, "
        f"{c['epochs']} epochs (TensorFlow GradientTape, in {c.get('precision', 'float64')}"
        + (", as the course's TensorFlow code computes)." if c.get("precision") == "float32" else ").") , "",
    ]
    lines += markdown_table(["variant", "decay rate", "lr at the last epoch", "final w", "final loss"],
                            [[name, r.config.get("decay_rate"), f"{r.metrics['rows'][-1]['lr']:.6f}",
                              f"{r.metrics['final_w']:.6f}", f"{r.metrics['final_loss']:.3g}"] for name, r in runs.items()])
    for name, r in runs.items():
        rows = r.metrics["rows"]
        shown = rows[:3] + rows[-2:]
        lines += ["", f"{name} (the first three and last two of its {len(rows)} rows; every row is in "
                  f"`{study.folder.relative_to(root)}/summary.csv`):", "", "```"] + [
            f"After {x['epoch']} epoch, w is {x['w']:f}, loss is {x['loss']:f}, lr is {x['lr']:f}" for x in shown] + ["```"]
    if runs:
        fig = plots.lr_decay_curves({n: r.metrics["rows"] for n, r in runs.items()}, f"{study.name}: w, loss and lr per epoch")
        lines += ["", image(fig, root, f"{study.name}.png", study.name)]
    return lines + [""]
