"""The `functions_gallery` kind's part of the report: the softmax values (against the course's where
it prints them), cross-entropy and relative entropy, and the learning slowdown in numbers."""

from __future__ import annotations

from pathlib import Path

from ...i18n import N_, _, sentences
from ...report_data import StudyResults
from ...report_parts import copied_image, image, markdown_table
from . import figures

# When the output first closes half the gap to the target, by (under the quadratic cost, under cross-entropy)
# whether it ever does; "at epoch never" is the English these sentences have always read.
HALF_THE_GAP = {
    (True, True): N_("Measured: the output first closes half the gap to the target at epoch {quadratic} under the quadratic "
                     "cost and at epoch {cross_entropy} under cross-entropy."),
    (False, True): N_("Measured: the output first closes half the gap to the target at epoch never under the quadratic cost "
                      "and at epoch {cross_entropy} under cross-entropy."),
    (True, False): N_("Measured: the output first closes half the gap to the target at epoch {quadratic} under the quadratic "
                      "cost and at epoch never under cross-entropy."),
    (False, False): N_("Measured: the output first closes half the gap to the target at epoch never under the quadratic cost "
                       "and at epoch never under cross-entropy."),
}

# What the course prints for its softmax examples (softmax(1, 2, 5, 3) "≈ 0.01, 0.04, 0.83, 0.11").
COURSE_SOFTMAX = {(1.0, 2.0, 5.0, 3.0): "0.01, 0.04, 0.83, 0.11"}


def within_last_digit(values: list[float], printed: str) -> bool:
    """Whether each value is within one unit of the printed figure's last digit (the course's ≈ truncates)."""
    figures = [p.strip() for p in printed.split(",")]
    return len(figures) == len(values) and all(
        abs(v - float(p)) <= 10 ** -len(p.split(".")[1]) + 1e-12 for v, p in zip(values, figures))


def section(root: Path, study: StudyResults) -> list[str]:
    run = next((r for v in study.variants for r in v.runs if r.ok), None)
    if run is None:
        return study.heading(_("no run finished."))
    m = run.metrics
    s = m["slowdown"]
    quad, xent = s["quadratic"], s["cross_entropy"]
    found = _("from output {start} against target {target}, the quadratic cost's first gradient dC/dw is {quadratic_gradient} "
              "and cross-entropy's {cross_entropy_gradient}; after {epochs} epochs the output is {quadratic_output} under the "
              "quadratic cost and {cross_entropy_output} under cross-entropy.").format(
        start=f"{s['start_output']:.3f}", target=s["target"], quadratic_gradient=f"{quad['dC_dw'][0]:.4f}",
        cross_entropy_gradient=f"{xent['dC_dw'][0]:.4f}", epochs=s["epochs"], quadratic_output=f"{quad['output'][-1]:.3f}",
        cross_entropy_output=f"{xent['output'][-1]:.3f}")
    lines = study.heading(found)
    rows = []
    for row in m["softmax"]:
        printed = COURSE_SOFTMAX.get(tuple(float(v) for v in row["z"]), "—")
        rows.append([str(row["z"]), ", ".join(f"{v:.4f}" for v in row["keras"]), printed,
                     (_("yes") if within_last_digit(row["keras"], printed) else "**" + _("no") + "**") if printed != "—" else "—",
                     f"{max(abs(a - b) for a, b in zip(row['keras'], row['formula'])):.1e}"])
    lines += [_("Softmax by Keras (`keras.activations.softmax`), checked against exp(z_i − max z) / Σ exp(z_j − max z):"), ""]
    lines += markdown_table(["z", "softmax(z)", _("the course prints"), _("agrees (±1 in its last digit)"), _("Keras vs formula")], rows)
    lines += ["", image(figures.softmax_against_max(m["softmax"], _("{study}: softmax against the hard max").format(study=study.name)),
                        root, f"{study.name}-softmax.png", f"{study.name} softmax"), ""]
    lines += ["", _("Cross-entropy H(p, q) = −Σ p log q and relative entropy KL(p ‖ q) = Σ p log(p / q) = H(p, q) − H(p), "
                    "by Keras (`categorical_crossentropy`, `kl_divergence`) and by the formula:"), ""]
    lines += markdown_table(["p", "q", "H(p, q)", "H(p)", "KL(p ‖ q)", _("Keras vs formula")],
                            [[str(e["p"]), str(e["q"]), f"{e['cross_entropy']:.4f}", f"{e['entropy_of_p']:.4f}", f"{e['kl']:.4f}",
                              f"{max(abs(e['cross_entropy'] - e['cross_entropy_formula']), abs(e['kl'] - e['kl_formula'])):.1e}"]
                             for e in m["entropies"]])
    lines += ["", _("Keras clips p and q to 10⁻⁷ before taking logarithms, which is the small difference from the formula "
                    "where p has zeros.")]
    half = lambda curve: next((k + 1 for k, v in enumerate(curve) if abs(v - s["target"]) < abs(s["start_output"] - s["target"]) / 2), None)
    q_half, x_half = half(quad["output"]), half(xent["output"])
    n = run.config["neuron"]
    lines += ["", sentences(
        _("One sigmoid neuron a = σ(w x + b), x = {x}, from w = {w}, b = {b} (a badly wrong start: a = {start} for target "
          "{target}), gradient descent at lr {rate}.").format(x=n["x"], w=n["w"], b=n["b"], start=f"{s['start_output']:.3f}",
                                                             target=s["target"], rate=n["learning_rate"]),
        _("The quadratic cost's gradient is (a − y) σ′(z) x, and σ′(z) is small where the neuron is saturated; cross-entropy's "
          "is (a − y) x."),
        _(HALF_THE_GAP[q_half is not None, x_half is not None]).format(quadratic=q_half, cross_entropy=x_half)), ""]
    lines += [copied_image(root, run.folder / "slowdown.png", f"{study.name}-slowdown.png", f"{study.name} slowdown"), ""]
    return lines
