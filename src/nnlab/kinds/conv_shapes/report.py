"""The `conv_shapes` kind's part of the report: each convolution's output and parameters by the
formula beside Keras', and the pooled matrices."""

from __future__ import annotations

from pathlib import Path

from ...i18n import N_, _
from ...report_data import StudyResults
from ...report_parts import markdown_table


def section(root: Path, study: StudyResults) -> list[str]:
    run = next((r for v in study.variants for r in v.runs if r.ok), None)
    if run is None:
        return study.heading(_("no run finished."))
    m = run.metrics
    shapes = _("; ").join(_("{input} → {output} with {parameters} parameters").format(
        input=f"{c['width']}×{c['width']}×{c['channels']}", output=f"{c['formula_width']}×{c['formula_width']}×{c['filters']}",
        parameters=c["formula_parameters"]) for c in m["convolutions"])
    found = (_("the formula W2 = (W1 − F + 2P)/S + 1 and (F·F·C + 1)·K give {shapes}, exactly what the built Keras layers have.")
             if m["all_agree"] else
             _("the formula W2 = (W1 − F + 2P)/S + 1 and (F·F·C + 1)·K give {shapes}; Keras' layers **disagree** (table below).")
             ).format(shapes=shapes)
    lines = study.heading(found)
    lines += markdown_table([_(word) for word in HEADER],
                            [[c.get("label") or "—", f"{c['width']}×{c['width']}×{c['channels']}",
                              _("{filters} of {kernel}×{kernel}").format(filters=c["filters"], kernel=c["kernel"]),
                              c["stride"], c["padding"], str(c["formula_width"]) + ("" if c["formula_exact"] else _(" (rounded down)")),
                              "×".join(map(str, c["keras_shape"])), c["formula_parameters"], c["keras_parameters"]]
                             for c in m["convolutions"]])
    differences = [c["depth_sum_max_difference"] for c in m["convolutions"] if "depth_sum_max_difference" in c]
    if differences:
        lines += ["", _("Each convolution computed by the course's sum a_ij = f(Σ_d Σ_m Σ_n w_dmn · x_d,(iS+m),(jS+n) + w_b), term "
                        "by term, on a seeded input with seeded weights, against the built Keras layer: the largest difference "
                        "over every output is {difference} (float32 against the sum in float64).").format(
            difference=f"{max(differences):.1e}")]
    trained = [c for c in m["convolutions"] if "trained" in c]
    if trained:
        t0 = trained[0]["trained"]
        lines += ["", _("Each layer trained as any layer is: from Keras' initial weights, {steps} full-batch Adam steps on the mean "
                        "squared error between its outputs and those of a target layer of the same shape, whose weights are drawn "
                        "uniform in [−1, 1], on {examples} inputs drawn likewise (all seeded). The loss falls to the float32 floor "
                        "and the learned weights are the target's, to the digits below: a convolution's parameters are learned "
                        "from data like a dense layer's.").format(steps=t0["steps"], examples=t0["examples"]), ""]
        lines += markdown_table([_(word) for word in TRAINED_HEADER],
                                [[c.get("label") or "—", c["formula_parameters"], f"{c['trained']['loss_before']:.3g}",
                                  f"{c['trained']['loss_after']:.1e}", f"{c['trained']['weights_max_difference']:.1e}"]
                                 for c in trained])
    p = m["pooling"]
    grid = lambda rows: "<br>".join(" ".join(f"{v:g}" for v in row) for row in rows)
    lines += ["", _("{size}×{size} pooling, stride {size}, by a plain loop (Keras' MaxPooling2D and AveragePooling2D give the "
                    "same):").format(size=p["size"]), ""]
    lines += markdown_table([_("input"), _("max pooling"), _("average pooling")],
                            [[grid(p["input"]), grid(p["max"]), grid(p["average"])]])
    return lines + [""]


HEADER = [N_("case"), N_("input W1×W1×C"), N_("filters K of F×F"), N_("stride S"), N_("padding P"), N_("W2 by the formula"),
          N_("Keras output shape"), N_("parameters (F·F·C + 1)·K"), N_("Keras parameters")]
TRAINED_HEADER = [N_("case"), N_("parameters"), N_("loss before training"), N_("loss after"),
                  N_("largest difference from the target's weights")]
