"""The `backprop_example` kind's part of the report: the forward pass against the course's printed
figures (to the digits it prints), every gradient three ways, and the update step."""

from __future__ import annotations

from pathlib import Path

from ...i18n import N_, _
from ...report_data import StudyResults
from ...report_parts import markdown_table
from .record import FORWARD, WEIGHTS
from .schema import Config

# The course's figures for its default example, as printed (strings: their digits are the claim).
COURSE = {"net_h1": "0.3775", "out_h1": "0.593269992", "out_h2": "0.596884378", "net_o1": "1.105905967",
          "out_o1": "0.75136079", "out_o2": "0.772928465", "E_o1": "0.274811083", "E_o2": "0.023560026",
          "E_total": "0.298371109"}


# Where the course's own later line uses a figure other than the one it printed: (that line, the figure
# it uses). E_o1 = ½(0.01 − 0.75136507)² = 0.274811083: the course computed with 0.75136507.
COURSE_LATER = {"out_o1": ("E_o1", "0.75136507")}


def matched_keys(forward: dict) -> list[str]:
    return [k for k in COURSE if k in forward]


def agrees(computed: float, printed: str) -> bool:
    """Whether a value rounds to the printed figure at the digits printed."""
    return f"{computed:.{len(printed.split('.')[1])}f}" == printed


def section(root: Path, study: StudyResults) -> list[str]:
    run = next((r for v in study.variants for r in v.runs if r.ok), None)
    if run is None:
        return study.heading(_("no run finished."))
    m, c = run.metrics, run.config
    defaults = Config(name="x", kind="backprop_example").model_dump()
    is_course = all(c.get(k) == defaults[k] for k in ("inputs", "targets", "weights", "biases"))
    f, g = m["forward"], m["gradients"]
    matched = [k for k in COURSE if agrees(f[k], COURSE[k])] if is_course else []
    figures = dict(total=f"{f['E_total']:.9f}", gradient=f"{g['w5']['chain_rule']:.9f}", matched=len(matched), printed=len(COURSE),
                   disagreement=f"{m['largest_disagreement']:.1e}")
    found = (_("E_total = {total} and dE/dw5 = {gradient}; {matched} of the course's {printed} printed figures agree to every "
               "digit it prints; the chain rule, automatic differentiation and finite differences agree to {disagreement}.")
             if is_course else
             _("E_total = {total} and dE/dw5 = {gradient}; the chain rule, automatic differentiation and finite differences "
               "agree to {disagreement}.")).format(**figures)
    lines = study.heading(found) + [
        _("A 2-2-2 net of sigmoid units: inputs {inputs}, targets {targets}, w1–w8 = {weights}, b1 = {b1}, b2 = {b2}; "
          "E = ½Σ(target − out)².").format(inputs=c["inputs"], targets=c["targets"], weights=", ".join(map(str, c["weights"])),
                                           b1=c["biases"][0], b2=c["biases"][1]), ""]
    lines += markdown_table([_("quantity"), _("computed"), _("the course prints"), _("agrees")],
                            [[k, f"{f[k]:.9f}", COURSE[k] if is_course and k in COURSE else "—",
                              (_("yes") if agrees(f[k], COURSE[k]) else "**" + _("no") + "**") if is_course and k in COURSE else "—"]
                             for k in FORWARD])
    wrong = [k for k in matched_keys(f) if not agrees(f[k], COURSE[k])] if is_course else []
    if wrong:
        lines += ["", _("Where a printed figure disagrees, it is not what the course's own previous figures give: {figures}.").format(
            figures=_("; ").join(
                _("{name} = σ({net}) = {value}, printed {printed}").format(
                    name=k, net=f"{f['net_' + k[4:]]:.9f}", value=f"{f[k]:.9f}", printed=COURSE[k]) if k.startswith("out_") else
                _("{name} computes to {value}, printed {printed}").format(name=k, value=f"{f[k]:.9f}", printed=COURSE[k])
                for k in wrong))]
        for k in wrong:
            if k in COURSE_LATER:
                line, used = COURSE_LATER[k]
                lines += ["", _("The course's own next line, {line}, uses {name} = {used}, which is the computed value to the "
                                "{digits} digits it shows: the course computed with the right value and printed {printed} for "
                                "it, a slip of the digits, not another computation.").format(
                    line=line, name=k, used=used, digits=len(used.split(".")[1]), printed=COURSE[k])
                          if agrees(f[k], used) else
                          _("The course's own next line, {line}, uses {name} = {used}, which is not the computed value "
                            "either.").format(line=line, name=k, used=used)]
    lines += ["", _("Each gradient three ways (the chain rule as the course writes it out; TensorFlow's GradientTape; central "
                    "differences with h = {step}), and the weight after one step at lr {rate}:").format(
        step=c["finite_difference_step"], rate=m["learning_rate"]), ""]
    lines += markdown_table([_(word) for word in GRADIENT_HEADER],
                            [[w, c["weights"][k], f"{g[w]['chain_rule']:.9f}", f"{g[w]['autodiff']:.9f}",
                              f"{g[w]['finite_difference']:.9f}", f"{m['updated_weights'][w]:.9f}"] for k, w in enumerate(WEIGHTS)])
    lines += ["", _("After the step E_total is {after} (from {before}): one step down the gradient lowers the error, as it "
                    "must for a small enough rate.").format(after=f"{m['error_after_step']:.9f}", before=f"{f['E_total']:.9f}"), ""]
    return lines


GRADIENT_HEADER = [N_("weight"), N_("value"), N_("dE/dw: chain rule"), N_("autodiff"), N_("finite difference"), N_("after the step")]
