"""The `lr_decay_demo` kind's part of the report: each variant's descent, the course's lines, a figure."""

from __future__ import annotations

from pathlib import Path

from ... import plots
from ...i18n import N_, _, sentences
from ...report_data import StudyResults
from ...report_parts import image, markdown_table
from . import figures


def section(root: Path, study: StudyResults) -> list[str]:
    c = study.config
    runs = {v.name: v.runs[0] for v in study.variants if v.n}
    found = (_("after the last epoch {runs}.").format(runs=_("; ").join(
        _("{name}: w = {w}, loss {loss}").format(name=name, w=f"{r.metrics['final_w']:.6f}", loss=f"{r.metrics['final_loss']:.3g}")
        for name, r in runs.items())) if runs else _("no run finished."))
    lines = study.heading(found) + [
        (_("Gradient descent on (w − {target})² from w = {w0}, lr = {rate} · decay_rate^epoch, {epochs} epochs (TensorFlow "
           "GradientTape, in {precision}, as the course's TensorFlow code computes).") if c.get("precision") == "float32" else
         _("Gradient descent on (w − {target})² from w = {w0}, lr = {rate} · decay_rate^epoch, {epochs} epochs (TensorFlow "
           "GradientTape, in {precision}).")).format(target=c["target"], w0=c["w0"], rate=c["learning_rate"], epochs=c["epochs"],
                                                     precision=c.get("precision", "float64")), "",
    ]
    lines += markdown_table([_(word) for word in HEADER],
                            [[name, r.config.get("decay_rate"), f"{r.metrics['rows'][-1]['lr']:.6f}",
                              f"{r.metrics['final_w']:.6f}", f"{r.metrics['final_loss']:.3g}"] for name, r in runs.items()])
    for name, r in runs.items():
        rows = r.metrics["rows"]
        shown = rows[:3] + rows[-2:]
        lines += ["", _("{name} (the first three and last two of its {n} rows; every row is in `{folder}/summary.csv`):").format(
            name=name, n=len(rows), folder=study.folder.relative_to(root)), "", "```"] + [  # the course's own printed lines
            f"After {x['epoch']} epoch, w is {x['w']:f}, loss is {x['loss']:f}, lr is {x['lr']:f}" for x in shown] + ["```"]
    lines += _framework_example(c, runs)
    if runs:
        fig = figures.lr_decay_curves({n: r.metrics["rows"] for n, r in runs.items()},
                                    plots._("{study}: w, loss and lr per epoch").format(study=study.name))
        lines += ["", image(fig, root, f"{study.name}.png", study.name)]
    return lines + [""]


HEADER = [N_("variant"), N_("decay rate"), N_("lr at the last epoch"), N_("final w"), N_("final loss")]

# The course's framework example, as printed: exponential decay from 0.1, rate 0.9, 2 steps an epoch.
COURSE_FRAMEWORK = {"learning_rate": 0.1, "decay_rate": 0.9, "decay_steps": 2, "steps": 6, "staircase": True}
COURSE_PRINTS = ["0.1", "0.1", "0.09", "0.09", "0.081", "0.081"]


def _framework_example(config: dict, runs: dict) -> list[str]:
    """Keras' ExponentialDecay at each step of the course's framework example, beside what the course
    prints, each checked to the printed digits (runs recorded before the example was computed: none)."""
    values = next((r.metrics["framework_example"] for r in runs.values() if "framework_example" in r.metrics), None)
    if values is None:
        return []
    ex = {**COURSE_FRAMEWORK, **(config.get("framework_example") or {})}
    course = COURSE_PRINTS if ex == COURSE_FRAMEWORK else ["—"] * len(values)
    agree = [printed != "—" and round(v, len(printed.split(".")[1])) == float(printed) for v, printed in zip(values, course)]
    rows = [[str(step), f"{v:.9g}", printed, (_("yes") if ok else "**" + _("no") + "**") if printed != "—" else "—"]
            for step, (v, printed, ok) in enumerate(zip(values, course, agree))]
    said = (_("all {n} agree to the printed digits.").format(n=len(values)) if all(agree) else
            _("{k} of {n} agree to the printed digits.").format(k=sum(agree), n=len(values))) if course[0] != "—" else \
        _("the course prints no figures for these settings.")
    return ["", sentences(_("The course's framework example: a rate from {rate}, times {decay} every {every} steps{staircase}, by "
                            "Keras' `ExponentialDecay` (what `optimizer.schedule: {{name: exponential_decay}}` builds); {said}").format(
        rate=ex["learning_rate"], decay=ex["decay_rate"], every=ex["decay_steps"],
        staircase=_(" (staircase)") if ex["staircase"] else "", said=said)), ""] + markdown_table(
        [_("step"), _("Keras' rate"), _("the course prints"), _("agrees")], rows)
