"""The `activation_gallery` kind's part of the report: the values and derivatives, and the bound
that explains vanishing gradients."""

from __future__ import annotations

from pathlib import Path

from ...i18n import N_, _
from ...report_data import StudyResults
from ...report_parts import copied_image, markdown_table


def section(root: Path, study: StudyResults) -> list[str]:
    run = next((r for v in study.variants for r in v.runs if r.ok), None)
    if run is None:
        return study.heading(_("no run finished."))
    low, high = run.metrics["interval"]
    table = run.metrics["activations"]
    steepest = max(table, key=lambda a: a["derivative_max"])
    flat = [a["activation"] for a in table if a["derivative_max"] <= 0.25 + 1e-6]
    lines = study.heading((_("the steepest is {name} (derivative up to {largest}); {flat} never has a derivative above 0.25.")
                           if flat else
                           _("the steepest is {name} (derivative up to {largest}); every activation has a derivative above 0.25 "
                             "somewhere.")).format(name=steepest["activation"], largest=f"{steepest['derivative_max']:.3g}",
                                                   flat=_(", ").join(flat)))
    lines += [_("Values and derivatives (automatic differentiation) sampled at {points} points on [{low}, {high}].").format(
        points=run.metrics["points"], low=low, high=high), "",
              ]
    lines += markdown_table([_(word) for word in HEADER],
                            [[a["activation"]] + [f"{a[k]:.4f}" for k in ("min", "max", "derivative_min", "derivative_max",
                                                                           "derivative_at_0")] for a in table])
    small = [a["activation"] for a in table if a["derivative_max"] <= 0.25 + 1e-6]
    if small:
        lines += ["", _("Derivative never above 0.25 on this interval: {names}. Backpropagation multiplies the gradient by this "
                        "derivative once per such layer, so through k layers these factors alone shrink it by at least 4^k; "
                        "the weights multiply it too and can offset that only if they are large. This is the course's reason "
                        "deep sigmoid nets learn slowly (vanishing gradients).").format(names=_(", ").join(small))]
    lines += ["", copied_image(root, run.folder / "gallery.png", f"{study.name}.png", study.name)]
    return lines + [""]


HEADER = [N_("activation"), N_("min f"), N_("max f"), N_("min f′"), N_("max f′"), "f′(0)"]
